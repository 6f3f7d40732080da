package dev.printfleet.common.history;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer's events on their way out: appended to their companies' printing history, and
 * published with their offsets. One append is under way at a time, so the history holds a
 * producer's batches in the order it publishes them; what comes meanwhile goes in the next append,
 * which grows with Redis's latency instead of queueing appends.
 *
 * <p>Without an offset wait, a batch is published once its append answered (job updates: their
 * offsets matter more than a few milliseconds). With one (printer statuses: a state, and the
 * fan-out's latency), a batch waits at most that long: past it, or while another append is under
 * way, it goes out without offsets and is appended after, still in order. A client then holds no
 * offset past it, and a recovery sends it again (PROTOCOL.md §6). Steps given to {@link #flushThen}
 * run once what was added before them is published. Thread safe: publishing, steps included, is
 * serialized here, on whatever thread Redis answered, a timer fired or the caller is.
 *
 * @param <E> the event, which knows its history entry and takes its offset
 */
public final class KeptBatches<E> {

  private static final Logger log = LoggerFactory.getLogger(KeptBatches.class);

  /** Events published and waiting to be appended at most; past it the oldest owe a gap. */
  static final int MAX_UNAPPENDED = 10_000;

  private final Vertx vertx;
  private final PrintingHistory history;
  private final int maxBatch;
  private final Function<E, PrintingHistory.Event> entry;
  private final BiFunction<E, String, E> withOffset;
  private final Consumer<List<E>> publish;
  private final Duration offsetWait;

  /** A step among the events waiting: it runs once the events before it are published. */
  private record Step(Runnable run) {}

  /** What waits to be published: events, and steps where they were given. */
  private List<Object> pending = new ArrayList<>();

  /** The events at the head of {@link #pending}, up to its first step, and the steps there. */
  private record Batch<E>(List<E> events, List<Runnable> steps) {}

  /** Published without offsets, to be appended after the append under way, in order. */
  private List<E> unappended = new ArrayList<>();

  /** The batch of the append under way while it is not published yet. */
  private Batch<E> waiting;

  private boolean appending;

  private final List<Promise<Void>> idle = new ArrayList<>();

  /**
   * @param maxBatch events in one published message at most
   * @param publish publishes a batch, each event with its offset (null: not kept, or not yet)
   * @param offsetWait how long a batch waits for its offsets at most; null: as long as its append
   *     takes ({@link PrintingHistory}'s timeout)
   */
  public KeptBatches(
      Vertx vertx,
      PrintingHistory history,
      int maxBatch,
      Function<E, PrintingHistory.Event> entry,
      BiFunction<E, String, E> withOffset,
      Consumer<List<E>> publish,
      Duration offsetWait) {
    this.vertx = vertx;
    this.history = history;
    this.maxBatch = maxBatch;
    this.entry = entry;
    this.withOffset = withOffset;
    this.publish = publish;
    this.offsetWait = offsetWait;
  }

  /** Adds an event to the next batch; true when it is the first waiting (the caller flushes). */
  public synchronized boolean add(E event) {
    pending.add(event);
    return pending.size() == 1;
  }

  /** Runs {@code step} once every event added before it is published, before any added after. */
  public void flushThen(Runnable step) {
    synchronized (this) {
      pending.add(new Step(step));
    }
    flush();
  }

  /**
   * Sends what waits: appended and published, or, while an append is under way, published now
   * without offsets when there is an offset wait, else left for the append's end.
   */
  public void flush() {
    Batch<E> batch;
    synchronized (this) {
      while (appending && offsetWait != null && !pending.isEmpty()) {
        // Out now, in order: the batch still waiting for its offsets first.
        publishWaiting(null);
        Batch<E> now = take();
        publishAndRun(now, null);
        unappended.addAll(now.events());
        if (unappended.size() > MAX_UNAPPENDED) {
          var dropped = unappended.subList(0, unappended.size() - MAX_UNAPPENDED);
          history.lost(dropped.stream().map(entry).toList());
          dropped.clear();
        }
      }
      if (appending || pending.isEmpty()) {
        return;
      }
      appending = true;
      batch = take();
      waiting = batch;
    }
    // Nothing to wait for when the history keeps nothing (its append answers at once).
    long timer =
        offsetWait == null || !history.bounds().kept()
            ? -1
            : vertx.setTimer(
                Math.max(1, offsetWait.toMillis()),
                id -> {
                  synchronized (this) {
                    if (waiting == batch) {
                      publishWaiting(null);
                    }
                  }
                });
    history
        .append(batch.events().stream().map(entry).toList())
        .onComplete(
            appended -> {
              if (timer >= 0) {
                vertx.cancelTimer(timer);
              }
              synchronized (this) {
                if (waiting == batch) {
                  publishWaiting(appended.result());
                }
              }
              appendedOne();
            });
  }

  /** Completes once nothing waits and no append is under way (a service's stop). */
  public Future<Void> drained() {
    flush();
    synchronized (this) {
      if (!appending && pending.isEmpty()) {
        return Future.succeededFuture();
      }
      Promise<Void> done = Promise.promise();
      idle.add(done);
      return done.future();
    }
  }

  /**
   * The head of what waits: its events up to the first step (at most a batch of them), and the
   * steps right after them; the rest stays for the next.
   */
  @SuppressWarnings("unchecked")
  private Batch<E> take() {
    List<E> events = new ArrayList<>();
    List<Runnable> steps = new ArrayList<>();
    int n = 0;
    while (n < pending.size() && !(pending.get(n) instanceof Step) && events.size() < maxBatch) {
      events.add((E) pending.get(n++));
    }
    while (n < pending.size() && pending.get(n) instanceof Step step) {
      steps.add(step.run());
      n++;
    }
    pending = new ArrayList<>(pending.subList(n, pending.size()));
    return new Batch<>(events, steps);
  }

  /** Publishes the batch of the append under way, with its offsets or without (null). */
  private void publishWaiting(String[] offsets) {
    if (waiting != null) {
      var batch = waiting;
      waiting = null;
      publishAndRun(batch, offsets);
    }
  }

  private void publishAndRun(Batch<E> batch, String[] offsets) {
    try {
      var events = batch.events();
      if (!events.isEmpty()) {
        List<E> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
          out.add(withOffset.apply(events.get(i), offsets == null ? null : offsets[i]));
        }
        publish.accept(out);
      }
      batch.steps().forEach(Runnable::run);
    } catch (RuntimeException e) {
      // The next batches must still go: one that could not be published is logged and left.
      log.error("A batch of events or a step after it failed; the next ones go on", e);
    }
  }

  /**
   * An append ended: what was published meanwhile is appended next (nothing to publish for it),
   * else what waits goes.
   */
  private void appendedOne() {
    List<E> published;
    List<Promise<Void>> done = List.of();
    synchronized (this) {
      if (!unappended.isEmpty()) {
        published = unappended;
        unappended = new ArrayList<>();
      } else {
        published = null;
        appending = false;
        if (pending.isEmpty()) {
          done = List.copyOf(idle);
          idle.clear();
        }
      }
    }
    if (published != null) {
      history.append(published.stream().map(entry).toList()).onComplete(appended -> appendedOne());
      return;
    }
    done.forEach(Promise::tryComplete);
    flush();
  }
}
