package dev.printfleet.system;

import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.PrometheusText;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A fault drill on a {@link LocalCluster}: simulated agents connect through nginx, jobs go through
 * nginx at a steady rate, and every job is timed from its 201 to its first {@code job.dispatch} at
 * an agent. While it runs, it watches every service's readiness and the printing instances' open
 * circuits. The fault itself is the test's; the drill reports what it did to the jobs.
 */
final class FaultDrill implements AutoCloseable {

  private static final int MAX_IN_FLIGHT = 1_000;
  private static final Duration STEADY_MIN = Duration.ofSeconds(8);
  private static final Duration STEADY_MAX = Duration.ofSeconds(45);
  private static final Duration STEADY_WAIT = Duration.ofSeconds(1);
  private static final int STEADY_SECONDS = 3;

  /** One accepted job: when its 201 came. */
  record Job(String id, String agent, long acceptedNanos) {}

  private final LocalCluster cluster;
  private final Vertx vertx = Vertx.vertx();
  private final String user;
  private final List<SimulatedAgent> agents = new ArrayList<>();
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  /**
   * When each job first reached an agent, by id: kept apart from {@link #jobs}, since a job may
   * reach its agent before its 201 reaches this client.
   */
  private final Map<String, Long> delivered = new ConcurrentHashMap<>();

  private final Map<String, AtomicLong> refusals = new ConcurrentSkipListMap<>();

  /** Per service, the times its readiness was not 200 (or did not answer). */
  private final Map<String, List<Long>> notReady = new ConcurrentHashMap<>();

  private final AtomicLong mostOpenCircuits = new AtomicLong();
  private final TokenIssuer issuer;
  private final long startedNanos = System.nanoTime();
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private volatile boolean loading;
  private volatile boolean watching = true;
  private Thread load;
  private final Thread watcher;

  /** Services not watched any more (a killed or frozen one). */
  private final Collection<String> unwatched = ConcurrentHashMap.newKeySet();

  FaultDrill(LocalCluster cluster, int agentCount) throws Exception {
    this.cluster = cluster;
    issuer = new TokenIssuer(vertx, LocalCluster.SECRET);
    user = issuer.user("drill", Role.USER, "acme", List.of(), Duration.ofHours(2));
    var client = vertx.createWebSocketClient(new WebSocketClientOptions());
    for (int i = 1; i <= agentCount; i++) {
      String id = String.format("drill-%02d", i);
      String token = issuer.agent(id, "acme", "b" + i, Duration.ofHours(2));
      var agent =
          new SimulatedAgent(
              vertx,
              client,
              "127.0.0.1",
              cluster.nginx,
              id,
              SimulatedAgent.printerIdsFor(id, 1),
              () -> token,
              new SimulatedAgent.Behaviour(20, 0.0, 0));
      agent.onDispatch(data -> delivered.putIfAbsent(data.getString("jobId"), System.nanoTime()));
      agents.add(agent);
    }
    Future.all(agents.stream().map(SimulatedAgent::start).toList())
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> agents.stream().allMatch(SimulatedAgent::isConnected));
    for (var agent : agents) {
      String printer = agent.printerIds().get(0);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  cluster.http("GET", "/api/v1/printers/" + printer, user, null).statusCode()
                      == 200);
    }
    watcher = Thread.ofPlatform().daemon().name("drill-watch").start(this::watch);
  }

  List<SimulatedAgent> agents() {
    return agents;
  }

  /** The gateway holding the most agents now. */
  String busiestGateway() {
    Map<String, Integer> held = new TreeMap<>();
    agents.forEach(a -> held.merge(String.valueOf(a.instance()), 1, Integer::sum));
    return held.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  long agentsOn(String gateway) {
    return agents.stream().filter(a -> gateway.equals(a.instance())).count();
  }

  /** Stops watching a service the test is about to kill or freeze. */
  void unwatch(String service) {
    unwatched.add(service);
  }

  /**
   * Posts jobs through nginx at this rate, round robin over the agents' printers, until {@link
   * #stopLoad()}.
   */
  void startLoad(int perSecond) {
    loading = true;
    long periodNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    load =
        Thread.ofPlatform()
            .daemon()
            .name("drill-load")
            .start(
                () -> {
                  long next = System.nanoTime();
                  int n = 0;
                  while (loading) {
                    long now = System.nanoTime();
                    if (now < next) {
                      java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                      continue;
                    }
                    next += periodNanos;
                    var agent = agents.get(n++ % agents.size());
                    if (!inFlight.tryAcquire()) {
                      refusals
                          .computeIfAbsent("client-backlog", k -> new AtomicLong())
                          .incrementAndGet();
                      continue;
                    }
                    post(agent).whenComplete((r, e) -> inFlight.release());
                  }
                });
  }

  private java.util.concurrent.CompletableFuture<Void> post(SimulatedAgent agent) {
    var body =
        new JsonObject()
            .put("printerId", agent.printerIds().get(0))
            .put("contentType", "text/plain")
            .put(
                "content",
                Base64.getEncoder().encodeToString("drill".getBytes(StandardCharsets.UTF_8)));
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.nginx + "/api/v1/jobs"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + user)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
            .build();
    return Http.client()
        .sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, error) -> {
              if (error != null) {
                // The client's own failure (a reset, a timeout), named by its cause: the wrapper
                // says nothing.
                Throwable cause =
                    error instanceof java.util.concurrent.CompletionException
                            && error.getCause() != null
                        ? error.getCause()
                        : error;
                refusals
                    .computeIfAbsent(
                        "error " + cause.getClass().getSimpleName(), k -> new AtomicLong())
                    .incrementAndGet();
              } else if (response.statusCode() == 201) {
                String id = new JsonObject(response.body()).getString("id");
                jobs.put(id, new Job(id, agent.agentId(), System.nanoTime()));
              } else {
                refusals
                    .computeIfAbsent("http " + response.statusCode(), k -> new AtomicLong())
                    .incrementAndGet();
              }
              return null;
            });
  }

  void stopLoad() throws InterruptedException {
    loading = false;
    load.join(Duration.ofSeconds(5));
    // The last answers come back within their 30 s timeout at worst.
    await()
        .atMost(Duration.ofSeconds(35))
        .until(() -> inFlight.availablePermits() == MAX_IN_FLIGHT);
  }

  private void watch() {
    while (watching) {
      for (String service : LocalCluster.services()) {
        if (!unwatched.contains(service)
            && Http.status(cluster.port(service), "/health/ready") != 200) {
          notReady
              .computeIfAbsent(service, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
              .add(System.nanoTime());
        }
      }
      for (String printing : List.of("printing-1", "printing-2")) {
        try {
          var metrics =
              PrometheusText.parse(
                  Http.send(
                          Http.request(cluster.port(printing), "/metrics", null)
                              .timeout(Duration.ofSeconds(5))
                              .build())
                      .body());
          long open = (long) metrics.value("printfleet_circuits", Map.of("state", "OPEN"));
          mostOpenCircuits.accumulateAndGet(open, Math::max);
        } catch (Exception e) {
          // a printing instance that does not answer has no circuits to read
        }
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
    }
  }

  /** Waits until every accepted job is final in PostgreSQL, or the deadline passes. */
  boolean awaitAllFinal(long deadlineNanos) throws Exception {
    while (System.nanoTime() < deadlineNanos) {
      if (unfinished() == 0) {
        return true;
      }
      Thread.sleep(250);
    }
    return unfinished() == 0;
  }

  long unfinished() throws Exception {
    return Long.parseLong(
        cluster.query("SELECT count(*) FROM jobs WHERE state IN ('queued', 'dispatched')").get(0));
  }

  /** Job counts by state, from PostgreSQL. */
  Map<String, Long> states() throws Exception {
    return countsByState("SELECT state, count(*) FROM jobs GROUP BY state");
  }

  /** Job counts by state, from PostgreSQL, of the jobs accepted since then (System.nanoTime). */
  Map<String, Long> states(long sinceNanos) throws Exception {
    String ids =
        jobs.values().stream()
            .filter(j -> j.acceptedNanos() - sinceNanos >= 0)
            .map(j -> UUID.fromString(j.id()).toString())
            .collect(Collectors.joining(","));
    return countsByState(
        "SELECT state, count(*) FROM jobs WHERE id = ANY('{" + ids + "}'::uuid[]) GROUP BY state");
  }

  /** The rows of a {@code SELECT state, count(*)} as a map. */
  private Map<String, Long> countsByState(String sql) throws Exception {
    Map<String, Long> states = new TreeMap<>();
    for (String row : cluster.query(sql)) {
      String[] parts = row.split(" ");
      states.put(parts[0], Long.parseLong(parts[1]));
    }
    return states;
  }

  int accepted() {
    return jobs.size();
  }

  /** Jobs accepted since then (System.nanoTime). */
  long accepted(long sinceNanos) {
    return jobs.values().stream().filter(j -> j.acceptedNanos() - sinceNanos >= 0).count();
  }

  Map<String, AtomicLong> refusals() {
    return refusals;
  }

  long mostOpenCircuits() {
    return mostOpenCircuits.get();
  }

  /** How long each service was not ready since then (System.nanoTime), in 0.5 s samples. */
  Map<String, Double> notReadySeconds(long sinceNanos) {
    Map<String, Double> seconds = new TreeMap<>();
    notReady.forEach(
        (service, samples) -> {
          long count = samples.stream().filter(at -> at - sinceNanos >= 0).count();
          if (count > 0) {
            seconds.put(service, count * 0.5);
          }
        });
    return seconds;
  }

  boolean everyWatchedServiceReady() {
    return LocalCluster.services().stream()
        .filter(s -> !unwatched.contains(s))
        .allMatch(s -> Http.status(cluster.port(s), "/health/ready") == 200);
  }

  /**
   * The longest time from 201 to an agent of the jobs accepted in [from, to), in ms (a job that
   * reached its agent before its 201 reached this client waited 0); -1 if one never arrived.
   */
  long longestWaitMs(long fromNanos, long toNanos) {
    long longest = 0;
    for (Job job : jobs.values()) {
      if (job.acceptedNanos() >= fromNanos && job.acceptedNanos() < toNanos) {
        Long at = delivered.get(job.id());
        if (at == null) {
          return -1;
        }
        longest = Math.max(longest, at - job.acceptedNanos());
      }
    }
    return TimeUnit.NANOSECONDS.toMillis(longest);
  }

  /**
   * The history of the job that waited longest among those accepted in [from, to), for the report:
   * where the wait went.
   */
  List<String> slowestJobHistory(long fromNanos, long toNanos) throws Exception {
    Job slowest = null;
    long longest = -1;
    for (Job job : jobs.values()) {
      if (job.acceptedNanos() >= fromNanos && job.acceptedNanos() < toNanos) {
        Long at = delivered.get(job.id());
        long wait = at == null ? Long.MAX_VALUE : at - job.acceptedNanos();
        if (wait > longest) {
          longest = wait;
          slowest = job;
        }
      }
    }
    if (slowest == null) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        "slowest job "
            + slowest.id()
            + " agent "
            + slowest.agent()
            + " waited "
            + (longest == Long.MAX_VALUE
                ? "forever"
                : TimeUnit.NANOSECONDS.toMillis(longest) + " ms"));
    lines.addAll(
        cluster.query(
            "SELECT to_char(at, 'HH24:MI:SS.MS'), state, detail FROM job_history WHERE job_id = '"
                + slowest.id()
                + "' ORDER BY seq"));
    return lines;
  }

  /**
   * Seconds from the fault until every agent had received a job accepted after it (-1 if one never
   * did): how long the fault kept some agent from its jobs.
   */
  double secondsUntilEveryAgentReceives(long faultNanos) {
    Map<String, Long> first = new ConcurrentHashMap<>();
    for (Job job : jobs.values()) {
      Long at = delivered.get(job.id());
      if (job.acceptedNanos() >= faultNanos && at != null) {
        first.merge(job.agent(), at, Math::min);
      }
    }
    if (first.size() < agents.size()) {
      return -1;
    }
    return (first.values().stream().mapToLong(Long::longValue).max().orElseThrow() - faultNanos)
        / 1e9;
  }

  /**
   * Waits until the cluster keeps up with the load: each of the last {@code STEADY_SECONDS} whole
   * seconds' jobs all reached their agents within {@code STEADY_WAIT}. A fault should strike a
   * cluster in its steady state, not one whose JVMs are still warming up with a backlog (jobs
   * queued at the moment of the fault wait through it too, and the figure would be the warm-up's).
   * Load runs at least {@code STEADY_MIN}, at most {@code STEADY_MAX}; says how it went either way.
   */
  void awaitSteady() throws InterruptedException {
    long started = System.nanoTime();
    Thread.sleep(STEADY_MIN.toMillis());
    long bound = STEADY_WAIT.toNanos();
    while (System.nanoTime() - started < STEADY_MAX.toNanos()) {
      long end = System.nanoTime() - bound;
      boolean steady = true;
      for (int s = 1; s <= STEADY_SECONDS && steady; s++) {
        long from = end - TimeUnit.SECONDS.toNanos(s);
        long longest = longestWaitMs(from, from + TimeUnit.SECONDS.toNanos(1));
        steady = longest >= 0 && longest <= STEADY_WAIT.toMillis();
      }
      if (steady) {
        System.out.printf(
            "printfleet-drill steady after %.1f s of load (every job of the last %d s reached its agent"
                + " within %d ms)%n",
            (System.nanoTime() - started) / 1e9, STEADY_SECONDS, STEADY_WAIT.toMillis());
        return;
      }
      Thread.sleep(250);
    }
    System.out.printf(
        "printfleet-drill NOT steady after %d s of load: the fault strikes a cluster with a backlog%n",
        STEADY_MAX.toSeconds());
  }

  /**
   * Per second around the fault (by 201 time; negative: before it): jobs accepted and the longest
   * wait of any of them.
   */
  List<String> waitsPerSecond(long faultNanos, int fromSecond, int toSecond) {
    List<String> lines = new ArrayList<>();
    for (int s = fromSecond; s < toSecond; s++) {
      long from = faultNanos + TimeUnit.SECONDS.toNanos(s);
      long to = from + TimeUnit.SECONDS.toNanos(1);
      long count =
          jobs.values().stream()
              .filter(j -> j.acceptedNanos() >= from && j.acceptedNanos() < to)
              .count();
      lines.add(
          String.format(
              "  %+3ds  jobs %4d  longest wait %6d ms", s, count, longestWaitMs(from, to)));
    }
    return lines;
  }

  long secondsSinceStart() {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
  }

  @Override
  public void close() throws Exception {
    watching = false;
    loading = false;
    for (var agent : agents) {
      agent.stop();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (watcher != null) {
      watcher.join(Duration.ofSeconds(5));
    }
  }
}
