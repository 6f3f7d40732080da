package dev.printfleet.monitoring.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.gateway.GatewayService;
import dev.printfleet.monitoring.MonitoringService;
import dev.printfleet.monitoring.MonitoringTestBase;
import dev.printfleet.printing.PrintingService;
import dev.printfleet.testing.Http;
import dev.printfleet.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in a real headless Chromium against a running set with simulated agents: it shows
 * instances, circuits, the fleet and a chart with data, and follows an agent that leaves without a
 * reload. Saves a screenshot to {@code target/dashboard.png}.
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

  static Path screenshotFile() {
    String dir = System.getProperty("printfleet.jar.dir", "target");
    return Path.of(dir, "dashboard.png");
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
      assertThat(browser.text("#circuits-body")).contains("acme/agent-1-p1").contains("CLOSED");
      assertThat(browser.text("#agents-online")).isEqualTo("3");
      assertThat(browser.text("#printers-online")).isEqualTo("6");
      assertThat(browser.text("#fleet-body")).contains("b1").contains("b2");
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
      // Still the same page: updated by the stream, not by a reload.
      assertThat(number(browser.eval("window.printfleetDashboard.snapshots")))
          .isGreaterThan(snapshots);
      browser.screenshot(screenshotFile());
    }
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
