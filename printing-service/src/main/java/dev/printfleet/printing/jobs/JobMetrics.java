package dev.printfleet.printing.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The printing service's own metrics: state changes by state, latency from acceptance to dispatch
 * and to print, retries, the queue depth (read from the database now and then, never per scrape)
 * and the circuits by state.
 */
public final class JobMetrics {

  private final Map<JobState, Counter> changes = new EnumMap<>(JobState.class);
  private final Timer toDispatched;
  private final Timer toAgent;
  private final Timer toPrinted;
  private final Counter retries;
  private final Counter sentOnAccept;
  private final Counter sentOnClaim;
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong dispatched = new AtomicLong();

  public JobMetrics(MeterRegistry registry, Supplier<Map<String, Long>> circuitsByState) {
    for (JobState state : JobState.values()) {
      changes.put(
          state,
          Counter.builder("printfleet.jobs.state.changes")
              .description("Jobs that entered each state (a job dispatched twice counts twice)")
              .tag("state", state.wire())
              .register(registry));
    }
    toDispatched = latency(registry, "dispatched");
    toAgent = latency(registry, "delivered");
    toPrinted = latency(registry, "printed");
    // Not "path": Vert.x's metrics filter drops that tag name (an HTTP label it leaves off) from
    // every meter.
    sentOnAccept =
        Counter.builder("printfleet.dispatch.started")
            .tag("from", "accept")
            .description(
                "Dispatches started: from the request that accepted the job, or by the claim loop")
            .register(registry);
    sentOnClaim =
        Counter.builder("printfleet.dispatch.started")
            .tag("from", "claim")
            .description(
                "Dispatches started: from the request that accepted the job, or by the claim loop")
            .register(registry);
    retries =
        Counter.builder("printfleet.jobs.retries")
            .description("Failed dispatches sent back to the queue for another attempt")
            .register(registry);
    Gauge.builder("printfleet.jobs.current", queued, AtomicLong::get)
        .tag("state", "queued")
        .description("Jobs in the state now, as last read from the database")
        .register(registry);
    Gauge.builder("printfleet.jobs.current", dispatched, AtomicLong::get)
        .tag("state", "dispatched")
        .description("Jobs in the state now, as last read from the database")
        .register(registry);
    for (String state : new String[] {"CLOSED", "OPEN", "HALF_OPEN"}) {
      Gauge.builder("printfleet.circuits", () -> circuitsByState.get().getOrDefault(state, 0L))
          .description("Printer circuit breakers held by this instance, by state")
          .tag("state", state)
          .register(registry);
    }
  }

  private static Timer latency(MeterRegistry registry, String stage) {
    return Timer.builder("printfleet.jobs.latency")
        .description("Time from a job's acceptance (201) to the stage")
        .tag("stage", stage)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry);
  }

  /** A written state change, as published on the event bus. */
  public void changed(Job job) {
    changes.get(job.state()).increment();
    Duration sinceAccepted = since(job.createdAt());
    if (job.state() == JobState.DISPATCHED) {
      toDispatched.record(sinceAccepted);
    } else if (job.state() == JobState.PRINTED) {
      toPrinted.record(sinceAccepted);
    }
  }

  /**
   * The agent accepted a job accepted at {@code createdAt}: stage {@code delivered}, what the
   * dispatch objective (alert PrintfleetDispatchSlow) is about. Stage {@code dispatched} is the
   * written state change, which waits for the result or PRINTFLEET_DISPATCH_RESULT_GRACE.
   */
  public void delivered(OffsetDateTime createdAt) {
    toAgent.record(since(createdAt));
  }

  /** A dispatch started: {@code onAccept}, from the request that accepted the job; else claimed. */
  public void dispatchStarted(boolean onAccept) {
    (onAccept ? sentOnAccept : sentOnClaim).increment();
  }

  public void retried() {
    retries.increment();
  }

  /** Every company's queued jobs, counted with the per-company cap ({@link QueuedPerCompany}). */
  public void queuedNow(long jobs) {
    queued.set(jobs);
  }

  public void dispatchedNow(long jobs) {
    dispatched.set(jobs);
  }

  private static Duration since(OffsetDateTime at) {
    Duration d = Duration.between(at.toInstant(), Instant.now());
    return d.isNegative() ? Duration.ZERO : d;
  }
}
