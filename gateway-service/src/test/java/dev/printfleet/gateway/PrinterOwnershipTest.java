package dev.printfleet.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.printfleet.common.messages.Addresses;
import dev.printfleet.common.messages.PrinterStatusEvent;
import dev.printfleet.testing.TestSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** An agent speaks only for the printers it synced on its connection (issue 12, point 5). */
class PrinterOwnershipTest extends GatewayTestBase {

  private static JsonObject status(String printerId) {
    return new JsonObject().put("printerId", printerId).put("status", "busy");
  }

  private static JsonObject printers(String... ids) {
    var list = new JsonArray();
    for (String id : ids) {
      list.add(new JsonObject().put("id", id));
    }
    return new JsonObject().put("printers", list);
  }

  @Test
  void statusForAPrinterTheAgentDidNotSyncIsRefusedNotFoundAndNotForwarded() {
    var gateway = gateway(Map.of());
    GatewayHarness.storePrinterLists(gateway);
    var forwarded = new CopyOnWriteArrayList<String>();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.EVENTS_PRINTER,
            m ->
                PrinterStatusEvent.listFromJson(m.body())
                    .forEach(e -> forwarded.add(e.printerId())));
    var agent =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-own", "c1", "b1", Duration.ofHours(1)));
    agent.awaitFrame(e -> e.type().equals("welcome"));

    agent.send("printer.status", "before-sync", status("p1"));
    assertThat(agent.awaitResponse("before-sync").error().code()).isEqualTo("not_found");

    agent.send("printers.sync", "sync", printers("p1", "p2"));
    assertThat(agent.awaitResponse("sync").error()).isNull();
    agent.send("printer.status", "not-mine", status("someone-elses"));
    assertThat(agent.awaitResponse("not-mine").error().code()).isEqualTo("not_found");
    agent.send("printer.status", "mine", status("p1"));
    assertThat(agent.awaitResponse("mine").error()).isNull();

    agent.send("printers.sync", "resync", printers("p2"));
    agent.awaitResponse("resync");
    agent.send("printer.status", "removed", status("p1"));
    assertThat(agent.awaitResponse("removed").error().code()).isEqualTo("not_found");
    agent.send("printer.status", "kept", status("p2"));
    assertThat(agent.awaitResponse("kept").error()).isNull();

    await().atMost(Duration.ofSeconds(10)).until(() -> forwarded.contains("p2"));
    assertThat(forwarded)
        .as("only the statuses of synced printers are published")
        .containsExactly("p1", "p2");
    assertThat(agent.isOpen()).isTrue();
  }

  @Test
  void freeTextOverItsLengthOrWithControlCharactersIsRefusedInvalidDataAndNotForwarded() {
    var gateway = gateway(Map.of());
    GatewayHarness.storePrinterLists(gateway);
    var forwarded = new CopyOnWriteArrayList<String>();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.EVENTS_PRINTER,
            m -> PrinterStatusEvent.listFromJson(m.body()).forEach(e -> forwarded.add(e.detail())));
    var results = new CopyOnWriteArrayList<JsonObject>();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PRINTING_RESULTS,
            m -> {
              results.add(m.body());
              m.reply(new JsonObject().put("recorded", true));
            });
    var agent =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway).agent("agent-text", "c1", "b1", Duration.ofHours(1)));
    agent.awaitFrame(e -> e.type().equals("welcome"));

    agent.send(
        "printers.sync",
        "nul-name",
        new JsonObject()
            .put(
                "printers",
                new JsonArray()
                    .add(new JsonObject().put("id", "p1").put("name", "Kitchen\u0000"))));
    assertThat(agent.awaitResponse("nul-name").error().code()).isEqualTo("invalid_data");
    agent.send("printers.sync", "sync", printers("p1"));
    assertThat(agent.awaitResponse("sync").error()).isNull();

    agent.send("printer.status", "long", status("p1").put("detail", "d".repeat(1025)));
    assertThat(agent.awaitResponse("long").error().code()).isEqualTo("invalid_data");
    agent.send("printer.status", "nul", status("p1").put("detail", "cover\u0000open"));
    assertThat(agent.awaitResponse("nul").error().code()).isEqualTo("invalid_data");
    agent.send("printer.status", "fine", status("p1").put("detail", "d".repeat(1024)));
    assertThat(agent.awaitResponse("fine").error()).isNull();

    var result =
        new JsonObject()
            .put("jobId", "00000000-0000-0000-0000-000000000001")
            .put("outcome", "failed");
    agent.send("job.result", "long-error", result.copy().put("error", "e".repeat(1025)));
    assertThat(agent.awaitResponse("long-error").error().code()).isEqualTo("invalid_data");
    agent.send("job.result", "long-id", result.copy().put("jobId", "j".repeat(65)));
    assertThat(agent.awaitResponse("long-id").error().code()).isEqualTo("invalid_data");
    agent.send("job.result", "ok", result.copy().put("error", "paper jam"));
    assertThat(agent.awaitResponse("ok").error()).isNull();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> forwarded.size() == 1 && results.size() == 1);
    assertThat(forwarded).containsExactly("d".repeat(1024));
    assertThat(results).extracting(r -> r.getString("error")).containsExactly("paper jam");
  }

  @Test
  void aSyncWhileTheLastIsStoredIsRateLimitedAndAListNotStoredGivesNoPrinters() {
    var gateway = gateway(Map.of());
    // A printing stand-in that holds the first list and then fails to store anything.
    var held = new CopyOnWriteArrayList<io.vertx.core.eventbus.Message<JsonObject>>();
    gateway
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.PRINTING_PRINTERS,
            m -> {
              if (held.isEmpty()) {
                held.add(m);
              } else {
                m.fail(503, "printers not stored");
              }
            });
    var agent =
        TestSocket.open(
            client,
            gateway.httpPort(),
            "/ws/agent",
            GatewayHarness.issuer(gateway)
                .agent("agent-unstored", "c1", "b1", Duration.ofHours(1)));
    agent.awaitFrame(e -> e.type().equals("welcome"));

    agent.send("printers.sync", "first", printers("p1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);
    agent.send("printers.sync", "second", printers("p2"));
    assertThat(agent.awaitResponse("second").error().code()).isEqualTo("rate_limited");

    held.get(0).fail(503, "printers not stored");
    assertThat(agent.awaitResponse("first").error().code()).isEqualTo("unavailable");
    agent.send("printer.status", "after", status("p1"));
    assertThat(agent.awaitResponse("after").error().code())
        .as("a list not stored gives the agent no printers")
        .isEqualTo("not_found");
  }
}
