package dev.printfleet.common.history;

import dev.printfleet.common.config.ConfigException;
import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.messages.PrinterStatusEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * printfleet's own events (printer statuses, job updates) in the history of the printing channels
 * (PROTOCOL.md §6): one Redis stream per company, which its company channel and its branch channels
 * share (each entry names its branch), so an event has one offset in every room it reaches. The
 * producers append a batch before they publish it ({@link KeptBatches}), and publish each event
 * with its offset.
 *
 * <p>Redis failing never holds an event back for long: the batch goes out without offsets, and the
 * company owes a gap. Once Redis answers again the gap is recorded, an offset taken from Redis's
 * clock: no recovery starts before it (it answers {@code recovered: false} instead of skipping what
 * was never kept). For a few seconds after a failure no append is tried. A process that stops while
 * it owes gaps loses them. Thread safe.
 */
public final class PrintingHistory {

  private static final Logger log = LoggerFactory.getLogger(PrintingHistory.class);

  /** How long an append may take before its batch goes out without offsets. */
  static final Duration APPEND_TIMEOUT = Duration.ofMillis(500);

  /** How long after a failed append no other is tried, and between tries to record gaps. */
  static final Duration FAIL_FAST = Duration.ofSeconds(5);

  /** Events in one entry at most (about 20 KiB). */
  static final int EVENTS_PER_ENTRY = 100;

  /** The entry field holding the message JSON, as the channels' streams. */
  public static final String FIELD = "m";

  /**
   * KEYS[1] the stream, KEYS[2] its gap; ARGV size, age ms, then the messages. Appends each, trims
   * to the size and the age (on Redis's clock), and lets the stream, and its gap with it, expire
   * once nothing was added for the age. Answers the new ids, in order.
   */
  private static final String APPEND_ALL =
      "local ids = {}"
          + " for i = 3, #ARGV do ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'm', ARGV[i]) end"
          + " redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])"
          + " local t = redis.call('TIME')"
          + " local oldest = t[1] * 1000 + math.floor(t[2] / 1000) - tonumber(ARGV[2])"
          + " if oldest > 0 then redis.call('XTRIM', KEYS[1], 'MINID', oldest) end"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[2]) redis.call('PEXPIRE', KEYS[2], ARGV[2])"
          + " return ids";

  /**
   * KEYS[1] the gap, KEYS[2] the stream; ARGV age ms. The gap becomes the first offset of the next
   * millisecond on Redis's clock, and lives as long as the stream could hold an entry before it.
   */
  private static final String RECORD_GAP =
      "local t = redis.call('TIME')"
          + " local id = (t[1] * 1000 + math.floor(t[2] / 1000) + 1) .. '-0'"
          + " redis.call('SET', KEYS[1], id, 'PX', ARGV[1]) return id";

  /**
   * How much history a company keeps: {@code PRINTFLEET_PRINTING_HISTORY_SIZE} entries (default
   * 1,000, at most 10,000; 0 keeps none) no older than {@code PRINTFLEET_PRINTING_HISTORY_AGE}
   * (default 5 min). An entry holds events of the company given together (a producer's batch), at
   * most {@link #EVENTS_PER_ENTRY}; they share its offset.
   */
  public record Bounds(int size, Duration age) {

    public static Bounds from(Settings settings) {
      int size = settings.integer("PRINTFLEET_PRINTING_HISTORY_SIZE", 1_000, 0, 10_000);
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
   * One event to keep: its frame's type, the data dashboards are sent (for a status, its update;
   * either names the branch), and its branch.
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

  private final Vertx vertx;
  private final Redis redis;
  private final RedisSettings settings;
  private final Bounds bounds;
  private final Duration failFast;
  private final Duration appendTimeout;

  /**
   * Companies owing a gap, each with the failure it owes it for (a later one owes it again). As
   * many as had events while Redis failed: companies come from signed tokens and the database.
   */
  private final Map<String, Long> owed = new ConcurrentHashMap<>();

  private final AtomicLong failures = new AtomicLong();
  private final AtomicBoolean recording = new AtomicBoolean();
  private final AtomicBoolean warned = new AtomicBoolean();
  private volatile long failFastUntilNanos = System.nanoTime();

  public PrintingHistory(Vertx vertx, Redis redis, RedisSettings settings, Bounds bounds) {
    this(vertx, redis, settings, bounds, FAIL_FAST, APPEND_TIMEOUT);
  }

  PrintingHistory(
      Vertx vertx,
      Redis redis,
      RedisSettings settings,
      Bounds bounds,
      Duration failFast,
      Duration appendTimeout) {
    this.vertx = vertx;
    this.redis = redis;
    this.settings = settings;
    this.bounds = bounds;
    this.failFast = failFast;
    this.appendTimeout = appendTimeout;
  }

  public Bounds bounds() {
    return bounds;
  }

  /**
   * The stream of a company's printing events, its company and branch channels' history; hash
   * tagged with its gap key, so one script may touch both on a Redis Cluster.
   */
  public static String streamKey(RedisSettings settings, String company) {
    return settings.key("printing-history:{" + encoded(company) + "}");
  }

  /**
   * The first offset after the company's latest gap: events before it may be missing, so no
   * recovery starts before it. Absent when there was none the stream could still hold.
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
   * fails. The events of a company in one call share entries, so offsets.
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
      // Each skip owes the gap anew: a gap recorded before it would not cover it.
      byCompany.keySet().forEach(company -> owe(company, failures.incrementAndGet()));
      return Future.succeededFuture(offsets);
    }
    List<Future<?>> appends = new ArrayList<>(byCompany.size());
    byCompany.forEach((company, indexes) -> appends.add(append(company, indexes, events, offsets)));
    return Future.join(appends).transform(done -> Future.succeededFuture(offsets));
  }

  private Future<Void> append(
      String company, List<Integer> indexes, List<Event> events, String[] offsets) {
    Request script =
        Request.cmd(Command.EVAL)
            .arg(APPEND_ALL)
            .arg(2)
            .arg(streamKey(settings, company))
            .arg(gapKey(settings, company))
            .arg(bounds.size())
            .arg(bounds.age().toMillis());
    // The events given together share entries of at most EVENTS_PER_ENTRY, so offsets: one
    // script and a few entries per batch, not one per event.
    int[] entryOf = new int[indexes.size()];
    List<JsonObject> entries = new ArrayList<>();
    JsonArray kept = null;
    for (int n = 0; n < indexes.size(); n++) {
      Event event = events.get(indexes.get(n));
      if (kept == null || kept.size() == EVENTS_PER_ENTRY) {
        kept = new JsonArray();
        entries.add(new JsonObject().put("events", kept));
      }
      kept.add(new JsonObject().put("type", event.type()).put("data", event.data()));
      entryOf[n] = entries.size() - 1;
    }
    entries.forEach(entry -> script.arg(entry.encode()));
    return redis
        .send(script)
        .timeout(appendTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .transform(
            reply -> {
              if (reply.succeeded()) {
                Response ids = reply.result();
                for (int n = 0; n < indexes.size(); n++) {
                  offsets[indexes.get(n)] = ids.get(entryOf[n]).toString();
                }
                warned.set(false);
              } else {
                // Timed out, it may still run: its events are then kept and also went out without
                // offsets, and the gap recorded after them stops recoveries from before it.
                failFastUntilNanos = System.nanoTime() + failFast.toNanos();
                owe(company, failures.incrementAndGet());
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

  /** Events published that will never be appended: their companies owe a gap. */
  public void lost(List<Event> events) {
    events.stream().map(Event::company).distinct().forEach(c -> owe(c, failures.incrementAndGet()));
  }

  private void owe(String company, long failure) {
    owed.put(company, failure);
    if (recording.compareAndSet(false, true)) {
      vertx.setTimer(failFast.toMillis(), id -> recordGaps());
    }
  }

  /**
   * Records every gap owed, without waiting for the company's next event; what Redis does not take
   * is tried again after {@link #failFast}. A failure met meanwhile owes the gap again.
   */
  private void recordGaps() {
    List<Future<?>> writes = new ArrayList<>();
    for (var entry : Map.copyOf(owed).entrySet()) {
      String company = entry.getKey();
      long failure = entry.getValue();
      writes.add(
          redis
              .send(
                  Request.cmd(Command.EVAL)
                      .arg(RECORD_GAP)
                      .arg(2)
                      .arg(gapKey(settings, company))
                      .arg(streamKey(settings, company))
                      .arg(bounds.age().toMillis()))
              .timeout(appendTimeout.toMillis(), TimeUnit.MILLISECONDS)
              .onSuccess(id -> owed.remove(company, failure)));
    }
    Future.join(writes)
        .onComplete(
            done -> {
              recording.set(false);
              if (!owed.isEmpty() && recording.compareAndSet(false, true)) {
                vertx.setTimer(failFast.toMillis(), id -> recordGaps());
              }
            });
  }
}
