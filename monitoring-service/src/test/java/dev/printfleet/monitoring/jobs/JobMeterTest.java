package dev.printfleet.monitoring.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.messages.JobEvent;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobMeterTest {

  static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

  static JobEvent event(String job, String state, int attempts, Instant at) {
    return new JobEvent(job, "p1", "acme", "b1", state, attempts, null, at);
  }

  @Test
  void throughputFailureRateAndDispatchLatencyFromEvents() {
    var meter = new JobMeter();
    for (int i = 0; i < 100; i++) {
      Instant queued = T0.plusMillis(i * 10L);
      meter.record(event("j" + i, "queued", 0, queued), queued);
      Instant dispatched = queued.plusMillis(i < 90 ? 20 : 500);
      meter.record(event("j" + i, "dispatched", 0, dispatched), dispatched);
      meter.record(event("j" + i, i < 95 ? "printed" : "failed", 0, dispatched), dispatched);
    }
    var summary = meter.summary(Duration.ofMinutes(1), T0.plusSeconds(2));

    assertThat(summary.getLong("created")).isEqualTo(100);
    assertThat(summary.getLong("printed")).isEqualTo(95);
    assertThat(summary.getDouble("failureRate")).isEqualTo(0.05);
    var latency = summary.getJsonObject("dispatchLatencyMs");
    assertThat(latency.getLong("count")).isEqualTo(100);
    assertThat(latency.getLong("p50")).isEqualTo(20);
    assertThat(latency.getLong("p99")).isBetween(495L, 505L);

    var series = meter.series(Duration.ofSeconds(10), Duration.ofSeconds(5), T0.plusSeconds(4));
    assertThat(series.getJsonArray("printedPerSecond")).hasSize(2);
    assertThat(series.getJsonArray("printedPerSecond").getDouble(1)).isEqualTo(19.0);
    assertThat(series.getJsonArray("dispatchLatencyP50Ms").getValue(0)).isNull();
    assertThat(
            meter
                .summary(Duration.ofMinutes(1), T0.plus(Duration.ofMinutes(20)))
                .getLong("printed"))
        .as("old seconds drop out")
        .isZero();
  }

  @Test
  void aRetriedJobIsCreatedOnceAndItsLatencyCountsFromTheFirstQueue() {
    var meter = new JobMeter();
    meter.record(event("j1", "queued", 0, T0), T0);
    meter.record(event("j1", "queued", 1, T0.plusMillis(300)), T0.plusMillis(300));
    meter.record(event("j1", "dispatched", 1, T0.plusMillis(400)), T0.plusMillis(400));

    var summary = meter.summary(Duration.ofMinutes(1), T0.plusSeconds(1));
    assertThat(summary.getLong("created")).isEqualTo(1);
    assertThat(summary.getJsonObject("dispatchLatencyMs").getLong("p50")).isBetween(398L, 402L);
  }
}
