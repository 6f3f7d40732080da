package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.JobResult;
import dev.printfleet.printing.jobs.JobState;
import dev.printfleet.printing.jobs.JobStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agents' results, sent point to point to one printing instance: written, then acknowledged. A
 * result for a job already final that was this agent's is acknowledged too (a duplicate), so the
 * agent stops resending; a result for a job not leased to this agent changes nothing and is
 * answered with the reason {@link JobResult#NOT_DISPATCHED_TO_AGENT}, which the gateway turns into
 * {@code forbidden}. A gateway sends the results one of its event loops read in one turn together
 * ({@link #handleBatch}).
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
    recordAny(message.body())
        .onSuccess(message::reply)
        .onFailure(e -> message.fail(503, "result not recorded: " + e.getMessage()));
  }

  /**
   * A batch ({@link Addresses#PRINTING_RESULT_BATCHES}): each result is written as a lone one would
   * be, and the reply answers each in order; a result the database failed is answered {@link
   * JobResult#FAILED} alone, so the gateway sends only that one again.
   */
  public void handleBatch(Message<JsonObject> message) {
    List<JsonObject> results;
    try {
      if (message.body() == null) {
        throw new IllegalArgumentException("a batch without a body");
      }
      results = JobResult.batchFromJson(message.body());
    } catch (IllegalArgumentException e) {
      log.warn("A batch of results refused: {}", e.getMessage());
      message.fail(400, e.getMessage());
      return;
    }
    List<Future<JsonObject>> replies = new ArrayList<>(results.size());
    for (JsonObject result : results) {
      replies.add(
          recordAny(result)
              .recover(
                  e ->
                      Future.succeededFuture(
                          new JsonObject().put(JobResult.FAILED, String.valueOf(e.getMessage())))));
    }
    Future.all(replies)
        .onComplete(
            done ->
                message.reply(
                    JobResult.batchReplies(replies.stream().map(Future::result).toList())));
  }

  /** {@link #record}, with whatever it throws as its failure: one result fails only itself. */
  private Future<JsonObject> recordAny(JsonObject body) {
    try {
      return record(body);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Writes one result: the reply's {@code recorded}, and {@code reason} when the job was not leased
   * to the agent (or the result does not read: no job is changed). Fails when the database did.
   */
  private Future<JsonObject> record(JsonObject body) {
    JobResult result;
    UUID id;
    try {
      result = JobResult.fromJson(body == null ? new JsonObject() : body);
      id = UUID.fromString(result.jobId());
    } catch (IllegalArgumentException | ClassCastException e) {
      return Future.succeededFuture(
          new JsonObject().put("recorded", false).put("reason", JobResult.NOT_DISPATCHED_TO_AGENT));
    }
    JobState outcome = "printed".equals(result.outcome()) ? JobState.PRINTED : JobState.FAILED;
    return jobs.recordResult(id, result.company(), result.agentId(), outcome, result.error())
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
            })
        .onFailure(e -> log.warn("Result not recorded job={}: {}", id, e.toString()));
  }
}
