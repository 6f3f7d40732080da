package dev.printfleet.printing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.testing.TestCluster;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md §6 for printfleet's own events: a dashboard on another gateway than the agents',
 * disconnected while jobs printed and statuses changed, comes back with the greatest offset it had
 * and is sent what its room missed, in order, once, then live events; a branch room only its
 * branch's, the company room every branch's; an offset the history no longer holds, or one before a
 * gap, answers {@code recovered: false}.
 */
class PrintingHistoryRecoveryTest extends PrintingTestBase {

  private static final List<String> STATUSES =
      List.of("busy", "paper_out", "online", "busy", "error");

  private ServiceRuntime dashboards;
  private WebSocket statusAgent;

  @BeforeEach
  void agents() {
    dashboards = start(new GatewayService(), Map.of());
    agent(gateway, "h1", "b1");
    agent(gateway, "h2", "b2");
    statusAgent = rawAgent("s1", "b1", "s1-p1", (socket, frame) -> {});
    awaitPrinterKnown("h1-p1");
    awaitPrinterKnown("h2-p1");
  }

  /** A printfleet event as a dashboard received it: its offset, printer, job and state. */
  private record Kept(String offset, String type, String printerId, String jobId, String state) {}

  private static final Comparator<String> BY_OFFSET =
      Comparator.comparing((String o) -> Long.parseLong(o.substring(0, o.indexOf('-'))))
          .thenComparing(o -> Long.parseLong(o.substring(o.indexOf('-') + 1)));

  /** The job updates and status updates a dashboard received, in the order received. */
  private static List<Kept> kept(TestSocket dashboard) {
    List<Kept> events = new ArrayList<>();
    for (Envelope e : dashboard.received) {
      if ("job.update".equals(e.type())) {
        var d = e.data();
        events.add(
            new Kept(
                d.getString("offset"),
                e.type(),
                d.getString("printerId"),
                d.getString("jobId"),
                d.getString("state")));
      } else if ("printer.status".equals(e.type())) {
        for (Object u : e.data().getJsonArray("updates")) {
          var d = (JsonObject) u;
          events.add(
              new Kept(
                  d.getString("offset"),
                  e.type(),
                  d.getString("printerId"),
                  null,
                  d.getString("status")));
        }
      }
    }
    return events;
  }

  private TestSocket dashboard(String room, String since) {
    var dashboard = TestSocket.open(client, dashboards.httpPort(), "/ws/client", userToken("acme"));
    var request = new JsonObject().put("rooms", List.of(room));
    if (since != null) {
      request.put("since", new JsonObject().put(room, since));
    }
    dashboard.send("subscribe", "s", request);
    return dashboard;
  }

  private String submit(String printerId) {
    var created = post("/api/v1/jobs", userToken("acme"), job(printerId), null);
    assertThat(created.statusCode()).isEqualTo(201);
    return new JsonObject(created.body()).getString("id");
  }

  private void status(String status) {
    statusAgent.writeTextMessage(
        Envelope.event(
                "printer.status", new JsonObject().put("printerId", "s1-p1").put("status", status))
            .encode());
  }

  private void awaitPrinted(List<String> jobIds) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> jobIds.stream().allMatch(id -> "printed".equals(state(id))));
  }

  /**
   * What happened while the dashboard was away: three jobs and five statuses in branch b1, one job
   * in b2. Answers the b1 job ids, in order.
   */
  private Map<String, List<String>> whileAway() {
    List<String> b1 = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      b1.add(submit("h1-p1"));
    }
    String b2 = submit("h2-p1");
    STATUSES.forEach(this::status);
    awaitPrinted(b1);
    awaitPrinted(List.of(b2));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                "error"
                    .equals(
                        new JsonObject(get("/api/v1/printers/s1-p1", userToken("acme")).body())
                            .getString("status")));
    Map<String, List<String>> jobs = new LinkedHashMap<>();
    jobs.put("b1", b1);
    jobs.put("b2", List.of(b2));
    return jobs;
  }

  /** Connected, one job printed live: the greatest offset it received, then it goes away. */
  private String offsetBeforeLeaving(String room) {
    var first = dashboard(room, null);
    first.awaitResponse("s");
    String jobId = submit("h1-p1");
    first.awaitFrame(
        e ->
            "job.update".equals(e.type())
                && jobId.equals(e.data().getString("jobId"))
                && "printed".equals(e.data().getString("state")));
    // Job updates always carry their offset; statuses when it came within 20 ms.
    assertThat(kept(first).stream().filter(e -> e.jobId() != null).map(Kept::offset))
        .as("every job update carries its offset")
        .doesNotContainNull();
    first.close();
    return kept(first).stream()
        .map(Kept::offset)
        .filter(java.util.Objects::nonNull)
        .max(BY_OFFSET)
        .orElseThrow();
  }

  /** Every job's states in the order received, and that nothing came twice. */
  private static Map<String, List<String>> statesByJob(List<Kept> events) {
    Map<String, List<String>> states = new LinkedHashMap<>();
    for (Kept e : events) {
      if (e.jobId() != null) {
        states.computeIfAbsent(e.jobId(), id -> new ArrayList<>()).add(e.state());
      }
    }
    return states;
  }

  @Test
  void aBranchDashboardRecoversItsBranchsJobUpdatesAndStatusesInOrderOnceThenLive() {
    String since = offsetBeforeLeaving("branch:b1");
    var jobs = whileAway();

    var back = dashboard("branch:b1", since);
    var answer = back.awaitResponse("s");
    assertThat(answer.data().getJsonObject("recovered").getBoolean("branch:b1")).isTrue();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                statesByJob(kept(back)).values().stream().mapToInt(List::size).sum() >= 9
                    && kept(back).stream().filter(e -> "s1-p1".equals(e.printerId())).count()
                        >= STATUSES.size());
    var recovered = kept(back);
    var after =
        recovered.stream()
            .filter(e -> e.offset() != null && BY_OFFSET.compare(e.offset(), since) > 0)
            .toList();
    assertThat(after.stream().map(Kept::offset).toList())
        .as("in the history's order (statuses read together share an offset)")
        .isSortedAccordingTo(BY_OFFSET);
    assertThat(after.stream().filter(e -> e.jobId() != null).map(e -> e.jobId() + e.state()))
        .as("each job update once")
        .doesNotHaveDuplicates();
    assertThat(statesByJob(after))
        .containsOnlyKeys(jobs.get("b1"))
        .allSatisfy(
            (id, states) -> assertThat(states).containsExactly("queued", "dispatched", "printed"));
    assertThat(after.stream().filter(e -> "s1-p1".equals(e.printerId())).map(Kept::state))
        .containsExactlyElementsOf(STATUSES);
    assertThat(recovered)
        .as(
            "job updates from the offset's entry on (it may hold more than the client had);"
                + " statuses of the second before it may come again")
        .allMatch(e -> e.jobId() == null || BY_OFFSET.compare(e.offset(), since) >= 0);

    // Then live, not twice.
    String live = submit("h1-p1");
    awaitPrinted(List.of(live));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> statesByJob(kept(back)).getOrDefault(live, List.of()).size() == 3);
    assertThat(statesByJob(kept(back)).get(live))
        .containsExactly("queued", "dispatched", "printed");
    assertThat(statesByJob(kept(back))).doesNotContainKey(jobs.get("b2").get(0));
  }

  @Test
  void theCompanyRoomRecoversEveryBranchsJobUpdates() {
    String since = offsetBeforeLeaving("company:acme");
    var jobs = whileAway();

    var back = dashboard("company:acme", since);
    assertThat(back.awaitResponse("s").data().getJsonObject("recovered").getBoolean("company:acme"))
        .isTrue();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> statesByJob(kept(back)).values().stream().mapToInt(List::size).sum() >= 12);
    var states =
        statesByJob(
            kept(back).stream()
                .filter(e -> e.offset() != null && BY_OFFSET.compare(e.offset(), since) > 0)
                .toList());
    List<String> all = new ArrayList<>(jobs.get("b1"));
    all.addAll(jobs.get("b2"));
    assertThat(states)
        .containsOnlyKeys(all)
        .allSatisfy((id, s) -> assertThat(s).containsExactly("queued", "dispatched", "printed"));
  }

  @Test
  void anOffsetTheHistoryNoLongerHoldsOrOneBeforeAGapIsNotRecovered() throws Exception {
    String since = offsetBeforeLeaving("branch:b1");

    // Older than anything the history holds, and an offset it never held.
    for (String offset : List.of("1-0", since.substring(0, since.indexOf('-')) + "-999")) {
      var unknown = dashboard("branch:b1", offset);
      assertThat(
              unknown.awaitResponse("s").data().getJsonObject("recovered").getBoolean("branch:b1"))
          .as(offset)
          .isFalse();
    }

    // A producer could not keep events after this offset (Redis failed it): it recorded a gap.
    var settings = RedisSettings.from(new Settings(cluster.settings()));
    var redis = Redis.createClient(client, cluster.setting("REDIS_CONNECTION_ADDRESS"));
    long millis = Long.parseLong(since.substring(0, since.indexOf('-')));
    try {
      TestCluster.join(
          redis.send(
              Request.cmd(Command.SET)
                  .arg(PrintingHistory.gapKey(settings, "acme"))
                  .arg((millis + 1) + "-0")
                  .arg("PX")
                  .arg(60_000)));
    } finally {
      redis.close();
    }
    var afterGap = dashboard("branch:b1", since);
    var answer = afterGap.awaitResponse("s");
    assertThat(answer.data().getJsonObject("recovered").getBoolean("branch:b1")).isFalse();
    // Not recovered: nothing from the history, live events still come.
    String live = submit("h1-p1");
    awaitPrinted(List.of(live));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> statesByJob(kept(afterGap)).getOrDefault(live, List.of()).size() == 3);
    assertThat(statesByJob(kept(afterGap))).containsOnlyKeys(live);
  }
}
