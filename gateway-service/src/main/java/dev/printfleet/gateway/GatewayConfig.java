package dev.printfleet.gateway;

import dev.printfleet.common.config.Settings;
import java.time.Duration;
import java.util.List;

/**
 * The gateway's own settings.
 *
 * @param maxMessageBytes frames received above this close the socket with 1009
 * @param presenceTtl how long an agent's presence entry lives in Redis without a refresh
 * @param agentRequestTimeout how long a dispatch or test waits for the agent's answer
 * @param maxPendingRequests requests to agents waiting for an answer on this instance; the oldest
 *     is answered with an error when a new one would exceed it
 */
public record GatewayConfig(
    long maxMessageBytes,
    Duration pingInterval,
    Duration pongTimeout,
    Duration presenceTtl,
    Duration agentRequestTimeout,
    int maxPendingRequests,
    List<String> allowedOrigins) {

  public static GatewayConfig from(Settings settings) {
    return new GatewayConfig(
        settings.bytes("PRINTFLEET_WS_MAX_MESSAGE", 1024 * 1024),
        settings.duration("PRINTFLEET_WS_PING_INTERVAL", Duration.ofSeconds(25)),
        settings.duration("PRINTFLEET_WS_PONG_TIMEOUT", Duration.ofSeconds(60)),
        settings.duration("PRINTFLEET_PRESENCE_TTL", Duration.ofSeconds(30)),
        settings.duration("PRINTFLEET_AGENT_REQUEST_TIMEOUT", Duration.ofSeconds(10)),
        settings.integer("PRINTFLEET_MAX_PENDING_REQUESTS", 1000, 1, 1_000_000),
        settings.list("PRINTFLEET_ALLOWED_ORIGINS"));
  }
}
