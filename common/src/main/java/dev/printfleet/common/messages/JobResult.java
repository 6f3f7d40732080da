package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Sent on {@link Addresses#PRINTING_RESULTS}: an agent's {@code job.result}. */
public record JobResult(
    String jobId, String agentId, String company, String outcome, String error, Instant at) {

  public static final int VERSION = 1;

  /**
   * The {@code reason} in printing's reply when the job was not dispatched to the reporting agent:
   * nothing was changed, and the gateway answers the agent {@code forbidden}.
   */
  public static final String NOT_DISPATCHED_TO_AGENT = "not_dispatched_to_agent";

  public JsonObject toJson() {
    var json =
        new JsonObject()
            .put("v", VERSION)
            .put("jobId", jobId)
            .put("agentId", agentId)
            .put("company", company)
            .put("outcome", outcome)
            .put("at", at.toEpochMilli());
    if (error != null) {
      json.put("error", error);
    }
    return json;
  }

  public static JobResult fromJson(JsonObject json) {
    return new JobResult(
        Json.requireString(json, "jobId"),
        Json.requireString(json, "agentId"),
        Json.requireString(json, "company"),
        Json.requireString(json, "outcome"),
        json.getString("error"),
        Json.instant(json, "at"));
  }
}
