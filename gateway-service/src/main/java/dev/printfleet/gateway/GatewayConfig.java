package dev.printfleet.gateway;

import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.gateway.fanout.RoomPolicy;
import dev.printfleet.gateway.session.Session;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The gateway's own settings (README, "Configuration").
 *
 * @param maxMessageBytes a message received above this (inflated, all its frames) closes the socket
 *     with 1009
 * @param presenceTtl how long an agent's presence entry lives in Redis without a refresh
 * @param agentRequestTimeout how long a dispatch or test waits for the agent's answer
 * @param maxPendingRequests requests to agents waiting for an answer on this instance; the oldest
 *     is answered with an error when a new one would exceed it
 * @param limits per-connection rate limit: burst, refill per second, and the refusals within a
 *     window that count as sustained abuse (close 1008)
 * @param statusWindow the fixed window in which printer statuses are batched per room
 * @param clientWriteQueueBytes a dashboard whose unsent bytes exceed this is behind
 * @param slowClientTimeout a dashboard behind for longer than this is closed
 * @param socketSendBufferBytes the kernel send buffer of each socket; 0 lets the OS size it
 * @param maxPrintersPerAgent the longest printer list an agent may sync; a longer one is refused
 * @param agentWriteQueueBytes an agent socket whose unsent bytes exceed this is full: dispatches to
 *     it are refused {@code busy} until it drains to half
 * @param agentDispatchBytes content of dispatches sent to one agent and not yet answered above
 *     which further dispatches to it are refused {@code busy}
 * @param maxConnectionsPerUser sockets one user (a dashboard's {@code sub}) may hold across the
 *     cluster; 0 for no limit
 * @param channels which channels exist and who may join them (PRINTFLEET_CHANNEL_KINDS, _ROLES)
 * @param channelHistory the last messages each channel keeps, and for how long
 * @param publishLimits messages a service token may publish per second on this instance, and in a
 *     burst
 * @param verticles gateway verticles, each on its own event loop, sharing the HTTP port: the
 *     sockets spread over them; by default one per core the JVM sees
 * @param printingHistory how much of each company's printer statuses and job updates is kept for
 *     dashboards that recover (PROTOCOL.md §6)
 */
public record GatewayConfig(
    long maxMessageBytes,
    Duration pingInterval,
    Duration pongTimeout,
    Duration presenceTtl,
    Duration agentRequestTimeout,
    int maxPendingRequests,
    List<String> allowedOrigins,
    Session.Limits limits,
    Duration statusWindow,
    long clientWriteQueueBytes,
    Duration slowClientTimeout,
    int maxRoomsPerClient,
    boolean compression,
    int compressionLevel,
    long socketSendBufferBytes,
    int maxPrintersPerAgent,
    long agentWriteQueueBytes,
    long agentDispatchBytes,
    int maxConnectionsPerUser,
    RoomPolicy channels,
    ChannelHistories channelHistories,
    PublishLimits publishLimits,
    int verticles,
    PrintingHistory.Bounds printingHistory) {

  /** Messages one service token may publish on one instance: a burst, then a rate. */
  public record PublishLimits(int burst, int perSecond) {}

  /** How many messages a channel keeps, and how long a message stays (PROTOCOL.md §6). */
  public record ChannelHistory(int size, Duration age) {}

  /**
   * The history of each namespace's channels: {@code PRINTFLEET_CHANNEL_HISTORY_SIZE} and {@code
   * _AGE} unless {@code PRINTFLEET_CHANNEL_HISTORY_NAMESPACES} names the namespace.
   */
  public record ChannelHistories(ChannelHistory defaults, Map<String, ChannelHistory> byNamespace) {

    /** The history of a channel, by its full name ({@code orders:branch:b1}). */
    public ChannelHistory of(String channel) {
      int colon = channel.indexOf(':');
      return byNamespace.getOrDefault(colon < 0 ? "" : channel.substring(0, colon), defaults);
    }
  }

  private static final String HISTORY_NAMESPACES = "PRINTFLEET_CHANNEL_HISTORY_NAMESPACES";

  private static Duration historyAge(String setting, Duration age) {
    if (age.compareTo(Duration.ofSeconds(1)) < 0 || age.compareTo(Duration.ofDays(1)) > 0) {
      throw new ConfigException(setting, "must be 1 s to 1 day, got " + age.toMillis() + " ms");
    }
    return age;
  }

  /**
   * {@code PRINTFLEET_CHANNEL_HISTORY_NAMESPACES}: {@code namespace=size,age;...}, e.g. {@code
   * orders=500,10m;availability=20,1m}, for namespaces the policy knows, not printing's.
   */
  static ChannelHistories histories(Settings settings, RoomPolicy policy) {
    var defaults =
        new ChannelHistory(
            settings.integer("PRINTFLEET_CHANNEL_HISTORY_SIZE", 100, 1, 10_000),
            historyAge(
                "PRINTFLEET_CHANNEL_HISTORY_AGE",
                settings.duration("PRINTFLEET_CHANNEL_HISTORY_AGE", Duration.ofMinutes(5))));
    Map<String, ChannelHistory> byNamespace = new java.util.HashMap<>();
    for (String part : settings.string(HISTORY_NAMESPACES, "").split(";")) {
      if (part.isBlank()) {
        continue;
      }
      var m =
          java.util.regex.Pattern.compile("\\s*([a-z0-9_-]+)\\s*=\\s*(\\d{1,5})\\s*,\\s*(\\S+)\\s*")
              .matcher(part);
      if (!m.matches()) {
        throw new ConfigException(
            HISTORY_NAMESPACES,
            "expected namespace=size,age;... (e.g. orders=500,10m), got " + part);
      }
      String namespace = m.group(1);
      if (!policy.hasNamespace(namespace) || namespace.equals(RoomPolicy.PRINTING)) {
        throw new ConfigException(
            HISTORY_NAMESPACES,
            "no history for namespace " + namespace + " (a configured namespace, not printing)");
      }
      if (byNamespace.containsKey(namespace)) {
        throw new ConfigException(HISTORY_NAMESPACES, "namespace " + namespace + " is named twice");
      }
      int size = Integer.parseInt(m.group(2));
      if (size < 1 || size > 10_000) {
        throw new ConfigException(
            HISTORY_NAMESPACES, "a history size is 1 to 10000, got " + size + " for " + namespace);
      }
      Duration age =
          new Settings(Map.of(HISTORY_NAMESPACES, m.group(3))).duration(HISTORY_NAMESPACES, null);
      byNamespace.put(namespace, new ChannelHistory(size, historyAge(HISTORY_NAMESPACES, age)));
    }
    return new ChannelHistories(defaults, Map.copyOf(byNamespace));
  }

  public static GatewayConfig from(Settings settings) {
    var channels =
        RoomPolicy.parse(
            settings.string("PRINTFLEET_CHANNEL_KINDS", RoomPolicy.DEFAULT_KINDS),
            settings.string("PRINTFLEET_CHANNEL_ROLES", RoomPolicy.DEFAULT_ROLES));
    var pingInterval = settings.duration("PRINTFLEET_WS_PING_INTERVAL", Duration.ofSeconds(25));
    var pongTimeout = settings.duration("PRINTFLEET_WS_PONG_TIMEOUT", Duration.ofSeconds(60));
    if (pingInterval.isZero() || pongTimeout.compareTo(pingInterval) <= 0) {
      throw new ConfigException(
          "PRINTFLEET_WS_PONG_TIMEOUT",
          "must be longer than PRINTFLEET_WS_PING_INTERVAL ("
              + pingInterval.toMillis()
              + " ms), got "
              + pongTimeout.toMillis()
              + " ms");
    }
    long maxMessage = settings.bytes("PRINTFLEET_WS_MAX_MESSAGE", 1024 * 1024);
    return new GatewayConfig(
        maxMessage,
        pingInterval,
        pongTimeout,
        settings.duration("PRINTFLEET_PRESENCE_TTL", Duration.ofSeconds(30)),
        settings.duration("PRINTFLEET_AGENT_REQUEST_TIMEOUT", Duration.ofSeconds(10)),
        settings.integer("PRINTFLEET_MAX_PENDING_REQUESTS", 1000, 1, 1_000_000),
        settings.list("PRINTFLEET_ALLOWED_ORIGINS"),
        new Session.Limits(
            settings.integer("PRINTFLEET_WS_RATE_BURST", 100, 1, 1_000_000),
            settings.integer("PRINTFLEET_WS_RATE_PER_SECOND", 10, 1, 1_000_000),
            settings.integer("PRINTFLEET_WS_ABUSE_THRESHOLD", 50, 1, 1_000_000),
            settings.duration("PRINTFLEET_WS_ABUSE_WINDOW", Duration.ofSeconds(10))),
        settings.duration("PRINTFLEET_STATUS_BATCH_WINDOW", Duration.ofMillis(100)),
        settings.bytes("PRINTFLEET_WS_CLIENT_WRITE_QUEUE", 1024 * 1024),
        settings.duration("PRINTFLEET_WS_SLOW_CLIENT_TIMEOUT", Duration.ofSeconds(30)),
        settings.integer("PRINTFLEET_WS_MAX_ROOMS", 100, 1, 10_000),
        settings.bool("PRINTFLEET_WS_COMPRESSION", true),
        settings.integer("PRINTFLEET_WS_COMPRESSION_LEVEL", 3, 1, 9),
        settings.bytes("PRINTFLEET_WS_SEND_BUFFER", 0),
        settings.integer("PRINTFLEET_MAX_PRINTERS_PER_AGENT", 1000, 1, 100_000),
        settings.bytes("PRINTFLEET_WS_AGENT_WRITE_QUEUE", 1024 * 1024),
        settings.bytes("PRINTFLEET_WS_AGENT_DISPATCH_BYTES", 8 * 1024 * 1024),
        settings.integer("PRINTFLEET_WS_MAX_CONNECTIONS_PER_USER", 10, 0, 100_000),
        channels,
        histories(settings, channels),
        new PublishLimits(
            // A burst below a batch's 100 messages would refuse every full batch forever.
            settings.integer("PRINTFLEET_PUBLISH_BURST", 2_000, 100, 1_000_000),
            settings.integer("PRINTFLEET_PUBLISH_RATE_PER_SECOND", 1_000, 1, 1_000_000)),
        settings.integer(
            "PRINTFLEET_GATEWAY_VERTICLES", Runtime.getRuntime().availableProcessors(), 1, 1024),
        PrintingHistory.Bounds.from(settings));
  }
}
