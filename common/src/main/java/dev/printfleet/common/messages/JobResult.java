package dev.printfleet.common.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sent on {@link Addresses#PRINTING_RESULTS}: an agent's {@code job.result}; or several, on {@link
 * Addresses#PRINTING_RESULT_BATCHES}.
 */
public record JobResult(
    String jobId, String agentId, String company, String outcome, String error, Instant at) {

  public static final int VERSION = 1;

  /**
   * The {@code reason} in printing's reply when the job was not dispatched to the reporting agent:
   * nothing was changed, and the gateway answers the agent {@code forbidden}.
   */
  public static final String NOT_DISPATCHED_TO_AGENT = "not_dispatched_to_agent";

  /** The most results in one message on {@link Addresses#PRINTING_RESULT_BATCHES}. */
  public static final int MAX_BATCH = 1_000;

  /**
   * The key of an element of a batch's reply whose result was not written (the database failed):
   * that result alone is sent again.
   */
  public static final String FAILED = "failed";

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

  /** Results for {@link Addresses#PRINTING_RESULT_BATCHES}, in the order the agents sent them. */
  public static JsonObject batchJson(List<JobResult> results) {
    if (results.isEmpty() || results.size() > MAX_BATCH) {
      throw new IllegalArgumentException(
          "1 to " + MAX_BATCH + " results in one message, not " + results.size());
    }
    var array = new JsonArray();
    results.forEach(r -> array.add(r.toJson()));
    return new JsonObject().put("v", VERSION).put("results", array);
  }

  /**
   * The results of a batch, still as JSON (each is read on its own, so one bad result fails only
   * itself).
   *
   * @throws IllegalArgumentException when it holds no list of results, or more than {@link
   *     #MAX_BATCH}
   */
  public static List<JsonObject> batchFromJson(JsonObject json) {
    JsonArray array;
    try {
      array = json.getJsonArray("results");
    } catch (ClassCastException e) {
      array = null;
    }
    if (array == null || array.isEmpty() || array.size() > MAX_BATCH) {
      throw new IllegalArgumentException(
          "a batch holds 1 to " + MAX_BATCH + " results in \"results\"");
    }
    List<JsonObject> results = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      Object each = array.getValue(i);
      results.add(each instanceof JsonObject result ? result : new JsonObject());
    }
    return results;
  }

  /** The reply to a batch: one answer per result, in the batch's order. */
  public static JsonObject batchReplies(List<JsonObject> replies) {
    return new JsonObject()
        .put("v", VERSION)
        .put("replies", new JsonArray(new ArrayList<>(replies)));
  }

  /**
   * The answers of a batch's reply.
   *
   * @throws IllegalArgumentException when it does not hold exactly {@code expected} answers
   */
  public static List<JsonObject> repliesFromJson(JsonObject json, int expected) {
    try {
      JsonArray array = json == null ? null : json.getJsonArray("replies");
      if (array == null || array.size() != expected) {
        throw new IllegalArgumentException(
            "a batch's reply holds "
                + (array == null ? "no" : array.size())
                + " answers, not "
                + expected);
      }
      List<JsonObject> replies = new ArrayList<>(expected);
      for (int i = 0; i < expected; i++) {
        replies.add(Objects.requireNonNull(array.getJsonObject(i), "an answer is null"));
      }
      return replies;
    } catch (ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("a batch's reply is malformed: " + e.getMessage(), e);
    }
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
