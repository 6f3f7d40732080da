package dev.printfleet.printing.printers;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Printer statuses as agents report them, written in one statement every {@link #EVERY}: only the
 * latest status of each printer is kept meanwhile, so a fleet reporting 20,000 statuses a second
 * costs one write a flush, not 20,000 a second, and what waits is one entry per printer, bounded by
 * the fleet rather than by the rate. Statuses are the agents' latest word: one lost with this
 * instance (at most {@link #EVERY} of them) is written again at the printer's next report.
 */
public final class StatusWrites {

  private static final Logger log = LoggerFactory.getLogger(StatusWrites.class);
  static final Duration EVERY = Duration.ofMillis(500);

  private record Printer(String company, String printerId) {}

  private final Vertx vertx;
  private final PrinterStore store;
  private final Map<Printer, PrinterStore.ReportedStatus> latest = new ConcurrentHashMap<>();
  private final Counter reported;
  private final Counter written;
  private long timer = -1;

  /** The write under way, if any: one at a time. Guarded by this. */
  private Future<Void> writing = Future.succeededFuture();

  /** Said once per database outage, not every flush. Guarded by this. */
  private boolean failing;

  public StatusWrites(Vertx vertx, PrinterStore store, MeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.reported =
        Counter.builder("printfleet.printer.statuses")
            .description("Printer statuses reported by agents and heard by this instance")
            .register(registry);
    this.written =
        Counter.builder("printfleet.printer.status.writes")
            .description("Statements that wrote printers' latest statuses (each for many printers)")
            .register(registry);
  }

  /** Writes what was reported every {@link #EVERY}, on the calling verticle's context. */
  public void start() {
    timer = vertx.setPeriodic(EVERY.toMillis(), id -> flush());
  }

  /** No more flushes on the timer; what was reported is written now (before the pool closes). */
  public Future<Void> stop() {
    vertx.cancelTimer(timer);
    Future<Void> pending;
    synchronized (this) {
      pending = writing;
    }
    return pending.transform(v -> flush());
  }

  /**
   * The printer's latest status, written at the next flush (a later report of it replaces this
   * one).
   */
  public void report(String company, String agentId, String printerId, String status) {
    reported.increment();
    latest.put(
        new Printer(company, printerId),
        new PrinterStore.ReportedStatus(company, printerId, agentId, status));
  }

  private synchronized Future<Void> flush() {
    if (latest.isEmpty() || !writing.isComplete()) {
      return writing;
    }
    List<PrinterStore.ReportedStatus> batch = new ArrayList<>(latest.size());
    for (var printer : List.copyOf(latest.keySet())) {
      var status = latest.remove(printer);
      if (status != null) {
        batch.add(status);
      }
    }
    written.increment();
    writing = store.setStatuses(batch).andThen(ar -> outcome(batch, ar.cause())).otherwiseEmpty();
    return writing;
  }

  private synchronized void outcome(List<PrinterStore.ReportedStatus> batch, Throwable failure) {
    if (failure == null) {
      if (failing) {
        failing = false;
        log.info("Printer statuses written again");
      }
      return;
    }
    // Back for the next flush, unless the printer reported again meanwhile (newer wins).
    batch.forEach(s -> latest.putIfAbsent(new Printer(s.company(), s.printerId()), s));
    if (!failing) {
      failing = true;
      log.warn(
          "Printer statuses not written, trying again every {} ms printers={}: {}",
          EVERY.toMillis(),
          batch.size(),
          failure.toString());
    } else {
      log.debug(
          "Printer statuses still not written printers={}: {}", batch.size(), failure.toString());
    }
  }
}
