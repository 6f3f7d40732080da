package dev.printfleet.simulator.load;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.simulator.SimulatedAgent;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Jobs through the whole system: submitted to the REST API at a fixed rate, dispatched to simulated
 * agents through the gateway, their results watched by a dashboard. Measures the time from POST to
 * the 201, to the agent receiving the job and to the dashboard seeing it final, and names every
 * accepted job that never reached a final state.
 */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = {
      "Submit jobs at a fixed rate through the printing API to simulated agents on a gateway.",
      "Reports accept, dispatch and print latency (HdrHistogram), throughput per second, errors by kind,",
      "and lost jobs (accepted, never final). Exits 1 when a job is lost, 0 otherwise."
    })
final class JobLoad implements Callable<Integer> {

  @CommandLine.Mixin LoadGenerator.Target target = new LoadGenerator.Target();

  @Option(
      names = "--api-host",
      description = "printing-service host (default: ${DEFAULT-VALUE}).",
      defaultValue = "127.0.0.1")
  String apiHost;

  @Option(
      names = "--api-port",
      description = "printing-service port (default: ${DEFAULT-VALUE}).",
      defaultValue = "8081")
  int apiPort;

  @Option(
      names = "--agents",
      description = "Simulated agents (default: ${DEFAULT-VALUE}).",
      defaultValue = "20")
  int agents;

  @Option(
      names = "--printers",
      description = "Printers per agent (default: ${DEFAULT-VALUE}).",
      defaultValue = "2")
  int printers;

  @Option(
      names = "--rate",
      description = "Jobs submitted per second (default: ${DEFAULT-VALUE}).",
      defaultValue = "100")
  int rate;

  /**
   * The POSTs go out on a timer of this period, those due by each tick together: at 1,000 jobs/s a
   * 10 ms tick sent ten at the same instant, so the tenth waited for the nine before it on the
   * server. The Socket.IO peer's load client ticks every millisecond; so does this one by default.
   */
  @Option(
      names = "--send-every",
      description =
          "Milliseconds between the ticks that send the jobs due, 1..10 (default: ${DEFAULT-VALUE}, as the Socket.IO peer's load client).",
      defaultValue = "1")
  int sendEveryMs;

  @Option(
      names = "--duration",
      description = "Seconds of submission (default: ${DEFAULT-VALUE}).",
      defaultValue = "30")
  int durationS;

  @Option(
      names = "--warmup",
      description =
          "Seconds of load before the measured run, not counted: the rate ramps up over its first half, and the measured run follows without a pause (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int warmupS;

  @Option(
      names = "--grace",
      description =
          "Seconds to wait after the last submission for every job to be final (default: ${DEFAULT-VALUE}).",
      defaultValue = "60")
  int graceS;

  @Option(
      names = "--print-delay",
      description = "Milliseconds a simulated printer takes (default: ${DEFAULT-VALUE}).",
      defaultValue = "20")
  long printDelayMs;

  @Option(
      names = "--failure-rate",
      description = "Share of prints that fail, 0..1 (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  double failureRate;

  /**
   * As many as the peer's load client holds for its POSTs (its {@code --max-sockets}). With 32, the
   * POSTs due while 32 were unanswered queued here: a closed loop that capped 2,000 jobs/s at about
   * 1,500 (32 connections ÷ about 20 ms), which independent clients would not.
   */
  @Option(
      names = "--http-connections",
      description =
          "HTTP connections to the API at most, opened as needed (default: ${DEFAULT-VALUE}, as the Socket.IO peer's load client).",
      defaultValue = "512")
  int httpConnections;

  @Option(
      names = "--status-every",
      description =
          "Each agent changes a printer's status every this many ms; 0: never (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  long statusEveryMs;

  @Option(
      names = "--dashboards",
      description =
          "Dashboards watching branch rooms, besides the one that watches the company (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int dashboards;

  @Option(
      names = "--ready-file",
      description =
          "Touched when the measured submission starts, so a script can start something alongside it (the abuse bench starts its attacks).")
  java.nio.file.Path readyFile;

  @Option(
      names = "--stop-file",
      description =
          "Stop submitting as soon as this file exists (before --duration ends), then wait for the jobs to end and report.")
  java.nio.file.Path stopFile;

  @Option(
      names = "--latencies-file",
      description = {
        "Write every measured job that was accepted (201, or 200 for a repeated key) here, one line",
        "each, in the order they were posted: when it was posted (the monotonic clock the JVM's",
        "System.nanoTime reads, CLOCK_MONOTONIC on Linux, in microseconds), then POST -> accepted",
        "and POST -> agent in microseconds (-1: never reached an agent). To line the slow jobs up",
        "with what else ran at that moment (kernel threads, GC logs with the 'tn' decorator)."
      })
  java.nio.file.Path latenciesFile;

  @Option(
      names = "--backlog",
      description = {
        "Before the run, queue this many jobs for another company's agent that then stays offline (its",
        "printer synced once, then disconnected), as fast as the API takes them: the fairness bench's",
        "backlog. 0: none (default: ${DEFAULT-VALUE})."
      },
      defaultValue = "0")
  int backlog;

  @Option(
      names = "--backlog-company",
      description = "The company of that backlog (default: ${DEFAULT-VALUE}).",
      defaultValue = "backlog")
  String backlogCompany;

  /** What is known of one submitted job, by submission number. */
  private static final class Tracked {
    final long postedAt;
    volatile long acceptedAt;
    volatile long receivedAt;
    volatile String id;

    Tracked(long postedAt) {
      this.postedAt = postedAt;
    }
  }

  /**
   * Every job posted, the warm-up's too, by submission number: one lookup for every arrival, the
   * same before and after the measured run begins (a lookup that changed at that moment threw away
   * the load generator's compiled receiving code and timed arrivals late while it recompiled).
   */
  private final Map<Integer, Tracked> posted = new ConcurrentHashMap<>();

  /** Jobs numbered from here on are the measured run's, counted in its figures. */
  private volatile int firstMeasured;

  private final Map<String, Long> finalAt = new ConcurrentHashMap<>();
  private final Map<String, String> finalState = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
  private final AtomicLong duplicatesReceived = new AtomicLong();
  private final AtomicLong statusFrames = new AtomicLong();
  private final AtomicLong statusUpdates = new AtomicLong();
  private MetricsSampler sampler;

  /**
   * Every job's second from the warm-up's start ({@code timelineFromWarmup} in the report: {@code
   * s} counts from there, the measured run begins at {@code warmupS}): whether the services kept up
   * with the ramp, or carried a backlog into the measured run.
   */
  private volatile Timeline wholeRun;

  @Override
  public Integer call() throws Exception {
    if (sendEveryMs < 1 || sendEveryMs > 10) {
      System.err.println("loadgen jobs: --send-every must be 1..10 ms");
      return 2;
    }
    if (agents < 1 || agents > 5_000 || printers < 1 || rate < 1 || durationS < 1) {
      System.err.println(
          "loadgen jobs: --agents must be 1..5000, --printers, --rate and --duration at least 1");
      return 2;
    }
    if (backlog < 0
        || backlog > 10_000_000
        || (backlog > 0 && backlogCompany.equals(target.company))) {
      System.err.println(
          "loadgen jobs: --backlog must be 0..10000000 and --backlog-company another company than --company");
      return 2;
    }
    var run = new LoadGenerator.Run(target);
    var vertx = run.vertx;
    HttpClient api =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setDefaultHost(apiHost)
                .setDefaultPort(apiPort)
                .setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(httpConnections).setMaxWaitQueueSize(100_000));
    String user =
        run.issuer.user("loadgen", Role.USER, target.company, List.of(), Duration.ofHours(6));

    List<SimulatedAgent> fleet = new ArrayList<>();
    List<String> printerIds = new ArrayList<>();
    for (int i = 0; i < agents; i++) {
      String agentId = target.idPrefix + "job" + i;
      String token = run.issuer.agent(agentId, target.company, "b" + i % 10, Duration.ofHours(6));
      var agent =
          new SimulatedAgent(
              vertx,
              run.client(i),
              target.host,
              target.port,
              agentId,
              SimulatedAgent.printerIdsFor(agentId, printers),
              () -> token,
              new SimulatedAgent.Behaviour(printDelayMs, failureRate, statusEveryMs));
      if (target.protocol == LoadGenerator.AgentProtocol.SOCKETIO) {
        agent.overSocketIo();
      }
      agent.onDispatch(this::received);
      fleet.add(agent);
      printerIds.addAll(agent.printerIds());
    }
    Future.join(fleet.stream().map(SimulatedAgent::start).toList())
        .toCompletionStage()
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    if (!waitFor(() -> fleet.stream().allMatch(SimulatedAgent::isConnected), 60)
        || !waitFor(() -> knownPrinters(api, user) >= printerIds.size(), 60)) {
      System.err.println("loadgen jobs: the agents or their printers did not appear within 60 s");
      run.finish(new JsonObject().put("mode", "jobs").put("error", "agents not ready"));
      return 1;
    }
    JsonObject backlogReport = backlog > 0 ? queueBacklog(run, vertx, api) : null;
    watchDashboard(run, vertx);
    for (int d = 0; d < dashboards; d++) {
      run.dashboard(
              d % 10,
              frame -> {
                statusFrames.incrementAndGet();
                statusUpdates.addAndGet(
                    frame.data().getJsonArray("updates", new JsonArray()).size());
              },
              errors)
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    }

    // Sampling starts with the warm-up: the services' first scrapes run interpreted code, and they
    // must not land in the measured run's first seconds.
    sampler = new MetricsSampler(vertx, target.sampled);
    sampler.start();
    // The warm-up is the same load (ramped up over its first half) without a gap: the measured run
    // begins at a job number while jobs keep going out at the rate (a warm-up that drained first
    // and started again measured seconds of a restart from idle, not the steady state). Warm-up
    // jobs are then set aside: counted in the whole run's timeline only.
    int rampS = warmupS / 2;
    int warmupJobs = (int) dueAfter(warmupS * 1_000_000_000L, rampS);
    var measuredFrom = new java.util.concurrent.CompletableFuture<Long>();
    var connectsBefore = new AtomicLong();
    Runnable measure =
        () -> {
          connectsBefore.set(fleet.stream().mapToLong(SimulatedAgent::connects).sum());
          errors.clear();
          statusFrames.set(0);
          statusUpdates.set(0);
          sampler.reset();
          measuredFrom.complete(System.nanoTime());
          if (readyFile != null) {
            try {
              java.nio.file.Files.writeString(readyFile, "submitting");
            } catch (java.io.IOException e) {
              System.err.println("loadgen jobs: could not write the ready file: " + e);
            }
          }
        };
    if (warmupS > 0) {
      System.out.printf(
          "warming up: up to %d jobs/s over %d s, then %d s at that rate (not measured); measured without a pause after%n",
          rate, rampS, warmupS - rampS);
    } else {
      measure.run();
    }
    System.out.printf(
        "submitting %d jobs/s for %d s to %d printers of %d agents%n",
        rate, durationS, printerIds.size(), agents);
    wholeRun = new Timeline(System.nanoTime());
    firstMeasured = warmupJobs;
    submitAtRate(vertx, api, user, printerIds, warmupS + durationS, rampS, warmupJobs, measure);
    long started = measuredFrom.getNow(System.nanoTime());
    long submittedAt = System.nanoTime();
    waitFor(() -> measured().allMatch(t -> t.acceptedAt != 0), 60);
    waitFor(() -> accepted().stream().allMatch(t -> finalAt.containsKey(t.id)), graceS);

    // The dashboard may have missed an update (a frame dropped while it was behind): ask the API.
    List<String> lost = new ArrayList<>();
    for (Tracked t : accepted()) {
      if (!finalAt.containsKey(t.id)) {
        String state = stateOf(api, user, t.id);
        if (state == null) {
          // The GET itself failed (a busy printing service): ask once more before calling it lost.
          Thread.sleep(1_000);
          state = stateOf(api, user, t.id);
        }
        if (state == null || state.equals("queued") || state.equals("dispatched")) {
          lost.add(t.id + " (" + state + ")");
        }
      }
    }
    sampler.stop();
    // An agent whose socket closed during the measured run connected again: each such connect
    // is a neighbour disconnected (an honest agent has no reason to lose its socket).
    long reconnects =
        fleet.stream().mapToLong(SimulatedAgent::connects).sum() - connectsBefore.get();
    long notConnected = fleet.stream().filter(a -> !a.isConnected()).count();
    var report = report(started, submittedAt, lost);
    if (latenciesFile != null) {
      writeLatencies(latenciesFile);
    }
    report.put("agentReconnects", reconnects).put("agentsNotConnectedAtEnd", notConnected);
    if (backlogReport != null) {
      report.put(
          "backlog",
          backlogReport.put(
              "queuedAtEnd",
              queuedCount(
                  api, backlogReport.getString("token"), backlogReport.getString("printerId"))));
      backlogReport.remove("token");
      System.out.printf(
          "backlog of %s still queued at the end: %d jobs%n",
          backlogCompany, backlogReport.getLong("queuedAtEnd"));
    }
    System.out.printf(
        "honest agents: %d reconnects during the run, %d not connected at the end%n",
        reconnects, notConnected);
    try {
      Future.join(fleet.stream().map(SimulatedAgent::stop).toList())
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // A gateway that no longer answers (the abuse bench's frame bomb) does not close its
      // sockets: the report is written all the same.
      System.err.println("loadgen jobs: the agents' sockets did not close within 30 s");
    }
    if (target.report != null) {
      writePage(report);
    }
    run.finish(report);
    return lost.isEmpty() ? 0 : 1;
  }

  /**
   * Jobs due {@code nanos} after the start: the rate ramps up linearly over the first {@code rampS}
   * seconds (the warm-up's first half: a cold JVM at full rate falls seconds behind and is still
   * catching up when the measured run begins), then holds.
   */
  private long dueAfter(long nanos, int rampS) {
    double t = nanos / 1e9;
    if (t < rampS) {
      return (long) (rate * t * t / (2.0 * rampS));
    }
    return (long) (rate * (t - rampS / 2.0));
  }

  /**
   * Submits jobs for {@code seconds}, numbered from 0, ramping up over {@code rampS} seconds, then
   * at the rate; {@code atJob} runs just before job number {@code boundary} goes out (0: never).
   */
  private void submitAtRate(
      io.vertx.core.Vertx vertx,
      HttpClient api,
      String user,
      List<String> printerIds,
      int seconds,
      int rampS,
      int boundary,
      Runnable atJob)
      throws InterruptedException {
    long started = System.nanoTime();
    var next = new AtomicInteger();
    long total = dueAfter(seconds * 1_000_000_000L, rampS);
    String authorization = "Bearer " + user;
    // Every tick, the jobs due by now: a steady rate, not bursts (--send-every).
    long timer =
        vertx.setPeriodic(
            sendEveryMs,
            id -> {
              long due = Math.min(total, dueAfter(System.nanoTime() - started, rampS));
              while (next.get() < due) {
                int n = next.getAndIncrement();
                if (n == boundary && boundary > 0) {
                  atJob.run();
                }
                submit(api, authorization, n, printerIds.get(n % printerIds.size()));
              }
            });
    waitFor(
        () -> next.get() >= total || (stopFile != null && java.nio.file.Files.exists(stopFile)),
        seconds + 30);
    vertx.cancelTimer(timer);
  }

  /**
   * The fairness bench's backlog: one agent of {@link #backlogCompany} connects and syncs its
   * printer, leaves, and {@link #backlog} jobs are posted for that printer, 64 in flight, as fast
   * as the API takes them. Answers what was accepted and refused (the company's queued-jobs limit).
   */
  private JsonObject queueBacklog(LoadGenerator.Run run, io.vertx.core.Vertx vertx, HttpClient api)
      throws Exception {
    String agentId = target.idPrefix + "backlog0";
    String agentToken = run.issuer.agent(agentId, backlogCompany, "b0", Duration.ofHours(6));
    String user =
        run.issuer.user(
            "loadgen-backlog", Role.USER, backlogCompany, List.of(), Duration.ofHours(6));
    var agent =
        new SimulatedAgent(
            vertx,
            run.client(0),
            target.host,
            target.port,
            agentId,
            SimulatedAgent.printerIdsFor(agentId, 1),
            () -> agentToken,
            new SimulatedAgent.Behaviour(printDelayMs, 0, 0));
    agent.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (!waitFor(() -> knownPrinters(api, user) >= 1, 60)) {
      throw new IllegalStateException("the backlog agent's printer did not appear within 60 s");
    }
    agent.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    String printerId = agent.printerIds().get(0);
    System.out.printf(
        "queueing a backlog of %d jobs for %s's offline printer %s%n",
        backlog, backlogCompany, printerId);
    long started = System.nanoTime();
    var next = new AtomicInteger();
    var accepted = new AtomicInteger();
    var refused = new AtomicInteger();
    var failed = new AtomicInteger();
    var done = new java.util.concurrent.CountDownLatch(64);
    for (int w = 0; w < 64; w++) {
      postBacklog(api, user, printerId, next, accepted, refused, failed, done);
    }
    if (!done.await(30, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the backlog was not queued within 30 minutes");
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf(
        "backlog: %d accepted, %d refused (429), %d failed in %.1f s%n",
        accepted.get(), refused.get(), failed.get(), seconds);
    return new JsonObject()
        .put("company", backlogCompany)
        .put("printerId", printerId)
        .put("posted", backlog)
        .put("accepted", accepted.get())
        .put("refused429", refused.get())
        .put("failed", failed.get())
        .put("seconds", Math.round(seconds * 10) / 10.0)
        .put("token", user);
  }

  /** One of the backlog's posting workers: posts the next job when its last one is answered. */
  private void postBacklog(
      HttpClient api,
      String user,
      String printerId,
      AtomicInteger next,
      AtomicInteger accepted,
      AtomicInteger refused,
      AtomicInteger failed,
      java.util.concurrent.CountDownLatch done) {
    int n = next.getAndIncrement();
    if (n >= backlog) {
      done.countDown();
      return;
    }
    var body =
        new JsonObject()
            .put("printerId", printerId)
            .put("contentType", "text/plain")
            .put(
                "content",
                Base64.getEncoder()
                    .encodeToString(("backlog " + n + "\n").getBytes(StandardCharsets.UTF_8)));
    api.request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI("/api/v1/jobs")
                .putHeader("Authorization", "Bearer " + user)
                .putHeader("Content-Type", "application/json"))
        .compose(request -> request.send(body.encode()))
        .compose(response -> response.body().map(b -> response.statusCode()))
        .onComplete(
            ar -> {
              if (ar.succeeded() && (ar.result() == 201 || ar.result() == 200)) {
                accepted.incrementAndGet();
              } else if (ar.succeeded() && ar.result() == 429) {
                refused.incrementAndGet();
              } else {
                failed.incrementAndGet();
              }
              postBacklog(api, user, printerId, next, accepted, refused, failed, done);
            });
  }

  /** Queued jobs of the printer, paged through the API (-1 when it does not answer). */
  private long queuedCount(HttpClient api, String user, String printerId) {
    long count = 0;
    String after = null;
    try {
      for (int page = 0; page < 100_000; page++) {
        String uri =
            "/api/v1/jobs?state=queued&limit=500&printerId="
                + printerId
                + (after == null ? "" : "&after=" + after);
        JsonObject body =
            api.request(HttpMethod.GET, uri)
                .compose(r -> r.putHeader("Authorization", "Bearer " + user).send())
                .compose(r -> r.body())
                .map(JsonObject::new)
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        count += body.getJsonArray("items").size();
        after = body.getString("next");
        if (after == null) {
          return count;
        }
      }
      return count;
    } catch (Exception e) {
      return -1;
    }
  }

  private List<Tracked> accepted() {
    return measured().filter(t -> t.id != null).toList();
  }

  /** The measured run's jobs (for its figures, once it is over). */
  private java.util.stream.Stream<Tracked> measured() {
    return posted.entrySet().stream()
        .filter(e -> e.getKey() >= firstMeasured)
        .map(Map.Entry::getValue);
  }

  private void received(JsonObject dispatch) {
    long now = System.nanoTime();
    String text =
        new String(
            Base64.getDecoder().decode(dispatch.getString("content", "")), StandardCharsets.UTF_8);
    if (!text.startsWith("loadgen ")) {
      return;
    }
    int n = Integer.parseInt(text.substring("loadgen ".length()).trim());
    Tracked t = posted.get(n);
    if (t != null && !firstReceipt(t, now) && n >= firstMeasured) {
      duplicatesReceived.incrementAndGet();
    }
  }

  /** Notes a job's first arrival at its agent; false for a duplicate. */
  private boolean firstReceipt(Tracked t, long now) {
    if (t.receivedAt != 0) {
      return false;
    }
    t.receivedAt = now;
    wholeRun.count("received", now, 1);
    wholeRun.latency("toAgent", t.postedAt, now - t.postedAt);
    return true;
  }

  /** {@code authorization}: the header's value, built once for the run. */
  private void submit(HttpClient api, String authorization, int n, String printerId) {
    var tracked = new Tracked(System.nanoTime());
    posted.put(n, tracked);
    var body =
        new JsonObject()
            .put("printerId", printerId)
            .put("contentType", "text/plain")
            .put(
                "content",
                Base64.getEncoder()
                    .encodeToString(("loadgen " + n + "\n").getBytes(StandardCharsets.UTF_8)));
    api.request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI("/api/v1/jobs")
                .putHeader("Authorization", authorization)
                .putHeader("Content-Type", "application/json")
                .putHeader("Idempotency-Key", target.idPrefix + "-" + n))
        .compose(request -> request.send(body.encode()))
        .compose(
            response ->
                response
                    .body()
                    .map(
                        b -> {
                          if (response.statusCode() == 201 || response.statusCode() == 200) {
                            tracked.id = new JsonObject(b).getString("id");
                            tracked.acceptedAt = System.nanoTime();
                            wholeRun.count("accepted", tracked.acceptedAt, 1);
                            wholeRun.latency(
                                "post201", tracked.postedAt, tracked.acceptedAt - tracked.postedAt);
                          } else {
                            tracked.acceptedAt = -1;
                            error("http_" + response.statusCode());
                          }
                          return null;
                        }))
        .onFailure(
            e -> {
              tracked.acceptedAt = -1;
              error(e.getClass().getSimpleName());
            });
  }

  /**
   * The measured jobs that were accepted (as the report's latencies count them), in the order they
   * were posted. A file that cannot be written is said, and the run's report still follows.
   */
  private void writeLatencies(java.nio.file.Path file) {
    var jobs =
        accepted().stream().sorted(java.util.Comparator.comparingLong(t -> t.postedAt)).toList();
    try (var out = java.nio.file.Files.newBufferedWriter(file)) {
      for (Tracked t : jobs) {
        long received = t.receivedAt != 0 ? (t.receivedAt - t.postedAt) / 1_000 : -1;
        out.write(
            t.postedAt / 1_000 + " " + (t.acceptedAt - t.postedAt) / 1_000 + " " + received + "\n");
      }
    } catch (java.io.IOException e) {
      System.err.println("loadgen jobs: could not write the latencies file: " + e);
    }
  }

  private void error(String kind) {
    errors.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
  }

  private static final List<String> FINAL_STATES =
      List.of("printed", "failed", "expired", "cancelled");

  /**
   * False for a frame that names no final state anywhere in its text, so cannot report a job final:
   * the dashboard receives every job's every update, and parsing the ones that are not final cost
   * the load generator a fifth of its allocation (a flight recording at 1,000 jobs/s), on the two
   * cores the services are measured on. A frame that does is parsed (a state, or any other field
   * that happens to hold the word). A skipped frame is not checked either: a malformed one among
   * them is not counted as {@code bad_frame}.
   */
  static boolean mayBeFinal(String frame) {
    for (String state : FINAL_STATES) {
      if (frame.contains(state)) {
        return true;
      }
    }
    return false;
  }

  private void watchDashboard(LoadGenerator.Run run, io.vertx.core.Vertx vertx) throws Exception {
    String token =
        run.issuer.user("loadgen-dash", Role.USER, target.company, List.of(), Duration.ofHours(6));
    var subscribed = new java.util.concurrent.CompletableFuture<Void>();
    run.client(0)
        .connect(
            new WebSocketConnectOptions()
                .setHost(target.host)
                .setPort(target.port)
                .setURI("/ws/client")
                .addHeader("Authorization", "Bearer " + token))
        .onSuccess(
            ws -> {
              ws.textMessageHandler(
                  text -> {
                    long now = System.nanoTime();
                    if (subscribed.isDone() && !mayBeFinal(text)) {
                      return;
                    }
                    try {
                      Envelope e = Envelope.parse(text);
                      if (e.isResponse()) {
                        subscribed.complete(null);
                      } else if (e.type().equals("job.update")) {
                        String state = e.data().getString("state");
                        if ("printed".equals(state)
                            || "failed".equals(state)
                            || "expired".equals(state)
                            || "cancelled".equals(state)) {
                          finalAt.putIfAbsent(e.data().getString("jobId"), now);
                          finalState.putIfAbsent(e.data().getString("jobId"), state);
                        }
                      }
                    } catch (Envelope.ParseException ex) {
                      error("bad_frame");
                    }
                  });
              ws.writeTextMessage(
                  Envelope.request(
                          "subscribe",
                          "s",
                          new JsonObject()
                              .put("rooms", new JsonArray().add("company:" + target.company)))
                      .encode());
            })
        .onFailure(subscribed::completeExceptionally);
    subscribed.get(30, TimeUnit.SECONDS);
  }

  private int knownPrinters(HttpClient api, String user) {
    try {
      return api.request(HttpMethod.GET, "/api/v1/printers")
          .compose(r -> r.putHeader("Authorization", "Bearer " + user).send())
          .compose(r -> r.body())
          .map(b -> new JsonObject(b).getJsonArray("items").size())
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return -1;
    }
  }

  private String stateOf(HttpClient api, String user, String id) {
    try {
      return api.request(HttpMethod.GET, "/api/v1/jobs/" + id)
          .compose(r -> r.putHeader("Authorization", "Bearer " + user).send())
          .compose(r -> r.body())
          .map(b -> new JsonObject(b).getString("state"))
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  private JsonObject report(long started, long submittedAt, List<String> lost) {
    var accept = new Latencies();
    var dispatch = new Latencies();
    var printed = new Latencies();
    int seconds = (int) Math.max(1, (System.nanoTime() - started) / 1_000_000_000L + 1);
    long[] acceptedPerS = new long[seconds];
    long[] receivedPerS = new long[seconds];
    long[] finalPerS = new long[seconds];
    List<List<Long>> toAgentBySecond = new ArrayList<>();
    List<List<Long>> toFinalBySecond = new ArrayList<>();
    for (int i = 0; i < seconds; i++) {
      toAgentBySecond.add(new ArrayList<>());
      toFinalBySecond.add(new ArrayList<>());
    }
    int acceptedCount = 0;
    int finals = 0;
    Map<String, Integer> states = new java.util.TreeMap<>();
    List<Tracked> measuredJobs = measured().toList();
    for (Tracked t : measuredJobs) {
      if (t.id == null) {
        continue;
      }
      acceptedCount++;
      accept.recordNanos(t.acceptedAt - t.postedAt);
      bucket(acceptedPerS, t.acceptedAt - started);
      int second =
          (int) Math.min(seconds - 1, Math.max(0, (t.postedAt - started) / 1_000_000_000L));
      if (t.receivedAt != 0) {
        dispatch.recordNanos(t.receivedAt - t.postedAt);
        bucket(receivedPerS, t.receivedAt - started);
        toAgentBySecond.get(second).add(t.receivedAt - t.postedAt);
      }
      Long done = finalAt.get(t.id);
      if (done != null) {
        finals++;
        printed.recordNanos(done - t.postedAt);
        toFinalBySecond.get(second).add(done - t.postedAt);
        bucket(finalPerS, done - started);
        states.merge(finalState.get(t.id), 1, Integer::sum);
      }
    }
    double submitS = (submittedAt - started) / 1e9;
    var timeline = new JsonArray();
    for (int s = 0; s < seconds; s++) {
      timeline.add(
          new JsonObject()
              .put("s", s)
              .put("accepted", acceptedPerS[s])
              .put("received", receivedPerS[s])
              .put("final", finalPerS[s])
              .put("toAgentP50Ms", percentileMs(toAgentBySecond.get(s), 50))
              .put("toAgentP99Ms", percentileMs(toAgentBySecond.get(s), 99))
              .put("toFinalP50Ms", percentileMs(toFinalBySecond.get(s), 50))
              .put("toFinalP99Ms", percentileMs(toFinalBySecond.get(s), 99)));
    }
    var report =
        new JsonObject()
            .put("mode", "jobs")
            .put("machine", LoadGenerator.machine())
            .put("agents", agents)
            .put("protocol", target.protocol.name().toLowerCase(java.util.Locale.ROOT))
            .put("printers", agents * printers)
            .put("targetRate", rate)
            .put("durationS", durationS)
            .put("warmupS", warmupS)
            .put("sendEveryMs", sendEveryMs)
            .put("submitted", measuredJobs.size())
            .put("accepted", acceptedCount)
            .put("acceptedPerSecond", Math.round(acceptedCount / submitS))
            .put("receivedByAgents", dispatch.count())
            .put("duplicatesReceived", duplicatesReceived.get())
            .put("finalSeenByDashboard", finals)
            .put("finalStates", new JsonObject(new java.util.HashMap<>(states)))
            .put(
                "latencyMs",
                new JsonObject()
                    .put("postTo201", accept.summaryMs())
                    .put("postToAgent", dispatch.summaryMs())
                    .put("postToFinalOnDashboard", printed.summaryMs()))
            .put(
                "errors",
                new JsonObject(
                    new java.util.HashMap<>(
                        errors.entrySet().stream()
                            .collect(
                                java.util.stream.Collectors.toMap(
                                    Map.Entry::getKey, e -> (Object) e.getValue().get())))))
            .put("statusFramesToDashboards", statusFrames.get())
            .put("statusUpdatesToDashboards", statusUpdates.get())
            .put("services", sampler.toJson())
            .put("lost", lost.size())
            .put("lostJobs", new JsonArray(lost.stream().limit(50).toList()))
            .put("timeline", timeline)
            .put("timelineFromWarmup", wholeRun.json());
    System.out.printf(
        "accepted %d of %d jobs (%d/s); agents received %d (%d duplicates); final on dashboard %d; lost %d%n",
        acceptedCount,
        measuredJobs.size(),
        Math.round(acceptedCount / submitS),
        dispatch.count(),
        duplicatesReceived.get(),
        finals,
        lost.size());
    System.out.printf(
        "latency ms: POST->201 %s%n            POST->agent %s%n            POST->final %s%n",
        accept.summaryMs().encode(), dispatch.summaryMs().encode(), printed.summaryMs().encode());
    return report;
  }

  /** Milliseconds at the percentile, or null for a second without samples. */
  private static Double percentileMs(List<Long> nanos, double percentile) {
    if (nanos.isEmpty()) {
      return null;
    }
    List<Long> sorted = new ArrayList<>(nanos);
    sorted.sort(null);
    int index =
        (int) Math.min(sorted.size() - 1, Math.ceil(percentile / 100.0 * sorted.size()) - 1);
    return Math.round(sorted.get(Math.max(0, index)) / 10_000.0) / 100.0;
  }

  private void writePage(JsonObject report) throws java.io.IOException {
    var html =
        ReportPage.writeBeside(
            target.report,
            "printfleet jobs run: " + rate + " jobs/s for " + durationS + " s",
            report,
            List.of(
                ReportPage.Chart.of(
                    "Throughput",
                    "jobs per second",
                    "accepted",
                    "accepted (201)",
                    "received",
                    "received by agents",
                    "final",
                    "final on dashboard"),
                ReportPage.Chart.of(
                    "Latency of the jobs submitted each second",
                    "ms",
                    "toAgentP50Ms",
                    "POST to agent p50",
                    "toAgentP99Ms",
                    "POST to agent p99",
                    "toFinalP99Ms",
                    "POST to final p99")));
    System.out.println("report page: " + html);
  }

  private static void bucket(long[] perSecond, long sinceStartNanos) {
    int s = (int) (sinceStartNanos / 1_000_000_000L);
    if (s >= 0 && s < perSecond.length) {
      perSecond[s]++;
    }
  }

  private static boolean waitFor(java.util.function.BooleanSupplier condition, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }
}
