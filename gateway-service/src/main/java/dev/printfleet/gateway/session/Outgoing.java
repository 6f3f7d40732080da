package dev.printfleet.gateway.session;

import dev.printfleet.common.protocol.Envelope;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One message of the contract to send, encoded once per wire format however many sessions receive
 * it: a room's frame goes to every member, over whichever transports they use. Most messages meet
 * one format only, which is kept without a map.
 */
public final class Outgoing {

  private final Envelope envelope;
  private volatile WireFormat<?> firstFormat;
  private volatile Object firstEncoding;
  private volatile Map<WireFormat<?>, Object> otherEncodings;

  private Outgoing(Envelope envelope) {
    this.envelope = envelope;
  }

  public static Outgoing of(Envelope envelope) {
    return new Outgoing(envelope);
  }

  public String type() {
    return envelope.type();
  }

  public Envelope envelope() {
    return envelope;
  }

  /** The message in this format, encoded on the first call and kept for the next. */
  @SuppressWarnings("unchecked")
  public <T> T encoded(WireFormat<T> format) {
    if (firstFormat == format) {
      return (T) firstEncoding;
    }
    synchronized (this) {
      if (firstFormat == null) {
        T encoding = format.encode(envelope);
        firstEncoding = encoding;
        firstFormat = format;
        return encoding;
      }
      if (firstFormat == format) {
        return (T) firstEncoding;
      }
      if (otherEncodings == null) {
        otherEncodings = new ConcurrentHashMap<>();
      }
      return (T) otherEncodings.computeIfAbsent(format, f -> f.encode(envelope));
    }
  }
}
