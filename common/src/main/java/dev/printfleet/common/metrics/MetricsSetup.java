package dev.printfleet.common.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/**
 * One Prometheus registry per service instance, tagged with its service and instance, so that the
 * three services of the dev launcher (one JVM) still expose three separate {@code /metrics}.
 * Vert.x fills it with event loop, worker pool, HTTP server and client, and event bus metrics; the
 * JVM binders add memory, GC and threads.
 */
public final class MetricsSetup {

  private MetricsSetup() {}

  public static PrometheusMeterRegistry newRegistry(String service, String instanceId) {
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("service", service, "instance", instanceId);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    return registry;
  }

  public static MicrometerMetricsOptions options(PrometheusMeterRegistry registry, String instanceId) {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setRegistryName(instanceId)
        .setMicrometerRegistry(registry)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
  }
}
