package dev.printfleet.gateway.session;

import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.Envelope.Code;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * What an endpoint does with each message type its peers may send: one table per endpoint, read the
 * same way for every transport. Every message is counted against the session's rate limit before it
 * costs anything else, a malformed or a binary one too; a type missing from the table is answered
 * {@code unknown_type}.
 */
public final class Inbound {

  private final Map<String, BiConsumer<Session, Envelope>> handlers;

  private Inbound(Map<String, BiConsumer<Session, Envelope>> handlers) {
    this.handlers = Map.copyOf(handlers);
  }

  public static Builder handling() {
    return new Builder();
  }

  /** A message the transport decoded into the contract's envelope. */
  public void receive(Session session, Envelope message) {
    if (!session.admit(message.type(), System.nanoTime())) {
      return;
    }
    var handler = handlers.get(message.type());
    if (handler == null) {
      session.reject(message.id(), Code.UNKNOWN_TYPE, "unknown type " + message.type());
      return;
    }
    handler.accept(session, message);
  }

  /** A message the transport could not read as an envelope. */
  public void malformed(Session session, Envelope.ParseException problem) {
    if (session.admit(null, System.nanoTime())) {
      session.reject(problem.id(), problem.code(), problem.getMessage());
    }
  }

  /** A binary message: the contract is JSON text. */
  public void binary(Session session) {
    if (session.admit("binary", System.nanoTime())) {
      session.reject(
          null, Code.BAD_ENVELOPE, "binary frames are not accepted; send JSON text frames");
    }
  }

  public static final class Builder {

    private final Map<String, BiConsumer<Session, Envelope>> handlers = new HashMap<>();

    private Builder() {}

    public Builder on(String type, BiConsumer<Session, Envelope> handler) {
      if (handlers.putIfAbsent(type, handler) != null) {
        throw new IllegalArgumentException("two handlers for " + type);
      }
      return this;
    }

    public Inbound build() {
      return new Inbound(handlers);
    }
  }
}
