package dev.printfleet.printing.printers;

import dev.printfleet.common.messages.PrinterInfo;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Optional;

/**
 * The printers table, written from the gateway's agent and printer events. Writes are idempotent.
 */
public final class PrinterStore {

  /**
   * An agent's whole list in one statement, whatever its length: the listed printers upserted from
   * the arrays ({@code $4} ids, {@code $5} names, {@code $6} statuses), the agent's printers
   * missing from them deleted. Both parts see the same snapshot and touch disjoint rows, and the
   * statement is atomic on its own. The ids are unique (the gateway refuses a list that repeats
   * one). A printer of another branch of the company is not the agent's to take (it would receive
   * that branch's jobs): a list naming one changes nothing, and the statement returns those ids.
   * The upsert's own condition keeps that true against a concurrent insert from the other branch.
   * Two lists, or a list and a connect, of the same agent written at once by two instances must
   * wait for each other, not deadlock: before touching a row, each statement takes the agent's
   * transaction-level advisory lock ({@code agent}; {@link #SET_ONLINE} takes the same one), then
   * locks the rows it may touch in id order ({@code locked}, read first by the upsert and the
   * delete) for writers of other agents (a printer moving to another agent). Row locks alone do not
   * do it: an upsert also locks rows committed after its snapshot, out of any order.
   */
  static final String SYNC =
      "WITH listed AS (SELECT * FROM unnest($4::text[], $5::text[], $6::text[]) AS l(id, name, status)),"
          + " agent AS (SELECT pg_advisory_xact_lock(hashtext($1), hashtext($3))),"
          + " locked AS (SELECT id FROM printers WHERE company = $1 AND (agent_id = $3 OR id = ANY($4))"
          + " AND (SELECT count(*) FROM agent) > 0 ORDER BY id FOR UPDATE),"
          + " taken AS (SELECT p.id FROM printers p JOIN listed l ON l.id = p.id WHERE p.company = $1 AND p.branch <> $2),"
          + " upserted AS (INSERT INTO printers (company, id, name, branch, agent_id, status, online, last_seen, updated_at)"
          + " SELECT $1, l.id, l.name, $2, $3, l.status, true, now(), now() FROM listed l"
          + " WHERE NOT EXISTS (SELECT 1 FROM taken) AND (SELECT count(*) FROM locked) >= 0 ORDER BY l.id"
          + " ON CONFLICT (company, id) DO UPDATE SET name = EXCLUDED.name,"
          + " agent_id = EXCLUDED.agent_id, status = EXCLUDED.status, online = true, last_seen = now(), updated_at = now()"
          + " WHERE printers.branch = EXCLUDED.branch"
          + " RETURNING 1),"
          + " removed AS (DELETE FROM printers WHERE company = $1 AND agent_id = $3 AND NOT (id = ANY($4))"
          + " AND NOT EXISTS (SELECT 1 FROM taken) AND (SELECT count(*) FROM locked) >= 0 RETURNING 1)"
          + " SELECT (SELECT count(*) FROM upserted) AS upserted, (SELECT count(*) FROM removed) AS removed,"
          + " (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM taken) AS taken";

  /**
   * An agent's connect or disconnect at {@code $4}: only one newer than the last one written
   * changes its printers. It takes the agent's advisory lock first, as a printer list does (see
   * {@link #SYNC}), then the rows in id order.
   */
  static final String SET_ONLINE =
      "WITH agent AS (SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2)))"
          + " UPDATE printers p SET online = $3, online_changed_at = $4, last_seen = now(), updated_at = now()"
          + " FROM (SELECT company, id FROM printers WHERE company = $1 AND agent_id = $2"
          + " AND (online_changed_at IS NULL OR online_changed_at < $4) AND (SELECT count(*) FROM agent) > 0"
          + " ORDER BY id FOR UPDATE) l"
          + " WHERE p.company = l.company AND p.id = l.id";

  /** PostgreSQL's SQLSTATE for a deadlock it broke by failing one statement. */
  private static final String DEADLOCK = "40P01";

  /**
   * The latest status of many printers in one statement ({@code $1..$4}: companies, printer ids,
   * reporting agents, statuses), each only from the printer's own agent. Rows are locked in key
   * order, so two instances writing the same printers wait for each other rather than deadlock.
   */
  static final String SET_STATUSES =
      "WITH reported AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])"
          + " AS r(company, id, agent_id, status)),"
          + " target AS (SELECT p.company, p.id, reported.status FROM printers p JOIN reported"
          + " ON p.company = reported.company AND p.id = reported.id AND p.agent_id = reported.agent_id"
          + " ORDER BY p.company, p.id FOR NO KEY UPDATE OF p)"
          + " UPDATE printers p SET status = target.status, last_seen = now(), updated_at = now() FROM target"
          + " WHERE p.company = target.company AND p.id = target.id";

  static final String FIND =
      "SELECT id, name, branch, agent_id, status, online, last_seen FROM printers WHERE company = $1 AND id = $2";

  static final String LIST =
      "SELECT id, name, branch, agent_id, status, online, last_seen FROM printers"
          + " WHERE company = $1 AND ($2::text IS NULL OR branch = $2) ORDER BY branch, id LIMIT 5000";

  private final Pool pool;

  public PrinterStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * An agent's full printer list: upserted, and its printers missing from the list removed. The
   * answer is the listed ids that belong to another branch of the company; when there are any,
   * nothing was written.
   */
  public Future<List<String>> sync(
      String company, String branch, String agentId, List<PrinterInfo> printers) {
    String[] ids = printers.stream().map(PrinterInfo::id).toArray(String[]::new);
    String[] names = printers.stream().map(PrinterInfo::name).toArray(String[]::new);
    String[] statuses = printers.stream().map(PrinterInfo::status).toArray(String[]::new);
    return pool.preparedQuery(SYNC)
        .execute(Tuple.of(company, branch, agentId, ids, names, statuses))
        .map(rows -> List.of(rows.iterator().next().getArrayOfStrings("taken")));
  }

  public Future<Void> setOnline(
      String company, String agentId, boolean online, java.time.Instant at) {
    var args =
        Tuple.of(
            company,
            agentId,
            online,
            java.time.OffsetDateTime.ofInstant(at, java.time.ZoneOffset.UTC));
    // The rows of a printer list's delete are not ordered with the rest: a rare deadlock with it is
    // tried once more (the statement is idempotent), not reported.
    return pool.preparedQuery(SET_ONLINE)
        .execute(args)
        .recover(
            e ->
                e instanceof io.vertx.pgclient.PgException pg && DEADLOCK.equals(pg.getSqlState())
                    ? pool.preparedQuery(SET_ONLINE).execute(args)
                    : Future.failedFuture(e))
        .mapEmpty();
  }

  /**
   * A status reported by a printer's agent, waiting to be written with others ({@link
   * #setStatuses}).
   */
  public record ReportedStatus(String company, String printerId, String agentId, String status) {}

  /** The latest statuses of many printers in one statement; see {@link #SET_STATUSES}. */
  public Future<Void> setStatuses(List<ReportedStatus> statuses) {
    int n = statuses.size();
    String[] companies = new String[n];
    String[] ids = new String[n];
    String[] agents = new String[n];
    String[] values = new String[n];
    for (int i = 0; i < n; i++) {
      var s = statuses.get(i);
      companies[i] = s.company();
      ids[i] = s.printerId();
      agents[i] = s.agentId();
      values[i] = s.status();
    }
    return pool.preparedQuery(SET_STATUSES)
        .execute(Tuple.tuple().addValue(companies).addValue(ids).addValue(agents).addValue(values))
        .mapEmpty();
  }

  public Future<Optional<Printer>> find(String company, String printerId) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(company, printerId))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(Printer.fromRow(rows.iterator().next())));
  }

  public Future<List<Printer>> list(String company, String branch) {
    return pool.preparedQuery(LIST)
        .execute(Tuple.of(company, branch))
        .map(
            rows -> {
              var list = new java.util.ArrayList<Printer>();
              rows.forEach(row -> list.add(Printer.fromRow(row)));
              return list;
            });
  }

  /** A printer row. */
  public record Printer(
      String id,
      String name,
      String branch,
      String agentId,
      String status,
      boolean online,
      java.time.OffsetDateTime lastSeen) {

    static Printer fromRow(Row row) {
      return new Printer(
          row.getString("id"),
          row.getString("name"),
          row.getString("branch"),
          row.getString("agent_id"),
          row.getString("status"),
          row.getBoolean("online"),
          row.getOffsetDateTime("last_seen"));
    }

    public JsonObject toJson(String circuit) {
      return new JsonObject()
          .put("id", id)
          .put("name", name)
          .put("branch", branch)
          .put("agentId", agentId)
          .put("status", status)
          .put("online", online)
          .put("lastSeen", lastSeen == null ? null : lastSeen.toInstant().toString())
          .put("circuit", circuit);
    }
  }

  public static JsonArray toJson(
      List<Printer> printers, java.util.function.Function<String, String> circuitOf) {
    var items = new JsonArray();
    printers.forEach(p -> items.add(p.toJson(circuitOf.apply(p.id()))));
    return items;
  }
}
