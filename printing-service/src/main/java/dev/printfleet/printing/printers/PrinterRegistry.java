package dev.printfleet.printing.printers;

import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.PresenceRestored;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.messages.PrintersSync;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.presence.PresenceRegistry;
import dev.printfleet.printing.dispatch.DispatchLoop;
import dev.printfleet.printing.jobs.JobStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the printers table in step with the gateways: an agent's printer list arrives point to
 * point and is written here once, and so are its connects and disconnects. Releases an agent's
 * queued jobs the moment it connects, wherever it connects, or its presence comes back.
 */
public final class PrinterRegistry {

  private static final Logger log = LoggerFactory.getLogger(PrinterRegistry.class);

  private final PrinterStore printers;
  private final StatusWrites statuses;
  private final JobStore jobs;
  private final DispatchLoop loop;
  private final PresenceRegistry presence;

  public PrinterRegistry(
      PrinterStore printers,
      StatusWrites statuses,
      JobStore jobs,
      DispatchLoop loop,
      PresenceRegistry presence) {
    this.presence = presence;
    this.statuses = statuses;
    this.printers = printers;
    this.jobs = jobs;
    this.loop = loop;
  }

  /**
   * An agent's connect or disconnect, or agents whose presence came back, sent by their gateway to
   * this instance alone: written once however many printing instances run. The reply acknowledges
   * it; a failure asks the gateway to send it again (the writes are idempotent).
   */
  public void onAgent(Message<JsonObject> message) {
    if (PresenceRestored.is(message.body())) {
      onPresenceRestored(message);
      return;
    }
    AgentEvent event;
    try {
      event = AgentEvent.fromJson(message.body());
    } catch (RuntimeException e) {
      message.fail(400, "malformed agent event: " + e.getMessage());
      return;
    }
    switch (event.kind()) {
      case PRINTERS_SYNCED -> message.reply(new JsonObject());
      // Online first, then the release: a job accepted meanwhile for one of the agent's printers is
      // parked only if its statement share-locked the printer before this write, which then waits
      // for it to commit, so the release that follows sees it (JobStore.INSERT).
      case CONNECTED ->
          printers
              .setOnline(event.company(), event.agentId(), true, event.at())
              .compose(v -> jobs.releaseForAgent(event.company(), event.agentId()))
              .onSuccess(released -> loop.nudge())
              .onSuccess(
                  released -> {
                    log.debug(
                        "Agent connect recorded agent={} company={} via={} released={}",
                        event.agentId(),
                        event.company(),
                        event.instanceId(),
                        released);
                    message.reply(new JsonObject().put("released", released));
                  })
              .onFailure(
                  e -> {
                    log.warn(
                        "Agent not marked online agent={} company={}: {}",
                        event.agentId(),
                        event.company(),
                        e.toString());
                    message.fail(503, "agent not marked online");
                  });
      case DISCONNECTED ->
          heldElsewhere(event)
              .compose(
                  holder -> {
                    if (holder.isPresent()) {
                      log.info(
                          "Disconnect not written, the agent is held by another gateway agent={} company={} via={} heldBy={}",
                          event.agentId(),
                          event.company(),
                          event.instanceId(),
                          holder.get());
                      return Future.<Void>succeededFuture();
                    }
                    return printers.setOnline(event.company(), event.agentId(), false, event.at());
                  })
              .onSuccess(v -> message.reply(new JsonObject()))
              .onFailure(
                  e -> {
                    log.warn(
                        "Agent not marked offline agent={} company={}: {}",
                        event.agentId(),
                        event.company(),
                        e.toString());
                    message.fail(503, "agent not marked offline");
                  });
    }
  }

  /**
   * The gateway other than the disconnect's that holds the agent now, if any. A gateway that saw a
   * dead socket late (a ping timeout) reports a disconnect dated after the agent's connect to
   * another gateway: written, it would mark the printers of a connected agent offline, and every
   * job accepted for them would be parked until the parked-jobs sweep. Redis unreadable: the
   * disconnect is taken as it is.
   */
  private Future<Optional<String>> heldElsewhere(AgentEvent event) {
    return presence
        .lookup(new AgentKey(event.company(), event.agentId()))
        .map(holder -> holder.filter(instance -> !instance.equals(event.instanceId())))
        .otherwise(Optional.empty());
  }

  private void onPresenceRestored(Message<JsonObject> message) {
    PresenceRestored restored;
    try {
      restored = PresenceRestored.fromJson(message.body());
    } catch (RuntimeException e) {
      message.fail(400, "malformed presence list: " + e.getMessage());
      return;
    }
    loop.presenceBack(restored.agents());
    jobs.releaseForAgents(
            restored.agents().stream().map(AgentKey::company).toList(),
            restored.agents().stream().map(AgentKey::agentId).toList())
        .onSuccess(
            released -> {
              log.info(
                  "Presence back, queued jobs released gateway={} agents={} jobs={}",
                  restored.instanceId(),
                  restored.agents().size(),
                  released);
              message.reply(new JsonObject().put("released", released));
              if (released > 0) {
                loop.nudge();
              }
            })
        .onFailure(
            e -> {
              log.warn(
                  "Queued jobs not released gateway={} agents={}: {}",
                  restored.instanceId(),
                  restored.agents().size(),
                  e.toString());
              message.fail(503, "queued jobs not released");
            });
  }

  /**
   * An agent's printer list, sent by its gateway to this instance alone; the reply acknowledges it.
   */
  public void onPrintersSync(Message<JsonObject> message) {
    PrintersSync sync;
    try {
      sync = PrintersSync.fromJson(message.body());
    } catch (RuntimeException e) {
      message.fail(400, "malformed printer list: " + e.getMessage());
      return;
    }
    printers
        .sync(sync.company(), sync.branch(), sync.agentId(), sync.printers())
        .onFailure(
            e -> {
              log.warn(
                  "Printers not stored agent={} printers={}: {}",
                  sync.agentId(),
                  sync.printers().size(),
                  e.toString());
              message.fail(503, "printers not stored: " + e.getMessage());
            })
        .onSuccess(
            taken -> {
              if (!taken.isEmpty()) {
                log.warn(
                    "Printer list refused, it names printers of another branch agent={} company={} branch={} printers={}",
                    sync.agentId(),
                    sync.company(),
                    sync.branch(),
                    taken);
                message.reply(
                    new JsonObject()
                        .put("stored", 0)
                        .put(PrintersSync.OTHER_BRANCH, new JsonArray(taken)));
                return;
              }
              message.reply(new JsonObject().put("stored", sync.printers().size()));
              // The agent's queued jobs may now name printers it has: they are due.
              jobs.releaseForAgent(sync.company(), sync.agentId())
                  .onSuccess(
                      released -> {
                        if (released > 0) {
                          loop.nudge();
                        }
                      })
                  .onFailure(
                      e ->
                          log.warn(
                              "Queued jobs not released agent={}: {}",
                              sync.agentId(),
                              e.toString()));
            });
  }

  public void onPrinterStatus(Message<JsonObject> message) {
    try {
      for (PrinterStatusEvent event : PrinterStatusEvent.listFromJson(message.body())) {
        statuses.report(event.company(), event.agentId(), event.printerId(), event.status());
      }
    } catch (RuntimeException e) {
      log.warn("Dropped a malformed printer event: {}", e.getMessage());
    }
  }
}
