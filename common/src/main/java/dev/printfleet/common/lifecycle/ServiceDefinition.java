package dev.printfleet.common.lifecycle;

import dev.printfleet.common.config.CommonSettings;
import dev.printfleet.common.config.Settings;
import io.vertx.core.Future;

/**
 * What a service adds to the common start: its name, its own settings, and the verticles it deploys
 * on the clustered Vert.x.
 *
 * @param <C> the service's own settings record
 */
public interface ServiceDefinition<C> {

  /** The service name: {@code gateway}, {@code printing} or {@code monitoring}. */
  String name();

  int defaultHttpPort();

  /** Reads the service's own settings; throws a ConfigException for a bad one, before joining. */
  C configure(Settings settings, CommonSettings common);

  /** Deploys the service on the runtime; completes once it serves. */
  Future<Void> deploy(ServiceRuntime runtime, C config);
}
