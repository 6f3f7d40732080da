package dev.printfleet.gateway.channels;

import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.ChannelMessage;
import dev.printfleet.gateway.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts messages into their channels' history and out to every gateway (PROTOCOL.md §6): each
 * channel's last messages live in a Redis stream, {@code channel:<company>:<channel>}, at most the
 * history size of them and none older than the history's age; the stream id of a message is its
 * offset. A message is appended first and published on {@link Addresses#EVENTS_CHANNEL} after, so
 * every offset a subscriber is sent is already in the history.
 */
public final class ChannelPublisher {

  /**
   * KEYS[1] the stream; ARGV size, message JSON, age ms. Appends; drops what is past the size or
   * older than the age (on Redis's clock); the stream itself goes once nothing was added for the
   * age. Answers the new message's id.
   */
  private static final String APPEND =
      "local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'm', ARGV[2])"
          + " local t = redis.call('TIME')"
          + " local oldest = t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(ARGV[3])"
          + " if oldest > 0 then redis.call('XTRIM', KEYS[1], 'MINID', oldest) end"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[3]) return id";

  /**
   * One message to publish, checked already: its channel's full name inside the company, and {@code
   * {"event","data"}} encoded as the history keeps it.
   */
  public record Publication(String channel, String event, JsonObject data, String encoded) {}

  private final Vertx vertx;
  private final Redis redis;
  private final RedisSettings settings;
  private final GatewayConfig.ChannelHistories histories;

  public ChannelPublisher(
      Vertx vertx, Redis redis, RedisSettings settings, GatewayConfig.ChannelHistories histories) {
    this.vertx = vertx;
    this.redis = redis;
    this.settings = settings;
    this.histories = histories;
  }

  public static String historyKey(RedisSettings settings, String company, String channel) {
    return settings.key(
        "channel:" + URLEncoder.encode(company, StandardCharsets.UTF_8) + ":" + channel);
  }

  /**
   * Appends every message to its channel's history, in order (one pipeline per channel: Redis
   * Cluster takes none across keys), then publishes them in the order given; answers their offsets.
   * When Redis fails nothing is published (some messages of the batch may be in their history
   * already: publishing again is at least once).
   */
  public Future<List<String>> publish(
      String company, List<Publication> messages, java.time.Duration timeout) {
    Map<String, List<Integer>> byChannel = new LinkedHashMap<>();
    for (int i = 0; i < messages.size(); i++) {
      byChannel.computeIfAbsent(messages.get(i).channel(), c -> new ArrayList<>()).add(i);
    }
    String[] offsets = new String[messages.size()];
    List<Future<?>> appends = new ArrayList<>();
    byChannel.forEach(
        (channel, indexes) -> {
          String key = historyKey(settings, company, channel);
          GatewayConfig.ChannelHistory history = histories.of(channel);
          List<Request> batch = new ArrayList<>(indexes.size());
          for (int i : indexes) {
            Publication message = messages.get(i);
            batch.add(
                Request.cmd(Command.EVAL)
                    .arg(APPEND)
                    .arg(1)
                    .arg(key)
                    .arg(history.size())
                    .arg(message.encoded())
                    .arg(history.age().toMillis()));
          }
          appends.add(
              redis
                  .batch(batch)
                  .onSuccess(
                      replies -> {
                        for (int n = 0; n < replies.size(); n++) {
                          offsets[indexes.get(n)] = replies.get(n).toString();
                        }
                      }));
        });
    // A batch not written in time is never published: its caller was answered 503.
    return Future.all(appends)
        .timeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .map(
            done -> {
              for (int i = 0; i < messages.size(); i++) {
                Publication message = messages.get(i);
                vertx
                    .eventBus()
                    .publish(
                        Addresses.EVENTS_CHANNEL,
                        new ChannelMessage(
                                company,
                                message.channel(),
                                message.event(),
                                message.data(),
                                offsets[i])
                            .toJson());
              }
              return List.of(offsets);
            });
  }
}
