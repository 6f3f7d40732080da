package dev.printfleet.monitoring.alerts;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;

/**
 * Active alerts as Prometheus metrics, so Alertmanager can page: one series {@code
 * printfleet_monitoring_alert_active{kind,subject,severity} 1} per active alert, gone when the
 * alert clears; and {@code printfleet_monitoring_alerts_active} with the count.
 */
public final class AlertMetrics {

  private final MultiGauge active;
  private volatile int count;

  public AlertMetrics(MeterRegistry registry) {
    this.active =
        MultiGauge.builder("printfleet.monitoring.alert.active")
            .description("1 for each active alert, by kind, subject and severity")
            .register(registry);
    registry.gauge("printfleet.monitoring.alerts.active", this, m -> m.count);
  }

  public void update(List<Alert> alerts) {
    count = alerts.size();
    List<MultiGauge.Row<?>> rows =
        alerts.stream()
            .<MultiGauge.Row<?>>map(
                a ->
                    MultiGauge.Row.of(
                        Tags.of("kind", a.kind(), "subject", a.subject(), "severity", a.severity()),
                        1))
            .toList();
    active.register(rows, true);
  }
}
