package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;

/**
 * The gateway's reply to a request on {@link Addresses#gateway(String)}: the agent's answer, or why
 * there is none ({@code not_found}: the agent is not connected there; {@code timeout}; {@code
 * unavailable}: the gateway is draining or full; or the agent's own error code).
 *
 * @param notSent the gateway's own failure, not the agent's answer: the job never reached the
 *     agent, or the agent went away from this gateway before answering. Printing re-queues such a
 *     job for the agent's next location, without using an attempt or counting against the printer.
 */
public record AgentReply(
    boolean ok, JsonObject data, String code, String message, boolean notSent) {

  public static final int VERSION = 1;

  /**
   * The gateway refused a dispatch at once because the agent's socket is behind (its write queue is
   * full, or too much dispatched content waits for its answer): not a failure of the printer, so
   * the job waits a little without using an attempt.
   */
  public static final String BUSY = "busy";

  /** The first reply to a {@link DispatchRequest}: the frame is written, see its two steps. */
  public static AgentReply written() {
    return answered(new JsonObject().put("written", true));
  }

  public boolean isWritten() {
    return ok && data != null && data.getBoolean("written", false);
  }

  public boolean isBusy() {
    return !ok && BUSY.equals(code);
  }

  public static AgentReply answered(JsonObject data) {
    return new AgentReply(true, data, null, null, false);
  }

  public static AgentReply failed(String code, String message) {
    return new AgentReply(false, null, code, message, false);
  }

  /** A failure of the route to the agent (see {@code notSent}), never of the printer. */
  public static AgentReply notSent(String code, String message) {
    return new AgentReply(false, null, code, message, true);
  }

  public JsonObject toJson() {
    var json = new JsonObject().put("v", VERSION).put("ok", ok);
    if (ok) {
      json.put("data", data == null ? new JsonObject() : data);
    } else {
      json.put("code", code).put("message", message);
      if (notSent) {
        json.put("notSent", true);
      }
    }
    return json;
  }

  public static AgentReply fromJson(JsonObject json) {
    boolean ok = json.getBoolean("ok", false);
    return ok
        ? answered(json.getJsonObject("data", new JsonObject()))
        : new AgentReply(
            false,
            null,
            json.getString("code", "unavailable"),
            json.getString("message", ""),
            json.getBoolean("notSent", false));
  }
}
