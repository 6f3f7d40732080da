package dev.printfleet.gateway.session;

import dev.printfleet.common.protocol.Envelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The gateway's own Prometheus metrics. Tag values come from fixed sets, so series stay bounded.
 * They are counted on every frame: each meter is resolved once, on its first use, and kept in maps
 * keyed by an enum or by strings the caller already holds (a frame's type, a contract code), so a
 * frame builds no tag, no key and no builder, and Micrometer's filters never run on the hot path.
 */
public final class GatewayMetrics {

  private static final Set<String> KNOWN_TYPES =
      Set.of(
          "welcome",
          "job.dispatch",
          "printer.test",
          "error",
          "response",
          "printers.sync",
          "printer.status",
          "job.result",
          "subscribe",
          "unsubscribe",
          "job.update",
          "agent.presence");

  /** Close codes are 1000 to 4999 (RFC 6455); one slot per code, the last for anything else. */
  private static final int CLOSE_CODES = 5000;

  private final MeterRegistry registry;

  /** Frame counters by kind and protocol (slot kind * protocols + protocol), then by type. */
  private final List<ConcurrentMap<String, Counter>> framesIn = new ArrayList<>();

  private final List<ConcurrentMap<String, Counter>> framesOut = new ArrayList<>();
  private final ConcurrentMap<Envelope.Code, Counter> errors = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ConcurrentMap<String, Counter>> tooBig =
      new ConcurrentHashMap<>();
  private final AtomicReferenceArray<Counter> closes = new AtomicReferenceArray<>(CLOSE_CODES + 1);
  private final ConcurrentMap<String, ConcurrentMap<String, Timer>> agentRequests =
      new ConcurrentHashMap<>();
  private final DistributionSummary batchSize;
  private final Counter userLimitUnchecked;
  private final Counter userLimitRefused;

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.userLimitUnchecked =
        Counter.builder("printfleet.gateway.user.limit.unchecked")
            .description(
                "Dashboard connections admitted without counting the user's connections (Redis did not answer)")
            .register(registry);
    this.userLimitRefused =
        Counter.builder("printfleet.gateway.user.limit.refused")
            .description(
                "Connections refused: the user held PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER already")
            .register(registry);
    for (int i = 0; i < Session.Kind.values().length * Session.Protocol.values().length; i++) {
      framesIn.add(new ConcurrentHashMap<>());
      framesOut.add(new ConcurrentHashMap<>());
    }
    this.batchSize =
        DistributionSummary.builder("printfleet.gateway.status.batch.size")
            .description("Printer updates per printer.status frame sent to a room")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
  }

  public void connectionGauge(
      Session.Kind kind, Session.Protocol protocol, Object source, ToIntFunction<Object> count) {
    Gauge.builder("printfleet.gateway.connections", source, o -> count.applyAsInt(o))
        .description("Open sessions (WebSocket or Socket.IO connections)")
        .tags("role", role(kind), "protocol", protocol.label())
        .register(registry);
  }

  private static int slot(Session.Kind kind, Session.Protocol protocol) {
    return kind.ordinal() * Session.Protocol.values().length + protocol.ordinal();
  }

  public void frameIn(Session.Kind kind, Session.Protocol protocol, String type) {
    String tag = typeTag(type);
    resolve(
            framesIn.get(slot(kind, protocol)),
            tag,
            t ->
                Counter.builder("printfleet.gateway.frames.in")
                    .description("Frames received")
                    .tags("role", role(kind), "protocol", protocol.label(), "type", t)
                    .register(registry))
        .increment();
  }

  public void frameOut(Session.Kind kind, Session.Protocol protocol, String type) {
    String tag = typeTag(type);
    resolve(
            framesOut.get(slot(kind, protocol)),
            tag,
            t ->
                Counter.builder("printfleet.gateway.frames.out")
                    .description("Frames sent")
                    .tags("role", role(kind), "protocol", protocol.label(), "type", t)
                    .register(registry))
        .increment();
  }

  public void error(Envelope.Code code) {
    resolve(
            errors,
            code,
            c ->
                Counter.builder("printfleet.gateway.errors")
                    .description("Error answers sent, by contract code")
                    .tag("code", c.wire())
                    .register(registry))
        .increment();
  }

  /**
   * A received message over the size limit: {@code inflated} when one compressed frame inflated
   * past it, {@code message} when a message's frames added up past it. Closed 1009.
   */
  public void messageTooBig(Session.Kind kind, String where) {
    String role = kind == null ? "unknown" : role(kind);
    resolve(
            resolve(tooBig, role, r -> new ConcurrentHashMap<>()),
            where,
            w ->
                Counter.builder("printfleet.gateway.messages.too.big")
                    .description("Received messages over the size limit, closed 1009")
                    .tags("role", role, "where", w)
                    .register(registry))
        .increment();
  }

  public void closed(short code) {
    int slot = code >= 0 && code < CLOSE_CODES ? code : CLOSE_CODES;
    Counter counter = closes.get(slot);
    if (counter == null) {
      // Registering the same id twice gives the same counter, so losing this race is harmless.
      closes.compareAndSet(
          slot,
          null,
          Counter.builder("printfleet.gateway.closes")
              .description("Sockets closed by the gateway, by close code")
              .tag("code", slot == CLOSE_CODES ? "other" : String.valueOf(code))
              .register(registry));
      counter = closes.get(slot);
    }
    counter.increment();
  }

  public void userLimitUnchecked() {
    userLimitUnchecked.increment();
  }

  public void userLimitRefused() {
    userLimitRefused.increment();
  }

  public void batch(int updates) {
    batchSize.record(updates);
  }

  /** {@code outcome} is one of a fixed set: ok, busy, agent_error or a contract error code. */
  public void agentRequest(String type, String outcome, Duration latency) {
    String tag = typeTag(type);
    resolve(
            resolve(agentRequests, tag, t -> new ConcurrentHashMap<>()),
            outcome,
            o ->
                Timer.builder("printfleet.gateway.agent.request")
                    .description("Time from a request sent to an agent to its answer")
                    .tags("type", tag, "outcome", o)
                    .publishPercentiles(0.5, 0.95, 0.99)
                    .register(registry))
        .record(latency);
  }

  /** The meter for this label value, made on its first use; a hit is a plain map read. */
  private static <K, T> T resolve(ConcurrentMap<K, T> meters, K key, Function<K, T> make) {
    T meter = meters.get(key);
    return meter != null ? meter : meters.computeIfAbsent(key, make);
  }

  private static String role(Session.Kind kind) {
    return kind.label();
  }

  private static String typeTag(String type) {
    return type != null && KNOWN_TYPES.contains(type) ? type : "other";
  }
}
