package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * A job's state change, once written. Published on {@link Addresses#EVENTS_JOB} in batches ({@link
 * #batchJson}, in the order written; see {@link EventBatch}).
 */
public record JobEvent(
    String jobId,
    String printerId,
    String company,
    String branch,
    String state,
    int attempts,
    String error,
    Instant at,
    String offset) {

  public static final int VERSION = 1;

  /** An event not in the history yet (its producer appends it, then publishes it with offset). */
  public JobEvent(
      String jobId,
      String printerId,
      String company,
      String branch,
      String state,
      int attempts,
      String error,
      Instant at) {
    this(jobId, printerId, company, branch, state, attempts, error, at, null);
  }

  /** The same event at its place in its company's printing history (null: not kept). */
  public JobEvent withOffset(String historyOffset) {
    return new JobEvent(
        jobId, printerId, company, branch, state, attempts, error, at, historyOffset);
  }

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
    if (offset != null) {
      json.put("offset", offset);
    }
    return json;
  }

  /** At most this many events in one message. */
  public static final int MAX_BATCH = 1_000;

  public static JsonObject batchJson(List<JobEvent> events) {
    return EventBatch.toJson(events, JobEvent::toJson, MAX_BATCH, "job events");
  }

  /** The events of a message: a batch, or one event alone. */
  public static List<JobEvent> listFromJson(JsonObject json) {
    return EventBatch.fromJson(json, JobEvent::fromJson, MAX_BATCH, "job events");
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
        Json.instant(json, "at"),
        json.getString("offset"));
  }
}
