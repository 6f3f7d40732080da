package dev.printfleet.common.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Events that travel several to a message, {@code {"v":1,"events":[...]}} in the order they
 * happened: one clustered message per event, to every instance, costs more than the event. A
 * message holding one event alone (the shape before batches) still reads.
 */
final class EventBatch {

  private EventBatch() {}

  static <T> JsonObject toJson(
      List<T> events, Function<T, JsonObject> encode, int max, String kind) {
    if (events.size() > max) {
      throw new IllegalArgumentException(
          "at most " + max + " " + kind + " in one message, not " + events.size());
    }
    var array = new JsonArray();
    events.forEach(e -> array.add(encode.apply(e)));
    return new JsonObject().put("v", 1).put("events", array);
  }

  static <T> List<T> fromJson(
      JsonObject json, Function<JsonObject, T> decode, int max, String kind) {
    JsonArray array = json.getJsonArray("events");
    if (array == null) {
      return List.of(decode.apply(json));
    }
    if (array.size() > max) {
      throw new IllegalArgumentException(
          "a batch of " + array.size() + " " + kind + ", over " + max);
    }
    List<T> events = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      events.add(decode.apply(array.getJsonObject(i)));
    }
    return events;
  }
}
