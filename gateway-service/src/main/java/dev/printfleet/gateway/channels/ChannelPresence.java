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
 * <company>:<user>|<session id>} (percent-encoded), a lease this gateway renews while the
 * connection stays in the room ({@link RedisLeases}). A room is the hub's key, so it names the
 * company. Thread-safe: the loops share one.
 */
public final class ChannelPresence {

  /** How long a join waits for Redis before the subscribe is answered without a count. */
  static final Duration JOIN_TIMEOUT = Duration.ofSeconds(2);

  /** How long a presence read waits for Redis before it answers 503. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(2);

  /** After Redis failed a join, joins do not wait for it this long. */
  static final Duration UNCHECKED_FOR = Duration.ofSeconds(5);

  /** Connections read (and users listed from them) per presence request, at most. */
  public static final int MAX_LISTED = 1_000;

  private final RedisLeases leases;
  private final RedisSettings settings;
  private volatile long uncheckedUntilNanos = System.nanoTime() - 1;

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

  /** A session's member in the rooms it joins: made once per session, shared by its rooms. */
  public static String member(Session session) {
    return encode(session.principal().company())
        + ":"
        + encode(session.principal().subject())
        + "|"
        + session.id();
  }

  /**
   * The member is in the room: answers the room's connections counted with it, or fails when Redis
   * did not answer in time (the next renewal writes it then). After a failure, joins do not wait
   * for Redis for {@link #UNCHECKED_FOR}: they fail at once, written at the next renewal.
   */
  public Future<Long> join(String member, String room) {
    if (System.nanoTime() - uncheckedUntilNanos < 0) {
      leases.hold(key(room), member);
      return Future.failedFuture("Redis did not answer a presence join lately");
    }
    return leases
        .add(key(room), member, 0, JOIN_TIMEOUT)
        .onFailure(e -> uncheckedUntilNanos = System.nanoTime() + UNCHECKED_FOR.toNanos());
  }

  /** The member left the room (or its session closed). */
  public void leave(String member, String room) {
    leases.release(key(room), member);
  }

  /** Every presence of this instance goes (a drain). */
  public Future<Void> leaveAll() {
    return leases.releaseAll();
  }

  /**
   * {@code {"connections": N, "users": [{"user","connections"}], "truncated"}}: every connection
   * counted, and the users of {@code company} among the first {@link #MAX_LISTED} listed, sorted by
   * id. Another company's user in the room (an admin watching) is counted, never named.
   */
  public Future<JsonObject> read(String room, String company) {
    String ours = encode(company) + ":";
    return leases
        .list(key(room), MAX_LISTED, READ_TIMEOUT)
        .map(
            members -> {
              Map<String, Integer> perUser = new TreeMap<>();
              for (String member : members.first()) {
                int bar = member.indexOf('|');
                if (bar > ours.length() && member.startsWith(ours)) {
                  perUser.merge(
                      URLDecoder.decode(
                          member.substring(ours.length(), bar), StandardCharsets.UTF_8),
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

  private static String encode(String part) {
    return URLEncoder.encode(part, StandardCharsets.UTF_8);
  }
}
