package dev.printfleet.gateway.connection;

import dev.printfleet.common.protocol.Envelope;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import java.nio.charset.StandardCharsets;

/**
 * One message to send, encoded once however many sockets receive it: the UTF-8 bytes, and the
 * deflated bytes the first time a compressing socket needs them.
 */
public final class OutboundFrame {

  private final String type;
  private final byte[] utf8;
  private volatile byte[] deflated;

  private OutboundFrame(String type, byte[] utf8) {
    this.type = type;
    this.utf8 = utf8;
  }

  public static OutboundFrame of(Envelope envelope) {
    return new OutboundFrame(envelope.type(), envelope.encode().getBytes(StandardCharsets.UTF_8));
  }

  public String type() {
    return type;
  }

  public int size() {
    return utf8.length;
  }

  /** A Netty frame for one socket; the bytes are shared, the frame object is not. */
  WebSocketFrame nettyFrame(boolean compressed) {
    if (!compressed) {
      return new TextWebSocketFrame(true, 0, Unpooled.wrappedBuffer(utf8));
    }
    byte[] bytes = deflated;
    if (bytes == null) {
      bytes = Deflation.compress(utf8);
      deflated = bytes;
    }
    // RSV1 marks the payload as already compressed, so the socket's own deflate encoder
    // passes it through and never builds a zlib context.
    return new TextWebSocketFrame(true, WebSocketExtension.RSV1, Unpooled.wrappedBuffer(bytes));
  }
}
