package dev.printfleet.printing;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.printing.jobs.SchemaMigration;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** The printing service: the job store in PostgreSQL, the REST API and the dispatcher. */
public final class PrintingService implements ServiceDefinition<PrintingConfig> {

  public static final int DEFAULT_HTTP_PORT = 8081;

  @Override
  public String name() {
    return "printing";
  }

  @Override
  public int defaultHttpPort() {
    return DEFAULT_HTTP_PORT;
  }

  @Override
  public PrintingConfig configure(Settings settings, CommonSettings common) {
    return PrintingConfig.from(settings);
  }

  @Override
  public Future<Void> deploy(ServiceRuntime runtime, PrintingConfig config) {
    var vertx = runtime.vertx();
    var pg = config.postgres();
    Pool pool =
        PgPool.pool(
            vertx,
            new PgConnectOptions()
                .setHost(pg.host())
                .setPort(pg.port())
                .setDatabase(pg.database())
                .setUser(pg.user())
                .setPassword(pg.password())
                .setReconnectAttempts(2)
                .setReconnectInterval(500),
            new PoolOptions().setMaxSize(pg.poolSize()).setMaxWaitQueueSize(10_000).setConnectionTimeout(5));
    runtime.readiness().register("postgres", promise ->
        pool.query("SELECT 1").execute()
            .map(rows -> Status.OK())
            .otherwise(e -> Status.KO(new JsonObject().put("error", String.valueOf(e.getMessage()))))
            .onComplete(promise));
    runtime.onDrain(pool::close);
    var router = Router.router(vertx);
    return SchemaMigration.migrate(vertx, pg)
        .compose(v -> runtime.serve(router, new HttpServerOptions()))
        .mapEmpty();
  }
}
