package dev.printfleet.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests a {@link TestCluster} on the shared Redis: declare one as a parameter of a test, a
 * {@code @BeforeEach} or {@code @AfterEach} method and they all get the same cluster, new for each
 * test and closed after its {@code @AfterEach} methods (on a {@code @BeforeAll} method: one for the
 * class, closed after it).
 */
public final class TestClusterExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(TestClusterExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    // The store closes what it holds when its context ends: an AutoCloseable is closed then.
    return context
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            TestCluster.class, key -> TestCluster.on(TestServers.redis()), TestCluster.class);
  }
}
