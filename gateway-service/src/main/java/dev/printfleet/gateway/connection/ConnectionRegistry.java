package dev.printfleet.gateway.connection;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every open connection of one gateway verticle (one event loop): pings them, closes the silent
 * (1001) and the expired (4401), and takes its share of {@code /health/websocket/metrics}, which
 * {@link #toJson} adds up over the loops. Confined to its verticle's event loop; the process-wide
 * counts are in {@link ConnectionCounts}.
 */
public final class ConnectionRegistry {

  private final Vertx vertx;
  private final Duration pingInterval;
  private final Duration pongTimeout;
  private final Map<String, Connection> open = new HashMap<>();
  private final int[] countByKind = new int[Connection.Kind.values().length];
  private final ConnectionCounts counts;
  private long sweepTimer = -1;

  public ConnectionRegistry(
      Vertx vertx, Duration pingInterval, Duration pongTimeout, ConnectionCounts counts) {
    this.vertx = vertx;
    this.pingInterval = pingInterval;
    this.pongTimeout = pongTimeout;
    this.counts = counts;
  }

  public void start() {
    long tick = Math.max(100, Math.min(pingInterval.toMillis(), pongTimeout.toMillis()) / 5);
    sweepTimer = vertx.setPeriodic(tick, id -> sweep());
  }

  public void stop() {
    vertx.cancelTimer(sweepTimer);
  }

  /** Tracks a new connection: pongs, and a close at token expiry. */
  public void add(Connection connection) {
    open.put(connection.id(), connection);
    countByKind[connection.kind().ordinal()]++;
    counts.opened(connection.kind());
    connection.socket().pongHandler(b -> connection.pong(System.nanoTime()));
    long untilExpiry =
        Duration.between(Instant.now(), connection.principal().expiresAt()).toMillis();
    connection.expiryTimer(
        vertx.setTimer(
            Math.max(1, untilExpiry),
            id -> connection.close(CloseCodes.TOKEN_EXPIRED, "token expired")));
  }

  /** Forgets a closed connection; false when it was already forgotten. */
  public boolean remove(Connection connection) {
    connection.markClosed();
    if (open.remove(connection.id()) == null) {
      return false;
    }
    countByKind[connection.kind().ordinal()]--;
    counts.closed(connection.kind());
    vertx.cancelTimer(connection.expiryTimer());
    return true;
  }

  public int count(Connection.Kind kind) {
    return countByKind[kind.ordinal()];
  }

  public int total() {
    return open.size();
  }

  private void sweep() {
    long now = System.nanoTime();
    long timeout = pongTimeout.toNanos();
    long interval = pingInterval.toNanos();
    for (Connection connection : List.copyOf(open.values())) {
      if (connection.sincePongNanos(now) > timeout) {
        connection.close(CloseCodes.GOING_AWAY, "no pong within " + pongTimeout.toSeconds() + " s");
      } else {
        connection.pingIfDue(now, interval);
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
    for (Connection connection : open.values()) {
      if (connection.compressed()) {
        compressed++;
      }
      var principal = connection.principal();
      byCompany.merge(principal.company(), 1, Integer::sum);
      principal
          .branch()
          .ifPresent(b -> byBranch.merge(principal.company() + ":" + b, 1, Integer::sum));
      messages += connection.messages();
      ageNanos += connection.ageNanos(now);
    }
    return new Snapshot(
        count(Connection.Kind.AGENT),
        count(Connection.Kind.CLIENT),
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
