package dev.printfleet.monitoring.dashboard;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.web.ApiAuth;
import dev.printfleet.monitoring.Monitor;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SRE dashboard: one static page and its script (no data in them, so they are served without a
 * token; the page asks for one), Chart.js from its WebJar, the runbook (docs/RUNBOOK.md), and
 * {@code /monitoring/stream}, a Server-Sent Events stream shared by every open dashboard: each push
 * interval a bounded summary ({@code snapshot}) and the printers of the agents that changed ({@code
 * fleet}).
 */
public final class DashboardRoutes {

  private static final Logger log = LoggerFactory.getLogger(DashboardRoutes.class);
  private static final String WEBJAR_POM = "META-INF/maven/org.webjars.npm/chart.js/pom.properties";

  private final Vertx vertx;
  private final Monitor monitor;
  private final Duration pushInterval;

  /** Each open stream and the timer that ends it when its token expires. */
  private final Map<HttpServerResponse, Long> streams = new ConcurrentHashMap<>();

  private final Buffer page = resource("dashboard/index.html");
  private final Buffer script = resource("dashboard/dashboard.js");
  private final Buffer runbook = resource("dashboard/RUNBOOK.md");
  private final Buffer chartJs =
      resource("META-INF/resources/webjars/chart.js/" + chartJsVersion() + "/dist/chart.umd.js");
  private long timer = -1;

  public DashboardRoutes(Vertx vertx, Monitor monitor, Duration pushInterval) {
    this.vertx = vertx;
    this.monitor = monitor;
    this.pushInterval = pushInterval;
  }

  public void mount(Router router) {
    router.get("/").handler(ctx -> send(ctx, page, "text/html; charset=utf-8"));
    router
        .get("/dashboard/dashboard.js")
        .handler(ctx -> send(ctx, script, "text/javascript; charset=utf-8"));
    // The alerts' runbook_url points here (deploy/prometheus/alerts.yml): one "## <alert>" per
    // alert, found by the browser's search; served as text, it is read as written.
    router
        .get("/dashboard/runbook")
        .handler(ctx -> send(ctx, runbook, "text/plain; charset=utf-8"));
    router
        .get("/dashboard/chart.umd.js")
        .handler(ctx -> send(ctx, chartJs, "text/javascript; charset=utf-8"));
    // Behind the /monitoring/* token check.
    router.get("/monitoring/stream").handler(this::stream);
  }

  public void start() {
    timer = vertx.setPeriodic(pushInterval.toMillis(), id -> push());
  }

  public void stop() {
    vertx.cancelTimer(timer);
    streams.forEach(
        (response, expiry) -> {
          vertx.cancelTimer(expiry);
          response.end();
        });
    streams.clear();
  }

  private void stream(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no");
    response.write("retry: 2000\n\n");
    response.write(event("snapshot", monitor.snapshot().encode()));
    // The token was checked once, at the request; the stream must not outlive it. EventSource
    // then reconnects with the same, expired, token and is refused 401, and the page asks for a
    // new one.
    Principal caller = ApiAuth.principal(ctx);
    long untilExpiry =
        Math.max(1, caller.expiresAt().toEpochMilli() - Instant.now().toEpochMilli());
    long expiry =
        vertx.setTimer(
            untilExpiry,
            id -> {
              if (streams.remove(response) != null) {
                log.info("Dashboard stream ended, its token expired subject={}", caller.subject());
                response.end();
              }
            });
    streams.put(response, expiry);
    response.closeHandler(v -> forget(response));
    response.exceptionHandler(e -> forget(response));
  }

  private void forget(HttpServerResponse response) {
    Long expiry = streams.remove(response);
    if (expiry != null) {
      vertx.cancelTimer(expiry);
    }
  }

  private void push() {
    if (streams.isEmpty()) {
      return;
    }
    // Each push: the bounded summary (instances, alerts, circuits not closed, counts, job figures;
    // it changes every push, with the heartbeats' ages and the job series) and the printers of
    // the agents that changed.
    List<String> frames = new ArrayList<>(2);
    frames.add(event("snapshot", monitor.snapshot().encode()));
    JsonObject changes = monitor.fleetChanges();
    if (changes != null) {
      frames.add(event("fleet", changes.encode()));
    }
    for (HttpServerResponse response : streams.keySet()) {
      // A dashboard that cannot keep up skips pushes rather than piling them up; a fleet change
      // it missed is caught by its page's periodic reload.
      if (!response.writeQueueFull()) {
        frames.forEach(response::write);
      }
    }
  }

  private static String event(String name, String json) {
    return "event: " + name + "\ndata: " + json + "\n\n";
  }

  private static void send(RoutingContext ctx, Buffer body, String type) {
    ctx.response().putHeader("Content-Type", type).putHeader("Cache-Control", "no-cache").end(body);
  }

  static String chartJsVersion() {
    var properties = new Properties();
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(WEBJAR_POM)) {
      if (in == null) {
        throw new IllegalStateException(
            "Chart.js WebJar missing from the classpath: " + WEBJAR_POM);
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return properties.getProperty("version");
  }

  private static Buffer resource(String path) {
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("resource missing from the jar: " + path);
      }
      log.debug("Dashboard resource loaded path={}", path);
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
