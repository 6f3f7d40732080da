package dev.printfleet.gateway.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import dev.printfleet.common.config.ConfigException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchingAndRoomsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static StatusUpdate update(String printer, String status, long millis) {
    return new StatusUpdate(printer, "b1", status, null, T0.plusMillis(millis), null);
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
    assertThat(RoomPolicy.DEFAULT.join(alice, "company:c1"))
        .isEqualTo(new RoomPolicy.Allowed("c1|company", "printing:company:c1"));
    assertThat(RoomPolicy.DEFAULT.join(alice, "branch:b7"))
        .isEqualTo(new RoomPolicy.Allowed("c1|branch:b7", "printing:branch:b7"));
    assertThat(RoomPolicy.DEFAULT.join(user(Role.USER, "c2", Set.of()), "branch:b7"))
        .isEqualTo(new RoomPolicy.Allowed("c2|branch:b7", "printing:branch:b7"));
    assertThat(RoomPolicy.DEFAULT.join(alice, "company:c2"))
        .isInstanceOf(RoomPolicy.Refused.class)
        .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    assertThat(RoomPolicy.DEFAULT.join(user(Role.SRE, "c1", Set.of()), "company:c2"))
        .isInstanceOf(RoomPolicy.Refused.class);
    assertThat(RoomPolicy.DEFAULT.join(user(Role.ADMIN, "c1", Set.of()), "company:c2"))
        .isEqualTo(new RoomPolicy.Allowed("c2|company", "printing:company:c2"));
  }

  @Test
  void userWithABranchListMayJoinOnlyThoseBranches() {
    var bob = user(Role.USER, "c1", Set.of("b1", "b2"));
    assertThat(RoomPolicy.DEFAULT.join(bob, "branch:b2")).isInstanceOf(RoomPolicy.Allowed.class);
    assertThat(RoomPolicy.DEFAULT.join(bob, "branch:b3")).isInstanceOf(RoomPolicy.Refused.class);
  }

  @Test
  void tokenListingBranchesMayNotJoinACompanyRoomWhateverItsRole() {
    for (Role role : new Role[] {Role.USER, Role.SRE, Role.ADMIN}) {
      assertThat(RoomPolicy.DEFAULT.join(user(role, "c1", Set.of("b1")), "company:c1"))
          .isInstanceOf(RoomPolicy.Refused.class)
          .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    }
  }

  @Test
  void channelsOfEveryNamespaceAreScopedAsRoomsAreAndTheOldNamesAreAliases() {
    var alice = user(Role.USER, "c1", Set.of());
    assertThat(RoomPolicy.DEFAULT.join(alice, "printing:branch:b7"))
        .isEqualTo(RoomPolicy.DEFAULT.join(alice, "branch:b7"));
    assertThat(RoomPolicy.DEFAULT.join(alice, "orders:branch:b1"))
        .isEqualTo(new RoomPolicy.Allowed("c1|orders:branch:b1", "orders:branch:b1"));
    assertThat(RoomPolicy.DEFAULT.join(alice, "availability:zone:z9"))
        .isEqualTo(new RoomPolicy.Allowed("c1|availability:zone:z9", "availability:zone:z9"));
    assertThat(RoomPolicy.DEFAULT.join(alice, "orders:company:c2"))
        .isInstanceOf(RoomPolicy.Refused.class)
        .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    // A token listing branches: its branch channels in every namespace, nothing spanning branches.
    var bob = user(Role.USER, "c1", Set.of("b1"));
    assertThat(RoomPolicy.DEFAULT.join(bob, "orders:branch:b1"))
        .isInstanceOf(RoomPolicy.Allowed.class);
    for (String wide : List.of("orders:branch:b2", "orders:warehouse:w1", "availability:zone:z1")) {
      assertThat(RoomPolicy.DEFAULT.join(bob, wide))
          .as(wide)
          .isInstanceOf(RoomPolicy.Refused.class)
          .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    }
    for (String bad :
        List.of("orders:floor:1", "kitchen:branch:b1", "orders:branch:", "orders:branch:a b")) {
      assertThat(RoomPolicy.DEFAULT.join(alice, bad))
          .as(bad)
          .isInstanceOf(RoomPolicy.Refused.class)
          .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isFalse());
    }
  }

  @Test
  void whichKindsExistAndWhoMayJoinIsConfiguration() {
    var policy =
        RoomPolicy.parse("printing=branch,company;orders=zone", "printing=user;orders=sre");
    assertThat(policy.join(user(Role.SRE, "c1", Set.of()), "orders:zone:z1"))
        .isInstanceOf(RoomPolicy.Allowed.class);
    assertThat(policy.join(user(Role.USER, "c1", Set.of()), "orders:zone:z1"))
        .isInstanceOf(RoomPolicy.Refused.class)
        .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    assertThat(policy.join(user(Role.SRE, "c1", Set.of()), "orders:branch:b1"))
        .isInstanceOf(RoomPolicy.Refused.class)
        .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isFalse());
    assertThatThrownBy(() -> RoomPolicy.parse("printing=branch", "printing=user"))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> RoomPolicy.parse(RoomPolicy.DEFAULT_KINDS, "printing=user"))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> RoomPolicy.parse(RoomPolicy.DEFAULT_KINDS, "printing=agent"))
        .isInstanceOf(ConfigException.class);
    // A namespace named as an old room name would read as one.
    assertThatThrownBy(
            () ->
                RoomPolicy.parse(
                    "printing=branch,company;branch=zone", "printing=user;branch=user"))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void aServicePublishesToItsCompanysChannelsButNotToPrintingsOwn() {
    assertThat(RoomPolicy.DEFAULT.publish("c1", "orders:branch:b1"))
        .isEqualTo(new RoomPolicy.Allowed("c1|orders:branch:b1", "orders:branch:b1"));
    assertThat(RoomPolicy.DEFAULT.publish("c1", "orders:company:c1"))
        .isEqualTo(new RoomPolicy.Allowed("c1|orders:company", "orders:company:c1"));
    for (String refused : List.of("branch:b1", "printing:company:c1", "orders:company:c2")) {
      assertThat(RoomPolicy.DEFAULT.publish("c1", refused))
          .as(refused)
          .isInstanceOf(RoomPolicy.Refused.class)
          .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isTrue());
    }
    assertThat(RoomPolicy.DEFAULT.publish("c1", "orders:floor:1"))
        .isInstanceOf(RoomPolicy.Refused.class);
  }

  @Test
  void malformedRoomNamesAreInvalidNotForbidden() {
    var alice = user(Role.USER, "c1", Set.of());
    for (String bad : new String[] {"", "company:", "branch:", "floor:3", "x".repeat(300)}) {
      assertThat(RoomPolicy.DEFAULT.join(alice, bad))
          .isInstanceOf(RoomPolicy.Refused.class)
          .satisfies(d -> assertThat(((RoomPolicy.Refused) d).forbidden()).isFalse());
    }
  }
}
