package dev.printfleet.common.lifecycle;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Executor;

/**
 * Runs work on one verticle's event loop: at once when the caller is already on that loop's thread,
 * else queued to the verticle's context. The thread is what confines state, not the context object:
 * Vert.x 4.5 runs a socket's and a request's handlers on a duplicate of the verticle's context, on
 * the same thread, so comparing contexts would queue work that could run now (an extra task on a
 * per-job path) and let later work overtake it.
 */
public final class OnEventLoop implements Executor {

  private final Context context;
  private final Thread thread;

  private OnEventLoop(Context context, Thread thread) {
    this.context = context;
    this.thread = thread;
  }

  /** The event loop the caller runs on: call it from a verticle's start (or its callbacks). */
  public static OnEventLoop current() {
    Context context = Vertx.currentContext();
    if (context == null || !Context.isOnEventLoopThread()) {
      throw new IllegalStateException("not on a Vert.x event loop");
    }
    return new OnEventLoop(context, Thread.currentThread());
  }

  public boolean isCurrent() {
    return Thread.currentThread() == thread;
  }

  @Override
  public void execute(Runnable work) {
    if (isCurrent()) {
      work.run();
    } else {
      context.runOnContext(v -> work.run());
    }
  }
}
