package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
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
@ExtendWith(RealServersExtension.class)
class GroupCommitTest {

  private static final String INSERT = "INSERT INTO t (id, v) VALUES ($1, $2) RETURNING id";

  private Vertx vertx;
  private Pool pool;
  private String url;
  private PostgresServerHandle postgres;

  @BeforeEach
  void start(PostgresServerHandle postgres) throws Exception {
    this.postgres = postgres;
    String database = postgres.createDatabase("group");
    url = "jdbc:postgresql://" + postgres.host() + ":" + postgres.port() + "/" + database;
    try (var connection = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = connection.createStatement()) {
      sql.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL CHECK (v >= 0))");
    }
    vertx = Vertx.vertx();
    pool =
        PgPool.pool(
            vertx,
            new PgConnectOptions()
                .setHost(postgres.host())
                .setPort(postgres.port())
                .setDatabase(database)
                .setUser(postgres.user())
                .setPassword(postgres.password()),
            new PoolOptions().setMaxSize(2));
  }

  @AfterEach
  void stop() throws Exception {
    pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aCallTheServerRefusesFailsAloneAndTheOthersOfItsBatchAreWritten() throws Exception {
    var commit = new GroupCommit(pool, INSERT, 1, 64, Duration.ofSeconds(30), null);
    List<Future<?>> calls = new ArrayList<>();
    // The first runs alone; the others wait for it and go as one batch, with the bad one in it.
    for (int i = 0; i < 50; i++) {
      calls.add(commit.execute(Tuple.of(i, i == 25 ? -1 : i)));
    }
    Future.join(calls)
        .otherwiseEmpty()
        .toCompletionStage()
        .toCompletableFuture()
        .get(20, TimeUnit.SECONDS);

    assertThat(calls.get(25).cause()).isInstanceOf(PgException.class);
    assertThat(calls.stream().filter(Future::succeeded)).hasSize(49);
    assertThat(rows()).isEqualTo(49);
  }

  @Test
  void callsPastTheWaitingBoundFailAtOnceAndTheOthersGoOnceTheDatabaseAnswers() throws Exception {
    var commit = new GroupCommit(pool, INSERT, 1, 64, Duration.ofSeconds(30), null);
    List<Future<?>> calls = new ArrayList<>();
    try (var blocker = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = blocker.createStatement()) {
      blocker.setAutoCommit(false);
      sql.execute("LOCK TABLE t IN EXCLUSIVE MODE");
      for (int i = 0; i <= GroupCommit.MAX_WAITING; i++) {
        calls.add(commit.execute(Tuple.of(i, i)));
      }
      Future<?> over = commit.execute(Tuple.of(-1, 1));
      assertThat(over.failed()).as("refused at once, not queued").isTrue();
      assertThat(over.cause()).hasMessageContaining("behind");
      blocker.commit();
    }
    Future.join(calls).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertThat(rows()).isEqualTo(GroupCommit.MAX_WAITING + 1);
  }

  @Test
  void aHandlerThatThrowsDoesNotStopTheStatement() throws Exception {
    var commit = new GroupCommit(pool, INSERT, 1, 64, Duration.ofSeconds(30), null);
    commit
        .execute(Tuple.of(1, 1))
        .onSuccess(
            rows -> {
              throw new IllegalStateException("a caller's bug");
            });
    await().atMost(Duration.ofSeconds(10)).until(() -> rows() == 1);

    for (int i = 2; i <= 5; i++) {
      commit
          .execute(Tuple.of(i, i))
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    }
    assertThat(rows()).isEqualTo(5);
  }

  @Test
  void aCallWhoseTurnComesAfterItsLongestWaitFailsAndIsNotWritten() throws Exception {
    var commit = new GroupCommit(pool, INSERT, 1, 64, Duration.ofMillis(300), null);
    Future<?> first;
    List<Future<?>> late = new ArrayList<>();
    try (var blocker = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = blocker.createStatement()) {
      blocker.setAutoCommit(false);
      sql.execute("LOCK TABLE t IN EXCLUSIVE MODE");
      first = commit.execute(Tuple.of(0, 0));
      for (int i = 1; i <= 3; i++) {
        late.add(commit.execute(Tuple.of(i, i)));
      }
      // Held past the longest wait: the time passing is what this test is about.
      Thread.sleep(600);
      blocker.commit();
    }
    first.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Future.join(late)
        .otherwiseEmpty()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertThat(late)
        .allSatisfy(
            call -> assertThat(call.cause()).hasMessageContaining("waited more than 300 ms"));
    assertThat(rows()).as("only the call under way when the table was held").isEqualTo(1);
  }

  private long rows() throws Exception {
    try (var connection = DriverManager.getConnection(url, postgres.user(), postgres.password());
        var sql = connection.createStatement();
        var result = sql.executeQuery("SELECT count(*) FROM t")) {
      result.next();
      return result.getLong(1);
    }
  }
}
