package dev.printfleet.common.config;

import java.util.Optional;

/**
 * How tokens are verified: an HS256 shared secret, or a PEM public key for RS256 or ES256. One of
 * the two is required; a service without it refuses to start.
 */
public record JwtSettings(
    Optional<String> secret, Optional<String> publicKeyPem, String algorithm) {

  public static final int MIN_SECRET_LENGTH = 32;

  public static JwtSettings from(Settings settings) {
    Optional<String> secret = settings.optional("PRINTFLEET_JWT_SECRET");
    Optional<String> publicKey = settings.optional("PRINTFLEET_JWT_PUBLIC_KEY");
    if (secret.isEmpty() && publicKey.isEmpty()) {
      throw new ConfigException(
          "PRINTFLEET_JWT_SECRET",
          "is not set; set it to a random string of at least "
              + MIN_SECRET_LENGTH
              + " characters (HS256), or set PRINTFLEET_JWT_PUBLIC_KEY to a PEM public key"
              + " (RS256/ES256)");
    }
    if (secret.isPresent() && secret.get().length() < MIN_SECRET_LENGTH) {
      throw new ConfigException(
          "PRINTFLEET_JWT_SECRET",
          "is too short ("
              + secret.get().length()
              + " characters); HS256 needs at least "
              + MIN_SECRET_LENGTH);
    }
    String algorithm;
    if (publicKey.isPresent()) {
      algorithm = settings.string("PRINTFLEET_JWT_ALGORITHM", "RS256");
      if (!algorithm.equals("RS256") && !algorithm.equals("ES256")) {
        throw new ConfigException(
            "PRINTFLEET_JWT_ALGORITHM",
            "must be RS256 or ES256 with a public key, got '" + algorithm + "'");
      }
      if (!publicKey.get().contains("-----BEGIN PUBLIC KEY-----")) {
        throw new ConfigException(
            "PRINTFLEET_JWT_PUBLIC_KEY",
            "must be a PEM public key starting with -----BEGIN PUBLIC KEY-----");
      }
    } else {
      algorithm = "HS256";
    }
    return new JwtSettings(secret, publicKey, algorithm);
  }

  @Override
  public String toString() {
    return "JwtSettings[algorithm=" + algorithm + "]";
  }
}
