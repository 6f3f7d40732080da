package dev.printfleet.simulator.abuse;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenIssuer;
import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The hostile tenant of issue 12, as a load generator mode: each attack of the issue, one after the
 * other, against a running set on loopback, each reported with what the set answered and whether
 * the hole is open or closed. It only observes: the honest load runs in another process (the {@code
 * jobs} mode) and counts lost jobs and disconnected agents. Every loop is bounded and the whole run
 * stops by itself.
 */
@Command(
    name = "abuse",
    mixinStandardHelpOptions = true,
    description = {
      "Send issue 12's hostile inputs at a running printfleet set on this machine (loopback only) and",
      "report, per attack, what the set answered and whether the hole is open or closed. Attacks: "
          + Abuse.ATTACK_NAMES
          + ".",
      "Exits 0 when every attack ran (open or closed), 1 when the run itself broke, 2 on bad options."
    })
public final class Abuse implements Callable<Integer> {

  /** The attacks by the number of the point they try. */
  static final List<String> POINTS =
      List.of(
          "frame-bomb",
          "branch-company",
          "rooms-per-session",
          "sync-20000",
          "status-unsynced",
          "malformed-branches",
          "same-agent-id",
          "foreign-result",
          "sse-expiry",
          "slow-agent-big-jobs",
          "ingress",
          "bad-input");

  static final String ATTACK_NAMES =
      "frame-bomb, branch-company, rooms-per-session, sync-20000, status-unsynced, "
          + "malformed-branches, same-agent-id, foreign-result, sse-expiry, slow-agent-big-jobs, ingress, bad-input "
          + "(run in this order but the slow agent and the frame bomb last, as they can take a service down)";

  @Option(
      names = "--host",
      description =
          "Host of every service; must be a loopback address (default: ${DEFAULT-VALUE}).",
      defaultValue = "127.0.0.1")
  String host;

  @Option(
      names = "--port",
      description = "Gateway port (default: ${DEFAULT-VALUE}).",
      defaultValue = "8080")
  int gatewayPort;

  @Option(
      names = "--api-port",
      description = "printing-service port (default: ${DEFAULT-VALUE}).",
      defaultValue = "8081")
  int apiPort;

  @Option(
      names = "--monitoring-port",
      description =
          "monitoring-service port; 0 when monitoring does not run (the SSE attack is skipped) (default: ${DEFAULT-VALUE}).",
      defaultValue = "0")
  int monitoringPort;

  @Option(
      names = "--ingress",
      description =
          "Base URL of an nginx ingress in front of the set, e.g. http://127.0.0.1:8088; none: the ingress attack is skipped.")
  String ingress;

  @Option(
      names = "--secret",
      required = true,
      description = "The set's PRINTFLEET_JWT_SECRET, to sign the attacker's own (valid) tokens.")
  String secret;

  @Option(
      names = "--company",
      description = "The attacker's company, not the honest load's (default: ${DEFAULT-VALUE}).",
      defaultValue = "abuse")
  String company;

  @Option(
      names = "--other-company",
      description = "A second company, for the same-agent-id attack (default: ${DEFAULT-VALUE}).",
      defaultValue = "abuse2")
  String otherCompany;

  @Option(
      names = "--gateway-pid",
      description = "Process id of the gateway, to read its RSS around each attack (0: not read).",
      defaultValue = "0")
  long gatewayPid;

  @Option(
      names = "--printing-pid",
      description = "Process id of printing-service, to read its RSS (0: not read).",
      defaultValue = "0")
  long printingPid;

  @Option(
      names = "--uploads-dir",
      description =
          "printing-service's BodyHandler upload directory (file-uploads in its working directory), to see whether an unauthenticated upload was written.")
  Path uploadsDir;

  @Option(
      names = "--bombs",
      description = "Frame bombs, each from a fresh agent connection (default: ${DEFAULT-VALUE}).",
      defaultValue = "20")
  int bombs;

  @Option(
      names = "--bomb-mib",
      description = "Inflated size of each bomb in MiB (default: ${DEFAULT-VALUE}).",
      defaultValue = "512")
  int bombMiB;

  @Option(
      names = "--bomb-wait",
      description =
          "Seconds to wait for the gateway to close a bomb's socket (default: ${DEFAULT-VALUE}).",
      defaultValue = "8")
  int bombWaitS;

  @Option(
      names = "--big-jobs",
      description = "Jobs of 1 MiB sent to the slow agent (default: ${DEFAULT-VALUE}).",
      defaultValue = "100")
  int bigJobs;

  @Option(
      names = "--slow-seconds",
      description = "Seconds the slow agent keeps reading slowly (default: ${DEFAULT-VALUE}).",
      defaultValue = "30")
  int slowSeconds;

  @Option(
      names = "--max-seconds",
      description =
          "The whole run gives up after this long, whatever the set does (default: ${DEFAULT-VALUE}).",
      defaultValue = "1800")
  int maxSeconds;

  @Option(names = "--only", split = ",", description = "Run only these attacks (names as above).")
  List<String> only = List.of();

  @Option(names = "--report", description = "Write the JSON report here.")
  Path report;

  /** What one attack found. */
  record Outcome(String verdict, String answer, JsonObject detail) {
    static Outcome open(String answer, JsonObject detail) {
      return new Outcome(OPEN, answer, detail);
    }

    static Outcome closed(String answer, JsonObject detail) {
      return new Outcome(CLOSED, answer, detail);
    }

    static Outcome skipped(String why) {
      return new Outcome(SKIPPED, why, new JsonObject());
    }
  }

  static final String OPEN = "open";
  static final String CLOSED = "closed";
  static final String SKIPPED = "skipped";
  static final String ERROR = "error";

  private interface Attack {
    Outcome run() throws Exception;
  }

  private Vertx vertx;
  private TokenIssuer issuer;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Override
  public Integer call() throws Exception {
    if (!isLoopback(host) || (ingress != null && !isLoopback(URI.create(ingress).getHost()))) {
      System.err.println(
          "abuse: attacks only a set on this machine: --host and --ingress must be loopback addresses");
      return 2;
    }
    if (bombs < 0
        || bombs > 100
        || bombMiB < 1
        || bombMiB > 1024
        || bombWaitS < 1
        || bombWaitS > 120
        || bigJobs < 0
        || bigJobs > 500
        || slowSeconds < 1
        || slowSeconds > 600) {
      System.err.println(
          "abuse: need --bombs 0..100, --bomb-mib 1..1024, --bomb-wait 1..120, --big-jobs 0..500, --slow-seconds 1..600");
      return 2;
    }
    vertx = Vertx.vertx();
    // Bounded whatever happens: a set that hangs mid-attack does not hold the attacker.
    var giveUp =
        new Thread(
            () -> {
              try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(maxSeconds));
                System.err.println("abuse: gave up after " + maxSeconds + " s");
                Runtime.getRuntime().halt(1);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "abuse-give-up");
    giveUp.setDaemon(true);
    giveUp.start();
    issuer = new TokenIssuer(vertx, secret);
    Map<String, Attack> attacks = new LinkedHashMap<>();
    attacks.put("branch-company", this::branchCompany);
    attacks.put("rooms-per-session", this::roomsPerSession);
    attacks.put("sync-20000", this::sync20000);
    attacks.put("status-unsynced", this::statusUnsynced);
    attacks.put("malformed-branches", this::malformedBranches);
    attacks.put("same-agent-id", this::sameAgentId);
    attacks.put("foreign-result", this::foreignResult);
    attacks.put("sse-expiry", this::sseExpiry);
    attacks.put("ingress", this::ingress);
    attacks.put("bad-input", this::badInput);
    // The two that can take a service down go last, so the others meet a healthy set.
    attacks.put("slow-agent-big-jobs", this::slowAgentBigJobs);
    attacks.put("frame-bomb", this::frameBomb);
    for (String name : only) {
      if (!attacks.containsKey(name)) {
        System.err.println("abuse: unknown attack " + name + "; known: " + ATTACK_NAMES);
        return 2;
      }
    }
    var results = new JsonArray();
    for (var entry : attacks.entrySet()) {
      int point = POINTS.indexOf(entry.getKey()) + 1;
      if (!only.isEmpty() && !only.contains(entry.getKey())) {
        continue;
      }
      results.add(runOne(point, entry.getKey(), entry.getValue()));
    }
    var counts = new JsonObject();
    for (Object o : results) {
      String verdict = ((JsonObject) o).getString("verdict");
      counts.put(verdict, counts.getInteger(verdict, 0) + 1);
    }
    var out =
        new JsonObject()
            .put("mode", "abuse")
            .put("company", company)
            .put("verdicts", counts)
            .put("attacks", results);
    if (report != null) {
      Files.writeString(report, out.encodePrettily());
    }
    System.out.println("abuse verdicts: " + counts.encode());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // An attack whose run broke (the attacker's own failure, or a set that stopped answering) is
    // reported as error: the bench's run is then not a complete answer.
    return counts.containsKey(ERROR) ? 1 : 0;
  }

  private JsonObject runOne(int point, String name, Attack attack) {
    System.out.printf("attack %2d %-20s ... ", point, name);
    System.out.flush();
    double gatewayBefore = rssMiB(gatewayPid);
    double printingBefore = rssMiB(printingPid);
    long started = System.nanoTime();
    Outcome outcome;
    try {
      outcome = attack.run();
    } catch (Exception e) {
      outcome = new Outcome(ERROR, "the attack broke: " + e, new JsonObject());
    }
    var result =
        new JsonObject()
            .put("point", point)
            .put("attack", name)
            .put("verdict", outcome.verdict())
            .put("answer", outcome.answer())
            .put("seconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0)
            .put(
                "gatewayRssMiB",
                new JsonObject().put("before", gatewayBefore).put("after", rssMiB(gatewayPid)))
            .put(
                "printingRssMiB",
                new JsonObject().put("before", printingBefore).put("after", rssMiB(printingPid)))
            .put("gatewayAlive", alive(gatewayPort))
            .put("printingAlive", alive(apiPort))
            .put("detail", outcome.detail());
    System.out.printf("%-7s %s%n", outcome.verdict(), outcome.answer());
    return result;
  }

  // ---- 1. the compressed frame bomb ----

  private Outcome frameBomb() throws Exception {
    if (bombs == 0) {
      return Outcome.skipped("--bombs 0");
    }
    byte[] bomb = FrameBomb.build((long) bombMiB * 1024 * 1024);
    List<RawWebSocket> held = new ArrayList<>();
    Map<String, Integer> endings = new LinkedHashMap<>();
    double rssStart = rssMiB(gatewayPid);
    double rssPeak = rssStart;
    boolean deflateRefused = false;
    int stoppedAfter = -1;
    try {
      for (int i = 0; i < bombs; i++) {
        RawWebSocket ws;
        try {
          ws =
              RawWebSocket.open(
                  host,
                  gatewayPort,
                  "/ws/agent",
                  agentToken("bomb-" + i, company),
                  true,
                  0,
                  10_000);
        } catch (IOException e) {
          // The gateway no longer answers an upgrade: what the bombs so far did. More would
          // only wait on a dead gateway.
          stoppedAfter = i;
          endings.merge(
              "then the gateway did not answer an upgrade within 10 s ("
                  + e.getClass().getSimpleName()
                  + ")",
              1,
              Integer::sum);
          break;
        }
        held.add(ws);
        if (!ws.handshake().upgraded()) {
          endings.merge("upgrade refused HTTP " + ws.handshake().status(), 1, Integer::sum);
          continue;
        }
        if (!ws.handshake().deflate()) {
          deflateRefused = true;
        }
        if (ws.read() == null) { // the welcome
          endings.merge("no welcome within 10 s", 1, Integer::sum);
          stoppedAfter = i;
          break;
        }
        String ending;
        try {
          // A socket write has no timeout: a gateway that stops reading would hold the
          // attacker here for ever. The timer closes the socket, which ends the write.
          var sending = ws;
          long watchdog = vertx.setTimer(30_000, id -> sending.close());
          try {
            ws.sendDeflated(bomb);
          } finally {
            vertx.cancelTimer(watchdog);
          }
          ws.setTimeout(250);
          ending = "socket still open after " + bombWaitS + " s";
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(bombWaitS);
          while (System.nanoTime() < deadline) {
            rssPeak = Math.max(rssPeak, rssMiB(gatewayPid));
            RawWebSocket.Message m = ws.read();
            if (m == null) {
              continue;
            }
            if (m.opcode() == 8) {
              ending = "close " + m.closeStatus();
              break;
            }
            if (m.opcode() == -1) {
              ending = "connection cut without a close frame";
              break;
            }
            if (m.text() != null && m.text().contains("\"error\"")) {
              ending = "error answer " + shorten(m.text());
            }
          }
        } catch (IOException e) {
          ending = "connection cut while sending (" + e.getClass().getSimpleName() + ")";
        }
        endings.merge(ending, 1, Integer::sum);
      }
    } finally {
      // The open sockets were held until now, as an attacker's would be: what the gateway keeps
      // for each shows in the peak.
      rssPeak = Math.max(rssPeak, rssMiB(gatewayPid));
      held.forEach(RawWebSocket::close);
    }
    // Does the gateway come back by itself?
    long recoveryStart = System.nanoTime();
    boolean answering = alive(gatewayPort);
    while (!answering && System.nanoTime() - recoveryStart < TimeUnit.SECONDS.toNanos(60)) {
      Thread.sleep(1_000);
      rssPeak = Math.max(rssPeak, rssMiB(gatewayPid));
      answering = alive(gatewayPort);
    }
    String recovery =
        answering
            ? String.format(
                "gateway answering %.0f s after the last bomb",
                (System.nanoTime() - recoveryStart) / 1e9)
            : "gateway still not answering /health/live 60 s after the last bomb";
    int sent = stoppedAfter >= 0 ? stoppedAfter : bombs;
    var detail =
        new JsonObject()
            .put("wireBytesPerBomb", bomb.length)
            .put("inflatedMiB", bombMiB)
            .put("bombsSent", sent)
            .put("recovery", recovery)
            .put("endings", new JsonObject(new LinkedHashMap<>(endings)))
            .put("gatewayRssStartMiB", rssStart)
            .put("gatewayRssPeakMiB", rssPeak)
            .put("deflateNegotiated", !deflateRefused);
    String answer =
        String.format(
            "%d of %d bombs sent (%d KB -> %d MiB each): %s; gateway RSS %.0f -> peak %.0f MiB; %s",
            sent, bombs, bomb.length / 1000, bombMiB, endings, rssStart, rssPeak, recovery);
    if (deflateRefused) {
      return Outcome.closed("permessage-deflate not negotiated: " + answer, detail);
    }
    boolean all1009 = endings.size() == 1 && endings.containsKey("close 1009") && answering;
    return all1009 ? Outcome.closed(answer, detail) : Outcome.open(answer, detail);
  }

  // ---- 2. and 3. dashboard rooms ----

  private Outcome branchCompany() throws Exception {
    String token =
        issuer.user("abuse-branch-user", Role.USER, company, List.of("b1"), Duration.ofMinutes(10));
    try (var ws = RawWebSocket.open(host, gatewayPort, "/ws/client", token, false, 0, 10_000)) {
      if (!ws.handshake().upgraded()) {
        return new Outcome(
            ERROR, "upgrade refused HTTP " + ws.handshake().status(), new JsonObject());
      }
      String answer =
          request(
              ws,
              "subscribe",
              "s1",
              new JsonObject().put("rooms", new JsonArray().add("company:" + company)));
      return answer.startsWith("ok")
          ? Outcome.open(
              "user limited to b1 joined company:" + company + " (" + answer + ")",
              new JsonObject())
          : Outcome.closed("refused: " + answer, new JsonObject());
    }
  }

  private Outcome roomsPerSession() throws Exception {
    String token =
        issuer.user("abuse-rooms-user", Role.USER, company, List.of(), Duration.ofMinutes(10));
    try (var ws = RawWebSocket.open(host, gatewayPort, "/ws/client", token, false, 0, 10_000)) {
      if (!ws.handshake().upgraded()) {
        return new Outcome(
            ERROR, "upgrade refused HTTP " + ws.handshake().status(), new JsonObject());
      }
      String first =
          request(ws, "subscribe", "r1", new JsonObject().put("rooms", branchRooms(0, 60)));
      String second =
          request(ws, "subscribe", "r2", new JsonObject().put("rooms", branchRooms(60, 60)));
      var detail = new JsonObject().put("first", first).put("second", second);
      String answer =
          "60 rooms: "
              + roomsAnswer(first)
              + "; 60 more in a second request: "
              + roomsAnswer(second);
      return second.startsWith("ok")
          ? Outcome.open(answer, detail)
          : Outcome.closed(answer, detail);
    }
  }

  /** "ok" answers list every room: the count says enough. */
  private static String roomsAnswer(String answer) {
    if (!answer.startsWith("ok")) {
      return answer;
    }
    int rooms = answer.split("branch:", -1).length - 1;
    return "accepted (" + (answer.endsWith("...") ? "at least " : "") + rooms + " rooms listed)";
  }

  private static JsonArray branchRooms(int from, int count) {
    var rooms = new JsonArray();
    for (int i = from; i < from + count; i++) {
      rooms.add("branch:made-up-" + i);
    }
    return rooms;
  }

  // ---- 4. and 5. printers ----

  private Outcome sync20000() throws Exception {
    var printers = new JsonArray();
    for (int i = 0; i < 20_000; i++) {
      printers.add(
          new JsonObject()
              .put("id", String.format("big-%05d", i))
              .put("name", "n")
              .put("status", "online"));
    }
    try (var ws = agent("abuse-sync-agent", company)) {
      String frame =
          Envelope.request("printers.sync", "sync1", new JsonObject().put("printers", printers))
              .encode();
      String answer = request(ws, frame, "sync1");
      // printing writes a sync in one transaction: the printers appear all at once, when it
      // commits (20,000 statements take a while under load).
      // The list answers at most 5,000 printers: the last printer of the frame, asked by id,
      // says whether all 20,000 were stored.
      String user =
          issuer.user("abuse-user", Role.USER, company, List.of(), Duration.ofMinutes(10));
      boolean lastStored = false;
      long syncedAt = System.nanoTime();
      while (!lastStored && System.nanoTime() - syncedAt < TimeUnit.SECONDS.toNanos(60)) {
        Thread.sleep(1_000);
        lastStored = get(apiUrl("/api/v1/printers/big-19999"), user).statusCode() == 200;
      }
      double visibleAfterS =
          lastStored ? Math.round((System.nanoTime() - syncedAt) / 1e8) / 10.0 : -1;
      int stored = lastStored ? 20_000 : countPrinters("big-");
      // Leave the set as found: the same agent syncs an empty list.
      request(
          ws,
          Envelope.request(
                  "printers.sync", "sync2", new JsonObject().put("printers", new JsonArray()))
              .encode(),
          "sync2");
      var detail =
          new JsonObject()
              .put("frameBytes", frame.length())
              .put("answer", answer)
              .put("stored", stored)
              .put("visibleAfterS", visibleAfterS);
      String text =
          String.format(
              "20,000 printers in a %d KB frame: %s; printers stored: %d%s",
              frame.length() / 1000,
              answer,
              stored,
              lastStored
                  ? String.format(" (the last one found %.0f s after the sync)", visibleAfterS)
                  : " within 60 s");
      return stored > 1_000 || answer.startsWith("ok")
          ? Outcome.open(text, detail)
          : Outcome.closed(text, detail);
    }
  }

  private Outcome statusUnsynced() throws Exception {
    try (var ws = agent("abuse-status-agent", company)) {
      request(
          ws,
          Envelope.request(
                  "printers.sync",
                  "s1",
                  new JsonObject()
                      .put(
                          "printers",
                          new JsonArray()
                              .add(
                                  new JsonObject()
                                      .put("id", "abuse-st-1")
                                      .put("name", "mine")
                                      .put("status", "online"))))
              .encode(),
          "s1");
      String answer =
          request(
              ws,
              Envelope.request(
                      "printer.status",
                      "st1",
                      new JsonObject()
                          .put("printerId", "abuse-never-synced-1")
                          .put("status", "busy"))
                  .encode(),
              "st1");
      String text = "printer.status for a printer never synced: " + answer;
      return answer.startsWith("ok")
          ? Outcome.open(text, new JsonObject())
          : Outcome.closed(text, new JsonObject());
    }
  }

  // ---- 6. malformed branches claims ----

  private Outcome malformedBranches() throws Exception {
    Map<String, Object> variants = new LinkedHashMap<>();
    variants.put("string", "b1");
    variants.put("numbers", new JsonArray().add(1).add(2));
    variants.put("empty list", new JsonArray());
    var detail = new JsonObject();
    boolean anyAccepted = false;
    List<String> parts = new ArrayList<>();
    for (var v : variants.entrySet()) {
      String token =
          issuer.sign(
              new JsonObject()
                  .put("sub", "abuse-claims-user")
                  .put("role", Role.USER.claim())
                  .put("company", company)
                  .put("branches", v.getValue()),
              Duration.ofMinutes(10));
      int wsStatus;
      try (var ws = RawWebSocket.open(host, gatewayPort, "/ws/client", token, false, 0, 10_000)) {
        wsStatus = ws.handshake().status();
      }
      int restStatus = get(apiUrl("/api/v1/jobs?limit=1"), token).statusCode();
      anyAccepted |= wsStatus == 101 || restStatus == 200;
      detail.put(v.getKey(), new JsonObject().put("websocket", wsStatus).put("rest", restStatus));
      parts.add(v.getKey() + ": WS " + wsStatus + ", REST " + restStatus);
    }
    String text = String.join("; ", parts);
    return anyAccepted ? Outcome.open(text, detail) : Outcome.closed(text, detail);
  }

  // ---- 7. and 8. agents of one company against another's ----

  private Outcome sameAgentId() throws Exception {
    String user = issuer.user("abuse-user", Role.USER, company, List.of(), Duration.ofMinutes(10));
    try (var victim = agent("abuse-twin-1", company)) {
      request(victim, syncOne("abuse-twin-p1", "s1"), "s1");
      waitForPrinter("abuse-twin-p1");
      try (var attacker =
          RawWebSocket.open(
              host,
              gatewayPort,
              "/ws/agent",
              agentToken("abuse-twin-1", otherCompany),
              false,
              0,
              10_000)) {
        if (!attacker.handshake().upgraded()) {
          return Outcome.closed(
              "second company's agent refused at the upgrade: HTTP "
                  + attacker.handshake().status(),
              new JsonObject());
        }
        RawWebSocket.Message victimEnd = awaitClose(victim, 3_000);
        String jobId = postJob(user, "abuse-twin-p1", "twin job".getBytes(StandardCharsets.UTF_8));
        boolean attackerGotJob = jobId != null && awaitText(attacker, jobId, 8_000);
        if (jobId != null) {
          cancel(user, jobId);
        }
        String victimState =
            victimEnd == null
                ? "victim kept its socket"
                : "victim closed " + victimEnd.closeStatus();
        String text =
            victimState
                + "; attacker received the victim's job: "
                + (attackerGotJob ? "yes" : "no");
        var detail =
            new JsonObject()
                .put("victimClose", victimEnd == null ? null : victimEnd.closeStatus())
                .put("attackerReceivedJob", attackerGotJob);
        return victimEnd != null || attackerGotJob
            ? Outcome.open(text, detail)
            : Outcome.closed(text, detail);
      }
    }
  }

  private Outcome foreignResult() throws Exception {
    String user = issuer.user("abuse-user", Role.USER, company, List.of(), Duration.ofMinutes(10));
    try (var owner = agent("abuse-owner-1", company);
        var other = agent("abuse-other-1", company)) {
      request(owner, syncOne("abuse-own-p1", "s1"), "s1");
      waitForPrinter("abuse-own-p1");
      String jobId = postJob(user, "abuse-own-p1", "owner's job".getBytes(StandardCharsets.UTF_8));
      if (jobId == null) {
        return new Outcome(
            ERROR, "the job for the owner's printer was not accepted", new JsonObject());
      }
      Envelope dispatch = awaitDispatch(owner, jobId, 15_000);
      if (dispatch == null) {
        return new Outcome(
            ERROR, "the job was not dispatched to its agent within 15 s", new JsonObject());
      }
      owner.sendText(
          Envelope.response(dispatch.id(), new JsonObject().put("accepted", true)).encode());
      String answer =
          request(
              other,
              Envelope.request(
                      "job.result",
                      "r1",
                      new JsonObject().put("jobId", jobId).put("outcome", "printed"))
                  .encode(),
              "r1");
      Thread.sleep(500);
      String state = jobState(user, jobId);
      // The owner's own result, so the job ends as it would have.
      request(
          owner,
          Envelope.request(
                  "job.result",
                  "r2",
                  new JsonObject().put("jobId", jobId).put("outcome", "printed"))
              .encode(),
          "r2");
      String text = "job.result from another agent: " + answer + "; job state after it: " + state;
      var detail = new JsonObject().put("answer", answer).put("stateAfter", state);
      return answer.startsWith("ok") || "printed".equals(state)
          ? Outcome.open(text, detail)
          : Outcome.closed(text, detail);
    }
  }

  // ---- 9. SSE past its token's expiry ----

  private Outcome sseExpiry() throws Exception {
    if (monitoringPort == 0) {
      return Outcome.skipped("monitoring-service does not run in this set (no --monitoring-port)");
    }
    int ttlS = 4;
    String token = issuer.user("abuse-sre", Role.SRE, company, List.of(), Duration.ofSeconds(ttlS));
    long expiresAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(ttlS);
    var connection =
        (HttpURLConnection)
            URI.create(
                    "http://"
                        + host
                        + ":"
                        + monitoringPort
                        + "/monitoring/stream?access_token="
                        + URLEncoder.encode(token, StandardCharsets.UTF_8))
                .toURL()
                .openConnection();
    connection.setConnectTimeout(5_000);
    connection.setReadTimeout(1_000);
    int status = connection.getResponseCode();
    if (status != 200) {
      connection.disconnect();
      return new Outcome(
          ERROR, "the stream was refused before expiry: HTTP " + status, new JsonObject());
    }
    int eventsBefore = 0;
    int eventsAfter = 0;
    String end = "still open " + (ttlS + 15) + " s after the token was issued";
    long deadline = expiresAt + TimeUnit.SECONDS.toNanos(15);
    try (var reader =
        new BufferedReader(
            new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8))) {
      while (System.nanoTime() < deadline) {
        String line;
        try {
          line = reader.readLine();
        } catch (java.net.SocketTimeoutException e) {
          continue;
        }
        if (line == null) {
          end =
              String.format(
                  "stream ended %.1f s after expiry", (System.nanoTime() - expiresAt) / 1e9);
          break;
        }
        if (line.startsWith("event:") || line.startsWith("data:")) {
          // Events within 3 s after expiry may have been on their way.
          if (System.nanoTime() > expiresAt + TimeUnit.SECONDS.toNanos(3)) {
            eventsAfter++;
          } else {
            eventsBefore++;
          }
        }
      }
    } finally {
      connection.disconnect();
    }
    String text =
        end
            + "; SSE lines before expiry "
            + eventsBefore
            + ", more than 3 s after it "
            + eventsAfter;
    var detail =
        new JsonObject()
            .put("end", end)
            .put("linesBefore", eventsBefore)
            .put("linesAfterExpiry", eventsAfter);
    return eventsAfter > 0 ? Outcome.open(text, detail) : Outcome.closed(text, detail);
  }

  // ---- 10. big jobs to an agent that reads slowly ----

  private Outcome slowAgentBigJobs() throws Exception {
    if (bigJobs == 0) {
      return Outcome.skipped("--big-jobs 0");
    }
    String user = issuer.user("abuse-user", Role.USER, company, List.of(), Duration.ofMinutes(30));
    // A small receive window: after a few kilobytes the gateway's writes to this socket pile up.
    try (var slow =
        RawWebSocket.open(
            host,
            gatewayPort,
            "/ws/agent",
            agentToken("abuse-slow-1", company),
            false,
            4096,
            10_000)) {
      if (!slow.handshake().upgraded()) {
        return new Outcome(
            ERROR, "upgrade refused HTTP " + slow.handshake().status(), new JsonObject());
      }
      slow.read();
      request(slow, syncOne("abuse-slow-p1", "s1"), "s1");
      waitForPrinter("abuse-slow-p1");
      double gwStart = rssMiB(gatewayPid);
      double prStart = rssMiB(printingPid);
      double gwLiveStart = liveHeapMiB(gatewayPid, gatewayPort);
      double prLiveStart = liveHeapMiB(printingPid, apiPort);
      double gwPeak = gwStart;
      double prPeak = prStart;
      byte[] content = new byte[1024 * 1024];
      new java.util.Random(12).nextBytes(content);
      List<String> jobs = new ArrayList<>();
      Map<Integer, Integer> statuses = new LinkedHashMap<>();
      for (int i = 0; i < bigJobs; i++) {
        HttpResponse<String> r;
        try {
          r =
              postJobResponse(
                  user, "abuse-slow-p1", content, "abuse-big-" + System.nanoTime() + "-" + i);
        } catch (IOException e) {
          // printing stopped answering within 30 s: more posts would only wait on it.
          statuses.merge(-1, 1, Integer::sum);
          break;
        }
        statuses.merge(r.statusCode(), 1, Integer::sum);
        if (r.statusCode() == 201) {
          jobs.add(new JsonObject(r.body()).getString("id"));
        }
        gwPeak = Math.max(gwPeak, rssMiB(gatewayPid));
        prPeak = Math.max(prPeak, rssMiB(printingPid));
      }
      slow.setTimeout(100);
      long readBytes = 0;
      boolean cut = false;
      boolean servicesAnswered = true;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(slowSeconds);
      int tick = 0;
      while (System.nanoTime() < deadline) {
        Thread.sleep(100);
        int n =
            slow.drain(8 * 1024); // at most 80 KB/s: a 1 MiB job (1.4 MB in base64) takes some 17 s
        if (n < 0) {
          cut = true;
          break;
        }
        readBytes += n;
        gwPeak = Math.max(gwPeak, rssMiB(gatewayPid));
        prPeak = Math.max(prPeak, rssMiB(printingPid));
        if (++tick % 20 == 0) {
          servicesAnswered &= alive(gatewayPort) && alive(apiPort);
        }
      }
      servicesAnswered &= alive(gatewayPort) && alive(apiPort);
      // What the services hold while the backlog waits on the slow agent: live heap, after a full
      // GC.
      double gwLiveEnd = liveHeapMiB(gatewayPid, gatewayPort);
      double prLiveEnd = liveHeapMiB(printingPid, apiPort);
      slow.close();
      int cancelled = 0;
      for (String id : jobs) {
        cancelled += cancel(user, id) ? 1 : 0;
      }
      boolean heapRead = gwLiveStart >= 0 && gwLiveEnd >= 0 && prLiveStart >= 0 && prLiveEnd >= 0;
      double held = Math.max(gwLiveEnd - gwLiveStart, 0) + Math.max(prLiveEnd - prLiveStart, 0);
      var detail =
          new JsonObject()
              .put(
                  "submitted",
                  new JsonObject(
                      statuses.entrySet().stream()
                          .collect(
                              java.util.stream.Collectors.toMap(
                                  e -> String.valueOf(e.getKey()), e -> (Object) e.getValue()))))
              .put("bytesReadBySlowAgent", readBytes)
              .put("slowAgentCut", cut)
              .put("gatewayRssStartMiB", gwStart)
              .put("gatewayRssPeakMiB", gwPeak)
              .put("printingRssStartMiB", prStart)
              .put("printingRssPeakMiB", prPeak)
              .put("gatewayLiveHeapStartMiB", gwLiveStart)
              .put("gatewayLiveHeapEndMiB", gwLiveEnd)
              .put("printingLiveHeapStartMiB", prLiveStart)
              .put("printingLiveHeapEndMiB", prLiveEnd)
              .put("servicesAnsweredThroughout", servicesAnswered)
              .put("cancelledAfter", cancelled);
      String text =
          String.format(
              "%d jobs of 1 MiB (HTTP %s), slow agent read %d KB in %d s%s; live heap after a full GC: "
                  + "gateway %.0f -> %.0f MiB, printing %.0f -> %.0f MiB (RSS: gateway %.0f -> peak %.0f MiB, printing %.0f -> "
                  + "peak %.0f MiB); services answered throughout: %s",
              bigJobs,
              statuses,
              readBytes / 1000,
              slowSeconds,
              cut ? " (cut by the gateway)" : "",
              gwLiveStart,
              gwLiveEnd,
              prLiveStart,
              prLiveEnd,
              gwStart,
              gwPeak,
              prStart,
              prPeak,
              servicesAnswered ? "yes" : "no");
      // Bounded means: the set answers, and while the backlog waits the two services together
      // hold (live heap after a full GC) less than half the jobs' content: a set that buffers the
      // backlog holds all of it, in base64 too. RSS is no measure of that: a JVM's heap grows with
      // what it allocates, not with what it keeps.
      boolean bounded = servicesAnswered && heapRead && held < bigJobs * 0.5;
      return bounded ? Outcome.closed(text, detail) : Outcome.open(text, detail);
    }
  }

  // ---- 11. the ingress ----

  private Outcome ingress() throws Exception {
    if (ingress == null) {
      return Outcome.skipped("no nginx ingress runs in front of this set (no --ingress)");
    }
    var detail = new JsonObject();
    boolean open = false;
    List<String> parts = new ArrayList<>();
    for (String path : List.of("/metrics", "/health/ready", "/health/live")) {
      int status = get(URI.create(ingress + path), null).statusCode();
      detail.put(path, status);
      parts.add(path + " HTTP " + status);
      open |= status == 200;
    }
    int root = get(URI.create(ingress + "/"), null).statusCode();
    parts.add("/ HTTP " + root + " (the dashboard page, public by design)");
    detail.put("/", root);
    String text = "through the ingress: " + String.join(", ", parts);
    return open ? Outcome.open(text, detail) : Outcome.closed(text, detail);
  }

  // ---- 12. forged cursor, NUL, multipart before authentication ----

  private Outcome badInput() throws Exception {
    String user = issuer.user("abuse-user", Role.USER, company, List.of(), Duration.ofMinutes(10));
    var detail = new JsonObject();
    boolean open = false;
    List<String> parts = new ArrayList<>();
    Map<String, String> cursors = new LinkedHashMap<>();
    cursors.put("not base64", "!!!%25%25");
    cursors.put(
        "base64 of junk",
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("junk|junk".getBytes(StandardCharsets.UTF_8)));
    cursors.put(
        "base64 of JSON",
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "{\"createdAt\":\"yesterday\",\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
    // Well formed (seconds.nanos:uuid, as printing writes them) but out of PostgreSQL's range.
    cursors.put(
        "well formed, year 3 million",
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "99999999999999.0:00000000-0000-0000-0000-000000000000"
                    .getBytes(StandardCharsets.UTF_8)));
    cursors.put(
        "well formed, before 4713 BC",
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                "-999999999999.0:00000000-0000-0000-0000-000000000000"
                    .getBytes(StandardCharsets.UTF_8)));
    var cursorDetail = new JsonObject();
    for (var c : cursors.entrySet()) {
      int status = get(apiUrl("/api/v1/jobs?after=" + c.getValue()), user).statusCode();
      cursorDetail.put(c.getKey(), status);
      // A cursor printing could not have written answers 400; a well formed one may page (200)
      // or be refused (400), never 500.
      open |= c.getKey().startsWith("well formed") ? status >= 500 : status != 400;
    }
    detail.put("forgedCursor", cursorDetail);
    parts.add("forged after cursor " + cursorDetail.encode());

    var nulDetail = new JsonObject();
    var body =
        new JsonObject()
            .put("printerId", "abuse\u0000printer")
            .put("contentType", "text/plain")
            .put(
                "content",
                Base64.getEncoder().encodeToString("x".getBytes(StandardCharsets.UTF_8)));
    int postNul =
        send(HttpRequest.newBuilder(apiUrl("/api/v1/jobs"))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + user)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                .build())
            .statusCode();
    int listNul = get(apiUrl("/api/v1/jobs?printerId=abuse%00printer"), user).statusCode();
    nulDetail.put("POST printerId", postNul).put("GET ?printerId", listNul);
    open |= postNul != 400 || listNul != 400;
    detail.put("nul", nulDetail);
    parts.add("NUL in a text field " + nulDetail.encode());

    long filesBefore = countFiles(uploadsDir);
    String boundary = "abuse" + System.nanoTime();
    byte[] file = new byte[256 * 1024];
    var multipart = new java.io.ByteArrayOutputStream();
    multipart.write(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"abuse.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    multipart.write(file);
    multipart.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    int upload =
        send(HttpRequest.newBuilder(apiUrl("/api/v1/jobs"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart.toByteArray()))
                .build())
            .statusCode();
    Thread.sleep(300);
    long filesAfter = countFiles(uploadsDir);
    String written =
        uploadsDir == null
            ? "not checked (no --uploads-dir)"
            : filesAfter < 0
                ? "no upload directory"
                : (filesAfter - Math.max(filesBefore, 0)) + " file(s) written";
    detail.put(
        "multipartWithoutToken", new JsonObject().put("status", upload).put("uploads", written));
    open |= upload != 401 || (filesAfter > Math.max(filesBefore, 0));
    parts.add("multipart upload without a token HTTP " + upload + ", " + written);
    String text = String.join("; ", parts);
    return open ? Outcome.open(text, detail) : Outcome.closed(text, detail);
  }

  // ---- helpers ----

  static boolean isLoopback(String host) {
    try {
      return host != null && InetAddress.getByName(host).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  private String agentToken(String agentId, String agentCompany) {
    return issuer.agent(agentId, agentCompany, "b1", Duration.ofMinutes(30));
  }

  /** An agent socket of the attacker's company, past its welcome. */
  private RawWebSocket agent(String agentId, String agentCompany) throws IOException {
    var ws =
        RawWebSocket.open(
            host, gatewayPort, "/ws/agent", agentToken(agentId, agentCompany), false, 0, 10_000);
    if (!ws.handshake().upgraded()) {
      ws.close();
      throw new IOException(
          "agent " + agentId + " refused at the upgrade: HTTP " + ws.handshake().status());
    }
    ws.read();
    return ws;
  }

  private static String syncOne(String printerId, String id) {
    return Envelope.request(
            "printers.sync",
            id,
            new JsonObject()
                .put(
                    "printers",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("id", printerId)
                                .put("name", printerId)
                                .put("status", "online"))))
        .encode();
  }

  private String request(RawWebSocket ws, String type, String id, JsonObject data)
      throws IOException {
    return request(ws, Envelope.request(type, id, data).encode(), id);
  }

  /**
   * Sends a request and reads until its response: "ok {data}" or "error <code>: message", or
   * what ended the wait (a close, or silence for 10 s).
   */
  private static String request(RawWebSocket ws, String frame, String id) throws IOException {
    ws.sendText(frame);
    ws.setTimeout(500);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      RawWebSocket.Message m = ws.read();
      if (m == null) {
        continue;
      }
      if (m.isClose()) {
        return "socket closed " + m.closeStatus();
      }
      Envelope e;
      try {
        e = Envelope.parse(m.text());
      } catch (Envelope.ParseException ex) {
        continue;
      }
      if (e.isResponse() && id.equals(e.id())) {
        // Whole (up to 4,000 characters): a room list is counted from it.
        String data = e.data().encode();
        return e.error() != null
            ? "error " + e.error().code() + ": " + e.error().message()
            : "ok " + (data.length() <= 4_000 ? data : data.substring(0, 4_000) + "...");
      }
      if ("error".equals(e.type())
          && (id.equals(e.data().getString("ref")) || e.data().getString("ref") == null)) {
        return "error " + e.data().getString("code") + ": " + e.data().getString("message");
      }
    }
    return "no answer within 10 s";
  }

  private static RawWebSocket.Message awaitClose(RawWebSocket ws, int ms) throws IOException {
    ws.setTimeout(250);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() < deadline) {
      RawWebSocket.Message m = ws.read();
      if (m != null && m.isClose()) {
        return m;
      }
    }
    return null;
  }

  private static boolean awaitText(RawWebSocket ws, String needle, int ms) throws IOException {
    ws.setTimeout(250);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() < deadline) {
      RawWebSocket.Message m = ws.read();
      if (m != null && m.isClose()) {
        return false;
      }
      if (m != null && m.text() != null && m.text().contains(needle)) {
        return true;
      }
    }
    return false;
  }

  private static Envelope awaitDispatch(RawWebSocket ws, String jobId, int ms) throws IOException {
    ws.setTimeout(250);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() < deadline) {
      RawWebSocket.Message m = ws.read();
      if (m == null || m.text() == null) {
        if (m != null && m.isClose()) {
          return null;
        }
        continue;
      }
      try {
        Envelope e = Envelope.parse(m.text());
        if ("job.dispatch".equals(e.type()) && jobId.equals(e.data().getString("jobId"))) {
          return e;
        }
      } catch (Envelope.ParseException ignored) {
        // Not ours.
      }
    }
    return null;
  }

  private URI apiUrl(String pathAndQuery) {
    return URI.create("http://" + host + ":" + apiPort + pathAndQuery);
  }

  private HttpResponse<String> get(URI uri, String token) throws IOException, InterruptedException {
    var builder = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET();
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postJobResponse(
      String user, String printerId, byte[] content, String key)
      throws IOException, InterruptedException {
    var body =
        new JsonObject()
            .put("printerId", printerId)
            .put("contentType", "application/octet-stream")
            .put("content", Base64.getEncoder().encodeToString(content));
    return send(
        HttpRequest.newBuilder(apiUrl("/api/v1/jobs"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + user)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
            .build());
  }

  private String postJob(String user, String printerId, byte[] content)
      throws IOException, InterruptedException {
    var r = postJobResponse(user, printerId, content, "abuse-" + System.nanoTime());
    return r.statusCode() == 201 ? new JsonObject(r.body()).getString("id") : null;
  }

  private boolean cancel(String user, String jobId) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(apiUrl("/api/v1/jobs/" + jobId + "/cancel"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + user)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build())
            .statusCode()
        == 200;
  }

  private String jobState(String user, String jobId) throws IOException, InterruptedException {
    var r = get(apiUrl("/api/v1/jobs/" + jobId), user);
    return r.statusCode() == 200
        ? new JsonObject(r.body()).getString("state")
        : "HTTP " + r.statusCode();
  }

  private int countPrinters(String prefix) throws IOException, InterruptedException {
    String user = issuer.user("abuse-user", Role.USER, company, List.of(), Duration.ofMinutes(10));
    var r = get(apiUrl("/api/v1/printers"), user);
    if (r.statusCode() != 200) {
      return -1;
    }
    int n = 0;
    for (Object o : new JsonObject(r.body()).getJsonArray("items", new JsonArray())) {
      if (((JsonObject) o).getString("id", "").startsWith(prefix)) {
        n++;
      }
    }
    return n;
  }

  private void waitForPrinter(String printerId) throws Exception {
    for (int i = 0; i < 40 && countPrinters(printerId) < 1; i++) {
      Thread.sleep(250);
    }
  }

  private boolean alive(int port) {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/health/live"))
                      .timeout(Duration.ofSeconds(3))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** Resident memory of a process on this machine, in MiB; -1 when not asked or gone. */
  /**
   * A service's live heap in MiB: a full GC through jcmd, then the heap in use from its /metrics;
   * -1 when either cannot be had.
   */
  private double liveHeapMiB(long pid, int port) {
    if (pid <= 0) {
      return -1;
    }
    try {
      var jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
      var gc =
          new ProcessBuilder(jcmd, String.valueOf(pid), "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!gc.waitFor(30, TimeUnit.SECONDS)) {
        gc.destroyForcibly();
        return -1;
      }
      String metrics =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      double bytes = 0;
      for (String line : metrics.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          bytes += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return Math.round(bytes / 1024 / 102.4) / 10.0;
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  static double rssMiB(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Math.round(Long.parseLong(line.replaceAll("[^0-9]", "")) / 102.4) / 10.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  private static long countFiles(Path dir) {
    if (dir == null || !Files.isDirectory(dir)) {
      return -1;
    }
    try (var files = Files.list(dir)) {
      return files.count();
    } catch (IOException e) {
      return -1;
    }
  }

  private static String shorten(String text) {
    return text.length() <= 160 ? text : text.substring(0, 160) + "...";
  }
}
