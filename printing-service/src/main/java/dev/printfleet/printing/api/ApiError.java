package dev.printfleet.printing.api;

import dev.printfleet.common.web.Replies;
import io.vertx.ext.web.RoutingContext;

/**
 * An error that crosses the API boundary: a status and a code from PROTOCOL.md §3, never a stack
 * trace.
 */
public final class ApiError extends RuntimeException {

  private final int status;
  private final String code;
  private final String field;
  private final long retryAfterSeconds;

  public ApiError(int status, String code, String message, String field) {
    this(status, code, message, field, 0);
  }

  private ApiError(int status, String code, String message, String field, long retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiError forbidden(String field, String message) {
    return new ApiError(403, "forbidden", message, field);
  }

  public static ApiError rateLimited(String message, long retryAfterSeconds) {
    return new ApiError(429, "rate_limited", message, null, Math.max(1, retryAfterSeconds));
  }

  public static ApiError unavailable(String message) {
    return new ApiError(503, "unavailable", message, null, 5);
  }

  public static ApiError timeout(String message) {
    return new ApiError(504, "timeout", message, null);
  }

  public static ApiError invalid(String field, String message) {
    return new ApiError(400, "invalid_data", message, field);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "not_found", message, null);
  }

  public static ApiError conflict(String message) {
    return new ApiError(409, "conflict", message, null);
  }

  public static void send(
      RoutingContext ctx, int status, String code, String message, String field) {
    Replies.error(ctx, status, code, message, field);
  }

  public void send(RoutingContext ctx) {
    if (retryAfterSeconds > 0) {
      ctx.response().putHeader("Retry-After", String.valueOf(retryAfterSeconds));
    }
    send(ctx, status, code, getMessage(), field);
  }
}
