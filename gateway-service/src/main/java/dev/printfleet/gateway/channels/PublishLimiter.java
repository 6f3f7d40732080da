package dev.printfleet.gateway.channels;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.gateway.GatewayConfig;
import dev.printfleet.gateway.session.TokenBucket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Messages one service token (its company and {@code sub}) may publish through this instance: a
 * burst, then a rate ({@code PRINTFLEET_PUBLISH_BURST}, {@code
 * PRINTFLEET_PUBLISH_RATE_PER_SECOND}). Shared by the instance's event loops. Bounded: past {@link
 * #MAX_CALLERS} callers the buckets start again full, which costs an abuser at most one more burst.
 */
public final class PublishLimiter {

  static final int MAX_CALLERS = 10_000;

  private final GatewayConfig.PublishLimits limits;
  private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

  public PublishLimiter(GatewayConfig.PublishLimits limits) {
    this.limits = limits;
  }

  /** Takes {@code messages} from the caller's bucket; false (and nothing taken) when over. */
  public boolean tryPublish(Principal caller, int messages, long nowNanos) {
    if (buckets.size() >= MAX_CALLERS) {
      buckets.clear();
    }
    TokenBucket bucket =
        buckets.computeIfAbsent(
            caller.company() + "|" + caller.subject(),
            k -> new TokenBucket(limits.burst(), limits.perSecond(), nowNanos));
    synchronized (bucket) {
      return bucket.tryTake(messages, nowNanos);
    }
  }
}
