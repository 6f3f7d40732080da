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
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** @throws IllegalArgumentException when the text is not a cursor this service wrote */
  public static JobCursor decode(String text) {
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
      Instant at = Instant.ofEpochSecond(seconds, nanos);
      return new JobCursor(at.atOffset(ZoneOffset.UTC), UUID.fromString(raw.substring(colon + 1)));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a cursor");
    }
  }
}
