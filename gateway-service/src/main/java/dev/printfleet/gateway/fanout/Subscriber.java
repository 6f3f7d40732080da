package dev.printfleet.gateway.fanout;

import dev.printfleet.gateway.session.Outgoing;
import dev.printfleet.gateway.session.Session;
import java.util.ArrayList;
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

  /** Events kept for a slow dashboard beyond which the oldest are dropped. */
  static final int MAX_BACKLOG_EVENTS = 1_000;

  private final Session session;
  private final Set<String> rooms = new HashSet<>();
  private final Map<String, LinkedHashMap<String, StatusUpdate>> statusBacklog =
      new LinkedHashMap<>();
  private final LinkedHashMap<String, Outgoing> eventBacklog = new LinkedHashMap<>();
  private long behindSinceNanos;
  private long droppedEvents;

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

  /** A room's status message, or its updates merged into the backlog when the socket is behind. */
  public void deliverStatus(String room, List<StatusUpdate> updates, Outgoing message) {
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
      oldest.next();
      oldest.remove();
      droppedEvents++;
    }
    markBehind();
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
      session.send(statusMessage.apply(new ArrayList<>(entry.getValue().values())));
    }
    Iterator<Outgoing> events = eventBacklog.values().iterator();
    while (statusBacklog.isEmpty() && events.hasNext() && !session.writeQueueFull()) {
      Outgoing message = events.next();
      events.remove();
      session.send(message);
    }
    if (statusBacklog.isEmpty() && eventBacklog.isEmpty()) {
      behindSinceNanos = 0;
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
