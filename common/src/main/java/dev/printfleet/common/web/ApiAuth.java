package dev.printfleet.common.web;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.TokenVerifier;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Predicate;

/**
 * The token of every API request ({@code Authorization: Bearer}, or {@code access_token} for
 * browsers), verified before anything else of the request is read, and the caller's role checked.
 * The caller is then {@link #principal(RoutingContext)}; a refused one is answered 401 or 403 with
 * the contract's error body, and on HTTP/1.x its connection is closed after the answer when its
 * body was still coming, rather than read.
 */
public final class ApiAuth implements Handler<RoutingContext> {

  private static final String PRINCIPAL = "printfleet.principal";

  private final TokenVerifier tokens;
  private final Predicate<Principal> allowed;
  private final String refusal;
  private final boolean holdBody;

  private ApiAuth(
      TokenVerifier tokens, Predicate<Principal> allowed, String refusal, boolean holdBody) {
    this.tokens = tokens;
    this.allowed = allowed;
    this.refusal = refusal;
    this.holdBody = holdBody;
  }

  /** Callers {@code allowed} pass; the others are refused 403 with {@code refusal}. */
  public static ApiAuth allowing(
      TokenVerifier tokens, Predicate<Principal> allowed, String refusal) {
    return new ApiAuth(tokens, allowed, refusal, false);
  }

  /**
   * The request is paused until its caller is known: a body handler after this one resumes it, so
   * nothing of an unauthenticated caller's body is read, parsed or stored.
   */
  public ApiAuth holdingTheBody() {
    return new ApiAuth(tokens, allowed, refusal, true);
  }

  /** The caller, once this handler let the request through. */
  public static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (holdBody && !ctx.request().isEnded()) {
      ctx.request().pause();
    }
    tokens
        .verify(ctx.request())
        .compose(
            p ->
                allowed.test(p)
                    ? Future.succeededFuture(p)
                    : Future.failedFuture(AuthException.forbidden(refusal)))
        .onSuccess(
            p -> {
              ctx.put(PRINCIPAL, p);
              ctx.next();
            })
        .onFailure(e -> refuse(ctx, e));
  }

  private static void refuse(RoutingContext ctx, Throwable e) {
    if (!ctx.request().isEnded() && ctx.request().version() != HttpVersion.HTTP_2) {
      // HTTP/2 resets just the stream; an HTTP/1.x connection would have to read the body first.
      ctx.response().putHeader("Connection", "close");
    }
    if (e instanceof AuthException auth) {
      Replies.error(ctx, auth.httpStatus(), auth.code(), auth.getMessage());
    } else {
      Replies.error(ctx, 401, "unauthorized", "invalid token");
    }
  }
}
