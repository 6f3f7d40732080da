package dev.printfleet.gateway.session;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.config.RedisSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many sockets one user holds across the cluster ({@code
 * PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER}, PROTOCOL.md §2): each socket holds a lease in a Redis
 * sorted set per user, {@code connections:user:<company>:<sub>}, scored by when it expires on
 * Redis's own clock. A connection is admitted when fewer unexpired leases than the limit are left,
 * in one script, so two gateways cannot both take the last place ({@link RedisLeases}: renewed
 * while their sockets stay, given back when they close and all at once at a drain, expired by
 * themselves when their instance died).
 *
 * <p>Redis unavailable is not a reason to refuse a dashboard: the connection is admitted unchecked
 * (counted in {@code printfleet_gateway_user_limit_unchecked_total}, logged), and for {@link
 * #UNCHECKED_FOR} after a failure connections do not wait for Redis at all; their leases are
 * written at the next renewal.
 */
public final class UserConnections {

  private static final Logger log = LoggerFactory.getLogger(UserConnections.class);

  /** How long an admission waits for Redis before it lets the connection in unchecked. */
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  /** After Redis failed a check, connections are let in unchecked this long without asking. */
  static final Duration UNCHECKED_FOR = Duration.ofSeconds(5);

  /** One socket's place; {@link #release} is safe to call more than once. */
  public interface Lease {
    Lease NONE = () -> {};

    void release();
  }

  private final RedisLeases leases;
  private final RedisSettings settings;
  private final String instanceId;
  private final int limit;
  private final Runnable unchecked;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicBoolean warned = new AtomicBoolean();
  private volatile long uncheckedUntilNanos;

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
    this.leases = new RedisLeases(vertx, redis, lease, "Connection leases");
    this.settings = settings;
    this.instanceId = instanceId;
    this.limit = limit;
    this.unchecked = unchecked;
  }

  public int limit() {
    return limit;
  }

  public void start() {
    if (limit > 0) {
      leases.start();
    }
  }

  public void stop() {
    leases.stop();
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
      leases.hold(key, member);
      return Future.succeededFuture(() -> leases.release(key, member));
    }
    return leases
        .add(key, member, limit, CHECK_TIMEOUT)
        .transform(
            ar -> {
              if (ar.succeeded() && ar.result() == 0) {
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
              return Future.succeededFuture(() -> leases.release(key, member));
            });
  }

  /**
   * Gives back every lease of this instance (a drain: its dashboards are being closed and reconnect
   * elsewhere at once, before their closes are seen here).
   */
  public Future<Void> releaseAll() {
    return leases.releaseAll();
  }

  private String key(Principal principal) {
    return settings.key(
        "connections:user:" + encode(principal.company()) + ":" + encode(principal.subject()));
  }

  static String encode(String part) {
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
