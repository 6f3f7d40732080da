package dev.printfleet.monitoring.cluster;

import dev.printfleet.common.messages.Heartbeat;
import dev.printfleet.monitoring.alerts.Thresholds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides an instance's status from its latest heartbeat: {@code DOWN} after the configured number
 * of missed beats, {@code DEGRADED} when its own checks fail or a threshold is crossed.
 */
public final class HealthRules {

  /** A status and why; reasons are empty for {@code UP}. */
  public record Verdict(InstanceStatus status, List<String> reasons) {}

  private final Duration interval;
  private final int missedBeatsForDown;
  private final Thresholds thresholds;

  public HealthRules(Duration interval, int missedBeatsForDown, Thresholds thresholds) {
    this.interval = interval;
    this.missedBeatsForDown = missedBeatsForDown;
    this.thresholds = thresholds;
  }

  public Duration interval() {
    return interval;
  }

  /** How long after its last beat an instance counts as down. */
  public Duration downAfter() {
    return interval.multipliedBy(missedBeatsForDown);
  }

  public boolean isDown(InstanceRecord record, Instant now) {
    return Duration.between(record.receivedAt(), now).compareTo(downAfter()) > 0;
  }

  public Verdict judge(InstanceRecord record, Instant now) {
    if (isDown(record, now)) {
      long missed =
          Duration.between(record.receivedAt(), now).toMillis() / Math.max(1, interval.toMillis());
      return new Verdict(InstanceStatus.DOWN, List.of("no heartbeat for " + missed + " intervals"));
    }
    Heartbeat beat = record.heartbeat();
    List<String> reasons = new ArrayList<>();
    if (beat.draining()) {
      reasons.add("draining");
    } else if (!beat.ready()) {
      reasons.add("readiness checks failing");
    }
    if (memoryHigh(beat)) {
      reasons.add("heap at " + heapPercent(beat) + " %");
    }
    if (cpuHigh(beat)) {
      reasons.add("CPU at " + Math.round(beat.cpu() * 100) + " %");
    }
    if (beat.eventLoopLagMs() > thresholds.eventLoopLag().toMillis()) {
      reasons.add("event loop lag " + beat.eventLoopLagMs() + " ms");
    }
    return new Verdict(
        reasons.isEmpty() ? InstanceStatus.UP : InstanceStatus.DEGRADED, List.copyOf(reasons));
  }

  public boolean memoryHigh(Heartbeat beat) {
    return beat.heapMaxBytes() > 0 && heapPercent(beat) > thresholds.memoryPercent();
  }

  /**
   * Over the CPU threshold, after the instance's first {@link #CPU_WARM_UP}: a JVM compiles its
   * code as it starts, at full CPU, and every start would raise {@code cpu_high} otherwise.
   */
  public boolean cpuHigh(Heartbeat beat) {
    return beat.cpu() >= 0
        && beat.uptimeS() >= CPU_WARM_UP.toSeconds()
        && beat.cpu() * 100 > thresholds.cpuPercent();
  }

  /** How long after its start an instance's CPU is not judged. */
  public static final Duration CPU_WARM_UP = Duration.ofMinutes(1);

  public static long heapPercent(Heartbeat beat) {
    return beat.heapMaxBytes() <= 0
        ? 0
        : Math.round(beat.heapUsedBytes() * 100.0 / beat.heapMaxBytes());
  }
}
