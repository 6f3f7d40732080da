package dev.printfleet.common.health;

import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;

/** The routes every service has: {@code /health/live}, {@code /health/ready}, {@code /metrics}. */
public final class OperationsRoutes {

  private OperationsRoutes() {}

  public static void mount(
      Vertx vertx, Router router, Readiness readiness, PrometheusMeterRegistry registry) {
    // With no procedure the handler answers 204; liveness is "the event loop answers", so one
    // check that always passes gives the contract's 200.
    var live = HealthCheckHandler.create(vertx).register("process", p -> p.complete(Status.OK()));
    router.get("/health/live").handler(live);
    router
        .get("/health/ready")
        .handler(HealthCheckHandler.createWithHealthChecks(readiness.checks()));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
  }
}
