package dev.printfleet.monitoring;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.monitoring.alerts.AlertMetrics;
import dev.printfleet.monitoring.alerts.AlertRules;
import dev.printfleet.monitoring.alerts.AlertStore;
import dev.printfleet.monitoring.api.MonitoringApi;
import dev.printfleet.monitoring.cluster.ClusterStore;
import dev.printfleet.monitoring.cluster.ClusterView;
import dev.printfleet.monitoring.cluster.HealthRules;
import dev.printfleet.monitoring.dashboard.DashboardRoutes;
import dev.printfleet.monitoring.fleet.Fleet;
import dev.printfleet.monitoring.fleet.FleetStore;
import dev.printfleet.monitoring.jobs.JobMeter;
import dev.printfleet.monitoring.jobs.JobStats;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Clock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The monitoring service: gathers every instance's heartbeat; the SRE's first stop. */
public final class MonitoringService implements ServiceDefinition<MonitoringConfig> {

  public static final int DEFAULT_HTTP_PORT = 8082;
  private static final Logger log = LoggerFactory.getLogger(MonitoringService.class);

  @Override
  public String name() {
    return "monitoring";
  }

  @Override
  public int defaultHttpPort() {
    return DEFAULT_HTTP_PORT;
  }

  @Override
  public MonitoringConfig configure(Settings settings, CommonSettings common) {
    return MonitoringConfig.from(settings);
  }

  @Override
  public Future<Void> deploy(ServiceRuntime runtime, MonitoringConfig config) {
    var vertx = runtime.vertx();
    var redisSettings = runtime.settings().redis();
    var interval = runtime.settings().heartbeatInterval();
    var health = new HealthRules(interval, config.missedBeatsForDown(), config.thresholds());
    var pg = config.postgres();
    // Two connections at most: the job figures are read on a timer, never per request.
    var pool = PgPool.pool(vertx,
        new PgConnectOptions().setHost(pg.host()).setPort(pg.port()).setDatabase(pg.database())
            .setUser(pg.user()).setPassword(pg.password()),
        new PoolOptions().setMaxSize(2).setConnectionTimeout(5));
    var jobStats = new JobStats(pool);
    var monitor = new Monitor(Clock.systemUTC(), new ClusterView(health, config.forgetAfter()),
        new ClusterStore(runtime.redis(), redisSettings), new Fleet(), new FleetStore(runtime.redis(), redisSettings),
        new JobMeter(), jobStats, new AlertRules(health, config.thresholds()),
        new AlertStore(runtime.redis(), redisSettings), new AlertMetrics(runtime.registry()));
    Counter beats = Counter.builder("printfleet.monitoring.heartbeats.received")
        .description("Heartbeats received from every instance of the cluster")
        .register(runtime.registry());
    // Redis lost its data: what monitoring wrote there is gone too.
    runtime.clusterGuard().ifPresent(guard -> guard.onHealed(loss -> monitor.restoreStore()));
    var bus = vertx.eventBus();
    bus.<JsonObject>consumer(Addresses.MONITORING_HEARTBEAT, guarded("heartbeat", body -> {
      beats.increment();
      monitor.onHeartbeat(body);
    }));
    bus.<JsonObject>consumer(Addresses.EVENTS_AGENT, guarded("agent event", monitor::onAgentEvent));
    bus.<JsonObject>consumer(Addresses.EVENTS_PRINTER, guarded("printer event", monitor::onPrinterStatus));
    bus.<JsonObject>consumer(Addresses.EVENTS_JOB, guarded("job event", monitor::onJobEvent));

    var router = Router.router(vertx);
    var dashboard = new DashboardRoutes(vertx, monitor, config.pushInterval());
    new MonitoringApi(vertx, runtime.tokens(), monitor).mount(router);
    dashboard.mount(router);
    long evaluateMs = Math.max(50, Math.min(1000, interval.toMillis() / 4));
    long evaluator = vertx.setPeriodic(evaluateMs, id -> monitor.evaluate());
    long jobsTimer = vertx.setPeriodic(config.jobStatsMaxAge().toMillis(), id -> jobStats.refresh());
    runtime.onDrain(() -> {
      vertx.cancelTimer(evaluator);
      vertx.cancelTimer(jobsTimer);
      dashboard.stop();
      return pool.close();
    });
    return monitor.load()
        .onFailure(e -> log.warn("Could not load state from Redis, starting from heartbeats: {}", e.toString()))
        .recover(e -> Future.succeededFuture())
        .compose(v -> runtime.serve(router, new HttpServerOptions()))
        .onSuccess(server -> {
          dashboard.start();
          jobStats.refresh();
        })
        .mapEmpty();
  }


  private static io.vertx.core.Handler<Message<JsonObject>> guarded(String what, Consumer<JsonObject> handler) {
    return message -> {
      try {
        handler.accept(message.body());
      } catch (RuntimeException e) {
        log.warn("Ignored a malformed {}: {}", what, e.toString());
      }
    };
  }
}
