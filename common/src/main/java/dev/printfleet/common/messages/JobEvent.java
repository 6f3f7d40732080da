package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Published on {@link Addresses#EVENTS_JOB} after a job's state change is written. */
public record JobEvent(
    String jobId,
    String printerId,
    String company,
    String branch,
    String state,
    int attempts,
    String error,
    Instant at) {

  public static final int VERSION = 1;

  public JsonObject toJson() {
    var json =
        new JsonObject()
            .put("v", VERSION)
            .put("jobId", jobId)
            .put("printerId", printerId)
            .put("company", company)
            .put("branch", branch)
            .put("state", state)
            .put("attempts", attempts)
            .put("at", at.toEpochMilli());
    if (error != null) {
      json.put("error", error);
    }
    return json;
  }

  public static JobEvent fromJson(JsonObject json) {
    return new JobEvent(
        Json.requireString(json, "jobId"),
        Json.requireString(json, "printerId"),
        Json.requireString(json, "company"),
        Json.requireString(json, "branch"),
        Json.requireString(json, "state"),
        json.getInteger("attempts", 0),
        json.getString("error"),
        Json.instant(json, "at"));
  }
}
