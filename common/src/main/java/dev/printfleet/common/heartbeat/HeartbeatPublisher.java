package dev.printfleet.common.heartbeat;

import dev.printfleet.common.health.Readiness;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.CircuitInfo;
import dev.printfleet.common.messages.Heartbeat;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Publishes this instance's {@link Heartbeat} on {@link Addresses#MONITORING_HEARTBEAT} every
 * interval, and measures event loop lag: how late a short periodic timer fires.
 */
public final class HeartbeatPublisher {

  private static final long LAG_PROBE_MS = 100;

  private final Vertx vertx;
  private final String instanceId;
  private final String service;
  private final Duration interval;
  private final Readiness readiness;
  private final Instant startedAt = Instant.now();
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final AtomicLong worstLagMs = new AtomicLong();
  private final AtomicLong lastLagMs = new AtomicLong();

  private volatile IntSupplier connections = () -> 0;
  private volatile Supplier<List<CircuitInfo>> circuits = List::of;
  private volatile Supplier<Instant> clusterLossAt = () -> null;
  private long beatTimer = -1;
  private long probeTimer = -1;
  private long lastProbe;

  public HeartbeatPublisher(
      Vertx vertx,
      String instanceId,
      String service,
      Duration interval,
      Readiness readiness,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.instanceId = instanceId;
    this.service = service;
    this.interval = interval;
    this.readiness = readiness;
    Gauge.builder("printfleet.event.loop.lag", lastLagMs, v -> v.get() / 1000.0)
        .description("How late a 100 ms timer fired on an event loop, at the last probe")
        .baseUnit("seconds")
        .register(registry);
  }

  /** What the heartbeat reports as this instance's open connections (the gateway's sockets). */
  public void reportConnections(IntSupplier supplier) {
    this.connections = supplier;
  }

  /** What the heartbeat reports as this instance's circuit breakers. */
  public void reportCircuits(Supplier<List<CircuitInfo>> supplier) {
    this.circuits = supplier;
  }

  /** When this instance last found its cluster state missing from Redis (null if never). */
  public void reportClusterLoss(Supplier<Instant> supplier) {
    this.clusterLossAt = supplier;
  }

  public void start() {
    lastProbe = System.nanoTime();
    probeTimer = vertx.setPeriodic(LAG_PROBE_MS, id -> probeLag());
    beatTimer = vertx.setPeriodic(interval.toMillis(), id -> beat());
    beat();
  }

  public void stop() {
    vertx.cancelTimer(beatTimer);
    vertx.cancelTimer(probeTimer);
  }

  public Duration uptime() {
    return Duration.between(startedAt, Instant.now());
  }

  private void probeLag() {
    long now = System.nanoTime();
    long lag = Math.max(0, (now - lastProbe) / 1_000_000 - LAG_PROBE_MS);
    lastProbe = now;
    lastLagMs.set(lag);
    worstLagMs.accumulateAndGet(lag, Math::max);
  }

  private void beat() {
    readiness
        .isReady()
        .onComplete(
            ready ->
                vertx
                    .eventBus()
                    .publish(
                        Addresses.MONITORING_HEARTBEAT,
                        current(ready.succeeded() && ready.result()).toJson()));
  }

  /** The heartbeat as it would be published now. */
  public Heartbeat current(boolean ready) {
    var heap = memory.getHeapMemoryUsage();
    return new Heartbeat(
        instanceId,
        service,
        uptime().toSeconds(),
        heap.getUsed(),
        heap.getMax(),
        processCpu(),
        worstLagMs.getAndSet(0),
        connections.getAsInt(),
        ready,
        readiness.isDraining(),
        circuits.get(),
        Instant.now(),
        clusterLossAt.get());
  }

  private static double processCpu() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuLoad();
    }
    return -1;
  }
}
