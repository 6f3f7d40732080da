package dev.printfleet.gateway.session;

/**
 * A token bucket: holds at most {@code capacity} tokens, gains {@code refillPerSecond} a second,
 * and each frame takes one. Confined to one event loop; time is passed in, so tests need no clock.
 */
public final class TokenBucket {

  private final double capacity;
  private final double refillPerNano;
  private double tokens;
  private long lastNanos;

  public TokenBucket(int capacity, double refillPerSecond, long nowNanos) {
    this.capacity = capacity;
    this.refillPerNano = refillPerSecond / 1_000_000_000.0;
    this.tokens = capacity;
    this.lastNanos = nowNanos;
  }

  /** Takes a token if one is left; false when the caller is over its rate. */
  public boolean tryTake(long nowNanos) {
    return tryTake(1, nowNanos);
  }

  /** Takes {@code count} tokens if that many are left, else none. */
  public boolean tryTake(int count, long nowNanos) {
    long elapsed = Math.max(0, nowNanos - lastNanos);
    lastNanos = nowNanos;
    tokens = Math.min(capacity, tokens + elapsed * refillPerNano);
    if (tokens >= count) {
      tokens -= count;
      return true;
    }
    return false;
  }
}
