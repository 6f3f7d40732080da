package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.printing.PrintingConfig;
import dev.printfleet.printing.jobs.Job;
import dev.printfleet.printing.jobs.JobMetrics;
import dev.printfleet.printing.jobs.JobState;
import dev.printfleet.printing.jobs.JobStore;
import dev.printfleet.printing.jobs.RetryPolicy;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims due queued jobs (any number of printing instances may run it), finds the gateway that
 * holds each job's agent, and sends the job there inside the printer's circuit breaker. A job whose
 * agent is offline, or whose circuit is open, waits queued without using an attempt.
 */
public final class DispatchLoop {

  private static final Logger log = LoggerFactory.getLogger(DispatchLoop.class);
  private static final int BATCH = 100;
  private static final int MAX_IN_FLIGHT = 1_000;

  private final Vertx vertx;
  private final JobStore jobs;
  private final PresenceRegistry presence;
  private final Breakers breakers;
  private final RetryPolicy retries;
  private final PrintingConfig config;
  private final JobMetrics metrics;
  private final List<Long> timers = new ArrayList<>();
  private io.vertx.core.Context context;
  private boolean claiming;
  private boolean again;
  private int inFlight;

  public DispatchLoop(Vertx vertx, JobStore jobs, PresenceRegistry presence, Breakers breakers, PrintingConfig config,
      JobMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.jobs = jobs;
    this.presence = presence;
    this.breakers = breakers;
    this.config = config;
    this.retries = new RetryPolicy(config.maxAttempts(), config.retryBackoff(), Duration.ofMinutes(5));
  }

  public void start() {
    context = vertx.getOrCreateContext();
    timers.add(vertx.setPeriodic(config.dispatchInterval().toMillis(), id -> nudge()));
    timers.add(vertx.setPeriodic(5_000, id -> sweep()));
    timers.add(vertx.setPeriodic(60_000, id -> breakers.evictIdle()));
    timers.add(vertx.setPeriodic(5_000, id -> jobs.depth()
        .onSuccess(depth -> metrics.depth(depth[0], depth[1]))
        .onFailure(e -> log.debug("Queue depth not read: {}", e.toString()))));
  }

  public void stop() {
    timers.forEach(vertx::cancelTimer);
  }

  /**
   * Claims due jobs now, or as soon as the claim under way returns. Claims follow each other while
   * they come back full, and dispatches overlap: up to {@link #MAX_IN_FLIGHT} jobs wait on their
   * agents at once, so one slow agent never holds up a batch.
   */
  public void nudge() {
    // Confined to one context: the API, the consumers and the timers all call in here.
    if (context == null) {
      return;
    }
    if (Vertx.currentContext() != context) {
      context.runOnContext(v -> nudge());
      return;
    }
    // Near the in-flight limit, wait for room for half a batch rather than claim a job at a time.
    if (claiming || MAX_IN_FLIGHT - inFlight < BATCH / 2) {
      again = true;
      return;
    }
    claiming = true;
    again = false;
    int want = Math.min(BATCH, MAX_IN_FLIGHT - inFlight);
    jobs.claim(want, config.dispatchLease()).onComplete(ar -> onLoop(() -> {
      claiming = false;
      if (ar.failed()) {
        log.warn("Dispatch round failed: {}", ar.cause().toString());
        return;
      }
      List<JobStore.Claimed> claimed = ar.result();
      inFlight += claimed.size();
      for (JobStore.Claimed job : claimed) {
        dispatch(job).onComplete(done -> onLoop(() -> {
          inFlight--;
          if (again) {
            nudge();
          }
        }));
      }
      if (again || claimed.size() == want) {
        nudge();
      }
    }));
  }

  private void onLoop(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  private Future<Void> dispatch(JobStore.Claimed job) {
    if (job.agentId() == null) {
      return requeue(job, false, config.offlineWait(), "printer unknown, waiting for its agent to sync it");
    }
    var breaker = breakers.forPrinter(job.company(), job.printerId());
    if (breaker.state() == CircuitBreakerState.OPEN) {
      return requeue(job, false, config.circuitReset(), "circuit open");
    }
    return presence.lookup(new AgentKey(job.company(), job.agentId())).compose(instance -> {
      if (instance.isEmpty()) {
        return requeue(job, false, config.offlineWait(), "agent offline");
      }
      var request = new DispatchRequest(job.id().toString(), job.company(), job.agentId(), job.printerId(), job.contentType(),
          Base64.getEncoder().encodeToString(job.content()), job.copies(), job.createdAt().toInstant());
      return breaker.<AgentReply>execute(promise -> vertx.eventBus()
              .<JsonObject>request(Addresses.gateway(instance.get()), request.toJson(), new DeliveryOptions()
                  .addHeader(Addresses.ACTION_HEADER, DispatchRequest.ACTION)
                  .setSendTimeout(config.dispatchTimeout().toMillis()))
              .map(reply -> AgentReply.fromJson(reply.body()))
              .onSuccess(reply -> {
                if (reply.ok()) {
                  promise.complete(reply);
                } else {
                  promise.fail(reply.code() + ": " + reply.message());
                }
              })
              .onFailure(promise::fail))
          .compose(
              reply -> jobs.markDispatched(job.id(), "sent to " + job.agentId() + " via " + instance.get())
                  .onSuccess(this::publish).<Void>mapEmpty(),
              e -> {
                int attempts = job.attempts() + 1;
                JobState next = retries.afterFailure(attempts);
                return requeue(job, true, retries.backoff(attempts), "dispatch failed: " + e.getMessage())
                    .onSuccess(v -> log.info("Dispatch failed job={} printer={} attempts={} next={}: {}",
                        job.id(), job.printerId(), attempts, next.wire(), e.getMessage()));
              });
    });
  }

  private Future<Void> requeue(JobStore.Claimed job, boolean attempt, Duration wait, String reason) {
    JobState state = attempt ? retries.afterFailure(job.attempts() + 1) : JobState.QUEUED;
    return jobs.requeue(job.id(), state, attempt, wait, reason)
        .onSuccess(updated -> {
          if (state == JobState.FAILED) {
            publish(updated);
          } else if (attempt && updated.isPresent()) {
            metrics.retried();
          }
        })
        .mapEmpty();
  }

  private void sweep() {
    jobs.redispatchStale(config.resultDeadline()).onSuccess(list -> {
      list.forEach(job -> publish(Optional.of(job)));
      if (!list.isEmpty()) {
        nudge();
      }
    });
    jobs.expire(config.jobTtl()).onSuccess(list -> list.forEach(job -> publish(Optional.of(job))));
  }

  /** Publishes a written state change on printfleet.events.job. */
  public void publish(Optional<Job> job) {
    job.ifPresent(metrics::changed);
    job.ifPresent(j -> vertx.eventBus().publish(Addresses.EVENTS_JOB, new JobEvent(j.id().toString(), j.printerId(),
        j.company(), j.branch(), j.state().wire(), j.attempts(), j.error(), Instant.now()).toJson()));
  }
}
