package dev.printfleet.printing.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.messages.AgentReply;
import dev.printfleet.printing.dispatch.DispatchOutcome.Kind;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class DispatchOutcomeTest {

  private static ReplyException failure(ReplyFailure type) {
    return new ReplyException(type, "x");
  }

  @Test
  void theAgentsAnswerIsSentAndBusyIsBusy() {
    assertThat(DispatchOutcome.of(AgentReply.answered(new JsonObject()), null, true, false).kind())
        .isEqualTo(Kind.SENT);
    assertThat(
            DispatchOutcome.of(AgentReply.failed(AgentReply.BUSY, "behind"), null, false, false)
                .kind())
        .isEqualTo(Kind.BUSY);
  }

  @Test
  void theRoutesFailuresAreNotSent() {
    assertThat(
            DispatchOutcome.of(AgentReply.notSent("not_found", "gone"), null, false, false).kind())
        .isEqualTo(Kind.NOT_SENT);
    assertThat(
            DispatchOutcome.of(AgentReply.notSent("unavailable", "evicted"), null, true, false)
                .kind())
        .as("dropped by the gateway after the frame was written")
        .isEqualTo(Kind.NOT_SENT);
    assertThat(
            DispatchOutcome.of(AgentReply.failed("not_found", "older gateway"), null, false, false)
                .kind())
        .as("refused before the frame was written")
        .isEqualTo(Kind.NOT_SENT);
    assertThat(DispatchOutcome.of(null, failure(ReplyFailure.NO_HANDLERS), false, false).kind())
        .isEqualTo(Kind.NOT_SENT);
    assertThat(DispatchOutcome.of(null, failure(ReplyFailure.TIMEOUT), false, false).kind())
        .as("the frame never reached the agent")
        .isEqualTo(Kind.NOT_SENT);
    assertThat(DispatchOutcome.of(null, failure(ReplyFailure.TIMEOUT), true, true).kind())
        .as("the gateway stopped beating")
        .isEqualTo(Kind.NOT_SENT);
  }

  @Test
  void onlyThePrintersOwnFailuresCount() {
    assertThat(
            DispatchOutcome.of(
                    AgentReply.failed("unavailable", "paper tray open"), null, true, false)
                .kind())
        .as("the agent's own error, whatever its code")
        .isEqualTo(Kind.PRINTER_FAILED);
    assertThat(
            DispatchOutcome.of(AgentReply.failed("timeout", "no answer"), null, true, false).kind())
        .isEqualTo(Kind.PRINTER_FAILED);
    assertThat(DispatchOutcome.of(null, failure(ReplyFailure.TIMEOUT), true, false).kind())
        .as("written, and a live gateway heard nothing back")
        .isEqualTo(Kind.PRINTER_FAILED);
  }
}
