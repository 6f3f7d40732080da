package dev.printfleet.common.messages;

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
