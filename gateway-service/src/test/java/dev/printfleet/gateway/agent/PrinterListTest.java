package dev.printfleet.gateway.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class PrinterListTest {

  private static JsonArray list(JsonObject... printers) {
    var list = new JsonArray();
    for (var p : printers) {
      list.add(p);
    }
    return list;
  }

  @Test
  void aListWithinTheLimitsIsReadWithItsDefaults() throws Exception {
    var printers =
        PrinterList.read(
            list(
                new JsonObject().put("id", "p1"),
                new JsonObject().put("id", "p2").put("name", "Bar").put("status", "busy")),
            2);

    assertThat(printers)
        .extracting(p -> p.id() + "/" + p.name() + "/" + p.status())
        .containsExactly("p1/p1/online", "p2/Bar/busy");
  }

  @Test
  void eachBreachRefusesTheWholeList() {
    assertThatThrownBy(
            () ->
                PrinterList.read(
                    list(new JsonObject().put("id", "a"), new JsonObject().put("id", "b")), 1))
        .isInstanceOf(PrinterList.Refused.class);
    assertThatThrownBy(
            () -> PrinterList.read(list(new JsonObject().put("id", "x".repeat(129))), 10))
        .isInstanceOf(PrinterList.Refused.class);
    assertThatThrownBy(
            () ->
                PrinterList.read(
                    list(new JsonObject().put("id", "p").put("name", "n".repeat(257))), 10))
        .isInstanceOf(PrinterList.Refused.class);
    assertThatThrownBy(
            () ->
                PrinterList.read(
                    list(new JsonObject().put("id", "p"), new JsonObject().put("id", "p")), 10))
        .isInstanceOf(PrinterList.Refused.class);
    assertThatThrownBy(
            () -> PrinterList.read(list(new JsonObject().put("id", "p").put("name", 7)), 10))
        .isInstanceOf(PrinterList.Refused.class);
    assertThatThrownBy(
            () ->
                PrinterList.read(
                    list(new JsonObject().put("id", "p").put("status", "on fire")), 10))
        .isInstanceOf(PrinterList.Refused.class);
    assertThatThrownBy(() -> PrinterList.read(new JsonObject(), 10))
        .isInstanceOf(PrinterList.Refused.class);
  }

  @Test
  void idsAndNamesAtTheirLimitsAreAccepted() throws Exception {
    assertThat(
            PrinterList.read(
                list(new JsonObject().put("id", "x".repeat(128)).put("name", "n".repeat(256))), 1))
        .hasSize(1);
  }
}
