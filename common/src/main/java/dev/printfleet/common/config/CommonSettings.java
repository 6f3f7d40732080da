package dev.printfleet.common.config;

import java.time.Duration;
import java.util.UUID;

/**
 * What every service reads at start: who it is, its HTTP port, the cluster, Redis and JWT.
 *
 * @param service the service name, e.g. {@code gateway}
 * @param instanceId unique per process; names its event bus addresses and its heartbeat
 * @param drainDelay how long a draining instance stays up and not ready before it closes sockets,
 *     so the ingress stops sending it traffic first
 */
public record CommonSettings(
    String service,
    String instanceId,
    String httpHost,
    int httpPort,
    EventBusSettings eventBus,
    RedisSettings redis,
    JwtSettings jwt,
    Duration heartbeatInterval,
    Duration drainDelay,
    Duration shutdownTimeout) {

  public static CommonSettings from(Settings settings, String service, int defaultHttpPort) {
    String instanceId =
        settings.string(
            "PRINTFLEET_INSTANCE_ID", service + "-" + UUID.randomUUID().toString().substring(0, 8));
    if (!instanceId.matches("[A-Za-z0-9._-]{1,100}")) {
      throw new ConfigException(
          "PRINTFLEET_INSTANCE_ID",
          "may hold only letters, digits, '.', '_' and '-' (at most 100), got '"
              + instanceId
              + "'");
    }
    return new CommonSettings(
        service,
        instanceId,
        settings.string("PRINTFLEET_HTTP_HOST", "0.0.0.0"),
        settings.port("PRINTFLEET_HTTP_PORT", defaultHttpPort),
        EventBusSettings.from(settings),
        RedisSettings.from(settings),
        JwtSettings.from(settings),
        settings.duration("PRINTFLEET_HEARTBEAT_INTERVAL", Duration.ofSeconds(5)),
        settings.duration("PRINTFLEET_DRAIN_DELAY", Duration.ofSeconds(5)),
        settings.duration("PRINTFLEET_SHUTDOWN_TIMEOUT", Duration.ofSeconds(25)));
  }
}
