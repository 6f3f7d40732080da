package dev.printfleet.common.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

import dev.printfleet.common.config.JwtSettings;
import dev.printfleet.common.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {

  private static final String SECRET = "printfleet-test-secret-0123456789abcdef";
  private static final Duration HOUR = Duration.ofHours(1);

  private static Vertx vertx;
  private static TokenIssuer issuer;
  private static TokenVerifier verifier;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    issuer = new TokenIssuer(vertx, SECRET);
    verifier = new TokenVerifier(vertx, hs256Settings(SECRET));
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void agentTokenGivesAnAgentPrincipalWithItsBranch() {
    Principal principal = verified(verifier, issuer.agent("agent-7", "c1", "b7", HOUR));

    assertThat(principal.subject()).isEqualTo("agent-7");
    assertThat(principal.role()).isEqualTo(Role.AGENT);
    assertThat(principal.isAgent()).isTrue();
    assertThat(principal.company()).isEqualTo("c1");
    assertThat(principal.branch()).hasValue("b7");
    assertThat(principal.branches()).isEmpty();
    assertThat(principal.expiresAt())
        .isCloseTo(Instant.now().plus(HOUR), within(5, ChronoUnit.SECONDS));
  }

  @Test
  void userTokenGivesItsBranchesOrNoneForTheWholeCompany() {
    Principal limited =
        verified(verifier, issuer.user("u1", Role.USER, "c1", List.of("b1", "b2"), HOUR));
    Principal whole = verified(verifier, issuer.user("u2", Role.USER, "c1", List.of(), HOUR));

    assertThat(limited.role()).isEqualTo(Role.USER);
    assertThat(limited.isAgent()).isFalse();
    assertThat(limited.branches()).containsExactlyInAnyOrder("b1", "b2");
    assertThat(limited.branch()).isEmpty();
    assertThat(whole.subject()).isEqualTo("u2");
    assertThat(whole.branches()).isEmpty();
  }

  @Test
  void sreAndAdminTokensGiveTheirRole() {
    Principal sre = verified(verifier, issuer.user("s1", Role.SRE, "c1", List.of(), HOUR));
    Principal admin = verified(verifier, issuer.user("a1", Role.ADMIN, "ops", List.of(), HOUR));

    assertThat(sre.role()).isEqualTo(Role.SRE);
    assertThat(sre.company()).isEqualTo("c1");
    assertThat(admin.role()).isEqualTo(Role.ADMIN);
    assertThat(admin.company()).isEqualTo("ops");
  }

  @Test
  void branchClaimOfANonAgentIsIgnored() {
    Principal user = verified(verifier, issuer.sign(userClaims().put("branch", "b9"), HOUR));

    assertThat(user.branch()).isEmpty();
  }

  @Test
  void malformedBranchesClaimIsRefusedAsUnauthorized() {
    List<Object> malformed =
        List.of(
            "b1",
            42,
            true,
            new JsonObject().put("b1", true),
            new JsonArray(),
            new JsonArray().add(1).add(2),
            new JsonArray().add("b1").add(" "),
            new JsonArray().add("b1").add(7),
            new JsonArray().add("b1").add(new JsonArray().add("b2")));
    for (Object branches : malformed) {
      String token = issuer.sign(userClaims().put("branches", branches), HOUR);

      assertThat(refused(verifier, token))
          .as("branches=%s", branches)
          .hasMessageContaining("branches");
    }
    String nullBranches = issuer.sign(userClaims().putNull("branches"), HOUR);
    assertThat(refused(verifier, nullBranches)).hasMessageContaining("branches");
    String agent =
        issuer.sign(
            new JsonObject()
                .put("sub", "agent-1")
                .put("role", "agent")
                .put("company", "c1")
                .put("branch", "b1")
                .put("branches", "b1"),
            HOUR);
    assertThat(refused(verifier, agent)).hasMessageContaining("branches");
  }

  @Test
  void expiredTokenIsRefusedAsUnauthorized() {
    long past = Instant.now().minusSeconds(60).getEpochSecond();
    String token = signed(hs256Signer(SECRET), userClaims().put("exp", past));

    assertThat(refused(verifier, token)).hasMessage("token expired");
  }

  @Test
  void aVerifiedTokenIsRefusedOnceItExpiresThoughItWasKept() {
    long soon = Instant.now().plusSeconds(2).getEpochSecond();
    String token = signed(hs256Signer(SECRET), userClaims().put("exp", soon));
    assertThat(verified(verifier, token).subject()).isEqualTo("u1");

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                await(verifier.verify(token).map(p -> "kept").otherwise(e -> e.getMessage()))
                    .equals("token expired"));
  }

  @Test
  void aKeptTokenWithOneByteChangedIsVerifiedAfreshAndRefused() {
    String token = issuer.user("u1", Role.USER, "c1", List.of(), HOUR);
    assertThat(verified(verifier, token).subject()).isEqualTo("u1");
    char last = token.charAt(token.length() - 2);
    String tampered =
        token.substring(0, token.length() - 2)
            + (last == 'A' ? 'B' : 'A')
            + token.charAt(token.length() - 1);

    assertThat(refused(verifier, tampered)).hasMessage("invalid token");
    assertThat(verified(verifier, token).subject()).isEqualTo("u1");
  }

  @Test
  void tokenSignedWithAnotherSecretIsRefusedAsUnauthorized() {
    String token =
        new TokenIssuer(vertx, "another-secret-that-is-long-enough-0123")
            .user("u1", Role.USER, "c1", List.of(), HOUR);

    assertThat(refused(verifier, token)).hasMessage("invalid token");
  }

  @Test
  void garbageIsRefusedAsUnauthorized() {
    for (String garbage : List.of("not-a-jwt", "a.b.c", "", "Bearer x")) {
      assertThat(refused(verifier, garbage)).as(garbage).isNotNull();
    }
  }

  @Test
  void tokenWithoutCompanyIsRefusedAsUnauthorized() {
    String token = issuer.sign(userClaims().put("company", "  "), HOUR);
    String noCompany = issuer.sign(without(userClaims(), "company"), HOUR);

    assertThat(refused(verifier, token)).hasMessageContaining("company");
    assertThat(refused(verifier, noCompany)).hasMessageContaining("company");
  }

  @Test
  void tokenWithoutSubIsRefusedAsUnauthorized() {
    assertThat(refused(verifier, issuer.sign(without(userClaims(), "sub"), HOUR)))
        .hasMessageContaining("sub");
  }

  @Test
  void unknownOrMissingRoleIsRefusedAsUnauthorized() {
    assertThat(refused(verifier, issuer.sign(userClaims().put("role", "superuser"), HOUR)))
        .hasMessageContaining("role");
    assertThat(refused(verifier, issuer.sign(userClaims().put("role", "ADMIN"), HOUR)))
        .hasMessageContaining("role");
    assertThat(refused(verifier, issuer.sign(without(userClaims(), "role"), HOUR)))
        .hasMessageContaining("role");
  }

  @Test
  void agentTokenWithoutBranchIsRefusedAsUnauthorized() {
    var agent = new JsonObject().put("sub", "agent-1").put("role", "agent").put("company", "c1");

    assertThat(refused(verifier, issuer.sign(agent, HOUR))).hasMessageContaining("branch");
    assertThat(refused(verifier, issuer.sign(agent.copy().put("branch", ""), HOUR)))
        .hasMessageContaining("branch");
  }

  @Test
  void tokenWithoutExpIsRefusedAsUnauthorized() {
    String token = signed(hs256Signer(SECRET), userClaims());

    assertThat(refused(verifier, token)).hasMessageContaining("exp");
  }

  @Test
  void rs256TokenVerifiesWithThePemPublicKey() throws Exception {
    KeyPair keys = rsaKeyPair();
    TokenVerifier rsaVerifier = new TokenVerifier(vertx, rs256Settings(keys));
    JWTAuth signer = rs256Signer(keys);

    Principal principal =
        verified(rsaVerifier, signed(signer, userClaims().put("exp", inAnHour()), "RS256"));

    assertThat(principal.subject()).isEqualTo("u1");
    assertThat(principal.role()).isEqualTo(Role.USER);
    assertThat(principal.branches()).containsExactly("b1");
  }

  @Test
  void rs256VerifierRefusesAnotherKeyAndAnHs256Token() throws Exception {
    TokenVerifier rsaVerifier = new TokenVerifier(vertx, rs256Settings(rsaKeyPair()));
    String otherKey =
        signed(rs256Signer(rsaKeyPair()), userClaims().put("exp", inAnHour()), "RS256");
    String hs256 = issuer.user("u1", Role.USER, "c1", List.of(), HOUR);

    assertThat(refused(rsaVerifier, otherKey)).hasMessage("invalid token");
    assertThat(refused(rsaVerifier, hs256)).hasMessage("invalid token");
  }

  private static JsonObject userClaims() {
    return new JsonObject()
        .put("sub", "u1")
        .put("role", "user")
        .put("company", "c1")
        .put("branches", new JsonArray().add("b1"));
  }

  private static JsonObject without(JsonObject claims, String name) {
    claims.remove(name);
    return claims;
  }

  private static long inAnHour() {
    return Instant.now().plus(HOUR).getEpochSecond();
  }

  private static JwtSettings hs256Settings(String secret) {
    return JwtSettings.from(new Settings(Map.of("PRINTFLEET_JWT_SECRET", secret)));
  }

  private static JwtSettings rs256Settings(KeyPair keys) {
    String pem = pem("PUBLIC KEY", keys.getPublic().getEncoded());
    return JwtSettings.from(new Settings(Map.of("PRINTFLEET_JWT_PUBLIC_KEY", pem)));
  }

  private static KeyPair rsaKeyPair() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static JWTAuth hs256Signer(String secret) {
    return JWTAuth.create(
        vertx,
        new JWTAuthOptions()
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
  }

  private static JWTAuth rs256Signer(KeyPair keys) {
    // PKCS#8, the form "-----BEGIN PRIVATE KEY-----" names.
    String pem = pem("PRIVATE KEY", keys.getPrivate().getEncoded());
    return JWTAuth.create(
        vertx,
        new JWTAuthOptions()
            .addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(pem)));
  }

  /** Signs exactly the given claims: no iat, and no exp unless the claims hold one. */
  private static String signed(JWTAuth signer, JsonObject claims) {
    return signed(signer, claims, "HS256");
  }

  private static String signed(JWTAuth signer, JsonObject claims, String algorithm) {
    String token =
        signer.generateToken(claims, new JWTOptions().setAlgorithm(algorithm).setNoTimestamp(true));
    JsonObject payload =
        new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1])));
    assertThat(payload).isEqualTo(claims);
    return token;
  }

  private static Principal verified(TokenVerifier verifier, String token) {
    return await(verifier.verify(token));
  }

  private static AuthException refused(TokenVerifier verifier, String token) {
    Future<Principal> result = verifier.verify(token);
    Throwable failure = catchThrowable(() -> await(result));
    assertThat(failure).as("verify(%s) should fail", token).isInstanceOf(AuthException.class);
    AuthException refusal = (AuthException) failure;
    assertThat(refusal.code()).isEqualTo("unauthorized");
    assertThat(refusal.httpStatus()).isEqualTo(401);
    return refusal;
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
