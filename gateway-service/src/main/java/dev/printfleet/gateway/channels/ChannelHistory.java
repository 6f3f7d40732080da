package dev.printfleet.gateway.channels;

import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.history.PrintingHistory;
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
 * missed after an offset it had: a published channel's stream, or a company's printing events
 * ({@link PrintingHistory}), which its company and branch channels share.
 */
public final class ChannelHistory {

  /**
   * One message of the history: a channel's event and data, or a printing entry, whose data holds
   * its {@code events} ({@code type} and {@code data}, which names the branch).
   */
  public record Entry(Offset offset, String event, JsonObject data) {}

  /**
   * A first page of a company's printing events; whether the client's offset is still there; the
   * offset of the company's latest gap (or null).
   */
  public record PrintingStart(List<Entry> page, boolean holdsSince, Offset gap) {}

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
    return read(ChannelPublisher.historyKey(settings, company, channel), from, count);
  }

  /** The same for a company's printing events, its company and branch channels' history. */
  public Future<List<Entry>> printingPage(String company, Offset from, int count) {
    return read(PrintingHistory.streamKey(settings, company), from, count);
  }

  /**
   * A first page of a company's printing events from {@code from} and, in the same pipeline,
   * whether the client's offset {@code since} is still there and the company's latest gap: no
   * recovery starts before it ({@link PrintingHistory}).
   */
  public Future<PrintingStart> printingStart(String company, Offset from, Offset since, int count) {
    String stream = PrintingHistory.streamKey(settings, company);
    return redis
        .batch(
            List.of(
                range(stream, from, count),
                range(stream, since, 1),
                Request.cmd(Command.GET).arg(PrintingHistory.gapKey(settings, company))))
        .timeout(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(
            replies -> {
              List<Entry> exact = entries(replies.get(1));
              return new PrintingStart(
                  entries(replies.get(0)),
                  !exact.isEmpty() && exact.get(0).offset().equals(since),
                  replies.get(2) == null ? null : Offset.parse(replies.get(2).toString()));
            });
  }

  private Future<List<Entry>> read(String key, Offset from, int count) {
    return redis
        .send(range(key, from, count))
        .timeout(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .map(ChannelHistory::entries);
  }

  private static Request range(String key, Offset from, int count) {
    return Request.cmd(Command.XRANGE)
        .arg(key)
        .arg(from.toString())
        .arg("+")
        .arg("COUNT")
        .arg(count);
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
        if (PrintingHistory.FIELD.equals(fields.get(i).toString())) {
          message = new JsonObject(fields.get(i + 1).toString());
        }
      }
      if (at != null && message != null) {
        entries.add(
            new Entry(
                at,
                message.getString("event"),
                // A printing entry: {"events": [{"type", "data"}, ...]}, each naming its branch.
                message.containsKey("events")
                    ? new JsonObject().put("events", message.getJsonArray("events"))
                    : message.getJsonObject("data", new JsonObject())));
      }
    }
    return entries;
  }
}
