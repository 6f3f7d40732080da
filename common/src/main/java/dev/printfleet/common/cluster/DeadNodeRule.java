package dev.printfleet.common.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Decides which cluster members are dead: gone from the catalog, not merely missing because Redis
 * lost its data.
 *
 * <p>A member is dropped only when it was seen before and then missing from {@code confirmations}
 * consecutive readings, and only while this node trusts the catalog: never in a reading where this
 * node's own state was missing (Redis lost it, so it lost the others' too), and never within {@code
 * grace} of such a loss or of a failed reading (the peers need a few of their own checks to put
 * their entries back).
 */
final class DeadNodeRule {

  private final int confirmations;
  private final Duration grace;
  private final Map<String, Integer> missingFor = new HashMap<>();
  private Set<String> seen = Set.of();
  private Instant trustedFrom = Instant.MIN;

  DeadNodeRule(int confirmations, Duration grace) {
    this.confirmations = confirmations;
    this.grace = grace;
  }

  /** The catalog could not be read, or lost this node's own state: distrust it for a while. */
  void distrust(Instant now) {
    trustedFrom = now.plus(grace);
    missingFor.clear();
  }

  /**
   * A reading of the catalog in which this node's own state was whole; the members to drop as dead.
   */
  Set<String> read(Set<String> members, String self, Instant now) {
    Set<String> dead = new HashSet<>();
    Set<String> stillSeen = new HashSet<>(members);
    for (String node : seen) {
      if (node.equals(self) || members.contains(node)) {
        missingFor.remove(node);
        continue;
      }
      int readings = missingFor.merge(node, 1, Integer::sum);
      if (readings >= confirmations && !now.isBefore(trustedFrom)) {
        dead.add(node);
        missingFor.remove(node);
      } else {
        // Not dropped yet: it must be missing from the following readings too.
        stillSeen.add(node);
      }
    }
    seen = stillSeen;
    return dead;
  }
}
