package dev.printfleet.simulator.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/** What the attacker's own tools promise, checked without a running set. */
class AbuseToolsTest {

  @Test
  void theBombIsSmallOnTheWireAndInflatesToExactlyItsSize() throws Exception {
    long size = 64L * 1024 * 1024;
    byte[] bomb = FrameBomb.build(size);
    // Deflate's best ratio is about 1:1030: 64 MiB fit in some 65 KB, far under a 1 MiB frame.
    assertThat(bomb.length).isBetween(50_000, 80_000);
    var inflater = new Inflater(true);
    byte[] input = java.util.Arrays.copyOf(bomb, bomb.length + 4);
    input[bomb.length + 2] = (byte) 0xFF;
    input[bomb.length + 3] = (byte) 0xFF;
    inflater.setInput(input);
    byte[] buffer = new byte[1024 * 1024];
    long inflated = 0;
    boolean allSpaces = true;
    int n;
    while ((n = inflater.inflate(buffer)) > 0) {
      inflated += n;
      for (int i = 0; i < n && allSpaces; i += 4096) {
        allSpaces = buffer[i] == ' ';
      }
    }
    inflater.end();
    assertThat(inflated).isEqualTo(size);
    assertThat(allSpaces).isTrue();
  }

  @Test
  void aClientFrameHeaderCarriesRsv1TheMaskAndA64BitLength() {
    byte[] header = RawWebSocket.encodeHeader(0x1, true, 522_000, new byte[] {1, 2, 3, 4});
    assertThat(header).hasSize(14);
    assertThat(header[0] & 0xFF).isEqualTo(0x80 | 0x40 | 0x1);
    assertThat(header[1] & 0xFF).isEqualTo(0x80 | 127);
    long length = 0;
    for (int i = 2; i < 10; i++) {
      length = (length << 8) | (header[i] & 0xFF);
    }
    assertThat(length).isEqualTo(522_000);
    assertThat(RawWebSocket.encodeHeader(0x8, false, 2, new byte[4])).hasSize(6);
  }

  @Test
  void readsACompressedServerMessageThenTheCloseStatus() throws Exception {
    var wire = new ByteArrayOutputStream();
    byte[] text =
        "{\"type\":\"error\",\"data\":{\"code\":\"invalid_data\"}}"
            .getBytes(StandardCharsets.UTF_8);
    var deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    deflater.setInput(text);
    byte[] out = new byte[256];
    int n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
    deflater.end();
    int payload = n - 4; // without 00 00 FF FF
    wire.write(0x80 | 0x40 | 0x1);
    wire.write(payload);
    wire.write(out, 0, payload);
    wire.write(0x89); // a ping on the way, answered and skipped
    wire.write(0);
    wire.write(0x88);
    wire.write(2);
    wire.write(1009 >> 8);
    wire.write(1009 & 0xFF);
    var in = new ByteArrayInputStream(wire.toByteArray());
    int[] pings = {0};
    RawWebSocket.Message first = RawWebSocket.readFrom(in, p -> pings[0]++);
    assertThat(first.text()).isEqualTo(new String(text, StandardCharsets.UTF_8));
    RawWebSocket.Message second = RawWebSocket.readFrom(in, p -> pings[0]++);
    assertThat(second.isClose()).isTrue();
    assertThat(second.closeStatus()).isEqualTo(1009);
    assertThat(pings[0]).isEqualTo(1);
    assertThat(RawWebSocket.readFrom(in, p -> {}).opcode()).isEqualTo(-1);
  }

  @Test
  void attacksOnlyLoopbackAddresses() {
    assertThat(Abuse.isLoopback("127.0.0.1")).isTrue();
    assertThat(Abuse.isLoopback("localhost")).isTrue();
    assertThat(Abuse.isLoopback("10.0.0.1")).isFalse();
    assertThat(Abuse.isLoopback("192.0.2.10")).isFalse();
  }
}
