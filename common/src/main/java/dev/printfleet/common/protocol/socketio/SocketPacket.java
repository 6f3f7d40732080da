package dev.printfleet.common.protocol.socketio;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * One Socket.IO (protocol 5) packet, carried in an Engine.IO message: {@code
 * <type>[<namespace>,][<ack id>][<JSON payload>]}. The namespace is written only when it is not the
 * main one ({@code /}). Binary packets (types 5 and 6, whose attachments follow as binary frames)
 * are read far enough to refuse them.
 *
 * @param payload a {@code JsonObject} (CONNECT, CONNECT_ERROR), a {@code JsonArray} (EVENT: the
 *     event name then its arguments; ACK: the arguments) or null
 * @param ackId the acknowledgement id, or -1 for none
 */
public record SocketPacket(Type type, String namespace, long ackId, Object payload) {

  public static final String MAIN = "/";

  /** A longer namespace is no namespace printfleet serves; it is refused before it is kept. */
  public static final int MAX_NAMESPACE = 128;

  /** Ack ids are counters on the peer's side; more digits than this cannot be one. */
  private static final int MAX_ACK_DIGITS = 15;

  public enum Type {
    CONNECT,
    DISCONNECT,
    EVENT,
    ACK,
    CONNECT_ERROR,
    BINARY_EVENT,
    BINARY_ACK;

    public char digit() {
      return (char) ('0' + ordinal());
    }
  }

  public static SocketPacket connected(String namespace, String sid) {
    return new SocketPacket(Type.CONNECT, namespace, -1, new JsonObject().put("sid", sid));
  }

  public static SocketPacket connectError(String namespace, String message, JsonObject data) {
    var payload = new JsonObject().put("message", message);
    if (data != null) {
      payload.put("data", data);
    }
    return new SocketPacket(Type.CONNECT_ERROR, namespace, -1, payload);
  }

  public static SocketPacket disconnect(String namespace) {
    return new SocketPacket(Type.DISCONNECT, namespace, -1, null);
  }

  public static SocketPacket event(String namespace, long ackId, String event, Object argument) {
    return new SocketPacket(Type.EVENT, namespace, ackId, new JsonArray().add(event).add(argument));
  }

  public static SocketPacket ack(String namespace, long ackId, Object argument) {
    return new SocketPacket(Type.ACK, namespace, ackId, new JsonArray().add(argument));
  }

  public boolean hasAck() {
    return ackId >= 0;
  }

  /** The event name of an EVENT packet. */
  public String eventName() {
    return ((JsonArray) payload).getString(0);
  }

  /** The first argument after an EVENT's name, or an ACK's first argument; null when absent. */
  public Object firstArgument() {
    JsonArray array = (JsonArray) payload;
    int index = type == Type.EVENT ? 1 : 0;
    return array.size() > index ? array.getValue(index) : null;
  }

  public String encode() {
    var text = new StringBuilder().append(type.digit());
    if (!MAIN.equals(namespace)) {
      text.append(namespace).append(',');
    }
    if (ackId >= 0) {
      text.append(ackId);
    }
    if (payload != null) {
      text.append(Json.encode(payload));
    }
    return text.toString();
  }

  /** A packet from the data of an Engine.IO message; throws when it breaks the protocol. */
  public static SocketPacket decode(String text) throws ProtocolException {
    if (text.isEmpty()) {
      throw new ProtocolException("empty Socket.IO packet");
    }
    int ordinal = text.charAt(0) - '0';
    if (ordinal < 0 || ordinal >= Type.values().length) {
      throw new ProtocolException("unknown Socket.IO packet type " + text.charAt(0));
    }
    Type type = Type.values()[ordinal];
    if (type == Type.BINARY_EVENT || type == Type.BINARY_ACK) {
      throw new ProtocolException("binary attachments are not accepted; send JSON only");
    }
    int at = 1;
    String namespace = MAIN;
    if (at < text.length() && text.charAt(at) == '/') {
      int comma = text.indexOf(',', at);
      int end = comma < 0 ? text.length() : comma;
      if (end - at > MAX_NAMESPACE) {
        throw new ProtocolException("namespace longer than " + MAX_NAMESPACE + " characters");
      }
      namespace = text.substring(at, end);
      at = comma < 0 ? end : end + 1;
    }
    int digits = at;
    while (digits < text.length() && Character.isDigit(text.charAt(digits))) {
      digits++;
    }
    if (digits - at > MAX_ACK_DIGITS) {
      throw new ProtocolException("ack id longer than " + MAX_ACK_DIGITS + " digits");
    }
    long ackId = digits > at ? Long.parseLong(text.substring(at, digits)) : -1;
    Object payload = null;
    if (digits < text.length()) {
      try {
        payload = Json.decodeValue(text.substring(digits));
      } catch (DecodeException e) {
        throw new ProtocolException("payload is not JSON");
      }
    }
    var packet = new SocketPacket(type, namespace, ackId, payload);
    packet.check();
    return packet;
  }

  private void check() throws ProtocolException {
    switch (type) {
      case CONNECT -> {
        if (payload != null && !(payload instanceof JsonObject)) {
          throw new ProtocolException("CONNECT payload must be an object");
        }
      }
      case DISCONNECT -> {
        if (payload != null) {
          throw new ProtocolException("DISCONNECT takes no payload");
        }
      }
      case EVENT -> {
        if (!(payload instanceof JsonArray array)
            || array.isEmpty()
            || !(array.getValue(0) instanceof String)) {
          throw new ProtocolException("EVENT payload must be an array starting with the name");
        }
      }
      case ACK -> {
        if (!(payload instanceof JsonArray) || ackId < 0) {
          throw new ProtocolException("ACK needs an id and an array payload");
        }
      }
      case CONNECT_ERROR -> {
        if (!(payload instanceof JsonObject)) {
          throw new ProtocolException("CONNECT_ERROR payload must be an object");
        }
      }
      default -> throw new ProtocolException("packet type " + type + " is not accepted");
    }
  }
}
