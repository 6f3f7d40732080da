package dev.printfleet.monitoring;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.lifecycle.ServiceDefinition;
import dev.printfleet.common.lifecycle.ServiceRuntime;
import dev.printfleet.common.messages.Addresses;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

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
    Counter beats =
        Counter.builder("printfleet.monitoring.heartbeats.received")
            .description("Heartbeats received from every instance of the cluster")
            .register(runtime.registry());
    vertx.eventBus().consumer(Addresses.MONITORING_HEARTBEAT, message -> beats.increment());
    return runtime.serve(Router.router(vertx), new HttpServerOptions()).mapEmpty();
  }
}
