package dev.printfleet.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PrometheusText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsSetupTest {

  @Test
  void scrapeIsStrictPrometheusTextTaggedWithServiceAndInstance() {
    PrometheusMeterRegistry registry = MetricsSetup.newRegistry("gateway", "gw-1");
    Counter.builder("printfleet.jobs.dispatched")
        .tag("outcome", "ok")
        .register(registry)
        .increment(3);
    Timer latency =
        Timer.builder("printfleet.dispatch.latency")
            .publishPercentileHistogram()
            .register(registry);
    latency.record(Duration.ofMillis(40));

    PrometheusText text = PrometheusText.parse(registry.scrape());

    assertThat(text.types())
        .containsEntry("printfleet_jobs_dispatched_total", "counter")
        .containsEntry("printfleet_dispatch_latency_seconds", "histogram")
        .containsKeys("process_uptime_seconds", "system_cpu_count", "jvm_classes_loaded_classes");
    assertThat(text.value("printfleet_jobs_dispatched_total", Map.of("outcome", "ok")))
        .isEqualTo(3.0);
    assertThat(text.value("printfleet_dispatch_latency_seconds_count", Map.of())).isEqualTo(1.0);
    assertThat(text.value("printfleet_dispatch_latency_seconds_bucket", Map.of("le", "+Inf")))
        .isEqualTo(1.0);
    assertThat(text.samples())
        .isNotEmpty()
        .allSatisfy(
            s ->
                assertThat(s.labels())
                    .containsEntry("service", "gateway")
                    .containsEntry("instance", "gw-1"));
    registry.close();
  }
}
