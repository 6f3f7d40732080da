package dev.printfleet.printing.jobs;

import java.time.Duration;

/**
 * What a failed dispatch means for a job: back to queued after a backoff that doubles with each
 * attempt, or failed once it has had its attempts.
 */
public record RetryPolicy(int maxAttempts, Duration firstBackoff, Duration maxBackoff) {

  /** The state after a failed dispatch that brought the job to {@code attempts} attempts. */
  public JobState afterFailure(int attempts) {
    return attempts >= maxAttempts ? JobState.FAILED : JobState.QUEUED;
  }

  public Duration backoff(int attempts) {
    long factor = 1L << Math.min(20, Math.max(0, attempts - 1));
    Duration wait = firstBackoff.multipliedBy(factor);
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }
}
