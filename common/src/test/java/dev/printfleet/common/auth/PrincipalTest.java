package dev.printfleet.common.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PrincipalTest {

  private static final Instant LATER = Instant.now().plusSeconds(3600);

  private static Principal agent(String company, String branch) {
    return new Principal("agent-1", Role.AGENT, company, Optional.of(branch), Set.of(), LATER);
  }

  private static Principal caller(Role role, String company, Set<String> branches) {
    return new Principal("u1", role, company, Optional.empty(), branches, LATER);
  }

  @Test
  void agentSeesOnlyItsOwnBranchOfItsOwnCompany() {
    Principal agent = agent("c1", "b7");

    assertThat(agent.isAgent()).isTrue();
    assertThat(agent.mayAccessCompany("c1")).isTrue();
    assertThat(agent.mayAccessCompany("c2")).isFalse();
    assertThat(agent.mayAccessBranch("c1", "b7")).isTrue();
    assertThat(agent.mayAccessBranch("c1", "b8")).isFalse();
    assertThat(agent.mayAccessBranch("c2", "b7")).isFalse();
  }

  @Test
  void agentWithoutBranchSeesNoBranch() {
    Principal agent = new Principal("agent-1", Role.AGENT, "c1", Optional.empty(), Set.of(), LATER);

    assertThat(agent.mayAccessBranch("c1", "b7")).isFalse();
  }

  @Test
  void userWithoutBranchListSeesEveryBranchOfItsCompanyOnly() {
    Principal user = caller(Role.USER, "c1", Set.of());

    assertThat(user.isAgent()).isFalse();
    assertThat(user.mayAccessCompany("c1")).isTrue();
    assertThat(user.mayAccessCompany("c2")).isFalse();
    assertThat(user.mayAccessBranch("c1", "b1")).isTrue();
    assertThat(user.mayAccessBranch("c1", "any-branch")).isTrue();
    assertThat(user.mayAccessBranch("c2", "b1")).isFalse();
  }

  @Test
  void userWithBranchListSeesOnlyThoseBranches() {
    Principal user = caller(Role.USER, "c1", Set.of("b1", "b2"));

    assertThat(user.mayAccessBranch("c1", "b1")).isTrue();
    assertThat(user.mayAccessBranch("c1", "b2")).isTrue();
    assertThat(user.mayAccessBranch("c1", "b3")).isFalse();
    assertThat(user.mayAccessBranch("c2", "b1")).isFalse();
  }

  @Test
  void sreIsBoundToItsCompanyLikeAUser() {
    Principal sre = caller(Role.SRE, "c1", Set.of());

    assertThat(sre.mayAccessCompany("c1")).isTrue();
    assertThat(sre.mayAccessCompany("c2")).isFalse();
    assertThat(sre.mayAccessBranch("c1", "b9")).isTrue();
    assertThat(sre.mayAccessBranch("c2", "b9")).isFalse();
  }

  @Test
  void adminCrossesTenants() {
    Principal admin = caller(Role.ADMIN, "ops", Set.of());

    assertThat(admin.mayAccessCompany("ops")).isTrue();
    assertThat(admin.mayAccessCompany("c2")).isTrue();
    assertThat(admin.mayAccessBranch("c2", "b1")).isTrue();
  }

  @Test
  void adminWithBranchListIsLimitedToThoseBranchesInAnyCompany() {
    Principal admin = caller(Role.ADMIN, "ops", Set.of("b1"));

    assertThat(admin.mayAccessBranch("c2", "b1")).isTrue();
    assertThat(admin.mayAccessBranch("c2", "b2")).isFalse();
  }

  @Test
  void roleClaimsRoundTripAndUnknownClaimsAreEmpty() {
    for (Role role : Role.values()) {
      assertThat(Role.fromClaim(role.claim())).hasValue(role);
    }
    assertThat(Role.AGENT.claim()).isEqualTo("agent");
    assertThat(Role.fromClaim("Admin")).isEmpty();
    assertThat(Role.fromClaim(null)).isEmpty();
  }
}
