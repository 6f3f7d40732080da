package dev.printfleet.monitoring.jobs;

import dev.printfleet.common.messages.JobEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Job throughput and dispatch latency from the job events, per second over the last {@link
 * #SECONDS} seconds: jobs created, dispatched, printed and failed, and the time from a job's first
 * {@code queued} event to its {@code dispatched} event in an HdrHistogram per second.
 */
public final class JobMeter {

  public static final int SECONDS = 600;
  private static final int MAX_TRACKED_JOBS = 100_000;
  private static final long MAX_LATENCY_MS = Duration.ofHours(24).toMillis();

  private static final class Second {
    long epochSecond = -1;
    long created;
    long dispatched;
    long printed;
    long failed;
    Histogram latency;

    void reset(long second) {
      epochSecond = second;
      created = 0;
      dispatched = 0;
      printed = 0;
      failed = 0;
      if (latency != null) {
        latency.reset();
      }
    }
  }

  private final Second[] ring = new Second[SECONDS];
  private final Map<String, Instant> queuedAt =
      new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
          return size() > MAX_TRACKED_JOBS;
        }
      };

  public JobMeter() {
    for (int i = 0; i < SECONDS; i++) {
      ring[i] = new Second();
    }
  }

  private Second at(long epochSecond) {
    Second s = ring[(int) Math.floorMod(epochSecond, (long) SECONDS)];
    if (s.epochSecond != epochSecond) {
      s.reset(epochSecond);
    }
    return s;
  }

  public synchronized void record(JobEvent event, Instant now) {
    Second s = at(now.getEpochSecond());
    switch (event.state()) {
      case "queued" -> {
        if (event.attempts() == 0 && !queuedAt.containsKey(event.jobId())) {
          s.created++;
        }
        queuedAt.putIfAbsent(event.jobId(), event.at());
      }
      case "dispatched" -> {
        s.dispatched++;
        Instant queued = queuedAt.remove(event.jobId());
        if (queued != null) {
          long ms =
              Math.max(
                  0, Math.min(MAX_LATENCY_MS, Duration.between(queued, event.at()).toMillis()));
          if (s.latency == null) {
            s.latency = new Histogram(MAX_LATENCY_MS, 2);
          }
          s.latency.recordValue(ms);
        }
      }
      case "printed" -> s.printed++;
      case "failed" -> {
        s.failed++;
        queuedAt.remove(event.jobId());
      }
      default -> queuedAt.remove(event.jobId());
    }
  }

  /** Totals and latency percentiles over the last {@code window}. */
  public synchronized JsonObject summary(Duration window, Instant now) {
    long to = now.getEpochSecond();
    long from = to - Math.min(SECONDS, window.toSeconds()) + 1;
    long created = 0;
    long dispatched = 0;
    long printed = 0;
    long failed = 0;
    Histogram merged = new Histogram(MAX_LATENCY_MS, 2);
    for (long sec = from; sec <= to; sec++) {
      Second s = ring[(int) Math.floorMod(sec, (long) SECONDS)];
      if (s.epochSecond != sec) {
        continue;
      }
      created += s.created;
      dispatched += s.dispatched;
      printed += s.printed;
      failed += s.failed;
      if (s.latency != null) {
        merged.add(s.latency);
      }
    }
    double seconds = Math.max(1, to - from + 1);
    return new JsonObject()
        .put("windowS", (long) seconds)
        .put("created", created)
        .put("dispatched", dispatched)
        .put("printed", printed)
        .put("failed", failed)
        .put("printedPerSecond", Math.round(printed / seconds * 100) / 100.0)
        .put("dispatchedPerSecond", Math.round(dispatched / seconds * 100) / 100.0)
        .put(
            "failureRate",
            printed + failed == 0
                ? 0.0
                : Math.round(failed * 10000.0 / (printed + failed)) / 10000.0)
        .put("dispatchLatencyMs", Percentiles.of(merged));
  }

  /**
   * Chart series over the last {@code window} in steps of {@code step}: jobs per second
   * (dispatched, printed, failed) and dispatch latency p50/p95 (null in a step without dispatches).
   */
  public synchronized JsonObject series(Duration window, Duration step, Instant now) {
    long stepS = Math.max(1, step.toSeconds());
    long to = now.getEpochSecond();
    long steps = Math.max(1, Math.min(SECONDS, window.toSeconds()) / stepS);
    long start = to - steps * stepS + 1;
    var labels = new JsonArray();
    var dispatched = new JsonArray();
    var printed = new JsonArray();
    var failed = new JsonArray();
    var p50 = new JsonArray();
    var p95 = new JsonArray();
    for (long i = 0; i < steps; i++) {
      long from = start + i * stepS;
      long d = 0;
      long p = 0;
      long f = 0;
      Histogram h = null;
      for (long sec = from; sec < from + stepS; sec++) {
        Second s = ring[(int) Math.floorMod(sec, (long) SECONDS)];
        if (s.epochSecond != sec) {
          continue;
        }
        d += s.dispatched;
        p += s.printed;
        f += s.failed;
        if (s.latency != null && s.latency.getTotalCount() > 0) {
          if (h == null) {
            h = new Histogram(MAX_LATENCY_MS, 2);
          }
          h.add(s.latency);
        }
      }
      labels.add(Instant.ofEpochSecond(from + stepS - 1).toEpochMilli());
      dispatched.add(round(d / (double) stepS));
      printed.add(round(p / (double) stepS));
      failed.add(round(f / (double) stepS));
      p50.add(h == null ? null : h.getValueAtPercentile(50));
      p95.add(h == null ? null : h.getValueAtPercentile(95));
    }
    return new JsonObject()
        .put("stepS", stepS)
        .put("at", labels)
        .put("dispatchedPerSecond", dispatched)
        .put("printedPerSecond", printed)
        .put("failedPerSecond", failed)
        .put("dispatchLatencyP50Ms", p50)
        .put("dispatchLatencyP95Ms", p95);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
