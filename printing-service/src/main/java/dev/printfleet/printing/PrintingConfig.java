package dev.printfleet.printing;

import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.PostgresSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.history.PrintingHistory;
import java.time.Duration;

/**
 * The printing service's own settings (README, "Configuration").
 *
 * @param maxAttempts dispatches a job gets before it becomes {@code failed}
 * @param jobTtl how long a job may wait {@code queued} before it becomes {@code expired}
 * @param jobRetention how long a finished job (printed, failed, cancelled, expired) is kept, with
 *     its history, from when it finished
 * @param resultDeadline a job {@code dispatched} without a result for this long goes out again
 * @param offlineWait how long a job of an offline agent waits before it is looked at again (its
 *     agent connecting releases it at once)
 * @param dispatchMaxInFlight dispatches this instance waits on at once
 * @param dispatchMaxPerAgent dispatches this instance waits on at once for one agent
 * @param dispatchMaxBytes job content this instance holds for dispatches being sent (read from the
 *     database and not yet written by the gateway); one job bigger than this still goes alone
 * @param busyWait how long a job waits, queued and without using an attempt, when its agent is busy
 *     (these limits, or the gateway refused it {@code busy})
 * @param routeWait how long a job not sent because its route was gone (the gateway does not hold
 *     the agent, is gone or silent) waits, queued and without using an attempt, before the next
 *     try; the agent connecting, or its presence coming back, releases it at once
 * @param gatewayDeadAfter a gateway whose heartbeats stopped this long gets no dispatch, and the
 *     dispatches waiting on it are re-queued at once
 * @param routeTimeout how long the gateway has to say it wrote a dispatch to the agent's socket
 *     (the first of its two steps, milliseconds when all is well); past it the job was not sent: a
 *     gateway killed mid-request never answers, and its dispatches must not wait out the whole
 *     {@code dispatchTimeout}
 * @param printingHistory how much of each company's job updates (and printer statuses) is kept for
 *     dashboards that recover (PROTOCOL.md §6)
 */
public record PrintingConfig(
    PostgresSettings postgres,
    int maxAttempts,
    Duration jobTtl,
    Duration jobRetention,
    Duration retryBackoff,
    Duration dispatchInterval,
    Duration dispatchLease,
    Duration dispatchTimeout,
    Duration resultDeadline,
    Duration offlineWait,
    int circuitMaxFailures,
    Duration circuitWindow,
    Duration circuitReset,
    int testPrintsPerPrinter,
    int testPrintsPerBranch,
    int dispatchMaxInFlight,
    int dispatchMaxPerAgent,
    long dispatchMaxBytes,
    Duration busyWait,
    Duration routeWait,
    Duration gatewayDeadAfter,
    Duration routeTimeout,
    boolean dispatchOnAccept,
    Duration resultGrace,
    int maxQueuedPerCompany,
    PrintingHistory.Bounds printingHistory) {

  static final Duration MAX_RETENTION = Duration.ofDays(36_500);

  public static PrintingConfig from(Settings settings) {
    var config =
        new PrintingConfig(
            PostgresSettings.from(settings),
            settings.integer("PRINTFLEET_MAX_ATTEMPTS", 5, 1, 100),
            settings.duration("PRINTFLEET_JOB_TTL", Duration.ofHours(24)),
            settings.duration("PRINTFLEET_JOB_RETENTION", Duration.ofDays(30)),
            settings.duration("PRINTFLEET_RETRY_BACKOFF", Duration.ofSeconds(2)),
            settings.duration("PRINTFLEET_DISPATCH_INTERVAL", Duration.ofMillis(250)),
            settings.duration("PRINTFLEET_DISPATCH_LEASE", Duration.ofSeconds(60)),
            settings.duration("PRINTFLEET_DISPATCH_TIMEOUT", Duration.ofSeconds(15)),
            settings.duration("PRINTFLEET_RESULT_DEADLINE", Duration.ofMinutes(5)),
            settings.duration("PRINTFLEET_OFFLINE_WAIT", Duration.ofSeconds(30)),
            settings.integer("PRINTFLEET_CIRCUIT_MAX_FAILURES", 5, 1, 1000),
            settings.duration("PRINTFLEET_CIRCUIT_WINDOW", Duration.ofMinutes(5)),
            settings.duration("PRINTFLEET_CIRCUIT_RESET", Duration.ofSeconds(60)),
            settings.integer("PRINTFLEET_TEST_PRINTS_PER_PRINTER", 5, 1, 10_000),
            settings.integer("PRINTFLEET_TEST_PRINTS_PER_BRANCH", 10, 1, 10_000),
            settings.integer("PRINTFLEET_DISPATCH_MAX_IN_FLIGHT", 1000, 1, 100_000),
            settings.integer("PRINTFLEET_DISPATCH_MAX_PER_AGENT", 8, 1, 10_000),
            settings.bytes("PRINTFLEET_DISPATCH_MAX_BYTES", 16 * 1024 * 1024),
            settings.duration("PRINTFLEET_DISPATCH_BUSY_WAIT", Duration.ofSeconds(1)),
            settings.duration("PRINTFLEET_DISPATCH_ROUTE_WAIT", Duration.ofSeconds(5)),
            // Above two heartbeat intervals (5 s), so one late beat is not a death; below the
            // agents' 15 s pong timeout, so a frozen gateway is left before its agents come back
            // elsewhere.
            settings.duration("PRINTFLEET_GATEWAY_DEAD_AFTER", Duration.ofSeconds(12)),
            settings.duration("PRINTFLEET_DISPATCH_ROUTE_TIMEOUT", Duration.ofSeconds(3)),
            settings.bool("PRINTFLEET_DISPATCH_ON_ACCEPT", true),
            // Long enough for most prints (a receipt takes well under a second) to be written once.
            settings.duration("PRINTFLEET_DISPATCH_RESULT_GRACE", Duration.ofSeconds(2)),
            settings.integer("PRINTFLEET_MAX_QUEUED_PER_COMPANY", 100_000, 1, 100_000_000),
            PrintingHistory.Bounds.from(settings));
    // Under an hour, a client could lose the outcome of a job it just sent before it looked; past
    // 100 years, the cutoff falls outside PostgreSQL's dates (that long keeps every job).
    if (config.jobRetention().compareTo(Duration.ofHours(1)) < 0
        || config.jobRetention().compareTo(MAX_RETENTION) > 0) {
      throw new ConfigException(
          "PRINTFLEET_JOB_RETENTION",
          "must be from 1h to "
              + MAX_RETENTION.toDays()
              + "d (100 years: every job kept), got "
              + config.jobRetention().toMillis()
              + "ms");
    }
    // A lease that ran out while its dispatch still waits would let a second instance send the job
    // too.
    if (config.dispatchLease().compareTo(config.dispatchTimeout()) <= 0) {
      throw new ConfigException(
          "PRINTFLEET_DISPATCH_LEASE",
          "must be longer than PRINTFLEET_DISPATCH_TIMEOUT ("
              + config.dispatchTimeout().toMillis()
              + "ms), got "
              + config.dispatchLease().toMillis()
              + "ms");
    }
    // A job the agent accepted stays leased until its dispatched is written: the same reason.
    if (config.dispatchLease().compareTo(config.dispatchTimeout().plus(config.resultGrace()))
        <= 0) {
      throw new ConfigException(
          "PRINTFLEET_DISPATCH_LEASE",
          "must be longer than PRINTFLEET_DISPATCH_TIMEOUT plus PRINTFLEET_DISPATCH_RESULT_GRACE ("
              + config.dispatchTimeout().plus(config.resultGrace()).toMillis()
              + "ms), got "
              + config.dispatchLease().toMillis()
              + "ms");
    }
    return config;
  }
}
