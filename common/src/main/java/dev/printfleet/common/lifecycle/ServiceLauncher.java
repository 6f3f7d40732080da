package dev.printfleet.common.lifecycle;

import dev.printfleet.common.cluster.ClusterBootstrap;
import dev.printfleet.common.cluster.RedisClients;
import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.metrics.MetricsSetup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts a service: settings, cluster, deploy, heartbeat; and stops it on SIGTERM. */
public final class ServiceLauncher {

  private static final Logger log = LoggerFactory.getLogger(ServiceLauncher.class);

  /** Exit status for a missing or malformed setting. */
  public static final int EXIT_CONFIG = 2;

  /** Exit status for a start that failed for another reason (Redis unreachable, port taken). */
  public static final int EXIT_START = 1;

  private ServiceLauncher() {}

  /**
   * Starts a service with the given settings. A bad setting throws a {@link ConfigException} at
   * once, before anything connects; everything else fails the returned future.
   */
  public static <C> Future<ServiceRuntime> start(ServiceDefinition<C> service, Settings settings) {
    CommonSettings common =
        CommonSettings.from(settings, service.name(), service.defaultHttpPort());
    C config = service.configure(settings, common);
    var registry = MetricsSetup.newRegistry(service.name(), common.instanceId());
    log.info(
        "Starting service={} instance={} httpPort={} redis={}",
        service.name(),
        common.instanceId(),
        common.httpPort(),
        common.redis().endpoints());
    return ClusterBootstrap.start(
            common.redis(), common.eventBus(), MetricsSetup.options(registry, common.instanceId()))
        .compose(
            vertx -> {
              var runtime =
                  new ServiceRuntime(
                      vertx,
                      common,
                      registry,
                      RedisClients.create(vertx, common.redis(), registry));
              // Settled without a context: a failed start closes this Vert.x, and a future of one
              // of its contexts is completed on that context's event loop, stopped by then (the
              // start would never end, and a port already taken would read as a timeout).
              Promise<ServiceRuntime> outcome = Promise.promise();
              service
                  .deploy(runtime, config)
                  .compose(v -> runtime.startBackground())
                  .onSuccess(v -> outcome.complete(runtime))
                  .onFailure(e -> vertx.close().onComplete(closed -> outcome.fail(e)));
              return outcome.future();
            })
        .onSuccess(
            runtime ->
                log.info(
                    "Service ready to serve service={} instance={} httpPort={}",
                    service.name(),
                    runtime.instanceId(),
                    runtime.httpPort()));
  }

  /**
   * The {@code main} of a service: configured only by environment variables, exits with one clear
   * line on a bad setting, and shuts down gracefully on SIGTERM.
   */
  public static <C> void main(ServiceDefinition<C> service) {
    ServiceRuntime runtime;
    try {
      runtime =
          start(service, Settings.fromEnvironment())
              .toCompletionStage()
              .toCompletableFuture()
              .get(120, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      System.err.println(
          "printfleet " + service.name() + ": configuration error: " + e.getMessage());
      System.exit(EXIT_CONFIG);
      return;
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("printfleet " + service.name() + ": could not start: " + cause);
      log.error("Start failed service={}", service.name(), cause);
      System.exit(EXIT_START);
      return;
    }
    ServiceRuntime running = runtime;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running
                        .shutdown()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(
                            running.settings().shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
                  } catch (Exception e) {
                    System.err.println(
                        "printfleet " + service.name() + ": shutdown did not finish in time: " + e);
                  }
                },
                "printfleet-shutdown"));
  }
}
