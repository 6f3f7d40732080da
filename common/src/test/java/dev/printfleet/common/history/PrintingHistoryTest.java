package dev.printfleet.common.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.config.RedisSettings;
import dev.printfleet.common.config.Settings;
import dev.printfleet.testing.RealServersExtension;
import dev.printfleet.testing.RedisServerHandle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A company's printing events in its Redis stream, against a real Redis: offsets in the order
 * given, one stream per company, bounded; a failed append leaves a gap that the next append
 * records; nothing kept when the size is 0.
 */
@ExtendWith({RealServersExtension.class, VertxExtension.class})
class PrintingHistoryTest {

  private Vertx vertx;
  private Redis redis;
  private RedisSettings settings;

  @BeforeEach
  void connect(Vertx vertx, RedisServerHandle server) {
    this.vertx = vertx;
    redis = Redis.createClient(vertx, server.address());
    settings =
        RedisSettings.from(
            new Settings(
                Map.of(
                    "REDIS_CONNECTION_ADDRESS",
                    server.address(),
                    "REDIS_KEY_NAMESPACE",
                    "history-" + UUID.randomUUID().toString().substring(0, 8))));
  }

  private static <T> T join(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private Response send(Request request) throws Exception {
    return join(redis.send(request));
  }

  private static PrintingHistory.Event event(String company, String branch, String job) {
    return new PrintingHistory.Event(
        company,
        branch,
        PrintingHistory.JOB_UPDATE,
        new JsonObject().put("jobId", job).put("branch", branch));
  }

  /** The job ids of a company's stream, oldest first, with their offsets. */
  private List<String> stream(String company) throws Exception {
    Response entries =
        send(
            Request.cmd(Command.XRANGE)
                .arg(PrintingHistory.streamKey(settings, company))
                .arg("-")
                .arg("+"));
    return entries.stream()
        .flatMap(
            entry ->
                new JsonObject(entry.get(1).get(1).toString())
                    .getJsonArray("events").stream()
                        .map(e -> ((JsonObject) e).getJsonObject("data"))
                        .map(
                            data ->
                                entry.get(0).toString()
                                    + " "
                                    + data.getString("branch")
                                    + " "
                                    + data.getString("jobId")))
        .toList();
  }

  @Test
  void eachEventGetsItsOffsetInItsCompanysStreamInTheOrderGiven() throws Exception {
    var history =
        new PrintingHistory(
            vertx, redis, settings, new PrintingHistory.Bounds(3, Duration.ofMinutes(5)));
    String[] offsets =
        join(
            history.append(
                List.of(
                    event("acme", "b1", "j1"),
                    event("globex", "g1", "k1"),
                    event("acme", "b2", "j2"))));

    // A company's events given together share an entry, so an offset (another company's stream
    // numbers its own: its offset may be the same text).
    assertThat(offsets[0]).isEqualTo(offsets[2]);
    assertThat(stream("acme")).containsExactly(offsets[0] + " b1 j1", offsets[2] + " b2 j2");
    assertThat(stream("globex")).containsExactly(offsets[1] + " g1 k1");

    // Bounded: the company's last three entries.
    for (String job : List.of("j3", "j4", "j5")) {
      join(history.append(List.of(event("acme", "b1", job))));
    }
    assertThat(stream("acme"))
        .extracting(e -> e.substring(e.lastIndexOf(' ') + 1))
        .containsExactly("j3", "j4", "j5");
    assertThat(
            send(Request.cmd(Command.PTTL).arg(PrintingHistory.streamKey(settings, "acme")))
                .toLong())
        .isPositive();
    assertThat(
            send(Request.cmd(Command.EXISTS).arg(PrintingHistory.gapKey(settings, "acme")))
                .toInteger())
        .isZero();
  }

  private String gap(String company) throws Exception {
    Response gap = send(Request.cmd(Command.GET).arg(PrintingHistory.gapKey(settings, company)));
    return gap == null ? null : gap.toString();
  }

  @Test
  void aFailedAppendGoesOutWithoutOffsetsAndTheGapIsRecordedOnceRedisAnswers() throws Exception {
    var history =
        new PrintingHistory(
            vertx,
            redis,
            settings,
            new PrintingHistory.Bounds(100, Duration.ofMinutes(5)),
            Duration.ofSeconds(2),
            PrintingHistory.APPEND_TIMEOUT);
    String before = join(history.append(List.of(event("acme", "b1", "kept"))))[0];
    String streamKey = PrintingHistory.streamKey(settings, "acme");
    // Redis refuses the append: the stream's key holds a text.
    send(Request.cmd(Command.RENAME).arg(streamKey).arg(streamKey + ":aside"));
    send(Request.cmd(Command.SET).arg(streamKey).arg("not a stream"));
    assertThat(join(history.append(List.of(event("acme", "b1", "lost"))))).containsOnlyNulls();
    send(Request.cmd(Command.RENAME).arg(streamKey + ":aside").arg(streamKey));

    // Right after a failure nothing is tried, and every company of the batch owes a gap.
    assertThat(join(history.append(List.of(event("globex", "g1", "also-lost")))))
        .containsOnlyNulls();
    assertThat(stream("globex")).isEmpty();

    // Recorded by itself once the failure is behind, without another event of the company.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> gap("acme") != null && gap("globex") != null);
    String acmeGap = gap("acme");
    assertThat(offsetOrder(acmeGap)).isGreaterThan(offsetOrder(before));

    // Appends go on after it, and leave it where it is.
    String after = join(history.append(List.of(event("acme", "b1", "j1"))))[0];
    assertThat(after).isNotNull();
    assertThat(gap("acme")).isEqualTo(acmeGap);
  }

  /** An offset as one number that orders like it: milliseconds, then the sequence. */
  private static java.math.BigInteger offsetOrder(String offset) {
    int dash = offset.indexOf('-');
    return java.math.BigInteger.valueOf(Long.parseLong(offset.substring(0, dash)))
        .shiftLeft(64)
        .add(java.math.BigInteger.valueOf(Long.parseLong(offset.substring(dash + 1))));
  }

  @Test
  void anEntryHoldsAtMostAHundredEvents() throws Exception {
    var history =
        new PrintingHistory(
            vertx, redis, settings, new PrintingHistory.Bounds(10, Duration.ofMinutes(5)));
    var at = java.time.Instant.parse("2026-12-06T10:00:00Z");
    List<PrintingHistory.Event> events = new java.util.ArrayList<>();
    for (int i = 0; i < 150; i++) {
      events.add(status("acme", "b" + (i % 2), "p" + i, at));
    }
    String[] offsets = join(history.append(events));
    assertThat(offsets[0]).isEqualTo(offsets[99]).isNotEqualTo(offsets[100]);
    assertThat(offsets[100]).isEqualTo(offsets[149]);
    Response entries =
        send(
            Request.cmd(Command.XRANGE)
                .arg(PrintingHistory.streamKey(settings, "acme"))
                .arg("-")
                .arg("+"));
    assertThat(entries.size()).isEqualTo(2);
    var first = new JsonObject(entries.get(0).get(1).get(1).toString()).getJsonArray("events");
    assertThat(first).hasSize(100);
    assertThat(first.getJsonObject(1).getString("type")).isEqualTo(PrintingHistory.PRINTER_STATUS);
    assertThat(first.getJsonObject(1).getJsonObject("data").getString("branch")).isEqualTo("b1");
  }

  private static PrintingHistory.Event status(
      String company, String branch, String printer, java.time.Instant at) {
    return new PrintingHistory.Event(
        company,
        branch,
        PrintingHistory.PRINTER_STATUS,
        PrintingHistory.statusUpdate(printer, branch, "busy", null, at));
  }

  @Test
  void aSizeOfZeroKeepsNothing() throws Exception {
    var history =
        new PrintingHistory(
            vertx, redis, settings, new PrintingHistory.Bounds(0, Duration.ofMinutes(5)));
    assertThat(join(history.append(List.of(event("acme", "b1", "j1"))))).containsOnlyNulls();
    assertThat(stream("acme")).isEmpty();
  }

  @Test
  void theBoundsAreReadAndCheckedFromTheSettings() {
    assertThat(PrintingHistory.Bounds.from(new Settings(Map.of())))
        .isEqualTo(new PrintingHistory.Bounds(1_000, Duration.ofMinutes(5)));
    assertThat(
            PrintingHistory.Bounds.from(
                new Settings(
                    Map.of(
                        "PRINTFLEET_PRINTING_HISTORY_SIZE", "0",
                        "PRINTFLEET_PRINTING_HISTORY_AGE", "30s"))))
        .isEqualTo(new PrintingHistory.Bounds(0, Duration.ofSeconds(30)));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                PrintingHistory.Bounds.from(
                    new Settings(Map.of("PRINTFLEET_PRINTING_HISTORY_AGE", "500ms"))))
        .hasMessageContaining("PRINTFLEET_PRINTING_HISTORY_AGE");
  }
}
