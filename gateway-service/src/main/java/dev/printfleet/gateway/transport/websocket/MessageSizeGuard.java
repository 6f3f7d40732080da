package dev.printfleet.gateway.transport.websocket;

import dev.printfleet.gateway.session.CloseCodes;
import dev.printfleet.gateway.session.GatewayMetrics;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what a received message costs once inflated (PROTOCOL.md §2.4). The wire size is checked
 * by the frame decoder; a permessage-deflate frame of a few kilobytes can inflate to gigabytes, and
 * Vert.x builds its inflater without a limit. So each HTTP/1 connection gets, before any WebSocket
 * byte is read, an inflater that stops at the message limit, and this handler behind it: it closes
 * the socket 1009 when the inflater stops, and when the frames of one fragmented message add up to
 * more than the limit (Vert.x would buffer twice the limit and then drop the message silently).
 * Runs on the connection's event loop, which is the gateway verticle's.
 */
public final class MessageSizeGuard extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(MessageSizeGuard.class);

  /**
   * Names Vert.x 4.5 gives its handlers in an HTTP/1 server connection's pipeline. Internal to
   * Vert.x: should an upgrade rename them, HostileSocketTest's frame bomb fails.
   */
  private static final String VERTX_HANDLER = "handler";

  private static final String VERTX_EXTENSIONS = "webSocketExtensionHandler";

  /** Netty's message when the inflater's buffer reached its maximum allocation. */
  private static final String INFLATER_LIMIT_MESSAGE =
      "Decompression buffer has reached maximum size";

  private final long maxMessageBytes;
  private final GatewayMetrics metrics;
  private long messageBytes;
  private boolean tripped;

  private MessageSizeGuard(long maxMessageBytes, GatewayMetrics metrics) {
    this.maxMessageBytes = maxMessageBytes;
    this.metrics = metrics;
  }

  /**
   * Called from the server's connection handler, which Vert.x runs right after it set up the
   * pipeline and before it reads the first request: replaces Vert.x's permessage-deflate
   * negotiation with the same one plus a maximum allocation, and puts the guard in front of Vert.x.
   */
  public static void install(
      HttpConnection connection,
      HttpServerOptions options,
      long maxMessageBytes,
      GatewayMetrics metrics) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
    if (pipeline.get(VERTX_HANDLER) == null) {
      return;
    }
    int maxAllocation = (int) Math.min(Integer.MAX_VALUE, maxMessageBytes);
    if (pipeline.get(VERTX_EXTENSIONS) != null) {
      pipeline.replace(
          VERTX_EXTENSIONS,
          VERTX_EXTENSIONS,
          new WebSocketServerExtensionHandler(
              new PerMessageDeflateServerExtensionHandshaker(
                  options.getWebSocketCompressionLevel(),
                  ZlibCodecFactory.isSupportingWindowSizeAndMemLevel(),
                  PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE,
                  options.getWebSocketAllowServerNoContext(),
                  options.getWebSocketPreferredClientNoContext(),
                  maxAllocation)));
    }
    pipeline.addBefore(
        VERTX_HANDLER, "messageSizeGuard", new MessageSizeGuard(maxMessageBytes, metrics));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof TextWebSocketFrame
        || msg instanceof BinaryWebSocketFrame
        || msg instanceof ContinuationWebSocketFrame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    WebSocketFrame frame = (WebSocketFrame) msg;
    if (tripped) {
      ReferenceCountUtil.release(frame);
      return;
    }
    if (!(frame instanceof ContinuationWebSocketFrame)) {
      messageBytes = 0;
    }
    messageBytes += frame.content().readableBytes();
    if (messageBytes > maxMessageBytes) {
      ReferenceCountUtil.release(frame);
      refuse(ctx, "message");
      return;
    }
    ctx.fireChannelRead(frame);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (isInflaterLimit(cause)) {
      if (!tripped) {
        refuse(ctx, "inflated");
      }
      return;
    }
    if (tripped) {
      // The inflater that stopped may fail again on the rest of the message; the socket is closing.
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  private static void removeInflater(ChannelPipeline pipeline) {
    for (var entry : pipeline) {
      if (entry.getValue() instanceof WebSocketExtensionDecoder) {
        pipeline.remove(entry.getValue());
        return;
      }
    }
  }

  private static boolean isInflaterLimit(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DecompressionException
          && t.getMessage() != null
          && t.getMessage().startsWith(INFLATER_LIMIT_MESSAGE)) {
        return true;
      }
    }
    return false;
  }

  /** Closes 1009 through the gateway's session, so the close is counted like every other. */
  private void refuse(ChannelHandlerContext ctx, String where) {
    tripped = true;
    messageBytes = 0;
    // Nothing this peer sends from now on is read, so stop inflating it; the close handshake's
    // control frames are never compressed. Deferred: the inflater may be the handler now failing.
    ctx.executor().execute(() -> removeInflater(ctx.pipeline()));
    WebSocketSession session = WebSocketSession.of(ctx.channel());
    String reason = "message larger than " + maxMessageBytes + " bytes";
    metrics.messageTooBig(session == null ? null : session.kind(), where);
    if (session == null) {
      log.warn(
          "Closed a socket whose message is over the limit before it was accepted remote={} where={} limitBytes={}",
          ctx.channel().remoteAddress(),
          where,
          maxMessageBytes);
      ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.MESSAGE_TOO_BIG, reason))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    var principal = session.principal();
    log.warn(
        "Closed a socket whose message is over the limit subject={} company={} role={} remote={} where={} limitBytes={}",
        principal.subject(),
        principal.company(),
        principal.role().claim(),
        session.socket().remoteAddress(),
        where,
        maxMessageBytes);
    session.close(CloseCodes.MESSAGE_TOO_BIG, reason);
  }
}
