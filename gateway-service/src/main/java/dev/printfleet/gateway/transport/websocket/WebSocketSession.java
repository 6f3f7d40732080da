package dev.printfleet.gateway.transport.websocket;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.gateway.session.BaseSession;
import dev.printfleet.gateway.session.GatewayMetrics;
import dev.printfleet.gateway.session.Outgoing;
import dev.printfleet.gateway.session.WriteBatch;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.util.AttributeKey;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.impl.WebSocketInternal;

/**
 * A session on one of printfleet's own WebSockets ({@code /ws/agent}, {@code /ws/client}): each
 * message is one text frame holding the envelope, compressed when the socket negotiated
 * permessage-deflate. Frames are written to the Netty channel directly, from bytes encoded once per
 * message ({@link WebSocketFormat}).
 */
final class WebSocketSession extends BaseSession {

  /** The session on a channel, for the Netty handlers in front of Vert.x (MessageSizeGuard). */
  private static final AttributeKey<WebSocketSession> ON_CHANNEL =
      AttributeKey.valueOf("printfleet.session");

  private static final Buffer PING = Buffer.buffer("p");

  private final ServerWebSocket socket;
  private final ChannelHandlerContext channel;
  private final boolean compressed;
  private final WriteBatch writes;
  private final WriteBatch.Flushable flusher;

  WebSocketSession(
      Kind kind,
      Principal principal,
      ServerWebSocket socket,
      Limits limits,
      GatewayMetrics metrics,
      WriteBatch writes) {
    super(kind, Protocol.WEBSOCKET, principal, limits, metrics);
    this.socket = socket;
    this.channel = ((WebSocketInternal) socket).channelHandlerContext();
    this.writes = writes;
    this.flusher = channel::flush;
    this.compressed =
        channel.pipeline().toMap().values().stream()
            .anyMatch(h -> h instanceof WebSocketExtensionEncoder);
    channel.channel().attr(ON_CHANNEL).set(this);
  }

  /** The session accepted on this channel; null before the upgrade was accepted. */
  static WebSocketSession of(Channel channel) {
    return channel.attr(ON_CHANNEL).get();
  }

  ServerWebSocket socket() {
    return socket;
  }

  @Override
  public boolean compressed() {
    return compressed;
  }

  @Override
  public boolean writeQueueFull() {
    // A closed socket throws here; what is sent to it is dropped anyway, so it is never "behind".
    if (isClosed() || socket.isClosed()) {
      return false;
    }
    return socket.writeQueueFull();
  }

  @Override
  protected void write(Outgoing message) {
    var frame = message.encoded(WebSocketFormat.TEXT).frame(compressed);
    if (!writes.defer(flusher)) {
      channel.writeAndFlush(frame);
      return;
    }
    channel.write(frame);
    if (!channel.channel().isWritable()) {
      // Unflushed frames count against the socket's write queue: flushed now, only what the
      // kernel does not take keeps it full, so a batch never makes a reading dashboard "behind".
      channel.flush();
    }
  }

  @Override
  protected void closeTransport(short code, String reason) {
    socket.close(code, reason);
  }

  @Override
  protected void ping() {
    socket.writePing(PING);
  }
}
