package dev.printfleet.gateway.session;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.protocol.Envelope;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What every transport's session keeps the same way: identity, rate limit and abuse window,
 * solicited answers, counters, the close bookkeeping and its meters. A transport adds how a message
 * is written, how the socket is closed and pinged.
 */
public abstract class BaseSession implements Session {

  /** Answers a peer may owe at most; it cannot bank more credit against the rate limit. */
  private static final int MAX_SOLICITED = 10_000;

  private final String id = UUID.randomUUID().toString();
  private final Kind kind;
  private final Protocol protocol;
  private final Principal principal;
  private final Instant connectedAt = Instant.now();
  private final long connectedAtNanos = System.nanoTime();
  private final TokenBucket bucket;
  private final AbuseWindow abuse;
  protected final GatewayMetrics metrics;
  private int solicited;
  private long lastPongNanos = connectedAtNanos;

  /** When the next ping is due, once the first sweep has drawn this session's phase. */
  private long nextPingNanos;

  private boolean pingPhaseSet;

  private long messagesIn;
  private long messagesOut;
  private long dispatchBytes;
  private boolean closed;
  private short closedWith;
  private short peerCloseCode;

  protected BaseSession(
      Kind kind, Protocol protocol, Principal principal, Limits limits, GatewayMetrics metrics) {
    this.kind = kind;
    this.protocol = protocol;
    this.principal = principal;
    this.bucket = new TokenBucket(limits.burst(), limits.refillPerSecond(), connectedAtNanos);
    this.abuse = new AbuseWindow(limits.abuseThreshold(), limits.abuseWindow().toNanos());
    this.metrics = metrics;
  }

  /** Writes one message on the wire. */
  protected abstract void write(Outgoing message);

  /** Closes the transport's socket with this code and reason. */
  protected abstract void closeTransport(short code, String reason);

  /** Sends the transport's ping. */
  protected abstract void ping();

  @Override
  public final String id() {
    return id;
  }

  @Override
  public final Kind kind() {
    return kind;
  }

  @Override
  public final Protocol protocol() {
    return protocol;
  }

  @Override
  public final Principal principal() {
    return principal;
  }

  @Override
  public final Instant connectedAt() {
    return connectedAt;
  }

  @Override
  public final void send(Outgoing message) {
    if (closed) {
      return;
    }
    messagesOut++;
    metrics.frameOut(kind, protocol, message.type());
    write(message);
  }

  @Override
  public final void reject(String requestId, Envelope.Code code, String message) {
    metrics.error(code);
    send(
        requestId != null
            ? Envelope.errorResponse(requestId, code, message)
            : Envelope.errorEvent(code, message, null));
  }

  @Override
  public final void close(short code, String reason) {
    if (!closed) {
      closed = true;
      closedWith = code;
      metrics.closed(code);
      closeTransport(code, reason);
    }
  }

  /**
   * The socket is gone, closed by the peer (with this code, 0 for none) or after this gateway
   * closed it: nothing more is sent.
   */
  public final void markClosed(short peerCode) {
    closed = true;
    peerCloseCode = peerCode;
  }

  @Override
  public final boolean isClosed() {
    return closed;
  }

  @Override
  public final short closedWith() {
    return closedWith;
  }

  @Override
  public final short closeCode() {
    return closedWith != 0 ? closedWith : peerCloseCode;
  }

  @Override
  public final boolean admit(String type, long nowNanos) {
    messagesIn++;
    metrics.frameIn(kind, protocol, type);
    if (("response".equals(type) || "job.result".equals(type)) && solicited > 0) {
      solicited--;
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

  @Override
  public final void expectAnswers(int answers) {
    solicited = Math.min(MAX_SOLICITED, solicited + answers);
  }

  @Override
  public final long dispatchBytes() {
    return dispatchBytes;
  }

  @Override
  public final void dispatchSent(long bytes) {
    dispatchBytes += bytes;
  }

  @Override
  public final void dispatchAnswered(long bytes) {
    dispatchBytes = Math.max(0, dispatchBytes - bytes);
  }

  @Override
  public final long messages() {
    return messagesIn + messagesOut;
  }

  @Override
  public final long ageNanos(long nowNanos) {
    return nowNanos - connectedAtNanos;
  }

  /** The peer answered a ping. */
  public final void pong(long nowNanos) {
    lastPongNanos = nowNanos;
  }

  @Override
  public final long sincePongNanos(long nowNanos) {
    return nowNanos - lastPongNanos;
  }

  /**
   * Pings when due. The first ping comes at a random moment within an interval of the connection,
   * then one every interval on that phase: sockets that connected together (a fleet starting, a
   * reconnect storm) are pinged spread over the whole interval, not all in one sweep of their event
   * loop, where a thousand pings and their pongs at once delayed every job on the loop. A sweep
   * late by more than an interval pings once and starts the phase again from then.
   */
  @Override
  public final void pingIfDue(long nowNanos, long intervalNanos) {
    if (closed) {
      return;
    }
    if (!pingPhaseSet) {
      pingPhaseSet = true;
      nextPingNanos =
          connectedAtNanos + 1 + ThreadLocalRandom.current().nextLong(Math.max(1, intervalNanos));
    }
    if (nowNanos - nextPingNanos >= 0) {
      nextPingNanos =
          nowNanos - nextPingNanos >= intervalNanos
              ? nowNanos + intervalNanos
              : nextPingNanos + intervalNanos;
      ping();
    }
  }
}
