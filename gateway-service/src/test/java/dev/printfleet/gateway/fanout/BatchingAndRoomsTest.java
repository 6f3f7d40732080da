package dev.printfleet.gateway.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchingAndRoomsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static StatusUpdate update(String printer, String status, long millis) {
    return new StatusUpdate(printer, "b1", status, null, T0.plusMillis(millis));
  }

  @Test
  void onlyTheFirstUpdateOfAWindowAsksForAFlushAndLaterOnesNeverPushItBack() {
    var batcher = new StatusBatcher();
    assertThat(batcher.offer("room", update("p1", "busy", 1))).isTrue();
    for (int i = 2; i <= 100; i++) {
      assertThat(batcher.offer("room", update("p1", "busy", i))).isFalse();
    }
    assertThat(batcher.take("room")).hasSize(1);
    assertThat(batcher.offer("room", update("p1", "online", 200))).as("a new window").isTrue();
  }

  @Test
  void latestStatusPerPrinterWinsInFirstSeenOrder() {
    var batcher = new StatusBatcher();
    batcher.offer("room", update("p1", "busy", 1));
    batcher.offer("room", update("p2", "online", 2));
    batcher.offer("room", update("p1", "paper_out", 3));
    batcher.offer("room", update("p2", "offline", 1)); // older than what we have: ignored

    assertThat(batcher.take("room"))
        .extracting(StatusUpdate::printerId, StatusUpdate::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("p1", "paper_out"),
            org.assertj.core.groups.Tuple.tuple("p2", "online"));
    assertThat(batcher.take("room")).isEmpty();
  }

  private static Principal user(Role role, String company, Set<String> branches) {
    return new Principal("u", role, company, Optional.empty(), branches, T0.plusSeconds(3600));
  }

  @Test
  void roomsAreScopedToTheCallersCompany() {
    var alice = user(Role.USER, "c1", Set.of());
    assertThat(RoomPolicy.join(alice, "company:c1"))
        .isEqualTo(new RoomPolicy.Allowed("c1|company"));
    assertThat(RoomPolicy.join(alice, "branch:b7"))
        .isEqualTo(new RoomPolicy.Allowed("c1|branch:b7"));
    assertThat(RoomPolicy.join(user(Role.USER, "c2", Set.of()), "branch:b7"))
        .isEqualTo(new RoomPolicy.Allowed("c2|branch:b7"));
    assertThat(RoomPolicy.join(alice, "company:c2"))
        .isInstanceOf(RoomPolicy.Refused.class)
        .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    assertThat(RoomPolicy.join(user(Role.SRE, "c1", Set.of()), "company:c2"))
        .isInstanceOf(RoomPolicy.Refused.class);
    assertThat(RoomPolicy.join(user(Role.ADMIN, "c1", Set.of()), "company:c2"))
        .isEqualTo(new RoomPolicy.Allowed("c2|company"));
  }

  @Test
  void userWithABranchListMayJoinOnlyThoseBranches() {
    var bob = user(Role.USER, "c1", Set.of("b1", "b2"));
    assertThat(RoomPolicy.join(bob, "branch:b2")).isInstanceOf(RoomPolicy.Allowed.class);
    assertThat(RoomPolicy.join(bob, "branch:b3")).isInstanceOf(RoomPolicy.Refused.class);
  }

  @Test
  void tokenListingBranchesMayNotJoinACompanyRoomWhateverItsRole() {
    for (Role role : new Role[] {Role.USER, Role.SRE, Role.ADMIN}) {
      assertThat(RoomPolicy.join(user(role, "c1", Set.of("b1")), "company:c1"))
          .isInstanceOf(RoomPolicy.Refused.class)
          .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    }
  }

  @Test
  void malformedRoomNamesAreInvalidNotForbidden() {
    var alice = user(Role.USER, "c1", Set.of());
    for (String bad : new String[] {"", "company:", "branch:", "floor:3", "x".repeat(300)}) {
      assertThat(RoomPolicy.join(alice, bad))
          .isInstanceOf(RoomPolicy.Refused.class)
          .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isFalse());
    }
  }
}
