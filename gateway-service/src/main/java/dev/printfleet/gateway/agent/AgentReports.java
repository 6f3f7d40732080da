package dev.printfleet.gateway.agent;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.AgentEvent;
import dev.printfleet.common.messages.JobResult;
import dev.printfleet.common.messages.PrinterInfo;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.common.messages.PrintersSync;
import dev.printfleet.common.presence.AgentKey;
import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import dev.printfleet.gateway.session.Session;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What agents report, checked ({@link AgentMessages}) and passed on: their printer lists and
 * results to printing, which acknowledges the write before the agent is answered; their statuses to
 * the cluster, for the printers of their last stored list only; their answers to the requests that
 * wait on them. Confined to its event loop.
 */
final class AgentReports {

  private static final Logger log = LoggerFactory.getLogger(AgentReports.class);

  /**
   * A result not answered within this is sent again. Longer than other requests: under load its
   * write can wait its turn for the database, and a copy sent while the first still waits is only
   * more work for it (both are written, the second as a duplicate).
   */
  private static final long RESULT_TIMEOUT_MS = 15_000;

  private final AgentDirectory directory;
  private final AgentEvents events;
  private final int maxPrinters;
  private final ResultSender results;

  /** Per agent session: the printers of its last valid sync, which alone it may report on. */
  private final Map<Session, SyncedPrinters> synced = new HashMap<>();

  AgentReports(
      Vertx vertx, Context context, AgentDirectory directory, AgentEvents events, int maxPrinters) {
    this.directory = directory;
    this.events = events;
    this.maxPrinters = maxPrinters;
    this.results = new ResultSender(vertx, context, directory, 3, RESULT_TIMEOUT_MS);
  }

  /** What one agent session synced; confined to the event loop like the sessions. */
  private static final class SyncedPrinters {
    Set<String> ids = Set.of();
    boolean writing;
  }

  void forget(Session session) {
    synced.remove(session);
  }

  /**
   * The list is bounded and checked whole, then written by one printing instance; the agent is
   * acknowledged once it is stored. One sync per session is written at a time: a second one
   * meanwhile is refused, so an older list never overwrites a newer one and no session queues lists
   * in memory. The printers count as the agent's from the moment the list is accepted here: the
   * statuses an agent sends right after its sync must not race the write.
   */
  void printersSync(Session session, Envelope request) {
    List<PrinterInfo> printers;
    try {
      printers = AgentMessages.printers(request.plainData(), maxPrinters);
    } catch (AgentMessages.Invalid e) {
      session.reject(request.id(), Code.INVALID_DATA, e.getMessage());
      return;
    }
    var state = synced.computeIfAbsent(session, s -> new SyncedPrinters());
    if (state.writing) {
      session.reject(
          request.id(),
          Code.RATE_LIMITED,
          "the previous printers.sync is still being stored; send this one once it is answered");
      return;
    }
    var principal = session.principal();
    var sync =
        new PrintersSync(
            principal.subject(),
            principal.company(),
            principal.branch().orElseThrow(),
            printers,
            Instant.now());
    Set<String> before = state.ids;
    state.ids = Set.copyOf(printers.stream().map(PrinterInfo::id).toList());
    state.writing = true;
    directory
        .requestPrinting(Addresses.PRINTING_PRINTERS, sync.toJson())
        .onComplete(done -> state.writing = false)
        .onSuccess(
            reply -> {
              if (reply.getValue(PrintersSync.OTHER_BRANCH) instanceof JsonArray taken
                  && !taken.isEmpty()) {
                state.ids = before;
                session.reject(
                    request.id(),
                    Code.FORBIDDEN,
                    "printers of another branch are not this agent's: " + taken.encode());
                return;
              }
              events.publish(session, AgentEvent.Kind.PRINTERS_SYNCED, printers);
              acknowledge(session, request, new JsonObject().put("printers", printers.size()));
            })
        .onFailure(
            e -> {
              // Not stored: the agent may report only on the printers of its last list that was.
              state.ids = before;
              log.warn(
                  "Printers not stored agent={} printers={}: {}",
                  principal.subject(),
                  printers.size(),
                  e.toString());
              session.reject(
                  request.id(),
                  Code.UNAVAILABLE,
                  "the printers could not be stored, send them again");
            });
  }

  void printerStatus(Session session, Envelope message) {
    AgentMessages.PrinterStatus status;
    try {
      status = AgentMessages.printerStatus(message.plainData());
    } catch (AgentMessages.Invalid e) {
      session.reject(message.id(), Code.INVALID_DATA, e.getMessage());
      return;
    }
    var own = synced.get(session);
    if (own == null || !own.ids.contains(status.printerId())) {
      session.reject(
          message.id(), Code.NOT_FOUND, "the printer is not in this agent's last printers.sync");
      return;
    }
    var principal = session.principal();
    events.status(
        new PrinterStatusEvent(
            principal.subject(),
            principal.company(),
            principal.branch().orElseThrow(),
            status.printerId(),
            status.status(),
            status.detail(),
            Instant.now()));
    acknowledge(session, message, new JsonObject());
  }

  void jobResult(Session session, Envelope message) {
    AgentMessages.Result reported;
    try {
      reported = AgentMessages.result(message.plainData());
    } catch (AgentMessages.Invalid e) {
      session.reject(message.id(), Code.INVALID_DATA, e.getMessage());
      return;
    }
    var principal = session.principal();
    var result =
        new JobResult(
            reported.jobId(),
            principal.subject(),
            principal.company(),
            reported.outcome(),
            reported.error(),
            Instant.now());
    results
        .send(result)
        .onSuccess(
            reply -> {
              if (JobResult.NOT_DISPATCHED_TO_AGENT.equals(reply.getString("reason"))) {
                log.info(
                    "Job result refused, the job was not dispatched to this agent job={} agent={} company={}",
                    reported.jobId(),
                    principal.subject(),
                    principal.company());
                session.reject(
                    message.id(), Code.FORBIDDEN, "this job was not dispatched to this agent");
              } else {
                acknowledge(session, message, new JsonObject());
              }
            })
        .onFailure(
            e -> {
              log.warn(
                  "Job result not recorded job={} agent={}: {}",
                  reported.jobId(),
                  principal.subject(),
                  e.toString());
              session.reject(
                  message.id(),
                  Code.UNAVAILABLE,
                  "the result could not be recorded, send it again");
            });
  }

  /** An agent's answer to a request of the cluster ({@link AgentRequests}). */
  void response(Session session, Envelope response) {
    var agent = new AgentKey(session.principal().company(), session.principal().subject());
    if (response.id() == null || !directory.pending().answer(response.id(), agent, response)) {
      session.reject(null, Code.NOT_FOUND, "no request waits for this response");
    }
  }

  private static void acknowledge(Session session, Envelope request, JsonObject data) {
    if (request.id() != null) {
      session.send(Envelope.response(request.id(), data));
    }
  }
}
