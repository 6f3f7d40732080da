package dev.printfleet.gateway.session;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Places this instance holds in Redis sorted sets, one member per place, each scored by when it
 * expires on Redis's own clock: a user's sockets ({@link UserConnections}), a channel's subscribers
 * (presence). This instance renews its members every third of the lease time and writes again one
 * that Redis lost; it removes them when they are given back, and all at once when it drains. A dead
 * instance's members expire by themselves within the lease time: every read drops expired ones
 * first. Every command names one key (Redis Cluster takes no command or pipeline across slots).
 * Thread-safe: the gateway's loops share one.
 */
public final class RedisLeases {

  private static final Logger log = LoggerFactory.getLogger(RedisLeases.class);

  /** Redis's clock in milliseconds, the same for every gateway. */
  private static final String NOW =
      "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)";

  /**
   * KEYS[1] the set; ARGV limit (0: none), member, lease ms. Drops expired members, then adds this
   * one when there is room: the members counted after it, or 0 when full.
   */
  private static final String ADD =
      NOW
          + " redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)"
          + " local limit = tonumber(ARGV[1])"
          + " if limit > 0 and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end"
          + " redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[3]) return redis.call('ZCARD', KEYS[1])";

  /** KEYS[1] the set; ARGV lease ms, then members: each lives another lease time. */
  private static final String RENEW =
      NOW
          + " for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1";

  /**
   * KEYS[1] the set; ARGV how many members at most. Drops expired members: {count, members (the
   * first ARGV[1])}.
   */
  private static final String LIST =
      NOW
          + " redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)"
          + " return {redis.call('ZCARD', KEYS[1]),"
          + " redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)}";

  /** Sets renewed at once at most; the next ones wait for their answers. */
  private static final int RENEW_CHUNK = 200;

  private final Vertx vertx;
  private final Redis redis;
  private final Duration lease;
  private final String what;

  /** One member of the set at {@code key}. */
  private record Place(String key, String member) {}

  /**
   * This instance's members, by their set's key: one entry per key, its members the strings the
   * callers hold (a session's one member string serves all its rooms).
   */
  private final Map<String, Set<String>> held = new ConcurrentHashMap<>();

  /** Members given back whose removal Redis did not take: tried again at the next renewal. */
  private final Set<Place> unremoved = ConcurrentHashMap.newKeySet();

  private long timer = -1;

  /**
   * @param lease how long a member lives without a renewal
   * @param what what the members are, for the logs ("connection leases")
   */
  public RedisLeases(Vertx vertx, Redis redis, Duration lease, String what) {
    this.vertx = vertx;
    this.redis = redis;
    this.lease = lease;
    this.what = what;
  }

  /** A set's members counted, and the first ones of them. */
  public record Members(long count, List<String> first) {}

  public void start() {
    timer = vertx.setPeriodic(Math.max(1_000, lease.toMillis() / 3), id -> renew());
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  /**
   * Adds {@code member} to the set at {@code key} when it holds fewer than {@code limit} (0: no
   * limit): answers how many it holds then, or 0 when it was full. Held from then on, unless full:
   * also when Redis did not answer within {@code timeout} (the future fails then, and the next
   * renewal writes the member).
   */
  public Future<Long> add(String key, String member, int limit, Duration timeout) {
    return redis
        .send(
            Request.cmd(Command.EVAL)
                .arg(ADD)
                .arg(1)
                .arg(key)
                .arg(limit)
                .arg(member)
                .arg(lease.toMillis()))
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .transform(
            ar -> {
              long count = ar.succeeded() && ar.result() != null ? ar.result().toLong() : -1;
              if (count != 0) {
                hold(key, member);
              }
              return ar.succeeded()
                  ? Future.succeededFuture(count)
                  : Future.failedFuture(ar.cause());
            });
  }

  /** Holds {@code member} without asking Redis now: the next renewal writes it. */
  public void hold(String key, String member) {
    // Atomic with a release's removal of an emptied set: a member is never added to a dropped one.
    held.compute(
        key,
        (k, members) -> {
          // Most sets hold one or two of this instance's members: a small table each.
          Set<String> set = members == null ? ConcurrentHashMap.newKeySet(2) : members;
          set.add(member);
          return set;
        });
  }

  private boolean holds(String key, String member) {
    Set<String> members = held.get(key);
    return members != null && members.contains(member);
  }

  /** Gives a member back; safe to call more than once. */
  public void release(String key, String member) {
    boolean[] removed = new boolean[1];
    held.computeIfPresent(
        key,
        (k, members) -> {
          removed[0] = members.remove(member);
          return members.isEmpty() ? null : members;
        });
    if (removed[0]) {
      remove(key, List.of(member));
    }
  }

  /** The unexpired members of a set: how many, and the first {@code max} of them. */
  public Future<Members> list(String key, int max, Duration timeout) {
    return redis
        .send(Request.cmd(Command.EVAL).arg(LIST).arg(1).arg(key).arg(max))
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .map(
            answer -> {
              List<String> members = new ArrayList<>();
              for (Response member : answer.get(1)) {
                members.add(member.toString());
              }
              return new Members(answer.get(0).toLong(), members);
            });
  }

  /** Gives back every member of this instance (a drain). */
  public Future<Void> releaseAll() {
    List<Future<Void>> removals = new ArrayList<>();
    for (String key : List.copyOf(held.keySet())) {
      Set<String> members = held.remove(key);
      if (members != null && !members.isEmpty()) {
        removals.add(remove(key, List.copyOf(members)));
      }
    }
    return Future.join(removals).mapEmpty();
  }

  private Future<Void> remove(String key, List<String> members) {
    var zrem = Request.cmd(Command.ZREM).arg(key);
    members.forEach(zrem::arg);
    return redis
        .send(zrem)
        .<Void>mapEmpty()
        .onFailure(
            e -> {
              members.forEach(member -> unremoved.add(new Place(key, member)));
              log.debug("{} not removed key={}: {}", what, key, e.toString());
            })
        .otherwiseEmpty();
  }

  /**
   * Every member of this instance lives another lease time, and one Redis lost is written again:
   * one script per set, a chunk of sets at a time. A member given back while its renewal was out is
   * removed once more after it, so a renewal never keeps a closed place.
   */
  private void renew() {
    List<Place> retry = List.copyOf(unremoved);
    retry.forEach(unremoved::remove);
    bySet(retry).forEach(this::remove);

    List<Map.Entry<String, List<String>>> sets = new ArrayList<>();
    held.forEach((key, members) -> sets.add(Map.entry(key, List.copyOf(members))));
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < sets.size(); from += RENEW_CHUNK) {
      var chunk = sets.subList(from, Math.min(sets.size(), from + RENEW_CHUNK));
      chain = chain.compose(v -> renew(chunk));
    }
    chain.onFailure(
        e -> log.warn("{} not renewed in {} sets: {}", what, sets.size(), e.toString()));
  }

  private static Map<String, List<String>> bySet(java.util.Collection<Place> places) {
    Map<String, List<String>> byKey = new HashMap<>();
    places.forEach(
        place -> byKey.computeIfAbsent(place.key(), k -> new ArrayList<>()).add(place.member()));
    return byKey;
  }

  private Future<Void> renew(List<Map.Entry<String, List<String>>> sets) {
    List<Future<?>> renewals = new ArrayList<>(sets.size());
    for (var set : sets) {
      var request =
          Request.cmd(Command.EVAL).arg(RENEW).arg(1).arg(set.getKey()).arg(lease.toMillis());
      set.getValue().forEach(request::arg);
      renewals.add(
          redis
              .send(request)
              .onSuccess(
                  ok -> {
                    List<String> gone =
                        set.getValue().stream().filter(m -> !holds(set.getKey(), m)).toList();
                    if (!gone.isEmpty()) {
                      remove(set.getKey(), gone);
                    }
                  }));
    }
    return Future.all(renewals).mapEmpty();
  }
}
