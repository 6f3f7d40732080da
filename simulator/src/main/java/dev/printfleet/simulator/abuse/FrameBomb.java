package dev.printfleet.simulator.abuse;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * The compressed frame bomb of issue 12: one permessage-deflate message that is small on the wire
 * (deflate reaches about 1:1030 on repeated bytes: 512 MiB become about 510 KB) and huge once
 * inflated. Built by streaming one 1 MiB block through the deflater, so the attacker never holds
 * the inflated bytes itself.
 */
public final class FrameBomb {

  private FrameBomb() {}

  /**
   * The deflated payload of a text message of {@code inflatedBytes} ASCII spaces, as RFC 7692 sends
   * it: raw deflate, flushed, without the trailing 00 00 FF FF.
   */
  public static byte[] build(long inflatedBytes) {
    if (inflatedBytes < 1 || inflatedBytes > 4L * 1024 * 1024 * 1024) {
      throw new IllegalArgumentException("inflated size must be 1 byte .. 4 GiB");
    }
    var deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      byte[] block = new byte[1024 * 1024];
      Arrays.fill(block, (byte) ' ');
      byte[] buffer = new byte[64 * 1024];
      var out = new ByteArrayOutputStream();
      for (long left = inflatedBytes; left > 0; left -= block.length) {
        deflater.setInput(block, 0, (int) Math.min(block.length, left));
        while (!deflater.needsInput()) {
          int n = deflater.deflate(buffer, 0, buffer.length, Deflater.NO_FLUSH);
          out.write(buffer, 0, n);
        }
      }
      int n;
      do {
        n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
        out.write(buffer, 0, n);
      } while (n == buffer.length);
      byte[] all = out.toByteArray();
      // A sync flush ends with an empty stored block, 00 00 FF FF: RFC 7692 strips it.
      int end = all.length;
      if (end >= 4
          && all[end - 4] == 0
          && all[end - 3] == 0
          && all[end - 2] == (byte) 0xFF
          && all[end - 1] == (byte) 0xFF) {
        end -= 4;
      }
      return Arrays.copyOf(all, end);
    } finally {
      deflater.end();
    }
  }
}
