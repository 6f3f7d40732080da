package dev.printfleet.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests the shared real servers: declare a {@link RedisServerHandle} or {@link
 * PostgresServerHandle} parameter on a test, a lifecycle method or a constructor and it arrives
 * started. PostgreSQL is only started by tests that ask for it.
 */
public final class RealServersExtension implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == RedisServerHandle.class || type == PostgresServerHandle.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == RedisServerHandle.class ? TestServers.redis() : TestServers.postgres();
  }
}
