package dev.printfleet.printing.printers;

import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.printing.dispatch.DispatchLoop;
import dev.printfleet.printing.jobs.JobStore;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the printers table in step with the gateways' events, and releases an agent's queued jobs
 * the moment it connects, wherever it connects.
 */
public final class PrinterRegistry {

  private static final Logger log = LoggerFactory.getLogger(PrinterRegistry.class);

  private final PrinterStore printers;
  private final JobStore jobs;
  private final DispatchLoop loop;

  public PrinterRegistry(PrinterStore printers, JobStore jobs, DispatchLoop loop) {
    this.printers = printers;
    this.jobs = jobs;
    this.loop = loop;
  }

  public void onAgentEvent(Message<JsonObject> message) {
    AgentEvent event;
    try {
      event = AgentEvent.fromJson(message.body());
    } catch (RuntimeException e) {
      log.warn("Dropped a malformed agent event: {}", e.getMessage());
      return;
    }
    switch (event.kind()) {
      case PRINTERS_SYNCED -> printers.sync(event.company(), event.branch(), event.agentId(), event.printers())
          .compose(v -> jobs.releaseForAgent(event.company(), event.agentId()))
          .onSuccess(released -> {
            if (released > 0) {
              loop.nudge();
            }
          })
          .onFailure(e -> log.warn("Printers not synced agent={}: {}", event.agentId(), e.toString()));
      case CONNECTED -> printers.setOnline(event.company(), event.agentId(), true)
          .compose(v -> jobs.releaseForAgent(event.company(), event.agentId()))
          .onSuccess(released -> loop.nudge())
          .onFailure(e -> log.warn("Agent not marked online agent={}: {}", event.agentId(), e.toString()));
      case DISCONNECTED -> printers.setOnline(event.company(), event.agentId(), false)
          .onFailure(e -> log.warn("Agent not marked offline agent={}: {}", event.agentId(), e.toString()));
    }
  }

  public void onPrinterStatus(Message<JsonObject> message) {
    try {
      var event = PrinterStatusEvent.fromJson(message.body());
      printers.setStatus(event.company(), event.printerId(), event.status())
          .onFailure(e -> log.warn("Printer status not written printer={}: {}", event.printerId(), e.toString()));
    } catch (RuntimeException e) {
      log.warn("Dropped a malformed printer event: {}", e.getMessage());
    }
  }
}
