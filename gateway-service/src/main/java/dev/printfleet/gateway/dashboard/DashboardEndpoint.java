package dev.printfleet.gateway.dashboard;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.GatewayConfig;
import dev.printfleet.gateway.channels.ChannelHistory;
import dev.printfleet.gateway.channels.ChannelPresence;
import dev.printfleet.gateway.channels.Offset;
import dev.printfleet.gateway.fanout.RoomHub;
import dev.printfleet.gateway.fanout.RoomPolicy;
import dev.printfleet.gateway.fanout.Subscriber;
import dev.printfleet.gateway.session.Admission;
import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.Endpoint;
import dev.printfleet.gateway.session.Inbound;
import dev.printfleet.gateway.session.Session;
import dev.printfleet.gateway.session.UserConnections;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
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
 * Dashboards (roles user, sre and admin) on one event loop: they join rooms and receive printer
 * statuses, job updates and agent presence. Works on sessions, whatever their transport. Confined
 * to the gateway verticle's event loop.
 */
public final class DashboardEndpoint implements Endpoint {

  private static final Logger log = LoggerFactory.getLogger(DashboardEndpoint.class);

  private final Vertx vertx;
  private final GatewayConfig config;
  private final RoomHub hub;
  private final Admission admission;
  private final UserConnections connections;
  private final ChannelHistory history;
  private final ChannelPresence presence;

  /** Rooms one subscribe may recover at once (PROTOCOL.md §6). */
  static final int MAX_RECOVERED_ROOMS = 10;

  private final Inbound inbound =
      Inbound.handling()
          .on("subscribe", this::subscribe)
          .on("unsubscribe", this::unsubscribe)
          .build();
  private final Map<Session, Subscriber> subscribers = new HashMap<>();

  /** Each session's presence member ({@link ChannelPresence#member}), made once per session. */
  private final Map<Session, String> presenceMembers = new HashMap<>();

  private long slowClientTimer = -1;
  private boolean draining;

  public DashboardEndpoint(
      Vertx vertx,
      ServiceRuntime runtime,
      GatewayConfig config,
      RoomHub hub,
      UserConnections connections,
      ChannelHistory history,
      ChannelPresence presence) {
    this.vertx = vertx;
    this.history = history;
    this.presence = presence;
    this.config = config;
    this.hub = hub;
    this.connections = connections;
    this.admission =
        new Admission(
            runtime.tokens(), Set.of(Role.USER, Role.SRE, Role.ADMIN), config.allowedOrigins());
  }

  public void start() {
    slowClientTimer = vertx.setPeriodic(1000, id -> closeStuckClients());
  }

  public void stop() {
    vertx.cancelTimer(slowClientTimer);
  }

  @Override
  public Session.Kind kind() {
    return Session.Kind.DASHBOARD;
  }

  @Override
  public Admission admission() {
    return admission;
  }

  /** At most PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER sockets per user, across the cluster. */
  @Override
  public io.vertx.core.Future<UserConnections.Lease> reserve(
      dev.printfleet.common.auth.Principal principal) {
    return connections.acquire(principal);
  }

  @Override
  public boolean draining() {
    return draining;
  }

  @Override
  public long writeQueueBytes() {
    return config.clientWriteQueueBytes();
  }

  @Override
  public Inbound inbound() {
    return inbound;
  }

  @Override
  public void opened(Session session) {
    subscribers.put(session, new Subscriber(session));
    presenceMembers.put(session, ChannelPresence.member(session));
    var principal = session.principal();
    log.debug(
        "Dashboard connected subject={} company={} role={}",
        principal.subject(),
        principal.company(),
        principal.role().claim());
  }

  @Override
  public void writable(Session session) {
    var subscriber = subscribers.get(session);
    if (subscriber != null) {
      subscriber.flushBacklog(RoomHub::statusMessage);
    }
  }

  @Override
  public void closed(Session session) {
    var subscriber = subscribers.remove(session);
    String member = presenceMembers.remove(session);
    if (subscriber != null) {
      subscriber.rooms().forEach(room -> presence.leave(member, room));
      hub.leaveAll(subscriber);
    }
  }

  /**
   * All requested rooms are joined, or none: one refused room refuses the request, and so does a
   * request that would take the session past its rooms cap.
   */
  private void subscribe(Session session, Envelope request) {
    var subscriber = subscribers.get(session);
    List<String> rooms;
    try {
      rooms = DashboardMessages.rooms(request.plainData(), config.maxRoomsPerClient());
    } catch (DashboardMessages.Invalid e) {
      session.reject(request.id(), Code.INVALID_DATA, e.getMessage());
      return;
    }
    Map<String, Offset> since;
    try {
      since = DashboardMessages.since(request.plainData(), rooms, MAX_RECOVERED_ROOMS);
    } catch (DashboardMessages.Invalid e) {
      session.reject(request.id(), Code.INVALID_DATA, e.getMessage());
      return;
    }
    if (subscriber.recoveringRooms() + since.size() > MAX_RECOVERED_ROOMS) {
      session.reject(
          request.id(),
          Code.INVALID_DATA,
          "at most "
              + MAX_RECOVERED_ROOMS
              + " rooms may be recovered at once; "
              + subscriber.recoveringRooms()
              + " are under way");
      return;
    }
    List<String> keys = new ArrayList<>();
    Map<String, RoomPolicy.Allowed> allowedRooms = new HashMap<>();
    for (String room : rooms) {
      switch (config.channels().join(session.principal(), qualified(session, room))) {
        case RoomPolicy.Allowed allowed -> {
          keys.add(allowed.key());
          allowedRooms.put(room, allowed);
        }
        case RoomPolicy.Refused refused -> {
          session.reject(
              request.id(),
              refused.forbidden() ? Code.FORBIDDEN : Code.INVALID_DATA,
              refused.reason());
          return;
        }
      }
    }
    for (String room : since.keySet()) {
      if (subscriber.rooms().contains(allowedRooms.get(room).key())) {
        session.reject(
            request.id(),
            Code.INVALID_DATA,
            "since is for a room this connection is not in yet; it is in " + room);
        return;
      }
    }
    // The cap is over the session: rooms already joined do not count again, unsubscribe frees.
    Set<String> joining = new LinkedHashSet<>(keys);
    joining.removeAll(subscriber.rooms());
    if (subscriber.rooms().size() + joining.size() > config.maxRoomsPerClient()) {
      session.reject(
          request.id(),
          Code.INVALID_DATA,
          "a dashboard may be in at most "
              + config.maxRoomsPerClient()
              + " rooms; it is in "
              + subscriber.rooms().size()
              + " and asked for "
              + joining.size()
              + " more");
      return;
    }
    joining.forEach(key -> hub.join(subscriber, key));
    Future<JsonObject> counted = presence(subscriber, rooms, joining, allowedRooms);
    if (since.isEmpty()) {
      counted.onComplete(counts -> answer(session, request, rooms, null, counts.result()));
      return;
    }
    recover(session, subscriber, request, rooms, since, allowedRooms, counted);
  }

  /**
   * The session is present in the rooms this request joined (PROTOCOL.md §6): per room, how many
   * connections are in it across the cluster, this one counted; a room Redis did not answer for in
   * time is left out. Never fails. A room left (or a session closed) before Redis answered is left
   * again after, so no presence outlives its connection.
   */
  private Future<JsonObject> presence(
      Subscriber subscriber,
      List<String> rooms,
      Set<String> joining,
      Map<String, RoomPolicy.Allowed> allowedRooms) {
    var loop = vertx.getOrCreateContext();
    var session = subscriber.session();
    String member = presenceMembers.get(session);
    var counts = new JsonObject();
    List<Future<?>> joins = new ArrayList<>();
    Set<String> asked = new java.util.HashSet<>();
    for (String room : rooms) {
      String key = allowedRooms.get(room).key();
      if (!joining.contains(key) || !asked.add(key)) {
        continue;
      }
      Promise<Void> joined = Promise.promise();
      presence
          .join(member, key)
          .onComplete(
              count ->
                  loop.runOnContext(
                      v -> {
                        if (session.isClosed() || !subscriber.rooms().contains(key)) {
                          presence.leave(member, key);
                        } else if (count.succeeded()) {
                          counts.put(room, count.result());
                        }
                        joined.complete();
                      }));
      joins.add(joined.future());
    }
    return Future.join(joins).map(counts);
  }

  /**
   * PROTOCOL.md §6: the rooms subscribed with an offset get what they missed from their history, in
   * order and once, then their live messages, which wait meanwhile. The answer tells, per room,
   * whether everything after the offset was still there. At most {@link #MAX_RECOVERED_ROOMS} rooms
   * recovered at once per dashboard; their first pages are read together.
   */
  private void recover(
      Session session,
      Subscriber subscriber,
      Envelope request,
      List<String> rooms,
      Map<String, Offset> since,
      Map<String, RoomPolicy.Allowed> allowedRooms,
      Future<JsonObject> counted) {
    var loop = vertx.getOrCreateContext();
    Map<String, ChannelRecovery> recoveries = new java.util.LinkedHashMap<>();
    Map<String, Boolean> recovered = new java.util.LinkedHashMap<>();
    since.forEach(
        (room, offset) -> {
          RoomPolicy.Allowed allowed = allowedRooms.get(room);
          RoomPolicy.Channel channel = RoomPolicy.Channel.of(allowed.channel());
          if (channel.namespace().equals(RoomPolicy.PRINTING) && !config.printingHistory().kept()) {
            // PRINTFLEET_PRINTING_HISTORY_SIZE=0: printfleet's own events are not kept.
            recovered.put(room, false);
          } else {
            recoveries.put(
                room,
                new ChannelRecovery(
                    loop,
                    history,
                    subscriber,
                    allowed,
                    RoomPolicy.owner(session.principal().company(), channel),
                    offset));
          }
        });
    List<Future<?>> reads = new ArrayList<>();
    recoveries.forEach(
        (room, recovery) -> reads.add(recovery.start().onSuccess(ok -> recovered.put(room, ok))));
    reads.add(counted);
    Future.join(reads)
        .onComplete(
            done -> {
              var answer = new JsonObject();
              since.keySet().forEach(room -> answer.put(room, recovered.getOrDefault(room, false)));
              answer(session, request, rooms, answer, counted.result());
              recoveries.forEach(
                  (room, recovery) -> {
                    try {
                      recovery.resume();
                    } catch (RuntimeException e) {
                      log.warn("Recovery of a room failed room={}", room, e);
                      subscriber.forget(allowedRooms.get(room).key());
                      session.close(
                          CloseCodes.TRY_AGAIN_LATER, "recovery failed; reconnect with since");
                    }
                  });
            });
  }

  private void unsubscribe(Session session, Envelope request) {
    var subscriber = subscribers.get(session);
    List<String> rooms;
    try {
      rooms = DashboardMessages.rooms(request.plainData(), Integer.MAX_VALUE);
    } catch (DashboardMessages.Invalid e) {
      session.reject(request.id(), Code.INVALID_DATA, "rooms must be a list of room names");
      return;
    }
    List<String> left = new ArrayList<>();
    for (String room : rooms) {
      if (config.channels().join(session.principal(), qualified(session, room))
          instanceof RoomPolicy.Allowed allowed) {
        hub.leave(subscriber, allowed.key());
        presence.leave(presenceMembers.get(session), allowed.key());
        left.add(room);
      }
    }
    answer(session, request, left, null, null);
  }

  /**
   * A room as the policy reads it: on a session of another namespace than printing's (Socket.IO's
   * {@code /orders}), {@code branch:b1} is {@code orders:branch:b1}, and only that namespace's
   * channels are named.
   */
  private static String qualified(Session session, String room) {
    String namespace = session.channelNamespace();
    if (namespace.equals(RoomPolicy.PRINTING) || room.startsWith(namespace + ":")) {
      return room;
    }
    return namespace + ":" + room;
  }

  private static void answer(
      Session session,
      Envelope request,
      List<String> rooms,
      JsonObject recovered,
      JsonObject presence) {
    if (request.id() != null) {
      var data = new JsonObject().put("rooms", new JsonArray(new ArrayList<>(rooms)));
      if (recovered != null) {
        data.put("recovered", recovered);
      }
      if (presence != null) {
        data.put("presence", presence);
      }
      session.send(Envelope.response(request.id(), data));
    }
  }

  private void closeStuckClients() {
    long now = System.nanoTime();
    long limit = config.slowClientTimeout().toNanos();
    for (Subscriber subscriber : List.copyOf(subscribers.values())) {
      if (subscriber.behindForNanos(now) > limit) {
        log.info(
            "Closing a dashboard that cannot keep up subject={} backlog={} dropped={}",
            subscriber.session().principal().subject(),
            subscriber.backlogSize(),
            subscriber.droppedEvents());
        subscriber.session().close(CloseCodes.TRY_AGAIN_LATER, "too slow to receive updates");
      }
    }
  }

  public void closeAllForDrain() {
    draining = true;
    for (Session session : List.copyOf(subscribers.keySet())) {
      session.close(CloseCodes.SERVICE_RESTART, "instance draining, reconnect");
    }
  }
}
