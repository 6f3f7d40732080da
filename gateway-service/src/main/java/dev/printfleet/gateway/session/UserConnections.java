package dev.printfleet.gateway.session;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many sockets one user holds across the cluster ({@code
 * PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER}, PROTOCOL.md §2): each socket holds a lease in a Redis
 * sorted set per user, {@code connections:user:<company>:<sub>}, scored by when it expires. A
 * connection is admitted when fewer unexpired leases than the limit are left, in one script, so two
 * gateways cannot both take the last place. This instance renews its leases while their sockets
 * stay and removes them when they close; a dead instance's leases expire by themselves within the
 * lease time.
 *
 * <p>Redis unavailable is not a reason to refuse a dashboard: the connection is admitted unchecked
 * (counted in {@code printfleet_gateway_user_limit_unchecked_total}, logged), and its lease is
 * written at the next renewal.
 */
public final class UserConnections {

  private static final Logger log = LoggerFactory.getLogger(UserConnections.class);

  /**
   * KEYS[1] the user's set; ARGV now, limit, expiry, member, lease ms. Drops expired leases, then
   * adds this one when there is room: 1 added, 0 full.
   */
  private static final String ACQUIRE =
      "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])"
          + " if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end"
          + " redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[5]) return 1";

  /** Leases renewed in one pipeline at most. */
  private static final int RENEW_BATCH = 500;

  /** How long an admission waits for Redis before it lets the connection in unchecked. */
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  /** One socket's place; {@link #release} is safe to call more than once. */
  public interface Lease {
    Lease NONE = () -> {};

    void release();
  }

  private final Vertx vertx;
  private final Redis redis;
  private final RedisSettings settings;
  private final String instanceId;
  private final int limit;
  private final Duration lease;
  private final Runnable unchecked;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicBoolean warned = new AtomicBoolean();

  /** This instance's leases: member → the user's key. */
  private final Map<String, String> held = new ConcurrentHashMap<>();

  private long timer = -1;

  /**
   * @param limit sockets per user across the cluster; 0 for no limit
   * @param lease how long a lease lives without a renewal (renewed every third of it)
   * @param unchecked counts an admission Redis could not check
   */
  public UserConnections(
      Vertx vertx,
      Redis redis,
      RedisSettings settings,
      String instanceId,
      int limit,
      Duration lease,
      Runnable unchecked) {
    this.vertx = vertx;
    this.redis = redis;
    this.settings = settings;
    this.instanceId = instanceId;
    this.limit = limit;
    this.lease = lease;
    this.unchecked = unchecked;
  }

  public int limit() {
    return limit;
  }

  public void start() {
    if (limit > 0) {
      timer = vertx.setPeriodic(Math.max(1_000, lease.toMillis() / 3), id -> renew());
    }
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  /**
   * A lease for one more socket of this user, or a failed future ({@link TooManyConnections}) when
   * the user holds {@link #limit} already.
   */
  public Future<Lease> acquire(Principal principal) {
    if (limit <= 0) {
      return Future.succeededFuture(Lease.NONE);
    }
    String key = key(principal);
    String member = instanceId + ":" + sequence.incrementAndGet();
    long now = System.currentTimeMillis();
    return redis
        .send(
            Request.cmd(Command.EVAL)
                .arg(ACQUIRE)
                .arg(1)
                .arg(key)
                .arg(now)
                .arg(limit)
                .arg(now + lease.toMillis())
                .arg(member)
                .arg(lease.toMillis()))
        .timeout(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .transform(
            ar -> {
              if (ar.succeeded() && ar.result() != null && ar.result().toInteger() == 0) {
                return Future.failedFuture(new TooManyConnections(limit));
              }
              if (ar.failed()) {
                unchecked.run();
                if (warned.compareAndSet(false, true)) {
                  log.warn(
                      "Could not count a user's connections in Redis; admitting unchecked until it answers subject={}: {}",
                      principal.subject(),
                      ar.cause().toString());
                }
              } else {
                warned.set(false);
              }
              held.put(member, key);
              return Future.succeededFuture(() -> release(member));
            });
  }

  private void release(String member) {
    String key = held.remove(member);
    if (key != null) {
      remove(key, member);
    }
  }

  private void remove(String key, String member) {
    redis
        .send(Request.cmd(Command.ZREM).arg(key).arg(member))
        .onFailure(e -> log.debug("Lease not removed member={}: {}", member, e.toString()));
  }

  /**
   * Every lease of this instance lives another lease time, and one Redis lost is written again: in
   * pipelined batches one after the other. A lease given back while its batch was out is removed
   * once more after it, so a renewal never keeps a closed socket's place.
   */
  private void renew() {
    List<Map.Entry<String, String>> leases = List.copyOf(held.entrySet());
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < leases.size(); from += RENEW_BATCH) {
      var chunk = leases.subList(from, Math.min(leases.size(), from + RENEW_BATCH));
      chain =
          chain.compose(
              v -> {
                long expiry = System.currentTimeMillis() + lease.toMillis();
                List<Request> batch = new ArrayList<>(2 * chunk.size());
                for (var entry : chunk) {
                  batch.add(
                      Request.cmd(Command.ZADD)
                          .arg(entry.getValue())
                          .arg(expiry)
                          .arg(entry.getKey()));
                  batch.add(
                      Request.cmd(Command.PEXPIRE).arg(entry.getValue()).arg(lease.toMillis()));
                }
                return redis
                    .batch(batch)
                    .onSuccess(
                        replies ->
                            chunk.stream()
                                .filter(entry -> !held.containsKey(entry.getKey()))
                                .forEach(entry -> remove(entry.getValue(), entry.getKey())))
                    .mapEmpty();
              });
    }
    chain.onFailure(
        e -> log.warn("Connection leases not renewed leases={}: {}", held.size(), e.toString()));
  }

  private String key(Principal principal) {
    return settings.key(
        "connections:user:" + encode(principal.company()) + ":" + encode(principal.subject()));
  }

  private static String encode(String part) {
    return URLEncoder.encode(part, StandardCharsets.UTF_8);
  }

  /**
   * The user holds as many sockets as the limit allows (HTTP 429, {@code too_many_connections}).
   */
  public static final class TooManyConnections extends RuntimeException {
    public TooManyConnections(int limit) {
      super(
          "this user holds "
              + limit
              + " connections already (PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER); close one first",
          null,
          false,
          false);
    }
  }
}
