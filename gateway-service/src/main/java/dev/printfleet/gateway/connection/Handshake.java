package dev.printfleet.gateway.connection;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenVerifier;
import dev.printfleet.common.web.Replies;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates a WebSocket upgrade before it happens: 401 for no, bad or expired token, 403 for a
 * role the endpoint does not serve or an Origin outside the allowlist, 503 while draining.
 */
public final class Handshake {

  private static final Logger log = LoggerFactory.getLogger(Handshake.class);

  private final TokenVerifier tokens;
  private final Set<Role> roles;
  private final List<String> allowedOrigins;

  public Handshake(TokenVerifier tokens, Set<Role> roles, List<String> allowedOrigins) {
    this.tokens = tokens;
    this.roles = Set.copyOf(roles);
    this.allowedOrigins = List.copyOf(allowedOrigins);
  }

  /** Upgrades the request when the caller may connect, then hands the socket to {@code accept}. */
  public void upgrade(
      HttpServerRequest request, boolean draining, BiConsumer<Principal, ServerWebSocket> accept) {
    if (!"websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
      refuse(request, 400, "bad_request", "this path takes WebSocket upgrades only");
      return;
    }
    request.pause();
    tokens
        .verify(request)
        .compose(this::checkRole)
        .compose(principal -> checkOrigin(request, principal))
        .onSuccess(
            principal -> {
              if (draining) {
                refuse(request, 503, "unavailable", "gateway is draining, connect again");
                return;
              }
              request
                  .toWebSocket()
                  .onSuccess(socket -> accept.accept(principal, socket))
                  .onFailure(
                      e ->
                          log.debug(
                              "Upgrade failed subject={}: {}", principal.subject(), e.toString()));
            })
        .onFailure(
            e -> {
              AuthException auth =
                  e instanceof AuthException a ? a : AuthException.unauthorized("invalid token");
              log.debug(
                  "Connection refused path={} remote={} code={}: {}",
                  request.path(),
                  request.remoteAddress(),
                  auth.code(),
                  auth.getMessage());
              refuse(request, auth.httpStatus(), auth.code(), auth.getMessage());
            });
  }

  private Future<Principal> checkRole(Principal principal) {
    return roles.contains(principal.role())
        ? Future.succeededFuture(principal)
        : Future.failedFuture(
            AuthException.forbidden("role " + principal.role().claim() + " may not connect here"));
  }

  private Future<Principal> checkOrigin(HttpServerRequest request, Principal principal) {
    if (allowedOrigins.isEmpty()) {
      return Future.succeededFuture(principal);
    }
    String origin = request.getHeader("Origin");
    return origin != null && allowedOrigins.contains(origin)
        ? Future.succeededFuture(principal)
        : Future.failedFuture(AuthException.forbidden("origin " + origin + " is not allowed"));
  }

  private static void refuse(HttpServerRequest request, int status, String code, String message) {
    request.resume();
    Replies.error(request.response(), status, code, message, null);
  }
}
