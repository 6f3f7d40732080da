package dev.printfleet.common.auth;

import dev.printfleet.common.config.JwtSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies the JWTs of PROTOCOL.md §1 and turns their claims into a {@link Principal}. Signature,
 * expiry and the required claims are checked here; which role may call what is the caller's
 * decision.
 */
public final class TokenVerifier {

  /** Verified tokens kept, so a client's every request does not check the signature again. */
  static final int CACHE_SIZE = 4_096;

  /** How long a verified token is kept (never past its expiry). */
  static final long CACHE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

  private final JWTAuth jwt;

  /**
   * Only tokens that verified, by their whole text: a token differing in one byte is verified
   * afresh. Bounded by emptying it when full, so many distinct tokens cost what they did before (a
   * verification each), never memory.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Verified> verified =
      new java.util.concurrent.ConcurrentHashMap<>();

  private record Verified(Principal principal, long keptUntilNanos) {}

  public TokenVerifier(Vertx vertx, JwtSettings settings) {
    var key = new PubSecKeyOptions().setAlgorithm(settings.algorithm());
    key.setBuffer(settings.publicKeyPem().orElseGet(() -> settings.secret().orElseThrow()));
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key));
  }

  /** The token from {@code Authorization: Bearer} or, for browsers, {@code access_token}. */
  public static Optional<String> tokenOf(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = header.substring(7).trim();
      return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }
    String query = request.getParam("access_token");
    return query == null || query.isBlank() ? Optional.empty() : Optional.of(query);
  }

  public Future<Principal> verify(HttpServerRequest request) {
    return tokenOf(request)
        .map(this::verify)
        .orElseGet(() -> Future.failedFuture(AuthException.unauthorized("no token")));
  }

  public Future<Principal> verify(String token) {
    Verified kept = verified.get(token);
    if (kept != null) {
      if (System.nanoTime() - kept.keptUntilNanos() < 0
          && kept.principal().expiresAt().isAfter(Instant.now())) {
        return Future.succeededFuture(kept.principal());
      }
      verified.remove(token, kept);
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(AuthException.unauthorized(describe(e))))
        .compose(user -> principalOf(claimsOf(user)))
        .onSuccess(
            principal -> {
              if (verified.size() >= CACHE_SIZE) {
                verified.clear();
              }
              verified.put(token, new Verified(principal, System.nanoTime() + CACHE_NANOS));
            });
  }

  /**
   * The token's decoded payload. vertx-auth-jwt leaves {@code exp}, {@code iat} and {@code nbf} out
   * of {@link User#principal()}; the whole payload is the {@code accessToken} attribute.
   */
  private static JsonObject claimsOf(User user) {
    JsonObject payload = user.attributes().getJsonObject("accessToken");
    return payload != null ? payload : user.principal();
  }

  private static String describe(Throwable e) {
    String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase();
    return message.contains("expired") ? "token expired" : "invalid token";
  }

  static Future<Principal> principalOf(JsonObject claims) {
    String subject = claims.getString("sub");
    Optional<Role> role = Role.fromClaim(stringClaim(claims, "role"));
    String company = stringClaim(claims, "company");
    Long exp = claims.getValue("exp") instanceof Number n ? n.longValue() : null;
    if (subject == null || subject.isBlank()) {
      return Future.failedFuture(AuthException.unauthorized("token has no sub claim"));
    }
    if (role.isEmpty()) {
      return Future.failedFuture(
          AuthException.unauthorized("token role must be agent, user, sre or admin"));
    }
    if (company == null || company.isBlank()) {
      return Future.failedFuture(AuthException.unauthorized("token has no company claim"));
    }
    if (exp == null) {
      return Future.failedFuture(AuthException.unauthorized("token has no exp claim"));
    }
    Instant expiresAt = Instant.ofEpochSecond(exp);
    if (!expiresAt.isAfter(Instant.now())) {
      return Future.failedFuture(AuthException.unauthorized("token expired"));
    }
    Optional<String> branch =
        Optional.ofNullable(stringClaim(claims, "branch")).filter(b -> !b.isBlank());
    if (role.get() == Role.AGENT && branch.isEmpty()) {
      return Future.failedFuture(AuthException.unauthorized("agent token has no branch claim"));
    }
    Optional<Set<String>> branches = branchesOf(claims);
    if (branches.isEmpty()) {
      return Future.failedFuture(
          AuthException.unauthorized(
              "token branches claim must be a non-empty list of branch ids"));
    }
    return Future.succeededFuture(
        new Principal(
            subject,
            role.get(),
            company,
            role.get() == Role.AGENT ? branch : Optional.empty(),
            role.get() == Role.AGENT ? Set.of() : branches.get(),
            expiresAt));
  }

  /**
   * The {@code branches} claim: absent means the whole company (an empty set). Present, it must be
   * a non-empty list of non-blank strings; anything else is refused rather than read as "all
   * branches", since a mistyped claim would otherwise widen what the token sees. Empty when
   * malformed.
   */
  private static Optional<Set<String>> branchesOf(JsonObject claims) {
    if (!claims.containsKey("branches")) {
      return Optional.of(Set.of());
    }
    if (!(claims.getValue("branches") instanceof JsonArray list) || list.isEmpty()) {
      return Optional.empty();
    }
    Set<String> branches = new HashSet<>();
    for (Object b : list) {
      if (!(b instanceof String s) || s.isBlank()) {
        return Optional.empty();
      }
      branches.add(s);
    }
    return Optional.of(Set.copyOf(branches));
  }

  private static String stringClaim(JsonObject claims, String name) {
    return claims.getValue(name) instanceof String s ? s : null;
  }
}
