package dev.printfleet.monitoring.alerts;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One alert: a kind (what is wrong), a subject (where), a message for the SRE. {@code since} is
 * when it fired; {@code clearedAt} is set once its cause is gone.
 */
public record Alert(
    String kind,
    String subject,
    String severity,
    String message,
    Instant since,
    Instant clearedAt) {

  public static final String INSTANCE_DOWN = "instance_down";
  public static final String MEMORY_HIGH = "memory_high";
  public static final String CPU_HIGH = "cpu_high";
  public static final String ERROR_RATE = "error_rate";
  public static final String CIRCUIT_OPEN = "circuit_open";
  public static final String AGENT_OFFLINE = "agent_offline";
  public static final String RECONNECT_STORM = "reconnect_storm";
  public static final String CLUSTER_STATE_LOST = "cluster_state_lost";

  public static Alert firing(String kind, String subject, String severity, String message) {
    return new Alert(kind, subject, severity, message, null, null);
  }

  /** Identifies the alert while it lasts: one per kind and subject. */
  public String key() {
    return kind + "|" + subject;
  }

  public Alert since(Instant at) {
    return new Alert(kind, subject, severity, message, at, clearedAt);
  }

  public Alert withMessage(String text) {
    return new Alert(kind, subject, severity, text, since, clearedAt);
  }

  public Alert cleared(Instant at) {
    return new Alert(kind, subject, severity, message, since, at);
  }

  public JsonObject toJson() {
    var json =
        new JsonObject()
            .put("kind", kind)
            .put("subject", subject)
            .put("severity", severity)
            .put("message", message)
            .put("since", since == null ? null : since.toString());
    if (clearedAt != null) {
      json.put("clearedAt", clearedAt.toString());
    }
    return json;
  }

  public static Alert fromJson(JsonObject json) {
    String since = json.getString("since");
    String cleared = json.getString("clearedAt");
    return new Alert(
        json.getString("kind"),
        json.getString("subject"),
        json.getString("severity"),
        json.getString("message"),
        since == null ? null : Instant.parse(since),
        cleared == null ? null : Instant.parse(cleared));
  }
}
