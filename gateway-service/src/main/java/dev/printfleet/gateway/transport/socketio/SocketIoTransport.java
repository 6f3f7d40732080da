package dev.printfleet.gateway.transport.socketio;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.TokenVerifier;
import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.protocol.socketio.EnginePacket;
import dev.printfleet.common.protocol.socketio.ProtocolException;
import dev.printfleet.common.protocol.socketio.SocketPacket;
import dev.printfleet.common.web.Replies;
import dev.printfleet.gateway.fanout.RoomPolicy;
import dev.printfleet.gateway.session.Endpoint;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Session;
import dev.printfleet.gateway.session.SessionRegistry;
import dev.printfleet.gateway.session.UserConnections;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Socket.IO (protocol 5 over Engine.IO 4) at {@code /socket.io/}: the clients of the system
 * printfleet replaces connect unchanged (PROTOCOL.md §2.5). The namespace {@code /printing-ws}
 * serves agents and dashboards alike, each by the role of its token: a session there is an agent or
 * a dashboard session as on {@code /ws/agent} and {@code /ws/client}; each other channel namespace
 * ({@code /orders}, {@code /availability}) serves dashboards, in sessions of their own on the same
 * connection. Long polling and WebSocket, and the upgrade from one to the other; binary packets are
 * refused.
 */
public final class SocketIoTransport {

  public static final String PATH = "/socket.io/";
  public static final String NAMESPACE = "/printing-ws";

  /** One format for every Socket.IO session of the node: a message is encoded once. */
  private static final SocketIoFormat FORMAT = new SocketIoFormat(NAMESPACE, false);

  /** The formats of the channel namespaces, one each for the node. */
  private static final Map<String, SocketIoFormat> CHANNEL_FORMATS = new ConcurrentHashMap<>();

  /**
   * Packets one polling request may carry: a client buffers its emits while a POST is under way and
   * sends them together; each counts against the rate limit as on a WebSocket, and the body is
   * bounded by the message limit.
   */
  private static final int MAX_PACKETS_PER_POST = 1_000;

  /** A polling body before the connection joined a namespace: a CONNECT with its token. */
  private static final int MAX_UNJOINED_POST = 16 * 1024;

  /** CONNECT packets a connection may send before one is accepted; one more closes it. */
  private static final int MAX_CONNECT_ATTEMPTS = 3;

  /** CONNECT packets one connection may send in all (joins, leaves and joins again). */
  private static final int MAX_CONNECTS = 64;

  private static final Logger log = LoggerFactory.getLogger(SocketIoTransport.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Engine.IO's own timings and limits, as the handshake announces them. */
  public record Settings(
      Duration pingInterval, Duration pingTimeout, long maxPayload, Duration connectTimeout) {}

  private final Vertx vertx;
  private final OnEventLoop loop;
  private final SessionRegistry registry;
  private final Session.Limits limits;
  private final GatewayMetrics metrics;
  private final EngineSockets sockets;
  private final Settings settings;

  /**
   * A namespace served over Socket.IO: {@code /printing-ws} (printfleet's own events, agents and
   * dashboards), and one per channel namespace, {@code /orders}, {@code /availability}, ...
   * (dashboards only; their channel messages are events named by the publisher).
   */
  private record Space(String name, String channels, SocketIoFormat format) {}

  /** By Socket.IO namespace. */
  private final Map<String, Space> spaces = new HashMap<>();

  public SocketIoTransport(
      Vertx vertx,
      OnEventLoop loop,
      SessionRegistry registry,
      Session.Limits limits,
      GatewayMetrics metrics,
      EngineSockets sockets,
      Settings settings,
      Set<String> channelNamespaces) {
    this.vertx = vertx;
    this.loop = loop;
    this.registry = registry;
    this.limits = limits;
    this.metrics = metrics;
    this.sockets = sockets;
    this.settings = settings;
    spaces.put(NAMESPACE, new Space(NAMESPACE, RoomPolicy.PRINTING, FORMAT));
    for (String channels : channelNamespaces) {
      if (!channels.equals(RoomPolicy.PRINTING)) {
        String name = "/" + channels;
        spaces.put(
            name,
            new Space(
                name,
                channels,
                CHANNEL_FORMATS.computeIfAbsent(name, n -> new SocketIoFormat(n, true))));
      }
    }
  }

  /** The request handler of {@link #PATH}: agents and dashboards, by their token's role. */
  public Handler<HttpServerRequest> serving(Endpoint agents, Endpoint dashboards) {
    return request -> handle(request, agents, dashboards);
  }

  private void handle(HttpServerRequest request, Endpoint agents, Endpoint dashboards) {
    if (!"4".equals(request.getParam("EIO"))) {
      refuse(request, 400, "EIO=4 is required (Engine.IO 4: Socket.IO v3 and v4 clients)");
      return;
    }
    String transport = request.getParam("transport");
    String sid = request.getParam("sid");
    boolean upgrade = "websocket".equalsIgnoreCase(request.getHeader("Upgrade"));
    if (!upgrade && !allowCrossOrigin(request, dashboards)) {
      return;
    }
    if ("websocket".equals(transport) && upgrade) {
      if (sid == null) {
        handshake(request, agents, dashboards, true);
      } else {
        probe(request, sid);
      }
    } else if ("polling".equals(transport) && !upgrade) {
      if (sid == null) {
        if (request.method() == HttpMethod.GET) {
          handshake(request, agents, dashboards, false);
        } else {
          refuse(request, 400, "a polling session starts with a GET");
        }
      } else {
        poll(request, sid);
      }
    } else {
      refuse(request, 400, "transport must be polling, or websocket with an upgrade");
    }
  }

  /**
   * CORS for a browser dashboard polling from another origin: a request with an allowed Origin
   * (any, when PRINTFLEET_ALLOWED_ORIGINS is not set) may read its answer, and a preflight is
   * answered here (false: the request is done). No credentials: the token travels in the CONNECT
   * (or the Authorization header), never in a cookie.
   */
  private static boolean allowCrossOrigin(HttpServerRequest request, Endpoint dashboards) {
    String origin = request.getHeader("Origin");
    var response = request.response();
    if (origin != null) {
      // The answer depends on the Origin whether it is allowed or not: caches must keep them apart.
      response.putHeader("Vary", "Origin");
      if (dashboards.admission().allowsOrigin(origin)) {
        response.putHeader("Access-Control-Allow-Origin", origin);
      }
    }
    if (request.method() != HttpMethod.OPTIONS) {
      return true;
    }
    if (response.headers().contains("Access-Control-Allow-Origin")) {
      response
          .putHeader("Access-Control-Allow-Methods", "GET, POST")
          .putHeader("Access-Control-Allow-Headers", "Authorization, Content-Type")
          .putHeader("Access-Control-Max-Age", "600");
    }
    response.setStatusCode(204).end();
    return false;
  }

  private void handshake(
      HttpServerRequest request, Endpoint agents, Endpoint dashboards, boolean websocket) {
    if (agents.draining()) {
      refuse(request, 503, "gateway is draining, connect again");
      return;
    }
    String sid = newSid();
    var connection =
        new Connection(
            agents,
            dashboards,
            TokenVerifier.tokenOf(request).orElse(null),
            request.getHeader("Origin"));
    var engine =
        new EngineSocket(vertx, sid, loop, agents.writeQueueBytes(), () -> sockets.remove(sid));
    connection.engine = engine;
    engine.listen(connection);
    if (!sockets.add(engine)) {
      refuse(request, 503, "too many connections waiting to join a namespace, connect again");
      return;
    }
    long timer =
        vertx.setTimer(
            settings.connectTimeout().toMillis(),
            id -> {
              if (!connection.hasJoined()) {
                engine.close("no namespace joined within " + settings.connectTimeout());
              }
            });
    connection.connectTimer = timer;
    String open = openPacket(sid, websocket).encode();
    if (websocket) {
      request
          .toWebSocket()
          .onSuccess(
              socket -> {
                engine.openedOn(socket);
                engine.send(new EnginePacket(EnginePacket.Type.OPEN, open));
              })
          .onFailure(e -> engine.close("upgrade failed: " + e.getMessage()));
    } else {
      request
          .response()
          .putHeader("Content-Type", "text/plain; charset=UTF-8")
          .end(EnginePacket.Type.OPEN.digit() + open);
    }
  }

  private JsonObject openPacket(String sid, boolean websocket) {
    return new JsonObject()
        .put("sid", sid)
        .put("upgrades", websocket ? new JsonArray() : new JsonArray().add("websocket"))
        .put("pingInterval", settings.pingInterval().toMillis())
        .put("pingTimeout", settings.pingTimeout().toMillis())
        .put("maxPayload", settings.maxPayload());
  }

  private void probe(HttpServerRequest request, String sid) {
    EngineSocket engine = sockets.get(sid);
    if (engine == null) {
      refuse(request, 400, "unknown sid");
      return;
    }
    request
        .toWebSocket()
        .onSuccess(engine::probe)
        .onFailure(e -> log.debug("Upgrade of sid={} failed: {}", sid, e.toString()));
  }

  private void poll(HttpServerRequest request, String sid) {
    EngineSocket engine = sockets.get(sid);
    if (engine == null) {
      refuse(request, 400, "unknown sid");
      return;
    }
    if (request.method() == HttpMethod.GET) {
      var response = request.response();
      // Set here, on the request's own loop, before its connection can close unseen.
      response.closeHandler(v -> engine.loop().execute(() -> engine.pollGone(response)));
      engine.loop().execute(() -> engine.poll(response));
      return;
    }
    if (request.method() != HttpMethod.POST) {
      refuse(request, 400, "polling takes GET and POST");
      return;
    }
    if (!engine.startPost(request.getHeader("Origin"))) {
      // One POST at a time, as Engine.IO's own server: an overlap is a broken or hostile peer.
      engine.loop().execute(() -> engine.close("two posts at once"));
      refuse(request, 400, "one POST at a time");
      return;
    }
    long max = engine.isJoined() ? settings.maxPayload() : MAX_UNJOINED_POST;
    String length = request.getHeader("Content-Length");
    if (length != null && parseLength(length) > max) {
      tooLarge(request, engine, max);
      return;
    }
    Buffer body = Buffer.buffer();
    request.exceptionHandler(e -> engine.postFailed());
    request.handler(
        chunk -> {
          if (body.length() + chunk.length() > max) {
            request.handler(null);
            tooLarge(request, engine, max);
          } else {
            body.appendBuffer(chunk);
          }
        });
    request.endHandler(
        v -> {
          if (body.length() > max || request.response().ended()) {
            return;
          }
          engine.loop().execute(() -> engine.posted(body.toString(), MAX_PACKETS_PER_POST));
          request.response().putHeader("Content-Type", "text/html; charset=UTF-8").end("ok");
        });
  }

  private static long parseLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private void tooLarge(HttpServerRequest request, EngineSocket engine, long max) {
    engine.postFailed();
    engine.loop().execute(() -> engine.close("message larger than " + max));
    if (request.version() != HttpVersion.HTTP_2) {
      // The rest of the body is not read: the connection cannot carry another request.
      request.response().putHeader("Connection", "close");
    }
    Replies.error(
        request.response(),
        413,
        "too_big",
        "a polling request may carry at most " + max + " bytes",
        null);
  }

  private static String newSid() {
    byte[] bytes = new byte[15];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void refuse(HttpServerRequest request, int status, String message) {
    Replies.error(
        request.response(), status, status == 503 ? "unavailable" : "bad_request", message, null);
  }

  /** One Socket.IO namespace a connection joined: its session, endpoint and connection lease. */
  private record Joined(SocketIoSession session, Endpoint endpoint, UserConnections.Lease lease) {}

  /**
   * One Engine.IO connection's Socket.IO side: its CONNECTs, one checked at a time, then a session
   * per namespace joined (a client multiplexes {@code /orders} and {@code /availability} on one
   * connection).
   */
  private final class Connection implements EngineSocket.Listener {

    private final Endpoint agents;
    private final Endpoint dashboards;
    private final String headerToken;
    private final String origin;
    private EngineSocket engine;
    private long connectTimer = -1;
    private int refusedConnects;
    private int connects;
    private boolean waitingForConnect = true;
    private final Map<String, Joined> joined = new LinkedHashMap<>();

    /** The CONNECT being checked, or null; the ones that came meanwhile wait behind it. */
    private SocketPacket connecting;

    private final ArrayDeque<SocketPacket> waitingConnects = new ArrayDeque<>();
    private Endpoint connectingEndpoint;
    private volatile UserConnections.Lease connectingLease = UserConnections.Lease.NONE;

    Connection(Endpoint agents, Endpoint dashboards, String headerToken, String origin) {
      this.agents = agents;
      this.dashboards = dashboards;
      this.headerToken = headerToken;
      this.origin = origin;
    }

    boolean hasJoined() {
      return !joined.isEmpty();
    }

    /** Any session of the connection: the one that answers what belongs to none. */
    private SocketIoSession anySession() {
      return joined.values().iterator().next().session();
    }

    @Override
    public void message(String data) {
      SocketPacket packet;
      try {
        packet = SocketPacket.decode(data);
      } catch (ProtocolException e) {
        if (joined.isEmpty()) {
          engine.close(e.getMessage());
        } else {
          anySession().refuse(e.getMessage());
        }
        return;
      }
      if (packet.type() == SocketPacket.Type.CONNECT && joiningOrJoined(packet.namespace())) {
        // Whether the first one was admitted already (its checks can all answer at once) or is
        // still checked, the same answer (Socket.IO's own server closes on a joined one).
        engine.close("a second CONNECT to " + packet.namespace());
        return;
      }
      Joined in = joined.get(packet.namespace());
      if (in != null) {
        if (packet.type() == SocketPacket.Type.DISCONNECT) {
          // Always honoured (a client that left must be able to come back); joining again is
          // what costs the rate, and MAX_CONNECTS bounds the cycles.
          leave(in, "client namespace disconnect");
        } else {
          in.session().received(packet);
        }
        return;
      }
      if (packet.type() != SocketPacket.Type.CONNECT) {
        if (joined.isEmpty()) {
          engine.close("the first packet must be a CONNECT");
        } else {
          // A packet of a namespace not joined: counted against the rate limit, and dropped.
          anySession().admit(null, System.nanoTime());
        }
        return;
      }
      if (!joined.isEmpty() && !anySession().admit(null, System.nanoTime())) {
        if (!engine.isClosed()) {
          engine.send(
              connectError(
                  packet.namespace(), "too many packets; connect again later", "rate_limited"));
        }
        return;
      }
      if (++connects > MAX_CONNECTS) {
        engine.close("more than " + MAX_CONNECTS + " CONNECT packets on one connection");
        return;
      }
      if (connecting != null) {
        // A client joining several namespaces sends their CONNECTs together: one per namespace.
        if (waitingConnects.size() >= spaces.size()) {
          engine.close("more CONNECT packets at once than namespaces");
          return;
        }
        waitingConnects.add(packet);
        return;
      }
      connect(packet);
    }

    private boolean joiningOrJoined(String namespace) {
      return joined.containsKey(namespace)
          || connecting != null && connecting.namespace().equals(namespace)
          || waitingConnects.stream().anyMatch(waiting -> waiting.namespace().equals(namespace));
    }

    /**
     * The next CONNECT that waited, once the one before it is answered; with none left and no
     * namespace joined any more (the client left its last one meanwhile), the connection ends.
     */
    private void nextConnect() {
      if (connecting != null || engine.isClosed()) {
        return;
      }
      if (!waitingConnects.isEmpty()) {
        connect(waitingConnects.poll());
      } else if (joined.isEmpty() && !waitingForConnect) {
        engine.close("client namespace disconnect");
      }
    }

    /** The same token holder: company, sub and role (an agent's sub is no user's). */
    private static boolean sameUser(Principal first, Principal next) {
      return first.company().equals(next.company())
          && first.subject().equals(next.subject())
          && first.role() == next.role();
    }

    private void refuseConnect(String namespace, String message, String code) {
      refusedConnects++;
      engine.send(connectError(namespace, message, code));
      nextConnect();
    }

    private void connect(SocketPacket packet) {
      if (refusedConnects >= MAX_CONNECT_ATTEMPTS) {
        engine.close("too many refused CONNECT packets");
        return;
      }
      Space space = spaces.get(packet.namespace());
      if (space == null) {
        refuseConnect(packet.namespace(), "Invalid namespace", "not_found");
        return;
      }
      JsonObject auth = packet.payload() instanceof JsonObject object ? object : new JsonObject();
      String token = auth.getValue("token") instanceof String t ? t : headerToken;
      if (token == null || token.isBlank()) {
        refuseConnect(
            space.name(),
            "no token: pass it as auth.token, the Authorization header or access_token",
            "unauthorized");
        return;
      }
      connecting = packet;
      // Read on the loop, checked once the token is: the namespaces of a connection are one user's.
      Principal first = joined.isEmpty() ? null : anySession().principal();
      agents
          .admission()
          .verify(token)
          .compose(
              principal -> {
                if (first != null && !sameUser(first, principal)) {
                  return Future.failedFuture(
                      AuthException.forbidden(
                          "one connection carries the namespaces of one user; open another connection"));
                }
                boolean agent = agents.admission().serves(principal.role());
                if (agent && !space.channels().equals(RoomPolicy.PRINTING)) {
                  return Future.failedFuture(
                      AuthException.forbidden(
                          "agents connect to " + NAMESPACE + ", not to " + space.name()));
                }
                connectingEndpoint = agent ? agents : dashboards;
                String posted = engine.postOrigin();
                return connectingEndpoint
                    .admission()
                    .check(principal, posted != null ? posted : origin);
              })
          .compose(
              principal ->
                  connectingEndpoint
                      .reserve(principal)
                      .map(
                          held -> {
                            connectingLease = held;
                            return principal;
                          }))
          .onComplete(
              result -> loop.execute(() -> admitted(space, result.result(), result.cause())));
    }

    private void admitted(Space space, Principal principal, Throwable failure) {
      connecting = null;
      Endpoint endpoint = connectingEndpoint;
      UserConnections.Lease lease = connectingLease;
      connectingLease = UserConnections.Lease.NONE;
      if (engine.isClosed()) {
        lease.release();
        return;
      }
      if (failure instanceof UserConnections.TooManyConnections refused) {
        metrics.userLimitRefused();
        log.debug("Socket.IO connection refused: {}", refused.getMessage());
        refuseConnect(space.name(), refused.getMessage(), "too_many_connections");
        return;
      }
      if (failure != null) {
        AuthException auth =
            failure instanceof AuthException a ? a : AuthException.unauthorized("invalid token");
        log.debug("Socket.IO connection refused code={}: {}", auth.code(), auth.getMessage());
        refuseConnect(space.name(), auth.getMessage(), auth.code());
        return;
      }
      if (endpoint.draining()) {
        // Not a CONNECT_ERROR: clients take it as final. A closed transport they reconnect.
        lease.release();
        engine.close("draining");
        return;
      }
      if (joined.isEmpty()) {
        vertx.cancelTimer(connectTimer);
        stopWaiting();
        engine.joined(endpoint.writeQueueBytes());
      }
      var session =
          new SocketIoSession(
              endpoint.kind(),
              principal,
              engine,
              space.name(),
              space.channels(),
              space.format(),
              endpoint.inbound(),
              limits,
              metrics);
      joined.put(space.name(), new Joined(session, endpoint, lease));
      registry.add(session);
      engine.send(
          EnginePacket.message(SocketPacket.connected(space.name(), session.id()).encode()));
      endpoint.opened(session);
      nextConnect();
    }

    /**
     * The client left one namespace: its session ends; leaving the last one ends the connection.
     */
    private void leave(Joined in, String reason) {
      if (joined.size() == 1 && connecting == null && waitingConnects.isEmpty()) {
        engine.close(reason);
        return;
      }
      joined.remove(in.session().namespace());
      end(in, reason);
    }

    private void end(Joined in, String reason) {
      in.lease().release();
      in.session().markClosed((short) 0);
      if (registry.remove(in.session())) {
        log.debug(
            "Socket.IO session ended subject={} namespace={}: {}",
            in.session().principal().subject(),
            in.session().namespace(),
            reason);
        in.endpoint().closed(in.session());
      }
    }

    private void stopWaiting() {
      if (waitingForConnect) {
        waitingForConnect = false;
        sockets.stoppedWaiting();
      }
    }

    @Override
    public void writable() {
      for (Joined in : List.copyOf(joined.values())) {
        in.endpoint().writable(in.session());
      }
    }

    @Override
    public void pong() {
      long now = System.nanoTime();
      joined.values().forEach(in -> in.session().pong(now));
    }

    @Override
    public void closed(String reason) {
      vertx.cancelTimer(connectTimer);
      stopWaiting();
      waitingConnects.clear();
      // A lease taken while a CONNECT was checked is given back when it lands (admitted).
      connectingLease.release();
      List<Joined> all = List.copyOf(joined.values());
      joined.clear();
      all.forEach(in -> end(in, reason));
    }
  }

  private static EnginePacket connectError(String namespace, String message, String code) {
    return EnginePacket.message(
        SocketPacket.connectError(namespace, message, new JsonObject().put("code", code)).encode());
  }
}
