package dev.printfleet.common.cluster;

import com.retailsvc.vertx.spi.cluster.redis.RedisClusterManager;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops a dead node's subscriptions as soon as its catalog entry has expired.
 *
 * <p>The Redis cluster manager keeps each node in a Redisson map-cache entry with a 30 s TTL that
 * the node refreshes every 15 s. A node that dies stops refreshing, but its subscriptions are only
 * removed when Redisson's eviction task deletes the expired entry, and that task backs off to
 * once every 30 minutes in a cluster where nothing expires. Until then, requests keep going to the
 * dead node. Reading the catalog filters expired entries, so this watchdog compares the members
 * it saw with the members it reads every period, and removes any that vanished itself, as the
 * cluster manager would on the expiry event. The bound for dropping a dead node is therefore the
 * TTL plus one period.
 */
public final class ClusterWatchdog {

  private static final Logger log = LoggerFactory.getLogger(ClusterWatchdog.class);

  private final Vertx vertx;
  private final RedisClusterManager clusterManager;
  private Set<String> known = Set.of();
  private long timer = -1;

  private ClusterWatchdog(Vertx vertx, RedisClusterManager clusterManager) {
    this.vertx = vertx;
    this.clusterManager = clusterManager;
  }

  /** Starts watching when the Vert.x instance runs on the Redis cluster manager. */
  public static void start(Vertx vertx, Duration period) {
    if (vertx instanceof VertxInternal internal
        && internal.getClusterManager() instanceof RedisClusterManager manager) {
      var watchdog = new ClusterWatchdog(vertx, manager);
      watchdog.timer = vertx.setPeriodic(period.toMillis(), id -> watchdog.check());
    }
  }

  private void check() {
    if (!clusterManager.isActive()) {
      vertx.cancelTimer(timer);
      return;
    }
    vertx
        .executeBlocking(() -> Set.copyOf(clusterManager.getNodes()), false)
        .onSuccess(this::compare)
        .onFailure(e -> log.debug("Cluster members could not be read: {}", e.toString()));
  }

  private void compare(Set<String> members) {
    Set<String> vanished = new HashSet<>(known);
    vanished.removeAll(members);
    vanished.remove(clusterManager.getNodeId());
    known = members;
    for (String node : vanished) {
      log.info("Cluster node expired without leaving, dropping its subscriptions node={}", node);
      vertx.executeBlocking(
          () -> {
            clusterManager.memberRemoved(node);
            return null;
          },
          false);
    }
  }
}
