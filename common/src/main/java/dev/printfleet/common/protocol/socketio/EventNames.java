package dev.printfleet.common.protocol.socketio;

import java.util.Map;

/**
 * The event names of the Socket.IO system printfleet replaces, mapped onto the contract's message
 * types (PROTOCOL.md §2.5). The contract's own type names work as event names too, both ways in.
 * The gateway reads and writes with {@link #typeOf} and {@link #eventOf}; a client of the original
 * (the simulator's Socket.IO agent) with {@link #clientEventOf} and {@link #typeOfServerEvent}.
 */
public final class EventNames {

  /** What a peer emits, by event name, as the contract's type. */
  private static final Map<String, String> IN =
      Map.of(
          "printerStatus", "printer.status",
          "printersSync", "printers.sync",
          "printJobResult", "job.result");

  /** What the gateway sends, by the contract's type, as the event name. */
  private static final Map<String, String> OUT =
      Map.of(
          "job.dispatch", "printJob",
          "printer.test", "printerTest",
          "printer.status", "printerStatusUpdate",
          "job.update", "jobUpdate",
          "agent.presence", "agentPresence");

  private static final Map<String, String> CLIENT_OUT = inverse(IN);
  private static final Map<String, String> SERVER_IN = inverse(OUT);

  /** The original agents' separate acknowledgement of a {@code printJob}. */
  public static final String PRINT_JOB_ACK = "printJobAck";

  private EventNames() {}

  /** The contract's type for an event a peer emitted (the name itself when it has no mapping). */
  public static String typeOf(String event) {
    return IN.getOrDefault(event, event);
  }

  /** The event name the gateway emits for a message of the contract's type. */
  public static String eventOf(String type) {
    return OUT.getOrDefault(type, type);
  }

  /** The event name an original client emits for a message of the contract's type. */
  public static String clientEventOf(String type) {
    return CLIENT_OUT.getOrDefault(type, type);
  }

  /**
   * The contract's type of an event the gateway emitted (the name itself when it has no mapping).
   */
  public static String typeOfServerEvent(String event) {
    return SERVER_IN.getOrDefault(event, event);
  }

  private static Map<String, String> inverse(Map<String, String> map) {
    var inverse = new java.util.HashMap<String, String>();
    map.forEach((key, value) -> inverse.put(value, key));
    return Map.copyOf(inverse);
  }
}
