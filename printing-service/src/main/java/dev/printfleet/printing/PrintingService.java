package dev.printfleet.printing;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.ControlCommand;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.printing.api.PrintingApi;
import dev.printfleet.printing.dispatch.AgentRoutes;
import dev.printfleet.printing.dispatch.Breakers;
import dev.printfleet.printing.dispatch.DispatchLoop;
import dev.printfleet.printing.dispatch.GatewayLiveness;
import dev.printfleet.printing.dispatch.ResultsConsumer;
import dev.printfleet.printing.dispatch.TestPrints;
import dev.printfleet.printing.jobs.JobMetrics;
import dev.printfleet.printing.jobs.JobRetention;
import dev.printfleet.printing.jobs.JobStore;
import dev.printfleet.printing.jobs.QueuedPerCompany;
import dev.printfleet.printing.jobs.SchemaMigration;
import dev.printfleet.printing.printers.PrinterRegistry;
import dev.printfleet.printing.printers.PrinterStore;
import dev.printfleet.printing.printers.StatusWrites;
import dev.printfleet.printing.printers.TestPrintLimit;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Duration;

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

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(PrintingService.class);

  /**
   * vertx-sql-client 4.5 (eclipse-vertx/vertx-sql-client#1706): a query that cannot get a
   * connection at once (PostgreSQL refusing connections while it restarts) is failed with that
   * error, but the pool's connection-timeout timer stays armed and, when it fires, completes the
   * query's promise a second time and throws. The query was already answered with its real error
   * (and the dispatcher logged the outage), so that throw is noise; every other unhandled exception
   * stays an error.
   */
  static boolean isPoolTimerAfterFailure(Throwable e) {
    return e instanceof IllegalStateException
        && "Result is already complete".equals(e.getMessage())
        && java.util.Arrays.stream(e.getStackTrace())
            .anyMatch(
                frame ->
                    frame
                        .getClassName()
                        .startsWith("io.vertx.sqlclient.impl.pool.SqlConnectionPool"));
  }

  private static void onUnhandled(Throwable e) {
    if (isPoolTimerAfterFailure(e)) {
      log.debug(
          "A query's connection timeout fired after the query had failed (vertx-sql-client #1706)");
      return;
    }
    log.error("Unhandled exception", e);
  }

  @Override
  public Future<Void> deploy(ServiceRuntime runtime, PrintingConfig config) {
    var vertx = runtime.vertx();
    vertx.exceptionHandler(PrintingService::onUnhandled);
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
                // Each statement is planned once per connection, not once per use.
                .setCachePreparedStatements(true)
                .setReconnectAttempts(2)
                .setReconnectInterval(500),
            new PoolOptions()
                .setMaxSize(pg.poolSize())
                .setMaxWaitQueueSize(10_000)
                .setConnectionTimeout(5));
    runtime
        .readiness()
        .register(
            "postgres",
            promise ->
                pool.query("SELECT 1")
                    .execute()
                    .map(rows -> Status.OK())
                    .otherwise(
                        e ->
                            Status.KO(
                                new JsonObject().put("error", String.valueOf(e.getMessage()))))
                    .onComplete(promise));
    var jobs = new JobStore(pool);
    var printers = new PrinterStore(pool);
    var breakers =
        new Breakers(
            vertx,
            config.circuitMaxFailures(),
            config.circuitWindow(),
            config.circuitReset(),
            Duration.ofMinutes(10));
    var presence =
        new PresenceRegistry(
            runtime.redis(), runtime.settings().redis(), runtime.instanceId(), Duration.ZERO);
    var metrics = new JobMetrics(runtime.registry(), breakers::countByState);
    var liveness = new GatewayLiveness(config.gatewayDeadAfter());
    var routes = new AgentRoutes(presence);
    var history =
        new PrintingHistory(
            vertx, runtime.redis(), runtime.settings().redis(), config.printingHistory());
    var loop = new DispatchLoop(vertx, jobs, routes, breakers, config, metrics, liveness, history);
    // Redis lost its data: the agents' presence went with it, for a few seconds.
    runtime.clusterGuard().ifPresent(guard -> guard.onHealed(loss -> loop.afterPresenceLoss()));
    var results = new ResultsConsumer(jobs, loop);
    var statuses = new StatusWrites(vertx, printers, runtime.registry());
    var registry = new PrinterRegistry(printers, statuses, jobs, loop, presence);
    runtime.heartbeat().reportCircuits(breakers::circuits);
    runtime.onControl(
        ControlCommand.CIRCUIT_RESET,
        command ->
            breakers.reset(command.target())
                ? Future.succeededFuture(new JsonObject().put("reset", command.target()))
                : Future.failedFuture("no circuit " + command.target()));
    var testLimit =
        new TestPrintLimit(
            runtime.redis(),
            runtime.settings().redis(),
            config.testPrintsPerPrinter(),
            config.testPrintsPerBranch(),
            Duration.ofMinutes(1));
    var testPrints = new TestPrints(vertx, presence, breakers, config.dispatchTimeout());
    var queued = new QueuedPerCompany(pool, config.maxQueuedPerCompany(), metrics::queuedNow);
    var api =
        new PrintingApi(
            runtime.tokens(), jobs, printers, breakers, loop, testLimit, testPrints, queued);
    // The dispatcher first: a job the API accepts may be handed to the loop at once.
    return SchemaMigration.migrate(vertx, pg)
        .compose(
            v ->
                vertx.deployVerticle(
                    new DispatchVerticle(
                        loop,
                        results,
                        registry,
                        statuses,
                        routes,
                        liveness,
                        new JobRetention(jobs, config.jobRetention(), runtime.registry()))))
        .onSuccess(
            dispatcher ->
                // On drain the dispatcher is undeployed (the loop stops and writes what it owes)
                // and the API's count stops, then the pool closes; the API serves to the end.
                runtime.onDrain(
                    () ->
                        vertx
                            .undeploy(dispatcher)
                            .recover(e -> Future.succeededFuture())
                            .compose(
                                v -> {
                                  queued.stop();
                                  return pool.close();
                                })))
        .compose(v -> vertx.deployVerticle(new ApiVerticle(runtime, api, queued)))
        .mapEmpty();
  }
}
