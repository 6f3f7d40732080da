package dev.printfleet.gateway.session;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Open sessions of the whole gateway process, by kind, kept by every event loop's registry. One per
 * process: Micrometer keeps the first gauge registered under an id, so gauges on each loop's
 * registry would report the first loop's sockets only.
 */
public final class SessionCounts {

  private final AtomicIntegerArray byKind = new AtomicIntegerArray(Session.Kind.values().length);

  public SessionCounts(GatewayMetrics metrics) {
    for (Session.Kind kind : Session.Kind.values()) {
      metrics.connectionGauge(kind, this, o -> count(kind));
    }
  }

  void opened(Session.Kind kind) {
    byKind.incrementAndGet(kind.ordinal());
  }

  void closed(Session.Kind kind) {
    byKind.decrementAndGet(kind.ordinal());
  }

  public int count(Session.Kind kind) {
    return byKind.get(kind.ordinal());
  }

  public int total() {
    int total = 0;
    for (int i = 0; i < byKind.length(); i++) {
      total += byKind.get(i);
    }
    return total;
  }
}
