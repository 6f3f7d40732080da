package dev.printfleet.printing.jobs;

import static dev.printfleet.testing.VertxChecks.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.metrics.MetricsSetup;
import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RealServersExtension;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The PostgreSQL pool's meters (a pool arranged step by step, each step joined as a fixture's is;
 * the meters are read as they are, synchronously) (printfleet_db_pool_*, which
 * PrintfleetDbPoolExhausted reads) on a real pool and server: connections lent, requests waiting, a
 * request refused, the maximum.
 */
@ExtendWith(RealServersExtension.class)
class DbPoolMetersTest {

  private PrometheusMeterRegistry registry;
  private Vertx vertx;

  @AfterEach
  void close() {
    if (vertx != null) {
      join(vertx.close());
    }
  }

  @Test
  void aPoolAtItsMaximumWithARequestWaitingAndOneRefusedReadsSoOnMetrics(
      PostgresServerHandle postgres) throws Exception {
    registry = MetricsSetup.newRegistry("printing", "pool-test");
    vertx = Vertx.vertx(new VertxOptions().setMetricsOptions(MetricsSetup.options(registry, "t")));
    Pool pool =
        PgPool.pool(
            vertx,
            MigratedDatabase.connectOptions(postgres, "postgres"),
            new PoolOptions().setMaxSize(2).setMaxWaitQueueSize(1));
    assertThat(gauge("printfleet.db.pool.max")).isEqualTo(2);

    SqlConnection first = join(pool.getConnection());
    SqlConnection second = join(pool.getConnection());
    assertThat(gauge("printfleet.db.pool.in.use")).isEqualTo(2);
    assertThat(gauge("printfleet.db.pool.waiting")).isZero();

    var waiting = pool.query("SELECT 1").execute();
    await().atMost(Duration.ofSeconds(5)).until(() -> gauge("printfleet.db.pool.waiting") == 1);
    // The wait queue holds one: the next request is refused.
    var refused = pool.getConnection();
    await().atMost(Duration.ofSeconds(5)).until(refused::failed);
    assertThat(registry.get("printfleet.db.pool.rejected").counter().count()).isEqualTo(1);
    assertThat(registry.scrape())
        .contains("printfleet_db_pool_waiting{instance=\"pool-test\",service=\"printing\",} 1.0")
        .contains("printfleet_db_pool_in_use{instance=\"pool-test\",service=\"printing\",} 2.0");

    join(first.close());
    join(waiting);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                gauge("printfleet.db.pool.waiting") == 0
                    && gauge("printfleet.db.pool.in.use") == 1);
    join(second.close());
    await().atMost(Duration.ofSeconds(5)).until(() -> gauge("printfleet.db.pool.in.use") == 0);
    join(pool.close());
    assertThat(gauge("printfleet.db.pool.max")).isZero();
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }
}
