package dev.printfleet.simulator.load;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What happened in each second of a run, for the report's charts: named counts, and latencies with
 * their p50 and p99 per second. Seconds count from {@link #Timeline(long) the start}; events from
 * before it are left out.
 */
final class Timeline {

  private final long startNanos;
  private final TreeMap<Integer, Map<String, Long>> counts = new TreeMap<>();
  private final TreeMap<Integer, Map<String, Histogram>> latencies = new TreeMap<>();

  Timeline(long startNanos) {
    this.startNanos = startNanos;
  }

  synchronized void count(String name, long atNanos, long n) {
    add(name, second(atNanos), n);
  }

  /** Adds {@code n} to a count of second {@code s} (for counts read once a second elsewhere). */
  synchronized void add(String name, int s, long n) {
    if (s >= 0) {
      counts.computeIfAbsent(s, k -> new LinkedHashMap<>()).merge(name, n, Long::sum);
    }
  }

  synchronized void latency(String name, long atNanos, long nanos) {
    int s = second(atNanos);
    if (s >= 0) {
      Histogram histogram =
          latencies
              .computeIfAbsent(s, k -> new LinkedHashMap<>())
              .computeIfAbsent(name, k -> new Histogram(3_600_000_000L, 2));
      histogram.recordValue(
          Math.max(0, Math.min(nanos / 1_000, histogram.getHighestTrackableValue())));
    }
  }

  /**
   * One object per second from the first to the last with an event: {@code s}, each count (0 when
   * none that second) and {@code <latency>P50Ms} and {@code <latency>P99Ms} for each latency.
   */
  synchronized JsonArray json() {
    var rows = new JsonArray();
    if (counts.isEmpty() && latencies.isEmpty()) {
      return rows;
    }
    List<String> countNames = new ArrayList<>();
    counts
        .values()
        .forEach(
            m ->
                m.keySet()
                    .forEach(
                        n -> {
                          if (!countNames.contains(n)) {
                            countNames.add(n);
                          }
                        }));
    int last =
        Math.max(
            counts.isEmpty() ? 0 : counts.lastKey(), latencies.isEmpty() ? 0 : latencies.lastKey());
    for (int s = 0; s <= last; s++) {
      var row = new JsonObject().put("s", s);
      Map<String, Long> c = counts.getOrDefault(s, Map.of());
      countNames.forEach(n -> row.put(n, c.getOrDefault(n, 0L)));
      latencies
          .getOrDefault(s, Map.of())
          .forEach(
              (name, h) ->
                  row.put(name + "P50Ms", ms(h.getValueAtPercentile(50)))
                      .put(name + "P99Ms", ms(h.getValueAtPercentile(99))));
      rows.add(row);
    }
    return rows;
  }

  private int second(long atNanos) {
    long since = atNanos - startNanos;
    return since < 0 ? -1 : (int) (since / 1_000_000_000L);
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
