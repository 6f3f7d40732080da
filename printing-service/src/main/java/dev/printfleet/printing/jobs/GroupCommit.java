package dev.printfleet.printing.jobs;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One statement run for many callers in one transaction: a group commit. At most {@code maxInFlight}
 * runs of the statement are under way at once; what arrives meanwhile waits and goes in the next
 * run, as one batch (one round trip, one commit, one WAL flush for all of it). Under light load
 * every call runs alone at once, with no added wait; under heavy load the batches grow by
 * themselves, so the database does one commit for many jobs instead of one each.
 *
 * <p>A batch is one implicit transaction (the extended protocol's single Sync): it commits or fails
 * as a whole. When it fails, each call of it runs again on its own, so one bad call fails only
 * itself. Calls are ordered by {@code order} within a batch, so two batches lock the rows they
 * share in the same order and cannot deadlock each other.
 *
 * <p>Each caller's future completes on the caller's context, as a plain query's would.
 */
final class GroupCommit {

  private final Pool pool;
  private final String sql;
  private final int maxInFlight;
  private final int maxBatch;
  private final Comparator<Tuple> order;
  private final ArrayDeque<Call> waiting = new ArrayDeque<>();
  private int inFlight;

  private record Call(Tuple args, Promise<RowSet<Row>> result, Context context) {
    void complete(RowSet<Row> rows, Throwable failure) {
      if (context == null || context == Vertx.currentContext()) {
        finish(rows, failure);
      } else {
        context.runOnContext(v -> finish(rows, failure));
      }
    }

    private void finish(RowSet<Row> rows, Throwable failure) {
      if (failure == null) {
        result.complete(rows);
      } else {
        result.fail(failure);
      }
    }
  }

  GroupCommit(Pool pool, String sql, int maxInFlight, int maxBatch, Comparator<Tuple> order) {
    this.pool = pool;
    this.sql = sql;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
    this.order = order;
  }

  /** Runs the statement with these arguments, alone or with others in one transaction. */
  Future<RowSet<Row>> execute(Tuple args) {
    Promise<RowSet<Row>> result = Promise.promise();
    List<Call> batch;
    synchronized (this) {
      waiting.add(new Call(args, result, Vertx.currentContext()));
      batch = takeBatch();
    }
    if (batch != null) {
      run(batch);
    }
    return result.future();
  }

  /** The next batch, when a run may start now; null otherwise. Holding the lock. */
  private List<Call> takeBatch() {
    if (waiting.isEmpty() || inFlight >= maxInFlight) {
      return null;
    }
    inFlight++;
    var batch = new ArrayList<Call>(Math.min(waiting.size(), maxBatch));
    while (!waiting.isEmpty() && batch.size() < maxBatch) {
      batch.add(waiting.poll());
    }
    return batch;
  }

  private void run(List<Call> batch) {
    if (batch.size() == 1) {
      Call call = batch.get(0);
      pool.preparedQuery(sql).execute(call.args()).onComplete(ar -> {
        call.complete(ar.result(), ar.cause());
        ended();
      });
      return;
    }
    if (order != null) {
      batch.sort(Comparator.comparing(Call::args, order));
    }
    List<Tuple> args = new ArrayList<>(batch.size());
    batch.forEach(call -> args.add(call.args()));
    pool.preparedQuery(sql).executeBatch(args).onComplete(ar -> {
      if (ar.succeeded()) {
        RowSet<Row> rows = ar.result();
        for (Call call : batch) {
          call.complete(rows, null);
          rows = rows.next();
        }
        ended();
        return;
      }
      // One call's failure rolled back the others with it: each goes again alone.
      var alone = new ArrayList<Future<RowSet<Row>>>(batch.size());
      for (Call call : batch) {
        alone.add(pool.preparedQuery(sql).execute(call.args()).onComplete(each -> call.complete(each.result(), each.cause())));
      }
      Future.join(alone).onComplete(v -> ended());
    });
  }

  private void ended() {
    List<Call> next;
    synchronized (this) {
      inFlight--;
      next = takeBatch();
    }
    if (next != null) {
      run(next);
    }
  }
}
