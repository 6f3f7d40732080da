package dev.printfleet.gateway.transport.socketio;

import java.util.Map;

/**
 * The event names of the Socket.IO system printfleet replaces, mapped onto the contract's message
 * types (PROTOCOL.md §2.5). The contract's own type names work as event names too, both ways in.
 */
final class EventNames {

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

  /** The original agents' separate acknowledgement of a {@code printJob}. */
  static final String PRINT_JOB_ACK = "printJobAck";

  private EventNames() {}

  /** The contract's type for an event a peer emitted (the name itself when it has no mapping). */
  static String typeOf(String event) {
    return IN.getOrDefault(event, event);
  }

  /** The event name the gateway emits for a message of the contract's type. */
  static String eventOf(String type) {
    return OUT.getOrDefault(type, type);
  }
}
