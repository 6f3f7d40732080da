package dev.printfleet.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.spi.metrics.PoolMetrics;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The PostgreSQL connection pools of an instance, summed (printing and monitoring each hold one):
 * {@code printfleet_db_pool_waiting} (requests waiting for a connection), {@code
 * printfleet_db_pool_in_use}, {@code printfleet_db_pool_max} (the pools' maximum size) and {@code
 * printfleet_db_pool_rejected_total} (requests refused: the wait queue full, the wait timed out,
 * the connection failed). A pool whose connections are all in use while requests wait is exhausted;
 * the alert {@code PrintfleetDbPoolExhausted} reads these. Each event is one atomic add: no tag, no
 * lookup.
 */
final class SqlPoolMeters {

  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicInteger inUse = new AtomicInteger();
  private final AtomicInteger max = new AtomicInteger();
  private final Counter rejected;

  SqlPoolMeters(MeterRegistry registry) {
    Gauge.builder("printfleet.db.pool.waiting", waiting, AtomicInteger::get)
        .description("Requests waiting for a PostgreSQL connection of the instance's pools")
        .register(registry);
    Gauge.builder("printfleet.db.pool.in.use", inUse, AtomicInteger::get)
        .description("PostgreSQL connections lent out by the instance's pools")
        .register(registry);
    Gauge.builder("printfleet.db.pool.max", max, AtomicInteger::get)
        .description("The maximum size of the instance's PostgreSQL pools, summed")
        .register(registry);
    this.rejected =
        Counter.builder("printfleet.db.pool.rejected")
            .description(
                "Requests for a PostgreSQL connection refused: the wait queue was full, the wait timed out or the connection failed")
            .register(registry);
  }

  /** A pool of {@code maxSize} connections joins the sums; its {@code close} leaves them. */
  PoolMetrics<Boolean> pool(int maxSize) {
    max.addAndGet(maxSize);
    return new Pool(maxSize);
  }

  /** One pool's events; a request's metric is {@code true} while it waits for a connection. */
  private final class Pool implements PoolMetrics<Boolean> {

    private final int maxSize;

    Pool(int maxSize) {
      this.maxSize = maxSize;
    }

    @Override
    public Boolean submitted() {
      waiting.incrementAndGet();
      return Boolean.TRUE;
    }

    @Override
    public Boolean begin(Boolean waited) {
      leftQueue(waited);
      inUse.incrementAndGet();
      return Boolean.FALSE;
    }

    @Override
    public void rejected(Boolean waited) {
      leftQueue(waited);
      rejected.increment();
    }

    private void leftQueue(Boolean waited) {
      if (Boolean.TRUE.equals(waited)) {
        waiting.decrementAndGet();
      }
    }

    @Override
    public void end(Boolean used, boolean succeeded) {
      inUse.decrementAndGet();
    }

    @Override
    public void close() {
      max.addAndGet(-maxSize);
    }
  }
}
