package dev.printfleet.testing;

import io.vertx.core.Future;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Checks on asynchronous results: in a VertxTestContext for tests of asynchronous code, and {@link
 * #join} for what a test or a fixture starts, stops or writes from its own thread.
 */
public final class VertxChecks {

  /** Assertions on a value; any throwable fails the test with it. */
  @FunctionalInterface
  public interface Assertions<T> {
    void check(T value) throws Throwable;
  }

  private VertxChecks() {}

  /**
   * Runs the assertions on the future's value, then completes the test; a failed future or a failed
   * assertion fails the test with its cause.
   */
  public static <T> void check(VertxTestContext test, Future<T> future, Assertions<T> assertions) {
    future.onComplete(
        test.succeeding(
            value ->
                test.verify(
                    () -> {
                      assertions.check(value);
                      test.completeNow();
                    })));
  }

  /** Waits up to a minute for a future; its result, or an AssertionError with its cause. */
  public static <T> T join(Future<T> future) {
    return join(future, Duration.ofSeconds(60));
  }

  public static <T> T join(Future<T> future, Duration timeout) {
    try {
      return future
          .toCompletionStage()
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }
}
