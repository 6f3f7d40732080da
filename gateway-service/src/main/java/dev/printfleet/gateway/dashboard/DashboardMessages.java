package dev.printfleet.gateway.dashboard;

import dev.printfleet.gateway.channels.Offset;
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

  /**
   * A subscribe's {@code since}: for some of its rooms, the offset of the last message the client
   * has (PROTOCOL.md §6); empty when absent.
   */
  static Map<String, Offset> since(Map<String, ?> data, List<String> rooms, int max)
      throws Invalid {
    Object value = data.get("since");
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map<?, ?> map) || map.size() > max) {
      throw new Invalid(
          "since must be an object of at most "
              + max
              + " rooms, each to the offset of its last message");
    }
    Map<String, Offset> since = new java.util.LinkedHashMap<>();
    for (var entry : map.entrySet()) {
      if (!(entry.getKey() instanceof String room) || !rooms.contains(room)) {
        throw new Invalid("since names a room not in rooms: " + entry.getKey());
      }
      Offset offset = entry.getValue() instanceof String text ? Offset.parse(text) : null;
      if (offset == null) {
        throw new Invalid("since." + room + " must be an offset, <milliseconds>-<sequence>");
      }
      since.put(room, offset);
    }
    return since;
  }
}
