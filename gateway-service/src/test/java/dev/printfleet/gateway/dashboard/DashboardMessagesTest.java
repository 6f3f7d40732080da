package dev.printfleet.gateway.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DashboardMessagesTest {

  @Test
  void roomsAreAListOfOneToMaxNamesHoweverTheFrameWasBuilt() throws Exception {
    var parsed =
        Envelope.parse(
            "{\"type\":\"subscribe\",\"data\":{\"rooms\":[\"company:acme\",\"branch:b1\"]}}");
    var built =
        Envelope.event(
            "subscribe",
            new JsonObject().put("rooms", new JsonArray().add("company:acme").add("branch:b1")));

    for (var envelope : List.of(parsed, built)) {
      assertThat(DashboardMessages.rooms(envelope.plainData(), 2))
          .containsExactly("company:acme", "branch:b1");
    }
  }

  @Test
  void anythingElseIsRefused() {
    for (Map<String, Object> refused :
        List.<Map<String, Object>>of(
            Map.of(),
            Map.of("rooms", "branch:b1"),
            Map.of("rooms", List.of()),
            Map.of("rooms", List.of("a", "b", "c")),
            Map.of("rooms", List.of("a", 7)))) {
      assertThatThrownBy(() -> DashboardMessages.rooms(refused, 2))
          .as("%s", refused)
          .isInstanceOf(DashboardMessages.Invalid.class)
          .hasMessage("rooms must be a list of 1 to 2 room names");
    }
  }
}
