package dev.printfleet.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

class RateAndDeflateTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void bucketAllowsItsBurstThenRefillsAtItsRate() {
    var bucket = new TokenBucket(100, 10, 0);
    int allowed = 0;
    for (int i = 0; i < 150; i++) {
      if (bucket.tryTake(0)) {
        allowed++;
      }
    }
    assertThat(allowed).isEqualTo(100);
    assertThat(bucket.tryTake(SECOND / 20)).as("half a token after 50 ms").isFalse();
    int afterOneSecond = 0;
    for (int i = 0; i < 20; i++) {
      if (bucket.tryTake(SECOND + SECOND / 20)) {
        afterOneSecond++;
      }
    }
    assertThat(afterOneSecond).isEqualTo(10);
  }

  @Test
  void bucketNeverHoldsMoreThanItsCapacity() {
    var bucket = new TokenBucket(5, 10, 0);
    int allowed = 0;
    for (int i = 0; i < 20; i++) {
      if (bucket.tryTake(3600 * SECOND)) {
        allowed++;
      }
    }
    assertThat(allowed).isEqualTo(5);
  }

  @Test
  void refusalsBecomeAbuseOnlyWhenTheyPileUpWithinTheWindow() {
    var window = new AbuseWindow(10, 10 * SECOND);
    for (int i = 0; i < 9; i++) {
      assertThat(window.recordRefusal(i * SECOND)).isFalse();
    }
    assertThat(window.recordRefusal(9 * SECOND)).isTrue();

    var spread = new AbuseWindow(10, 10 * SECOND);
    for (int i = 0; i < 30; i++) {
      assertThat(spread.recordRefusal(i * 2 * SECOND))
          .as("one refusal every 2 s never adds up")
          .isFalse();
    }
  }

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
