package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.CircuitInfo;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One circuit breaker per printer, created on first dispatch and evicted when idle. Notifications
 * are off: a periodic publish per breaker would not scale to thousands of printers.
 */
public final class Breakers {

  private record Entry(CircuitBreaker breaker, long lastUsedNanos) {}

  private final Vertx vertx;
  private final CircuitBreakerOptions options;
  private final Duration idle;
  private final Map<String, Entry> breakers = new ConcurrentHashMap<>();

  public Breakers(
      Vertx vertx, int maxFailures, Duration window, Duration resetTimeout, Duration idle) {
    this.vertx = vertx;
    this.idle = idle;
    this.options =
        new CircuitBreakerOptions()
            .setMaxFailures(maxFailures)
            .setFailuresRollingWindow(window.toMillis())
            .setResetTimeout(resetTimeout.toMillis())
            .setTimeout(-1)
            .setNotificationAddress(null);
  }

  public static String name(String company, String printerId) {
    return company + "/" + printerId;
  }

  public CircuitBreaker forPrinter(String company, String printerId) {
    String name = name(company, printerId);
    Entry entry =
        breakers.compute(
            name,
            (k, e) ->
                new Entry(
                    e == null ? CircuitBreaker.create(k, vertx, options) : e.breaker(),
                    System.nanoTime()));
    return entry.breaker();
  }

  /** CLOSED for a printer without a breaker: it has not failed. */
  public String stateOf(String company, String printerId) {
    Entry entry = breakers.get(name(company, printerId));
    return entry == null ? CircuitBreakerState.CLOSED.name() : entry.breaker().state().name();
  }

  /**
   * Closes the named circuit. Vert.x's {@code CircuitBreaker.reset()} leaves an OPEN breaker open
   * (only a forced reset, not in its public API, closes it), so the breaker is replaced by a fresh,
   * closed one.
   */
  public boolean reset(String name) {
    Entry entry =
        breakers.computeIfPresent(
            name,
            (k, e) -> {
              e.breaker().close();
              return new Entry(CircuitBreaker.create(k, vertx, options), System.nanoTime());
            });
    return entry != null;
  }

  /** Drops breakers unused for the idle time whose circuit is closed. */
  public void evictIdle() {
    long now = System.nanoTime();
    breakers
        .entrySet()
        .removeIf(
            e -> {
              boolean idleAndClosed =
                  now - e.getValue().lastUsedNanos() > idle.toNanos()
                      && e.getValue().breaker().state() == CircuitBreakerState.CLOSED;
              if (idleAndClosed) {
                e.getValue().breaker().close();
              }
              return idleAndClosed;
            });
  }

  public List<CircuitInfo> circuits() {
    List<CircuitInfo> list = new ArrayList<>();
    breakers.forEach(
        (name, e) ->
            list.add(
                new CircuitInfo(name, e.breaker().state().name(), e.breaker().failureCount())));
    return list;
  }

  public Map<String, Long> countByState() {
    Map<String, Long> counts = new java.util.HashMap<>();
    breakers.values().forEach(e -> counts.merge(e.breaker().state().name(), 1L, Long::sum));
    return counts;
  }

  public int size() {
    return breakers.size();
  }
}
