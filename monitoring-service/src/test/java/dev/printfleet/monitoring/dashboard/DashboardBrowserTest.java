package dev.printfleet.monitoring.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.monitoring.MonitoringService;
import dev.printfleet.monitoring.MonitoringTestBase;
import dev.printfleet.printing.PrintingService;
import dev.printfleet.simulator.SimulatedAgent;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.TestCluster;
import io.vertx.core.Future;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in a real headless Chromium against a running set with simulated agents: it shows
 * instances, circuits, the fleet and a chart with data, and follows an agent that leaves without a
 * reload; at fleet scale (2,000 agents) the failing printers are on the first screen. Saves the
 * screenshots to {@code target/dashboard.png} (the fleet) and {@code target/dashboard-small.png}.
 */
class DashboardBrowserTest extends MonitoringTestBase {

  static Path chromium() {
    var found = HeadlessChromium.find();
    if (found.isEmpty()) {
      String message =
          "Chromium is not installed: the dashboard browser test needs Debian's chromium "
              + "(apt-get install chromium), or PRINTFLEET_CHROMIUM set to a Chromium binary";
      fail(message + "; ./printfleet test and .ci/run install it when run as root");
    }
    return found.get();
  }

  static Path screenshotFile(String name) {
    String dir = System.getProperty("printfleet.jar.dir", "target");
    return Path.of(dir, name);
  }

  @Test
  void dashboardShowsInstancesCircuitsFleetAndChartsAndFollowsAnAgentLeaving() throws Exception {
    Path binary = chromium();
    withPrinting();
    ServiceRuntime gateway = cluster.start(new GatewayService(), Map.of());
    ServiceRuntime printing = cluster.start(new PrintingService(), Map.of());
    ServiceRuntime monitoring = cluster.start(new MonitoringService(), Map.of());
    cluster.agent(gateway, "agent-1", "acme", "b1");
    var leaving = cluster.agent(gateway, "agent-2", "acme", "b1");
    cluster.agent(gateway, "agent-3", "acme", "b2");
    String user = token(Role.USER);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Http.get(printing, "/api/v1/printers/agent-3-p2", user).statusCode() == 200);
    for (int i = 0; i < 12; i++) {
      var job =
          new JsonObject()
              .put("printerId", "agent-" + (1 + i % 3) + "-p" + (1 + i % 2))
              .put("contentType", "text/plain")
              .put("content", Base64.getEncoder().encodeToString(("order " + i).getBytes()));
      assertThat(Http.post(printing, "/api/v1/jobs", user, job).statusCode()).isEqualTo(201);
    }
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                Http.getJson(monitoring, "/monitoring/jobs", sreToken())
                        .getJsonObject("live")
                        .getLong("printed")
                    == 12);

    try (var browser = new HeadlessChromium(binary, 1400, 1100)) {
      browser.navigate("http://127.0.0.1:" + monitoring.httpPort() + "/#token=" + sreToken());

      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  number(
                          browser.eval(
                              "window.printfleetDashboard ? window.printfleetDashboard.snapshots : 0"))
                      > 0);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  browser.text("#instances-body").contains(printing.instanceId())
                      && browser.text("#instances-body").contains(gateway.instanceId())
                      && browser.text("#instances-body").contains(monitoring.instanceId()));
      assertThat(
              number(
                  browser.eval("document.querySelectorAll('#instances-body td.status.UP').length")))
          .isGreaterThanOrEqualTo(3);
      // Circuits: the closed ones are only counted.
      assertThat(browser.text("#circuits-body")).contains("no open circuit");
      assertThat(browser.text("#sum-circuits")).contains("0 open /");
      assertThat(browser.text("#agents-online")).isEqualTo("3");
      assertThat(browser.text("#printers-online")).isEqualTo("6");
      await().atMost(Duration.ofSeconds(5)).until(() -> browser.text("#count-online").equals("6"));
      assertThat(browser.text("#printers-body"))
          .contains("agent-1-p1")
          .contains("b1")
          .contains("b2");
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  Boolean.TRUE.equals(
                      browser.eval(
                          "window.printfleetDashboard.charts.jobs.data.datasets[0].data.some(v => v > 0)")));
      assertThat(
              browser.eval(
                  "window.printfleetDashboard.charts.latency.data.datasets[0].data.some(v => v != null)"))
          .isEqualTo(Boolean.TRUE);
      // The token came from the URL, was kept for the session and removed from the address bar.
      assertThat(browser.eval("sessionStorage.getItem('printfleet.sre.token') !== null"))
          .isEqualTo(Boolean.TRUE);
      assertThat(browser.eval("location.hash")).isEqualTo("");
      long snapshots = number(browser.eval("window.printfleetDashboard.snapshots"));

      TestCluster.join(leaving.stop());

      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  browser.text("#agents-online").equals("2")
                      && browser.text("#agents-offline").equals("1"));
      assertThat(browser.text("#printers-offline")).isEqualTo("2");
      // The leaving agent's printers move to the top of the printer table, worst first.
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> firstRows(browser, 2),
              rows -> rows.equals(List.of("offline agent-2-p1", "offline agent-2-p2")));
      // Still the same page: updated by the stream, not by a reload.
      assertThat(number(browser.eval("window.printfleetDashboard.snapshots")))
          .isGreaterThan(snapshots);
      browser.screenshot(screenshotFile("dashboard-small.png"));
    }
  }

  /**
   * The dashboard at fleet scale: 2,000 simulated agents with 3 printers each on a gateway, a
   * handful failing (paper out, error) and one agent gone. The failing printers are the first rows
   * of the printer table, on the first screen; the summary stream stays small (no list of printers
   * or branches in it); a printer that fails after the page loaded comes to the top through the
   * stream; the search finds one printer of 6,000.
   */
  @Test
  void atFleetScaleTheFailingPrintersAreOnTheFirstScreen() throws Exception {
    Path binary = chromium();
    // Printing stores each agent's printers and publishes them to monitoring.
    withPrinting();
    ServiceRuntime gateway = cluster.start(new GatewayService(), Map.of());
    cluster.start(new PrintingService(), Map.of());
    ServiceRuntime monitoring = cluster.start(new MonitoringService(), Map.of());
    var behaviour = new SimulatedAgent.Behaviour(10, 0, 0);
    List<SimulatedAgent> agents = new ArrayList<>();
    for (int batch = 0; batch < FLEET_AGENTS / 250; batch++) {
      List<Future<Void>> started = new ArrayList<>();
      for (int i = batch * 250; i < (batch + 1) * 250; i++) {
        String company = "company-" + (i % 4);
        String branch = "branch-" + (i % 400);
        String agentId = String.format("agent-%04d", i);
        String agentToken = cluster.agentToken(agentId, company, branch);
        var agent =
            new SimulatedAgent(
                cluster.client(),
                cluster.client().createWebSocketClient(new WebSocketClientOptions()),
                "127.0.0.1",
                gateway.httpPort(),
                agentId,
                SimulatedAgent.printerIdsFor(agentId, 3),
                () -> agentToken,
                behaviour);
        agents.add(agent);
        started.add(agent.start());
      }
      TestCluster.join(Future.all(started), Duration.ofSeconds(60));
    }
    String sre = sreToken();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                Http.getJson(monitoring, "/monitoring/fleet?state=online&limit=1", sre)
                    .getJsonObject("counts"),
            counts -> counts.getInteger("online") == FLEET_AGENTS * 3);
    // A handful fail: three out of paper, two in error; one agent leaves (its printers offline).
    // Agent i is of company-(i % 4) and branch-(i % 400).
    List<String> failing = List.of("agent-0007-p1", "agent-0420-p3", "agent-1234-p2");
    for (String printer : failing) {
      status(agents, printer, "paper_out");
    }
    status(agents, "agent-1999-p1", "error");
    status(agents, "agent-0001-p2", "error");
    TestCluster.join(agents.get(1500).stop());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              var counts =
                  Http.getJson(monitoring, "/monitoring/fleet?limit=1", sre)
                      .getJsonObject("counts");
              return counts.getInteger("failing") == 5 && counts.getInteger("offline") == 3;
            });

    try (var browser = new HeadlessChromium(binary, 1400, 1000)) {
      browser.navigate("http://127.0.0.1:" + monitoring.httpPort() + "/#token=" + sre);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  browser.text("#count-failing").equals("5") && firstRows(browser, 8).size() == 8);
      assertThat(browser.text("#count-total")).isEqualTo("6000");
      assertThat(browser.text("#count-offline")).isEqualTo("3");
      assertThat(firstRows(browser, 8))
          .containsExactly(
              "failing agent-0420-p3",
              "failing agent-0001-p2",
              "failing agent-1234-p2",
              "failing agent-1999-p1",
              "failing agent-0007-p1",
              "offline agent-1500-p1",
              "offline agent-1500-p2",
              "offline agent-1500-p3");
      // Worst first means on the first screen: every failing row is inside the window as it
      // opens, without a scroll.
      assertThat(
              number(
                  browser.eval(
                      "[...document.querySelectorAll('#printers-body tr.row-failing')]"
                          + ".filter(tr => tr.getBoundingClientRect().bottom <= window.innerHeight)"
                          + ".length")))
          .isEqualTo(5);
      assertThat(browser.text("#page-info")).isEqualTo("1–25 of 6000");
      // The stream's summary holds counts, not the fleet.
      assertThat(number(browser.eval("JSON.stringify(window.printfleetDashboard.last).length")))
          .isLessThan(20_000);
      assertThat(browser.eval("window.printfleetDashboard.last.fleet.byBranch === undefined"))
          .isEqualTo(Boolean.TRUE);

      // A shown printer's report changes (paper out, now error: still failing, no count moves):
      // only the stream's fleet event can bring that, and the row shown is patched in place.
      long patched = number(browser.eval("window.printfleetDashboard.rowsPatched"));
      long reloads = number(browser.eval("window.printfleetDashboard.fleetReloads"));
      status(agents, "agent-0420-p3", "error");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> browser.text("#printers-body tr:first-child").contains("error"));
      assertThat(firstRows(browser, 1)).containsExactly("failing agent-0420-p3");
      // A page read under way (the 30 s safety net) may show it first; the event patches it too.
      // Unless the stream's event for it was a reload (more than 200 agents changed within one
      // push): the page is read again instead. A failure says which counters moved.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          number(browser.eval("window.printfleetDashboard.rowsPatched")) > patched
                              || number(browser.eval("window.printfleetDashboard.fleetReloads"))
                                  > reloads)
                      .as(
                          "the row patched in place by a fleet event, or a fleet reload:"
                              + " rowsPatched %s (was %d), fleetReloads %s (was %d),"
                              + " fleetEvents %s",
                          browser.eval("window.printfleetDashboard.rowsPatched"),
                          patched,
                          browser.eval("window.printfleetDashboard.fleetReloads"),
                          reloads,
                          browser.eval("window.printfleetDashboard.fleetEvents"))
                      .isTrue());

      // A printer failing now comes to the top through the stream, without a reload of the page.
      long events = number(browser.eval("window.printfleetDashboard.fleetEvents"));
      status(agents, "agent-0002-p1", "error");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> firstRows(browser, 6).contains("failing agent-0002-p1"));
      // The counts come with the next summary (the row may come first, with a page read).
      await().atMost(Duration.ofSeconds(5)).until(() -> browser.text("#count-failing").equals("6"));
      assertThat(number(browser.eval("window.printfleetDashboard.fleetEvents")))
          .isGreaterThan(events);
      browser.screenshot(screenshotFile("dashboard.png"));

      // Search: one printer of 6,000, then the failing filter of one company.
      browser.eval(
          "(() => { const i = document.getElementById('filter-q'); i.value = 'agent-0420-p3';"
              + " i.dispatchEvent(new Event('input')); })()");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> browser.text("#page-info").equals("1–1 of 1"));
      assertThat(firstRows(browser, 2)).containsExactly("failing agent-0420-p3");
    }
    // Ordered by company, branch, agent, printer within a state (company-3: branch-399 before
    // branch-7).
    var page = Http.getJson(monitoring, "/monitoring/fleet?state=failing&company=company-3", sre);
    assertThat(page.getInteger("matching")).isEqualTo(2);
    assertThat(page.getJsonArray("items").getJsonObject(0).getString("printerId"))
        .isEqualTo("agent-1999-p1");
    var refused = Http.get(monitoring, "/monitoring/fleet?limit=501", sre);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(refused.body()).getJsonObject("error").getString("field"))
        .isEqualTo("limit");
    assertThat(Http.get(monitoring, "/monitoring/fleet?state=burning", sre).statusCode())
        .isEqualTo(400);
    assertThat(Http.get(monitoring, "/monitoring/fleet", token(Role.USER)).statusCode())
        .isEqualTo(403);
  }

  private static final int FLEET_AGENTS = 2_000;

  /** "state printerId" of the first rows of the printer table, at most {@code count}. */
  private static List<String> firstRows(HeadlessChromium browser, int count) {
    Object rows =
        browser.eval(
            "[...document.querySelectorAll('#printers-body tr[data-printer]')].slice(0, "
                + count
                + ").map(tr => tr.children[0].textContent + ' ' + tr.children[1].textContent)");
    return rows instanceof JsonArray list ? list.stream().map(String::valueOf).toList() : List.of();
  }

  /** The agent holding the printer reports its status. */
  private static void status(List<SimulatedAgent> agents, String printerId, String status) {
    agents.stream()
        .filter(a -> a.printerIds().contains(printerId))
        .findFirst()
        .orElseThrow()
        .send(
            Envelope.request(
                "printer.status",
                "t-" + printerId + "-" + status,
                new JsonObject().put("printerId", printerId).put("status", status)));
  }

  @Test
  void withoutATokenThePageAsksForOneAndRefusesAUserToken() throws Exception {
    Path binary = chromium();
    ServiceRuntime monitoring = cluster.start(new MonitoringService(), Map.of());
    try (var browser = new HeadlessChromium(binary, 1000, 700)) {
      browser.navigate("http://127.0.0.1:" + monitoring.httpPort() + "/");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  Boolean.FALSE.equals(
                      browser.eval(
                          "document.getElementById('login').classList.contains('hidden')")));
      browser.navigate("http://127.0.0.1:" + monitoring.httpPort() + "/#token=" + token(Role.USER));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> browser.text("#login-error").contains("sre or admin"));
      assertThat(browser.eval("sessionStorage.getItem('printfleet.sre.token')")).isNull();
    }
  }

  private static long number(Object value) {
    return value instanceof Number n ? n.longValue() : 0;
  }
}
