package dev.printfleet.gateway.transport.websocket;

import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.gateway.session.WireFormat;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import java.nio.charset.StandardCharsets;

/**
 * PROTOCOL.md §2's wire: one envelope per text frame. A message's UTF-8 bytes are encoded once, and
 * deflated once the first time a compressing socket needs them.
 */
final class WebSocketFormat implements WireFormat<WebSocketFormat.Payload> {

  static final WebSocketFormat TEXT = new WebSocketFormat();

  private WebSocketFormat() {}

  @Override
  public Payload encode(Envelope envelope) {
    return new Payload(envelope.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** One message's bytes, shared by every socket it is written to. */
  static final class Payload {

    private final byte[] utf8;
    private volatile byte[] deflated;

    private Payload(byte[] utf8) {
      this.utf8 = utf8;
    }

    /** A Netty frame for one socket; the bytes are shared, the frame object is not. */
    WebSocketFrame frame(boolean compressed) {
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
}
