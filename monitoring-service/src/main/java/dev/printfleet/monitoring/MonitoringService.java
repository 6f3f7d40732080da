package dev.printfleet.monitoring;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.monitoring.alerts.AlertMetrics;
import dev.printfleet.monitoring.alerts.AlertRules;
import dev.printfleet.monitoring.alerts.AlertStore;
import dev.printfleet.monitoring.cluster.ClusterStore;
import dev.printfleet.monitoring.cluster.ClusterView;
import dev.printfleet.monitoring.cluster.HealthRules;
import dev.printfleet.monitoring.fleet.Fleet;
import dev.printfleet.monitoring.fleet.FleetStore;
import dev.printfleet.monitoring.jobs.JobMeter;
import dev.printfleet.monitoring.jobs.JobStats;
import io.vertx.core.Future;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Clock;

/** The monitoring service: gathers every instance's heartbeat; the SRE's first stop. */
public final class MonitoringService implements ServiceDefinition<MonitoringConfig> {

  public static final int DEFAULT_HTTP_PORT = 8082;

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
    var pool =
        PgPool.pool(
            vertx,
            new PgConnectOptions()
                .setHost(pg.host())
                .setPort(pg.port())
                .setDatabase(pg.database())
                .setUser(pg.user())
                .setPassword(pg.password()),
            new PoolOptions().setMaxSize(2).setConnectionTimeout(5));
    var jobStats = new JobStats(pool);
    var monitor =
        new Monitor(
            Clock.systemUTC(),
            new ClusterView(health, config.forgetAfter()),
            new ClusterStore(runtime.redis(), redisSettings),
            new Fleet(),
            new FleetStore(runtime.redis(), redisSettings),
            new JobMeter(),
            jobStats,
            new AlertRules(health, config.thresholds()),
            new AlertStore(runtime.redis(), redisSettings),
            new AlertMetrics(runtime.registry()));
    // On drain (after the drain delay, the instance already not ready) the verticle is undeployed:
    // its consumers, timers, dashboard streams and HTTP server end, then the pool closes.
    return vertx
        .deployVerticle(new MonitoringVerticle(runtime, config, monitor, jobStats))
        .onSuccess(
            id ->
                runtime.onDrain(
                    () ->
                        vertx
                            .undeploy(id)
                            .recover(e -> Future.succeededFuture())
                            .compose(v -> pool.close())))
        .mapEmpty();
  }
}
