package dev.printfleet.gateway.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

class DeflationTest {

  @Test
  void deflatedMessageInflatesBackWithTheExtensionTailRestored() throws Exception {
    byte[] message =
        "{\"type\":\"printer.status\",\"data\":{\"updates\":[]}}"
            .repeat(20)
            .getBytes(StandardCharsets.UTF_8);
    for (int round = 0; round < 3; round++) {
      byte[] compressed = Deflation.compress(message);
      assertThat(compressed.length).isLessThan(message.length);
      var inflater = new Inflater(true);
      var input = new ByteArrayOutputStream();
      input.write(compressed);
      input.write(new byte[] {0x00, 0x00, (byte) 0xff, (byte) 0xff});
      inflater.setInput(input.toByteArray());
      byte[] out = new byte[message.length * 2];
      int n = inflater.inflate(out);
      assertThat(new String(out, 0, n, StandardCharsets.UTF_8))
          .isEqualTo(new String(message, StandardCharsets.UTF_8));
    }
  }
}
