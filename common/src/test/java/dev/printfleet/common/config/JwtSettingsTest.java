package dev.printfleet.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JwtSettingsTest {

  static final String SECRET = "0123456789abcdef0123456789abcdef-secret";
  static final String PUBLIC_KEY =
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----\n";

  private static JwtSettings read(Map<String, String> env) {
    return JwtSettings.from(new Settings(env));
  }

  @Test
  void secretGivesHs256() {
    JwtSettings jwt = read(Map.of("PRINTFLEET_JWT_SECRET", SECRET));

    assertThat(jwt.algorithm()).isEqualTo("HS256");
    assertThat(jwt.secret()).hasValue(SECRET);
    assertThat(jwt.publicKeyPem()).isEmpty();
  }

  @Test
  void missingSecretAndKeyIsRefusedNamingTheSecretVariable() {
    assertThatThrownBy(() -> read(Map.of("PRINTFLEET_JWT_SECRET", "  ")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_JWT_SECRET is not set")
        .hasMessageContaining("PRINTFLEET_JWT_PUBLIC_KEY");
  }

  @Test
  void secretShorterThanThirtyTwoCharactersIsRefused() {
    assertThatThrownBy(() -> read(Map.of("PRINTFLEET_JWT_SECRET", "x".repeat(31))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_JWT_SECRET is too short (31 characters)")
        .hasMessageNotContaining("x".repeat(31));
    assertThat(read(Map.of("PRINTFLEET_JWT_SECRET", "x".repeat(32))).secret()).isPresent();
  }

  @Test
  void publicKeyDefaultsToRs256AndAcceptsEs256() {
    assertThat(read(Map.of("PRINTFLEET_JWT_PUBLIC_KEY", PUBLIC_KEY)).algorithm())
        .isEqualTo("RS256");
    JwtSettings es =
        read(Map.of("PRINTFLEET_JWT_PUBLIC_KEY", PUBLIC_KEY, "PRINTFLEET_JWT_ALGORITHM", "ES256"));
    assertThat(es.algorithm()).isEqualTo("ES256");
    assertThat(es.publicKeyPem()).hasValue(PUBLIC_KEY.trim());
  }

  @Test
  void publicKeyMustBePem() {
    assertThatThrownBy(() -> read(Map.of("PRINTFLEET_JWT_PUBLIC_KEY", "MFkwEwYHKoZIzj0CAQYI")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_JWT_PUBLIC_KEY ")
        .hasMessageContaining("-----BEGIN PUBLIC KEY-----");
  }

  @Test
  void publicKeyWithASymmetricAlgorithmIsRefused() {
    assertThatThrownBy(
            () ->
                read(
                    Map.of(
                        "PRINTFLEET_JWT_PUBLIC_KEY",
                        PUBLIC_KEY,
                        "PRINTFLEET_JWT_ALGORITHM",
                        "HS256")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PRINTFLEET_JWT_ALGORITHM ")
        .hasMessageContaining("'HS256'");
  }

  @Test
  void toStringNeverShowsTheSecret() {
    assertThat(read(Map.of("PRINTFLEET_JWT_SECRET", SECRET)).toString())
        .doesNotContain(SECRET)
        .contains("HS256");
  }
}
