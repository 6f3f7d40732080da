package dev.printfleet.common.auth;

/**
 * A refused token. {@code code} is the contract's error code: {@code unauthorized} (no, bad or
 * expired token, HTTP 401) or {@code forbidden} (valid token, wrong role, HTTP 403).
 */
public final class AuthException extends RuntimeException {

  private final String code;

  private AuthException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public static AuthException unauthorized(String message) {
    return new AuthException("unauthorized", message);
  }

  public static AuthException forbidden(String message) {
    return new AuthException("forbidden", message);
  }

  public String code() {
    return code;
  }

  public int httpStatus() {
    return code.equals("forbidden") ? 403 : 401;
  }
}
