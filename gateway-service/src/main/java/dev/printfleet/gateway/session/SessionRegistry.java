package dev.printfleet.gateway.session;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every open session of one gateway verticle (one event loop), whatever its transport: pings them,
 * closes the silent (1001) and the expired (4401), and takes its share of {@code
 * /health/websocket/metrics}, which {@link #toJson} adds up over the loops. Confined to its
 * verticle's event loop; the process-wide counts are in {@link SessionCounts}.
 */
public final class SessionRegistry {

  private final Vertx vertx;
  private final Duration pingInterval;
  private final Duration pongTimeout;

  /** Each open session and the timer that closes it when its token expires. */
  private final Map<Session, Long> open = new HashMap<>();

  private final int[] countByKind = new int[Session.Kind.values().length];
  private final SessionCounts counts;
  private long sweepTimer = -1;

  public SessionRegistry(
      Vertx vertx, Duration pingInterval, Duration pongTimeout, SessionCounts counts) {
    this.vertx = vertx;
    this.pingInterval = pingInterval;
    this.pongTimeout = pongTimeout;
    this.counts = counts;
  }

  /**
   * Sweeps every 25th of the ping interval (1 s by default): each sweep pings the sessions due,
   * about a 25th of them when they connected together (their phases are spread over the interval:
   * {@link BaseSession#pingIfDue}), and a ping is at most a sweep late.
   */
  public void start() {
    long tick = Math.max(100, Math.min(pingInterval.toMillis(), pongTimeout.toMillis()) / 25);
    sweepTimer = vertx.setPeriodic(tick, id -> sweep());
  }

  public void stop() {
    vertx.cancelTimer(sweepTimer);
  }

  /** Tracks a new session, and closes it when its token expires. */
  public void add(Session session) {
    long untilExpiry = Duration.between(Instant.now(), session.principal().expiresAt()).toMillis();
    long expiry =
        vertx.setTimer(
            Math.max(1, untilExpiry),
            id -> session.close(CloseCodes.TOKEN_EXPIRED, "token expired"));
    open.put(session, expiry);
    countByKind[session.kind().ordinal()]++;
    counts.opened(session);
  }

  /** Forgets a closed session; false when it was already forgotten. */
  public boolean remove(Session session) {
    Long expiry = open.remove(session);
    if (expiry == null) {
      return false;
    }
    countByKind[session.kind().ordinal()]--;
    counts.closed(session);
    vertx.cancelTimer(expiry);
    return true;
  }

  public int count(Session.Kind kind) {
    return countByKind[kind.ordinal()];
  }

  public int total() {
    return open.size();
  }

  private void sweep() {
    long now = System.nanoTime();
    long timeout = pongTimeout.toNanos();
    long interval = pingInterval.toNanos();
    for (Session session : List.copyOf(open.keySet())) {
      if (session.sincePongNanos(now) > timeout) {
        session.close(CloseCodes.GOING_AWAY, "no pong within " + pongTimeout.toSeconds() + " s");
      } else {
        session.pingIfDue(now, interval);
      }
    }
  }

  /** This loop's share of {@code /health/websocket/metrics}: sums, so loops add up. */
  public record Snapshot(
      int agents,
      int clients,
      int compressed,
      long messages,
      long ageNanos,
      Map<String, Integer> byCompany,
      Map<String, Integer> byBranch) {}

  public Snapshot snapshot() {
    long now = System.nanoTime();
    Map<String, Integer> byCompany = new HashMap<>();
    Map<String, Integer> byBranch = new HashMap<>();
    long messages = 0;
    long ageNanos = 0;
    int compressed = 0;
    for (Session session : open.keySet()) {
      if (session.compressed()) {
        compressed++;
      }
      var principal = session.principal();
      byCompany.merge(principal.company(), 1, Integer::sum);
      principal
          .branch()
          .ifPresent(b -> byBranch.merge(principal.company() + ":" + b, 1, Integer::sum));
      messages += session.messages();
      ageNanos += session.ageNanos(now);
    }
    return new Snapshot(
        count(Session.Kind.AGENT),
        count(Session.Kind.DASHBOARD),
        compressed,
        messages,
        ageNanos,
        byCompany,
        byBranch);
  }

  /**
   * The body of {@code GET /health/websocket/metrics} (PROTOCOL.md §4), over every loop's share.
   */
  public static JsonObject toJson(List<Snapshot> loops) {
    Map<String, Integer> byCompany = new TreeMap<>();
    Map<String, Integer> byBranch = new TreeMap<>();
    long messages = 0;
    long ageNanos = 0;
    int compressed = 0;
    int agents = 0;
    int clients = 0;
    for (Snapshot loop : loops) {
      loop.byCompany().forEach((k, n) -> byCompany.merge(k, n, Integer::sum));
      loop.byBranch().forEach((k, n) -> byBranch.merge(k, n, Integer::sum));
      messages += loop.messages();
      ageNanos += loop.ageNanos();
      compressed += loop.compressed();
      agents += loop.agents();
      clients += loop.clients();
    }
    int total = agents + clients;
    return new JsonObject()
        .put("totalConnections", total)
        .put("connectionsByRole", new JsonObject().put("agent", agents).put("client", clients))
        .put("compressedConnections", compressed)
        .put("connectionsByCompany", new JsonObject(new HashMap<>(byCompany)))
        .put("connectionsByBranch", new JsonObject(new HashMap<>(byBranch)))
        .put("avgMessagesPerConnection", total == 0 ? 0.0 : (double) messages / total)
        .put("avgConnectionDurationS", total == 0 ? 0.0 : ageNanos / 1e9 / total);
  }
}
