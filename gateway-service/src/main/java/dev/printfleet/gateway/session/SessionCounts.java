package dev.printfleet.gateway.session;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Open sessions of the whole gateway process, by kind, kept by every event loop's registry. One per
 * process: Micrometer keeps the first gauge registered under an id, so gauges on each loop's
 * registry would report the first loop's sockets only.
 */
public final class SessionCounts {

  private static final int PROTOCOLS = Session.Protocol.values().length;

  /** Open sessions by kind and protocol: slot kind * PROTOCOLS + protocol. */
  private final AtomicIntegerArray open =
      new AtomicIntegerArray(Session.Kind.values().length * PROTOCOLS);

  public SessionCounts(GatewayMetrics metrics) {
    for (Session.Kind kind : Session.Kind.values()) {
      for (Session.Protocol protocol : Session.Protocol.values()) {
        metrics.connectionGauge(kind, protocol, this, o -> open.get(slot(kind, protocol)));
      }
    }
  }

  private static int slot(Session.Kind kind, Session.Protocol protocol) {
    return kind.ordinal() * PROTOCOLS + protocol.ordinal();
  }

  void opened(Session session) {
    open.incrementAndGet(slot(session.kind(), session.protocol()));
  }

  void closed(Session session) {
    open.decrementAndGet(slot(session.kind(), session.protocol()));
  }

  /** Open sessions of this kind, whatever their protocol. */
  public int count(Session.Kind kind) {
    int count = 0;
    for (Session.Protocol protocol : Session.Protocol.values()) {
      count += open.get(slot(kind, protocol));
    }
    return count;
  }

  public int total() {
    int total = 0;
    for (int i = 0; i < open.length(); i++) {
      total += open.get(i);
    }
    return total;
  }
}
