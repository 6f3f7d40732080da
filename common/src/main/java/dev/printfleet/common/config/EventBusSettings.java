package dev.printfleet.common.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How this node is reached on the clustered event bus. In a Kubernetes pod the host is the pod IP
 * ({@code PRINTFLEET_EVENTBUS_HOST} from {@code status.podIP}); behind NAT a public host and port
 * can be advertised instead.
 *
 * @param clusterCheckInterval how often the node checks that Redis still holds its cluster state
 *     (its entry and its subscriptions) and drops members that died
 */
public record EventBusSettings(
    String host,
    int port,
    Optional<String> publicHost,
    Optional<Integer> publicPort,
    Duration clusterCheckInterval) {

  public static EventBusSettings from(Settings settings) {
    String host = settings.string("PRINTFLEET_EVENTBUS_HOST", "127.0.0.1");
    int port = settings.port("PRINTFLEET_EVENTBUS_PORT", 0);
    Optional<String> publicHost = settings.optional("PRINTFLEET_EVENTBUS_PUBLIC_HOST");
    Optional<Integer> publicPort =
        settings
            .optional("PRINTFLEET_EVENTBUS_PUBLIC_PORT")
            .map(v -> settings.port("PRINTFLEET_EVENTBUS_PUBLIC_PORT", 0));
    Duration clusterCheckInterval =
        settings.duration("PRINTFLEET_CLUSTER_CHECK_INTERVAL", Duration.ofSeconds(3));
    if (clusterCheckInterval.toMillis() < 100) {
      throw new ConfigException("PRINTFLEET_CLUSTER_CHECK_INTERVAL", "must be at least 100ms");
    }
    return new EventBusSettings(host, port, publicHost, publicPort, clusterCheckInterval);
  }
}
