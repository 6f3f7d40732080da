package dev.printfleet.common.cluster;

import com.retailsvc.vertx.spi.cluster.redis.RedisClusterManager;
import com.retailsvc.vertx.spi.cluster.redis.config.RedisConfig;
import dev.printfleet.common.config.RedisSettings.ClientType;
import dev.printfleet.common.config.RedisSettings.ClusterClientSizes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeSelector;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The Redis cluster manager, remembering which cluster-wide registrations this node made, so the
 * {@link ClusterGuard} can tell when Redis lost them and put exactly those back (with the same
 * sequence number, so a later unregister still removes them). Local-only registrations never reach
 * Redis and are not tracked. Its Redisson client is sized by {@link ClusterClientSizing}.
 *
 * <p>It also answers Vert.x's lookups of an address's subscribers from what it last read, so a
 * stalled Redis does not stall the event bus. Vert.x keeps each address it resolved and the
 * library's pub/sub updates refresh it, but it asks again on its first send to an address, after an
 * update that failed to read Redis (the library then reports no subscribers) and after the library
 * dropped its registrations; the library reads Redis every time, on a worker, with no bound, and a
 * Redis that stalls hangs rather than fails. Here an answer read within {@link #FRESH} is served as
 * is; an older one is read again, and if Redis has not answered within {@link #REDIS_BOUND} (or
 * failed) the old one is served; with nothing read yet, this node's own consumers are. Empty
 * answers are not kept, so a service that just started is found at once. This node's own
 * registrations are always as it knows them, and a node that left has its registrations dropped at
 * once. The {@link ClusterGuard} reads Redis itself ({@link #storedRegistrations}), so nothing kept
 * here hides a registration Redis lost.
 */
final class TrackingRedisClusterManager extends RedisClusterManager {

  /** How long an answer read from Redis is served without asking again. */
  static final Duration FRESH = Duration.ofSeconds(1);

  /** How long a lookup waits on Redis before it takes the last answer read. */
  static final Duration REDIS_BOUND = Duration.ofMillis(500);

  private record Known(List<RegistrationInfo> registrations, long readAtNanos) {}

  /** The last non-empty answer read per address, with this node's own changes applied. */
  private final ConcurrentMap<String, Known> known = new ConcurrentHashMap<>();

  /** One read of Redis per address at a time, whoever asks meanwhile shares it. */
  private final ConcurrentMap<String, Future<List<RegistrationInfo>>> reading =
      new ConcurrentHashMap<>();

  /** Every registration of this node, local-only ones too, from the moment it is made. */
  private final ConcurrentMap<String, Set<RegistrationInfo>> mine = new ConcurrentHashMap<>();

  private volatile Vertx vertx;

  private final Map<String, Set<RegistrationInfo>> own = new HashMap<>();

  /** Registrations being written; one removed meanwhile is not remembered when the write ends. */
  private final Set<RegistrationInfo> writing = new HashSet<>();

  private volatile ClusterGuard guard;

  /** Set by {@link #withdraw()}: this node is leaving. */
  private volatile boolean withdrawn;

  /**
   * @throws IllegalStateException when this version of the library keeps its Redisson Config where
   *     {@link ClusterClientSizing} cannot reach it
   */
  TrackingRedisClusterManager(RedisConfig config, ClientType type, ClusterClientSizes sizes) {
    super(config);
    ClusterClientSizing.apply(this, type, sizes);
  }

  @Override
  public void init(Vertx vertx, NodeSelector nodeSelector) {
    this.vertx = vertx;
    super.init(vertx, new UpdatesHeard(nodeSelector));
  }

  /**
   * The library's update of an address goes to Vert.x, which forgets the address when it is empty
   * and asks {@link #getRegistrations} at its next send: an answer kept here from before the update
   * would then be taken for good (Vert.x asks again only at the next update), and every send to the
   * address would go to a node that no longer serves it. So what an update says is kept here too;
   * an empty one (the address is gone, or the library could not read Redis) has the kept answer
   * read again at the next lookup, which falls back to it only while Redis does not answer.
   */
  private void updated(RegistrationUpdateEvent event) {
    List<RegistrationInfo> registrations = event.registrations();
    if (registrations == null || registrations.isEmpty()) {
      long stale = System.nanoTime() - FRESH.toNanos() - 1;
      known.computeIfPresent(event.address(), (a, k) -> new Known(k.registrations(), stale));
    } else {
      remember(event.address(), registrations, System.nanoTime());
    }
  }

  /** Vert.x's node selector, with each update the library reports kept here first. */
  private final class UpdatesHeard implements NodeSelector {
    private final NodeSelector selector;

    UpdatesHeard(NodeSelector selector) {
      this.selector = selector;
    }

    @Override
    public void init(Vertx vertx, ClusterManager clusterManager) {
      selector.init(vertx, clusterManager);
    }

    @Override
    public void eventBusStarted() {
      selector.eventBusStarted();
    }

    @Override
    public void selectForSend(Message<?> message, Promise<String> promise) {
      selector.selectForSend(message, promise);
    }

    @Override
    public void selectForPublish(Message<?> message, Promise<Iterable<String>> promise) {
      selector.selectForPublish(message, promise);
    }

    @Override
    public void registrationsUpdated(RegistrationUpdateEvent event) {
      updated(event);
      selector.registrationsUpdated(event);
    }

    @Override
    public void registrationsLost() {
      selector.registrationsLost();
    }

    @Override
    public boolean wantsUpdatesFor(String address) {
      return selector.wantsUpdatesFor(address);
    }
  }

  @Override
  public void addRegistration(String address, RegistrationInfo info, Promise<Void> promise) {
    mine.computeIfAbsent(address, a -> ConcurrentHashMap.newKeySet()).add(info);
    known.computeIfPresent(address, (a, k) -> withMine(a, k.registrations(), k.readAtNanos()));
    if (withdrawn && !info.localOnly()) {
      // Leaving: a consumer registered now is not written to Redis.
      promise.complete();
      return;
    }
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
    mine.computeIfPresent(
        address, (a, infos) -> infos.remove(info) && infos.isEmpty() ? null : infos);
    known.computeIfPresent(address, (a, k) -> withMine(a, k.registrations(), k.readAtNanos()));
    forget(address, info);
    super.removeRegistration(address, info, promise);
  }

  @Override
  public void getRegistrations(String address, Promise<List<RegistrationInfo>> promise) {
    Known last = known.get(address);
    if (last != null && System.nanoTime() - last.readAtNanos() < FRESH.toNanos()) {
      promise.complete(last.registrations());
      return;
    }
    Future<List<RegistrationInfo>> read = read(address);
    if (read.isComplete() || vertx == null) {
      read.onComplete(promise);
      return;
    }
    // A stalled Redis hangs rather than fails: wait on it only so long.
    long timer =
        vertx.setTimer(
            REDIS_BOUND.toMillis(),
            id -> {
              List<RegistrationInfo> fallback = fallback(address);
              if (!fallback.isEmpty()) {
                promise.tryComplete(fallback);
              }
            });
    read.onComplete(
        done -> {
          vertx.cancelTimer(timer);
          if (done.succeeded()) {
            promise.tryComplete(done.result());
          } else {
            List<RegistrationInfo> fallback = fallback(address);
            if (fallback.isEmpty()) {
              promise.tryFail(done.cause());
            } else {
              promise.tryComplete(fallback);
            }
          }
        });
  }

  /** The subscribers of an address as Redis holds them now, with this node's local-only ones. */
  void storedRegistrations(String address, Promise<List<RegistrationInfo>> promise) {
    super.getRegistrations(address, promise);
  }

  /** A node left or was found dead: its registrations are not served any more. */
  @Override
  public void memberRemoved(String nodeId) {
    // The library removes this node itself when Redis lost its entry, and registers it again.
    if (nodeId.equals(getNodeId())) {
      super.memberRemoved(nodeId);
      return;
    }
    known.replaceAll(
        (address, k) ->
            new Known(
                k.registrations().stream().filter(info -> !info.nodeId().equals(nodeId)).toList(),
                k.readAtNanos()));
    known.values().removeIf(k -> k.registrations().isEmpty());
    super.memberRemoved(nodeId);
  }

  private Future<List<RegistrationInfo>> read(String address) {
    Promise<List<RegistrationInfo>> started = Promise.promise();
    Future<List<RegistrationInfo>> shared = reading.putIfAbsent(address, started.future());
    if (shared != null) {
      return shared;
    }
    long readAt = System.nanoTime();
    Promise<List<RegistrationInfo>> stored = Promise.promise();
    super.getRegistrations(address, stored);
    stored
        .future()
        .map(found -> remember(address, found, readAt))
        .onComplete(done -> reading.remove(address, started.future()))
        .onComplete(started);
    return started.future();
  }

  /** Keeps a non-empty answer; an empty one drops what was kept, so a newcomer is found at once. */
  private List<RegistrationInfo> remember(
      String address, List<RegistrationInfo> found, long readAt) {
    Known read = withMine(address, found, readAt);
    if (read.registrations().isEmpty()) {
      known.remove(address);
    } else {
      known.put(address, read);
    }
    return read.registrations();
  }

  /** The last answer read, or else this node's own subscribers, when Redis gives none. */
  private List<RegistrationInfo> fallback(String address) {
    Known last = known.get(address);
    if (last != null) {
      return last.registrations();
    }
    return List.copyOf(mine.getOrDefault(address, Set.of()));
  }

  /**
   * This node's registrations as it knows them, the other nodes' as read: a read that began before
   * this node registered or unregistered does not undo that.
   */
  private Known withMine(String address, List<RegistrationInfo> registrations, long readAt) {
    String self = getNodeId();
    List<RegistrationInfo> merged = new ArrayList<>();
    for (RegistrationInfo info : registrations) {
      if (!info.nodeId().equals(self)) {
        merged.add(info);
      }
    }
    merged.addAll(mine.getOrDefault(address, Set.of()));
    return new Known(List.copyOf(merged), readAt);
  }

  /**
   * Takes this node's cluster-wide registrations out of Redis while its consumers stay: the other
   * nodes stop sending here once the library's update reaches them, and what they sent before that
   * still finds its handler. Once the library's update reaches this node too, its own sends to
   * those addresses go to the other nodes (or find no handler), and a consumer registered from now
   * on is reached by none. For a node about to leave: nothing puts them back. A registration whose
   * write to Redis is under way as this runs stays there until Vert.x unregisters it at close.
   */
  Future<Void> withdraw() {
    Map<String, Set<RegistrationInfo>> registrations;
    synchronized (this) {
      withdrawn = true;
      registrations = ownRegistrations();
      own.clear();
      writing.clear();
    }
    List<Future<Void>> removed = new ArrayList<>();
    registrations.forEach(
        (address, infos) ->
            infos.forEach(
                info -> {
                  Promise<Void> done = Promise.promise();
                  super.removeRegistration(address, info, done);
                  removed.add(done.future());
                }));
    return Future.join(removed).mapEmpty();
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
