package dev.printfleet.gateway.connection;

import dev.printfleet.common.protocol.Envelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/** The gateway's own Prometheus metrics. Tag values come from fixed sets, so series stay bounded. */
public final class GatewayMetrics {

  private static final Set<String> KNOWN_TYPES = Set.of(
      "welcome", "job.dispatch", "printer.test", "error", "response", "printers.sync", "printer.status",
      "job.result", "subscribe", "unsubscribe", "job.update", "agent.presence");

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final DistributionSummary batchSize;

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.batchSize = DistributionSummary.builder("printfleet.gateway.status.batch.size")
        .description("Printer updates per printer.status frame sent to a room")
        .publishPercentiles(0.5, 0.99)
        .register(registry);
  }

  public void connectionGauge(Connection.Kind kind, Object source, ToIntFunction<Object> count) {
    io.micrometer.core.instrument.Gauge.builder("printfleet.gateway.connections", source, o -> count.applyAsInt(o))
        .description("Open WebSocket connections")
        .tag("role", role(kind))
        .register(registry);
  }

  void frameIn(Connection.Kind kind, String type) {
    counter("printfleet.gateway.frames.in", "Frames received", "role", role(kind), "type", typeTag(type)).increment();
  }

  void frameOut(Connection.Kind kind, String type) {
    counter("printfleet.gateway.frames.out", "Frames sent", "role", role(kind), "type", typeTag(type)).increment();
  }

  public void error(Envelope.Code code) {
    counter("printfleet.gateway.errors", "Error answers sent, by contract code", "code", code.wire()).increment();
  }

  /**
   * A received message over the size limit: {@code inflated} when one compressed frame inflated past
   * it, {@code message} when a message's frames added up past it. Closed 1009.
   */
  void messageTooBig(Connection.Kind kind, String where) {
    counter("printfleet.gateway.messages.too.big", "Received messages over the size limit, closed 1009",
        "role", kind == null ? "unknown" : role(kind), "where", where).increment();
  }

  void closed(short code) {
    counter("printfleet.gateway.closes", "Sockets closed by the gateway, by close code", "code", String.valueOf(code)).increment();
  }

  public void batch(int updates) {
    batchSize.record(updates);
  }

  public void agentRequest(String type, String outcome, Duration latency) {
    Timer.builder("printfleet.gateway.agent.request")
        .description("Time from a request sent to an agent to its answer")
        .tag("type", typeTag(type))
        .tag("outcome", outcome)
        .publishPercentiles(0.5, 0.95, 0.99)
        .register(registry)
        .record(latency);
  }

  private Counter counter(String name, String description, String... tags) {
    String key = name + String.join(",", tags);
    return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags).register(registry));
  }

  private static String role(Connection.Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  private static String typeTag(String type) {
    return type != null && KNOWN_TYPES.contains(type) ? type : "other";
  }
}
