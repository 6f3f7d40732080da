package dev.printfleet.gateway.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.common.protocol.Envelope;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentMessagesTest {

  @SafeVarargs
  private static Map<String, Object> sync(Map<String, Object>... printers) {
    return Map.of("printers", List.of(printers));
  }

  @Test
  void aListWithinTheLimitsIsReadWithItsDefaults() throws Exception {
    var printers =
        AgentMessages.printers(
            sync(Map.of("id", "p1"), Map.of("id", "p2", "name", "Bar", "status", "busy")), 2);

    assertThat(printers)
        .extracting(p -> p.id() + "/" + p.name() + "/" + p.status())
        .containsExactly("p1/p1/online", "p2/Bar/busy");
  }

  @Test
  void eachBreachRefusesTheWholeList() {
    assertThatThrownBy(() -> AgentMessages.printers(sync(Map.of("id", "a"), Map.of("id", "b")), 1))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(() -> AgentMessages.printers(sync(Map.of("id", "x".repeat(129))), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(
            () -> AgentMessages.printers(sync(Map.of("id", "p", "name", "n".repeat(257))), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(() -> AgentMessages.printers(sync(Map.of("id", "p"), Map.of("id", "p")), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(() -> AgentMessages.printers(sync(Map.of("id", "p", "name", 7)), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(
            () -> AgentMessages.printers(sync(Map.of("id", "p", "status", "on fire")), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(() -> AgentMessages.printers(sync(Map.of("id", "p\u0000")), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(() -> AgentMessages.printers(Map.of(), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
    assertThatThrownBy(() -> AgentMessages.printers(Map.of("printers", "p1"), 10))
        .isInstanceOf(AgentMessages.Invalid.class);
  }

  @Test
  void idsAndNamesAtTheirLimitsAreAccepted() throws Exception {
    assertThat(
            AgentMessages.printers(sync(Map.of("id", "x".repeat(128), "name", "n".repeat(256))), 1))
        .hasSize(1);
  }

  @Test
  void aStatusNeedsAPrinterAKnownStatusAndAtMostABoundedDetail() throws Exception {
    assertThat(AgentMessages.printerStatus(Map.of("printerId", "p1", "status", "paper_out")))
        .isEqualTo(new AgentMessages.PrinterStatus("p1", "paper_out", null));
    assertThat(
            AgentMessages.printerStatus(
                Map.of("printerId", "p1", "status", "error", "detail", "jam\nin tray 2")))
        .isEqualTo(new AgentMessages.PrinterStatus("p1", "error", "jam\nin tray 2"));

    for (Map<String, Object> refused :
        List.<Map<String, Object>>of(
            Map.of("status", "online"),
            Map.of("printerId", " ", "status", "online"),
            Map.of("printerId", "p1", "status", "on fire"),
            Map.of("printerId", 7, "status", "online"),
            Map.of("printerId", "p1", "status", "online", "detail", "x".repeat(1025)),
            Map.of("printerId", "p1", "status", "online", "detail", "nul\u0000"),
            Map.of("printerId", "p1", "status", "online", "detail", 3))) {
      assertThatThrownBy(() -> AgentMessages.printerStatus(refused))
          .as("%s", refused)
          .isInstanceOf(AgentMessages.Invalid.class);
    }
  }

  @Test
  void aResultNeedsAPlainJobIdAnOutcomeAndAtMostABoundedError() throws Exception {
    assertThat(AgentMessages.result(Map.of("jobId", "j1", "outcome", "printed")))
        .isEqualTo(new AgentMessages.Result("j1", "printed", null));
    assertThat(AgentMessages.result(Map.of("jobId", "j1", "outcome", "failed", "error", "jam")))
        .isEqualTo(new AgentMessages.Result("j1", "failed", "jam"));

    var withNullError = new HashMap<String, Object>(Map.of("jobId", "j1", "outcome", "printed"));
    withNullError.put("error", null);
    assertThat(AgentMessages.result(withNullError).error()).isNull();

    for (Map<String, Object> refused :
        List.<Map<String, Object>>of(
            Map.of("outcome", "printed"),
            Map.of("jobId", "j".repeat(65), "outcome", "printed"),
            Map.of("jobId", "j\u0007", "outcome", "printed"),
            Map.of("jobId", "j1", "outcome", "lost"),
            Map.of("jobId", "j1", "outcome", "failed", "error", "e".repeat(1025)))) {
      assertThatThrownBy(() -> AgentMessages.result(refused))
          .as("%s", refused)
          .isInstanceOf(AgentMessages.Invalid.class);
    }
  }

  @Test
  void whatAFrameCarriesIsReadTheSameParsedOrCopied() throws Exception {
    var frame =
        Envelope.parse(
            "{\"type\":\"printers.sync\",\"data\":{\"printers\":"
                + "[{\"id\":\"p1\",\"name\":\"Kitchen\"},{\"id\":\"p2\",\"status\":\"busy\"}]}}");
    var copied = Envelope.event(frame.type(), frame.data().copy());

    for (var envelope : List.of(frame, copied)) {
      assertThat(AgentMessages.printers(envelope.plainData(), 10))
          .extracting(p -> p.id() + "/" + p.name() + "/" + p.status())
          .containsExactly("p1/Kitchen/online", "p2/p2/busy");
    }
  }
}
