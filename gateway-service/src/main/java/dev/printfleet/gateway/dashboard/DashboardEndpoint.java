package dev.printfleet.gateway.dashboard;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.GatewayConfig;
import dev.printfleet.gateway.connection.CloseCodes;
import dev.printfleet.gateway.connection.Connection;
import dev.printfleet.gateway.connection.ConnectionRegistry;
import dev.printfleet.gateway.connection.GatewayMetrics;
import dev.printfleet.gateway.connection.Handshake;
import dev.printfleet.gateway.fanout.RoomHub;
import dev.printfleet.gateway.fanout.RoomPolicy;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws/client}: dashboards of roles user, sre and admin join rooms and receive printer
 * statuses, job updates and agent presence. Confined to the gateway verticle's event loop.
 */
public final class DashboardEndpoint {

  private static final Logger log = LoggerFactory.getLogger(DashboardEndpoint.class);

  private final Vertx vertx;
  private final GatewayConfig config;
  private final ConnectionRegistry registry;
  private final GatewayMetrics metrics;
  private final RoomHub hub;
  private final Handshake handshake;
  private final Map<String, DashboardSession> sessions = new HashMap<>();
  private long slowClientTimer = -1;
  private boolean draining;

  public DashboardEndpoint(
      Vertx vertx,
      ServiceRuntime runtime,
      GatewayConfig config,
      ConnectionRegistry registry,
      GatewayMetrics metrics,
      RoomHub hub) {
    this.vertx = vertx;
    this.config = config;
    this.registry = registry;
    this.metrics = metrics;
    this.hub = hub;
    this.handshake =
        new Handshake(
            runtime.tokens(), Set.of(Role.USER, Role.SRE, Role.ADMIN), config.allowedOrigins());
  }

  public void start() {
    slowClientTimer = vertx.setPeriodic(1000, id -> closeStuckClients());
  }

  public void stop() {
    vertx.cancelTimer(slowClientTimer);
  }

  public void upgrade(HttpServerRequest request) {
    handshake.upgrade(request, draining, this::accept);
  }

  private void accept(Principal principal, ServerWebSocket socket) {
    if (draining) {
      // The drain began while the token was checked: this socket missed the drain's close.
      socket.close(CloseCodes.SERVICE_RESTART, "instance draining, reconnect");
      return;
    }
    socket.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, config.clientWriteQueueBytes()));
    var connection =
        new Connection(Connection.Kind.CLIENT, principal, socket, config.limits(), metrics);
    var session = new DashboardSession(connection);
    sessions.put(connection.id(), session);
    registry.add(connection);
    socket.textMessageHandler(text -> onFrame(session, text));
    socket.binaryMessageHandler(
        b -> {
          if (connection.admit("binary", System.nanoTime())) {
            connection.reject(
                null, Code.BAD_ENVELOPE, "binary frames are not accepted; send JSON text frames");
          }
        });
    socket.drainHandler(v -> session.flushBacklog(RoomHub::statusFrame));
    socket.exceptionHandler(
        e -> log.debug("Client socket error subject={}: {}", principal.subject(), e.toString()));
    socket.closeHandler(
        v -> {
          if (registry.remove(connection)) {
            sessions.remove(connection.id());
            hub.leaveAll(session);
          }
        });
    log.debug(
        "Dashboard connected subject={} company={} role={}",
        principal.subject(),
        principal.company(),
        principal.role().claim());
  }

  private void onFrame(DashboardSession session, String text) {
    Connection connection = session.connection();
    Envelope envelope;
    try {
      envelope = Envelope.parse(text);
    } catch (Envelope.ParseException e) {
      if (connection.admit(null, System.nanoTime())) {
        connection.reject(e.id(), e.code(), e.getMessage());
      }
      return;
    }
    if (!connection.admit(envelope.type(), System.nanoTime())) {
      return;
    }
    switch (envelope.type()) {
      case "subscribe" -> subscribe(session, envelope);
      case "unsubscribe" -> unsubscribe(session, envelope);
      default ->
          connection.reject(envelope.id(), Code.UNKNOWN_TYPE, "unknown type " + envelope.type());
    }
  }

  private static List<String> roomsOf(Envelope envelope) {
    if (!(envelope.data().getValue("rooms") instanceof JsonArray list) || list.isEmpty()) {
      return null;
    }
    List<String> rooms = new ArrayList<>();
    for (Object room : list) {
      if (!(room instanceof String name)) {
        return null;
      }
      rooms.add(name);
    }
    return rooms;
  }

  /**
   * All requested rooms are joined, or none: one refused room refuses the request, and so does a
   * request that would take the session past its rooms cap.
   */
  private void subscribe(DashboardSession session, Envelope request) {
    Connection connection = session.connection();
    List<String> rooms = roomsOf(request);
    if (rooms == null || rooms.size() > config.maxRoomsPerClient()) {
      connection.reject(
          request.id(),
          Code.INVALID_DATA,
          "rooms must be a list of 1 to " + config.maxRoomsPerClient() + " room names");
      return;
    }
    List<String> keys = new ArrayList<>();
    for (String room : rooms) {
      switch (RoomPolicy.join(connection.principal(), room)) {
        case RoomPolicy.Allowed allowed -> keys.add(allowed.key());
        case RoomPolicy.Refused refused -> {
          connection.reject(
              request.id(),
              refused.forbidden() ? Code.FORBIDDEN : Code.INVALID_DATA,
              refused.reason());
          return;
        }
      }
    }
    // The cap is over the session: rooms already joined do not count again, unsubscribe frees.
    Set<String> joining = new LinkedHashSet<>(keys);
    joining.removeAll(session.rooms());
    if (session.rooms().size() + joining.size() > config.maxRoomsPerClient()) {
      connection.reject(
          request.id(),
          Code.INVALID_DATA,
          "a dashboard may be in at most "
              + config.maxRoomsPerClient()
              + " rooms; it is in "
              + session.rooms().size()
              + " and asked for "
              + joining.size()
              + " more");
      return;
    }
    joining.forEach(key -> hub.join(session, key));
    if (request.id() != null) {
      connection.send(
          Envelope.response(
              request.id(), new JsonObject().put("rooms", new JsonArray(new ArrayList<>(rooms)))));
    }
  }

  private void unsubscribe(DashboardSession session, Envelope request) {
    Connection connection = session.connection();
    List<String> rooms = roomsOf(request);
    if (rooms == null) {
      connection.reject(request.id(), Code.INVALID_DATA, "rooms must be a list of room names");
      return;
    }
    List<String> left = new ArrayList<>();
    for (String room : rooms) {
      if (RoomPolicy.join(connection.principal(), room) instanceof RoomPolicy.Allowed allowed) {
        hub.leave(session, allowed.key());
        left.add(room);
      }
    }
    if (request.id() != null) {
      connection.send(
          Envelope.response(
              request.id(), new JsonObject().put("rooms", new JsonArray(new ArrayList<>(left)))));
    }
  }

  private void closeStuckClients() {
    long now = System.nanoTime();
    long limit = config.slowClientTimeout().toNanos();
    for (DashboardSession session : List.copyOf(sessions.values())) {
      if (session.behindForNanos(now) > limit) {
        log.info(
            "Closing a dashboard that cannot keep up subject={} backlog={} dropped={}",
            session.connection().principal().subject(),
            session.backlogSize(),
            session.droppedEvents());
        session.connection().close(CloseCodes.TRY_AGAIN_LATER, "too slow to receive updates");
      }
    }
  }

  public void closeAllForDrain() {
    draining = true;
    for (DashboardSession session : List.copyOf(sessions.values())) {
      session.connection().close(CloseCodes.SERVICE_RESTART, "instance draining, reconnect");
    }
  }
}
