package dev.printfleet.gateway.channels;

import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads a channel's history (PROTOCOL.md §6) a page at a time, for a subscriber recovering what it
 * missed after an offset it had.
 */
public final class ChannelHistory {

  /** One message of the history. */
  public record Entry(Offset offset, String event, JsonObject data) {}

  /** How long a page may take before the recovery gives up on it. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

  private final Redis redis;
  private final RedisSettings settings;

  public ChannelHistory(Redis redis, RedisSettings settings) {
    this.redis = redis;
    this.settings = settings;
  }

  /**
   * At most {@code count} messages of a channel's history from {@code from} on, that offset
   * included, in order. The first is {@code from} itself while the history still holds it: when it
   * is not, messages after it may be gone.
   */
  public Future<List<Entry>> page(String company, String channel, Offset from, int count) {
    return redis
        .send(
            Request.cmd(Command.XRANGE)
                .arg(ChannelPublisher.historyKey(settings, company, channel))
                .arg(from.toString())
                .arg("+")
                .arg("COUNT")
                .arg(count))
        .timeout(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(ChannelHistory::entries);
  }

  private static List<Entry> entries(Response reply) {
    List<Entry> entries = new ArrayList<>();
    if (reply == null) {
      return entries;
    }
    for (Response item : reply) {
      Offset at = Offset.parse(item.get(0).toString());
      Response fields = item.get(1);
      JsonObject message = null;
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        if ("m".equals(fields.get(i).toString())) {
          message = new JsonObject(fields.get(i + 1).toString());
        }
      }
      if (at != null && message != null) {
        entries.add(
            new Entry(
                at, message.getString("event"), message.getJsonObject("data", new JsonObject())));
      }
    }
    return entries;
  }
}
