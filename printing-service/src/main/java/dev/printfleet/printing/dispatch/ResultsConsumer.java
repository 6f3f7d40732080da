package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.JobResult;
import dev.printfleet.printing.jobs.JobState;
import dev.printfleet.printing.jobs.JobStore;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agents' results, sent point to point to one printing instance: written, then acknowledged. A
 * result for an unknown or already final job is acknowledged too, so the agent stops resending.
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
      message.reply(new JsonObject().put("recorded", false).put("reason", "not a job id"));
      return;
    }
    JobState outcome = "printed".equals(result.outcome()) ? JobState.PRINTED : JobState.FAILED;
    jobs.recordResult(id, result.company(), outcome, result.error())
        .onSuccess(recorded -> {
          recorded.ifPresent(r -> {
            if (r.dispatchWrittenWithIt()) {
              // Watchers see the contract's queued, dispatched, then the outcome, as the history has it.
              loop.publish(Optional.of(r.job().inState(JobState.DISPATCHED)));
            }
            loop.publish(Optional.of(r.job()));
          });
          message.reply(new JsonObject().put("recorded", recorded.isPresent()));
        })
        .onFailure(e -> {
          log.warn("Result not recorded job={}: {}", id, e.toString());
          message.fail(503, "result not recorded: " + e.getMessage());
        });
  }
}
