package dev.printfleet.common.auth;

import java.util.Locale;
import java.util.Optional;

/** The {@code role} claim of PROTOCOL.md §1. */
public enum Role {
  AGENT,
  USER,
  SRE,
  ADMIN,
  /** A backend of the company publishing to its channels (PROTOCOL.md §6); nothing else. */
  SERVICE;

  public String claim() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> fromClaim(String claim) {
    if (claim == null) {
      return Optional.empty();
    }
    for (Role role : values()) {
      if (role.claim().equals(claim)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }
}
