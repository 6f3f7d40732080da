package dev.printfleet.gateway.fanout;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coalesces printer status updates per room within a fixed window: only the latest status of each
 * printer is kept, and the first update of a window is the one that schedules its flush. Later
 * updates never push the flush back, so a busy room still gets a frame every window (a debounce
 * that restarts on each update would starve it).
 */
public final class StatusBatcher {

  private final Map<String, LinkedHashMap<String, StatusUpdate>> pending = new HashMap<>();

  /** Adds an update; true when it opened the room's window, so the caller schedules the flush. */
  public boolean offer(String room, StatusUpdate update) {
    LinkedHashMap<String, StatusUpdate> updates = pending.get(room);
    boolean opened = updates == null;
    if (opened) {
      updates = new LinkedHashMap<>();
      pending.put(room, updates);
    }
    StatusUpdate previous = updates.get(update.printerId());
    if (previous == null || !previous.at().isAfter(update.at())) {
      updates.put(update.printerId(), update);
    }
    return opened;
  }

  /** Closes the room's window: its updates, latest per printer, in first-seen order. */
  public List<StatusUpdate> take(String room) {
    LinkedHashMap<String, StatusUpdate> updates = pending.remove(room);
    return updates == null ? List.of() : List.copyOf(updates.values());
  }
}
