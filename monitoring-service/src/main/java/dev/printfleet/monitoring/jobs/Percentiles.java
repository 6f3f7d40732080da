package dev.printfleet.monitoring.jobs;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/** The percentiles printfleet reports of a latency histogram, in milliseconds. */
public final class Percentiles {

  private Percentiles() {}

  public static JsonObject of(Histogram histogram) {
    if (histogram.getTotalCount() == 0) {
      return new JsonObject()
          .put("count", 0)
          .putNull("p50")
          .putNull("p90")
          .putNull("p99")
          .putNull("max");
    }
    return new JsonObject()
        .put("count", histogram.getTotalCount())
        .put("p50", histogram.getValueAtPercentile(50))
        .put("p90", histogram.getValueAtPercentile(90))
        .put("p99", histogram.getValueAtPercentile(99))
        .put("max", histogram.getMaxValue());
  }
}
