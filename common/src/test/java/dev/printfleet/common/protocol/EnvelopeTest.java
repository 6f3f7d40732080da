package dev.printfleet.common.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

  private static final String SYNC =
      "{\"type\":\"printers.sync\",\"id\":\"1\",\"data\":{\"printers\":"
          + "[{\"id\":\"p1\",\"tags\":[\"a\",{\"b\":[1,2]}]},{\"id\":\"p2\"}],\"n\":3}}";

  @Test
  void plainDataOfAParsedFrameIsItsOwnMapWithPlainMapsAndLists() throws Exception {
    var envelope = Envelope.parse(SYNC);

    var data = envelope.plainData();

    assertThat(data).isSameAs(envelope.data().getMap());
    assertPlain(data);
    assertThat(data.get("printers")).isInstanceOf(List.class);
  }

  @Test
  void plainDataOfDataBuiltInCodeOrCopiedHoldsNoVertxJsonType() throws Exception {
    var copied = Envelope.parse(SYNC).data().copy();
    var built =
        new JsonObject()
            .put("printers", new JsonArray().add(new JsonObject().put("id", "p1")))
            .put("rooms", List.of("branch:b1", new JsonArray().add("x")));

    for (JsonObject data : List.of(copied, built)) {
      var plain = Envelope.event("x", data).plainData();

      assertPlain(plain);
      assertThat(data.getValue("printers"))
          .as("the envelope's own data is left as it was")
          .isInstanceOf(JsonArray.class);
    }
    assertThat(Envelope.event("x", copied).plainData())
        .isEqualTo(Envelope.parse(SYNC).data().getMap());
  }

  private static void assertPlain(Object value) {
    assertThat(value).isNotInstanceOfAny(JsonObject.class, JsonArray.class);
    if (value instanceof Map<?, ?> map) {
      map.values().forEach(EnvelopeTest::assertPlain);
    } else if (value instanceof List<?> list) {
      list.forEach(EnvelopeTest::assertPlain);
    }
  }
}
