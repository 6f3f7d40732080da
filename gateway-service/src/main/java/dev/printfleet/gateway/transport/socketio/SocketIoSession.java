package dev.printfleet.gateway.transport.socketio;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.socketio.EnginePacket;
import dev.printfleet.common.protocol.socketio.EventNames;
import dev.printfleet.common.protocol.socketio.SocketPacket;
import dev.printfleet.gateway.session.BaseSession;
import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Inbound;
import dev.printfleet.gateway.session.Outgoing;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A session of a Socket.IO client in one namespace: the contract's messages as Socket.IO events
 * (PROTOCOL.md §2.5). A request the gateway sends (a dispatch, a test print) is an event with an
 * ack id, and the ack is its response; an event the client emits with an ack id is a request, and
 * the gateway's response is sent as that ack.
 */
final class SocketIoSession extends BaseSession {

  /** Ids of the client's requests in the contract's envelope: {@code sio-<ack id>}. */
  private static final String ACK_PREFIX = "sio-";

  /**
   * Requests sent and not yet acknowledged, at most this many (a client that never acks does not
   * grow the table; the gateway's own pending requests time out on their own).
   */
  private static final int MAX_ASKED = 1_000;

  /** A request this gateway sent, waiting for its ack. */
  private record Asked(String requestId, String type, String jobId) {}

  private final EngineSocket engine;
  private final String namespace;
  private final String channelNamespace;
  private final SocketIoFormat format;
  private final Inbound inbound;
  private final Map<Long, Asked> asked =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Asked> eldest) {
          if (size() > MAX_ASKED) {
            askedByJob.remove(eldest.getValue().jobId(), eldest.getKey());
            return true;
          }
          return false;
        }
      };
  private final Map<String, Long> askedByJob = new HashMap<>();
  private long nextAck;

  SocketIoSession(
      Kind kind,
      Principal principal,
      EngineSocket engine,
      String namespace,
      String channelNamespace,
      SocketIoFormat format,
      Inbound inbound,
      Limits limits,
      GatewayMetrics metrics) {
    super(kind, Protocol.SOCKETIO, principal, limits, metrics);
    this.engine = engine;
    this.namespace = namespace;
    this.channelNamespace = channelNamespace;
    this.format = format;
    this.inbound = inbound;
  }

  /** Its Socket.IO namespace, {@code /printing-ws} or {@code /orders}, ... */
  String namespace() {
    return namespace;
  }

  @Override
  public String channelNamespace() {
    return channelNamespace;
  }

  @Override
  public boolean compressed() {
    return false;
  }

  @Override
  public boolean writeQueueFull() {
    return !isClosed() && engine.behind();
  }

  @Override
  protected void write(Outgoing message) {
    Envelope envelope = message.envelope();
    if (envelope.isResponse()) {
      answer(envelope);
    } else if (envelope.id() != null) {
      ask(envelope);
    } else {
      engine.sendEncoded(message.encoded(format));
    }
  }

  /** A response to one of the client's requests goes back as the ack of its event. */
  private void answer(Envelope response) {
    String id = response.id();
    if (id == null || !id.startsWith(ACK_PREFIX)) {
      // Not a request of this client (cannot happen for a response this session asked for).
      return;
    }
    long ackId = Long.parseLong(id.substring(ACK_PREFIX.length()));
    Object argument =
        response.error() != null
            ? new JsonObject().put("error", response.error().toJson())
            : response.data();
    send(SocketPacket.ack(namespace, ackId, argument));
  }

  /** A request to the client: an event with an ack id. */
  private void ask(Envelope request) {
    long ackId = nextAck++;
    String jobId = request.data() == null ? null : request.data().getString("jobId");
    asked.put(ackId, new Asked(request.id(), request.type(), jobId));
    if (jobId != null) {
      askedByJob.put(jobId, ackId);
    }
    send(SocketIoFormat.event(namespace, ackId, request));
  }

  private void send(SocketPacket packet) {
    engine.send(EnginePacket.message(packet.encode()));
  }

  /** A packet that broke the Socket.IO protocol after the CONNECT: refused as a bad envelope. */
  void refuse(String problem) {
    if (admit(null, System.nanoTime())) {
      reject(null, Envelope.Code.BAD_ENVELOPE, problem);
    }
  }

  /** A Socket.IO packet of this namespace, after the CONNECT. */
  void received(SocketPacket packet) {
    switch (packet.type()) {
      case EVENT -> event(packet);
      case ACK -> acked(packet.ackId(), packet.firstArgument());
      default -> {
        if (admit(null, System.nanoTime())) {
          reject(null, Envelope.Code.BAD_ENVELOPE, "unexpected " + packet.type() + " packet");
        }
      }
    }
  }

  private void event(SocketPacket packet) {
    String name = packet.eventName();
    String id = packet.hasAck() ? ACK_PREFIX + packet.ackId() : null;
    Object argument = packet.firstArgument();
    if (argument != null && !(argument instanceof JsonObject)) {
      inbound.malformed(
          this,
          new Envelope.ParseException(
              Envelope.Code.BAD_ENVELOPE, "the event's argument must be a JSON object", id));
      return;
    }
    JsonObject data = argument == null ? new JsonObject() : (JsonObject) argument;
    if (EventNames.PRINT_JOB_ACK.equals(name)) {
      // Read without getString: a jobId that is not a string must not throw on the event loop.
      Long ackId = data.getValue("jobId") instanceof String jobId ? askedByJob.get(jobId) : null;
      if (ackId == null) {
        inbound.receive(this, new Envelope(Envelope.RESPONSE, null, data, null));
      } else {
        acked(ackId, data);
      }
      return;
    }
    inbound.receive(this, new Envelope(EventNames.typeOf(name), id, data, null));
  }

  /**
   * The client's ack of a request: its response. The original agents report a job's outcome in the
   * ack ({@code status}: {@code printed} or {@code failed}); that is the job's result too.
   */
  private void acked(long ackId, Object argument) {
    Asked request = asked.remove(ackId);
    if (request == null) {
      // Answered already, or never asked: the table reads it as a response nothing waits for.
      inbound.receive(this, new Envelope(Envelope.RESPONSE, null, new JsonObject(), null));
      return;
    }
    if (request.jobId() != null) {
      askedByJob.remove(request.jobId(), ackId);
    }
    JsonObject data = argument instanceof JsonObject object ? object : new JsonObject();
    Envelope response;
    if (data.getValue("error") instanceof JsonObject error) {
      response =
          new Envelope(
              Envelope.RESPONSE,
              request.requestId(),
              new JsonObject(),
              new Envelope.ErrorBody(
                  String.valueOf(error.getValue("code", "agent_error")),
                  String.valueOf(error.getValue("message", ""))));
    } else {
      response = Envelope.response(request.requestId(), data);
    }
    inbound.receive(this, response);
    String status = data.getValue("status") instanceof String s ? s : null;
    if ("job.dispatch".equals(request.type())
        && response.error() == null
        && ("printed".equals(status) || "failed".equals(status))) {
      var result = new JsonObject().put("jobId", request.jobId()).put("outcome", status);
      if (data.getValue("error") instanceof String error) {
        result.put("error", error);
      }
      inbound.receive(this, Envelope.event("job.result", result));
    }
  }

  @Override
  protected void closeTransport(short code, String reason) {
    if (code == CloseCodes.REPLACED
        || code == CloseCodes.TOKEN_EXPIRED
        || code == CloseCodes.POLICY_VIOLATION) {
      // The client must not come back by itself: a DISCONNECT stops its reconnection.
      send(
          SocketPacket.event(
              namespace,
              -1,
              "disconnectReason",
              new JsonObject().put("code", code).put("reason", reason)));
      send(SocketPacket.disconnect(namespace));
    }
    // Otherwise (drain, ping timeout, too slow) the transport closes and the client reconnects.
    engine.close(reason);
  }

  @Override
  protected void ping() {
    engine.send(EnginePacket.PING);
  }
}
