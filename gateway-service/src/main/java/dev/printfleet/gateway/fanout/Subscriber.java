package dev.printfleet.gateway.fanout;

import dev.printfleet.gateway.channels.Offset;
import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.Outgoing;
import dev.printfleet.gateway.session.Session;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A session in rooms: its rooms, and what it could not take yet. While its write queue is over the
 * limit, status updates coalesce per room (latest per printer) and other events per key instead of
 * queueing, so a slow dashboard costs bounded memory and never slows the others.
 */
public final class Subscriber {

  /** The backlog key of a channel message: one never coalesces with another, nor is lost unseen. */
  private static final String CHANNEL_KEY = "channel:";

  /**
   * The backlog key prefix of an event kept in a history (it has an offset): it may coalesce with a
   * later one under the same key, but is never lost unseen.
   */
  public static final String KEPT_KEY = "kept:";

  /** Events kept for a slow dashboard beyond which the oldest are dropped. */
  static final int MAX_BACKLOG_EVENTS = 1_000;

  private final Session session;
  private final Set<String> rooms = new HashSet<>();
  private final Map<String, LinkedHashMap<String, StatusUpdate>> statusBacklog =
      new LinkedHashMap<>();
  private final LinkedHashMap<String, Outgoing> eventBacklog = new LinkedHashMap<>();
  private long behindSinceNanos;
  private long droppedEvents;

  /**
   * Rooms being recovered (PROTOCOL.md §6): their live messages wait here, in order, until the
   * history read is delivered; at most {@link #MAX_BACKLOG_EVENTS} across the rooms.
   */
  private final Map<String, Recovering> recovering = new HashMap<>();

  /** One recovery of a room: its own token, and the live deliveries that wait for it. */
  private record Recovering(Object token, List<Runnable> held) {}

  /** What waits for the backlog to be written out: the next page of a recovery. */
  private final List<Runnable> waitingForWritable = new ArrayList<>();

  /** The last offset read from a room's history: live messages up to it are duplicates. */
  private final Map<String, Offset> floors = new HashMap<>();

  public Subscriber(Session session) {
    this.session = session;
  }

  public Session session() {
    return session;
  }

  public Set<String> rooms() {
    return rooms;
  }

  private boolean canWriteNow() {
    return statusBacklog.isEmpty() && eventBacklog.isEmpty() && !session.writeQueueFull();
  }

  /**
   * A room's status message, or its updates merged into the backlog when the socket is behind; held
   * while the room is recovered, and without the updates its history delivered already.
   */
  public void deliverStatus(String room, List<StatusUpdate> updates, Outgoing message) {
    if (!recovering.isEmpty() && held(room, () -> deliverStatus(room, updates, message))) {
      return;
    }
    Offset floor = floors.get(room);
    if (floor != null) {
      List<StatusUpdate> newer = new ArrayList<>(updates.size());
      for (StatusUpdate update : updates) {
        if (update.offset() == null || update.offset().compareTo(floor) > 0) {
          newer.add(update);
        }
      }
      if (newer.isEmpty()) {
        return;
      }
      if (newer.size() < updates.size()) {
        deliverStatus(room, newer, RoomHub.statusMessage(newer));
        return;
      }
    }
    deliverStatusUnheld(room, updates, message);
  }

  /** An event message, or kept under its key (latest wins) when the socket is behind. */
  public void deliverEvent(String key, Outgoing message) {
    if (canWriteNow()) {
      session.send(message);
      return;
    }
    eventBacklog.remove(key);
    eventBacklog.put(key, message);
    if (eventBacklog.size() > MAX_BACKLOG_EVENTS) {
      Iterator<String> oldest = eventBacklog.keySet().iterator();
      String key0 = oldest.next();
      boolean channel = key0.startsWith(CHANNEL_KEY) || key0.startsWith(KEPT_KEY);
      oldest.remove();
      if (channel) {
        lostChannelMessage();
      } else {
        droppedEvents++;
      }
    }
    markBehind();
  }

  /**
   * A printfleet event of its company's printing history (a job update; its offset null when it
   * could not be kept), sent to the company room and the branch room: held while either room this
   * dashboard is in is recovered, dropped when a recovery delivered it already, else delivered
   * under its key as any event (one with an offset is never lost unseen).
   */
  public void deliverKept(
      String companyRoom, String branchRoom, Offset offset, String key, Outgoing message) {
    if (keptWaitsOrWasSent(companyRoom, companyRoom, branchRoom, offset, key, message)
        || keptWaitsOrWasSent(branchRoom, companyRoom, branchRoom, offset, key, message)) {
      return;
    }
    deliverEvent(offset == null ? key : KEPT_KEY + key, message);
  }

  /**
   * For one of a kept event's two rooms, when this dashboard is in it: whether the event now waits
   * for the room's recovery, or the recovery sent it already.
   */
  private boolean keptWaitsOrWasSent(
      String room,
      String companyRoom,
      String branchRoom,
      Offset offset,
      String key,
      Outgoing message) {
    if (!rooms.contains(room)) {
      return false;
    }
    if (!recovering.isEmpty()
        && held(room, () -> deliverKept(companyRoom, branchRoom, offset, key, message))) {
      return true;
    }
    Offset floor = floors.get(room);
    return floor != null && offset != null && offset.compareTo(floor) <= 0;
  }

  /**
   * Statuses sent at once, or merged into the room's backlog (latest per printer) when the socket
   * is behind: a room's live ones past its hold and floor, and a recovery's from the history, never
   * held (the live ones that waited for the recovery follow them into the backlog).
   */
  public void deliverStatusUnheld(String room, List<StatusUpdate> updates, Outgoing message) {
    if (canWriteNow()) {
      session.send(message);
      return;
    }
    var backlog = statusBacklog.computeIfAbsent(room, r -> new LinkedHashMap<>());
    for (StatusUpdate update : updates) {
      backlog.put(update.printerId(), update);
    }
    markBehind();
  }

  /**
   * Whether the room is being recovered: then the delivery waits for it (at most {@link
   * #MAX_BACKLOG_EVENTS} across the rooms; past it the dashboard is closed to come back with {@code
   * since}).
   */
  private boolean held(String room, Runnable delivery) {
    var waiting = recovering.get(room);
    if (waiting == null) {
      return false;
    }
    int held = 0;
    for (var each : recovering.values()) {
      held += each.held().size();
    }
    if (held < MAX_BACKLOG_EVENTS) {
      waiting.held().add(delivery);
    } else {
      lostChannelMessage();
    }
    return true;
  }

  /**
   * A channel's live message (its room, its offset): held while the channel is being recovered,
   * dropped when the recovery delivered it already, else delivered as any event.
   */
  public void deliverChannel(String room, String channel, Offset offset, Outgoing message) {
    if (!recovering.isEmpty() && held(room, () -> deliverChannel(room, channel, offset, message))) {
      return;
    }
    Offset floor = floors.get(room);
    if (floor != null && offset != null && offset.compareTo(floor) <= 0) {
      return;
    }
    if (canWriteNow()) {
      session.send(message);
      return;
    }
    // The backlog key only when it is needed: most deliveries go straight out.
    deliverEvent(CHANNEL_KEY + channel + ":" + offset, message);
  }

  /**
   * From now on the room's live messages wait for {@link #recovered}; the token names this
   * recovery, so a read that outlived it (the room was left, then joined again) delivers nothing.
   */
  public Object recovering(String room) {
    var started = new Recovering(new Object(), new ArrayList<>());
    recovering.put(room, started);
    return started.token();
  }

  /** Whether the room is still in the recovery the token names. */
  public boolean isRecovering(String room, Object token) {
    var current = recovering.get(room);
    return current != null && current.token() == token;
  }

  /** How many rooms are being recovered. */
  public int recoveringRooms() {
    return recovering.size();
  }

  /** Whether what this dashboard is sent waits (its socket is full or a backlog is kept). */
  public boolean behind() {
    return !canWriteNow();
  }

  /** Runs once the backlog is written out (at once when there is none). */
  public void whenWritable(Runnable next) {
    if (canWriteNow()) {
      next.run();
    } else {
      waitingForWritable.add(next);
    }
  }

  /**
   * The recovery the token names is over: its history was delivered up to {@code floor} (null: it
   * was not recovered, nothing is dropped as already delivered); the live messages that waited
   * follow, but not the ones the history held.
   */
  public void recovered(String room, Object token, Offset floor) {
    if (!isRecovering(room, token)) {
      return;
    }
    var done = recovering.remove(room);
    if (floor != null) {
      floors.put(room, floor);
    }
    done.held().forEach(Runnable::run);
  }

  /**
   * A channel message could not be kept for this dashboard: it would not know, so it is closed
   * (1013) and comes back with {@code since} (PROTOCOL.md §6).
   */
  private void lostChannelMessage() {
    droppedEvents++;
    if (!session.isClosed()) {
      session.close(
          CloseCodes.TRY_AGAIN_LATER, "too far behind on a channel; reconnect with since");
    }
  }

  /** The room was left: nothing of it is held or remembered. */
  public void forget(String room) {
    recovering.remove(room);
    floors.remove(room);
  }

  /** A message of a channel's history, sent by a recovery: as any event, never dropped unseen. */
  public void deliverFromHistory(String channel, Offset offset, Outgoing message) {
    deliverEvent(CHANNEL_KEY + channel + ":" + offset, message);
  }

  /**
   * Sends what waited while the socket was full, as long as it stays writable: one status message
   * per room, then the events in order.
   */
  public void flushBacklog(Function<List<StatusUpdate>, Outgoing> statusMessage) {
    Iterator<Map.Entry<String, LinkedHashMap<String, StatusUpdate>>> rooms =
        statusBacklog.entrySet().iterator();
    while (rooms.hasNext() && !session.writeQueueFull()) {
      var entry = rooms.next();
      rooms.remove();
      // Without offsets: coalesced, they may overtake job updates still waiting, and a client's
      // greatest offset must not pass those.
      List<StatusUpdate> latest = new ArrayList<>(entry.getValue().size());
      for (StatusUpdate u : entry.getValue().values()) {
        latest.add(
            u.offset() == null
                ? u
                : new StatusUpdate(
                    u.printerId(), u.branch(), u.status(), u.detail(), u.at(), null));
      }
      session.send(statusMessage.apply(latest));
    }
    Iterator<Outgoing> events = eventBacklog.values().iterator();
    while (statusBacklog.isEmpty() && events.hasNext() && !session.writeQueueFull()) {
      Outgoing message = events.next();
      events.remove();
      session.send(message);
    }
    if (statusBacklog.isEmpty() && eventBacklog.isEmpty()) {
      behindSinceNanos = 0;
      if (!waitingForWritable.isEmpty() && !session.writeQueueFull()) {
        var next = List.copyOf(waitingForWritable);
        waitingForWritable.clear();
        next.forEach(Runnable::run);
      }
    }
  }

  private void markBehind() {
    if (behindSinceNanos == 0) {
      behindSinceNanos = System.nanoTime();
    }
  }

  /** How long the socket has been unable to take what it was sent; 0 when it is keeping up. */
  public long behindForNanos(long nowNanos) {
    return behindSinceNanos == 0 ? 0 : nowNanos - behindSinceNanos;
  }

  public int backlogSize() {
    int size = eventBacklog.size();
    for (var updates : statusBacklog.values()) {
      size += updates.size();
    }
    return size;
  }

  public long droppedEvents() {
    return droppedEvents;
  }
}
