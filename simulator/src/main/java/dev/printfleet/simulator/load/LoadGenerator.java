package dev.printfleet.simulator.load;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.simulator.SocketIoWire;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load against a running gateway, from one process. The bench scripts run several of these
 * processes when a target needs more sockets than one process may hold (20,000 open files here).
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    subcommands = {
      LoadGenerator.Agents.class,
      LoadGenerator.Fanout.class,
      LoadGenerator.Storm.class,
      JobLoad.class,
      ChannelLoad.class,
      dev.printfleet.simulator.abuse.Abuse.class
    },
    description = {"Load generator for a printfleet gateway. Bounded: every run stops by itself."})
public final class LoadGenerator implements Runnable {

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadGenerator()).execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Options every mode shares. */
  static class Target {
    @Option(
        names = "--host",
        description = "Gateway host (default: ${DEFAULT-VALUE}).",
        defaultValue = "127.0.0.1")
    String host;

    @Option(
        names = "--port",
        description = "Gateway port (default: ${DEFAULT-VALUE}).",
        defaultValue = "8080")
    int port;

    @Option(
        names = "--secret",
        required = true,
        description = "The gateway's PRINTFLEET_JWT_SECRET, to sign tokens.")
    String secret;

    @Option(
        names = "--company",
        description = "Company of every agent and dashboard (default: ${DEFAULT-VALUE}).",
        defaultValue = "load")
    String company;

    @Option(
        names = "--id-prefix",
        description = "Prefix of agent ids, distinct per process (default: ${DEFAULT-VALUE}).",
        defaultValue = "a")
    String idPrefix;

    @Option(
        names = "--source-ips",
        split = ",",
        description =
            "Loopback source addresses to spread sockets over, e.g. 127.0.0.2,127.0.0.3 (default: 127.0.0.1).")
    List<String> sourceIps = List.of("127.0.0.1");

    @Option(
        names = "--connect-concurrency",
        description = "Connections being opened at once (default: ${DEFAULT-VALUE}).",
        defaultValue = "200")
    int concurrency;

    @Option(
        names = "--protocol",
        description =
            "What the agents speak: websocket (the envelope at /ws/agent) or socketio (the original"
                + " system's Socket.IO at /socket.io/, namespace /printing-ws, its event names;"
                + " PROTOCOL.md §2.5). Dashboards use /ws/client either way (default: websocket).",
        defaultValue = "websocket",
        converter = AgentProtocol.Parser.class)
    AgentProtocol protocol;

    @Option(names = "--report", description = "Write the JSON report here.")
    Path report;

    @Option(
        names = "--timeout",
        description =
            "Give up on the whole run after this many seconds (default: ${DEFAULT-VALUE}).",
        defaultValue = "900")
    int timeoutS;

    @Option(
        names = "--sample",
        split = ",",
        description =
            "Base URLs of services whose heap and CPU are read from /metrics every second, e.g. http://127.0.0.1:8080,http://127.0.0.1:8081.")
    List<String> sampled = List.of();
  }

  /** How simulated agents connect. */
  enum AgentProtocol {
    WEBSOCKET,
    SOCKETIO;

    /** The option's value in any case, as the help writes it: websocket, socketio. */
    static final class Parser implements CommandLine.ITypeConverter<AgentProtocol> {
      @Override
      public AgentProtocol convert(String value) {
        try {
          return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.TypeConversionException(
              "expected websocket or socketio but was '" + value + "'");
        }
      }
    }
  }

  /** Opens N agent sockets, waits for every welcome, holds them idle, and reports. */
  @Command(
      name = "agents",
      mixinStandardHelpOptions = true,
      description = "Connect N idle agents and hold them.")
  static final class Agents implements Callable<Integer> {
    @CommandLine.Mixin Target target = new Target();

    @Option(names = "--count", required = true, description = "Agents to connect.")
    int count;

    @Option(
        names = "--hold",
        description = "Seconds to hold them idle once all are in (default: ${DEFAULT-VALUE}).",
        defaultValue = "30")
    int holdS;

    @Option(
        names = "--stop-file",
        description = "Stop holding as soon as this file exists, then report.")
    Path stopFile;

    @Option(
        names = "--ready-file",
        description =
            "Touched once every agent is connected, so a script can measure the idle gateway.")
    Path readyFile;

    @Override
    public Integer call() throws Exception {
      if (count < 1 || count > 19_000) {
        System.err.println(
            "loadgen agents: --count must be 1..19000 in one process (it may hold 20,000 open files); run several processes for more");
        return 2;
      }
      var run = new Run(target);
      var connect = new Latencies();
      var failures = new ConcurrentHashMap<String, AtomicInteger>();
      long started = System.nanoTime();
      var timeline = new Timeline(started);
      var sampler = run.sampler();
      run.openAll(
          count,
          i -> {
            long begin = System.nanoTime();
            return run.agent(i, connect, failures, null)
                .onSuccess(
                    v -> {
                      long now = System.nanoTime();
                      timeline.count("connected", now, 1);
                      timeline.latency("connect", now, now - begin);
                    });
          });
      long connectedAt = System.nanoTime();
      int connected = run.open.get();
      System.out.printf(
          "connected %d of %d agents in %.1f s; connect-to-welcome ms %s%n",
          connected, count, (connectedAt - started) / 1e9, connect.summaryMs().encode());
      if (readyFile != null) {
        Files.writeString(readyFile, String.valueOf(connected));
      }
      long holdUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(holdS);
      while (System.nanoTime() < holdUntil && (stopFile == null || !Files.exists(stopFile))) {
        Thread.sleep(100);
      }
      int stillOpen = run.open.get();
      sampler.stop();
      var report =
          new JsonObject()
              .put("mode", "agents")
              .put("protocol", target.protocol.name().toLowerCase(java.util.Locale.ROOT))
              .put("requested", count)
              .put("connected", connected)
              .put("openAfterHold", stillOpen)
              .put("connectSeconds", (connectedAt - started) / 1e9)
              .put("connectMs", connect.summaryMs())
              .put("failures", failuresJson(failures))
              .put("timeline", timeline.json())
              .put("services", sampler.toJson());
      run.finish(
          report,
          "printfleet capacity: " + count + " agents",
          List.of(
              ReportPage.Chart.of("Agents connected per second", "agents", "connected", "welcomed"),
              ReportPage.Chart.of(
                  "Connect to welcome, per second",
                  "ms",
                  "connectP50Ms",
                  "p50",
                  "connectP99Ms",
                  "p99")));
      return connected == count && stillOpen == count ? 0 : 1;
    }
  }

  /** Dashboards in branch rooms, agents sending statuses at a rate; measures what arrives. */
  @Command(
      name = "fanout",
      mixinStandardHelpOptions = true,
      description = "Measure status delivery from agents to dashboards.")
  static final class Fanout implements Callable<Integer> {
    @CommandLine.Mixin Target target = new Target();

    @Option(
        names = "--agents",
        description = "Agents sending statuses (default: ${DEFAULT-VALUE}).",
        defaultValue = "500")
    int agents;

    @Option(
        names = "--dashboards",
        description = "Dashboards, each in one branch room (default: ${DEFAULT-VALUE}).",
        defaultValue = "1000")
    int dashboards;

    @Option(
        names = "--branches",
        description = "Branches the agents and dashboards spread over (default: ${DEFAULT-VALUE}).",
        defaultValue = "100")
    int branches;

    @Option(
        names = "--printers",
        description = "Printers per agent (default: ${DEFAULT-VALUE}).",
        defaultValue = "4")
    int printers;

    @Option(
        names = "--rate",
        description = "Status changes per second, all agents together (default: ${DEFAULT-VALUE}).",
        defaultValue = "2000")
    int rate;

    @Option(
        names = "--duration",
        description = "Seconds of load (default: ${DEFAULT-VALUE}).",
        defaultValue = "30")
    int durationS;

    @Option(
        names = "--warmup",
        description =
            "Seconds of the same load first, not measured, so the gateway runs compiled code (default: ${DEFAULT-VALUE}).",
        defaultValue = "0")
    int warmupS;

    @Override
    public Integer call() throws Exception {
      if (warmupS < 0 || warmupS > 600) {
        System.err.println("loadgen fanout: --warmup must be 0..600 s");
        return 2;
      }
      if (target.protocol != AgentProtocol.WEBSOCKET) {
        System.err.println(
            "loadgen fanout: its agents send envelopes on /ws/agent; --protocol socketio is not supported here");
        return 2;
      }
      if (agents < 1
          || dashboards < 1
          || branches < 1
          || agents + dashboards > 19_000
          || rate < 1
          || durationS < 1
          || durationS > 3600) {
        System.err.println(
            "loadgen fanout: need agents, dashboards, branches, rate >= 1, agents + dashboards <= 19000 and a duration of 1..3600 s");
        return 2;
      }
      var run = new Run(target);
      run.branches = branches;
      run.printersPerAgent = printers;
      var latency = new Latencies();
      var timeline = new Timeline[1];
      var failures = new ConcurrentHashMap<String, AtomicInteger>();
      var frames = new AtomicLong();
      var updates = new AtomicLong();
      var measuring = new java.util.concurrent.atomic.AtomicBoolean();
      // One dashboard in ten parses its frames and measures latency; the others count frames and
      // updates without parsing, so the receiving side does not take the gateway's CPU. Both do the
      // same work during the warm-up and only keep nothing: the measured run must not begin with
      // this process compiling its receiving code and falling behind.
      java.util.function.Consumer<String> counted =
          text -> {
            if (!text.contains("\"printer.status\"")) {
              return;
            }
            int n = 0;
            for (int at = text.indexOf("\"printerId\"");
                at >= 0;
                at = text.indexOf("\"printerId\"", at + 1)) {
              n++;
            }
            if (measuring.get()) {
              frames.incrementAndGet();
              updates.addAndGet(n);
            }
          };
      run.openAll(
          dashboards,
          i ->
              run.dashboard(
                  i % branches,
                  frame -> {
                    long now = System.nanoTime();
                    JsonArray received = frame.data().getJsonArray("updates", new JsonArray());
                    long[] latencies = new long[received.size()];
                    int measured = 0;
                    for (Object u : received) {
                      String detail = ((JsonObject) u).getString("detail");
                      if (detail != null && detail.startsWith("t=")) {
                        latencies[measured++] = now - Long.parseLong(detail.substring(2));
                      }
                    }
                    if (!measuring.get()) {
                      return;
                    }
                    frames.incrementAndGet();
                    updates.addAndGet(received.size());
                    for (int k = 0; k < measured; k++) {
                      latency.recordNanos(latencies[k]);
                      timeline[0].latency("status", now, latencies[k]);
                    }
                  },
                  i % 10 == 0 ? null : counted,
                  failures));
      List<WebSocket> agentSockets = new ArrayList<>();
      var agentConnect = new Latencies();
      run.openAll(agents, i -> run.agent(i, agentConnect, failures, agentSockets));
      System.out.printf(
          "%d dashboards and %d agents connected; sending %d statuses/s for %d s%n",
          dashboards, agentSockets.size(), rate, durationS);

      var sent = new AtomicLong();
      long sendStart = System.nanoTime();
      long perTick = Math.max(1, rate / 100);
      long timer =
          run.vertx.setPeriodic(
              10,
              id -> {
                long due = (System.nanoTime() - sendStart) * rate / 1_000_000_000L;
                for (long n = 0; n < perTick * 4 && sent.get() < due; n++) {
                  long k = sent.getAndIncrement();
                  WebSocket socket = agentSockets.get((int) (k % agentSockets.size()));
                  int agent = (int) (k % agentSockets.size());
                  String printer =
                      target.idPrefix + agent + "-p" + (k / agentSockets.size() % printers);
                  String status = (k & 1) == 0 ? "busy" : "online";
                  socket.writeTextMessage(
                      Envelope.event(
                              "printer.status",
                              new JsonObject()
                                  .put("printerId", printer)
                                  .put("status", status)
                                  .put("detail", "t=" + System.nanoTime()))
                          .encode());
                }
              });
      // Sampling starts with the warm-up too: the gateway's first scrapes run interpreted code.
      var sampler = run.sampler();
      if (warmupS > 0) {
        System.out.printf("warming up for %d s (not measured)%n", warmupS);
        Thread.sleep(TimeUnit.SECONDS.toMillis(warmupS));
        sampler.reset();
      }
      long sentBefore = sent.get();
      long start = System.nanoTime();
      timeline[0] = new Timeline(start);
      // The counters above, read once a second into the timeline: no per-frame work for the charts.
      var perSecond =
          new PerSecond(timeline[0], Map.of("sent", sent, "frames", frames, "updates", updates));
      long ticker = run.vertx.setPeriodic(1_000, id -> perSecond.tick());
      measuring.set(true);
      Thread.sleep(TimeUnit.SECONDS.toMillis(durationS));
      run.vertx.cancelTimer(timer);
      long sentMeasured = sent.get() - sentBefore;
      Thread.sleep(500);
      measuring.set(false);
      run.vertx.cancelTimer(ticker);
      perSecond.tick();
      sampler.stop();
      double seconds = (System.nanoTime() - start) / 1e9;
      var report =
          new JsonObject()
              .put("mode", "fanout")
              .put("agents", agentSockets.size())
              .put("dashboards", dashboards)
              .put("branches", branches)
              .put("warmupS", warmupS)
              .put("statusesSent", sentMeasured)
              .put("statusesSentPerSecond", sentMeasured / seconds)
              .put("framesDelivered", frames.get())
              .put("framesDeliveredPerSecond", frames.get() / seconds)
              .put("updatesDelivered", updates.get())
              .put("updatesDeliveredPerSecond", updates.get() / seconds)
              .put("statusLatencyMs", latency.summaryMs())
              .put("failures", failuresJson(failures))
              .put("timeline", timeline[0].json())
              .put("services", sampler.toJson());
      run.finish(
          report,
          "printfleet fan-out: " + rate + " statuses/s to " + dashboards + " dashboards",
          List.of(
              ReportPage.Chart.of(
                  "Throughput",
                  "per second",
                  "sent",
                  "statuses sent by agents",
                  "frames",
                  "printer.status frames delivered",
                  "updates",
                  "updates delivered"),
              ReportPage.Chart.of(
                  "Agent to dashboard latency, per second",
                  "ms",
                  "statusP50Ms",
                  "p50",
                  "statusP99Ms",
                  "p99")));
      return 0;
    }
  }

  /**
   * N agents connected, all dropped at once, all coming back: how long until every one is in again.
   */
  @Command(
      name = "storm",
      mixinStandardHelpOptions = true,
      description = "Reconnect storm: drop N agents at once and measure their return.")
  static final class Storm implements Callable<Integer> {
    @CommandLine.Mixin Target target = new Target();

    @Option(names = "--count", required = true, description = "Agents.")
    int count;

    @Option(
        names = "--jitter",
        description =
            "Each agent waits a random 0..JITTER ms before reconnecting, as real agents do (default: ${DEFAULT-VALUE}).",
        defaultValue = "1000")
    int jitterMs;

    @Option(
        names = "--start-file",
        description =
            "Wait for this file to exist before dropping, so several processes storm together.")
    Path startFile;

    @Option(
        names = "--ready-file",
        description = "Touched once every agent is connected the first time.")
    Path readyFile;

    @Override
    public Integer call() throws Exception {
      if (count < 1 || count > 19_000 || jitterMs < 0) {
        System.err.println(
            "loadgen storm: --count must be 1..19000 in one process and --jitter >= 0");
        return 2;
      }
      var run = new Run(target);
      var failures = new ConcurrentHashMap<String, AtomicInteger>();
      List<WebSocket> sockets = new ArrayList<>();
      var firstConnect = new Latencies();
      run.openAll(count, i -> run.agent(i, firstConnect, failures, sockets));
      System.out.printf("connected %d of %d agents%n", sockets.size(), count);
      if (readyFile != null) {
        Files.writeString(readyFile, String.valueOf(sockets.size()));
      }
      if (startFile != null) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(target.timeoutS);
        while (!Files.exists(startFile) && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
      }
      var sampler = run.sampler();
      long dropped = System.nanoTime();
      var timeline = new Timeline(dropped);
      for (WebSocket socket : sockets) {
        run.vertx.runOnContext(v -> socket.close());
      }
      var back = new Latencies();
      var reconnect = new Latencies();
      var random = new java.util.Random(42);
      // Every agent comes back on its own after its jitter, not queued behind the others.
      target.concurrency = count;
      run.openAll(
          count,
          i -> {
            Promise<Void> delayed = Promise.promise();
            run.vertx.setTimer(
                1 + (jitterMs == 0 ? 0 : random.nextInt(jitterMs)), id -> delayed.complete());
            return delayed
                .future()
                .compose(v -> run.agent(i, reconnect, failures, null))
                .onSuccess(
                    v -> {
                      long now = System.nanoTime();
                      back.recordNanos(now - dropped);
                      timeline.count("back", now, 1);
                    });
          });
      double allBackS = (System.nanoTime() - dropped) / 1e9;
      Thread.sleep(2_000);
      sampler.stop();
      var report =
          new JsonObject()
              .put("mode", "storm")
              .put("agents", count)
              .put("firstConnected", sockets.size())
              .put("jitterMs", jitterMs)
              .put("back", back.count())
              .put("allBackSeconds", allBackS)
              .put("backAfterMs", back.summaryMs())
              .put("failures", failuresJson(failures))
              .put("timeline", timeline.json())
              .put("services", sampler.toJson());
      run.finish(
          report,
          "printfleet reconnect storm: " + count + " agents",
          List.of(
              ReportPage.Chart.of(
                  "Agents back per second after the drop", "agents", "back", "welcomed again")));
      return back.count() == count ? 0 : 1;
    }
  }

  /** Counters read into a timeline: each reading adds what they grew by since the last one. */
  static final class PerSecond {
    private final Timeline timeline;
    private final Map<String, AtomicLong> counters;
    private final Map<String, Long> last = new java.util.HashMap<>();
    private int second;

    PerSecond(Timeline timeline, Map<String, AtomicLong> counters) {
      this.timeline = timeline;
      this.counters = counters;
      counters.forEach((name, counter) -> last.put(name, counter.get()));
    }

    synchronized void tick() {
      counters.forEach(
          (name, counter) -> {
            long now = counter.get();
            timeline.add(name, second, now - last.put(name, now));
          });
      second++;
    }
  }

  /** The machine a report was measured on. */
  static JsonObject machine() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long memory =
        os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : -1;
    return new JsonObject()
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("memoryBytes", memory)
        .put(
            "os",
            System.getProperty("os.name")
                + " "
                + System.getProperty("os.version")
                + " "
                + System.getProperty("os.arch"))
        .put(
            "java",
            System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
        .put("kdamonds", Kdamonds.running(Kdamonds.SYSFS));
  }

  private static JsonObject failuresJson(Map<String, AtomicInteger> failures) {
    var json = new JsonObject();
    failures.forEach((k, v) -> json.put(k, v.get()));
    return json;
  }

  /** One run's Vert.x, clients and tokens. */
  static final class Run {
    final Target target;
    final Vertx vertx =
        Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(true));
    final List<WebSocketClient> clients = new ArrayList<>();
    final TokenIssuer issuer;
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger dashboards = new AtomicInteger();

    /** Agents' branches are b0 .. b(branches - 1), by agent number. */
    int branches = 100;

    /** Printers each kept agent syncs; the fan-out sends statuses for these alone. */
    int printersPerAgent = 4;

    Run(Target target) {
      this.target = target;
      this.issuer = new TokenIssuer(vertx, target.secret);
      for (String ip : target.sourceIps) {
        clients.add(
            vertx.createWebSocketClient(
                new WebSocketClientOptions()
                    .setLocalAddress(ip)
                    .setMaxConnections(20_000)
                    .setConnectTimeout(30_000)
                    .setMaxFrameSize(2 * 1024 * 1024)
                    .setMaxMessageSize(2 * 1024 * 1024)));
      }
    }

    WebSocketClient client(int i) {
      return clients.get(i % clients.size());
    }

    /**
     * Opens {@code total} sockets, at most the configured number at once; returns when all are
     * done, with how many could not even begin (their opener threw), said once on stderr.
     */
    int openAll(int total, java.util.function.IntFunction<Future<?>> opener)
        throws InterruptedException {
      var done = new CountDownLatch(total);
      var next = new AtomicInteger();
      var threw = new AtomicInteger();
      var firstThrown = new java.util.concurrent.atomic.AtomicReference<RuntimeException>();
      Runnable[] launch = new Runnable[1];
      launch[0] =
          () -> {
            int i = next.getAndIncrement();
            if (i >= total) {
              return;
            }
            // An opener that throws fails its socket: the others still open, and the count ends.
            Future<?> opened;
            try {
              opened = opener.apply(i);
            } catch (RuntimeException e) {
              threw.incrementAndGet();
              firstThrown.compareAndSet(null, e);
              opened = Future.failedFuture(e);
            }
            opened.onComplete(
                ar -> {
                  done.countDown();
                  vertx.runOnContext(v -> launch[0].run());
                });
          };
      for (int i = 0; i < Math.min(target.concurrency, total); i++) {
        vertx.runOnContext(v -> launch[0].run());
      }
      if (!done.await(target.timeoutS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("gave up opening sockets after " + target.timeoutS + " s");
      }
      if (threw.get() > 0) {
        System.err.println(
            "loadgen: "
                + threw.get()
                + " of "
                + total
                + " sockets could not be opened, the first because: "
                + firstThrown.get());
      }
      return threw.get();
    }

    Future<?> agent(
        int i, Latencies connect, Map<String, AtomicInteger> failures, List<WebSocket> keep) {
      String agentId = target.idPrefix + i;
      String token = issuer.agent(agentId, target.company, "b" + i % branches, Duration.ofHours(6));
      long begin = System.nanoTime();
      Promise<Void> welcomed = Promise.promise();
      boolean socketIo = target.protocol == AgentProtocol.SOCKETIO;
      var options =
          new WebSocketConnectOptions()
              .setHost(target.host)
              .setPort(target.port)
              .setURI(socketIo ? SocketIoWire.URI : "/ws/agent");
      if (!socketIo) {
        options.addHeader("Authorization", "Bearer " + token);
      }
      client(i)
          .connect(options)
          .onSuccess(
              ws -> {
                open.incrementAndGet();
                ws.closeHandler(
                    v -> {
                      open.decrementAndGet();
                      if (welcomed.tryFail("closed before the welcome")) {
                        failures
                            .computeIfAbsent("closed_before_welcome", k -> new AtomicInteger())
                            .incrementAndGet();
                      }
                    });
                // On Socket.IO the wire answers the handshake (the CONNECT) and the gateway's
                // pings.
                var wire = socketIo ? new SocketIoWire(token) : null;
                ws.textMessageHandler(
                    text -> {
                      if (wire != null && !readSocketIo(wire, ws, text, welcomed, failures)) {
                        return;
                      }
                      if (!welcomed.future().isComplete() && text.contains("\"welcome\"")) {
                        connect.recordNanos(System.nanoTime() - begin);
                        if (keep != null) {
                          int index;
                          synchronized (keep) {
                            index = keep.size();
                            keep.add(ws);
                          }
                          // The gateway takes statuses only for synced printers: these are the ids
                          // the fan-out sends for the agent at this index.
                          var list = new JsonArray();
                          for (int p = 0; p < printersPerAgent; p++) {
                            list.add(
                                new JsonObject().put("id", target.idPrefix + index + "-p" + p));
                          }
                          var sync =
                              Envelope.request(
                                  "printers.sync", "sync", new JsonObject().put("printers", list));
                          ws.writeTextMessage(wire == null ? sync.encode() : wire.write(sync));
                        }
                        welcomed.tryComplete();
                      }
                    });
              })
          .onFailure(
              e -> {
                failures.computeIfAbsent(kind(e), k -> new AtomicInteger()).incrementAndGet();
                welcomed.tryFail(e);
              });
      return welcomed.future();
    }

    /**
     * Lets the Socket.IO wire read a frame of an agent that is only held (no envelope needs an
     * answer); false when the frame was not the contract's (a ping, the handshake) or the session
     * ended. A refused CONNECT or a broken frame fails the agent, counted by the refusal's code.
     */
    private static boolean readSocketIo(
        SocketIoWire wire,
        WebSocket ws,
        String text,
        Promise<Void> welcomed,
        Map<String, AtomicInteger> failures) {
      boolean[] message = new boolean[1];
      String[] refused = new String[1];
      try {
        boolean open =
            wire.read(
                text,
                ws::writeTextMessage,
                envelope -> {
                  message[0] = true;
                  if (Envelope.ERROR.equals(envelope.type())) {
                    refused[0] = envelope.data().getString("code");
                  }
                });
        if (open) {
          return message[0];
        }
      } catch (dev.printfleet.common.protocol.socketio.ProtocolException e) {
        refused[0] = "bad_frame";
      }
      String kind = "socketio_" + (refused[0] == null ? "disconnected" : refused[0]);
      if (welcomed.tryFail(kind)) {
        failures.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
      }
      ws.close();
      return false;
    }

    Future<?> dashboard(
        int branch,
        java.util.function.Consumer<Envelope> onStatus,
        Map<String, AtomicInteger> failures) {
      return dashboard(branch, onStatus, null, failures);
    }

    /**
     * A dashboard in one branch room. Once subscribed, each frame goes to {@code onText} unparsed
     * when it is given (a cheap count, so the load generator leaves the CPU to the gateway), else
     * parsed to {@code onStatus}.
     */
    Future<?> dashboard(
        int branch,
        java.util.function.Consumer<Envelope> onStatus,
        java.util.function.Consumer<String> onText,
        Map<String, AtomicInteger> failures) {
      // A user of its own per dashboard: one user may hold only so many sockets (the gateway's
      // PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER), and thousands of dashboards are thousands of
      // users.
      String token =
          issuer.user(
              "dash-" + branch + "-" + dashboards.incrementAndGet(),
              Role.USER,
              target.company,
              List.of(),
              Duration.ofHours(6));
      Promise<Void> subscribed = Promise.promise();
      client(branch)
          .connect(
              new WebSocketConnectOptions()
                  .setHost(target.host)
                  .setPort(target.port)
                  .setURI("/ws/client")
                  .addHeader("Authorization", "Bearer " + token))
          .onSuccess(
              ws -> {
                open.incrementAndGet();
                ws.closeHandler(v -> open.decrementAndGet());
                ws.textMessageHandler(
                    text -> {
                      if (onText != null && subscribed.future().isComplete()) {
                        onText.accept(text);
                        return;
                      }
                      try {
                        Envelope e = Envelope.parse(text);
                        if (e.type().equals("printer.status")) {
                          onStatus.accept(e);
                        } else if (e.isResponse()) {
                          subscribed.tryComplete();
                        }
                      } catch (Envelope.ParseException ex) {
                        failures
                            .computeIfAbsent("bad_frame", k -> new AtomicInteger())
                            .incrementAndGet();
                      }
                    });
                ws.writeTextMessage(
                    Envelope.request(
                            "subscribe",
                            "s",
                            new JsonObject().put("rooms", List.of("branch:b" + branch)))
                        .encode());
              })
          .onFailure(
              e -> {
                failures.computeIfAbsent(kind(e), k -> new AtomicInteger()).incrementAndGet();
                subscribed.tryFail(e);
              });
      return subscribed.future();
    }

    /** A failure's kind for the reports: its class's simple name. */
    static String kind(Throwable e) {
      String name = e.getClass().getSimpleName();
      return name.isEmpty() ? "error" : name;
    }

    /** Heap and CPU of the services named by --sample, every second from now on. */
    MetricsSampler sampler() {
      var sampler = new MetricsSampler(vertx, target.sampled);
      sampler.start();
      return sampler;
    }

    void finish(JsonObject report) throws Exception {
      finish(report, null, List.of());
    }

    /**
     * Prints and writes the JSON report and, with a title, the HTML page of its charts beside it.
     */
    void finish(JsonObject report, String title, List<ReportPage.Chart> charts) throws Exception {
      String text = report.encodePrettily();
      System.out.println(text);
      if (target.report != null) {
        Files.writeString(target.report, text);
        if (title != null) {
          System.out.println(
              "report page: " + ReportPage.writeBeside(target.report, title, report, charts));
        }
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
