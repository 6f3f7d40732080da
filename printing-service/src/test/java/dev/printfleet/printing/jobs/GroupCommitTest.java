package dev.printfleet.printing.jobs;

import static dev.printfleet.testing.VertxChecks.check;
import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgException;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One statement for many callers in one transaction, against a real PostgreSQL. */
@ExtendWith({RealServersExtension.class, VertxExtension.class})
@io.vertx.junit5.Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class GroupCommitTest {

  private static final String INSERT = "INSERT INTO t (id, v) VALUES ($1, $2) RETURNING id";

  /** The same as one statement for a batch; its rows say they came from it. */
  private static final GroupCommit.SetForm INSERT_ALL =
      new GroupCommit.SetForm(
          "WITH i AS (SELECT * FROM unnest($1::int[], $2::int[]) WITH ORDINALITY AS i(id, v, call)),"
              + " written AS (INSERT INTO t (id, v) SELECT id, v FROM i RETURNING id)"
              + " SELECT written.id, i.call, 'together' AS how FROM written JOIN i USING (id)",
          calls ->
              Tuple.tuple()
                  .addValue(calls.stream().map(call -> call.getInteger(0)).toArray(Integer[]::new))
                  .addValue(
                      calls.stream().map(call -> call.getInteger(1)).toArray(Integer[]::new)));

  private Pool pool;
  private String url;
  private PostgresServerHandle postgres;

  @BeforeEach
  void start(Vertx vertx, PostgresServerHandle postgres) throws Exception {
    this.postgres = postgres;
    String database = postgres.createDatabase("group");
    url = postgres.jdbcUrl(database);
    try (var connection = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = connection.createStatement()) {
      sql.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL CHECK (v >= 0))");
    }
    pool =
        PgPool.pool(
            vertx,
            MigratedDatabase.connectOptions(postgres, database),
            new PoolOptions().setMaxSize(2));
  }

  /** The extension closes the Vert.x instance after each test. */
  @AfterEach
  void stop(VertxTestContext test) {
    pool.close().onComplete(test.succeedingThenComplete());
  }

  @Test
  void aCallTheServerRefusesFailsAloneAndTheOthersOfItsBatchAreWritten(VertxTestContext test) {
    var commit = new GroupCommit(pool, INSERT, 64, Duration.ofSeconds(30), null);
    List<Future<?>> calls = new ArrayList<>();
    // The first runs alone; the others wait for it and go as one batch, with the bad one in it.
    for (int i = 0; i < 50; i++) {
      calls.add(commit.execute(Tuple.of(i, i == 25 ? -1 : i)));
    }
    check(
        test,
        Future.join(calls).otherwiseEmpty().compose(done -> rows()),
        rows -> {
          assertThat(calls.get(25).cause()).isInstanceOf(PgException.class);
          assertThat(calls.stream().filter(Future::succeeded)).hasSize(49);
          assertThat(rows).isEqualTo(49);
        });
  }

  @Test
  void aBatchInOneStatementGivesEachCallItsOwnRow(VertxTestContext test) throws Exception {
    var commit = new GroupCommit(pool, INSERT, INSERT_ALL, 64, Duration.ofSeconds(30), null);
    List<Future<List<Row>>> calls = new ArrayList<>();
    // The first runs alone, by the statement for one call, and waits for the table; the others
    // wait for it and go together.
    holdingTheTable(
        () -> {
          for (int i = 0; i < 40; i++) {
            calls.add(commit.execute(Tuple.of(100 + i, i)));
          }
        });
    check(
        test,
        Future.all(calls).compose(done -> rows()),
        rows -> {
          assertThat(rows).isEqualTo(40);
          assertThat(calls.get(0).result())
              .singleElement()
              .satisfies(row -> assertThat(row.getInteger("id")).isEqualTo(100));
          assertThat(calls.get(0).result().get(0).getColumnIndex("how")).as("alone").isEqualTo(-1);
          for (int i = 1; i < 40; i++) {
            int id = 100 + i;
            assertThat(calls.get(i).result())
                .as("call %d", i)
                .singleElement()
                .satisfies(
                    row -> {
                      assertThat(row.getInteger("id")).isEqualTo(id);
                      assertThat(row.getString("how")).isEqualTo("together");
                    });
          }
        });
  }

  @Test
  void aBatchStatementTheServerRefusesRunsItsCallsAlone(VertxTestContext test) throws Exception {
    var commit = new GroupCommit(pool, INSERT, INSERT_ALL, 64, Duration.ofSeconds(30), null);
    List<Future<List<Row>>> calls = new ArrayList<>();
    holdingTheTable(
        () -> {
          for (int i = 0; i < 30; i++) {
            calls.add(commit.execute(Tuple.of(i, i == 17 ? -1 : i)));
          }
        });
    check(
        test,
        Future.join(calls).otherwiseEmpty().compose(done -> rows()),
        rows -> {
          assertThat(calls.get(17).cause()).isInstanceOf(PgException.class);
          assertThat(calls.stream().filter(Future::succeeded)).hasSize(29);
          assertThat(calls.get(20).result())
              .singleElement()
              .satisfies(row -> assertThat(row.getInteger("id")).isEqualTo(20));
          assertThat(rows).isEqualTo(29);
        });
  }

  @Test
  void aBatchWhoseArraysCannotBeBuiltFailsAndTheNextCallsGoOn(VertxTestContext test)
      throws Exception {
    var broken =
        new GroupCommit.SetForm(
            INSERT_ALL.sql(),
            calls -> {
              throw new IllegalArgumentException("no arrays for these");
            });
    var commit = new GroupCommit(pool, INSERT, broken, 64, Duration.ofSeconds(30), null);
    List<Future<List<Row>>> calls = new ArrayList<>();
    holdingTheTable(
        () -> {
          for (int i = 0; i < 5; i++) {
            calls.add(commit.execute(Tuple.of(i, i)));
          }
        });
    check(
        test,
        Future.join(calls)
            .otherwiseEmpty()
            .compose(done -> commit.execute(Tuple.of(99, 99)))
            .compose(done -> rows()),
        rows -> {
          assertThat(calls.get(0).succeeded()).as("alone, by the statement for one call").isTrue();
          assertThat(calls.subList(1, 5))
              .allSatisfy(
                  call -> assertThat(call.cause()).hasMessageContaining("no arrays for these"));
          assertThat(rows).as("the first, and the call after the batch").isEqualTo(2);
        });
  }

  @Test
  void callsPastTheWaitingBoundFailAtOnceAndTheOthersGoOnceTheDatabaseAnswers(VertxTestContext test)
      throws Exception {
    var commit = new GroupCommit(pool, INSERT, 64, Duration.ofSeconds(30), null);
    List<Future<?>> calls = new ArrayList<>();
    holdingTheTable(
        () -> {
          for (int i = 0; i <= GroupCommit.MAX_WAITING; i++) {
            calls.add(commit.execute(Tuple.of(i, i)));
          }
          Future<?> over = commit.execute(Tuple.of(-1, 1));
          assertThat(over.failed()).as("refused at once, not queued").isTrue();
          assertThat(over.cause()).hasMessageContaining("behind");
        });
    check(
        test,
        Future.all(calls).compose(done -> rows()),
        rows -> assertThat(rows).isEqualTo(GroupCommit.MAX_WAITING + 1));
  }

  @Test
  void aHandlerThatThrowsDoesNotStopTheStatement(VertxTestContext test) {
    var commit = new GroupCommit(pool, INSERT, 64, Duration.ofSeconds(30), null);
    Future<?> first = commit.execute(Tuple.of(1, 1));
    // The calls after it are chained first: a listener that throws ends its future's notifications.
    Future<?> calls = first;
    for (int i = 2; i <= 5; i++) {
      int id = i;
      calls = calls.compose(done -> commit.execute(Tuple.of(id, id)));
    }
    first.onSuccess(
        rows -> {
          throw new IllegalStateException("a caller's bug");
        });
    check(test, calls.compose(done -> rows()), rows -> assertThat(rows).isEqualTo(5));
  }

  @Test
  void aCallWhoseTurnComesAfterItsLongestWaitFailsAndIsNotWritten(VertxTestContext test)
      throws Exception {
    var commit = new GroupCommit(pool, INSERT, 64, Duration.ofMillis(300), null);
    List<Future<?>> calls = new ArrayList<>();
    holdingTheTable(
        () -> {
          for (int i = 0; i <= 3; i++) {
            calls.add(commit.execute(Tuple.of(i, i)));
          }
          // Held past the longest wait: the time passing is what this test is about.
          Thread.sleep(600);
        });
    Future<?> first = calls.get(0);
    List<Future<?>> late = calls.subList(1, calls.size());
    check(
        test,
        first.compose(done -> Future.join(late).otherwiseEmpty()).compose(done -> rows()),
        rows -> {
          assertThat(late)
              .allSatisfy(
                  call -> assertThat(call.cause()).hasMessageContaining("waited more than 300 ms"));
          assertThat(rows).as("only the call under way when the table was held").isEqualTo(1);
        });
  }

  /** What runs while the table is held. */
  private interface Calls {
    void run() throws Exception;
  }

  /** Runs the calls while another connection holds the table, then lets it go. */
  private void holdingTheTable(Calls calls) throws Exception {
    try (var blocker = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = blocker.createStatement()) {
      blocker.setAutoCommit(false);
      sql.execute("LOCK TABLE t IN EXCLUSIVE MODE");
      calls.run();
      blocker.commit();
    }
  }

  private Future<Long> rows() {
    return pool.query("SELECT count(*) FROM t")
        .execute()
        .map(result -> result.iterator().next().getLong(0));
  }
}
