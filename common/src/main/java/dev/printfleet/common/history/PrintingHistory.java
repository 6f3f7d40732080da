package dev.printfleet.common.history;

import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * printfleet's own events (printer statuses, job updates) in the history of the printing channels
 * (PROTOCOL.md §6): one Redis stream per company, which its company channel and its branch channels
 * share (each entry names its branch), so an event has one offset in every room it reaches. The
 * producers append a batch before they publish it, and publish each event with its offset.
 *
 * <p>Redis failing never holds an event back for long: the batch goes out without offsets, and the
 * company is marked so its next append records a gap, before which no recovery starts (it answers
 * {@code recovered: false} instead of skipping what was never kept). For a few seconds after a
 * failure no append is tried. Thread safe.
 */
public final class PrintingHistory {

  private static final Logger log = LoggerFactory.getLogger(PrintingHistory.class);

  /** How long an append may take before its batch goes out without offsets. */
  static final Duration APPEND_TIMEOUT = Duration.ofMillis(500);

  /** How long after a failed append no other is tried. */
  static final Duration FAIL_FAST = Duration.ofSeconds(5);

  /**
   * Companies remembered as owing a gap; past it, every company writes one for the history's age
   * (by then nothing older than the failure is left to recover from).
   */
  static final int MAX_GAPPED = 100_000;

  /** The entry field holding the message JSON, as the channels' streams. */
  public static final String FIELD = "m";

  /**
   * KEYS[1] the stream, KEYS[2] its gap; ARGV size, age ms, gap (1: events may be missing before
   * this batch), then the messages. Appends each, trims to the size and the age (on Redis's clock),
   * and lets the stream expire once nothing was added for the age. With a gap, the gap key holds
   * the batch's first id: no recovery from an offset before it. Answers the new ids, in order.
   */
  private static final String APPEND_ALL =
      "local ids = {}"
          + " for i = 4, #ARGV do ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'm', ARGV[i]) end"
          + " redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])"
          + " local t = redis.call('TIME')"
          + " local oldest = t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(ARGV[2])"
          + " if oldest > 0 then redis.call('XTRIM', KEYS[1], 'MINID', oldest) end"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[2])"
          + " if ARGV[3] == '1' then redis.call('SET', KEYS[2], ids[1], 'PX', ARGV[2]) end"
          + " return ids";

  /**
   * How much history a company keeps: {@code PRINTFLEET_PRINTING_HISTORY_SIZE} entries (default
   * 1,000; 0 keeps none) no older than {@code PRINTFLEET_PRINTING_HISTORY_AGE} (default 5 min).
   */
  public record Bounds(int size, Duration age) {

    public static Bounds from(Settings settings) {
      int size = settings.integer("PRINTFLEET_PRINTING_HISTORY_SIZE", 1_000, 0, 100_000);
      Duration age = settings.duration("PRINTFLEET_PRINTING_HISTORY_AGE", Duration.ofMinutes(5));
      if (age.compareTo(Duration.ofSeconds(1)) < 0 || age.compareTo(Duration.ofDays(1)) > 0) {
        throw new ConfigException(
            "PRINTFLEET_PRINTING_HISTORY_AGE",
            "must be 1 s to 1 day, got " + age.toMillis() + " ms");
      }
      return new Bounds(size, age);
    }

    public boolean kept() {
      return size > 0;
    }
  }

  /** The frame types kept: {@code job.update}, and one update of {@code printer.status}. */
  public static final String JOB_UPDATE = "job.update";

  public static final String PRINTER_STATUS = "printer.status";

  /**
   * One event to keep: its frame's type, the data dashboards are sent (for a status, the one update
   * of the list), and its branch.
   */
  public record Event(String company, String branch, String type, JsonObject data) {

    public static Event of(JobEvent event) {
      return new Event(event.company(), event.branch(), JOB_UPDATE, jobUpdate(event));
    }

    public static Event of(PrinterStatusEvent event) {
      return new Event(
          event.company(),
          event.branch(),
          PRINTER_STATUS,
          statusUpdate(
              event.printerId(), event.branch(), event.status(), event.detail(), event.at()));
    }

    String encoded() {
      return new JsonObject().put("type", type).put("branch", branch).put("data", data).encode();
    }
  }

  /** A {@code job.update}'s data (PROTOCOL.md §2.3), without its offset. */
  public static JsonObject jobUpdate(JobEvent event) {
    var data =
        new JsonObject()
            .put("jobId", event.jobId())
            .put("printerId", event.printerId())
            .put("branch", event.branch())
            .put("state", event.state())
            .put("at", event.at().toString());
    if (event.error() != null) {
      data.put("error", event.error());
    }
    return data;
  }

  /** One update of a {@code printer.status} (PROTOCOL.md §2.3), without its offset. */
  public static JsonObject statusUpdate(
      String printerId, String branch, String status, String detail, Instant at) {
    return new JsonObject()
        .put("printerId", printerId)
        .put("branch", branch)
        .put("status", status)
        .put("at", at.toString())
        .put("detail", detail);
  }

  private final Redis redis;
  private final RedisSettings settings;
  private final Bounds bounds;
  private final Set<String> gapped = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean warned = new AtomicBoolean();
  private final Duration failFast;
  private volatile long failFastUntilNanos = System.nanoTime();

  /** Until when every append writes a gap: {@link #MAX_GAPPED} companies owed one. */
  private volatile long everyCompanyGappedUntilNanos = System.nanoTime();

  public PrintingHistory(Redis redis, RedisSettings settings, Bounds bounds) {
    this(redis, settings, bounds, FAIL_FAST);
  }

  PrintingHistory(Redis redis, RedisSettings settings, Bounds bounds, Duration failFast) {
    this.redis = redis;
    this.settings = settings;
    this.bounds = bounds;
    this.failFast = failFast;
  }

  public Bounds bounds() {
    return bounds;
  }

  /** The Redis key of a channel's history, {@code channel:<company>:<channel>}. */
  public static String channelKey(RedisSettings settings, String company, String channel) {
    return settings.key("channel:" + encoded(company) + ":" + channel);
  }

  /**
   * The stream of a company's printing events, its company and branch channels' history; hash
   * tagged with its gap key, so one script may write both on a Redis Cluster.
   */
  public static String streamKey(RedisSettings settings, String company) {
    return settings.key("printing-history:{" + encoded(company) + "}");
  }

  /**
   * The first offset after the company's latest gap: events before it may be missing, so no
   * recovery starts before it. Absent when there was none within the history's age.
   */
  public static String gapKey(RedisSettings settings, String company) {
    return settings.key("printing-gap:{" + encoded(company) + "}");
  }

  private static String encoded(String company) {
    return URLEncoder.encode(company, StandardCharsets.UTF_8);
  }

  /**
   * Appends the events to their companies' streams (one script per company: Redis Cluster takes
   * none across keys); answers their offsets in the order given, null for those not kept. Never
   * fails.
   */
  public Future<String[]> append(List<Event> events) {
    String[] offsets = new String[events.size()];
    if (!bounds.kept() || events.isEmpty()) {
      return Future.succeededFuture(offsets);
    }
    Map<String, List<Integer>> byCompany = new LinkedHashMap<>();
    for (int i = 0; i < events.size(); i++) {
      byCompany.computeIfAbsent(events.get(i).company(), c -> new ArrayList<>()).add(i);
    }
    if (System.nanoTime() - failFastUntilNanos < 0) {
      byCompany.keySet().forEach(this::owesGap);
      return Future.succeededFuture(offsets);
    }
    List<Future<?>> appends = new ArrayList<>(byCompany.size());
    byCompany.forEach((company, indexes) -> appends.add(append(company, indexes, events, offsets)));
    return Future.join(appends).transform(done -> Future.succeededFuture(offsets));
  }

  private Future<Void> append(
      String company, List<Integer> indexes, List<Event> events, String[] offsets) {
    boolean gap = System.nanoTime() - everyCompanyGappedUntilNanos < 0 || gapped.contains(company);
    Request script =
        Request.cmd(Command.EVAL)
            .arg(APPEND_ALL)
            .arg(2)
            .arg(streamKey(settings, company))
            .arg(gapKey(settings, company))
            .arg(bounds.size())
            .arg(bounds.age().toMillis())
            .arg(gap ? "1" : "0");
    for (int i : indexes) {
      script.arg(events.get(i).encoded());
    }
    return redis
        .send(script)
        .timeout(APPEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .transform(
            reply -> {
              if (reply.succeeded()) {
                Response ids = reply.result();
                for (int n = 0; n < indexes.size(); n++) {
                  offsets[indexes.get(n)] = ids.get(n).toString();
                }
                if (gap) {
                  gapped.remove(company);
                }
                warned.set(false);
              } else {
                failFastUntilNanos = System.nanoTime() + failFast.toNanos();
                owesGap(company);
                if (warned.compareAndSet(false, true)) {
                  log.warn(
                      "Could not keep printing events in their history; they go out without"
                          + " offsets, and a dashboard recovering across this is told to reload: {}",
                      reply.cause().toString());
                }
              }
              return Future.<Void>succeededFuture();
            });
  }

  private void owesGap(String company) {
    if (gapped.size() >= MAX_GAPPED) {
      everyCompanyGappedUntilNanos = System.nanoTime() + bounds.age().toNanos();
    } else {
      gapped.add(company);
    }
  }
}
