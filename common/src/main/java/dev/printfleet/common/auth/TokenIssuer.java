package dev.printfleet.common.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.Collection;

/**
 * Signs HS256 tokens with the shared secret. printfleet does not issue tokens in production (an
 * identity provider does); the dev launcher, the simulator and the tests do.
 */
public final class TokenIssuer {

  private final JWTAuth jwt;

  public TokenIssuer(Vertx vertx, String secret) {
    this.jwt =
        JWTAuth.create(
            vertx,
            new JWTAuthOptions()
                .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
  }

  public String agent(String agentId, String company, String branch, Duration ttl) {
    return sign(
        new JsonObject()
            .put("sub", agentId)
            .put("role", Role.AGENT.claim())
            .put("company", company)
            .put("branch", branch),
        ttl);
  }

  public String user(
      String userId, Role role, String company, Collection<String> branches, Duration ttl) {
    var claims =
        new JsonObject().put("sub", userId).put("role", role.claim()).put("company", company);
    if (!branches.isEmpty()) {
      claims.put("branches", new JsonArray(branches.stream().map(Object.class::cast).toList()));
    }
    return sign(claims, ttl);
  }

  /** A backend service of the company: it may publish to the company's channels. */
  public String service(String serviceId, String company, Duration ttl) {
    return sign(
        new JsonObject()
            .put("sub", serviceId)
            .put("role", Role.SERVICE.claim())
            .put("company", company),
        ttl);
  }

  /** Signs any claims, for tests that need a token the verifier must refuse. */
  public String sign(JsonObject claims, Duration ttl) {
    return jwt.generateToken(
        claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds((int) ttl.toSeconds()));
  }
}
