package dev.printfleet.gateway.connection;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Open connections of the whole gateway process, by kind, kept by every event loop's registry. One
 * per process: Micrometer keeps the first gauge registered under an id, so gauges on each loop's
 * registry would report the first loop's sockets only.
 */
public final class ConnectionCounts {

  private final AtomicIntegerArray byKind = new AtomicIntegerArray(Connection.Kind.values().length);

  public ConnectionCounts(GatewayMetrics metrics) {
    for (Connection.Kind kind : Connection.Kind.values()) {
      metrics.connectionGauge(kind, this, o -> count(kind));
    }
  }

  void opened(Connection.Kind kind) {
    byKind.incrementAndGet(kind.ordinal());
  }

  void closed(Connection.Kind kind) {
    byKind.decrementAndGet(kind.ordinal());
  }

  public int count(Connection.Kind kind) {
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
