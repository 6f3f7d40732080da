package dev.printfleet.gateway.session;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frames one piece of work writes on an event loop, sent with one flush per socket when the
 * work ends instead of one system call per frame: a batch of 30 job updates for a dashboard leaves
 * in one write. What waits is in the socket's own outbound buffer, counted against its write queue
 * like any frame. Made on its event loop's thread and confined to it: a write from any other thread
 * is not deferred.
 */
public final class WriteBatch {

  private static final Logger log = LoggerFactory.getLogger(WriteBatch.class);

  /** A socket with frames written and not yet flushed. */
  public interface Flushable {
    void flush();
  }

  private final Thread loop = Thread.currentThread();
  private final Set<Flushable> pending = new LinkedHashSet<>();
  private boolean running;

  /**
   * Runs the work; each socket it wrote to is flushed once at its end, even when it throws. Work
   * run from inside another batch's work is part of that batch.
   */
  public void run(Runnable work) {
    if (running) {
      work.run();
      return;
    }
    running = true;
    try {
      work.run();
    } finally {
      running = false;
      flushPending();
    }
  }

  /**
   * While a batch runs on this loop's thread, takes the socket for a flush at the batch's end and
   * answers true: the caller writes without flushing. Otherwise false: the caller flushes its write
   * itself.
   */
  public boolean defer(Flushable socket) {
    if (!running || Thread.currentThread() != loop) {
      return false;
    }
    pending.add(socket);
    return true;
  }

  private void flushPending() {
    if (pending.isEmpty()) {
      return;
    }
    List<Flushable> sockets = new ArrayList<>(pending);
    pending.clear();
    for (Flushable socket : sockets) {
      try {
        socket.flush();
      } catch (RuntimeException e) {
        // One socket's failure must not leave the others' frames unsent.
        log.warn("A socket's flush failed: {}", e.toString());
      }
    }
  }
}
