package dev.printfleet.gateway.agent;

import dev.printfleet.common.messages.PrinterInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads what agents send, as plain values (no socket, no Vert.x type), all or nothing: a field out
 * of its bounds refuses the whole message, so nothing of it is forwarded or stored. Free text is
 * bounded by {@link AgentText}: it travels to every gateway and dashboard and into PostgreSQL.
 */
final class AgentMessages {

  static final int MAX_ID_LENGTH = 128;
  static final int MAX_NAME_LENGTH = 256;

  static final Set<String> STATUSES = Set.of("online", "offline", "busy", "paper_out", "error");

  /** Why a message was refused; the message goes back to the agent with {@code invalid_data}. */
  static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /** A {@code printer.status}: one printer's new status. */
  record PrinterStatus(String printerId, String status, String detail) {}

  /** A {@code job.result}: how a dispatched job ended. */
  record Result(String jobId, String outcome, String error) {}

  private AgentMessages() {}

  /**
   * A {@code printers.sync}'s list: at most {@code maxPrinters}, each with an id of at most {@value
   * #MAX_ID_LENGTH} characters given once, a name (the id by default) and a known status (online by
   * default), none holding a control character.
   */
  static List<PrinterInfo> printers(Map<String, ?> data, int maxPrinters) throws Invalid {
    if (!(data.get("printers") instanceof List<?> list)) {
      throw new Invalid("printers must be a list");
    }
    if (list.size() > maxPrinters) {
      throw new Invalid("at most " + maxPrinters + " printers per agent, got " + list.size());
    }
    List<PrinterInfo> printers = new ArrayList<>(list.size());
    Set<String> ids = new HashSet<>();
    for (Object item : list) {
      if (!(item instanceof Map<?, ?> p) || !(p.get("id") instanceof String id) || id.isBlank()) {
        throw new Invalid("each printer needs an id");
      }
      if (id.length() > MAX_ID_LENGTH || !AgentText.isPlain(id)) {
        throw new Invalid(
            "a printer id has at most " + MAX_ID_LENGTH + " characters and no control characters");
      }
      if (!ids.add(id)) {
        throw new Invalid("printer " + id + " is listed twice");
      }
      Object name = p.get("name") == null ? id : p.get("name");
      if (!(name instanceof String n) || n.length() > MAX_NAME_LENGTH || !AgentText.isPlain(n)) {
        throw new Invalid(
            "a printer name is text of at most "
                + MAX_NAME_LENGTH
                + " characters, no control characters");
      }
      Object status = p.get("status") == null ? "online" : p.get("status");
      if (!(status instanceof String s) || !STATUSES.contains(s)) {
        throw new Invalid(
            "a printer status is one of " + String.join(", ", STATUSES.stream().sorted().toList()));
      }
      printers.add(new PrinterInfo(id, n, s));
    }
    return printers;
  }

  /** A {@code printer.status}: a printer id, a known status and an optional bounded detail. */
  static PrinterStatus printerStatus(Map<String, ?> data) throws Invalid {
    if (!(data.get("printerId") instanceof String printerId)
        || printerId.isBlank()
        || !(data.get("status") instanceof String status)
        || !STATUSES.contains(status)) {
      throw new Invalid("printerId and a known status are required");
    }
    return new PrinterStatus(printerId, status, freeText(data, "detail"));
  }

  /** A {@code job.result}: a plain job id, printed or failed, and an optional bounded error. */
  static Result result(Map<String, ?> data) throws Invalid {
    if (!(data.get("jobId") instanceof String jobId)
        || jobId.isBlank()
        || jobId.length() > AgentText.MAX_JOB_ID_LENGTH
        || !AgentText.isPlain(jobId)
        || !(data.get("outcome") instanceof String outcome)
        || !("printed".equals(outcome) || "failed".equals(outcome))) {
      throw new Invalid("jobId and an outcome of printed or failed are required");
    }
    return new Result(jobId, outcome, freeText(data, "error"));
  }

  private static String freeText(Map<String, ?> data, String field) throws Invalid {
    Object value = data.get(field);
    if (value == null) {
      return null;
    }
    if (value instanceof String text && AgentText.isFreeText(text, AgentText.MAX_DETAIL_LENGTH)) {
      return text;
    }
    throw new Invalid(
        field
            + " is text of at most "
            + AgentText.MAX_DETAIL_LENGTH
            + " characters without control characters");
  }
}
