package dev.printfleet.gateway.session;

/**
 * The agent or the dashboard side of the gateway, as a transport sees it: who may connect, how much
 * a session may queue, and what happens when a session opens, sends, drains and closes. A transport
 * calls these on the session's event loop, in that order, {@link #closed} once.
 */
public interface Endpoint {

  Session.Kind kind();

  /** Checks the caller's token, role and origin. */
  Admission admission();

  /**
   * A place for one more session of this caller, taken after its admission and given back when the
   * session closes (or never opens); fails when the caller holds as many as it may.
   */
  default io.vertx.core.Future<UserConnections.Lease> reserve(
      dev.printfleet.common.auth.Principal principal) {
    return io.vertx.core.Future.succeededFuture(UserConnections.Lease.NONE);
  }

  /** True once the drain began: new sessions are refused (503 before an upgrade, 1012 after). */
  boolean draining();

  /** Bytes the transport may queue for one session before {@link Session#writeQueueFull}. */
  long writeQueueBytes();

  /** The session is authenticated and tracked; it may be sent messages. */
  void opened(Session session);

  /** The message types this endpoint takes. */
  Inbound inbound();

  /** The session's write queue drained below its limit. */
  default void writable(Session session) {}

  /** The session is closed and no longer tracked. */
  void closed(Session session);
}
