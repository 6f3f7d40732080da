package dev.printfleet.monitoring.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.monitoring.circuits.CircuitDirectory;
import dev.printfleet.monitoring.cluster.InstanceStatus;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrinterListTest {

  private static AgentRecord agent(
      String company, String branch, String id, boolean online, String... statuses) {
    Map<String, String> printers = new LinkedHashMap<>();
    for (int i = 0; i < statuses.length; i++) {
      printers.put(id + "-p" + (i + 1), statuses[i]);
    }
    return new AgentRecord(id, company, branch, online, Instant.EPOCH, "gateway-1", printers);
  }

  private static CircuitDirectory.Circuit circuit(
      String name, String state, InstanceStatus instance) {
    return new CircuitDirectory.Circuit(name, "printing-1", "printing", state, 5, instance);
  }

  private static PrinterList.Query query(String... pairs) {
    MultiMap params = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < pairs.length; i += 2) {
      params.add(pairs[i], pairs[i + 1]);
    }
    return PrinterList.Query.from(params);
  }

  private static List<String> ids(JsonObject page) {
    return page.getJsonArray("items").stream()
        .map(
            o ->
                ((JsonObject) o).getString("state") + " " + ((JsonObject) o).getString("printerId"))
        .toList();
  }

  private final List<PrinterList.Row> rows =
      PrinterList.rows(
          List.of(
              agent("acme", "b2", "a1", true, "online", "paper_out", "busy"),
              agent("acme", "b1", "a2", false, "error", "online"),
              agent("globex", "b1", "a3", true, "offline", "online", "error"),
              agent("acme", "b1", "a4", true, "online", "online")),
          List.of(
              circuit("acme/a4-p2", "OPEN", InstanceStatus.UP),
              // A down instance's circuit says nothing of the printer now.
              circuit("acme/a4-p1", "OPEN", InstanceStatus.DOWN),
              circuit("acme/a1-p1", "CLOSED", InstanceStatus.UP)));

  @Test
  void printersComeWorstFirstWithTheirStatesCounted() {
    JsonObject page = PrinterList.page(rows, query());
    assertThat(ids(page))
        .containsExactly(
            "failing a4-p2", // circuit open
            "failing a1-p2", // paper out
            "failing a3-p3", // error
            "offline a2-p1", // agent offline: its error is not the first thing to fix
            "offline a2-p2",
            "offline a3-p1", // reports offline
            "busy a1-p3",
            "online a4-p1",
            "online a1-p1",
            "online a3-p2");
    assertThat(page.getJsonObject("counts"))
        .isEqualTo(
            new JsonObject()
                .put("failing", 3)
                .put("offline", 3)
                .put("busy", 1)
                .put("online", 3)
                .put("total", 10));
    JsonObject first = page.getJsonArray("items").getJsonObject(0);
    assertThat(first.getString("circuit")).isEqualTo("OPEN");
    assertThat(first.getString("company")).isEqualTo("acme");
    assertThat(first.getString("branch")).isEqualTo("b1");
    assertThat(first.getBoolean("agentOnline")).isTrue();
    assertThat(page.getJsonArray("items").getJsonObject(7).getString("circuit")).isNull();
  }

  @Test
  void filtersTakeStateCompanyBranchAndAnyCaseTextAndPagesAreSlices() {
    assertThat(ids(PrinterList.page(rows, query("state", "failing", "company", "acme"))))
        .containsExactly("failing a4-p2", "failing a1-p2");
    assertThat(ids(PrinterList.page(rows, query("branch", "b1", "company", "globex"))))
        .containsExactly("failing a3-p3", "offline a3-p1", "online a3-p2");
    assertThat(ids(PrinterList.page(rows, query("q", "A2-P")))).hasSize(2);
    assertThat(ids(PrinterList.page(rows, query("q", "globex")))).hasSize(3);
    JsonObject page = PrinterList.page(rows, query("offset", "8", "limit", "5"));
    assertThat(ids(page)).containsExactly("online a1-p1", "online a3-p2");
    assertThat(page.getInteger("matching")).isEqualTo(10);
    assertThat(page.getInteger("offset")).isEqualTo(8);
    assertThat(PrinterList.page(rows, query("offset", "50")).getJsonArray("items")).isEmpty();
    assertThat(PrinterList.page(rows, query()).getInteger("limit")).isEqualTo(50);
  }

  @Test
  void aFleetEventHoldsTheChangedPrintersUpToItsBoundThenAsksForAReload() {
    var small = agent("acme", "b1", "a1", true, "online", "error");
    JsonObject event = PrinterList.changes(List.of(small), Map.of(), 2_000, 1);
    assertThat(event.getBoolean("reload")).isFalse();
    assertThat(ids(new JsonObject().put("items", event.getJsonArray("rows"))))
        .containsExactly("online a1-p1", "failing a1-p2");
    // One agent may hold up to PRINTFLEET_MAX_PRINTERS_PER_AGENT printers: one event stays bounded.
    String[] many = new String[2_001];
    java.util.Arrays.fill(many, "online");
    var big = agent("acme", "b1", "a2", true, many);
    JsonObject bounded = PrinterList.changes(List.of(small, big), Map.of(), 2_000, 2);
    assertThat(bounded.getBoolean("reload")).isTrue();
    assertThat(bounded.getInteger("agents")).isEqualTo(2);
    assertThat(bounded.containsKey("rows")).isFalse();
  }

  @Test
  void aBadQueryIsRefusedNamingItsField() {
    assertThatThrownBy(() -> query("state", "burning")).hasMessageStartingWith("state:");
    assertThatThrownBy(() -> query("limit", "0")).hasMessageStartingWith("limit:");
    assertThatThrownBy(() -> query("limit", "501")).hasMessageStartingWith("limit:");
    assertThatThrownBy(() -> query("offset", "-1")).hasMessageStartingWith("offset:");
    assertThatThrownBy(() -> query("offset", "1e3")).hasMessageStartingWith("offset:");
    assertThatThrownBy(() -> query("q", "x".repeat(101))).hasMessageStartingWith("q:");
    assertThatThrownBy(() -> query("company", "x".repeat(101))).hasMessageStartingWith("company:");
    assertThat(query("q", "x".repeat(100)).text()).hasSize(100);
  }
}
