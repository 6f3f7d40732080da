package dev.printfleet.common.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.EnumSet;
import java.util.Set;

/**
 * One Prometheus registry per service instance, tagged with its service and instance, so that the
 * three services of the dev launcher (one JVM) still expose three separate {@code /metrics}. Vert.x
 * fills it with HTTP server and event bus metrics; the JVM binders add memory, GC and threads.
 *
 * <p>Nothing Vert.x measures may cost a tag built or a meter looked up per message:
 * vertx-micrometer- metrics 4.5 does both for every event (a profile of the dispatch benchmark put
 * it at 15.8 % of the JVM's CPU), so the event bus and HTTP server domains are printfleet's own,
 * with meters resolved once ({@link VertxMeters}), and the domains that no dashboard, alert or test
 * reads and that fire per event are off: TCP bytes of the event bus transport and of the Redis and
 * PostgreSQL clients, the HTTP client, worker pools and the PostgreSQL and Redis client requests.
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

  /**
   * Client metrics are switched off by the type the client reports, not by a {@link MetricsDomain}.
   */
  private static final Set<String> DISABLED_CATEGORIES =
      Set.of(
          MetricsDomain.NET_SERVER.toCategory(),
          MetricsDomain.NET_CLIENT.toCategory(),
          MetricsDomain.HTTP_CLIENT.toCategory(),
          MetricsDomain.DATAGRAM_SOCKET.toCategory(),
          MetricsDomain.NAMED_POOLS.toCategory(),
          "sql",
          "redis");

  /**
   * The labels printfleet's Vert.x meters carry. vertx-micrometer-metrics drops every other label
   * with a meter filter; the client's address, the request path and the event bus address would
   * each make a series per client, per URL or per instance.
   */
  private static final Set<Label> LABELS =
      EnumSet.of(
          Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.EB_SIDE, Label.EB_FAILURE);

  public static MicrometerMetricsOptions options(
      PrometheusMeterRegistry registry, String instanceId) {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setFactory(
            vertxOptions ->
                new VertxMeters(
                    registry, new MicrometerMetricsFactory(registry).metrics(vertxOptions)))
        .setDisabledMetricsCategories(DISABLED_CATEGORIES)
        .setLabels(LABELS)
        .setJvmMetricsEnabled(true)
        .setRegistryName(instanceId)
        .setMicrometerRegistry(registry)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
  }
}
