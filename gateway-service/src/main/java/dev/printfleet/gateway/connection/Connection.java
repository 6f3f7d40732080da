package dev.printfleet.gateway.connection;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.protocol.Envelope;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.util.AttributeKey;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.impl.WebSocketInternal;
import java.time.Instant;
import java.util.UUID;

/**
 * One authenticated WebSocket, agent or dashboard: its socket, who is on it, its limits and its
 * counters. Everything a connection writes goes through {@link #send(OutboundFrame)}, which writes
 * the frame's shared bytes, compressed when the socket negotiated permessage-deflate. Confined to
 * the gateway verticle's event loop.
 */
public final class Connection {

  public enum Kind {
    AGENT,
    CLIENT
  }

  /** The connection on a channel, for the Netty handlers in front of Vert.x (MessageSizeGuard). */
  private static final AttributeKey<Connection> ON_CHANNEL =
      AttributeKey.valueOf("printfleet.connection");

  private final String id = UUID.randomUUID().toString();
  private final Kind kind;
  private final Principal principal;
  private final ServerWebSocket socket;
  private final ChannelHandlerContext channel;
  private final boolean compressed;
  private final Instant connectedAt = Instant.now();
  private final long connectedAtNanos = System.nanoTime();
  private static final int MAX_SOLICITED = 10_000;

  private final TokenBucket bucket;
  private final java.util.concurrent.atomic.AtomicInteger solicited =
      new java.util.concurrent.atomic.AtomicInteger();
  private final AbuseWindow abuse;
  private final GatewayMetrics metrics;
  private long lastPongNanos = System.nanoTime();
  private long lastPingNanos = System.nanoTime();
  private long messagesIn;
  private long messagesOut;
  private long expiryTimer = -1;
  private long dispatchBytes;
  private boolean closed;
  private short closedWith;

  public Connection(
      Kind kind,
      Principal principal,
      ServerWebSocket socket,
      Limits limits,
      GatewayMetrics metrics) {
    this.kind = kind;
    this.principal = principal;
    this.socket = socket;
    this.channel = ((WebSocketInternal) socket).channelHandlerContext();
    this.compressed =
        channel.pipeline().toMap().values().stream()
            .anyMatch(h -> h instanceof WebSocketExtensionEncoder);
    this.bucket = new TokenBucket(limits.burst(), limits.refillPerSecond(), connectedAtNanos);
    this.abuse = new AbuseWindow(limits.abuseThreshold(), limits.abuseWindow().toNanos());
    this.metrics = metrics;
    channel.channel().attr(ON_CHANNEL).set(this);
  }

  /** The connection accepted on this channel; null before the upgrade was accepted. */
  static Connection of(Channel channel) {
    return channel.attr(ON_CHANNEL).get();
  }

  /** Per-connection limits of PROTOCOL.md §2.4. */
  public record Limits(
      int burst, double refillPerSecond, int abuseThreshold, java.time.Duration abuseWindow) {}

  public String id() {
    return id;
  }

  public Kind kind() {
    return kind;
  }

  public Principal principal() {
    return principal;
  }

  public ServerWebSocket socket() {
    return socket;
  }

  public boolean compressed() {
    return compressed;
  }

  public Instant connectedAt() {
    return connectedAt;
  }

  public long ageNanos(long nowNanos) {
    return nowNanos - connectedAtNanos;
  }

  public long messages() {
    return messagesIn + messagesOut;
  }

  public boolean isClosed() {
    return closed;
  }

  public boolean writeQueueFull() {
    // A closed socket throws here; what is sent to it is dropped anyway, so it is never "behind".
    if (closed || socket.isClosed()) {
      return false;
    }
    return socket.writeQueueFull();
  }

  /** Content of the dispatches sent on this socket and not yet answered. */
  public long dispatchBytes() {
    return dispatchBytes;
  }

  public void dispatchSent(long bytes) {
    dispatchBytes += bytes;
  }

  public void dispatchAnswered(long bytes) {
    dispatchBytes = Math.max(0, dispatchBytes - bytes);
  }

  public void send(Envelope envelope) {
    send(OutboundFrame.of(envelope));
  }

  public void send(OutboundFrame frame) {
    if (closed) {
      return;
    }
    messagesOut++;
    metrics.frameOut(kind, frame.type());
    channel.writeAndFlush(frame.nettyFrame(compressed));
  }

  /**
   * Answers a request with an error response, or sends an {@code error} event when it had no id.
   */
  public void reject(String requestId, Envelope.Code code, String message) {
    metrics.error(code);
    send(
        requestId != null
            ? Envelope.errorResponse(requestId, code, message)
            : Envelope.errorEvent(code, message, null));
  }

  /**
   * Counts an incoming frame against the rate limit. False when the frame must be dropped: it is
   * then answered {@code rate_limited}, or the connection is closed 1008 when the abuse is
   * sustained.
   */
  public boolean admit(String type, long nowNanos) {
    messagesIn++;
    metrics.frameIn(kind, type);
    if (("response".equals(type) || "job.result".equals(type)) && takeSolicited()) {
      return true;
    }
    if (bucket.tryTake(nowNanos)) {
      return true;
    }
    if (abuse.recordRefusal(nowNanos)) {
      close(CloseCodes.POLICY_VIOLATION, "rate limit exceeded repeatedly");
    } else {
      reject(
          null, Envelope.Code.RATE_LIMITED, "more than the allowed frames per second; slow down");
    }
    return false;
  }

  /**
   * The server asked this peer for {@code frames} answers (a dispatch is answered by a response and
   * later a job.result): those frames do not count against the rate limit, so a busy printer's
   * agent is never throttled for answering what it was sent. Capped, so an agent cannot bank
   * credit.
   */
  public void expectAnswers(int frames) {
    solicited.updateAndGet(n -> Math.min(MAX_SOLICITED, n + frames));
  }

  private boolean takeSolicited() {
    return solicited.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }

  public void pong(long nowNanos) {
    lastPongNanos = nowNanos;
  }

  public long sincePongNanos(long nowNanos) {
    return nowNanos - lastPongNanos;
  }

  /** Sends a ping when the last one is older than the interval. */
  void pingIfDue(long nowNanos, long intervalNanos) {
    if (!closed && nowNanos - lastPingNanos >= intervalNanos) {
      lastPingNanos = nowNanos;
      socket.writePing(io.vertx.core.buffer.Buffer.buffer("p"));
    }
  }

  void expiryTimer(long timerId) {
    this.expiryTimer = timerId;
  }

  long expiryTimer() {
    return expiryTimer;
  }

  /** The code this gateway closed the socket with; 0 when it did not close it. */
  public short closedWith() {
    return closedWith;
  }

  public void close(short code, String reason) {
    if (!closed) {
      closed = true;
      closedWith = code;
      metrics.closed(code);
      socket.close(code, reason);
    }
  }

  /** Marks the connection closed when the peer closed it first. */
  void markClosed() {
    closed = true;
  }
}
