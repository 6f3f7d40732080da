package dev.printfleet.printing.dispatch;

import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.common.messages.DispatchRequest;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.printing.PrintingConfig;
import dev.printfleet.printing.jobs.Job;
import dev.printfleet.printing.jobs.JobMetrics;
import dev.printfleet.printing.jobs.JobState;
import dev.printfleet.printing.jobs.JobStore;
import dev.printfleet.printing.jobs.RetryPolicy;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims due queued jobs (any number of printing instances may run it), finds the gateway that
 * holds each job's agent, and sends the job there inside the printer's circuit breaker. A job whose
 * agent is offline, or whose circuit is open, waits queued without using an attempt.
 *
 * <p>Memory stays bounded however big the jobs and however slow the agents: a claim carries no
 * content; a job's content is read just before its send, within a cap on the content held by this
 * instance; dispatches waiting on one agent are capped; and a gateway that finds the agent's socket
 * behind refuses the dispatch {@code busy}. A job held back by any of these waits queued for {@code
 * PRINTFLEET_DISPATCH_BUSY_WAIT} without using an attempt and without counting against its circuit.
 *
 * <p>Only a printer's failure is a failure ({@link DispatchOutcome}): a job whose route failed (its
 * gateway does not hold the agent, is gone, or stopped beating, see {@link GatewayLiveness}) goes
 * back for the agent's next location after {@code PRINTFLEET_DISPATCH_ROUTE_WAIT}, without an
 * attempt and without counting against its circuit.
 */
public final class DispatchLoop {

  private static final Logger log = LoggerFactory.getLogger(DispatchLoop.class);
  private static final int BATCH = 100;

  /**
   * The wait for an agent's answer a dispatch grants its gateway (DispatchRequest's one step): an
   * agent that answers within it costs two event-bus messages instead of four.
   */
  private static final long ANSWER_WITHIN_MS = 250;

  /**
   * Content past this goes in two steps always: a one-step reply comes with the agent's answer, and
   * the content counts against {@code PRINTFLEET_DISPATCH_MAX_BYTES} until the first reply, so
   * large jobs to slow agents would keep that budget up to {@link #ANSWER_WITHIN_MS} longer.
   */
  public static final int ONE_STEP_MAX_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final JobStore jobs;
  private final AgentRoutes routes;
  private final Breakers breakers;
  private final RetryPolicy retries;
  private final PrintingConfig config;
  private final JobMetrics metrics;
  private final GatewayLiveness liveness;
  private final JobEventBatches events;

  /** A dispatch waiting on a gateway: for whom, and its outcome to complete early. */
  private record Waiting(AgentKey agent, Promise<AgentReply> outcome) {}

  /**
   * Dispatches waiting on each gateway: failed at once as not sent when it stops beating, or when
   * their agent connects to another gateway (the one they wait on lost it, and may never answer).
   */
  private final Map<String, Set<Waiting>> waiting = new ConcurrentHashMap<>();

  private final List<Long> timers = new ArrayList<>();

  /**
   * Jobs the agent accepted whose {@code dispatched} is not written yet, by id, with the timer that
   * will write it: their result usually comes first and writes it (one write fewer per job).
   */
  private final Map<java.util.UUID, Unwritten> dispatchedUnwritten = new HashMap<>();

  /** {@link #inFlight}, readable from any thread: whether an accepted job may be pushed at once. */
  private volatile int inFlightNow;

  /** Draining: no job is pushed, and a dispatched is written at once. */
  private volatile boolean stopping;

  /** The loop's event loop, once started; the API and the consumers call in from others. */
  private volatile OnEventLoop eventLoop;

  private static final Duration EXPIRY_MIN = Duration.ofSeconds(5);
  private static final Duration EXPIRY_MAX = Duration.ofMinutes(1);

  private boolean claiming;
  private boolean again;
  private boolean claimsFailing;
  private int inFlight;
  private long bytesInFlight;
  private final Map<AgentKey, Integer> perAgent = new HashMap<>();

  /** Claimed jobs waiting here for one of their agent's dispatches to end, in claim order. */
  private final Map<AgentKey, java.util.ArrayDeque<Runnable>> heldForAgent = new HashMap<>();

  /** Agents whose gateway answered busy, until when: their jobs wait without their content read. */
  private final Map<AgentKey, Long> busyUntil = new HashMap<>();

  /**
   * Agents, and printers, whose due jobs were all put back lately, until when: not again before.
   */
  private final Map<AgentKey, Long> deferredAgents = new HashMap<>();

  private final Map<PrinterKey, Long> deferredPrinters = new HashMap<>();

  /** How long after a loss of Redis's data a missing presence is not trusted to mean offline. */
  private static final Duration PRESENCE_LOSS_WINDOW = Duration.ofSeconds(60);

  /** How often the kept agent routes are checked against Redis's presence. */
  private static final Duration ROUTE_REFRESH = Duration.ofSeconds(10);

  /**
   * Until when (System.nanoTime) a missing presence may be a lost one; see {@link
   * #afterPresenceLoss}.
   */
  private volatile long presenceLostUntil = System.nanoTime();

  public DispatchLoop(
      Vertx vertx,
      JobStore jobs,
      AgentRoutes routes,
      Breakers breakers,
      PrintingConfig config,
      JobMetrics metrics,
      GatewayLiveness liveness,
      PrintingHistory history) {
    this.vertx = vertx;
    this.liveness = liveness;
    this.metrics = metrics;
    this.jobs = jobs;
    this.routes = routes;
    this.breakers = breakers;
    this.config = config;
    this.retries =
        new RetryPolicy(config.maxAttempts(), config.retryBackoff(), Duration.ofMinutes(5));
    this.events = new JobEventBatches(vertx, history);
  }

  public void start() {
    eventLoop = OnEventLoop.current();
    timers.add(vertx.setPeriodic(config.dispatchInterval().toMillis(), id -> nudge()));
    timers.add(vertx.setPeriodic(5_000, id -> sweep()));
    timers.add(vertx.setPeriodic(expiryEvery(config.jobTtl()).toMillis(), id -> expire()));
    timers.add(vertx.setPeriodic(config.offlineWait().toMillis(), id -> releasePresentParked()));
    timers.add(vertx.setPeriodic(60_000, id -> breakers.evictIdle()));
    timers.add(vertx.setPeriodic(1_000, id -> leaveSilentGateways()));
    timers.add(
        vertx.setPeriodic(
            ROUTE_REFRESH.toMillis(),
            id ->
                routes
                    .refresh()
                    .onFailure(
                        e ->
                            log.debug(
                                "Agent routes not refreshed, kept as they are: {}",
                                e.toString()))));
    timers.add(
        vertx.setPeriodic(
            5_000,
            id ->
                jobs.dispatchedNow()
                    .onSuccess(metrics::dispatchedNow)
                    .onFailure(e -> log.debug("Jobs in flight not counted: {}", e.toString()))));
  }

  /**
   * Stops the timers, and writes now the {@code dispatched} of the jobs whose write was waiting for
   * their result: left unwritten, they would look queued until their lease ends and go out again.
   */
  public Future<Void> stop() {
    stopping = true;
    timers.forEach(vertx::cancelTimer);
    Promise<Void> done = Promise.promise();
    onLoop(
        () -> {
          List<Future<?>> writes = new ArrayList<>();
          for (var id : List.copyOf(dispatchedUnwritten.keySet())) {
            Unwritten unwritten = dispatchedUnwritten.remove(id);
            vertx.cancelTimer(unwritten.timer());
            writes.add(
                jobs.markDispatched(unwritten.job(), "sent; written at shutdown")
                    .onSuccess(this::publish));
          }
          Future.join(writes)
              .<Void>mapEmpty()
              .otherwiseEmpty()
              .onComplete(v -> events.flush().onComplete(published -> done.handle(v)));
        });
    return done.future();
  }

  /**
   * The lease to write an accepted job with, when it may go to its agent at once ({@link
   * #dispatchAccepted}); null when dispatch on accept is off or this instance has no room for it
   * (the job is then queued for the claim loop). Any thread.
   */
  public Duration pushLease() {
    return config.dispatchOnAccept() && !stopping && inFlightNow < config.dispatchMaxInFlight()
        ? config.dispatchLease()
        : null;
  }

  /**
   * A job leased to this instance in the statement that accepted it: sent now, with the content the
   * request carried (no claim, no read), through the same path as a claimed job. If this instance
   * dies first, the lease runs out and the claim loop takes the job.
   */
  public void dispatchAccepted(JobStore.Claimed job, byte[] content) {
    onLoop(
        () -> {
          inFlight++;
          inFlightNow = inFlight;
          metrics.dispatchStarted(true);
          dispatch(job, content).onComplete(done -> onLoop(this::dispatchEnded));
        });
  }

  /**
   * The result of a job was written (by this instance): its {@code dispatched} needs no write of
   * its own.
   */
  public void resultWritten(java.util.UUID id) {
    onLoop(
        () -> {
          Unwritten unwritten = dispatchedUnwritten.remove(id);
          if (unwritten != null) {
            vertx.cancelTimer(unwritten.timer());
          }
        });
  }

  /**
   * Claims due jobs now, or as soon as the claim under way returns. Claims follow each other while
   * they come back full, and dispatches overlap: up to {@code PRINTFLEET_DISPATCH_MAX_IN_FLIGHT}
   * jobs wait on their agents at once, so one slow agent never holds up a batch.
   */
  public void nudge() {
    // Confined to one event loop: the API, the consumers and the timers all call in here.
    OnEventLoop here = eventLoop;
    if (here == null) {
      return;
    }
    if (!here.isCurrent()) {
      here.execute(this::nudge);
      return;
    }
    // Near the in-flight limit, wait for room for half a batch rather than claim a job at a time.
    int maxInFlight = config.dispatchMaxInFlight();
    if (claiming || maxInFlight - inFlight < Math.max(1, Math.min(BATCH, maxInFlight) / 2)) {
      again = true;
      return;
    }
    claiming = true;
    again = false;
    int want = Math.min(BATCH, maxInFlight - inFlight);
    jobs.claim(want, config.dispatchLease())
        .onComplete(
            ar ->
                onLoop(
                    () -> {
                      claiming = false;
                      if (ar.failed()) {
                        // Said once per outage (a claim runs every PRINTFLEET_DISPATCH_INTERVAL):
                        // the database restarting is an expected fault, and its end is said too.
                        if (!claimsFailing) {
                          claimsFailing = true;
                          log.warn(
                              "Dispatch paused, jobs cannot be claimed from the database: {}",
                              ar.cause().toString());
                        } else {
                          log.debug("Dispatch round failed: {}", ar.cause().toString());
                        }
                        return;
                      }
                      if (claimsFailing) {
                        claimsFailing = false;
                        log.info("Dispatch resumed, the database answers again");
                      }
                      List<JobStore.Claimed> claimed = ar.result();
                      inFlight += claimed.size();
                      inFlightNow = inFlight;
                      for (JobStore.Claimed job : claimed) {
                        metrics.dispatchStarted(false);
                        dispatch(job, null).onComplete(done -> onLoop(this::dispatchEnded));
                      }
                      if (again || claimed.size() == want) {
                        nudge();
                      }
                    }));
  }

  /** A dispatch is over, however it ended: its room goes to the claim that waits for it, if any. */
  private void dispatchEnded() {
    inFlight--;
    inFlightNow = inFlight;
    if (again) {
      nudge();
    }
  }

  private void onLoop(Runnable action) {
    eventLoop.execute(action);
  }

  /**
   * {@code content}: the job's, when it is at hand (accepted just now); null: read just before the
   * send.
   */
  private Future<Void> dispatch(JobStore.Claimed job, byte[] content) {
    if (job.agentId() == null) {
      return requeue(
          job, false, config.offlineWait(), "printer unknown, waiting for its agent to sync it");
    }
    var agent = new AgentKey(job.company(), job.agentId());
    Long offlineUntil = deferredAgents.get(agent);
    if (offlineUntil != null && System.nanoTime() - offlineUntil < 0 && !routes.known(agent)) {
      // Found offline in this offline wait, its due jobs parked since, and no connect heard since
      // (a kept route): this one joins them, with no lookup and no turn as "busy" (which would
      // bring it back every PRINTFLEET_DISPATCH_BUSY_WAIT). Its connect releases them all.
      return requeue(job, false, JobStore.PARKED, JobStore.OFFLINE);
    }
    var breaker = breakers.forPrinter(job.company(), job.printerId());
    if (breaker.state() == CircuitBreakerState.OPEN) {
      deferPrinter(job.company(), job.printerId());
      return requeue(job, false, config.circuitReset(), "circuit open");
    }
    Long busy = busyUntil.get(agent);
    if (busy != null) {
      if (System.nanoTime() - busy < 0) {
        return requeue(
            job, false, config.busyWait(), "agent busy: its gateway said its socket is behind");
      }
      busyUntil.remove(agent);
    }
    if (perAgent.getOrDefault(agent, 0) >= config.dispatchMaxPerAgent()) {
      // The agent's dispatches are all out: the job waits here, leased and in order, for the first
      // to end (one more round at most, so well within its lease), rather than going back to the
      // queue for a second and losing its place to younger jobs. Past that, back to the queue.
      var waitingHere = heldForAgent.computeIfAbsent(agent, k -> new java.util.ArrayDeque<>());
      if (waitingHere.size() < config.dispatchMaxPerAgent()) {
        Promise<Void> done = Promise.promise();
        // Without the content it may hold: read again when its turn comes, so waiting jobs do not
        // hold content outside PRINTFLEET_DISPATCH_MAX_BYTES.
        waitingHere.add(() -> dispatch(job, null).onComplete(done));
        return done.future();
      }
      return requeue(
          job,
          false,
          config.busyWait(),
          "agent busy: " + config.dispatchMaxPerAgent() + " dispatches wait on it");
    }
    // One job bigger than the cap still goes, alone: it could never go otherwise.
    if (bytesInFlight > 0 && bytesInFlight + job.contentBytes() > config.dispatchMaxBytes()) {
      return requeue(
          job, false, config.busyWait(), "dispatcher busy: content being sent is at its cap");
    }
    perAgent.merge(agent, 1, Integer::sum);
    bytesInFlight += job.contentBytes();
    var held = new Held(job.contentBytes(), agent);
    return routes
        .lookup(agent)
        .recover(
            e -> {
              // Redis not answering says nothing about the agent: the job tries again soon, no
              // attempt used.
              held.release();
              return requeueNotSent(
                      job, "its agent's presence could not be read: " + e.getMessage())
                  .compose(v -> Future.failedFuture(new NotRouted()));
            })
        .compose(
            instance -> {
              if (instance.isEmpty()) {
                held.release();
                // Right after Redis lost its data, a missing presence more likely means the entry
                // went with it than that the agent left: try again soon rather than after the
                // offline wait.
                boolean presenceLost = System.nanoTime() - presenceLostUntil < 0;
                if (!presenceLost) {
                  deferAgent(agent);
                }
                return requeue(
                    job,
                    false,
                    presenceLost ? config.routeWait() : JobStore.PARKED,
                    JobStore.OFFLINE);
              }
              if (liveness.isDead(instance.get(), System.nanoTime())) {
                held.release();
                routes.notThere(agent, instance.get());
                return requeueNotSent(
                    job,
                    "gateway " + instance.get() + " stopped its heartbeats",
                    waitFor(instance.get()));
              }
              if (content != null) {
                return send(job, instance.get(), new AtomicReference<>(content), held, breaker);
              }
              return jobs.content(job.id())
                  .compose(
                      read -> {
                        if (read.isEmpty()) {
                          // Cancelled or expired since the claim: nothing to send.
                          held.release();
                          return Future.<Void>succeededFuture();
                        }
                        return send(
                            job, instance.get(), new AtomicReference<>(read.get()), held, breaker);
                      });
            })
        .onComplete(
            done -> {
              held.release();
              held.freeSlot();
            });
  }

  /**
   * The agent is offline: all its due jobs are parked (JobStore.PARKED), in one statement, at most
   * once per offline wait; its connect releases them ({@link #agentConnected}), and so does {@link
   * #releasePresentParked} if the connect went unheard.
   */
  private void deferAgent(AgentKey agent) {
    onLoop(
        () -> {
          long now = System.nanoTime();
          Long until = deferredAgents.get(agent);
          // A route kept now: its connect was heard after the lookup that found it offline began.
          if (until != null && now - until < 0 || routes.known(agent)) {
            return;
          }
          deferredAgents.put(agent, now + config.offlineWait().toNanos());
          jobs.deferAgent(agent.company(), agent.agentId(), JobStore.PARKED, JobStore.OFFLINE)
              .onSuccess(
                  n ->
                      log.debug(
                          "Jobs of an offline agent put back agent={} company={} jobs={}",
                          agent.agentId(),
                          agent.company(),
                          n))
              .onFailure(
                  e ->
                      log.debug(
                          "Jobs of an offline agent not put back agent={}: {}",
                          agent.agentId(),
                          e.toString()));
        });
  }

  /**
   * Agents with parked jobs looked up each offline wait, at most this many (picked at random past
   * it).
   */
  private static final int PARKED_SWEEP = 1_000;

  /**
   * Parked jobs wait for a release; this is the net under it, every offline wait: agents with
   * parked jobs whose presence is in Redis after all (their connect was not heard here, or was
   * written while a claim parked their jobs) have their jobs released. One probe per printer and
   * one presence lookup per such agent, whatever the number of parked jobs.
   */
  private void releasePresentParked() {
    jobs.parkedAgents(PARKED_SWEEP)
        .onSuccess(
            agents -> {
              for (AgentKey agent : agents) {
                routes
                    .lookup(agent)
                    .onSuccess(
                        instance -> {
                          if (instance.isPresent()) {
                            jobs.releaseForAgent(agent.company(), agent.agentId())
                                .onSuccess(
                                    n -> {
                                      log.info(
                                          "Released the parked jobs of an agent found present agent={} company={} jobs={}",
                                          agent.agentId(),
                                          agent.company(),
                                          n);
                                      onLoop(() -> deferredAgents.remove(agent));
                                      nudge();
                                    });
                          }
                        });
              }
            })
        .onFailure(e -> log.debug("Parked jobs not swept: {}", e.toString()));
  }

  /** The printer's circuit is open: all its due jobs wait the circuit's reset, in one statement. */
  private void deferPrinter(String company, String printerId) {
    onLoop(
        () -> {
          long now = System.nanoTime();
          var printer = new PrinterKey(company, printerId);
          Long until = deferredPrinters.get(printer);
          if (until != null && now - until < 0) {
            return;
          }
          deferredPrinters.put(printer, now + config.circuitReset().toNanos());
          jobs.deferPrinter(company, printerId, config.circuitReset(), "circuit open")
              .onFailure(
                  e ->
                      log.debug(
                          "Jobs of an open circuit not put back printer={}: {}",
                          printerId,
                          e.toString()));
        });
  }

  private record PrinterKey(String company, String printerId) {}

  /** A dispatch that ended in a re-queue already written: nothing more to do. */
  private static final class NotRouted extends RuntimeException {
    NotRouted() {
      super("not routed", null, false, false);
    }
  }

  /**
   * Redis lost its data (this instance's cluster guard found and healed the loss): agents' presence
   * entries went with it until their gateways write them again. Jobs that waited as offline since
   * are due now, and for a while a missing presence waits only {@code
   * PRINTFLEET_DISPATCH_ROUTE_WAIT}.
   */
  public void afterPresenceLoss() {
    onLoop(
        () -> {
          presenceLostUntil = System.nanoTime() + PRESENCE_LOSS_WINDOW.toNanos();
          // Found offline while their presence was missing, perhaps: looked up again.
          deferredAgents.clear();
        });
    jobs.releaseOffline()
        .onSuccess(
            released -> {
              log.info(
                  "Redis lost its data: jobs waiting for an offline agent are due again jobs={}",
                  released);
              if (released > 0) {
                nudge();
              }
            })
        .onFailure(
            e -> log.warn("Jobs waiting for an offline agent not released: {}", e.toString()));
  }

  /**
   * Content counted against {@code PRINTFLEET_DISPATCH_MAX_BYTES} from the claim until the
   * gateway's first reply: it wrote the frame, or (one step, {@link #ONE_STEP_MAX_BYTES} at most)
   * the agent answered; or until the dispatch ended before. Released once, on the loop's context.
   */
  private final class Held {
    private long bytes;
    private final AgentKey agent;
    private boolean slotFreed;

    Held(long bytes, AgentKey agent) {
      this.bytes = bytes;
      this.agent = agent;
    }

    /**
     * The agent's dispatch slot ({@code PRINTFLEET_DISPATCH_MAX_PER_AGENT}) is free once the agent
     * answered (or the dispatch ended before): what follows is this instance's own write, which
     * must not hold the next job for the agent back. Freed once, on the loop's context; the next
     * job held here for the agent goes.
     */
    void freeSlot() {
      onLoop(
          () -> {
            if (slotFreed) {
              return;
            }
            slotFreed = true;
            perAgent.computeIfPresent(agent, (k, n) -> n > 1 ? n - 1 : null);
            var next = heldForAgent.get(agent);
            if (next != null) {
              Runnable waiting = next.poll();
              if (next.isEmpty()) {
                heldForAgent.remove(agent);
              }
              if (waiting != null) {
                waiting.run();
              }
            }
          });
    }

    void release() {
      onLoop(
          () -> {
            bytesInFlight -= bytes;
            bytes = 0;
          });
    }
  }

  /**
   * {@code content} is taken out of its holder when the request is built: the breaker keeps its
   * command until the agent answers, and the command must not keep the content that long.
   */
  private Future<Void> send(
      JobStore.Claimed job,
      String instance,
      AtomicReference<byte[]> content,
      Held held,
      io.vertx.circuitbreaker.CircuitBreaker breaker) {
    var written = new AtomicBoolean();
    // Only the printer's own failures fail the breaker's command; a route's failure completes it,
    // as busy does, so it neither counts nor opens the circuit.
    return breaker
        .<DispatchOutcome>execute(
            promise ->
                request(job, instance, content.getAndSet(null), held, written)
                    .onComplete(
                        ar -> {
                          if (!written.get()
                              && ar.cause() instanceof io.vertx.core.eventbus.ReplyException e
                              && e.failureType() == io.vertx.core.eventbus.ReplyFailure.TIMEOUT) {
                            // Not even the first step in PRINTFLEET_DISPATCH_ROUTE_TIMEOUT: leave
                            // the gateway until it beats again, so its other jobs do not each wait
                            // that long too.
                            liveness.suspect(instance);
                          }
                          var outcome =
                              DispatchOutcome.of(
                                  ar.result(),
                                  ar.cause(),
                                  written.get(),
                                  liveness.isDead(instance, System.nanoTime()));
                          if (outcome.kind() == DispatchOutcome.Kind.PRINTER_FAILED) {
                            promise.fail(outcome.reason());
                          } else {
                            promise.complete(outcome);
                          }
                        }))
        .compose(
            outcome ->
                switch (outcome.kind()) {
                  case BUSY ->
                      markBusy(new AgentKey(job.company(), job.agentId()))
                          .compose(
                              v ->
                                  requeue(
                                      job,
                                      false,
                                      config.busyWait(),
                                      "agent busy: " + outcome.reason()));
                  case NOT_SENT -> {
                    routes.notThere(new AgentKey(job.company(), job.agentId()), instance);
                    yield requeueNotSent(
                        job, outcome.reason() + " (via " + instance + ")", waitFor(instance));
                  }
                  default -> {
                    metrics.delivered(job.createdAt());
                    yield writeDispatchedLater(job, instance);
                  }
                },
            e -> {
              int attempts = job.attempts() + 1;
              JobState next = retries.afterFailure(attempts);
              return requeue(
                      job, true, retries.backoff(attempts), "dispatch failed: " + e.getMessage())
                  .onSuccess(
                      v ->
                          log.info(
                              "Dispatch failed job={} printer={} attempts={} next={}: {}",
                              job.id(),
                              job.printerId(),
                              attempts,
                              next.wire(),
                              e.getMessage()));
            });
  }

  /**
   * The agent accepted the job: its {@code dispatched} is written {@code
   * PRINTFLEET_DISPATCH_RESULT_GRACE} later, unless its result comes first and writes it (the
   * common case: a printer answers within a second or two), so a job costs two writes, its
   * acceptance and its result. The job stays leased to this instance meanwhile; the dispatch itself
   * is over, and its slot free.
   */
  private Future<Void> writeDispatchedLater(JobStore.Claimed job, String instance) {
    String detail = "sent to " + job.agentId() + " via " + instance;
    if (config.resultGrace().toMillis() < 1 || stopping) {
      // No grace (PRINTFLEET_DISPATCH_RESULT_GRACE=0s), or shutting down: written now.
      return jobs.markDispatched(job, detail).onSuccess(this::publish).mapEmpty();
    }
    onLoop(
        () -> {
          // The same job sent again by this instance within the grace (a new lease): only the
          // newest write is kept; the older one, fenced by its lease's mark, would change nothing.
          Unwritten previous =
              dispatchedUnwritten.put(
                  job.id(),
                  new Unwritten(
                      vertx.setTimer(
                          config.resultGrace().toMillis(),
                          id -> {
                            Unwritten due = dispatchedUnwritten.get(job.id());
                            if (due != null && due.job() == job) {
                              dispatchedUnwritten.remove(job.id());
                              // A no-op when the result was written meanwhile (on another
                              // instance): the job is no longer queued.
                              jobs.markDispatched(job, detail)
                                  .onSuccess(this::publish)
                                  .onFailure(
                                      e ->
                                          log.debug(
                                              "Dispatched not written job={}: {}",
                                              job.id(),
                                              e.toString()));
                            }
                          }),
                      job));
          if (previous != null) {
            vertx.cancelTimer(previous.timer());
          }
        });
    return Future.succeededFuture();
  }

  /**
   * A job whose {@code dispatched} waits for its result: the timer that writes it, and its lease.
   */
  private record Unwritten(long timer, JobStore.Claimed job) {}

  /**
   * The route to the agent failed: the job goes back for the agent's next location without an
   * attempt. It waits {@code PRINTFLEET_DISPATCH_ROUTE_WAIT} so a presence entry still naming a
   * gone gateway is not hammered; the agent connecting (or its presence coming back) releases it at
   * once.
   */
  private Future<Void> requeueNotSent(JobStore.Claimed job, String reason) {
    return requeueNotSent(job, reason, config.routeWait());
  }

  /**
   * How long a job not sent through {@code instance} waits: the offline wait when the gateway's
   * heartbeats stopped (its agents connect elsewhere, and that releases the job); the route wait
   * when it is only suspected after a slow answer (a live gateway's agents do not reconnect).
   */
  private Duration waitFor(String instance) {
    return liveness.heartbeatsStopped(instance, System.nanoTime())
        ? config.offlineWait()
        : config.routeWait();
  }

  /**
   * {@code wait}: the offline wait when the agent's gateway is dead or left (its agents will
   * connect elsewhere, and that releases the job at once, even one held here at that moment: see
   * JobStore's AFTER_WAIT), so jobs for a frozen gateway's agents are not claimed again and again
   * meanwhile; the route wait otherwise.
   */
  private Future<Void> requeueNotSent(JobStore.Claimed job, String reason, Duration wait) {
    log.debug("Dispatch not sent job={} printer={}: {}", job.id(), job.printerId(), reason);
    return jobs.requeueNotSent(
            job, wait, "not sent: " + reason + ", re-queued for the agent's next location")
        .mapEmpty();
  }

  /** Fails, as not sent, every dispatch waiting on a gateway whose heartbeats stopped. */
  private void leaveSilentGateways() {
    long now = System.nanoTime();
    liveness.evictLongGone(now);
    waiting.forEach(
        (instance, dispatches) -> {
          if (liveness.isDead(instance, now) && !dispatches.isEmpty()) {
            log.warn(
                "Gateway stopped its heartbeats, its dispatches are re-queued gateway={} dispatches={}",
                instance,
                dispatches.size());
            List.copyOf(dispatches)
                .forEach(
                    w ->
                        w.outcome()
                            .tryComplete(
                                AgentReply.notSent(
                                    "unavailable",
                                    "gateway " + instance + " stopped its heartbeats")));
          }
        });
  }

  /** A gateway wrote these agents' presence back (Redis had lost it): they are looked up again. */
  public void presenceBack(List<AgentKey> agents) {
    onLoop(() -> agents.forEach(deferredAgents::remove));
  }

  /**
   * An agent connected to {@code instance}: its dispatches still waiting on another gateway are not
   * sent (that gateway lost the agent; killed, it would never answer and they would wait out the
   * dispatch timeout holding the agent's slots). They go back for the agent's new location.
   */
  public void agentConnected(AgentKey agent, String instance) {
    onLoop(
        () -> {
          // Its jobs put back here may have been put back just after its connect released them:
          // again.
          if (deferredAgents.remove(agent) != null) {
            jobs.releaseForAgent(agent.company(), agent.agentId())
                .onSuccess(released -> nudge())
                .onFailure(
                    e ->
                        log.debug(
                            "Jobs of a connected agent not released agent={}: {}",
                            agent.agentId(),
                            e.toString()));
          }
        });
    waiting.forEach(
        (other, dispatches) -> {
          if (!other.equals(instance)) {
            for (Waiting w : List.copyOf(dispatches)) {
              if (w.agent().equals(agent)) {
                w.outcome()
                    .tryComplete(
                        AgentReply.notSent(
                            "not_found", "the agent connected to " + instance + " since"));
              }
            }
          }
        });
  }

  /**
   * The two steps of {@link DispatchRequest}: the request with the content, answered once the
   * gateway has written it (or refused it); then a follow-up without content, answered with the
   * agent's answer. An agent that answers within {@link #answerWithinMs} makes it one step for
   * content up to {@link #ONE_STEP_MAX_BYTES}: the first reply is its answer. Nothing here keeps
   * the content past the first step. {@code written} is set once the first step says the frame
   * reached the agent's socket.
   */
  private Future<AgentReply> request(
      JobStore.Claimed job, String instance, byte[] content, Held held, AtomicBoolean written) {
    // Both steps share one deadline, so a dispatch never outlives PRINTFLEET_DISPATCH_TIMEOUT and
    // with it the lease that keeps other instances off the job.
    long deadline = System.nanoTime() + config.dispatchTimeout().toNanos();
    var options = new DeliveryOptions().setSendTimeout(config.dispatchTimeout().toMillis());
    var body =
        new DispatchRequest(
                job.id().toString(),
                job.company(),
                job.agentId(),
                job.printerId(),
                job.contentType(),
                Base64.getEncoder().encodeToString(content),
                job.copies(),
                job.createdAt().toInstant())
            .toJson();
    log.debug("Dispatching job={} agent={} via={}", job.id(), job.agentId(), instance);
    Promise<AgentReply> result = Promise.promise();
    var entry = new Waiting(new AgentKey(job.company(), job.agentId()), result);
    // Added inside compute: the removal below may drop an emptied set at the same moment.
    waiting.compute(
        instance,
        (k, set) -> {
          Set<Waiting> dispatches = set == null ? ConcurrentHashMap.newKeySet() : set;
          dispatches.add(entry);
          return dispatches;
        });
    result
        .future()
        .onComplete(
            done -> {
              held.release();
              held.freeSlot();
              waiting.computeIfPresent(
                  instance,
                  (k, set) -> {
                    set.remove(entry);
                    return set.isEmpty() ? null : set;
                  });
            });
    // The first step is the gateway's own work (milliseconds): it has
    // PRINTFLEET_DISPATCH_ROUTE_TIMEOUT.
    long firstMs = Math.min(config.routeTimeout().toMillis(), config.dispatchTimeout().toMillis());
    vertx
        .eventBus()
        .<JsonObject>request(
            Addresses.gateway(instance), body, firstStep(options, firstMs, content.length))
        .onComplete(first -> held.release())
        .compose(
            first -> {
              AgentReply reply = AgentReply.fromJson(first.body());
              if (first.headers().contains(DispatchRequest.ANSWERED_HEADER)) {
                // One step: the agent's answer, its frame written.
                written.set(true);
                return Future.succeededFuture(reply);
              }
              if (!reply.isWritten()) {
                return Future.succeededFuture(reply);
              }
              written.set(true);
              long leftMs = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
              return first
                  .<JsonObject>replyAndRequest(
                      new JsonObject(), new DeliveryOptions().setSendTimeout(leftMs))
                  .map(answer -> AgentReply.fromJson(answer.body()));
            })
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                result.tryComplete(ar.result());
              } else {
                result.tryFail(ar.cause());
              }
            });
    return result.future();
  }

  /** The first step's delivery: one step allowed for content up to {@link #ONE_STEP_MAX_BYTES}. */
  private static DeliveryOptions firstStep(DeliveryOptions options, long firstMs, int bytes) {
    var first =
        new DeliveryOptions(options)
            .setSendTimeout(firstMs)
            .addHeader(Addresses.ACTION_HEADER, DispatchRequest.ACTION);
    if (bytes <= ONE_STEP_MAX_BYTES) {
      first.addHeader(DispatchRequest.ANSWER_WITHIN_HEADER, Long.toString(answerWithinMs(firstMs)));
    }
    return first;
  }

  /**
   * How long a gateway may wait for the agent's answer to reply once (DispatchRequest): a quarter
   * of the first step's timeout at most, so a gateway that takes it all still answers well within
   * that timeout.
   */
  static long answerWithinMs(long firstStepMs) {
    return Math.min(ANSWER_WITHIN_MS, firstStepMs / 4);
  }

  private Future<Void> markBusy(AgentKey agent) {
    onLoop(() -> busyUntil.put(agent, System.nanoTime() + config.busyWait().toNanos()));
    return Future.succeededFuture();
  }

  private Future<Void> requeue(
      JobStore.Claimed job, boolean attempt, Duration wait, String reason) {
    JobState state = attempt ? retries.afterFailure(job.attempts() + 1) : JobState.QUEUED;
    return jobs.requeue(job, state, attempt, wait, reason)
        .onSuccess(
            updated -> {
              if (state == JobState.FAILED) {
                publish(updated);
              } else if (attempt && updated.isPresent()) {
                metrics.retried();
              }
            })
        .mapEmpty();
  }

  private void sweep() {
    long now = System.nanoTime();
    busyUntil.values().removeIf(until -> now - until >= 0);
    deferredAgents.values().removeIf(until -> now - until >= 0);
    deferredPrinters.values().removeIf(until -> now - until >= 0);
    // Failures here are the database's (the claim's WARN says so once per outage): retried next
    // sweep.
    jobs.redispatchStale(config.resultDeadline())
        .onSuccess(
            list -> {
              list.forEach(job -> publish(Optional.of(job)));
              if (!list.isEmpty()) {
                nudge();
              }
            })
        .onFailure(e -> log.debug("Stale dispatches not swept: {}", e.toString()));
  }

  /**
   * How often jobs queued past their TTL are looked for: a tenth of the TTL, between 5 s and a
   * minute. The statement reads every queued job (no index orders them by age; one would cost every
   * accepted job a write): with 100,000 jobs parked for an offline agent it took 57 to 99 ms on
   * this project's 2-core machine, which every 5 s took PostgreSQL from the other tenants' jobs for
   * 1 to 2 % of the time. A job expires at most this late.
   */
  static Duration expiryEvery(Duration ttl) {
    Duration tenth = ttl.dividedBy(10);
    if (tenth.compareTo(EXPIRY_MIN) < 0) {
      return EXPIRY_MIN;
    }
    return tenth.compareTo(EXPIRY_MAX) > 0 ? EXPIRY_MAX : tenth;
  }

  private void expire() {
    jobs.expire(config.jobTtl())
        .onSuccess(list -> list.forEach(job -> publish(Optional.of(job))))
        .onFailure(e -> log.debug("Expired jobs not swept: {}", e.toString()));
  }

  /**
   * Publishes a written state change on printfleet.events.job, in the next batch ({@link
   * JobEventBatches}).
   */
  public void publish(Optional<Job> job) {
    job.ifPresent(metrics::changed);
    job.ifPresent(
        j ->
            events.add(
                new JobEvent(
                    j.id().toString(),
                    j.printerId(),
                    j.company(),
                    j.branch(),
                    j.state().wire(),
                    j.attempts(),
                    j.error(),
                    Instant.now())));
  }
}
