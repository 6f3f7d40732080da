package dev.printfleet.common.cluster;

import com.retailsvc.vertx.spi.cluster.redis.RedisClusterManager;
import com.retailsvc.vertx.spi.cluster.redis.config.RedisConfig;
import dev.printfleet.common.config.RedisSettings.ClientType;
import dev.printfleet.common.config.RedisSettings.ClusterClientSizes;
import io.vertx.core.Promise;
import io.vertx.core.spi.cluster.RegistrationInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The Redis cluster manager, remembering which cluster-wide registrations this node made, so the
 * {@link ClusterGuard} can tell when Redis lost them and put exactly those back (with the same
 * sequence number, so a later unregister still removes them). Local-only registrations never
 * reach Redis and are not tracked. Its Redisson client is sized by {@link ClusterClientSizing}.
 */
final class TrackingRedisClusterManager extends RedisClusterManager {

  private final Map<String, Set<RegistrationInfo>> own = new HashMap<>();
  /** Registrations being written; one removed meanwhile is not remembered when the write ends. */
  private final Set<RegistrationInfo> writing = new HashSet<>();
  private volatile ClusterGuard guard;

  /**
   * @throws IllegalStateException when this version of the library keeps its Redisson Config where
   *     {@link ClusterClientSizing} cannot reach it
   */
  TrackingRedisClusterManager(RedisConfig config, ClientType type, ClusterClientSizes sizes) {
    super(config);
    ClusterClientSizing.apply(this, type, sizes);
  }

  @Override
  public void addRegistration(String address, RegistrationInfo info, Promise<Void> promise) {
    if (info.localOnly()) {
      super.addRegistration(address, info, promise);
      return;
    }
    started(info);
    Promise<Void> stored = Promise.promise();
    // Remembered once the write is done, even when it failed: a check that ran before the write
    // would otherwise see it missing and "heal" it; a failed write is a loss the guard repairs.
    stored.future().onComplete(done -> remember(address, info)).onComplete(promise);
    super.addRegistration(address, info, stored);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo info, Promise<Void> promise) {
    forget(address, info);
    super.removeRegistration(address, info, promise);
  }

  /** This node's cluster-wide registrations now, by address. */
  synchronized Map<String, Set<RegistrationInfo>> ownRegistrations() {
    Map<String, Set<RegistrationInfo>> copy = new HashMap<>();
    own.forEach((address, infos) -> copy.put(address, Set.copyOf(infos)));
    return copy;
  }

  synchronized boolean owns(String address, RegistrationInfo info) {
    return own.getOrDefault(address, Set.of()).contains(info);
  }

  ClusterGuard guard() {
    return guard;
  }

  void guard(ClusterGuard guard) {
    this.guard = guard;
  }

  private synchronized void started(RegistrationInfo info) {
    writing.add(info);
  }

  private synchronized void remember(String address, RegistrationInfo info) {
    if (writing.remove(info)) {
      own.computeIfAbsent(address, a -> new HashSet<>()).add(info);
    }
  }

  private synchronized void forget(String address, RegistrationInfo info) {
    writing.remove(info);
    Set<RegistrationInfo> infos = own.get(address);
    if (infos != null && infos.remove(info) && infos.isEmpty()) {
      own.remove(address);
    }
  }
}
