package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.JobResult;
import dev.printfleet.printing.jobs.JobState;
import dev.printfleet.printing.jobs.JobStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agents' results, sent point to point to one printing instance: written, then acknowledged. A
 * result for a job already final that was this agent's is acknowledged too (a duplicate), so the
 * agent stops resending; a result for a job not leased to this agent changes nothing and is
 * answered with the reason {@link JobResult#NOT_DISPATCHED_TO_AGENT}, which the gateway turns into
 * {@code forbidden}.
 */
public final class ResultsConsumer {

  private static final Logger log = LoggerFactory.getLogger(ResultsConsumer.class);

  private final JobStore jobs;
  private final DispatchLoop loop;

  public ResultsConsumer(JobStore jobs, DispatchLoop loop) {
    this.jobs = jobs;
    this.loop = loop;
  }

  public void handle(Message<JsonObject> message) {
    JobResult result;
    UUID id;
    try {
      result = JobResult.fromJson(message.body());
      id = UUID.fromString(result.jobId());
    } catch (IllegalArgumentException e) {
      message.reply(
          new JsonObject().put("recorded", false).put("reason", JobResult.NOT_DISPATCHED_TO_AGENT));
      return;
    }
    JobState outcome = "printed".equals(result.outcome()) ? JobState.PRINTED : JobState.FAILED;
    jobs.recordResult(id, result.company(), result.agentId(), outcome, result.error())
        .compose(
            recorded -> {
              if (recorded.isPresent()) {
                var r = recorded.get();
                loop.resultWritten(id);
                if (r.dispatchWrittenWithIt()) {
                  // Watchers see the contract's queued, dispatched, then the outcome, as the
                  // history has it.
                  loop.publish(Optional.of(r.job().inState(JobState.DISPATCHED)));
                }
                loop.publish(Optional.of(r.job()));
                return Future.succeededFuture(new JsonObject().put("recorded", true));
              }
              return jobs.isFinalFor(id, result.company(), result.agentId())
                  .map(
                      duplicate ->
                          duplicate
                              ? new JsonObject().put("recorded", false)
                              : new JsonObject()
                                  .put("recorded", false)
                                  .put("reason", JobResult.NOT_DISPATCHED_TO_AGENT));
            })
        .onSuccess(
            reply -> {
              if (reply.containsKey("reason")) {
                log.info(
                    "Result refused, the job was not leased to the agent job={} agent={} company={}",
                    id,
                    result.agentId(),
                    result.company());
              }
              message.reply(reply);
            })
        .onFailure(
            e -> {
              log.warn("Result not recorded job={}: {}", id, e.toString());
              message.fail(503, "result not recorded: " + e.getMessage());
            });
  }
}
