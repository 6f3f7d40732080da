package dev.printfleet.gateway.agent;

import dev.printfleet.common.messages.PrinterInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a {@code printers.sync} list, all or nothing: a list over the cap, an id or a name over its
 * length or holding a control character, an id given twice or an unknown status refuses the whole
 * list, so nothing of it is stored.
 */
public final class PrinterList {

  public static final int MAX_ID_LENGTH = 128;
  public static final int MAX_NAME_LENGTH = 256;

  static final Set<String> STATUSES = Set.of("online", "offline", "busy", "paper_out", "error");

  /** Why a list was refused; the message goes back to the agent with {@code invalid_data}. */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private PrinterList() {}

  public static List<PrinterInfo> read(Object value, int maxPrinters) throws Refused {
    if (!(value instanceof JsonArray list)) {
      throw new Refused("printers must be a list");
    }
    if (list.size() > maxPrinters) {
      throw new Refused("at most " + maxPrinters + " printers per agent, got " + list.size());
    }
    List<PrinterInfo> printers = new ArrayList<>(list.size());
    Set<String> ids = new HashSet<>();
    for (Object item : list) {
      if (!(item instanceof JsonObject p)
          || !(p.getValue("id") instanceof String id)
          || id.isBlank()) {
        throw new Refused("each printer needs an id");
      }
      if (id.length() > MAX_ID_LENGTH || !AgentText.isPlain(id)) {
        throw new Refused(
            "a printer id has at most " + MAX_ID_LENGTH + " characters and no control characters");
      }
      if (!ids.add(id)) {
        throw new Refused("printer " + id + " is listed twice");
      }
      Object name = p.getValue("name") == null ? id : p.getValue("name");
      if (!(name instanceof String n) || n.length() > MAX_NAME_LENGTH || !AgentText.isPlain(n)) {
        throw new Refused(
            "a printer name is text of at most "
                + MAX_NAME_LENGTH
                + " characters, no control characters");
      }
      Object status = p.getValue("status") == null ? "online" : p.getValue("status");
      if (!(status instanceof String s) || !STATUSES.contains(s)) {
        throw new Refused(
            "a printer status is one of " + String.join(", ", STATUSES.stream().sorted().toList()));
      }
      printers.add(new PrinterInfo(id, n, s));
    }
    return printers;
  }

  public static boolean isStatus(String status) {
    return STATUSES.contains(status);
  }
}
