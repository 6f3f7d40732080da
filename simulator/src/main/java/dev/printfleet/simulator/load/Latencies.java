package dev.printfleet.simulator.load;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/** A latency histogram (HdrHistogram, microseconds, up to one hour) and its summary. */
final class Latencies {

  private final Histogram histogram = new Histogram(3_600_000_000L, 3);

  synchronized void recordNanos(long nanos) {
    histogram.recordValue(
        Math.max(0, Math.min(nanos / 1_000, histogram.getHighestTrackableValue())));
  }

  synchronized long count() {
    return histogram.getTotalCount();
  }

  synchronized JsonObject summaryMs() {
    return new JsonObject()
        .put("count", histogram.getTotalCount())
        .put("p50", ms(histogram.getValueAtPercentile(50)))
        .put("p95", ms(histogram.getValueAtPercentile(95)))
        .put("p99", ms(histogram.getValueAtPercentile(99)))
        .put("p999", ms(histogram.getValueAtPercentile(99.9)))
        .put("max", ms(histogram.getMaxValue()));
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
