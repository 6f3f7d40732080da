package dev.printfleet.testing;

import io.vertx.core.Future;
import io.vertx.junit5.VertxTestContext;

/** Checks on asynchronous results for tests on vertx-junit5. */
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
}
