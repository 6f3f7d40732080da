package dev.printfleet.gateway.session;

/**
 * Counts refused frames in a sliding window of fixed buckets. A connection that keeps sending past
 * its rate limit for the whole window is abusing it, not bursting, and gets closed.
 */
public final class AbuseWindow {

  private final int threshold;
  private final long bucketNanos;
  private final int[] buckets;
  private final long[] bucketStarts;

  /**
   * @param threshold refused frames within the window that count as sustained abuse
   * @param windowNanos the window, split into 10 buckets
   */
  public AbuseWindow(int threshold, long windowNanos) {
    this.threshold = threshold;
    this.bucketNanos = Math.max(1, windowNanos / 10);
    this.buckets = new int[10];
    this.bucketStarts = new long[10];
  }

  /** Records a refused frame; true when the refusals in the window reach the threshold. */
  public boolean recordRefusal(long nowNanos) {
    long slot = Math.floorDiv(nowNanos, bucketNanos);
    int index = (int) Math.floorMod(slot, buckets.length);
    if (bucketStarts[index] != slot) {
      bucketStarts[index] = slot;
      buckets[index] = 0;
    }
    buckets[index]++;
    int total = 0;
    for (int i = 0; i < buckets.length; i++) {
      if (slot - bucketStarts[i] < buckets.length) {
        total += buckets[i];
      }
    }
    return total >= threshold;
  }
}
