package dev.printfleet.common.protocol.socketio;

import java.util.ArrayList;
import java.util.List;

/**
 * One Engine.IO (protocol 4) packet in its text form: a type digit and its data. On a WebSocket
 * each text frame is one packet; a polling request or response body holds several, separated by the
 * record separator (0x1E). Binary packets (a {@code b} prefix in polling, binary frames on a
 * WebSocket) are not part of printfleet's contract and are refused by the callers.
 */
public record EnginePacket(Type type, String data) {

  /** Separates the packets of one polling body. */
  public static final char SEPARATOR = '\u001e';

  public enum Type {
    OPEN,
    CLOSE,
    PING,
    PONG,
    MESSAGE,
    UPGRADE,
    NOOP;

    public char digit() {
      return (char) ('0' + ordinal());
    }
  }

  public static final EnginePacket PING = new EnginePacket(Type.PING, "");
  public static final EnginePacket PONG = new EnginePacket(Type.PONG, "");
  public static final EnginePacket NOOP = new EnginePacket(Type.NOOP, "");
  public static final EnginePacket CLOSE = new EnginePacket(Type.CLOSE, "");

  public static EnginePacket message(String data) {
    return new EnginePacket(Type.MESSAGE, data);
  }

  public String encode() {
    return data.isEmpty() ? String.valueOf(type.digit()) : type.digit() + data;
  }

  /** A packet read from the wire; throws when it is empty, binary or of no known type. */
  public static EnginePacket decode(String text) throws ProtocolException {
    if (text.isEmpty()) {
      throw new ProtocolException("empty Engine.IO packet");
    }
    char first = text.charAt(0);
    if (first == 'b') {
      throw new ProtocolException("binary packets are not accepted; send JSON text");
    }
    int ordinal = first - '0';
    if (ordinal < 0 || ordinal >= Type.values().length) {
      throw new ProtocolException("unknown Engine.IO packet type " + first);
    }
    return new EnginePacket(Type.values()[ordinal], text.substring(1));
  }

  /**
   * The packets of a polling body, at most {@code maxPackets} of them (more is refused: each costs
   * a message against the rate limit anyway, and a body is bounded by the message limit).
   */
  public static List<EnginePacket> decodePayload(String body, int maxPackets)
      throws ProtocolException {
    List<EnginePacket> packets = new ArrayList<>();
    int start = 0;
    while (start <= body.length()) {
      int end = body.indexOf(SEPARATOR, start);
      if (end < 0) {
        end = body.length();
      }
      if (packets.size() == maxPackets) {
        throw new ProtocolException("more than " + maxPackets + " packets in one request");
      }
      packets.add(decode(body.substring(start, end)));
      start = end + 1;
    }
    return packets;
  }

  /** One polling body holding these encoded packets, in order. */
  public static String encodePayload(Iterable<String> encoded) {
    return String.join(String.valueOf(SEPARATOR), encoded);
  }
}
