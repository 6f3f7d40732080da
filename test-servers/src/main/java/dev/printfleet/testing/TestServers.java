package dev.printfleet.testing;

/**
 * The Redis and PostgreSQL servers shared by every test of one test JVM. Each starts on first use
 * and stops when the JVM exits, so a module's test run starts each server once.
 */
public final class TestServers {

  private static RedisServerHandle redis;
  private static PostgresServerHandle postgres;

  private TestServers() {}

  public static synchronized RedisServerHandle redis() {
    if (redis == null) {
      redis = RedisServerHandle.startOnFreePort();
      closeAtExit(redis, "printfleet-test-redis");
    }
    return redis;
  }

  public static synchronized PostgresServerHandle postgres() {
    if (postgres == null) {
      postgres = PostgresServerHandle.startOnFreePort();
      closeAtExit(postgres, "printfleet-test-postgres");
    }
    return postgres;
  }

  private static void closeAtExit(AutoCloseable server, String name) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                  } catch (Exception e) {
                    System.err.println(name + " did not stop cleanly: " + e);
                  }
                },
                name));
  }
}
