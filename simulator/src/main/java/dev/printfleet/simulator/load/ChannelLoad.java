package dev.printfleet.simulator.load;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
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
 * Channel messages published through the gateways' API to dashboards spread over several gateways
 * (PROTOCOL.md §6): messages in and deliveries out per second, publish → delivery latency, and
 * every delivery checked (none missing, none twice). A dashboard whose gateway goes away reconnects
 * to another with {@code since}, its greatest offset; the report says how long until each had every
 * message again.
 */
@Command(
    name = "channels",
    mixinStandardHelpOptions = true,
    description = {
      "Publish channel messages at a fixed rate through the gateways' publish API to dashboards",
      "spread over the gateways of --ports; reports messages in and deliveries out per second,",
      "publish -> delivery latency (HdrHistogram), missing and duplicate deliveries, and, when a",
      "gateway goes away, how long its dashboards take to recover (subscribe with since) on",
      "another. Exits 1 when a delivery is missing, 0 otherwise."
    })
final class ChannelLoad implements Callable<Integer> {

  @CommandLine.Mixin LoadGenerator.Target target = new LoadGenerator.Target();

  @Option(
      names = "--ports",
      split = ",",
      required = true,
      description = "Ports of the gateways: dashboards spread over them, publishes go round them.")
  List<Integer> ports;

  @Option(
      names = "--subscribers",
      description = "Dashboards (default: ${DEFAULT-VALUE}).",
      defaultValue = "1000")
  int subscribers;

  @Option(
      names = "--channels",
      description =
          "Channels (orders:zone:z0 ..): the dashboards spread over them (default: ${DEFAULT-VALUE}).",
      defaultValue = "1")
  int channels;

  @Option(
      names = "--rate",
      description = "Messages published per second, all channels (default: ${DEFAULT-VALUE}).",
      defaultValue = "20")
  int rate;

  @Option(
      names = "--duration",
      description = "Seconds of publishing, measured (default: ${DEFAULT-VALUE}).",
      defaultValue = "60")
  int durationS;

  @Option(
      names = "--warmup",
      description = "Seconds of publishing before, not measured (default: ${DEFAULT-VALUE}).",
      defaultValue = "10")
  int warmupS;

  @Option(
      names = "--grace",
      description =
          "Seconds after the last publish for every delivery to arrive (default: ${DEFAULT-VALUE}).",
      defaultValue = "30")
  int graceS;

  @Option(names = "--ready-file", description = "Written when the measured run starts.")
  java.nio.file.Path readyFile;

  /** One message: its number and when it was posted (this process's clock). */
  private static final String EVENT = "TICK";

  /** A dashboard: what it received, and where it is in a recovery. */
  private final class Subscriber {
    final int index;
    final String channel;
    final String user;
    final BitSet seen = new BitSet();
    volatile String lastOffset;
    volatile int port;
    volatile WebSocket socket;

    /** When its socket closed under it (0: it never did), and when it had every message again. */
    volatile long lostAt;

    volatile long caughtUpAt;
    volatile int target = -1;
    int checkedUpTo;
    volatile boolean recovered;

    Subscriber(int index, String channel, String user, int port) {
      this.index = index;
      this.channel = channel;
      this.user = user;
      this.port = port;
    }
  }

  private final List<Subscriber> dashboards = new ArrayList<>();
  private final AtomicInteger published = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();

  /** The greatest message number a publish answer took. */
  private final AtomicInteger acceptedUpTo = new AtomicInteger(-1);

  private final Map<Integer, Long> postedAt = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
  private final AtomicLong deliveries = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong duplicatesOfRetries = new AtomicLong();
  private final java.util.Set<Integer> retried = ConcurrentHashMap.newKeySet();
  private final Latencies recoveryLatency = new Latencies();
  private volatile long measuredFromNanos;
  private final AtomicLong acceptedMeasured = new AtomicLong();
  private volatile long lastAcceptNanos;
  private final AtomicInteger notRecovered = new AtomicInteger();
  private volatile int firstMeasured = Integer.MAX_VALUE;
  private volatile Timeline timeline;
  private final Latencies latency = new Latencies();

  @Override
  public Integer call() throws Exception {
    if (subscribers < 1 || subscribers > 19_000 || channels < 1 || rate < 1 || durationS < 1) {
      System.err.println(
          "loadgen channels: --subscribers 1..19000, --channels, --rate and --duration at least 1");
      return 2;
    }
    var run = new LoadGenerator.Run(target);
    var vertx = run.vertx;
    List<HttpClient> apis = new ArrayList<>();
    for (int port : ports) {
      apis.add(
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setDefaultHost(target.host)
                  .setDefaultPort(port)
                  .setKeepAlive(true),
              new PoolOptions().setHttp1MaxSize(8).setMaxWaitQueueSize(10_000)));
    }
    String service = run.issuer.service("loadgen", target.company, Duration.ofHours(6));
    for (int i = 0; i < subscribers; i++) {
      dashboards.add(
          new Subscriber(
              i,
              "orders:zone:z" + (i % channels),
              run.issuer.user(
                  "sub-" + i, Role.USER, target.company, List.of(), Duration.ofHours(6)),
              ports.get(i % ports.size())));
    }
    run.openAll(subscribers, i -> connect(run, dashboards.get(i), null));
    long open = dashboards.stream().filter(d -> d.socket != null).count();
    System.out.printf(
        "%d of %d dashboards subscribed over %d gateways%n", open, subscribers, ports.size());
    if (open < subscribers) {
      run.finish(new JsonObject().put("mode", "channels").put("error", "dashboards not ready"));
      return 1;
    }

    int warmupMessages = warmupS * rate;
    long started = System.nanoTime();
    int total = (warmupS + durationS) * rate;
    var next = new AtomicInteger();
    var gateway = new AtomicInteger();
    long timer =
        // Every millisecond: a message's scheduled time is its latency's start, and the tick's own
        // wait must not be charged to the gateways.
        vertx.setPeriodic(
            1,
            id -> {
              long due = Math.min(total, (System.nanoTime() - started) * rate / 1_000_000_000L + 1);
              while (next.get() < due) {
                var batch = new JsonArray();
                while (next.get() < due && batch.size() < 100) {
                  int n = next.getAndIncrement();
                  if (n == warmupMessages) {
                    startMeasuring(n);
                  }
                  // Its scheduled time, not when the timer got to it: a late send counts as late.
                  postedAt.put(n, started + n * 1_000_000_000L / rate);
                  batch.add(
                      new JsonObject()
                          .put("channel", "orders:zone:z" + (n % channels))
                          .put("event", EVENT)
                          .put("data", new JsonObject().put("n", n)));
                }
                publish(apis, gateway, service, batch, 0);
              }
            });
    waitFor(() -> next.get() >= total, warmupS + durationS + 30);
    vertx.cancelTimer(timer);
    waitFor(() -> published.get() >= total, 30);
    waitFor(this::everythingDelivered, graceS);
    return report(run);
  }

  private void startMeasuring(int n) {
    measuredFromNanos = System.nanoTime();
    timeline = new Timeline(measuredFromNanos);
    firstMeasured = n;
    if (readyFile != null) {
      try {
        java.nio.file.Files.writeString(readyFile, "measuring");
      } catch (java.io.IOException e) {
        System.err.println("loadgen channels: could not write the ready file: " + e);
      }
    }
  }

  /** A batch, through one gateway after the other; one that fails goes to the next gateway. */
  private void publish(
      List<HttpClient> apis, AtomicInteger gateway, String service, JsonArray batch, int tries) {
    HttpClient api = apis.get(Math.floorMod(gateway.getAndIncrement(), apis.size()));
    api.request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setURI("/api/v1/channels/publish")
                .setIdleTimeout(10_000)
                .putHeader("Authorization", "Bearer " + service)
                .putHeader("Content-Type", "application/json"))
        .compose(request -> request.send(new JsonObject().put("messages", batch).encode()))
        .compose(
            response ->
                response
                    .body()
                    .map(
                        body -> {
                          if (response.statusCode() != 200) {
                            throw new IllegalStateException("http_" + response.statusCode());
                          }
                          return body;
                        }))
        .onSuccess(
            body -> {
              published.addAndGet(batch.size());
              accepted.addAndGet(batch.size());
              if (timeline != null) {
                acceptedMeasured.addAndGet(batch.size());
                lastAcceptNanos = System.nanoTime();
              }
              int last =
                  batch.getJsonObject(batch.size() - 1).getJsonObject("data").getInteger("n");
              acceptedUpTo.accumulateAndGet(last, Math::max);
              if (timeline != null) {
                timeline.count("messagesIn", System.nanoTime(), batch.size());
              }
            })
        .onFailure(
            e -> {
              error(
                  "publish_"
                      + (e instanceof IllegalStateException
                          ? e.getMessage()
                          : LoadGenerator.Run.kind(e)));
              // It may have gone through before the failure (a gateway killed after the write, or
              // a 503 after some histories took it): its second delivery is then counted apart
              // from the gateways' duplicates. A refused connection or a 429 published nothing.
              boolean maybeWritten =
                  !(e instanceof java.net.ConnectException)
                      && !"http_429".equals(e.getMessage())
                      && !e.getClass().getSimpleName().equals("ConnectionPoolTooBusyException");
              for (int i = 0; maybeWritten && i < batch.size(); i++) {
                retried.add(batch.getJsonObject(i).getJsonObject("data").getInteger("n"));
              }
              if (tries < apis.size() * 3) {
                publish(apis, gateway, service, batch, tries + 1);
              } else {
                published.addAndGet(batch.size());
                for (int i = 0; i < batch.size(); i++) {
                  postedAt.remove(batch.getJsonObject(i).getJsonObject("data").getInteger("n"));
                }
                error("not_published");
              }
            });
  }

  /** Opens a dashboard's socket and subscribes it (with since when it recovers). */
  private Future<?> connect(LoadGenerator.Run run, Subscriber d, String since) {
    Promise<Void> subscribed = Promise.promise();
    run.client(d.index)
        .connect(
            new WebSocketConnectOptions()
                .setHost(target.host)
                .setPort(d.port)
                .setURI("/ws/client")
                .addHeader("Authorization", "Bearer " + d.user))
        .onSuccess(
            ws -> {
              d.socket = ws;
              ws.closeHandler(v -> lost(run, d, ws));
              ws.textMessageHandler(text -> received(d, text, subscribed));
              var data = new JsonObject().put("rooms", List.of(d.channel));
              if (since != null) {
                data.put("since", new JsonObject().put(d.channel, since));
              }
              ws.writeTextMessage(Envelope.request("subscribe", "s", data).encode());
            })
        .onFailure(
            e -> {
              error("connect_" + LoadGenerator.Run.kind(e));
              subscribed.tryFail(e);
            });
    return subscribed.future();
  }

  /** Its gateway went away: to the next gateway, with its greatest offset. */
  private void lost(LoadGenerator.Run run, Subscriber d, WebSocket ws) {
    if (d.socket != ws || ports.size() < 2) {
      return;
    }
    d.socket = null;
    if (d.lostAt == 0) {
      d.lostAt = System.nanoTime();
    }
    d.port = ports.get((ports.indexOf(d.port) + 1) % ports.size());
    String since = d.lastOffset;
    // A little spread, as clients' own backoff: not every dashboard in the same millisecond.
    run.vertx.setTimer(
        1 + (d.index % 500),
        id ->
            connect(run, d, since)
                .onFailure(e -> run.vertx.setTimer(1_000, again -> lost(run, d, null))));
  }

  private void received(Subscriber d, String text, Promise<Void> subscribed) {
    long now = System.nanoTime();
    if (!subscribed.future().isComplete()) {
      Envelope answer;
      try {
        answer = Envelope.parse(text);
      } catch (Envelope.ParseException e) {
        error("bad_frame");
        return;
      }
      if (answer.isResponse()) {
        if (answer.error() != null) {
          error("subscribe_" + answer.error().code());
          subscribed.tryFail(answer.error().code());
          return;
        }
        JsonObject recovered = answer.data().getJsonObject("recovered");
        if (recovered != null) {
          d.recovered = recovered.getBoolean(d.channel, false);
          if (!d.recovered) {
            notRecovered.incrementAndGet();
          }
        }
        if (d.lostAt != 0) {
          // Caught up once it holds every message the API took before it was back (maybe now).
          synchronized (d.seen) {
            d.target = acceptedUpTo.get();
            if (d.caughtUpAt == 0 && caughtUp(d)) {
              d.caughtUpAt = now;
            }
          }
        }
        subscribed.tryComplete();
        return;
      }
    }
    // Read without a parser, as the dashboards' side of the machine must stay cheap:
    // ..."data":{"n":123},"offset":"1733-0"}}
    int at = text.indexOf("\"n\":");
    int offsetAt = text.indexOf("\"offset\":\"");
    if (at < 0 || offsetAt < 0 || !text.contains(EVENT)) {
      return;
    }
    int end = at + 4;
    while (end < text.length() && Character.isDigit(text.charAt(end))) {
      end++;
    }
    int n = Integer.parseInt(text, at + 4, end, 10);
    d.lastOffset = text.substring(offsetAt + 10, text.indexOf('"', offsetAt + 10));
    boolean recovering;
    synchronized (d.seen) {
      if (d.seen.get(n)) {
        (retried.contains(n) ? duplicatesOfRetries : duplicates).incrementAndGet();
        return;
      }
      d.seen.set(n);
      recovering = d.lostAt != 0 && d.caughtUpAt == 0;
      if (d.target >= 0 && d.caughtUpAt == 0 && caughtUp(d)) {
        d.caughtUpAt = now;
      }
    }
    if (n >= firstMeasured) {
      deliveries.incrementAndGet();
      Long posted = postedAt.get(n);
      if (posted != null) {
        // What a recovering dashboard gets (from the history, or live before it is whole again)
        // measures the outage, not live delivery: kept apart.
        (recovering ? recoveryLatency : latency).recordNanos(now - posted);
        timeline.count("deliveries", now, 1);
        if (!recovering) {
          timeline.latency("publishToDelivery", now, now - posted);
        }
      }
    }
  }

  /** Whether the dashboard holds every message of its channel up to its target (holding d.seen). */
  private boolean caughtUp(Subscriber d) {
    for (int n = d.checkedUpTo; n <= d.target; n++) {
      if (n % channels == d.index % channels && !d.seen.get(n) && postedAt.containsKey(n)) {
        // The scan resumes here next time: everything before it is held already.
        d.checkedUpTo = n;
        return false;
      }
    }
    return true;
  }

  private boolean everythingDelivered() {
    return missing() == 0;
  }

  /** Deliveries of measured messages that never came. */
  private long missing() {
    long missing = 0;
    for (Subscriber d : dashboards) {
      synchronized (d.seen) {
        for (int n : postedAt.keySet()) {
          if (n >= firstMeasured && n % channels == d.index % channels && !d.seen.get(n)) {
            missing++;
          }
        }
      }
    }
    return missing;
  }

  private int report(LoadGenerator.Run run) throws Exception {
    long measuredMessages = postedAt.keySet().stream().filter(n -> n >= firstMeasured).count();
    long expected = 0;
    for (Subscriber d : dashboards) {
      for (int n : postedAt.keySet()) {
        if (n >= firstMeasured && n % channels == d.index % channels) {
          expected++;
        }
      }
    }
    long missing = missing();
    List<Subscriber> recovering = dashboards.stream().filter(d -> d.lostAt != 0).toList();
    long firstLoss = recovering.stream().mapToLong(d -> d.lostAt).min().orElse(0);
    long lastCaughtUp = recovering.stream().mapToLong(d -> d.caughtUpAt).max().orElse(0);
    long stillBehind = recovering.stream().filter(d -> d.caughtUpAt == 0).count();
    var recovery = new Latencies();
    recovering.stream()
        .filter(d -> d.caughtUpAt != 0)
        .forEach(d -> recovery.recordNanos(d.caughtUpAt - d.lostAt));
    double seconds = durationS;
    var report =
        new JsonObject()
            .put("mode", "channels")
            .put("gateways", ports.size())
            .put("subscribers", subscribers)
            .put("channels", channels)
            .put("targetRate", rate)
            .put("durationS", durationS)
            .put("warmupS", warmupS)
            .put("messagesPublished", measuredMessages)
            .put(
                "messagesInPerSecond",
                lastAcceptNanos == 0
                    ? 0
                    : Math.round(
                        acceptedMeasured.get() / ((lastAcceptNanos - measuredFromNanos) / 1e9)))
            .put("deliveriesExpected", expected)
            .put("deliveries", deliveries.get())
            .put("deliveriesOutPerSecond", Math.round(deliveries.get() / seconds))
            .put("missing", missing)
            .put("duplicates", duplicates.get())
            .put("duplicatesOfRetriedPublishes", duplicatesOfRetries.get())
            .put("publishToDeliveryMs", latency.summaryMs())
            .put("whileRecoveringMs", recoveryLatency.summaryMs())
            .put(
                "recovery",
                new JsonObject()
                    .put("dashboardsCut", recovering.size())
                    .put("notRecovered", notRecovered.get())
                    .put("stillBehind", stillBehind)
                    .put(
                        "allCaughtUpAfterMs",
                        firstLoss == 0 || stillBehind > 0
                            ? null
                            : Math.round((lastCaughtUp - firstLoss) / 1e6))
                    .put("perDashboardMs", recovery.summaryMs()))
            .put("errors", new JsonObject(new java.util.TreeMap<>(errors)))
            .put("timeline", timeline.json());
    run.finish(report);
    return missing == 0 ? 0 : 1;
  }

  private void error(String kind) {
    errors.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
  }

  private static void waitFor(java.util.function.BooleanSupplier done, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline && !done.getAsBoolean()) {
      Thread.sleep(500);
    }
  }
}
