package dev.printfleet.simulator;

import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.socketio.EnginePacket;
import dev.printfleet.common.protocol.socketio.EventNames;
import dev.printfleet.common.protocol.socketio.ProtocolException;
import dev.printfleet.common.protocol.socketio.SocketPacket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One agent connection of the original system on the Socket.IO wire (PROTOCOL.md §2.5): Engine.IO 4
 * on a WebSocket, the namespace {@code /printing-ws}, the token in the CONNECT's {@code auth}, and
 * the original's event names. It turns the contract's envelopes into events and acks and back, so
 * an agent written against the envelope speaks Socket.IO unchanged. A request the gateway sends
 * with an ack becomes a request envelope; the agent's response to it becomes the ack. The agent's
 * own requests go out with ack ids, and their acks come back as responses.
 */
public final class SocketIoWire {

  /** The Engine.IO endpoint with the WebSocket transport from the start, as a forced client. */
  public static final String URI = "/socket.io/?EIO=4&transport=websocket";

  public static final String NAMESPACE = "/printing-ws";

  private static final java.util.concurrent.atomic.AtomicLong CONNECTIONS =
      new java.util.concurrent.atomic.AtomicLong();

  private final String token;

  /** Request ids of this connection's gateway requests: ack ids restart at 0 on each connection. */
  private final String idPrefix = "sio-" + CONNECTIONS.incrementAndGet() + "-";

  /** The agent's requests waiting for their ack: ack id → the envelope's id. */
  private final Map<Long, String> requestsByAck = bounded();

  /** The gateway's requests waiting for the agent's answer: the envelope's id → ack id. */
  private final Map<String, Long> acksByRequest = bounded();

  private long lastAck;

  /** Whether the gateway accepted the CONNECT: before that, anything but the CONNECT closes it. */
  private boolean joined;

  public SocketIoWire(String token) {
    this.token = token;
  }

  /**
   * Reads one text frame from the gateway: writes what the protocol answers by itself (the CONNECT
   * after the handshake, a pong) and hands the contract's messages to {@code deliver}. Returns
   * false when the gateway ended the session (a DISCONNECT, a refused CONNECT, Engine.IO's close):
   * the caller closes the connection.
   */
  public synchronized boolean read(String text, Consumer<String> write, Consumer<Envelope> deliver)
      throws ProtocolException {
    EnginePacket engine = EnginePacket.decode(text);
    switch (engine.type()) {
      case OPEN ->
          write.accept(
              message(
                  new SocketPacket(
                      SocketPacket.Type.CONNECT,
                      NAMESPACE,
                      -1,
                      new JsonObject().put("token", token))));
      case PING -> write.accept(EnginePacket.PONG.encode());
      case CLOSE -> {
        return false;
      }
      case MESSAGE -> {
        return readPacket(SocketPacket.decode(engine.data()), deliver);
      }
      default -> {
        /* PONG, UPGRADE, NOOP: nothing to do on a WebSocket from the start */
      }
    }
    return true;
  }

  private boolean readPacket(SocketPacket packet, Consumer<Envelope> deliver) {
    if (!NAMESPACE.equals(packet.namespace())) {
      return true;
    }
    switch (packet.type()) {
      case CONNECT -> joined = true;
      case CONNECT_ERROR -> {
        var payload = (JsonObject) packet.payload();
        String code =
            payload.getValue("data") instanceof JsonObject data
                    && data.getValue("code") instanceof String text
                ? text
                : "refused";
        deliver.accept(
            Envelope.event(
                Envelope.ERROR,
                new JsonObject()
                    .put("code", code)
                    .put("message", String.valueOf(payload.getValue("message")))));
        return false;
      }
      case DISCONNECT -> {
        return false;
      }
      case EVENT -> deliver.accept(event(packet));
      case ACK -> {
        String id = requestsByAck.remove(packet.ackId());
        if (id != null) {
          deliver.accept(response(id, packet.firstArgument()));
        }
      }
      default -> {
        /* binary packets never pass the decoder */
      }
    }
    return true;
  }

  private Envelope event(SocketPacket packet) {
    String type = EventNames.typeOfServerEvent(packet.eventName());
    Object argument = packet.firstArgument();
    JsonObject data =
        argument instanceof JsonObject object
            ? object
            : new JsonObject()
                .put("updates", argument instanceof JsonArray a ? a : new JsonArray());
    if (!packet.hasAck()) {
      return Envelope.event(type, data);
    }
    String id = idPrefix + packet.ackId();
    acksByRequest.put(id, packet.ackId());
    return Envelope.request(type, id, data);
  }

  private static Envelope response(String id, Object argument) {
    if (argument instanceof JsonObject object && object.getValue("error") instanceof JsonObject e) {
      return new Envelope(
          Envelope.RESPONSE,
          id,
          null,
          new Envelope.ErrorBody(e.getString("code"), e.getString("message")));
    }
    return Envelope.response(id, argument instanceof JsonObject object ? object : new JsonObject());
  }

  /**
   * The text frame carrying an envelope of the agent, or null when there is nothing to send: before
   * the gateway accepted the CONNECT (it would close the connection; a real client buffers, the
   * agent sends what it owes again at the welcome), or for a response to a request this connection
   * never received.
   */
  public synchronized String write(Envelope envelope) {
    if (!joined) {
      return null;
    }
    if (envelope.isResponse()) {
      Long ack = acksByRequest.remove(envelope.id());
      if (ack == null) {
        return null;
      }
      Object argument =
          envelope.error() == null
              ? envelope.data()
              : new JsonObject().put("error", envelope.error().toJson());
      return message(SocketPacket.ack(NAMESPACE, ack, argument));
    }
    String name = EventNames.clientEventOf(envelope.type());
    if (envelope.id() == null) {
      return message(SocketPacket.event(NAMESPACE, -1, name, envelope.data()));
    }
    long ack = ++lastAck;
    requestsByAck.put(ack, envelope.id());
    return message(SocketPacket.event(NAMESPACE, ack, name, envelope.data()));
  }

  /** A request never answered is forgotten after this many younger ones, as the agent forgets. */
  private static <K, V> Map<K, V> bounded() {
    return new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > 10_000;
      }
    };
  }

  private static String message(SocketPacket packet) {
    return EnginePacket.message(packet.encode()).encode();
  }
}
