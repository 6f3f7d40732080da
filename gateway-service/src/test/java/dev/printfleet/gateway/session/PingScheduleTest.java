package dev.printfleet.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * When a loop's sweep pings its sessions: sockets that connected together are pinged spread over
 * the interval, each then on its own phase, never later than a sweep after it is due.
 */
class PingScheduleTest {

  private static final long SECOND = Duration.ofSeconds(1).toNanos();
  private static final long INTERVAL = Duration.ofSeconds(25).toNanos();
  private static final int SESSIONS = 1_000;

  private static RecordingSession session() {
    return new RecordingSession(
        Session.Kind.AGENT,
        new Principal(
            "agent-1",
            Role.AGENT,
            "acme",
            Optional.of("b1"),
            Set.of(),
            Instant.now().plusSeconds(600)),
        new Session.Limits(10, 1, 3, Duration.ofSeconds(10)));
  }

  @Test
  void socketsThatConnectedTogetherArePingedSpreadOverTheIntervalEachOnItsOwnPhase() {
    List<RecordingSession> sessions = new ArrayList<>();
    for (int i = 0; i < SESSIONS; i++) {
      sessions.add(session());
    }
    // The sweep's clock starts after the last of them connected (they connected within this loop).
    long start = System.nanoTime();
    Map<RecordingSession, List<Integer>> pingedAt = new HashMap<>();
    Map<Integer, Integer> perSweep = new HashMap<>();
    // One sweep a second for 80 s, as SessionRegistry runs it at the default 25 s interval.
    for (int second = 0; second <= 80; second++) {
      for (var s : sessions) {
        int before = s.pings;
        s.pingIfDue(start + second * SECOND, INTERVAL);
        if (s.pings > before) {
          pingedAt.computeIfAbsent(s, k -> new ArrayList<>()).add(second);
          perSweep.merge(second, 1, Integer::sum);
        }
      }
    }

    assertThat(pingedAt).hasSize(SESSIONS);
    for (var times : pingedAt.values()) {
      // The first between half an interval and an interval after connecting (a sweep late at most).
      assertThat(times.get(0)).isBetween(12, 26);
      // Then one every interval on that phase, not re-aligned to the sweeps.
      assertThat(times).hasSize(3);
      assertThat(times.get(1) - times.get(0)).isBetween(24, 26);
      assertThat(times.get(2) - times.get(1)).isBetween(24, 26);
    }
    // Spread: with one phase for all, a single sweep would ping all 1,000 at once. Uniform over
    // 12.5 s in 1 s sweeps is about 80 a sweep; 200 leaves room for chance.
    assertThat(perSweep.values()).allSatisfy(n -> assertThat(n).isLessThan(200));
  }

  @Test
  void aSweepLateByMoreThanAnIntervalPingsOnceAndStartsThePhaseAgain() {
    var s = session();
    long start = System.nanoTime();
    s.pingIfDue(start, INTERVAL);
    assertThat(s.pings).isZero();
    // The loop was stuck for three intervals: one ping, not three.
    long late = start + 3 * INTERVAL;
    s.pingIfDue(late, INTERVAL);
    s.pingIfDue(late + SECOND, INTERVAL);
    assertThat(s.pings).isEqualTo(1);
    s.pingIfDue(late + INTERVAL - SECOND, INTERVAL);
    assertThat(s.pings).isEqualTo(1);
    s.pingIfDue(late + INTERVAL, INTERVAL);
    assertThat(s.pings).isEqualTo(2);
  }

  @Test
  void aClosedSessionIsNotPinged() {
    var s = session();
    s.close(CloseCodes.GOING_AWAY, "test");
    s.pingIfDue(System.nanoTime() + 3 * INTERVAL, INTERVAL);
    assertThat(s.pings).isZero();
  }
}
