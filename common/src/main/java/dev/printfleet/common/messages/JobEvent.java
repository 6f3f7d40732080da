package dev.printfleet.common.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's state change, once written. Published on {@link Addresses#EVENTS_JOB} in batches
 * ({@link #batchJson}: {@code {"v":1,"events":[...]}}, in the order written); a message holding one
 * event alone (the shape before batches) is still read.
 */
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

  /** At most this many events in one message. */
  public static final int MAX_BATCH = 1_000;

  public static JsonObject batchJson(List<JobEvent> events) {
    if (events.size() > MAX_BATCH) {
      throw new IllegalArgumentException("at most " + MAX_BATCH + " job events in one message, not " + events.size());
    }
    var array = new JsonArray();
    events.forEach(e -> array.add(e.toJson()));
    return new JsonObject().put("v", VERSION).put("events", array);
  }

  /** The events of a message: a batch, or one event alone. */
  public static List<JobEvent> listFromJson(JsonObject json) {
    JsonArray array = json.getJsonArray("events");
    if (array == null) {
      return List.of(fromJson(json));
    }
    if (array.size() > MAX_BATCH) {
      throw new IllegalArgumentException("a batch of " + array.size() + " job events, over " + MAX_BATCH);
    }
    List<JobEvent> events = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      events.add(fromJson(array.getJsonObject(i)));
    }
    return events;
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
