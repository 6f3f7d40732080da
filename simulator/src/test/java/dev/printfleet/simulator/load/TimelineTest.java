package dev.printfleet.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelineTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void eventsGoToTheirSecondAndQuietSecondsCountZero() {
    long start = 5 * SECOND;
    var timeline = new Timeline(start);
    timeline.count("frames", start + 100, 3);
    timeline.count("frames", start + SECOND - 1, 2);
    timeline.count("frames", start + 2 * SECOND + 5, 7);
    timeline.count("frames", start - 1, 100); // before the start: left out

    JsonArray rows = timeline.json();

    assertThat(rows).hasSize(3);
    assertThat(rows.getJsonObject(0).getLong("frames")).isEqualTo(5);
    assertThat(rows.getJsonObject(1).getLong("frames")).isZero();
    assertThat(rows.getJsonObject(2).getInteger("s")).isEqualTo(2);
    assertThat(rows.getJsonObject(2).getLong("frames")).isEqualTo(7);
  }

  @Test
  void latenciesGiveP50AndP99OfTheirSecond() {
    var timeline = new Timeline(0);
    for (int ms = 1; ms <= 100; ms++) {
      timeline.latency("status", SECOND / 2, ms * 1_000_000L);
    }

    JsonObject row = timeline.json().getJsonObject(0);

    assertThat(row.getDouble("statusP50Ms")).isBetween(49.0, 51.0);
    assertThat(row.getDouble("statusP99Ms")).isBetween(98.0, 100.5);
  }

  @Test
  void countersReadOnceASecondGiveWhatTheyGrewByEachSecond() {
    var timeline = new Timeline(0);
    var frames =
        new java.util.concurrent.atomic.AtomicLong(100); // before the measured run: not counted
    var perSecond = new LoadGenerator.PerSecond(timeline, java.util.Map.of("frames", frames));
    frames.addAndGet(7);
    perSecond.tick();
    perSecond.tick();
    frames.addAndGet(3);
    perSecond.tick();

    JsonArray rows = timeline.json();

    assertThat(rows.stream().map(r -> ((JsonObject) r).getLong("frames")).toList())
        .containsExactly(7L, 0L, 3L);
  }

  @Test
  void thePageBesideTheReportChartsTheTimeline(@TempDir Path dir) throws Exception {
    var timeline = new Timeline(0);
    timeline.count("back", 10, 4);
    timeline.count("back", SECOND + 10, 6);
    var report = new JsonObject().put("mode", "storm").put("timeline", timeline.json());

    Path html =
        ReportPage.writeBeside(
            dir.resolve("storm-0.json"),
            "storm",
            report,
            List.of(ReportPage.Chart.of("Agents back", "agents", "back", "welcomed again")));

    assertThat(html.getFileName()).hasToString("storm-0.html");
    String page = Files.readString(html);
    assertThat(page).contains("<h2>Agents back</h2>", "welcomed again", "<polyline");
    assertThat(page).doesNotContain("\"timeline\"");
  }
}
