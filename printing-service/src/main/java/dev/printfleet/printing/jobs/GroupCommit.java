package dev.printfleet.printing.jobs;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One statement run for many callers in one transaction: a group commit. One run of the statement
 * is under way at a time (a pipeline); what arrives meanwhile waits and goes in the next run, as
 * one batch (one round trip, one commit, one WAL flush for all of it). Under light load every call
 * runs alone at once, with no added wait; under heavy load the batches grow by themselves, so the
 * database does one commit for many jobs instead of one each.
 *
 * <p>A batch is one implicit transaction (the extended protocol's single Sync): it commits or fails
 * as a whole. When the server refused it (one call's error, a deadlock), each call of it runs again
 * on its own, so one bad call fails only itself; when the connection failed, whether it committed
 * is unknown and every call fails with that error, as a lone statement would. Calls are ordered by
 * {@code order} within a batch, so two batches lock the rows they share in the same order and
 * cannot deadlock each other (a statement over many rows still can: PostgreSQL then refuses one of
 * them, and a refused batch runs its calls alone).
 *
 * <p>Bounded as the pool's own wait queue is: at most {@link #MAX_WAITING} calls wait, and one
 * whose turn comes after it waited longer than {@code maxWait} fails rather than run late (an API
 * call answers 503 then; its client, that gave up meanwhile, retries with its key). Each caller's
 * future completes on the caller's context, as a plain query's would.
 */
final class GroupCommit {

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
  static final int MAX_WAITING = 10_000;

  private final Pool pool;
  private final String sql;
  private final int maxBatch;
  private final Comparator<Tuple> order;
  private final long maxWaitNanos;
  private final ArrayDeque<Call> waiting = new ArrayDeque<>();
  private final List<Call> lateCalls = new ArrayList<>();
  private boolean running;

  private record Call(Tuple args, Promise<RowSet<Row>> result, Context context, long since) {
    void complete(RowSet<Row> rows, Throwable failure) {
      if (context == null || context == Vertx.currentContext()) {
        finish(rows, failure);
      } else {
        context.runOnContext(v -> finish(rows, failure));
      }
    }

    /**
     * A caller's handler that throws must not stop the batch: the others complete, and the run
     * ends.
     */
    private void finish(RowSet<Row> rows, Throwable failure) {
      try {
        if (failure == null) {
          result.complete(rows);
        } else {
          result.fail(failure);
        }
      } catch (RuntimeException e) {
        log.error("A handler of a group commit's result failed", e);
      }
    }
  }

  GroupCommit(Pool pool, String sql, int maxBatch, Duration maxWait, Comparator<Tuple> order) {
    this.maxWaitNanos = maxWait.toNanos();
    this.pool = pool;
    this.sql = sql;
    this.maxBatch = maxBatch;
    this.order = order;
  }

  /** Runs the statement with these arguments, alone or with others in one transaction. */
  Future<RowSet<Row>> execute(Tuple args) {
    Promise<RowSet<Row>> result = Promise.promise();
    List<Call> batch;
    synchronized (this) {
      if (waiting.size() >= MAX_WAITING) {
        return Future.failedFuture(
            new IllegalStateException(
                "the database is behind: " + MAX_WAITING + " writes already wait for it"));
      }
      waiting.add(new Call(args, result, Vertx.currentContext(), System.nanoTime()));
      batch = takeBatch();
    }
    if (batch != null) {
      run(batch);
    }
    return result.future();
  }

  /**
   * The next batch, when a run may start now; null otherwise. Calls that waited too long are failed
   * on the way (after the lock is released, see {@link #run}). Holding the lock.
   */
  private List<Call> takeBatch() {
    if (waiting.isEmpty() || running) {
      return null;
    }
    running = true;
    var batch = new ArrayList<Call>(Math.min(waiting.size(), maxBatch));
    long now = System.nanoTime();
    while (!waiting.isEmpty() && batch.size() < maxBatch) {
      Call call = waiting.poll();
      if (now - call.since() > maxWaitNanos) {
        lateCalls.add(call);
      } else {
        batch.add(call);
      }
    }
    return batch;
  }

  private void run(List<Call> batch) {
    failLate();
    if (batch.isEmpty()) {
      ended();
      return;
    }
    if (batch.size() == 1) {
      Call call = batch.get(0);
      pool.preparedQuery(sql)
          .execute(call.args())
          .onComplete(
              ar -> {
                try {
                  call.complete(ar.result(), ar.cause());
                } finally {
                  ended();
                }
              });
      return;
    }
    if (order != null) {
      batch.sort(Comparator.comparing(Call::args, order));
    }
    List<Tuple> args = new ArrayList<>(batch.size());
    batch.forEach(call -> args.add(call.args()));
    pool.preparedQuery(sql)
        .executeBatch(args)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                try {
                  RowSet<Row> rows = ar.result();
                  for (Call call : batch) {
                    call.complete(rows, null);
                    rows = rows.next();
                  }
                } finally {
                  ended();
                }
                return;
              }
              if (!(ar.cause() instanceof PgException)) {
                // The connection failed: whether the batch committed is unknown, so nothing runs
                // again.
                try {
                  batch.forEach(call -> call.complete(null, ar.cause()));
                } finally {
                  ended();
                }
                return;
              }
              // The server refused one call (or chose the batch as a deadlock's victim) and rolled
              // back the others with it: each goes again alone, one after the other, within this
              // run's slot.
              Future<Void> chain = Future.succeededFuture();
              for (Call call : batch) {
                chain =
                    chain.eventually(
                        v ->
                            pool.preparedQuery(sql)
                                .execute(call.args())
                                .onComplete(each -> call.complete(each.result(), each.cause())));
              }
              chain.onComplete(v -> ended());
            });
  }

  /**
   * Fails, outside the lock, the calls {@link #takeBatch} found waiting longer than {@code
   * maxWait}.
   */
  private void failLate() {
    List<Call> late;
    synchronized (this) {
      if (lateCalls.isEmpty()) {
        return;
      }
      late = List.copyOf(lateCalls);
      lateCalls.clear();
    }
    var failure =
        new IllegalStateException(
            "the database is behind: a write waited more than "
                + maxWaitNanos / 1_000_000
                + " ms for it");
    late.forEach(call -> call.complete(null, failure));
  }

  private void ended() {
    List<Call> next;
    synchronized (this) {
      running = false;
      next = takeBatch();
    }
    if (next != null) {
      run(next);
    }
  }
}
