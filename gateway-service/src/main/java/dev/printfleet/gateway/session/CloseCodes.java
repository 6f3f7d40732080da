package dev.printfleet.gateway.session;

/** WebSocket close codes of PROTOCOL.md §2.4. */
public final class CloseCodes {

  /** No pong within the timeout. */
  public static final short GOING_AWAY = 1001;

  /** Sustained abuse of the rate limit. */
  public static final short POLICY_VIOLATION = 1008;

  /** A frame larger than the limit. */
  public static final short MESSAGE_TOO_BIG = 1009;

  /** The instance is draining for shutdown: reconnect elsewhere. */
  public static final short SERVICE_RESTART = 1012;

  /** A dashboard that could not keep up with its updates for too long. */
  public static final short TRY_AGAIN_LATER = 1013;

  /** The token expired during the session. */
  public static final short TOKEN_EXPIRED = 4401;

  /** The same agent id connected again; this is the older socket. */
  public static final short REPLACED = 4409;

  private CloseCodes() {}
}
