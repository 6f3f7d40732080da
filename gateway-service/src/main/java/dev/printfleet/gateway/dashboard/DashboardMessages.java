package dev.printfleet.gateway.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads what dashboards send, as plain values: no socket, no Vert.x type. */
final class DashboardMessages {

  /** Why a message was refused; the message goes back with {@code invalid_data}. */
  static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  private DashboardMessages() {}

  /**
   * The {@code rooms} of a subscribe or an unsubscribe: a list of 1 to {@code max} room names.
   * Whether each room may be joined is {@link dev.printfleet.gateway.fanout.RoomPolicy}'s call.
   */
  static List<String> rooms(Map<String, ?> data, int max) throws Invalid {
    if (!(data.get("rooms") instanceof List<?> list)
        || list.isEmpty()
        || list.size() > max
        || !list.stream().allMatch(String.class::isInstance)) {
      throw new Invalid("rooms must be a list of 1 to " + max + " room names");
    }
    List<String> rooms = new ArrayList<>(list.size());
    list.forEach(room -> rooms.add((String) room));
    return rooms;
  }
}
