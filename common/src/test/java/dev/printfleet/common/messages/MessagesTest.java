package dev.printfleet.common.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class MessagesTest {

  private static final Instant AT = Instant.ofEpochMilli(1_700_000_000_123L);

  private static final PrinterInfo PRINTER = new PrinterInfo("p1", "Front desk", "online");
  private static final CircuitInfo CIRCUIT = new CircuitInfo("agent:a1", "OPEN", 7);

  private static final AgentEvent AGENT_EVENT =
      new AgentEvent(
          AgentEvent.Kind.PRINTERS_SYNCED,
          "a1",
          "c1",
          "b7",
          "gateway-1",
          List.of(PRINTER, new PrinterInfo("p2", "Back office", "paper_out")),
          AT);
  private static final ControlCommand CONTROL =
      new ControlCommand(ControlCommand.CIRCUIT_RESET, "agent:a1");
  private static final DispatchRequest DISPATCH =
      new DispatchRequest("j1", "acme", "a1", "p1", "application/pdf", "JVBERi0=", 3, AT);
  private static final Heartbeat HEARTBEAT =
      new Heartbeat(
          "printing-1",
          "printing",
          120,
          50_000_000,
          1_000_000_000,
          0.25,
          4,
          12,
          true,
          false,
          List.of(CIRCUIT),
          AT);
  private static final JobEvent JOB_EVENT =
      new JobEvent("j1", "p1", "c1", "b7", "failed", 5, "paper jam", AT);
  private static final JobResult JOB_RESULT =
      new JobResult("j1", "a1", "c1", "failed", "paper jam", AT);
  private static final PrinterStatusEvent STATUS =
      new PrinterStatusEvent("a1", "c1", "b7", "p1", "error", "cover open", AT);
  private static final PrinterTestRequest TEST_REQUEST = new PrinterTestRequest("acme", "a1", "p1");
  private static final PrintersSync SYNC =
      new PrintersSync(
          "a1",
          "c1",
          "b7",
          List.of(PRINTER, new PrinterInfo("p2", "Back office", "paper_out")),
          AT);

  @Test
  void aDispatchsAllowedWaitForTheAgentsAnswerIsBoundedAndAbsentWhenUnreadable() {
    java.util.function.Function<String, Long> within =
        value ->
            DispatchRequest.answerWithinMs(
                value == null
                    ? io.vertx.core.MultiMap.caseInsensitiveMultiMap()
                    : io.vertx.core.MultiMap.caseInsensitiveMultiMap()
                        .add(DispatchRequest.ANSWER_WITHIN_HEADER, value));
    assertThat(within.apply(null)).isZero();
    assertThat(within.apply(" 250 ")).isEqualTo(250);
    assertThat(within.apply("999999999999")).isEqualTo(DispatchRequest.MAX_ANSWER_WITHIN_MS);
    assertThat(within.apply("-1")).isZero();
    assertThat(within.apply("1e3")).isZero();
    assertThat(within.apply("99999999999999999999999")).isZero();
  }

  @Test
  void everyMessageRoundTripsUnchangedAndCarriesItsVersion() {
    assertRoundTrip(AGENT_EVENT, AgentEvent::toJson, AgentEvent::fromJson);
    assertRoundTrip(CONTROL, ControlCommand::toJson, ControlCommand::fromJson);
    assertRoundTrip(DISPATCH, DispatchRequest::toJson, DispatchRequest::fromJson);
    assertRoundTrip(HEARTBEAT, Heartbeat::toJson, Heartbeat::fromJson);
    assertRoundTrip(JOB_EVENT, JobEvent::toJson, JobEvent::fromJson);
    assertRoundTrip(JOB_RESULT, JobResult::toJson, JobResult::fromJson);
    assertRoundTrip(STATUS, PrinterStatusEvent::toJson, PrinterStatusEvent::fromJson);
    assertRoundTrip(TEST_REQUEST, PrinterTestRequest::toJson, PrinterTestRequest::fromJson);
    assertRoundTrip(SYNC, PrintersSync::toJson, PrintersSync::fromJson);
  }

  @Test
  void aHeartbeatCarriesWhenItsInstanceLastLostItsClusterStateAndOlderOnesStillRead() {
    var lost =
        new Heartbeat(
            "printing-1",
            "printing",
            120,
            1,
            2,
            0.25,
            4,
            12,
            true,
            false,
            List.of(),
            AT,
            AT.minusSeconds(30));
    assertRoundTrip(lost, Heartbeat::toJson, Heartbeat::fromJson);
    assertThat(lost.toJson().getLong("clusterLossAt"))
        .isEqualTo(AT.minusSeconds(30).toEpochMilli());

    var older = HEARTBEAT.toJson();
    assertThat(older.containsKey("clusterLossAt")).isFalse();
    assertThat(Heartbeat.fromJson(older).clusterLossAt()).isNull();
  }

  @Test
  void nestedPrinterAndCircuitRoundTripUnchanged() {
    // These travel inside AgentEvent and Heartbeat, whose "v" covers them.
    assertThat(PrinterInfo.fromJson(PRINTER.toJson())).isEqualTo(PRINTER);
    assertThat(CircuitInfo.fromJson(CIRCUIT.toJson())).isEqualTo(CIRCUIT);
  }

  @Test
  void optionalFieldsRoundTripWhenAbsent() {
    var control = new ControlCommand(ControlCommand.DRAIN, null);
    var job = new JobEvent("j1", "p1", "c1", "b7", "printed", 1, null, AT);
    var result = new JobResult("j1", "a1", "c1", "printed", null, AT);
    var status = new PrinterStatusEvent("a1", "c1", "b7", "p1", "online", null, AT);
    var connected =
        new AgentEvent(AgentEvent.Kind.CONNECTED, "a1", "c1", "b7", "gateway-1", List.of(), AT);

    assertThat(ControlCommand.fromJson(control.toJson())).isEqualTo(control);
    assertThat(control.toJson().containsKey("target")).isFalse();
    assertThat(JobEvent.fromJson(job.toJson())).isEqualTo(job);
    assertThat(job.toJson().containsKey("error")).isFalse();
    assertThat(JobResult.fromJson(result.toJson())).isEqualTo(result);
    assertThat(PrinterStatusEvent.fromJson(status.toJson())).isEqualTo(status);
    assertThat(AgentEvent.fromJson(connected.toJson())).isEqualTo(connected);
  }

  @Test
  void jsonSurvivesTheWireEncoding() {
    // The clustered event bus carries the encoded text, not the JsonObject.
    JsonObject decoded = new JsonObject(HEARTBEAT.toJson().encode());

    assertThat(Heartbeat.fromJson(decoded)).isEqualTo(HEARTBEAT);
    assertThat(AgentEvent.fromJson(new JsonObject(AGENT_EVENT.toJson().encode())))
        .isEqualTo(AGENT_EVENT);
  }

  @Test
  void missingRequiredFieldIsRefusedNamingTheField() {
    assertMissing(
        AGENT_EVENT.toJson(),
        AgentEvent::fromJson,
        "kind",
        "agentId",
        "company",
        "branch",
        "instanceId");
    assertMissing(CONTROL.toJson(), ControlCommand::fromJson, "action");
    assertMissing(
        DISPATCH.toJson(),
        DispatchRequest::fromJson,
        "jobId",
        "company",
        "agentId",
        "printerId",
        "contentType",
        "content");
    assertMissing(HEARTBEAT.toJson(), Heartbeat::fromJson, "instanceId", "service");
    assertMissing(
        JOB_EVENT.toJson(), JobEvent::fromJson, "jobId", "printerId", "company", "branch", "state");
    assertMissing(
        JOB_RESULT.toJson(), JobResult::fromJson, "jobId", "agentId", "company", "outcome");
    assertMissing(
        STATUS.toJson(),
        PrinterStatusEvent::fromJson,
        "agentId",
        "company",
        "branch",
        "printerId",
        "status");
    assertMissing(
        TEST_REQUEST.toJson(), PrinterTestRequest::fromJson, "company", "agentId", "printerId");
    assertMissing(PRINTER.toJson(), PrinterInfo::fromJson, "id");
    assertMissing(CIRCUIT.toJson(), CircuitInfo::fromJson, "name", "state");
  }

  @Test
  void emptyOrNonStringRequiredFieldIsRefused() {
    assertThatThrownBy(() -> JobResult.fromJson(JOB_RESULT.toJson().put("jobId", "")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'jobId'");
    assertThatThrownBy(() -> JobResult.fromJson(JOB_RESULT.toJson().put("jobId", 42)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'jobId'");
  }

  @Test
  void jobEventsTravelInBatchesInOrderAndASingleEventStillReads() {
    var printed = new JobEvent("j2", "p1", "c1", "b7", "printed", 1, null, AT);
    JsonObject batch = new JsonObject(JobEvent.batchJson(List.of(JOB_EVENT, printed)).encode());

    assertThat(batch.getInteger("v")).isEqualTo(1);
    assertThat(JobEvent.listFromJson(batch)).containsExactly(JOB_EVENT, printed);
    assertThat(JobEvent.listFromJson(JOB_EVENT.toJson())).containsExactly(JOB_EVENT);
  }

  @Test
  void printerStatusesTravelInBatchesInOrderAndASingleStatusStillReads() {
    var busy = new PrinterStatusEvent("a1", "c1", "b7", "p2", "busy", null, AT);
    JsonObject batch = new JsonObject(PrinterStatusEvent.batchJson(List.of(STATUS, busy)).encode());

    assertThat(PrinterStatusEvent.listFromJson(batch)).containsExactly(STATUS, busy);
    assertThat(PrinterStatusEvent.listFromJson(STATUS.toJson())).containsExactly(STATUS);
  }

  @Test
  void aBatchOverItsLimitIsRefusedBothWays() {
    var tooMany = Collections.nCopies(PrinterStatusEvent.MAX_BATCH + 1, STATUS);
    assertThatThrownBy(() -> PrinterStatusEvent.batchJson(tooMany))
        .isInstanceOf(IllegalArgumentException.class);
    var array = new JsonArray();
    tooMany.forEach(s -> array.add(s.toJson()));
    assertThatThrownBy(
            () ->
                PrinterStatusEvent.listFromJson(new JsonObject().put("v", 1).put("events", array)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("over " + PrinterStatusEvent.MAX_BATCH);
  }

  @Test
  void aJobEventBatchIsBounded() {
    var tooMany = Collections.nCopies(JobEvent.MAX_BATCH + 1, JOB_EVENT);
    assertThatThrownBy(() -> JobEvent.batchJson(tooMany))
        .isInstanceOf(IllegalArgumentException.class);
    var array = new JsonArray();
    tooMany.forEach(e -> array.add(e.toJson()));
    assertThatThrownBy(
            () -> JobEvent.listFromJson(new JsonObject().put("v", 1).put("events", array)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("over " + JobEvent.MAX_BATCH);
    assertThatThrownBy(
            () ->
                JobEvent.listFromJson(
                    new JsonObject()
                        .put("v", 1)
                        .put("events", new JsonArray().add(JOB_EVENT.toJson().put("jobId", "")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'jobId'");
  }

  private static <T> void assertRoundTrip(
      T message, Function<T, JsonObject> toJson, Function<JsonObject, T> fromJson) {
    JsonObject json = toJson.apply(message);

    assertThat(json.getInteger("v")).as("v of %s", message).isEqualTo(1);
    assertThat(fromJson.apply(json)).isEqualTo(message);
    assertThat(toJson.apply(fromJson.apply(json))).isEqualTo(json);
  }

  private static void assertMissing(
      JsonObject complete, Function<JsonObject, ?> fromJson, String... required) {
    for (String field : required) {
      JsonObject json = complete.copy();
      json.remove(field);
      assertThatThrownBy(() -> fromJson.apply(json))
          .as("without %s", field)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + field + "'");
    }
  }
}
