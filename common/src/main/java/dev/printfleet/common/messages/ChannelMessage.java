package dev.printfleet.common.messages;

import io.vertx.core.json.JsonObject;

/**
 * A message published to a channel of a company (PROTOCOL.md §6), as it goes from the gateway that
 * took it to every gateway on {@link Addresses#EVENTS_CHANNEL}: already in the channel's history,
 * under {@code offset}.
 *
 * @param channel {@code <namespace>:<kind>:<id>}, inside {@code company}
 * @param offset the message's place in the channel's history (a Redis stream id)
 */
public record ChannelMessage(
    String company, String channel, String event, JsonObject data, String offset) {

  public static final int VERSION = 1;

  public JsonObject toJson() {
    return new JsonObject()
        .put("v", VERSION)
        .put("company", company)
        .put("channel", channel)
        .put("event", event)
        .put("data", data)
        .put("offset", offset);
  }

  public static ChannelMessage fromJson(JsonObject json) {
    return new ChannelMessage(
        Json.requireString(json, "company"),
        Json.requireString(json, "channel"),
        Json.requireString(json, "event"),
        json.getJsonObject("data", new JsonObject()),
        Json.requireString(json, "offset"));
  }
}
