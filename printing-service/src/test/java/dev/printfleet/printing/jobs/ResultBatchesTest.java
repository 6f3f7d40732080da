package dev.printfleet.printing.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Agents' results written many in one statement ({@link JobStore#RECORD_RESULTS}) as they would be
 * one by one: each job by its own result, only by the agent it was leased to and for its company, a
 * job's second result in the same batch a no-op, and each job's history in the contract's order.
 */
@ExtendWith(RealServersExtension.class)
class ResultBatchesTest {

  private PostgresServerHandle postgres;
  private String url;
  private Vertx vertx;
  private Pool pool;
  private JobStore store;

  @BeforeEach
  void start(PostgresServerHandle postgres) throws Exception {
    this.postgres = postgres;
    url = MigratedDatabase.create(postgres, "results");
    try (var connection = connect();
        var sql = connection.createStatement()) {
      sql.execute(
          "INSERT INTO printers (company, id, name, branch, agent_id, status, online)"
              + " SELECT 'acme', 'p' || g, 'Printer ' || g, 'b1', 'agent-1', 'ready', true"
              + " FROM generate_series(1, 6) g");
    }
    vertx = Vertx.vertx();
    String database = url.substring(url.lastIndexOf('/') + 1);
    pool =
        PgPool.pool(
            vertx,
            MigratedDatabase.connectOptions(postgres, database).setCachePreparedStatements(true),
            new PoolOptions().setMaxSize(4));
    store = new JobStore(pool);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private UUID accepted(String printer) throws Exception {
    var inserted =
        await(
            store.insert(
                "acme",
                null,
                printer,
                1,
                "text/plain",
                new byte[] {'x'},
                "key-" + printer,
                Duration.ofSeconds(30)));
    assertThat(inserted.orElseThrow().leased()).as("leased to its agent on accept").isPresent();
    return inserted.orElseThrow().job().id();
  }

  @Test
  void aBatchOfResultsWritesEachJobOnceByItsOwnAgent() throws Exception {
    UUID first = accepted("p1");
    UUID a = accepted("p2");
    UUID b = accepted("p3");
    UUID c = accepted("p4");
    UUID d = accepted("p5");
    List<Future<Optional<JobStore.Recorded>>> results = new ArrayList<>();
    try (var blocker = connect();
        var sql = blocker.createStatement()) {
      // The first result runs alone and waits for the held row; the others wait for it and go as
      // one batch.
      blocker.setAutoCommit(false);
      sql.execute("SELECT 1 FROM jobs WHERE id = '" + first + "' FOR UPDATE");
      results.add(store.recordResult(first, "acme", "agent-1", JobState.PRINTED, null));
      results.add(store.recordResult(a, "acme", "agent-1", JobState.PRINTED, null));
      results.add(store.recordResult(b, "acme", "agent-1", JobState.FAILED, "paper jam"));
      results.add(store.recordResult(b, "acme", "agent-1", JobState.PRINTED, null));
      results.add(store.recordResult(c, "acme", "agent-2", JobState.FAILED, "not mine"));
      results.add(store.recordResult(c, "acme", "agent-1", JobState.PRINTED, null));
      results.add(store.recordResult(d, "globex", "agent-1", JobState.PRINTED, null));
      blocker.commit();
    }
    List<Optional<JobStore.Recorded>> written = new ArrayList<>();
    for (var result : results) {
      written.add(await(result));
    }

    assertThat(written.get(0)).as("the first, alone").isPresent();
    assertThat(written.get(1)).hasValueSatisfying(r -> assertThat(r.job().id()).isEqualTo(a));
    assertThat(written.get(2))
        .as("b's first result")
        .hasValueSatisfying(
            r -> {
              assertThat(r.job().id()).isEqualTo(b);
              assertThat(r.job().state()).isEqualTo(JobState.FAILED);
              assertThat(r.dispatchWrittenWithIt()).isTrue();
            });
    assertThat(written.get(3)).as("b's second result in the same batch").isEmpty();
    assertThat(written.get(4)).as("c's result from an agent it was not leased to").isEmpty();
    assertThat(written.get(5))
        .as("c's result from its agent, after another's in the same batch")
        .hasValueSatisfying(r -> assertThat(r.job().state()).isEqualTo(JobState.PRINTED));
    assertThat(written.get(6)).as("d's result for another company").isEmpty();

    assertThat(history(b)).containsExactly("queued", "dispatched", "failed paper jam");
    assertThat(history(a)).containsExactly("queued", "dispatched", "printed");
    assertThat(history(c)).containsExactly("queued", "dispatched", "printed");
    assertThat(history(d)).containsExactly("queued");
    assertThat(await(store.isFinalFor(b, "acme", "agent-1")))
        .as("b's second: a duplicate")
        .isTrue();
  }

  /**
   * The statement itself, on arrays (the batch above would pass on the lone statement too, were
   * this one refused): each row names its result's place, and a job already marked dispatched gets
   * its outcome alone.
   */
  @Test
  void theBatchStatementAnswersEachResultByItsPlace() throws Exception {
    UUID queued = accepted("p1");
    var inserted =
        await(
            store.insert(
                "acme",
                null,
                "p2",
                1,
                "text/plain",
                new byte[] {'x'},
                "key-sent",
                Duration.ofSeconds(30)));
    var claimed = inserted.orElseThrow().leased().orElseThrow();
    assertThat(await(store.markDispatched(claimed, "sent"))).isPresent();
    UUID dispatched = claimed.id();
    UUID unknown = UUID.randomUUID();
    var rows =
        await(
            pool.preparedQuery(JobStore.RECORD_RESULTS)
                .execute(
                    io.vertx.sqlclient.Tuple.tuple()
                        .addValue(new UUID[] {unknown, dispatched, queued})
                        .addValue(new String[] {"acme", "acme", "acme"})
                        .addValue(new String[] {"printed", "failed", "printed"})
                        .addValue(new String[] {null, "out of paper", null})
                        .addValue(new String[] {"agent-1", "agent-1", "agent-1"})));
    var byCall = new java.util.TreeMap<Long, String>();
    rows.forEach(
        row ->
            byCall.put(
                row.getLong("call"),
                row.getUUID("id")
                    + " "
                    + row.getString("state")
                    + " "
                    + row.getBoolean("was_queued")));
    assertThat(byCall)
        .containsExactly(
            java.util.Map.entry(2L, dispatched + " failed false"),
            java.util.Map.entry(3L, queued + " printed true"));
    assertThat(history(dispatched)).containsExactly("queued", "dispatched", "failed out of paper");
  }

  /** A batch is sorted as PostgreSQL orders the ids it locks: by their bytes, unsigned. */
  @Test
  void batchesAreSortedInTheOrderPostgresqlLocksTheirJobs() throws Exception {
    List<UUID> ids =
        new ArrayList<>(
            List.of(
                UUID.fromString("ffffffff-0000-0000-0000-000000000000"),
                UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff"),
                UUID.fromString("80000000-0000-0000-0000-000000000000"),
                UUID.fromString("00000000-0000-0000-8000-000000000000"),
                UUID.fromString("00000000-0000-0000-7fff-ffffffffffff"),
                UUID.fromString("00000000-0000-0000-0000-000000000001")));
    List<UUID> byPostgres = new ArrayList<>();
    try (var connection = connect();
        var sql = connection.createStatement();
        var rows =
            sql.executeQuery(
                "SELECT id FROM unnest(ARRAY['"
                    + String.join("','", ids.stream().map(UUID::toString).toList())
                    + "']::uuid[]) AS u(id) ORDER BY id")) {
      while (rows.next()) {
        byPostgres.add(UUID.fromString(rows.getString(1)));
      }
    }
    ids.sort(JobStore::inPostgresOrder);
    assertThat(ids).isEqualTo(byPostgres);
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url, postgres.user(), postgres.password());
  }

  private List<String> history(UUID job) throws Exception {
    List<String> entries = new ArrayList<>();
    try (var connection = connect();
        var sql = connection.createStatement();
        var rows =
            sql.executeQuery(
                "SELECT state, detail FROM job_history WHERE job_id = '"
                    + job
                    + "' ORDER BY seq")) {
      while (rows.next()) {
        String detail = rows.getString(2);
        entries.add(
            rows.getString(1)
                + (detail == null
                        || rows.getString(1).equals("queued")
                        || rows.getString(1).equals("dispatched")
                    ? ""
                    : " " + detail));
      }
    }
    return entries;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
