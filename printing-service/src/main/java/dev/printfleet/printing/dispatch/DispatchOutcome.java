package dev.printfleet.printing.dispatch;

import dev.printfleet.common.messages.AgentReply;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * What one dispatch came to, and whose fault a failure was. Only the printer's own failures count
 * (an attempt used, a failure of its circuit): the agent's error answer, or no answer after the
 * frame reached the agent's socket through a gateway that still beats. Anything else is the route's
 * fault (the gateway does not hold the agent, is draining, dropped the request, has no handler,
 * never took the frame, or stopped beating) and the job goes back to the queue for the agent's next
 * location.
 *
 * @param reason for the job's history and the log; null when sent
 */
public record DispatchOutcome(Kind kind, AgentReply reply, String reason) {

  public enum Kind {
    /** The agent took the job. */
    SENT,
    /** The gateway found the agent's socket behind: wait a moment, no attempt used. */
    BUSY,
    /** The route failed: re-queued at once for the agent's next location, no attempt used. */
    NOT_SENT,
    /** The printer failed: an attempt used and a failure of its circuit. */
    PRINTER_FAILED
  }

  /**
   * @param reply the gateway's last reply, null when {@code failure} is set
   * @param written whether the gateway wrote the frame to the agent's socket (the first step)
   * @param gatewaySilent whether the gateway's heartbeats stopped ({@link GatewayLiveness})
   */
  public static DispatchOutcome of(
      AgentReply reply, Throwable failure, boolean written, boolean gatewaySilent) {
    if (failure != null) {
      String what = describe(failure);
      if (gatewaySilent) {
        return notSent("the gateway stopped its heartbeats (" + what + ")");
      }
      if (!written) {
        return notSent(what);
      }
      if (failure instanceof ReplyException e && e.failureType() == ReplyFailure.TIMEOUT) {
        return new DispatchOutcome(Kind.PRINTER_FAILED, null, "the agent did not answer in time");
      }
      return notSent(what);
    }
    if (reply.ok()) {
      return new DispatchOutcome(Kind.SENT, reply, null);
    }
    if (reply.isBusy()) {
      return new DispatchOutcome(Kind.BUSY, reply, reply.message());
    }
    // A gateway of the version before notSent refuses the first step with these codes alone.
    if (reply.notSent()
        || !written && ("not_found".equals(reply.code()) || "unavailable".equals(reply.code()))) {
      return notSent(reply.code() + ": " + reply.message());
    }
    return new DispatchOutcome(Kind.PRINTER_FAILED, reply, reply.code() + ": " + reply.message());
  }

  private static DispatchOutcome notSent(String reason) {
    return new DispatchOutcome(Kind.NOT_SENT, null, reason);
  }

  private static String describe(Throwable failure) {
    if (failure instanceof ReplyException e) {
      return switch (e.failureType()) {
        case NO_HANDLERS -> "no gateway listens at its address";
        case TIMEOUT -> "the gateway did not answer in time";
        case RECIPIENT_FAILURE, ERROR -> "the gateway failed: " + e.getMessage();
      };
    }
    return String.valueOf(failure.getMessage());
  }
}
