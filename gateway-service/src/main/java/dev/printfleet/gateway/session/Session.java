package dev.printfleet.gateway.session;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.protocol.Envelope;
import java.time.Instant;

/**
 * One authenticated peer, agent or dashboard, whatever wire it speaks: who it is, its limits, what
 * it is sent and how it is closed. The agent, dashboard and fan-out logic see sessions only; a
 * transport ({@code transport.websocket}) implements them over its sockets. Confined to the event
 * loop of the gateway verticle that accepted it.
 */
public interface Session {

  /** Which endpoint a session belongs to; the label is the contract's role name. */
  enum Kind {
    AGENT("agent"),
    /** A dashboard: {@code client} in the contract, after its path {@code /ws/client}. */
    DASHBOARD("client");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** The wire a session speaks: a label of the gateway's metrics. */
  enum Protocol {
    /** printfleet's own envelope on {@code /ws/agent} and {@code /ws/client}. */
    WEBSOCKET("websocket"),
    /** Socket.IO on {@code /socket.io/}, over WebSocket or long polling. */
    SOCKETIO("socketio");

    private final String label;

    Protocol(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** Per-session limits of PROTOCOL.md §2.4. */
  record Limits(
      int burst, double refillPerSecond, int abuseThreshold, java.time.Duration abuseWindow) {}

  String id();

  /**
   * The channel namespace its room names are read in (PROTOCOL.md §6): {@code printing} (whose
   * sessions may name every namespace's channels in full), or a Socket.IO session's of {@code
   * /orders}, {@code /availability}, ...
   */
  default String channelNamespace() {
    return "printing";
  }

  Kind kind();

  Protocol protocol();

  Principal principal();

  Instant connectedAt();

  /** Sends a message, encoded in this session's wire format (once per format, however many). */
  void send(Outgoing message);

  default void send(Envelope envelope) {
    send(Outgoing.of(envelope));
  }

  /**
   * Answers a request with an error response, or sends an {@code error} event when it had no id.
   */
  void reject(String requestId, Envelope.Code code, String message);

  /** Closes with a close code of {@link CloseCodes} and a reason the peer can read. */
  void close(short code, String reason);

  boolean isClosed();

  /** The code this gateway closed the session with; 0 when it did not close it. */
  short closedWith();

  /** The code the session closed with, this gateway's or the peer's; 0 while open or for none. */
  short closeCode();

  /**
   * Counts a received message against the rate limit. False when it must be dropped: it was then
   * answered {@code rate_limited}, or the session was closed when the abuse is sustained.
   */
  boolean admit(String type, long nowNanos);

  /**
   * The server asked this peer for {@code answers} messages (a dispatch is answered by a response
   * and later a job.result): those do not count against the rate limit.
   */
  void expectAnswers(int answers);

  /** True while the transport holds more unsent bytes than this session may queue. */
  boolean writeQueueFull();

  /** Content of the dispatches sent to this session and not yet answered. */
  long dispatchBytes();

  void dispatchSent(long bytes);

  void dispatchAnswered(long bytes);

  /** Whether what is sent is compressed on the wire (for {@code /health/websocket/metrics}). */
  boolean compressed();

  /** Messages received and sent. */
  long messages();

  long ageNanos(long nowNanos);

  /** Time since the peer last answered a ping. */
  long sincePongNanos(long nowNanos);

  /** Pings the peer when its ping is due: one every interval, on a phase of its own. */
  void pingIfDue(long nowNanos, long intervalNanos);
}
