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

  /** Gateways that let a dispatch's first step time out, until their next heartbeat. */
  private final Map<String, Boolean> suspected = new ConcurrentHashMap<>();

  public GatewayLiveness(Duration deadAfter) {
    this.deadAfterNanos = deadAfter.toNanos();
  }

  public void beat(String instance, long nowNanos) {
    lastBeat.put(instance, nowNanos);
    suspected.remove(instance);
  }

  /**
   * The gateway did not even say it wrote a dispatch (milliseconds of its own work) in time: it is
   * frozen or gone, most likely, and is left until its next heartbeat says otherwise, rather than
   * for the seconds its heartbeats take to be missed. A gateway merely slow costs its jobs the
   * route wait, until its next heartbeat clears it.
   */
  public void suspect(String instance) {
    if (lastBeat.containsKey(instance)) {
      suspected.put(instance, Boolean.TRUE);
    }
  }

  public boolean isDead(String instance, long nowNanos) {
    Long last = lastBeat.get(instance);
    if (last == null || nowNanos - last <= deadAfterNanos && !suspected.containsKey(instance)) {
      return false;
    }
    // Every gateway silent at once is more likely this instance's event bus (or its own pause) than
    // every gateway: routing nothing would strand every job, so dispatches keep going and the
    // dispatch timeout decides, as without this check.
    return lastBeat.entrySet().stream()
        .anyMatch(
            other ->
                !other.getKey().equals(instance)
                    && nowNanos - other.getValue() <= deadAfterNanos
                    && !suspected.containsKey(other.getKey()));
  }

  /**
   * Whether the gateway's heartbeats stopped (not merely suspected after one slow answer): then its
   * agents will connect elsewhere, and that releases their jobs.
   */
  public boolean heartbeatsStopped(String instance, long nowNanos) {
    Long last = lastBeat.get(instance);
    return last != null && nowNanos - last > deadAfterNanos && isDead(instance, nowNanos);
  }

  /** Drops instances silent for ten times the limit: gone for good, and the map stays bounded. */
  public void evictLongGone(long nowNanos) {
    lastBeat
        .entrySet()
        .removeIf(
            e -> {
              boolean gone = nowNanos - e.getValue() > 10 * deadAfterNanos;
              if (gone) {
                suspected.remove(e.getKey());
              }
              return gone;
            });
  }
}
