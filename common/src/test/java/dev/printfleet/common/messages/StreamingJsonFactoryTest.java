package dev.printfleet.common.messages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Vert.x picks printfleet's streaming codec through the service file, though jackson-databind is on
 * the classpath; and what printfleet's messages hold (strings, numbers, nested objects and arrays,
 * nulls, bytes, instants, text beyond ASCII) goes through it unchanged.
 */
class StreamingJsonFactoryTest {

  @Test
  void vertxEncodesWithTheStreamingCodecNotAnObjectMapper() {
    assertThat(Json.CODEC).isNotInstanceOf(DatabindCodec.class);
    assertThat(Json.CODEC).isSameAs(new StreamingJsonFactory().codec());
  }

  @Test
  void whatTheMessagesHoldGoesThroughUnchanged() {
    var json =
        new JsonObject()
            .put("type", "job.update")
            .put("text", "Küche \"2\" \u00e9\u4e2d\n")
            .put("n", 42)
            .put("big", 9_007_199_254_740_993L)
            .put("ratio", 0.25)
            .put("ok", true)
            .putNull("error")
            .put("bytes", new byte[] {1, 2, 3})
            .put("at", Instant.ofEpochMilli(1_700_000_000_123L))
            .put(
                "events",
                new JsonArray().add(new JsonObject().put("id", "j1")).add(new JsonArray().add(1)));
    String text = json.encode();
    JsonObject back = new JsonObject(text);
    assertThat(back).isEqualTo(json);
    assertThat(new JsonObject(Buffer.buffer(text))).isEqualTo(json);
    assertThat(back.getBinary("bytes")).containsExactly(1, 2, 3);
    assertThat(back.getInstant("at")).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
    assertThat(back.getLong("big")).isEqualTo(9_007_199_254_740_993L);
    assertThat(json.toBuffer().toString()).isEqualTo(text);
  }
}
