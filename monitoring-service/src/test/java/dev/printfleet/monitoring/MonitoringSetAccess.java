package dev.printfleet.monitoring;

import dev.printfleet.testing.PostgresServerHandle;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;

/** Opens a {@link MonitoringSet} for tests in other packages. */
public final class MonitoringSetAccess {

  private MonitoringSetAccess() {}

  public static MonitoringSet open(RedisServerHandle redis, PostgresServerHandle postgres) {
    return new MonitoringSet(redis, postgres);
  }

  public static <T> T join(Future<T> future) {
    return MonitoringSet.join(future);
  }
}
