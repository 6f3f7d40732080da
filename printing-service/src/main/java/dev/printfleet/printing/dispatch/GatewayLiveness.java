package dev.printfleet.printing.dispatch;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which gateway instances still beat: the time of each one's last heartbeat, and whether it stopped
 * for longer than {@code deadAfter}. A gateway frozen or lost without a goodbye answers nothing,
 * and its dispatches would each wait out the dispatch timeout; a silent one gets none. An instance
 * never heard from (this instance just started) counts as alive.
 */
public final class GatewayLiveness {

  private final long deadAfterNanos;
  private final Map<String, Long> lastBeat = new ConcurrentHashMap<>();

  public GatewayLiveness(Duration deadAfter) {
    this.deadAfterNanos = deadAfter.toNanos();
  }

  public void beat(String instance, long nowNanos) {
    lastBeat.put(instance, nowNanos);
  }

  /** An instance that left (drained, dropped by the cluster): forgotten, so it is not "silent" forever. */
  public void forget(String instance) {
    lastBeat.remove(instance);
  }

  public boolean isDead(String instance, long nowNanos) {
    Long last = lastBeat.get(instance);
    if (last == null || nowNanos - last <= deadAfterNanos) {
      return false;
    }
    // Every gateway silent at once is more likely this instance's event bus (or its own pause) than
    // every gateway: routing nothing would strand every job, so dispatches keep going and the
    // dispatch timeout decides, as without this check.
    return lastBeat.values().stream().anyMatch(other -> nowNanos - other <= deadAfterNanos);
  }

  /** Drops instances silent for ten times the limit: gone for good, and the map stays bounded. */
  public void evictLongGone(long nowNanos) {
    lastBeat.values().removeIf(last -> nowNanos - last > 10 * deadAfterNanos);
  }
}
