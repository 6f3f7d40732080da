package dev.printfleet.common.auth;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Who is calling, from a verified token.
 *
 * @param subject agent id (role agent) or user id
 * @param branch the agent's branch; empty for other roles
 * @param branches the branches a user may see; empty means all of the company
 */
public record Principal(
    String subject,
    Role role,
    String company,
    Optional<String> branch,
    Set<String> branches,
    Instant expiresAt) {

  public boolean isAgent() {
    return role == Role.AGENT;
  }

  /** Whether this caller may read and write data of the given company. */
  public boolean mayAccessCompany(String companyId) {
    return role == Role.ADMIN || company.equals(companyId);
  }

  /** Whether this caller may see the given branch of its own company. */
  public boolean mayAccessBranch(String companyId, String branchId) {
    if (!mayAccessCompany(companyId)) {
      return false;
    }
    if (role == Role.AGENT) {
      return branch.map(branchId::equals).orElse(false);
    }
    return branches.isEmpty() || branches.contains(branchId);
  }
}
