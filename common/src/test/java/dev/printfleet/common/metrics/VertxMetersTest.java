package dev.printfleet.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.testing.PrometheusText;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Vert.x's event bus and HTTP server metrics through a real server and event bus, scraped over
 * HTTP.
 */
class VertxMetersTest {

  private static final int ADDRESSES = 40;

  private final LongAdder vertxMeterLookups = new LongAdder();
  private PrometheusMeterRegistry registry;
  private Vertx vertx;
  private HttpClient http;
  private int port;

  @BeforeEach
  void start() throws Exception {
    registry = MetricsSetup.newRegistry("gateway", "gw-meters");
    // Micrometer runs every meter filter each time a meter is registered or looked up: counting
    // the calls for Vert.x's meters counts the lookups made on the event path.
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public Meter.Id map(Meter.Id id) {
                if (id.getName().startsWith("vertx.")) {
                  vertxMeterLookups.increment();
                }
                return id;
              }
            });
    vertx =
        Vertx.builder()
            .with(new VertxOptions().setMetricsOptions(MetricsSetup.options(registry, "gw-meters")))
            .build();
    for (int i = 0; i < ADDRESSES; i++) {
      vertx.eventBus().<String>consumer("printfleet.gateway.instance-" + i, m -> m.reply("ok"));
    }
    vertx.eventBus().<String>consumer("printfleet.events.printer", m -> {});
    Router router = Router.router(vertx);
    router.get("/ping").handler(ctx -> ctx.end("pong"));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    // Loopback IPv4 on both ends: "localhost" may resolve to ::1, where another test's server can
    // hold the same port number and answer instead.
    HttpServer server =
        result(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    port = server.actualPort();
    // The JDK's client: a Vert.x client called from the test's thread can miss a short body (its
    // response ends before the body handler is set), which reads as an empty answer.
    http = HttpClient.newHttpClient();
  }

  @AfterEach
  void stop() throws Exception {
    result(vertx.close());
    registry.close();
  }

  @Test
  void messagesAndRequestsLookUpNoMeterOnceEachKindWasSeen() throws Exception {
    round(0);
    scrape();
    long warm = vertxMeterLookups.sum();

    for (int i = 1; i < ADDRESSES; i++) {
      round(i);
    }
    scrape();

    assertThat(vertxMeterLookups.sum())
        .as("meter lookups after %d more requests, sends and publishes", ADDRESSES - 1)
        .isEqualTo(warm);
  }

  @Test
  void seriesKeepTheirNamesAndLabelsWithoutAnyAddress() throws Exception {
    for (int i = 0; i < ADDRESSES; i++) {
      round(i);
    }
    Throwable noHandler =
        result(
            vertx
                .eventBus()
                .request("printfleet.nowhere", "x")
                .map(r -> (Throwable) null)
                .otherwise(e -> e));
    assertThat(noHandler).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) noHandler).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertSeries(scrape()));
  }

  private static void assertSeries(PrometheusText metrics) {
    assertThat(
            metrics.value(
                "vertx_http_server_requests_total",
                Map.of("route", "/ping", "method", "GET", "code", "200")))
        .isEqualTo(ADDRESSES);
    assertThat(
            metrics.value(
                "vertx_http_server_response_time_seconds_count",
                Map.of("route", "/ping", "method", "GET", "code", "200")))
        .isEqualTo(ADDRESSES);
    assertThat(metrics.hasFamily("vertx_http_server_active_connections")).isTrue();
    assertThat(metrics.value("vertx_eventbus_handlers", Map.of()))
        .isGreaterThanOrEqualTo(ADDRESSES + 1);
    assertThat(metrics.value("vertx_eventbus_sent_total", Map.of("side", "local")))
        .isEqualTo(ADDRESSES + 1);
    assertThat(metrics.value("vertx_eventbus_published_total", Map.of("side", "local")))
        .isEqualTo(ADDRESSES);
    assertThat(metrics.value("vertx_eventbus_processed_total", Map.of("side", "local")))
        .isEqualTo(2 * ADDRESSES);
    assertThat(metrics.value("vertx_eventbus_pending", Map.of("side", "local"))).isZero();
    assertThat(
            metrics.value("vertx_eventbus_reply_failures_total", Map.of("failure", "NO_HANDLERS")))
        .isEqualTo(1);
    assertThat(metrics.samples())
        .filteredOn(s -> s.family().startsWith("vertx_"))
        .isNotEmpty()
        .allSatisfy(
            s -> assertThat(s.labels()).doesNotContainKeys("address", "path", "remote", "local"));
    assertThat(metrics.types().keySet())
        .as("domains that fire per event and that nothing reads are off")
        .noneMatch(
            f ->
                f.startsWith("vertx_pool_")
                    || f.startsWith("vertx_net_")
                    || f.startsWith("vertx_http_client_"));
  }

  /** One request to the server, one request/reply to this address and one publish. */
  private void round(int i) throws Exception {
    assertThat(get("/ping")).isEqualTo("pong");
    assertThat(
            result(vertx.eventBus().<String>request("printfleet.gateway.instance-" + i, "job"))
                .body())
        .isEqualTo("ok");
    vertx.eventBus().publish("printfleet.events.printer", "status");
  }

  private PrometheusText scrape() throws Exception {
    return PrometheusText.parse(get("/metrics"));
  }

  private String get(String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static <T> T result(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
