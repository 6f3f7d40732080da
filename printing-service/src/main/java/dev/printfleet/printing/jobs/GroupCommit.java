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
import java.util.function.Function;
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
 * {@code order} within a batch (a {@link SetForm}'s statement must lock in that same order), so two
 * batches lock the rows they share in the same order and cannot deadlock each other (a statement
 * over many rows still can: PostgreSQL then refuses one of them, and a refused batch runs its calls
 * alone).
 *
 * <p>Bounded as the pool's own wait queue is: at most {@link #MAX_WAITING} calls wait, and one
 * whose turn comes after it waited longer than {@code maxWait} fails rather than run late (an API
 * call answers 503 then; its client, that gave up meanwhile, retries with its key). Each caller's
 * future completes on the caller's context, as a plain query's would.
 *
 * <p>A batch is one execution per call ({@code executeBatch}), or, given a {@link SetForm}, one
 * execution of a statement over arrays of the calls' arguments: PostgreSQL then starts one
 * executor, takes its locks and opens the table's indexes once for the whole batch instead of once
 * per call.
 */
final class GroupCommit {

  /**
   * The statement for a whole batch: {@code sql} takes the calls' arguments as arrays, which {@code
   * arrays} builds from them (in the batch's order), and returns with each row the place of the
   * call it answers, from 1, in a column named {@value #CALL}.
   */
  record SetForm(String sql, Function<List<Tuple>, Tuple> arrays) {}

  /** The column of a {@link SetForm}'s rows that names the call a row answers. */
  static final String CALL = "call";

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
  static final int MAX_WAITING = 10_000;

  private final Pool pool;
  private final String sql;
  private final SetForm setForm;
  private final int maxBatch;
  private final Comparator<Tuple> order;
  private final long maxWaitNanos;
  private final ArrayDeque<Call> waiting = new ArrayDeque<>();
  private final List<Call> lateCalls = new ArrayList<>();
  private boolean running;

  private record Call(Tuple args, Promise<List<Row>> result, Context context, long since) {
    void complete(List<Row> rows, Throwable failure) {
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
    private void finish(List<Row> rows, Throwable failure) {
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
    this(pool, sql, null, maxBatch, maxWait, order);
  }

  /** With {@code setForm} (null: none), a batch of two calls or more runs as its one statement. */
  GroupCommit(
      Pool pool,
      String sql,
      SetForm setForm,
      int maxBatch,
      Duration maxWait,
      Comparator<Tuple> order) {
    this.maxWaitNanos = maxWait.toNanos();
    this.pool = pool;
    this.sql = sql;
    this.setForm = setForm;
    this.maxBatch = maxBatch;
    this.order = order;
  }

  /**
   * Runs the statement with these arguments, alone or with others in one transaction; answers the
   * rows it returned for them.
   */
  Future<List<Row>> execute(Tuple args) {
    Promise<List<Row>> result = Promise.promise();
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
                  call.complete(ar.succeeded() ? rowsOf(ar.result()) : null, ar.cause());
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
    Future<List<List<Row>>> answers;
    try {
      answers =
          setForm == null
              ? pool.preparedQuery(sql)
                  .executeBatch(args)
                  .map(rows -> perExecution(rows, batch.size()))
              : pool.preparedQuery(setForm.sql())
                  .execute(setForm.arrays().apply(args))
                  .map(rows -> perCall(rows, batch.size()));
    } catch (RuntimeException e) {
      // Never sent: the calls fail, and the next run is not held back.
      answers = Future.failedFuture(e);
    }
    answers.onComplete(
        ar -> {
          if (ar.succeeded()) {
            try {
              for (int i = 0; i < batch.size(); i++) {
                batch.get(i).complete(ar.result().get(i), null);
              }
            } finally {
              ended();
            }
            return;
          }
          if (!(ar.cause() instanceof PgException)) {
            // The connection failed (or its answer did not read): whether the batch committed is
            // unknown, so nothing runs again.
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
          if (setForm != null) {
            log.warn(
                "A batch statement of {} calls was refused, each call runs alone: {}",
                batch.size(),
                ar.cause().getMessage());
          }
          Future<Void> chain = Future.succeededFuture();
          for (Call call : batch) {
            chain =
                chain.eventually(
                    v ->
                        pool.preparedQuery(sql)
                            .execute(call.args())
                            .onComplete(
                                each ->
                                    call.complete(
                                        each.succeeded() ? rowsOf(each.result()) : null,
                                        each.cause())));
          }
          chain.onComplete(v -> ended());
        });
  }

  private static List<Row> rowsOf(RowSet<Row> rows) {
    List<Row> list = new ArrayList<>(rows.size());
    rows.forEach(list::add);
    return list;
  }

  /** An {@code executeBatch}'s rows: one row set per execution, in the batch's order. */
  private static List<List<Row>> perExecution(RowSet<Row> first, int calls) {
    List<List<Row>> answers = new ArrayList<>(calls);
    for (RowSet<Row> rows = first; rows != null; rows = rows.next()) {
      answers.add(rowsOf(rows));
    }
    if (answers.size() != calls) {
      throw unread("a batch of " + calls + " executions answered " + answers.size() + " row sets");
    }
    return answers;
  }

  /**
   * An answer that does not read, after the batch committed: its calls fail, whether they were
   * written is unknown to them, and it is said (a failing connection is not: the pool's metrics and
   * the readiness check say that, and once per outage rather than once per batch).
   */
  private static IllegalStateException unread(String what) {
    log.error("A batch was written but its answer does not read: {}", what);
    return new IllegalStateException(what);
  }

  /** A {@link SetForm}'s rows, each given to the call its {@value #CALL} column names. */
  private static List<List<Row>> perCall(RowSet<Row> rows, int calls) {
    List<List<Row>> answers = new ArrayList<>(calls);
    for (int i = 0; i < calls; i++) {
      answers.add(new ArrayList<>(1));
    }
    for (Row row : rows) {
      long call = row.getLong(CALL);
      if (call < 1 || call > calls) {
        throw unread("a batch statement answered call " + call + " of " + calls + " calls");
      }
      answers.get((int) call - 1).add(row);
    }
    return answers;
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
