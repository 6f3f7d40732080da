package dev.printfleet.common.messages;

/** Every event bus address printfleet uses (ARCHITECTURE.md, "The clustered event bus"). */
public final class Addresses {

  /** Request/reply, printing to the gateway instance that holds an agent: dispatch, test. */
  public static final String GATEWAY_PREFIX = "printfleet.gateway.";

  /**
   * Publish, gateway to all: agent connected, disconnected, printers synced (once printing stored
   * the list). For watchers such as monitoring and for the other gateways (an agent connected
   * elsewhere closes its older socket 4409); printing writes connects from {@link
   * #PRINTING_AGENTS}.
   */
  public static final String EVENTS_AGENT = "printfleet.events.agent";

  /** Publish, gateway to all: a printer's status changed. */
  public static final String EVENTS_PRINTER = "printfleet.events.printer";

  /** Send, gateway to one printing instance: an agent's job result; the reply acknowledges it. */
  public static final String PRINTING_RESULTS = "printfleet.printing.results";

  /**
   * Send, gateway to one printing instance: the results one gateway event loop read in one turn
   * ({@link JobResult#batchJson}); the reply answers each in order ({@link
   * JobResult#batchReplies}).
   */
  public static final String PRINTING_RESULT_BATCHES = "printfleet.printing.results.batch";

  /**
   * Send, gateway to one printing instance: an agent's printer list, written once as a set; the
   * reply acknowledges it.
   */
  public static final String PRINTING_PRINTERS = "printfleet.printing.printers";

  /**
   * Send, gateway to one printing instance: an agent connected or disconnected ({@code
   * AgentEvent}), or agents whose presence came back ({@code PresenceRestored}); written once,
   * whatever the number of printing instances; the reply acknowledges it.
   */
  public static final String PRINTING_AGENTS = "printfleet.printing.agents";

  /**
   * Publish, the gateway that took a message to every gateway: a message published to a channel
   * ({@code ChannelMessage}), already in the channel's history.
   */
  public static final String EVENTS_CHANNEL = "printfleet.events.channel";

  /** Publish, printing to all: a job's state changed. */
  public static final String EVENTS_JOB = "printfleet.events.job";

  /** Publish, every instance to monitoring: health, load and circuits. */
  public static final String MONITORING_HEARTBEAT = "printfleet.monitoring.heartbeat";

  /** Request/reply, monitoring to one instance: circuit reset, drain. */
  public static final String CONTROL_PREFIX = "printfleet.control.";

  /** The header that names the action of a request on a gateway or control address. */
  public static final String ACTION_HEADER = "action";

  private Addresses() {}

  public static String gateway(String instanceId) {
    return GATEWAY_PREFIX + instanceId;
  }

  public static String control(String instanceId) {
    return CONTROL_PREFIX + instanceId;
  }
}
