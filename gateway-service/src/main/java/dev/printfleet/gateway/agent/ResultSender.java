package dev.printfleet.gateway.agent;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.JobResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agents' results leave an event loop together: the results read in one turn of the loop (from
 * every socket that had frames) go to one printing instance in one message on {@link
 * Addresses#PRINTING_RESULT_BATCHES}, answered result by result. A lone result goes on {@link
 * Addresses#PRINTING_RESULTS} as before, so light load sees no change, and nothing waits for a
 * timer. Two clustered messages per result (the request and its reply) were a large share of a
 * job's event-bus work.
 *
 * <p>What a batch cannot settle goes again on its own, as a lone result would, with the attempts it
 * has left: a result the database failed (answered {@link JobResult#FAILED}), and every result of a
 * batch that failed whole (timed out, or no printing instance reads batches yet: printing of the
 * version before, in a rolling upgrade). A result written twice is a duplicate, acknowledged as
 * such. Confined to its event loop.
 */
final class ResultSender {

  private static final Logger log = LoggerFactory.getLogger(ResultSender.class);

  private record Waiting(JobResult result, Promise<JsonObject> reply) {}

  private final Vertx vertx;
  private final Context context;
  private final AgentDirectory directory;
  private final int attempts;
  private final long timeoutMs;
  private List<Waiting> turn = new ArrayList<>();

  /**
   * @param attempts how often a result is sent before its agent is told to send it again
   * @param timeoutMs how long each attempt waits for printing's answer
   */
  ResultSender(
      Vertx vertx, Context context, AgentDirectory directory, int attempts, long timeoutMs) {
    this.vertx = vertx;
    this.context = context;
    this.directory = directory;
    this.attempts = attempts;
    this.timeoutMs = timeoutMs;
  }

  /** Printing's answer to this result ({@code recorded}, {@code reason}), once it is written. */
  Future<JsonObject> send(JobResult result) {
    Promise<JsonObject> reply = Promise.promise();
    turn.add(new Waiting(result, reply));
    if (turn.size() == 1) {
      // Queued behind the reads of this turn, so it runs once they are done.
      context.runOnContext(v -> flush());
    } else if (turn.size() == JobResult.MAX_BATCH) {
      flush();
    }
    return reply.future();
  }

  private void flush() {
    if (turn.isEmpty()) {
      return;
    }
    List<Waiting> batch = turn;
    turn = new ArrayList<>();
    if (batch.size() == 1) {
      alone(batch.get(0), attempts);
      return;
    }
    vertx
        .eventBus()
        .<JsonObject>request(
            Addresses.PRINTING_RESULT_BATCHES,
            JobResult.batchJson(batch.stream().map(Waiting::result).toList()),
            new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(reply -> JobResult.repliesFromJson(reply.body(), batch.size()))
        .onSuccess(
            replies -> {
              for (int i = 0; i < batch.size(); i++) {
                JsonObject answer = replies.get(i);
                Waiting waiting = batch.get(i);
                if (answer.containsKey(JobResult.FAILED)) {
                  alone(waiting, attempts - 1);
                } else {
                  // One caller's handler that throws must not leave the others unanswered.
                  try {
                    waiting.reply().complete(answer);
                  } catch (RuntimeException e) {
                    log.error("A handler of a result's answer failed", e);
                  }
                }
              }
            })
        .onFailure(
            e -> {
              boolean noReader =
                  e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS;
              if (!noReader) {
                log.warn(
                    "A batch of results not answered results={}, each is sent again: {}",
                    batch.size(),
                    e.toString());
              }
              // No reader of batches: printing of the version before; each goes alone, with all
              // its attempts.
              for (Waiting waiting : batch) {
                try {
                  alone(waiting, noReader ? attempts : attempts - 1);
                } catch (RuntimeException failed) {
                  log.error("A result not sent again", failed);
                }
              }
            });
  }

  private void alone(Waiting waiting, int attemptsLeft) {
    if (attemptsLeft < 1) {
      waiting.reply().fail("the result was not recorded after " + attempts + " attempts");
      return;
    }
    directory
        .requestPrinting(
            Addresses.PRINTING_RESULTS, waiting.result().toJson(), attemptsLeft, timeoutMs)
        .onComplete(waiting.reply());
  }
}
