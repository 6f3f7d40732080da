package dev.printfleet.gateway.session;

import dev.printfleet.common.auth.AuthException;
import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.auth.TokenVerifier;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Set;

/**
 * Who may open a session on an endpoint, whatever the transport: a valid token (401 otherwise), a
 * role the endpoint serves and, when an allowlist is set, an allowed Origin (403 otherwise).
 */
public final class Admission {

  private final TokenVerifier tokens;
  private final Set<Role> roles;
  private final List<String> allowedOrigins;

  public Admission(TokenVerifier tokens, Set<Role> roles, List<String> allowedOrigins) {
    this.tokens = tokens;
    this.roles = Set.copyOf(roles);
    this.allowedOrigins = List.copyOf(allowedOrigins);
  }

  /** The caller of this request, or an {@link AuthException} saying why it may not connect. */
  public Future<Principal> admit(HttpServerRequest request) {
    return tokens.verify(request).compose(p -> check(p, request.getHeader("Origin")));
  }

  /**
   * The caller of a token a transport read from its own handshake (Socket.IO's {@code auth}); the
   * token only: the role and origin are {@link #check}ed by the endpoint chosen for its role.
   */
  public Future<Principal> verify(String token) {
    return tokens.verify(token);
  }

  /** Whether this endpoint serves callers of this role. */
  public boolean serves(Role role) {
    return roles.contains(role);
  }

  /** The role and origin rules for a verified caller. */
  public Future<Principal> check(Principal principal, String origin) {
    return checkRole(principal).compose(p -> checkOrigin(origin, p));
  }

  private Future<Principal> checkRole(Principal principal) {
    return roles.contains(principal.role())
        ? Future.succeededFuture(principal)
        : Future.failedFuture(
            AuthException.forbidden("role " + principal.role().claim() + " may not connect here"));
  }

  private Future<Principal> checkOrigin(String origin, Principal principal) {
    return allowsOrigin(origin)
        ? Future.succeededFuture(principal)
        : Future.failedFuture(AuthException.forbidden("origin " + origin + " is not allowed"));
  }

  /** Whether a caller from this Origin (null: none sent) may connect: any, without an allowlist. */
  public boolean allowsOrigin(String origin) {
    return allowedOrigins.isEmpty() || origin != null && allowedOrigins.contains(origin);
  }
}
