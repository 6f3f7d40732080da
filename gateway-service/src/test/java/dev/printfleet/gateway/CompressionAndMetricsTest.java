package dev.printfleet.gateway;

import static dev.printfleet.gateway.GatewayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.auth.Role;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.testing.PrometheusText;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** permessage-deflate with shared, once-encoded frames; the gateway's metrics. */
class CompressionAndMetricsTest extends GatewayTestBase {

  private ServiceRuntime gateway;

  @BeforeEach
  void start() {
    gateway = gateway(Map.of("PRINTFLEET_STATUS_BATCH_WINDOW", "20ms"));
  }

  private TestSocket dashboard(boolean deflate) {
    String token =
        GatewayHarness.issuer(gateway).user("u", Role.USER, "c1", List.of(), Duration.ofHours(1));
    var socket =
        await(TestSocket.connect(client, gateway.httpPort(), "/ws/client", token, deflate, null));
    socket.send("subscribe", "s", new JsonObject().put("rooms", List.of("company:c1")));
    socket.awaitResponse("s");
    return socket;
  }

  @Test
  void clientsThatOfferDeflateGetCompressedFramesAndOthersPlainOnesWithTheSameContent() {
    var compressed = dashboard(true);
    var plain = dashboard(false);
    var stats = new JsonObject(GatewayHarness.get(gateway, "/health/websocket/metrics"));
    assertThat(stats.getInteger("totalConnections")).isEqualTo(2);
    assertThat(stats.getInteger("compressedConnections"))
        .as("only the client that offered deflate")
        .isEqualTo(1);

    String detail = "a fairly long and repetitive detail ".repeat(50);
    gateway
        .vertx()
        .eventBus()
        .publish(
            Addresses.EVENTS_PRINTER,
            new PrinterStatusEvent("a1", "c1", "b1", "p1", "error", detail, Instant.now())
                .toJson());

    for (var socket : List.of(compressed, plain)) {
      var frame = socket.awaitFrame(e -> e.type().equals("printer.status"));
      assertThat(frame.data().getJsonArray("updates").getJsonObject(0).getString("detail"))
          .isEqualTo(detail);
    }
    // Several messages in a row decode too: no context is carried from one to the next.
    for (int i = 0; i < 5; i++) {
      compressed.send(
          "subscribe", "again-" + i, new JsonObject().put("rooms", List.of("branch:b" + i)));
      assertThat(compressed.awaitResponse("again-" + i).data().getJsonArray("rooms").getList())
          .containsExactly("branch:b" + i);
    }
  }

  @Test
  void websocketMetricsCountConnectionsByCompanyAndBranch() {
    var agentToken =
        GatewayHarness.issuer(gateway).agent("agent-m", "c1", "b7", Duration.ofHours(1));
    var agent = TestSocket.open(client, gateway.httpPort(), "/ws/agent", agentToken);
    agent.awaitFrame(e -> e.type().equals("welcome"));
    dashboard(false);

    var stats = new JsonObject(GatewayHarness.get(gateway, "/health/websocket/metrics"));

    assertThat(stats.getInteger("totalConnections")).isEqualTo(2);
    assertThat(stats.getJsonObject("connectionsByCompany").getInteger("c1")).isEqualTo(2);
    assertThat(stats.getJsonObject("connectionsByBranch").getInteger("c1:b7")).isEqualTo(1);
    assertThat(stats.getDouble("avgMessagesPerConnection")).isPositive();
    assertThat(stats.getDouble("avgConnectionDurationS")).isGreaterThanOrEqualTo(0.0);
  }

  @Test
  void prometheusMetricsShowConnectionsFramesErrorsAndBatches() {
    var agentToken =
        GatewayHarness.issuer(gateway).agent("agent-p", "c1", "b1", Duration.ofHours(1));
    var agent = TestSocket.open(client, gateway.httpPort(), "/ws/agent", agentToken);
    agent.awaitFrame(e -> e.type().equals("welcome"));
    var dashboard = dashboard(false);
    agent.sendRaw("{broken");
    agent.awaitError("bad_json");
    GatewayHarness.storePrinterLists(gateway);
    agent.send(
        "printers.sync",
        "sync",
        new JsonObject().put("printers", List.of(new JsonObject().put("id", "p1"))));
    assertThat(agent.awaitResponse("sync").error()).isNull();
    agent.send(
        "printer.status", "st", new JsonObject().put("printerId", "p1").put("status", "busy"));
    dashboard.awaitFrame(e -> e.type().equals("printer.status"));

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              var metrics = PrometheusText.parse(GatewayHarness.get(gateway, "/metrics"));
              assertThat(
                      metrics.value(
                          "printfleet_gateway_connections",
                          Map.of("role", "agent", "protocol", "websocket")))
                  .isEqualTo(1.0);
              assertThat(
                      metrics.value(
                          "printfleet_gateway_connections",
                          Map.of("role", "client", "protocol", "websocket")))
                  .isEqualTo(1.0);
              assertThat(
                      metrics.value(
                          "printfleet_gateway_frames_in_total",
                          Map.of(
                              "role", "agent", "protocol", "websocket", "type", "printer.status")))
                  .isEqualTo(1.0);
              assertThat(
                      metrics.value(
                          "printfleet_gateway_frames_out_total",
                          Map.of(
                              "role", "client", "protocol", "websocket", "type", "printer.status")))
                  .isEqualTo(1.0);
              assertThat(
                      metrics.value("printfleet_gateway_errors_total", Map.of("code", "bad_json")))
                  .isEqualTo(1.0);
              assertThat(metrics.hasFamily("printfleet_gateway_status_batch_size")).isTrue();
            });
  }

  /**
   * Every series the Grafana dashboard queries (printfleet's own metric names in its expressions,
   * with the labels it selects on or groups by) is on the gateway's {@code /metrics}, and no event
   * bus series carries the address: {@code printfleet.gateway.<instanceId>} would make one series
   * per instance on every node, and looking meters up by address costs a lookup per message.
   */
  @Test
  void dashboardSeriesAreScrapedAndEventBusSeriesCarryNoAddress() throws Exception {
    var dashboard = dashboard(false);
    gateway
        .vertx()
        .eventBus()
        .publish(
            Addresses.EVENTS_PRINTER,
            new PrinterStatusEvent("a1", "c1", "b1", "p1", "busy", null, Instant.now()).toJson());
    dashboard.awaitFrame(e -> e.type().equals("printer.status"));
    GatewayHarness.get(gateway, "/health/live");
    List<String> expressions =
        dashboardExpressions(Path.of("../deploy/grafana/dashboards/printfleet.json"));
    assertThat(expressions).isNotEmpty();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              var metrics = PrometheusText.parse(GatewayHarness.get(gateway, "/metrics"));
              for (String expression : expressions) {
                assertDashboardSeries(metrics, expression);
              }
              assertThat(metrics.samples())
                  .filteredOn(sample -> sample.family().startsWith("vertx_eventbus_"))
                  .as("event bus samples")
                  .isNotEmpty()
                  .allSatisfy(sample -> assertThat(sample.labels()).doesNotContainKey("address"));
            });
  }

  private static final Pattern SERIES =
      Pattern.compile("\\b((?:vertx|printfleet|jvm|process|system)_[a-z0-9_]+)(\\{([^}]*)\\})?");
  private static final Pattern EQUALS_MATCHER = Pattern.compile("([a-z_]+)=\"([^\"]*)\"");
  private static final Pattern GROUPING = Pattern.compile("by \\(([a-z_, ]+)\\)");

  private static List<String> dashboardExpressions(Path file) throws Exception {
    List<String> expressions = new ArrayList<>();
    JsonArray panels = new JsonObject(Files.readString(file)).getJsonArray("panels");
    for (int i = 0; i < panels.size(); i++) {
      JsonArray targets = panels.getJsonObject(i).getJsonArray("targets", new JsonArray());
      for (int j = 0; j < targets.size(); j++) {
        expressions.add(targets.getJsonObject(j).getString("expr"));
      }
    }
    return expressions;
  }

  /**
   * The series an expression names exist, with a sample matching its label matchers and groupings.
   */
  private static void assertDashboardSeries(PrometheusText metrics, String expression) {
    Matcher series = SERIES.matcher(expression);
    Matcher grouping = GROUPING.matcher(expression);
    List<String> groupedBy =
        grouping.find() ? List.of(grouping.group(1).split(",\\s*")) : List.of();
    while (series.find()) {
      String name = series.group(1);
      Map<String, String> selected = new HashMap<>();
      if (series.group(3) != null) {
        Matcher matcher = EQUALS_MATCHER.matcher(series.group(3));
        while (matcher.find()) {
          selected.put(matcher.group(1), matcher.group(2));
        }
      }
      assertThat(metrics.samples(name))
          .as("%s in the dashboard's %s", name, expression)
          .anySatisfy(
              sample ->
                  assertThat(sample.labels())
                      .containsAllEntriesOf(selected)
                      .containsKeys(groupedBy.toArray(String[]::new)));
    }
  }
}
