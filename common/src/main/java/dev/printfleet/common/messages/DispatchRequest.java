package dev.printfleet.common.messages;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Sent to {@link Addresses#gateway(String)} with action {@link #ACTION}: forward a job to the agent
 * as {@code job.dispatch}. The agent is named by company and agent id: agent ids are unique only
 * within a company.
 *
 * <p>Answered in two steps, so the gateway never keeps the request (and the job's content in it)
 * while the agent takes its time: the gateway writes the frame and replies {@link
 * AgentReply#written()} with {@code replyAndRequest}; the sender replies to that with an empty
 * follow-up, and the gateway answers the follow-up with the agent's answer. A refusal (agent not
 * here, {@link AgentReply#BUSY}, draining) is a plain one-step failed reply.
 *
 * <p>A sender may allow one step instead: with the header {@link #ANSWER_WITHIN_HEADER} (ms, at
 * most {@link #MAX_ANSWER_WITHIN_MS}), a gateway that gets the agent's answer within that time
 * after writing the frame replies with that answer at once, marked with the header {@link
 * #ANSWERED_HEADER}, and there is no follow-up; past that time it replies {@code written} as above.
 * An agent that answers at once (most do) then costs two messages on the event bus instead of four,
 * and the gateway keeps the content no longer than that. A gateway that does not know the header
 * replies {@code written} at once, so either side may be upgraded first.
 */
public record DispatchRequest(
    String jobId,
    String company,
    String agentId,
    String printerId,
    String contentType,
    String content,
    int copies,
    Instant createdAt) {

  public static final int VERSION = 1;
  public static final String ACTION = "job.dispatch";

  /** Request header: how long (ms) the gateway may wait for the agent's answer to reply once. */
  public static final String ANSWER_WITHIN_HEADER = "answer-within-ms";

  /** Reply header: this reply is the agent's answer, its frame was written; no follow-up. */
  public static final String ANSWERED_HEADER = "answered";

  /** The longest wait a gateway grants: it keeps the request, content included, that long. */
  public static final long MAX_ANSWER_WITHIN_MS = 1_000;

  /**
   * The wait a request's headers ask for, bounded by {@link #MAX_ANSWER_WITHIN_MS}; 0 (reply {@code
   * written} at once) when absent or not a number.
   */
  public static long answerWithinMs(MultiMap headers) {
    String value = headers.get(ANSWER_WITHIN_HEADER);
    if (value == null) {
      return 0;
    }
    try {
      return Math.max(0, Math.min(MAX_ANSWER_WITHIN_MS, Long.parseLong(value.strip())));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("v", VERSION)
        .put("jobId", jobId)
        .put("company", company)
        .put("agentId", agentId)
        .put("printerId", printerId)
        .put("contentType", contentType)
        .put("content", content)
        .put("copies", copies)
        .put("createdAt", createdAt.toEpochMilli());
  }

  public static DispatchRequest fromJson(JsonObject json) {
    return new DispatchRequest(
        Json.requireString(json, "jobId"),
        Json.requireString(json, "company"),
        Json.requireString(json, "agentId"),
        Json.requireString(json, "printerId"),
        Json.requireString(json, "contentType"),
        Json.requireString(json, "content"),
        json.getInteger("copies", 1),
        Json.instant(json, "createdAt"));
  }
}
