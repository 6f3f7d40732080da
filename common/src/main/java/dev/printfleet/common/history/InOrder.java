package dev.printfleet.common.history;

import io.vertx.core.Future;

/**
 * Runs steps in the order they were given, each once what it waits for has answered (a batch of
 * events is published once its history append answered, never before a batch taken earlier). What a
 * step waits for must not fail; a step that throws does not hold back the next. Thread safe.
 */
public final class InOrder {

  private Future<Void> last = Future.succeededFuture();

  /** Runs {@code step} after {@code ready} and after every step given before it. */
  public synchronized Future<Void> after(Future<?> ready, Runnable step) {
    Future<Void> previous = last;
    last =
        Future.join(previous, ready)
            .transform(
                done -> {
                  step.run();
                  return Future.<Void>succeededFuture();
                });
    return last;
  }

  /** Completes once every step given so far has run. */
  public synchronized Future<Void> drained() {
    return last;
  }
}
