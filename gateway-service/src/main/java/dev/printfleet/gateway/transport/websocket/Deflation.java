package dev.printfleet.gateway.transport.websocket;

import java.io.ByteArrayOutputStream;
import java.util.zip.Deflater;

/**
 * permessage-deflate (RFC 7692) without context takeover: each message is compressed on its own, by
 * one Deflater per event loop thread, so no socket holds a zlib context between messages.
 */
public final class Deflation {

  private static final byte[] EMPTY_BLOCK_TAIL = {0x00, 0x00, (byte) 0xff, (byte) 0xff};
  private static final ThreadLocal<Deflater> deflaters = new ThreadLocal<>();
  private static volatile int level = 3;

  private Deflation() {}

  public static void level(int compressionLevel) {
    level = compressionLevel;
  }

  /** The message's payload as a compressed frame carries it (RSV1 set by the caller). */
  public static byte[] compress(byte[] message) {
    Deflater deflater = deflaters.get();
    if (deflater == null) {
      deflater = new Deflater(level, true);
      deflaters.set(deflater);
    }
    deflater.reset();
    deflater.setLevel(level);
    deflater.setInput(message);
    var out = new ByteArrayOutputStream(Math.max(64, message.length / 2));
    byte[] chunk = new byte[Math.max(256, Math.min(64 * 1024, message.length + 64))];
    int n;
    do {
      n = deflater.deflate(chunk, 0, chunk.length, Deflater.SYNC_FLUSH);
      out.write(chunk, 0, n);
    } while (n == chunk.length);
    byte[] bytes = out.toByteArray();
    // A sync flush ends with an empty stored block; the extension drops its 4-byte tail.
    if (bytes.length >= 4 && endsWithTail(bytes)) {
      byte[] trimmed = new byte[bytes.length - 4];
      System.arraycopy(bytes, 0, trimmed, 0, trimmed.length);
      return trimmed;
    }
    return bytes;
  }

  private static boolean endsWithTail(byte[] bytes) {
    for (int i = 0; i < 4; i++) {
      if (bytes[bytes.length - 4 + i] != EMPTY_BLOCK_TAIL[i]) {
        return false;
      }
    }
    return true;
  }
}
