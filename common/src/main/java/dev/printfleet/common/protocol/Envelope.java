package dev.printfleet.common.protocol;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One WebSocket frame of PROTOCOL.md §2: {@code {"type", "id", "data"}}, or for an error response
 * {@code {"type":"response", "id", "error":{"code","message"}}}.
 */
public record Envelope(String type, String id, JsonObject data, ErrorBody error) {

  public static final String RESPONSE = "response";
  public static final String ERROR = "error";

  /** The contract's error codes (§2.4). */
  public enum Code {
    BAD_JSON("bad_json"),
    BAD_ENVELOPE("bad_envelope"),
    UNKNOWN_TYPE("unknown_type"),
    INVALID_DATA("invalid_data"),
    FORBIDDEN("forbidden"),
    RATE_LIMITED("rate_limited"),
    NOT_FOUND("not_found"),
    UNAVAILABLE("unavailable"),
    TIMEOUT("timeout");

    private final String wire;

    Code(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  public record ErrorBody(String code, String message) {
    public JsonObject toJson() {
      return new JsonObject().put("code", code).put("message", message);
    }
  }

  /** Thrown by {@link #parse} with the code the server answers with. */
  public static final class ParseException extends Exception {
    private final Code code;
    private final String id;

    public ParseException(Code code, String message, String id) {
      super(message, null, false, false);
      this.code = code;
      this.id = id;
    }

    public Code code() {
      return code;
    }

    /** The frame's id when it could be read, so the error can answer the request. */
    public String id() {
      return id;
    }
  }

  public static Envelope event(String type, JsonObject data) {
    return new Envelope(type, null, data, null);
  }

  public static Envelope request(String type, String id, JsonObject data) {
    return new Envelope(type, id, data, null);
  }

  public static Envelope response(String id, JsonObject data) {
    return new Envelope(RESPONSE, id, data, null);
  }

  public static Envelope errorResponse(String id, Code code, String message) {
    return new Envelope(RESPONSE, id, null, new ErrorBody(code.wire(), message));
  }

  /** The {@code error} event for a frame without an id; {@code ref} names the offending id. */
  public static Envelope errorEvent(Code code, String message, String ref) {
    var data = new JsonObject().put("code", code.wire()).put("message", message);
    if (ref != null) {
      data.put("ref", ref);
    }
    return event(ERROR, data);
  }

  public boolean isResponse() {
    return RESPONSE.equals(type);
  }

  /**
   * The data as plain Java values: maps, lists, strings, numbers, booleans and nulls, with no
   * {@code JsonObject} or {@code JsonArray} at any depth, for checks that take no Vert.x type. A
   * frame parsed from text is already plain and is returned as it is; data built in code, or
   * copied, is converted.
   */
  public Map<String, Object> plainData() {
    return plainMap(data.getMap());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> plainMap(Map<String, Object> map) {
    Map<String, Object> copy = null;
    for (var entry : map.entrySet()) {
      Object value = entry.getValue();
      Object plain = plain(value);
      if (plain != value && copy == null) {
        copy = new LinkedHashMap<>(map);
      }
      if (copy != null) {
        copy.put(entry.getKey(), plain);
      }
    }
    return copy == null ? map : copy;
  }

  private static List<Object> plainList(List<Object> list) {
    List<Object> copy = null;
    for (int i = 0; i < list.size(); i++) {
      Object value = list.get(i);
      Object plain = plain(value);
      if (plain != value && copy == null) {
        copy = new ArrayList<>(list);
      }
      if (copy != null) {
        copy.set(i, plain);
      }
    }
    return copy == null ? list : copy;
  }

  @SuppressWarnings("unchecked")
  private static Object plain(Object value) {
    if (value instanceof JsonObject object) {
      return plainMap(new LinkedHashMap<>(object.getMap()));
    }
    if (value instanceof JsonArray array) {
      return plainList(new ArrayList<>(array.getList()));
    }
    if (value instanceof Map<?, ?> map) {
      return plainMap((Map<String, Object>) map);
    }
    if (value instanceof List<?> list) {
      return plainList((List<Object>) list);
    }
    return value;
  }

  public JsonObject toJson() {
    var json = new JsonObject().put("type", type);
    if (id != null) {
      json.put("id", id);
    }
    if (data != null) {
      json.put("data", data);
    }
    if (error != null) {
      json.put("error", error.toJson());
    }
    return json;
  }

  public String encode() {
    return toJson().encode();
  }

  /** Reads a text frame; a frame that is not an envelope throws with the code to answer. */
  public static Envelope parse(String text) throws ParseException {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ParseException(Code.BAD_JSON, "frame is not a JSON object", null);
    }
    Object id = json.getValue("id");
    if (id != null && !(id instanceof String)) {
      throw new ParseException(Code.BAD_ENVELOPE, "id must be a string", null);
    }
    String idText = (String) id;
    Object type = json.getValue("type");
    if (!(type instanceof String typeText) || typeText.isBlank()) {
      throw new ParseException(Code.BAD_ENVELOPE, "type is required and must be a string", idText);
    }
    Object data = json.getValue("data");
    if (data != null && !(data instanceof JsonObject)) {
      throw new ParseException(Code.BAD_ENVELOPE, "data must be an object", idText);
    }
    ErrorBody error = null;
    if (json.getValue("error") instanceof JsonObject e) {
      error = new ErrorBody(e.getString("code", ""), e.getString("message", ""));
    }
    return new Envelope(
        typeText, idText, data == null ? new JsonObject() : (JsonObject) data, error);
  }
}
