package dev.printfleet.gateway.channels;

import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.gateway.session.RedisLeases;
import dev.printfleet.gateway.session.Session;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who is subscribed to a room, across the cluster (PROTOCOL.md §6): every dashboard connection in a
 * room holds a member of the room's Redis sorted set {@code presence:<room>}, {@code
 * <user>|<session id>}, a lease this gateway renews while the connection stays in the room ({@link
 * RedisLeases}). A room is the hub's key, so it names the company. Thread-safe: the loops share
 * one.
 */
public final class ChannelPresence {

  /** How long a join waits for Redis before the subscribe is answered without a count. */
  static final Duration JOIN_TIMEOUT = Duration.ofSeconds(2);

  /** How long a presence read waits for Redis before it answers 503. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(2);

  /** Connections read (and users listed from them) per presence request, at most. */
  public static final int MAX_LISTED = 1_000;

  private final RedisLeases leases;
  private final RedisSettings settings;

  public ChannelPresence(Vertx vertx, Redis redis, RedisSettings settings, Duration lease) {
    this.leases = new RedisLeases(vertx, redis, lease, "Presence leases");
    this.settings = settings;
  }

  public void start() {
    leases.start();
  }

  public void stop() {
    leases.stop();
  }

  /**
   * The session is in the room: answers the room's connections counted with it, or fails when Redis
   * did not answer in time (the next renewal writes it then).
   */
  public Future<Long> join(Session session, String room) {
    return leases.add(key(room), member(session), 0, JOIN_TIMEOUT);
  }

  /** The session left the room (or closed). */
  public void leave(Session session, String room) {
    leases.release(key(room), member(session));
  }

  /** Every presence of this instance goes (a drain). */
  public Future<Void> leaveAll() {
    return leases.releaseAll();
  }

  /**
   * {@code {"connections": N, "users": [{"user","connections"}], "truncated"}}: the users of the
   * first {@link #MAX_LISTED} connections, sorted by id.
   */
  public Future<JsonObject> read(String room) {
    return leases
        .list(key(room), MAX_LISTED, READ_TIMEOUT)
        .map(
            members -> {
              Map<String, Integer> perUser = new TreeMap<>();
              for (String member : members.first()) {
                int bar = member.indexOf('|');
                if (bar > 0) {
                  perUser.merge(
                      URLDecoder.decode(member.substring(0, bar), StandardCharsets.UTF_8),
                      1,
                      Integer::sum);
                }
              }
              var users = new JsonArray();
              perUser.forEach(
                  (user, count) ->
                      users.add(new JsonObject().put("user", user).put("connections", count)));
              return new JsonObject()
                  .put("connections", members.count())
                  .put("users", users)
                  .put("truncated", members.count() > members.first().size());
            });
  }

  private String key(String room) {
    return settings.key("presence:" + room);
  }

  private static String member(Session session) {
    return URLEncoder.encode(session.principal().subject(), StandardCharsets.UTF_8)
        + "|"
        + session.id();
  }
}
