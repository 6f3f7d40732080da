package dev.printfleet.printing.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.UUID;

/**
 * Where a page of the job list ends: the last job's creation time and id (the list's sort key),
 * opaque to callers as URL-safe base64. Stable while jobs are added: new jobs sort before it.
 */
public record JobCursor(OffsetDateTime createdAt, UUID id) {

  public static JobCursor after(Job job) {
    return new JobCursor(job.createdAt(), job.id());
  }

  public String encode() {
    Instant at = createdAt.toInstant();
    String raw = at.getEpochSecond() + "." + at.getNano() + ":" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Longer than any cursor {@link #encode()} writes (about 90 characters); refused before decoding.
   */
  static final int MAX_LENGTH = 200;

  /**
   * No job is created outside these; a forged time beyond PostgreSQL's timestamptz range would
   * otherwise reach the database as an out-of-range value.
   */
  private static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");

  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  /**
   * @throws IllegalArgumentException when the text is not a cursor this service wrote
   */
  public static JobCursor decode(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("not a cursor");
    }
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a cursor");
    }
    int colon = raw.indexOf(':');
    int dot = raw.indexOf('.');
    if (colon < 0 || dot < 0 || dot > colon) {
      throw new IllegalArgumentException("not a cursor");
    }
    try {
      long seconds = Long.parseLong(raw.substring(0, dot));
      int nanos = Integer.parseInt(raw.substring(dot + 1, colon));
      String id = raw.substring(colon + 1);
      // UUID.fromString accepts short forms ("1-2-3-4-5"); a cursor holds the canonical 36.
      if (nanos < 0 || nanos > 999_999_999 || id.length() != 36) {
        throw new IllegalArgumentException("not a cursor");
      }
      Instant at = Instant.ofEpochSecond(seconds, nanos);
      if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
        throw new IllegalArgumentException("not a cursor");
      }
      return new JobCursor(at.atOffset(ZoneOffset.UTC), UUID.fromString(id));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a cursor");
    }
  }
}
