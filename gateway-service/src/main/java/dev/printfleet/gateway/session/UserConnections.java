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
 * sorted set per user, {@code connections:user:<company>:<sub>}, scored by when it expires on
 * Redis's own clock. A connection is admitted when fewer unexpired leases than the limit are left,
 * in one script, so two gateways cannot both take the last place. This instance renews its leases
 * while their sockets stay, gives them back when they close and all at once when it drains; a dead
 * instance's leases expire by themselves within the lease time. Every command names one key (Redis
 * Cluster takes no command or pipeline across slots).
 *
 * <p>Redis unavailable is not a reason to refuse a dashboard: the connection is admitted unchecked
 * (counted in {@code printfleet_gateway_user_limit_unchecked_total}, logged), and for {@link
 * #UNCHECKED_FOR} after a failure connections do not wait for Redis at all; their leases are
 * written at the next renewal.
 */
public final class UserConnections {

  private static final Logger log = LoggerFactory.getLogger(UserConnections.class);

  /** Redis's clock in milliseconds, the same for every gateway. */
  private static final String NOW =
      "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)";

  /**
   * KEYS[1] the user's set; ARGV limit, member, lease ms. Drops expired leases, then adds this one
   * when there is room: 1 added, 0 full.
   */
  private static final String ACQUIRE =
      NOW
          + " redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)"
          + " if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end"
          + " redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1";

  /** KEYS[1] the user's set; ARGV lease ms, then members: each lives another lease time. */
  private static final String RENEW =
      NOW
          + " for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1";

  /** Users renewed at once at most; the next ones wait for their answers. */
  private static final int RENEW_CHUNK = 200;

  /** How long an admission waits for Redis before it lets the connection in unchecked. */
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  /** After Redis failed a check, connections are let in unchecked this long without asking. */
  static final Duration UNCHECKED_FOR = Duration.ofSeconds(5);

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
  private volatile long uncheckedUntilNanos;

  /** This instance's leases: member → the user's key. */
  private final Map<String, String> held = new ConcurrentHashMap<>();

  /** Leases given back whose removal Redis did not take: tried again at the next renewal. */
  private final Map<String, String> unremoved = new ConcurrentHashMap<>();

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
    if (System.nanoTime() - uncheckedUntilNanos < 0) {
      unchecked.run();
      return Future.succeededFuture(hold(member, key));
    }
    return redis
        .send(
            Request.cmd(Command.EVAL)
                .arg(ACQUIRE)
                .arg(1)
                .arg(key)
                .arg(limit)
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
                uncheckedUntilNanos = System.nanoTime() + UNCHECKED_FOR.toNanos();
                if (warned.compareAndSet(false, true)) {
                  log.warn(
                      "Could not count a user's connections in Redis; admitting unchecked until it answers subject={}: {}",
                      principal.subject(),
                      ar.cause().toString());
                }
              } else {
                warned.set(false);
              }
              return Future.succeededFuture(hold(member, key));
            });
  }

  private Lease hold(String member, String key) {
    held.put(member, key);
    return () -> release(member);
  }

  private void release(String member) {
    String key = held.remove(member);
    if (key != null) {
      remove(key, List.of(member));
    }
  }

  /**
   * Gives back every lease of this instance (a drain: its dashboards are being closed and reconnect
   * elsewhere at once, before their closes are seen here).
   */
  public Future<Void> releaseAll() {
    Map<String, List<String>> byKey = new java.util.HashMap<>();
    for (String member : List.copyOf(held.keySet())) {
      String key = held.remove(member);
      if (key != null) {
        byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(member);
      }
    }
    List<Future<Void>> removals = new ArrayList<>();
    byKey.forEach((key, members) -> removals.add(remove(key, members)));
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
              members.forEach(member -> unremoved.put(member, key));
              log.debug("Leases not removed key={}: {}", key, e.toString());
            })
        .otherwiseEmpty();
  }

  /**
   * Every lease of this instance lives another lease time, and one Redis lost is written again: one
   * script per user, a chunk of users at a time. A lease given back while its renewal was out is
   * removed once more after it, so a renewal never keeps a closed socket's place.
   */
  private void renew() {
    Map<String, String> retry = Map.copyOf(unremoved);
    retry.keySet().forEach(unremoved::remove);
    Map<String, List<String>> toRemove = new java.util.HashMap<>();
    retry.forEach(
        (member, key) -> toRemove.computeIfAbsent(key, k -> new ArrayList<>()).add(member));
    toRemove.forEach(this::remove);

    Map<String, List<String>> byKey = new java.util.HashMap<>();
    held.forEach((member, key) -> byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(member));
    List<Map.Entry<String, List<String>>> users = List.copyOf(byKey.entrySet());
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < users.size(); from += RENEW_CHUNK) {
      var chunk = users.subList(from, Math.min(users.size(), from + RENEW_CHUNK));
      chain = chain.compose(v -> renew(chunk));
    }
    chain.onFailure(
        e -> log.warn("Connection leases not renewed leases={}: {}", held.size(), e.toString()));
  }

  private Future<Void> renew(List<Map.Entry<String, List<String>>> users) {
    List<Future<?>> renewals = new ArrayList<>(users.size());
    for (var user : users) {
      var request =
          Request.cmd(Command.EVAL).arg(RENEW).arg(1).arg(user.getKey()).arg(lease.toMillis());
      user.getValue().forEach(request::arg);
      renewals.add(
          redis
              .send(request)
              .onSuccess(
                  ok -> {
                    List<String> gone =
                        user.getValue().stream().filter(m -> !held.containsKey(m)).toList();
                    if (!gone.isEmpty()) {
                      remove(user.getKey(), gone);
                    }
                  }));
    }
    return Future.all(renewals).mapEmpty();
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
