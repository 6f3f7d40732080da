package dev.printfleet.printing.jobs;

import java.util.Locale;

/**
 * A job's state (PROTOCOL.md §3): {@code queued → dispatched → printed | failed}, {@code queued →
 * cancelled}, {@code queued → expired}. The rules live here, with no Vert.x or SQL in sight.
 */
public enum JobState {
  QUEUED,
  DISPATCHED,
  PRINTED,
  FAILED,
  CANCELLED,
  EXPIRED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static JobState fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }

  /** Only a job that has not gone out may be cancelled. */
  public boolean cancellable() {
    return this == QUEUED;
  }
}
