package dev.printfleet.common.auth;

import static dev.printfleet.testing.VertxChecks.check;
import static org.assertj.core.api.Assertions.assertThat;
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
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
class TokenVerifierTest {

  private static final String SECRET = "printfleet-test-secret-0123456789abcdef";
  private static final Duration HOUR = Duration.ofHours(1);

  private static Vertx vertx;
  private static TokenIssuer issuer;
  private static TokenVerifier verifier;

  /** The extension gives the Vert.x instance and closes it after the last test. */
  @BeforeAll
  static void start(Vertx shared) {
    vertx = shared;
    issuer = new TokenIssuer(vertx, SECRET);
    verifier = new TokenVerifier(vertx, hs256Settings(SECRET));
  }

  @Test
  void agentTokenGivesAnAgentPrincipalWithItsBranch(VertxTestContext test) {
    check(
        test,
        verifier.verify(issuer.agent("agent-7", "c1", "b7", HOUR)),
        principal -> {
          assertThat(principal.subject()).isEqualTo("agent-7");
          assertThat(principal.role()).isEqualTo(Role.AGENT);
          assertThat(principal.isAgent()).isTrue();
          assertThat(principal.company()).isEqualTo("c1");
          assertThat(principal.branch()).hasValue("b7");
          assertThat(principal.branches()).isEmpty();
          assertThat(principal.expiresAt())
              .isCloseTo(Instant.now().plus(HOUR), within(5, ChronoUnit.SECONDS));
        });
  }

  @Test
  void userTokenGivesItsBranchesOrNoneForTheWholeCompany(VertxTestContext test) {
    check(
        test,
        all(
            verifier.verify(issuer.user("u1", Role.USER, "c1", List.of("b1", "b2"), HOUR)),
            verifier.verify(issuer.user("u2", Role.USER, "c1", List.of(), HOUR))),
        principals -> {
          Principal limited = principals.get(0);
          Principal whole = principals.get(1);
          assertThat(limited.role()).isEqualTo(Role.USER);
          assertThat(limited.isAgent()).isFalse();
          assertThat(limited.branches()).containsExactlyInAnyOrder("b1", "b2");
          assertThat(limited.branch()).isEmpty();
          assertThat(whole.subject()).isEqualTo("u2");
          assertThat(whole.branches()).isEmpty();
        });
  }

  @Test
  void sreAndAdminTokensGiveTheirRole(VertxTestContext test) {
    check(
        test,
        all(
            verifier.verify(issuer.user("s1", Role.SRE, "c1", List.of(), HOUR)),
            verifier.verify(issuer.user("a1", Role.ADMIN, "ops", List.of(), HOUR))),
        principals -> {
          assertThat(principals.get(0).role()).isEqualTo(Role.SRE);
          assertThat(principals.get(0).company()).isEqualTo("c1");
          assertThat(principals.get(1).role()).isEqualTo(Role.ADMIN);
          assertThat(principals.get(1).company()).isEqualTo("ops");
        });
  }

  @Test
  void branchClaimOfANonAgentIsIgnored(VertxTestContext test) {
    check(
        test,
        verifier.verify(issuer.sign(userClaims().put("branch", "b9"), HOUR)),
        user -> assertThat(user.branch()).isEmpty());
  }

  @Test
  void malformedBranchesClaimIsRefusedAsUnauthorized(VertxTestContext test) {
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
    List<Future<AuthException>> refusals = new ArrayList<>();
    for (Object branches : malformed) {
      refusals.add(refusal(verifier, issuer.sign(userClaims().put("branches", branches), HOUR)));
    }
    refusals.add(refusal(verifier, issuer.sign(userClaims().putNull("branches"), HOUR)));
    refusals.add(
        refusal(
            verifier,
            issuer.sign(
                new JsonObject()
                    .put("sub", "agent-1")
                    .put("role", "agent")
                    .put("company", "c1")
                    .put("branch", "b1")
                    .put("branches", "b1"),
                HOUR)));
    check(
        test,
        all(refusals),
        refused ->
            assertThat(refused)
                .hasSize(malformed.size() + 2)
                .allSatisfy(e -> assertThat(e).hasMessageContaining("branches")));
  }

  @Test
  void expiredTokenIsRefusedAsUnauthorized(VertxTestContext test) {
    long past = Instant.now().minusSeconds(60).getEpochSecond();
    String token = signed(hs256Signer(SECRET), userClaims().put("exp", past));

    check(test, refusal(verifier, token), e -> assertThat(e).hasMessage("token expired"));
  }

  @Test
  void aVerifiedTokenIsRefusedOnceItExpiresThoughItWasKept(VertxTestContext test) {
    long soon = Instant.now().plusSeconds(2).getEpochSecond();
    String token = signed(hs256Signer(SECRET), userClaims().put("exp", soon));
    verifier
        .verify(token)
        .onComplete(
            test.succeeding(
                kept -> {
                  test.verify(() -> assertThat(kept.subject()).isEqualTo("u1"));
                  // Asked again every 200 ms: kept until it expires, then refused as expired;
                  // any other answer fails the test at once.
                  vertx.setPeriodic(
                      200,
                      timer ->
                          verifier
                              .verify(token)
                              .onComplete(
                                  answer -> {
                                    if (answer.succeeded()) {
                                      return;
                                    }
                                    vertx.cancelTimer(timer);
                                    if ("token expired".equals(answer.cause().getMessage())) {
                                      test.completeNow();
                                    } else {
                                      test.failNow(answer.cause());
                                    }
                                  }));
                }));
  }

  @Test
  void aKeptTokenWithOneByteChangedIsVerifiedAfreshAndRefused(VertxTestContext test) {
    String token = issuer.user("u1", Role.USER, "c1", List.of(), HOUR);
    char last = token.charAt(token.length() - 2);
    String tampered =
        token.substring(0, token.length() - 2)
            + (last == 'A' ? 'B' : 'A')
            + token.charAt(token.length() - 1);

    check(
        test,
        verifier
            .verify(token)
            .compose(first -> refusal(verifier, tampered))
            .compose(
                refused -> {
                  test.verify(() -> assertThat(refused).hasMessage("invalid token"));
                  return verifier.verify(token);
                }),
        again -> assertThat(again.subject()).isEqualTo("u1"));
  }

  @Test
  void tokenSignedWithAnotherSecretIsRefusedAsUnauthorized(VertxTestContext test) {
    String token =
        new TokenIssuer(vertx, "another-secret-that-is-long-enough-0123")
            .user("u1", Role.USER, "c1", List.of(), HOUR);

    check(test, refusal(verifier, token), e -> assertThat(e).hasMessage("invalid token"));
  }

  @Test
  void garbageIsRefusedAsUnauthorized(VertxTestContext test) {
    List<Future<AuthException>> refusals = new ArrayList<>();
    for (String garbage : List.of("not-a-jwt", "a.b.c", "", "Bearer x")) {
      refusals.add(refusal(verifier, garbage));
    }
    check(test, all(refusals), refused -> assertThat(refused).hasSize(4));
  }

  @Test
  void tokenWithoutCompanyIsRefusedAsUnauthorized(VertxTestContext test) {
    check(
        test,
        all(
            refusal(verifier, issuer.sign(userClaims().put("company", "  "), HOUR)),
            refusal(verifier, issuer.sign(without(userClaims(), "company"), HOUR))),
        refused ->
            assertThat(refused).allSatisfy(e -> assertThat(e).hasMessageContaining("company")));
  }

  @Test
  void tokenWithoutSubIsRefusedAsUnauthorized(VertxTestContext test) {
    check(
        test,
        refusal(verifier, issuer.sign(without(userClaims(), "sub"), HOUR)),
        e -> assertThat(e).hasMessageContaining("sub"));
  }

  @Test
  void unknownOrMissingRoleIsRefusedAsUnauthorized(VertxTestContext test) {
    check(
        test,
        all(
            refusal(verifier, issuer.sign(userClaims().put("role", "superuser"), HOUR)),
            refusal(verifier, issuer.sign(userClaims().put("role", "ADMIN"), HOUR)),
            refusal(verifier, issuer.sign(without(userClaims(), "role"), HOUR))),
        refused -> assertThat(refused).allSatisfy(e -> assertThat(e).hasMessageContaining("role")));
  }

  @Test
  void agentTokenWithoutBranchIsRefusedAsUnauthorized(VertxTestContext test) {
    var agent = new JsonObject().put("sub", "agent-1").put("role", "agent").put("company", "c1");

    check(
        test,
        all(
            refusal(verifier, issuer.sign(agent, HOUR)),
            refusal(verifier, issuer.sign(agent.copy().put("branch", ""), HOUR))),
        refused ->
            assertThat(refused).allSatisfy(e -> assertThat(e).hasMessageContaining("branch")));
  }

  @Test
  void tokenWithoutExpIsRefusedAsUnauthorized(VertxTestContext test) {
    String token = signed(hs256Signer(SECRET), userClaims());

    check(test, refusal(verifier, token), e -> assertThat(e).hasMessageContaining("exp"));
  }

  @Test
  void rs256TokenVerifiesWithThePemPublicKey(VertxTestContext test) throws Exception {
    KeyPair keys = rsaKeyPair();
    TokenVerifier rsaVerifier = new TokenVerifier(vertx, rs256Settings(keys));
    JWTAuth signer = rs256Signer(keys);

    check(
        test,
        rsaVerifier.verify(signed(signer, userClaims().put("exp", inAnHour()), "RS256")),
        principal -> {
          assertThat(principal.subject()).isEqualTo("u1");
          assertThat(principal.role()).isEqualTo(Role.USER);
          assertThat(principal.branches()).containsExactly("b1");
        });
  }

  @Test
  void rs256VerifierRefusesAnotherKeyAndAnHs256Token(VertxTestContext test) throws Exception {
    TokenVerifier rsaVerifier = new TokenVerifier(vertx, rs256Settings(rsaKeyPair()));
    String otherKey =
        signed(rs256Signer(rsaKeyPair()), userClaims().put("exp", inAnHour()), "RS256");
    String hs256 = issuer.user("u1", Role.USER, "c1", List.of(), HOUR);

    check(
        test,
        all(refusal(rsaVerifier, otherKey), refusal(rsaVerifier, hs256)),
        refused -> assertThat(refused).allSatisfy(e -> assertThat(e).hasMessage("invalid token")));
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

  @SafeVarargs
  private static <T> Future<List<T>> all(Future<T>... futures) {
    return all(List.of(futures));
  }

  private static <T> Future<List<T>> all(List<Future<T>> futures) {
    return Future.all(futures).map(done -> done.list());
  }

  /**
   * The verifier's refusal of a token: an {@link AuthException} saying unauthorized with 401; a
   * token it accepts, or another failure, fails the future.
   */
  private static Future<AuthException> refusal(TokenVerifier verifier, String token) {
    return verifier
        .verify(token)
        .transform(
            outcome -> {
              if (outcome.succeeded()) {
                return Future.failedFuture(
                    new AssertionError(
                        "verify(" + token + ") should fail, got " + outcome.result()));
              }
              if (outcome.cause() instanceof AuthException refusal
                  && "unauthorized".equals(refusal.code())
                  && refusal.httpStatus() == 401) {
                return Future.succeededFuture(refusal);
              }
              return Future.failedFuture(
                  new AssertionError(
                      "verify(" + token + ") should be refused 401", outcome.cause()));
            });
  }
}
