package dev.printfleet.common.config;

import java.util.Optional;

/**
 * How this node is reached on the clustered event bus. In a Kubernetes pod the host is the pod IP
 * ({@code PRINTFLEET_EVENTBUS_HOST} from {@code status.podIP}); behind NAT a public host and port
 * can be advertised instead.
 */
public record EventBusSettings(
    String host, int port, Optional<String> publicHost, Optional<Integer> publicPort) {

  public static EventBusSettings from(Settings settings) {
    String host = settings.string("PRINTFLEET_EVENTBUS_HOST", "127.0.0.1");
    int port = settings.port("PRINTFLEET_EVENTBUS_PORT", 0);
    Optional<String> publicHost = settings.optional("PRINTFLEET_EVENTBUS_PUBLIC_HOST");
    Optional<Integer> publicPort =
        settings.optional("PRINTFLEET_EVENTBUS_PUBLIC_PORT")
            .map(v -> settings.port("PRINTFLEET_EVENTBUS_PUBLIC_PORT", 0));
    return new EventBusSettings(host, port, publicHost, publicPort);
  }
}
