package dev.printfleet.monitoring;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.monitoring.api.MonitoringApi;
import dev.printfleet.monitoring.dashboard.DashboardRoutes;
import dev.printfleet.monitoring.jobs.JobStats;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Monitoring on one event loop: the heartbeats and events it aggregates, the alert evaluation and
 * job figures on its timers, and the API and SRE dashboard that read the same {@link Monitor}
 * (confined to this loop, so it needs no locks). Undeploying it unregisters the consumers, cancels
 * the timers and ends the dashboard's streams.
 */
final class MonitoringVerticle extends AbstractVerticle {

  private static final Logger log = LoggerFactory.getLogger(MonitoringVerticle.class);

  private final ServiceRuntime runtime;
  private final MonitoringConfig config;
  private final Monitor monitor;
  private final JobStats jobStats;
  private DashboardRoutes dashboard;

  MonitoringVerticle(
      ServiceRuntime runtime, MonitoringConfig config, Monitor monitor, JobStats jobStats) {
    this.runtime = runtime;
    this.config = config;
    this.monitor = monitor;
    this.jobStats = jobStats;
  }

  @Override
  public void start(Promise<Void> started) {
    Counter beats =
        Counter.builder("printfleet.monitoring.heartbeats.received")
            .description("Heartbeats received from every instance of the cluster")
            .register(runtime.registry());
    // Redis lost its data: what monitoring wrote there is gone too. Registered here, so the
    // callback runs on this verticle's loop, where the Monitor lives.
    runtime.clusterGuard().ifPresent(guard -> guard.onHealed(loss -> monitor.restoreStore()));
    var bus = vertx.eventBus();
    bus.<JsonObject>consumer(
        Addresses.MONITORING_HEARTBEAT,
        guarded(
            "heartbeat",
            body -> {
              beats.increment();
              monitor.onHeartbeat(body);
            }));
    bus.<JsonObject>consumer(Addresses.EVENTS_AGENT, guarded("agent event", monitor::onAgentEvent));
    bus.<JsonObject>consumer(
        Addresses.EVENTS_PRINTER, guarded("printer event", monitor::onPrinterStatus));
    bus.<JsonObject>consumer(Addresses.EVENTS_JOB, guarded("job event", monitor::onJobEvent));

    var router = Router.router(vertx);
    dashboard = new DashboardRoutes(vertx, monitor, config.pushInterval());
    new MonitoringApi(vertx, runtime.tokens(), monitor).mount(router);
    dashboard.mount(router);
    Duration interval = runtime.settings().heartbeatInterval();
    long evaluateMs = Math.max(50, Math.min(1000, interval.toMillis() / 4));
    vertx.setPeriodic(evaluateMs, id -> monitor.evaluate());
    vertx.setPeriodic(config.jobStatsMaxAge().toMillis(), id -> jobStats.refresh());
    monitor
        .load()
        .onFailure(
            e ->
                log.warn(
                    "Could not load state from Redis, starting from heartbeats: {}", e.toString()))
        .recover(e -> Future.succeededFuture())
        .compose(v -> runtime.serve(router, new HttpServerOptions()))
        .onSuccess(
            server -> {
              dashboard.start();
              jobStats.refresh();
            })
        .<Void>mapEmpty()
        .onComplete(started);
  }

  @Override
  public void stop() {
    if (dashboard != null) {
      dashboard.stop();
    }
  }

  private static Handler<Message<JsonObject>> guarded(String what, Consumer<JsonObject> handler) {
    return message -> {
      try {
        handler.accept(message.body());
      } catch (RuntimeException e) {
        log.warn("Ignored a malformed {}: {}", what, e.toString());
      }
    };
  }
}
