package dev.printfleet.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        RecordingSession.agent(Duration.ofMinutes(10)),
        new Session.Limits(10, 1, 3, Duration.ofSeconds(10)));
  }

  /** Each session's pings, as nanoseconds after its own connection, over sweeps a second apart. */
  private static Map<RecordingSession, List<Long>> sweep(
      List<RecordingSession> sessions,
      long intervalNanos,
      int seconds,
      Map<Long, Integer> perSweep) {
    long start = System.nanoTime();
    Map<RecordingSession, List<Long>> pingedAt = new HashMap<>();
    for (int second = 0; second <= seconds; second++) {
      long now = start + second * SECOND;
      for (var s : sessions) {
        int before = s.pings;
        s.pingIfDue(now, intervalNanos);
        if (s.pings != before) {
          assertThat(s.pings).as("one ping a sweep at most").isEqualTo(before + 1);
          pingedAt.computeIfAbsent(s, k -> new ArrayList<>()).add(s.ageNanos(now));
          perSweep.merge((long) second, 1, Integer::sum);
        }
      }
    }
    return pingedAt;
  }

  private static List<RecordingSession> sessions(int n) {
    List<RecordingSession> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(session());
    }
    return sessions;
  }

  @Test
  void socketsThatConnectedTogetherArePingedSpreadOverTheIntervalEachOnItsOwnPhase() {
    Map<Long, Integer> perSweep = new HashMap<>();
    // A sweep a second for 80 s, as SessionRegistry runs it at the default 25 s interval.
    var pingedAt = sweep(sessions(SESSIONS), INTERVAL, 80, perSweep);

    assertThat(pingedAt).hasSize(SESSIONS);
    for (var times : pingedAt.values()) {
      // The first within an interval of connecting (a sweep late at most), then one an interval.
      assertThat(times.get(0)).isBetween(0L, INTERVAL + SECOND);
      assertThat(times.size()).isBetween(3, 4);
      for (int i = 1; i < times.size(); i++) {
        assertThat(times.get(i) - times.get(i - 1)).isBetween(INTERVAL - SECOND, INTERVAL + SECOND);
      }
    }
    // Spread: with one phase for all, a single sweep pinged all 1,000 at once. Uniform over 25 s
    // in 1 s sweeps is about 40 a sweep; 100 leaves room for chance.
    assertThat(perSweep.values()).allSatisfy(n -> assertThat(n).isLessThan(100));
  }

  @Test
  void eachSessionKeepsItsPhaseRatherThanTheSweepsOne() {
    // 25.5 s between pings, sweeps 1 s apart: re-timed from the sweep that sent it, every gap
    // would be 26 s; kept on its phase, the gaps average the interval.
    long interval = INTERVAL + SECOND / 2;
    var pingedAt = sweep(sessions(200), interval, 120, new HashMap<>());
    long gaps = 0;
    long total = 0;
    for (var times : pingedAt.values()) {
      for (int i = 1; i < times.size(); i++) {
        total += times.get(i) - times.get(i - 1);
        gaps++;
      }
    }
    assertThat(gaps).isGreaterThan(400);
    assertThat((double) total / gaps).isBetween(interval - 0.2 * SECOND, interval + 0.2 * SECOND);
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
