package dev.printfleet.simulator.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.history.PrintingHistory;
import dev.printfleet.common.messages.JobEvent;
import dev.printfleet.common.protocol.Envelope;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The load generator's dashboard parses only the frames that may report a job final. */
class DashboardFilterTest {

  /** A job.update frame as the gateway sends it (PROTOCOL.md), with an offset. */
  private static String update(String state, String error) {
    var event =
        new JobEvent(
            UUID.randomUUID().toString(),
            "agent-7-p1",
            "loadgen",
            "branch-1",
            state,
            1,
            error,
            Instant.parse("2026-12-07T15:00:00Z"),
            "1765119600000-3");
    return Envelope.event(PrintingHistory.JOB_UPDATE, PrintingHistory.jobUpdate(event)).encode();
  }

  @ParameterizedTest
  @ValueSource(strings = {"printed", "failed", "expired", "cancelled"})
  void everyFinalStateIsParsed(String state) {
    assertThat(JobLoad.mayBeFinal(update(state, null))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"queued", "dispatched"})
  void updatesThatAreNotFinalAreSkipped(String state) {
    assertThat(JobLoad.mayBeFinal(update(state, null))).isFalse();
  }

  @Test
  void aFrameThatMerelyMentionsAFinalWordIsParsedToo() {
    assertThat(JobLoad.mayBeFinal(update("queued", "retry after the agent failed to answer")))
        .isTrue();
  }
}
