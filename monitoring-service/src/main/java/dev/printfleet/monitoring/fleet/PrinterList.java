package dev.printfleet.monitoring.fleet;

import dev.printfleet.monitoring.circuits.CircuitDirectory;
import dev.printfleet.monitoring.cluster.InstanceStatus;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fleet's printers one row each, worst first, for {@code GET /monitoring/fleet} and the
 * dashboard's printer table: filtered by state, company, branch and a search text, counted by
 * state, read a page at a time.
 */
public final class PrinterList {

  /** A printer's state, worst first: the order of the table. */
  public enum State {
    /**
     * Its agent is online and it reports {@code error} or {@code paper_out}, or its circuit is not
     * closed.
     */
    FAILING,
    /** Its agent is offline, or it reports {@code offline}. */
    OFFLINE,
    BUSY,
    ONLINE;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    static State parse(String text) {
      for (State s : values()) {
        if (s.wire().equals(text)) {
          return s;
        }
      }
      return null;
    }
  }

  /** One printer; {@code circuit} is its breaker's worst state on a live instance, or null. */
  public record Row(
      String company,
      String branch,
      String agentId,
      String printerId,
      String status,
      boolean agentOnline,
      long sinceMs,
      String circuit,
      State state) {

    public JsonObject toJson() {
      return new JsonObject()
          .put("company", company)
          .put("branch", branch)
          .put("agentId", agentId)
          .put("printerId", printerId)
          .put("status", status)
          .put("agentOnline", agentOnline)
          .put("since", sinceMs)
          .put("circuit", circuit)
          .put("state", state.wire());
    }
  }

  /** What a page shows: a null or empty filter takes everything. */
  public record Query(
      State state, String company, String branch, String text, int offset, int limit) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;
    static final int MAX_OFFSET = 1_000_000;
    static final int MAX_TEXT = 100;

    /**
     * Reads {@code state}, {@code company}, {@code branch}, {@code q}, {@code offset}, {@code
     * limit}; throws {@link IllegalArgumentException} naming the field of a bad one.
     */
    public static Query from(MultiMap params) {
      String stateText = params.get("state");
      State state = null;
      if (stateText != null && !stateText.isEmpty()) {
        state = State.parse(stateText);
        if (state == null) {
          throw new IllegalArgumentException("state: one of failing, offline, busy, online");
        }
      }
      return new Query(
          state,
          text(params, "company"),
          text(params, "branch"),
          text(params, "q"),
          number(params, "offset", 0, 0, MAX_OFFSET),
          number(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT));
    }

    private static String text(MultiMap params, String name) {
      String value = params.get(name);
      if (value == null || value.isEmpty()) {
        return null;
      }
      if (value.length() > MAX_TEXT) {
        throw new IllegalArgumentException(name + ": at most " + MAX_TEXT + " characters");
      }
      return value;
    }

    private static int number(MultiMap params, String name, int fallback, int min, int max) {
      String value = params.get(name);
      if (value == null || value.isEmpty()) {
        return fallback;
      }
      try {
        int n = Integer.parseInt(value);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // answered below
      }
      throw new IllegalArgumentException(name + ": a whole number from " + min + " to " + max);
    }

    boolean matches(Row row) {
      if (company != null && !company.equals(row.company())) {
        return false;
      }
      if (branch != null && !branch.equals(row.branch())) {
        return false;
      }
      if (text != null) {
        String needle = text.toLowerCase(Locale.ROOT);
        return contains(row.printerId(), needle)
            || contains(row.agentId(), needle)
            || contains(row.branch(), needle)
            || contains(row.company(), needle);
      }
      return true;
    }

    private static boolean contains(String value, String needle) {
      return value != null && value.toLowerCase(Locale.ROOT).contains(needle);
    }
  }

  // A record loaded from an older store may lack a field: sorted first, never a 500.
  private static final Comparator<String> TEXT = Comparator.nullsFirst(Comparator.naturalOrder());
  private static final Comparator<Row> WORST_FIRST =
      Comparator.comparing(Row::state)
          .thenComparing(Row::company, TEXT)
          .thenComparing(Row::branch, TEXT)
          .thenComparing(Row::agentId, TEXT)
          .thenComparing(Row::printerId, TEXT);

  private PrinterList() {}

  /**
   * The printers of these agents, each with the state of its circuit (named {@code
   * company/printerId}) from the circuits of live instances.
   */
  public static List<Row> rows(
      Collection<AgentRecord> agents, List<CircuitDirectory.Circuit> circuits) {
    Map<String, String> circuitByName = circuitStates(circuits);
    List<Row> rows = new ArrayList<>();
    for (AgentRecord agent : agents) {
      rows.addAll(rows(agent, circuitByName));
    }
    return rows;
  }

  /** Each circuit's worst state on the live instances that hold it, by name. */
  public static Map<String, String> circuitStates(List<CircuitDirectory.Circuit> circuits) {
    Map<String, String> circuitByName = new HashMap<>();
    for (CircuitDirectory.Circuit c : circuits) {
      if (c.instanceStatus() != InstanceStatus.DOWN) {
        circuitByName.merge(c.name(), c.state(), PrinterList::worse);
      }
    }
    return circuitByName;
  }

  /** The rows of one agent, with {@link #circuitStates}. */
  public static List<Row> rows(AgentRecord agent, Map<String, String> circuitByName) {
    List<Row> rows = new ArrayList<>(agent.printers().size());
    agent
        .printers()
        .forEach(
            (printerId, status) -> {
              String circuit = circuitByName.get(agent.company() + "/" + printerId);
              rows.add(
                  new Row(
                      agent.company(),
                      agent.branch(),
                      agent.agentId(),
                      printerId,
                      status,
                      agent.online(),
                      agent.since().toEpochMilli(),
                      circuit,
                      stateOf(agent.online(), status, circuit)));
            });
    return rows;
  }

  static State stateOf(boolean agentOnline, String status, String circuit) {
    if (!agentOnline || "offline".equals(status)) {
      return State.OFFLINE;
    }
    if ("error".equals(status)
        || "paper_out".equals(status)
        || (circuit != null && !"CLOSED".equals(circuit))) {
      return State.FAILING;
    }
    return "busy".equals(status) ? State.BUSY : State.ONLINE;
  }

  private static String worse(String a, String b) {
    return rank(a) >= rank(b) ? a : b;
  }

  private static int rank(String circuit) {
    return switch (circuit) {
      case "OPEN" -> 2;
      case "HALF_OPEN" -> 1;
      default -> 0;
    };
  }

  /**
   * The dashboard stream's {@code fleet} event for these changed agents: {@code rows}, every
   * printer of each, or {@code reload: true} (with {@code agents}, how many changed) when they hold
   * more than {@code maxRows} printers, so one event stays bounded whatever an agent holds.
   */
  public static JsonObject changes(
      List<AgentRecord> agents, Map<String, String> circuitByName, int maxRows, int changed) {
    var rows = new JsonArray();
    for (AgentRecord agent : agents) {
      if (rows.size() + agent.printers().size() > maxRows) {
        return new JsonObject().put("reload", true).put("agents", changed);
      }
      rows(agent, circuitByName).forEach(r -> rows.add(r.toJson()));
    }
    return new JsonObject().put("reload", false).put("rows", rows);
  }

  /** Printers by state, every state named (0 when none). */
  public static JsonObject counts(List<Row> rows) {
    Map<State, Integer> counts = new EnumMap<>(State.class);
    for (State s : State.values()) {
      counts.put(s, 0);
    }
    rows.forEach(r -> counts.merge(r.state(), 1, Integer::sum));
    var json = new JsonObject();
    counts.forEach((s, n) -> json.put(s.wire(), n));
    return json.put("total", rows.size());
  }

  /** One page: {@code counts} of the whole fleet, {@code matching} the query, its {@code items}. */
  public static JsonObject page(List<Row> rows, Query query) {
    List<Row> matching = new ArrayList<>();
    for (Row row : rows) {
      if ((query.state() == null || query.state() == row.state()) && query.matches(row)) {
        matching.add(row);
      }
    }
    matching.sort(WORST_FIRST);
    var items = new JsonArray();
    int end = (int) Math.min(matching.size(), (long) query.offset() + query.limit());
    for (int i = query.offset(); i < end; i++) {
      items.add(matching.get(i).toJson());
    }
    return new JsonObject()
        .put("counts", counts(rows))
        .put("matching", matching.size())
        .put("offset", query.offset())
        .put("limit", query.limit())
        .put("items", items);
  }
}
