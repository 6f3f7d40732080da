package dev.printfleet.common.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.RegistrationInfo;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's part of the cluster state in Redis, and drops members that died.
 *
 * <p>Redis holds the cluster's membership (one entry per node, with a 30 s TTL the node refreshes
 * every 15 s) and its event bus subscriptions. Redis loses data in production (a restart without
 * persistence, a failover to a replica that lagged, a {@code FLUSHALL}); the cluster manager never
 * notices, and without its subscriptions a node's consumers are unreachable for good. So every
 * {@code interval}, and at once when Redis answers again after a failed check, the guard reads the
 * catalog and compares it with what this node put there: its own node entry and its cluster-wide
 * registrations (tracked by {@link TrackingRedisClusterManager}). What is missing it puts back, the
 * registrations with their own sequence numbers; re-adding one publishes its address, so every
 * other node refreshes its cache of that address. Then it tells the {@linkplain #onHealed
 * listeners}, so services can rewrite what they keep in Redis themselves.
 *
 * <p>A node that dies without leaving is dropped by the guard too (Redisson's eviction of expired
 * entries backs off to once every 30 minutes). After a loss, though, every other node has vanished
 * from the catalog just like a dead one: dropping them would delete their freshly healed
 * subscriptions and clear the caches. {@link DeadNodeRule} therefore drops a member only when it
 * stayed missing over several consecutive checks, none of them while this node's own state was
 * missing, and not within a grace period (a few checks) after a loss or a failed check, long enough
 * for the live peers' guards to put their entries back.
 *
 * <p>The catalog entry of a node that died lives on 15 to 30 s after its death (30 s after its last
 * refresh), and until it is dropped every other node keeps sending it its share of the messages of
 * the addresses it served. Vert.x does not fail such a request when the connection is refused: it
 * waits out the request's timeout. So each check also connects to every other member's event bus
 * server (one short connection per member and check, none while the last one to that member is
 * still open). A refused connection means that nothing listens there any more, whatever Redis
 * holds: a member refused in {@value #REFUSALS} checks in a row is dropped at once. A connection
 * that times out or finds no route proves nothing (a partition, a host or pod gone) and leaves the
 * member to the catalog's expiry.
 *
 * <p>A drop deletes the member's subscriptions from Redis for every node. A live member dropped all
 * the same (a firewall that rejects this node alone) is unreachable until its own next check finds
 * them missing and puts them back, as after a loss: it logs that WARN, counts a heal and tells its
 * listeners. This node probes it no more, and leaves it to the catalog should it die later.
 */
public final class ClusterGuard {

  private static final Logger log = LoggerFactory.getLogger(ClusterGuard.class);

  /** How soon a failed check is retried, so a reconnect is noticed at once. */
  private static final Duration RETRY = Duration.ofMillis(500);

  /** Readings a member must be missing from before it is dropped. */
  private static final int CONFIRMATIONS = 3;

  /** Checks without any drop after a loss or a failed check. */
  private static final int GRACE_CHECKS = 5;

  /** Checks in a row in which a member's event bus refused the connection before it is dropped. */
  static final int REFUSALS = 2;

  /** How long a connection to a member's event bus may take before the probe gives up on it. */
  private static final int PROBE_TIMEOUT_MS = 1_000;

  /** Bounds {@link #droppedByProbe} should the catalog never report those members gone. */
  private static final int MAX_DROPPED = 1_024;

  /** What one check found missing and put back. */
  public record Loss(boolean nodeEntry, Set<String> addresses, Instant at) {}

  private final Vertx vertx;
  private final TrackingRedisClusterManager manager;
  private final Duration interval;
  private final DeadNodeRule deadNodes;
  private final List<Handler<Loss>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong nodeHeals = new AtomicLong();
  private final AtomicLong subscriptionHeals = new AtomicLong();
  private volatile String unrestored;
  private volatile Instant lastLossAt;
  private volatile boolean lastCheckFailed;
  private volatile String lastCheckError;
  private boolean stopped;

  /** Per member: the checks in a row in which its event bus refused the connection. */
  private final Map<String, Integer> refusedFor = new ConcurrentHashMap<>();

  /** Members dropped because they refused connections, until the catalog reports them gone too. */
  private final Set<String> droppedByProbe = ConcurrentHashMap.newKeySet();

  /** Members whose probe has not finished: at most one at a time each. */
  private final Set<String> probing = ConcurrentHashMap.newKeySet();

  /** Where each member's event bus listens, as the catalog said. */
  private final Map<String, NodeInfo> eventBuses = new ConcurrentHashMap<>();

  private NetClient probes;

  private ClusterGuard(Vertx vertx, TrackingRedisClusterManager manager, Duration interval) {
    this.vertx = vertx;
    this.manager = manager;
    this.interval = interval;
    this.deadNodes = new DeadNodeRule(CONFIRMATIONS, interval.multipliedBy(GRACE_CHECKS));
  }

  /** Starts guarding when the Vert.x instance runs on the tracking Redis cluster manager. */
  static void start(Vertx vertx, Duration interval) {
    if (vertx instanceof VertxInternal internal
        && internal.getClusterManager() instanceof TrackingRedisClusterManager manager) {
      var guard = new ClusterGuard(vertx, manager, interval);
      manager.guard(guard);
      guard.schedule(interval);
    }
  }

  /** The guard of a clustered Vert.x built by {@link ClusterBootstrap}, if any. */
  public static Optional<ClusterGuard> of(Vertx vertx) {
    if (vertx instanceof VertxInternal internal
        && internal.getClusterManager() instanceof TrackingRedisClusterManager manager) {
      return Optional.ofNullable(manager.guard());
    }
    return Optional.empty();
  }

  /**
   * Calls {@code listener} after each loss that was healed, on the context of the caller (a
   * verticle's event loop), so it may rewrite what the service keeps in Redis.
   */
  public void onHealed(Handler<Loss> listener) {
    Context context = vertx.getOrCreateContext();
    listeners.add(loss -> context.runOnContext(v -> listener.handle(loss)));
  }

  /**
   * For an instance about to leave: takes its subscriptions out of Redis while its consumers go on
   * answering, so that what the other nodes send before their caches learn of it still finds a
   * handler. Closing Vert.x alone closes the event bus server right after the unregistration: a
   * request sent in that window meets a refused connection and waits out its whole timeout. Nothing
   * is healed back afterwards.
   */
  public Future<Void> withdraw() {
    return manager.withdraw();
  }

  /** What is missing from Redis and could not be put back, while that lasts. */
  public Optional<String> unrestored() {
    return Optional.ofNullable(unrestored);
  }

  /**
   * Why this node's cluster state is not known to be in Redis, if it is not: missing and not put
   * back, or the last check could not read Redis. Nothing while the last check found it whole or
   * healed it.
   */
  public Optional<String> problem() {
    if (unrestored != null) {
      return Optional.of(unrestored);
    }
    if (lastCheckFailed) {
      return Optional.of("cluster state could not be read from Redis: " + lastCheckError);
    }
    return Optional.empty();
  }

  /** When this node last found its state missing from Redis, if ever. */
  public Optional<Instant> lastLossAt() {
    return Optional.ofNullable(lastLossAt);
  }

  /** How many times this node's entry was put back. */
  public long nodeHeals() {
    return nodeHeals.get();
  }

  /** How many times this node's lost subscriptions were put back. */
  public long subscriptionHeals() {
    return subscriptionHeals.get();
  }

  private void schedule(Duration delay) {
    if (!stopped) {
      vertx.setTimer(delay.toMillis(), id -> check());
    }
  }

  private void check() {
    if (!manager.isActive()) {
      stopped = true;
      return;
    }
    Map<String, Set<RegistrationInfo>> own = manager.ownRegistrations();
    Future<Set<String>> members =
        vertx.executeBlocking(() -> Set.copyOf(manager.getNodes()), false);
    members
        .compose(nodes -> missingRegistrations(own).map(missing -> new Reading(nodes, missing)))
        .compose(this::act)
        .onComplete(
            done -> {
              if (done.failed()) {
                if (!lastCheckFailed && !(done.cause() instanceof NotRestored)) {
                  log.info(
                      "Cluster state could not be read from Redis, retrying every {} ms: {}",
                      RETRY.toMillis(),
                      brief(done.cause()));
                }
                lastCheckFailed = true;
                lastCheckError = brief(done.cause());
                deadNodes.distrust(Instant.now());
                schedule(RETRY);
              } else {
                if (lastCheckFailed) {
                  log.info("Cluster state read from Redis again node={}", manager.getNodeId());
                }
                lastCheckFailed = false;
                schedule(interval);
              }
            });
  }

  private record Reading(Set<String> nodes, Map<String, Set<RegistrationInfo>> missing) {}

  /** This node's registrations that Redis no longer holds, by address. */
  private Future<Map<String, Set<RegistrationInfo>>> missingRegistrations(
      Map<String, Set<RegistrationInfo>> own) {
    Map<String, Set<RegistrationInfo>> missing = new TreeMap<>();
    List<Future<?>> reads = new ArrayList<>();
    own.forEach(
        (address, infos) -> {
          Promise<List<RegistrationInfo>> stored = Promise.promise();
          // From Redis itself: the manager's own answers would still list what Redis lost.
          manager.storedRegistrations(address, stored);
          reads.add(
              stored
                  .future()
                  .onSuccess(
                      found -> {
                        Set<RegistrationInfo> gone = new HashSet<>(infos);
                        found.forEach(gone::remove);
                        if (!gone.isEmpty()) {
                          synchronized (missing) {
                            missing.put(address, gone);
                          }
                        }
                      }));
        });
    return Future.all(reads).map(all -> missing);
  }

  private Future<Void> act(Reading reading) {
    boolean nodeMissing = !reading.nodes().contains(manager.getNodeId());
    if (!nodeMissing && reading.missing().isEmpty()) {
      if (unrestored != null) {
        log.info("Cluster state of this node is whole again node={}", manager.getNodeId());
        unrestored = null;
      }
      dropDead(reading.nodes());
      probe(reading.nodes());
      return Future.succeededFuture();
    }
    Instant now = Instant.now();
    deadNodes.distrust(now);
    List<Future<?>> heals = new ArrayList<>();
    if (nodeMissing) {
      NodeInfo info = manager.getNodeInfo();
      Promise<Void> put = Promise.promise();
      manager.setNodeInfo(info, put);
      heals.add(put.future());
    }
    Set<String> addresses = new TreeSet<>();
    reading
        .missing()
        .forEach(
            (address, infos) ->
                infos.forEach(
                    info -> {
                      // One removed since the reading stays removed.
                      if (manager.owns(address, info)) {
                        addresses.add(address);
                        Promise<Void> added = Promise.promise();
                        manager.addRegistration(address, info, added);
                        heals.add(added.future());
                      }
                    }));
    if (!nodeMissing && addresses.isEmpty()) {
      return Future.succeededFuture();
    }
    String what =
        (nodeMissing ? "node entry" : "")
            + (nodeMissing && !addresses.isEmpty() ? " and " : "")
            + (addresses.isEmpty() ? "" : "subscriptions " + addresses);
    return Future.all(heals)
        .onSuccess(
            all -> {
              if (nodeMissing) {
                nodeHeals.incrementAndGet();
              }
              if (!addresses.isEmpty()) {
                subscriptionHeals.incrementAndGet();
              }
              lastLossAt = now;
              unrestored = null;
              log.warn(
                  "Cluster state of this node was missing from Redis and was restored node={} missing={}",
                  manager.getNodeId(),
                  what);
              var loss = new Loss(nodeMissing, Set.copyOf(addresses), now);
              listeners.forEach(listener -> listener.handle(loss));
            })
        .recover(
            e -> {
              lastLossAt = now;
              if (unrestored == null) {
                log.warn(
                    "Cluster state of this node is missing from Redis and could not be restored, retrying node={} missing={} error={}",
                    manager.getNodeId(),
                    what,
                    brief(e));
              }
              unrestored = what + " missing from Redis and not restored: " + brief(e);
              return Future.failedFuture(new NotRestored());
            })
        .mapEmpty();
  }

  /** A heal that failed, already logged; the check is retried soon. */
  private static final class NotRestored extends RuntimeException {
    NotRestored() {
      super("not restored", null, false, false);
    }
  }

  /** Redisson's messages go on with the channel and the whole command: the first sentence. */
  private static String brief(Throwable e) {
    String message = String.valueOf(e.getMessage());
    int channel = message.indexOf(" channel: ");
    String text = channel > 0 ? message.substring(0, channel) : message;
    return text.length() > 300 ? text.substring(0, 300) : text;
  }

  private void dropDead(Set<String> members) {
    for (String node : deadNodes.read(members, manager.getNodeId(), Instant.now())) {
      // Dropped already when it refused connections: once more costs nothing, and it may have been
      // alive then (it put its subscriptions back) and died since.
      if (!droppedByProbe.remove(node)) {
        log.info("Cluster node expired without leaving, dropping its subscriptions node={}", node);
      }
      drop(node);
    }
  }

  private Future<Void> drop(String node) {
    return vertx
        .<Void>executeBlocking(
            () -> {
              manager.memberRemoved(node);
              return null;
            },
            false)
        .onFailure(e -> log.warn("Cluster node not dropped node={}: {}", node, brief(e)));
  }

  /** Connects to every other member's event bus server once; see the class comment. */
  private void probe(Set<String> members) {
    refusedFor.keySet().retainAll(members);
    eventBuses.keySet().retainAll(members);
    if (probes == null) {
      probes = vertx.createNetClient(new NetClientOptions().setConnectTimeout(PROBE_TIMEOUT_MS));
    }
    String self = manager.getNodeId();
    for (String node : members) {
      if (node.equals(self) || droppedByProbe.contains(node) || !probing.add(node)) {
        continue;
      }
      eventBusOf(node)
          .compose(
              info ->
                  probes
                      .connect(info.port(), info.host())
                      .onSuccess(NetSocket::close)
                      .onFailure(e -> refused(node, info, e)))
          .onSuccess(connected -> refusedFor.remove(node))
          .onComplete(done -> probing.remove(node));
    }
  }

  /** Where a member's event bus listens: read from the catalog once, it never changes. */
  private Future<NodeInfo> eventBusOf(String node) {
    NodeInfo known = eventBuses.get(node);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    Promise<NodeInfo> read = Promise.promise();
    manager.getNodeInfo(node, read);
    return read.future()
        .compose(
            info -> {
              if (info == null) {
                return Future.failedFuture("no node info yet");
              }
              eventBuses.put(node, info);
              return Future.succeededFuture(info);
            });
  }

  private void refused(String node, NodeInfo info, Throwable failure) {
    if (!refusesConnections(failure)) {
      refusedFor.remove(node);
      return;
    }
    if (refusedFor.merge(node, 1, Integer::sum) < REFUSALS || stopped) {
      return;
    }
    log.info(
        "Cluster node's event bus refuses connections, dropping its subscriptions node={} eventBus={}:{}",
        node,
        info.host(),
        info.port());
    // Not probed again once dropped; a drop that failed is tried again at the next refusal.
    drop(node)
        .onSuccess(
            dropped -> {
              refusedFor.remove(node);
              if (droppedByProbe.size() >= MAX_DROPPED) {
                droppedByProbe.clear();
              }
              droppedByProbe.add(node);
            });
  }

  /**
   * Nothing listens there: not a timeout, which a partition or a frozen host would give too. By the
   * message: Netty's epoll transport names the error number (Linux's ECONNREFUSED, 111) and its
   * text, NIO the text alone.
   */
  static boolean refusesConnections(Throwable failure) {
    if (!(failure instanceof ConnectException)
        || failure instanceof io.netty.channel.ConnectTimeoutException) {
      return false;
    }
    String message = String.valueOf(failure.getMessage());
    return message.contains("Connection refused") || message.contains("error(-111)");
  }
}
