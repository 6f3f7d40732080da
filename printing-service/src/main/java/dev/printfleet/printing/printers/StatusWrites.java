package dev.printfleet.printing.printers;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
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

  private final PrinterStore store;
  private final Map<Printer, PrinterStore.ReportedStatus> latest = new ConcurrentHashMap<>();
  private final AtomicBoolean writing = new AtomicBoolean();
  private final Counter reported;
  private final Counter written;

  public StatusWrites(Vertx vertx, PrinterStore store, MeterRegistry registry) {
    this.store = store;
    this.reported = Counter.builder("printfleet.printer.statuses")
        .description("Printer statuses reported by agents and heard by this instance").register(registry);
    this.written = Counter.builder("printfleet.printer.status.writes")
        .description("Statements that wrote printers' latest statuses (each for many printers)").register(registry);
    vertx.setPeriodic(EVERY.toMillis(), id -> flush());
  }

  /** The printer's latest status, written at the next flush (a later report of it replaces this one). */
  public void report(String company, String agentId, String printerId, String status) {
    reported.increment();
    latest.put(new Printer(company, printerId), new PrinterStore.ReportedStatus(company, printerId, agentId, status));
  }

  private void flush() {
    if (latest.isEmpty() || !writing.compareAndSet(false, true)) {
      return;
    }
    List<PrinterStore.ReportedStatus> batch = new ArrayList<>(latest.size());
    for (var printer : List.copyOf(latest.keySet())) {
      var status = latest.remove(printer);
      if (status != null) {
        batch.add(status);
      }
    }
    written.increment();
    store.setStatuses(batch)
        .onFailure(e -> {
          // Back for the next flush, unless the printer reported again meanwhile (newer wins).
          batch.forEach(s -> latest.putIfAbsent(new Printer(s.company(), s.printerId()), s));
          log.warn("Printer statuses not written printers={}, trying again: {}", batch.size(), e.toString());
        })
        .onComplete(done -> writing.set(false));
  }
}
