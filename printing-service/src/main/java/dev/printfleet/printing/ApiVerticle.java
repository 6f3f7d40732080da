package dev.printfleet.printing;

import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.printing.api.PrintingApi;
import dev.printfleet.printing.jobs.QueuedPerCompany;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * The REST API and the operations routes on the service's port, and the per-company count of queued
 * jobs that the API's limit reads (refreshed on this verticle's timer). It serves until the Vert.x
 * closes, so health answers through the drain; the drain stops the count before the pool closes.
 */
final class ApiVerticle extends AbstractVerticle {

  private final ServiceRuntime runtime;
  private final PrintingApi api;
  private final QueuedPerCompany queued;

  ApiVerticle(ServiceRuntime runtime, PrintingApi api, QueuedPerCompany queued) {
    this.runtime = runtime;
    this.api = api;
    this.queued = queued;
  }

  @Override
  public void start(Promise<Void> started) {
    var router = Router.router(vertx);
    api.mount(router);
    // No h2c upgrade (the ingress speaks HTTP/1.1 to the services): a client offering it on a
    // request refused before its body is read (no or bad token) was left waiting, unanswered.
    runtime
        .serve(router, new HttpServerOptions().setHttp2ClearTextEnabled(false))
        .onSuccess(server -> queued.start(vertx))
        .<Void>mapEmpty()
        .onComplete(started);
  }

  @Override
  public void stop() {
    queued.stop();
  }
}
