package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Field reads shared by the message records: a missing required field is a clear error. */
final class Json {

  private Json() {}

  static String requireString(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException(
          "message field '" + field + "' is missing or not a string");
    }
    return s;
  }

  static Instant instant(JsonObject json, String field) {
    Long millis = json.getLong(field);
    return millis == null ? Instant.EPOCH : Instant.ofEpochMilli(millis);
  }
}
