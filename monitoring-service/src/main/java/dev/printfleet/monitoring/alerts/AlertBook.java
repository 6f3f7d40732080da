package dev.printfleet.monitoring.alerts;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Active and recent alerts. Each evaluation hands in what is firing now: a new one becomes active,
 * one no longer firing is cleared and moves to the recent list (bounded).
 */
public final class AlertBook {

  /** What an evaluation changed. */
  public record Changes(List<Alert> raised, List<Alert> cleared) {
    public boolean isEmpty() {
      return raised.isEmpty() && cleared.isEmpty();
    }
  }

  private final int maxRecent;
  private final Map<String, Alert> active = new LinkedHashMap<>();
  private final Deque<Alert> recent = new ArrayDeque<>();

  public AlertBook(int maxRecent) {
    this.maxRecent = maxRecent;
  }

  public synchronized Changes update(List<Alert> firing, Instant now) {
    List<Alert> raised = new ArrayList<>();
    List<Alert> cleared = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (Alert alert : firing) {
      keys.add(alert.key());
      Alert old = active.get(alert.key());
      if (old == null) {
        Alert started = alert.since(now);
        active.put(alert.key(), started);
        raised.add(started);
      } else {
        active.put(alert.key(), old.withMessage(alert.message()));
      }
    }
    active
        .values()
        .removeIf(
            alert -> {
              if (keys.contains(alert.key())) {
                return false;
              }
              Alert done = alert.cleared(now);
              cleared.add(done);
              remember(done);
              return true;
            });
    return new Changes(raised, cleared);
  }

  /** Takes the start time another replica recorded for the same alert, so both agree. */
  public synchronized void adoptSince(String key, Instant since) {
    active.computeIfPresent(
        key, (k, alert) -> since.isBefore(alert.since()) ? alert.since(since) : alert);
  }

  /** Adds an alert cleared elsewhere (loaded at start), newest first. */
  public synchronized void remember(Alert cleared) {
    if (recent.stream()
        .anyMatch(a -> a.key().equals(cleared.key()) && a.since().equals(cleared.since()))) {
      return;
    }
    recent.addFirst(cleared);
    while (recent.size() > maxRecent) {
      recent.removeLast();
    }
  }

  public synchronized List<Alert> active() {
    List<Alert> list = new ArrayList<>(active.values());
    list.sort(
        Comparator.comparing((Alert a) -> !"critical".equals(a.severity()))
            .thenComparing(Alert::since, Comparator.naturalOrder()));
    return list;
  }

  public synchronized List<Alert> recent() {
    List<Alert> list = new ArrayList<>(recent);
    list.sort(Comparator.comparing(Alert::clearedAt).reversed());
    return list;
  }
}
