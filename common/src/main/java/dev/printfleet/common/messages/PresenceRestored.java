package dev.printfleet.common.messages;

import dev.printfleet.common.presence.AgentKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Sent on {@link Addresses#PRINTING_AGENTS} by a gateway whose agents' presence entries were
 * missing and are written again (Redis lost them): their queued jobs can reach them again. At most
 * {@link #MAX_AGENTS} agents a message; a gateway holding more sends several.
 */
public record PresenceRestored(String instanceId, List<AgentKey> agents) {

  public static final int VERSION = 1;
  public static final String KIND = "PRESENCE_RESTORED";
  public static final int MAX_AGENTS = 1000;

  public PresenceRestored {
    if (agents.size() > MAX_AGENTS) {
      throw new IllegalArgumentException(
          "at most " + MAX_AGENTS + " agents a message, got " + agents.size());
    }
    agents = List.copyOf(agents);
  }

  public static boolean is(JsonObject json) {
    return KIND.equals(json.getString("kind"));
  }

  public JsonObject toJson() {
    var list = new JsonArray();
    agents.forEach(
        a -> list.add(new JsonObject().put("company", a.company()).put("agentId", a.agentId())));
    return new JsonObject()
        .put("v", VERSION)
        .put("kind", KIND)
        .put("instanceId", instanceId)
        .put("agents", list);
  }

  public static PresenceRestored fromJson(JsonObject json) {
    JsonArray list = json.getJsonArray("agents", new JsonArray());
    return new PresenceRestored(
        Json.requireString(json, "instanceId"),
        list.stream()
            .map(o -> (JsonObject) o)
            .map(
                o ->
                    new AgentKey(
                        Json.requireString(o, "company"), Json.requireString(o, "agentId")))
            .toList());
  }
}
