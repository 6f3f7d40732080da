package dev.printfleet.printing.jobs;

import dev.printfleet.common.presence.AgentKey;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The jobs and job_history tables. Every state change is written with its history row in one
 * statement; PostgreSQL is the source of truth from the moment a job is inserted.
 */
public final class JobStore {

  /** The reason recorded on a job whose agent had no presence when it was claimed. */
  public static final String OFFLINE = "agent offline";

  /**
   * The wait of a job parked for its offline agent: it is not due again until a release (the agent
   * connecting, its presence coming back, or {@link #PARKED_AGENTS}' sweep finding it present).
   * Parked jobs are never looked at by the claim, and a backlog of 100,000 of them costs nothing
   * between releases; before, they were rewritten every offline wait, taking PostgreSQL from every
   * other tenant. Stored as {@code next_attempt_at = 'infinity'}.
   */
  public static final Duration PARKED = Duration.ofSeconds(Long.MAX_VALUE);

  /**
   * The accepting statement's test that the printer {@code p} is still offline, under a share lock
   * (in READ COMMITTED, a row updated by a transaction that committed meanwhile is read again, in
   * its new version, before the test): a connect that marked it online decides against parking.
   */
  private static final String PARK =
      "SELECT 1 FROM printers q WHERE q.company = p.company AND q.id = p.id AND NOT q.online FOR SHARE";

  /** The time a wait of {@code %s} seconds (NULL: {@link #PARKED}) ends. */
  private static final String UNTIL =
      "CASE WHEN %1$s::float8 IS NULL THEN 'infinity'::timestamptz ELSE now() + make_interval(secs => %1$s::float8) END";

  /** The statements' wait parameter: seconds, or NULL for {@link #PARKED}. */
  private static Double seconds(Duration wait) {
    return wait == PARKED ? null : wait.toMillis() / 1000.0;
  }

  static final String COLUMNS =
      "id, company, branch, printer_id, state, attempts, copies, content_type, created_at, updated_at, error";

  /**
   * {@link #COLUMNS} of the updated row {@code j}, in statements that join it to {@link #KEYED}.
   */
  private static final String J_COLUMNS = COLUMNS.replaceAll("(\\w+)", "j.$1");

  /**
   * The job {@code $1} found by its key alone and locked, as {@code k}; the statement then decides
   * on its state. With the state in the same scan ({@code id = $1 AND state = 'queued'}), a generic
   * plan made while the table is young (every pooled connection makes one after five runs) scans a
   * partial index of all queued jobs, or an index of the whole company, for each single job: a cost
   * that grows with the queue, on the writes every job makes. A locking CTE is planned on its own
   * (the state test is not pushed into it, as it would be into a subquery), so it keeps to the key.
   */
  private static final String KEYED =
      "k AS (SELECT id, state, leased_at, next_attempt_at FROM jobs WHERE id = $1 FOR NO KEY UPDATE)";

  /**
   * A queued job whose lease runs: a claim (or its accepting statement) leased it and it is on its
   * way to its agent or at it, its {@code dispatched} maybe still unwritten (the result grace).
   * {@code %s} is the row's alias.
   */
  private static final String LIVE_LEASE =
      "(%1$s.leased_at IS NOT NULL AND %1$s.next_attempt_at > now())";

  /**
   * {@link #recorded} for an update of the job {@code $1} that joins it as {@code k} ({@link
   * #KEYED}).
   */
  static String recordedByKey(String update, String detail, String onlyWhen) {
    return "WITH " + KEYED + "," + recorded(update, detail, onlyWhen).substring("WITH".length());
  }

  /**
   * A state change and its history row in one statement: atomic on its own and one round trip.
   * {@code update} ends with {@code RETURNING COLUMNS}; {@code detail} is an expression (a
   * parameter).
   */
  static String recorded(String update, String detail, String onlyWhen) {
    return "WITH changed AS ("
        + update
        + "),"
        + " logged AS (INSERT INTO job_history (job_id, state, detail) SELECT id, state, "
        + detail
        + " FROM changed"
        + (onlyWhen == null ? "" : " WHERE " + onlyWhen)
        + ")"
        + " SELECT * FROM changed";
  }

  /**
   * Accepts a job for a printer the caller may see ({@code $8}: the caller's branches, NULL for
   * all); the job takes the printer's branch. No row: no such printer for the caller, or the
   * idempotency key was used already.
   *
   * <p>With a lease ({@code $9} seconds, NULL for none), the printer's agent online and no other
   * job of the printer due or waiting after a re-queue (jobs keep their order: those go first), the
   * job is written already leased to this instance and marked as that agent's, as a claim would:
   * the caller sends it at once ({@code agent_id} not null), and the claim loop takes it only if
   * the lease runs out first. A job of the printer only being sent (leased, never re-queued: no
   * error) does not hold the new one back: under load most printers have one, and every job would
   * go by the claim.
   *
   * <p>A job for a printer whose agent is offline is written parked ({@link #PARKED}, {@link
   * #OFFLINE}), as the claim would park it: a backlog for an offline agent is written once, never
   * claimed and rewritten. The printer row is then share-locked and read again, so an agent's
   * connect cannot slip between: its {@code online} write waits for this statement to commit (and
   * the release that follows it sees the job), or it committed first and the job is written due
   * ({@link #PARK}).
   */
  static final String INSERT =
      recorded(
          "INSERT INTO jobs (id, company, branch, printer_id, state, copies, content_type, content, idempotency_key,"
              + " next_attempt_at, dispatched_to, leased_at, error)"
              + " SELECT $1, $2, p.branch, $3, 'queued', $4, $5, $6, $7,"
              + " CASE WHEN push THEN now() + make_interval(secs => $9) WHEN park THEN 'infinity' ELSE now() END,"
              + " CASE WHEN push THEN p.agent_id END, CASE WHEN push THEN clock_timestamp() END,"
              + " CASE WHEN park THEN '"
              + OFFLINE
              + "' END"
              + " FROM printers p, LATERAL (SELECT $9::float8 IS NOT NULL AND p.online AND NOT EXISTS (SELECT 1 FROM jobs w"
              + "   WHERE w.company = $2 AND w.printer_id = $3 AND w.state = 'queued'"
              + "   AND (w.next_attempt_at <= now() OR w.error IS NOT NULL))) AS go(push),"
              + " LATERAL (SELECT CASE WHEN p.online THEN false ELSE EXISTS ("
              + PARK
              + ") END) AS offline(park)"
              + " WHERE p.company = $2 AND p.id = $3 AND ($8::text[] IS NULL OR p.branch = ANY($8))"
              + " ON CONFLICT (company, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
              + " RETURNING "
              + COLUMNS
              + ", dispatched_to AS agent_id, leased_at",
          "'accepted'",
          null);

  static final String FIND_BY_KEY =
      "SELECT " + COLUMNS + " FROM jobs WHERE company = $1 AND idempotency_key = $2";

  static final String FIND = "SELECT " + COLUMNS + " FROM jobs WHERE id = $1";

  /**
   * A page of a company's jobs, newest first, after a cursor; {@code $5} limits it to the branches
   * a user may see (NULL: all of them).
   */
  static final String LIST =
      "SELECT "
          + COLUMNS
          + " FROM jobs WHERE company = $1"
          + " AND ($2::text IS NULL OR printer_id = $2)"
          + " AND ($3::text IS NULL OR branch = $3)"
          + " AND ($4::text IS NULL OR state = $4)"
          + " AND ($5::text[] IS NULL OR branch = ANY($5))"
          + " AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7::uuid))"
          + " ORDER BY created_at DESC, id DESC LIMIT $8";

  /**
   * From a partial index, so this stays cheap however many jobs are final. The queued jobs are
   * counted with the per-company cap ({@link QueuedPerCompany}), on its spacing: they may be a
   * backlog of 100,000 parked jobs, the dispatched ones are those in flight.
   */
  static final String DISPATCHED_NOW =
      "SELECT count(*) AS dispatched FROM jobs WHERE state = 'dispatched'";

  static final String HISTORY =
      "SELECT state, at, detail FROM job_history WHERE job_id = $1 ORDER BY seq";

  /**
   * Not a job whose lease runs ({@link #LIVE_LEASE}): it is on its way to its agent, or printing.
   */
  static final String CANCEL =
      recordedByKey(
          "UPDATE jobs j SET state = 'cancelled', leased_at = NULL, updated_at = now() FROM k"
              + " WHERE j.id = k.id AND k.state = 'queued' AND NOT "
              + LIVE_LEASE.formatted("k")
              + " RETURNING "
              + J_COLUMNS,
          "'cancelled by request'",
          null);

  /**
   * Leases due queued jobs to this dispatcher: their next attempt moves past the lease, so another
   * instance skips them (SKIP LOCKED) now and takes them again only if this one dies. Without their
   * content (its size only): a claim of 100 jobs of 1 MiB would otherwise hold 100 MiB at once;
   * {@link #CONTENT} reads one job's content just before its send. The job is marked as its
   * printer's agent's before it is sent: only that agent's result counts.
   */
  static final String CLAIM =
      "UPDATE jobs j SET next_attempt_at = now() + make_interval(secs => $2), leased_at = clock_timestamp(),"
          + " updated_at = now(),"
          + " dispatched_to = (SELECT p.agent_id FROM printers p WHERE p.company = j.company AND p.id = j.printer_id)"
          + " FROM (SELECT id FROM jobs WHERE state = 'queued' AND next_attempt_at <= now()"
          + "       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due"
          + " WHERE j.id = due.id"
          + " RETURNING j.id, j.company, j.branch, j.printer_id, j.attempts, j.copies, j.content_type, octet_length(j.content) AS content_bytes,"
          + " j.created_at, j.dispatched_to AS agent_id, j.leased_at";

  /**
   * One leased job's content, while it is still queued (not cancelled or expired meanwhile): NULL
   * otherwise. The state is looked at on the row found by its key (see {@link #KEYED}).
   */
  static final String CONTENT =
      "SELECT CASE WHEN state = 'queued' THEN content END AS content FROM jobs WHERE id = $1";

  static final String MARK_DISPATCHED =
      recordedByKey(
          "UPDATE jobs j SET state = 'dispatched', attempts = j.attempts + 1, dispatched_at = now(), updated_at = now(),"
              + " error = NULL, leased_at = NULL FROM k WHERE j.id = k.id AND k.state = 'queued' AND k.leased_at = $3"
              + " RETURNING "
              + J_COLUMNS,
          "$2::text",
          null);

  /**
   * When a job put back after a wait is due: after the wait, unless its lease ran out meanwhile (it
   * stays due) or it was released while this instance held it (its agent connected, or its presence
   * came back, after the lease began: {@code released_at}), when it is due from its creation.
   * Without this, a job whose dispatch was under way when its agent reconnected would miss that
   * release and wait. {@code %1$s} is the row's alias, {@code %2$s} the wait in seconds.
   */
  private static final String AFTER_WAIT =
      "CASE WHEN %1$s.next_attempt_at <= now() THEN %1$s.next_attempt_at"
          + " WHEN %1$s.released_at >= %1$s.leased_at THEN %1$s.created_at"
          + " ELSE "
          + UNTIL.replace("%1$s", "%2$s")
          + " END";

  /**
   * Back to the queue. A failed attempt writes its reason to the history (at most one row per
   * attempt), and so does becoming failed; a job that was not tried (agent offline or busy, circuit
   * open) writes nothing, however often it comes back.
   */
  static final String REQUEUE =
      recordedByKey(
          "UPDATE jobs j SET state = $2, attempts = j.attempts + $3,"
              + " next_attempt_at = "
              + AFTER_WAIT.formatted("j", "$4")
              + ", leased_at = NULL,"
              + " error = $5, updated_at = now() FROM k WHERE j.id = k.id AND k.state = 'queued' AND k.leased_at = $6"
              + " RETURNING "
              + J_COLUMNS,
          "$5::text",
          "state = 'failed' OR $3 = 1");

  /**
   * An agent's result. It may overtake the dispatcher's {@code dispatched} write (a fast printer
   * answers before that write lands): the job is then still queued, and the result writes the
   * dispatch too (its time, the attempt and a {@code dispatched} history row before the outcome's),
   * so the job's history keeps the contract's order. {@code was_queued} tells the caller. Only the
   * agent the job was leased to ({@code $5}, of company {@code $2}) may report it.
   */
  static final String RECORD_RESULT =
      "WITH was AS (SELECT id, state, company, dispatched_to FROM jobs WHERE id = $1 FOR NO KEY UPDATE),"
          + " changed AS (UPDATE jobs j SET state = $3, error = $4, updated_at = now(),"
          + " dispatched_at = COALESCE(j.dispatched_at, now()),"
          + " attempts = CASE WHEN was.state = 'queued' THEN j.attempts + 1 ELSE j.attempts END"
          + " FROM was WHERE j.id = was.id AND was.company = $2 AND was.dispatched_to = $5"
          + " AND was.state IN ('dispatched', 'queued')"
          + " RETURNING "
          + J_COLUMNS
          + ", was.state = 'queued' AS was_queued),"
          + " logged AS (INSERT INTO job_history (job_id, state, detail)"
          + " SELECT changed.id, entry.state, entry.detail FROM changed, LATERAL (VALUES"
          + " (1, 'dispatched', 'sent; written with its result'), (2, changed.state, $4::text))"
          + " AS entry(n, state, detail) WHERE entry.n = 2 OR changed.was_queued ORDER BY entry.n)"
          + " SELECT * FROM changed";

  /**
   * {@link #RECORD_RESULT} for a batch of results in one statement ({@link GroupCommit.SetForm}):
   * arrays of the jobs ({@code $1}), companies, outcomes, errors and agents ({@code $5}), in the
   * batch's order; each row returned names its result's place ({@code call}, from 1). The jobs are
   * locked in key order ({@link #BY_JOB_ID} sorts the batch the same way), each by its key alone
   * ({@code OFFSET 0} keeps the tests on its state out of the locking scan, as {@link #KEYED} says
   * why). Of a job's results in the batch, the first that a lone result would have written is
   * written; the others change nothing, as they would after it.
   */
  static final String RECORD_RESULTS =
      "WITH input AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])"
          + " WITH ORDINALITY AS i(id, company, outcome, error, agent, call) ORDER BY id, call),"
          + " was AS (SELECT DISTINCT ON (input.id) input.*, w.state FROM input,"
          + " LATERAL (SELECT state, company, dispatched_to FROM jobs WHERE id = input.id OFFSET 0 FOR NO KEY UPDATE) w"
          + " WHERE w.company = input.company AND w.dispatched_to = input.agent AND w.state IN ('dispatched', 'queued')"
          + " ORDER BY input.id, input.call),"
          + " changed AS (UPDATE jobs j SET state = was.outcome, error = was.error, updated_at = now(),"
          + " dispatched_at = COALESCE(j.dispatched_at, now()),"
          + " attempts = CASE WHEN was.state = 'queued' THEN j.attempts + 1 ELSE j.attempts END"
          + " FROM was WHERE j.id = was.id"
          + " RETURNING "
          + J_COLUMNS
          + ", was.state = 'queued' AS was_queued, was.call),"
          + " logged AS (INSERT INTO job_history (job_id, state, detail)"
          + " SELECT changed.id, entry.state, entry.detail FROM changed, LATERAL (VALUES"
          + " (1, 'dispatched', 'sent; written with its result'), (2, changed.state, changed.error))"
          + " AS entry(n, state, detail) WHERE entry.n = 2 OR changed.was_queued ORDER BY changed.call, entry.n)"
          + " SELECT * FROM changed";

  /** {@link #RECORD_RESULTS}' arrays from a batch of {@link #RECORD_RESULT}'s arguments. */
  private static Tuple resultArrays(List<Tuple> calls) {
    int n = calls.size();
    var ids = new UUID[n];
    var companies = new String[n];
    var outcomes = new String[n];
    var errors = new String[n];
    var agents = new String[n];
    for (int i = 0; i < n; i++) {
      Tuple call = calls.get(i);
      ids[i] = call.getUUID(0);
      companies[i] = call.getString(1);
      outcomes[i] = call.getString(2);
      errors[i] = call.getString(3);
      agents[i] = call.getString(4);
    }
    // Each array one value (Tuple.of would spread a last array argument as its varargs).
    return Tuple.tuple()
        .addValue(ids)
        .addValue(companies)
        .addValue(outcomes)
        .addValue(errors)
        .addValue(agents);
  }

  /**
   * A result that changed nothing is a duplicate when the job is final and was this agent's (or was
   * dispatched before jobs recorded their agent); anything else was never sent to this agent.
   */
  static final String FINAL_FOR_AGENT =
      "SELECT company = $2 AND (dispatched_to = $3 OR (dispatched_to IS NULL AND dispatched_at IS NOT NULL))"
          + " AND state NOT IN ('queued', 'dispatched') AS duplicate FROM jobs WHERE id = $1";

  /**
   * What a release writes on a queued job ({@code %s}: the row): due now, unless its lease runs
   * ({@link #LIVE_LEASE}): then it may be printing at its agent, and sending it again would print
   * it twice; it keeps its lease, and the release is noted ({@code released_at}), so that a send
   * failing afterwards puts it back due at once ({@link #AFTER_WAIT}). Both times are those of the
   * row's write ({@code clock_timestamp()}), not of their transactions' start: a release that
   * waited for a claim's lock is after that lease, and one the claim waited for (it skips locked
   * rows) is not.
   */
  private static final String RELEASED =
      "next_attempt_at = CASE WHEN "
          + LIVE_LEASE
          + " THEN %1$s.next_attempt_at"
          + " ELSE %1$s.created_at END, released_at = clock_timestamp()";

  /**
   * An agent's queued jobs are due now. Released jobs are due from their creation, so the claim
   * (oldest due first) takes them in the order they were accepted: the job that waited longest for
   * its agent goes first, not a random one of them.
   */
  static final String RELEASE_FOR_AGENT =
      "UPDATE jobs SET "
          + RELEASED.formatted("jobs")
          + " WHERE state = 'queued' AND company = $1"
          + " AND printer_id IN (SELECT id FROM printers WHERE company = $1 AND agent_id = $2)";

  /**
   * Jobs waiting because their agent looked offline: due now (presence may have been lost, not the
   * agent).
   */
  static final String RELEASE_OFFLINE =
      "UPDATE jobs SET "
          + RELEASED.formatted("jobs")
          + " WHERE state = 'queued' AND next_attempt_at > now()"
          + " AND error = '"
          + OFFLINE
          + "'";

  /**
   * Agents whose presence came back ({@code $1} companies, {@code $2} agent ids): their queued jobs
   * are due now.
   */
  static final String RELEASE_FOR_AGENTS =
      "UPDATE jobs j SET "
          + RELEASED.formatted("j")
          + " FROM printers p,"
          + " unnest($1::text[], $2::text[]) AS a(company, agent_id)"
          + " WHERE p.company = a.company AND p.agent_id = a.agent_id"
          + " AND j.state = 'queued' AND j.company = p.company AND j.printer_id = p.id";

  /**
   * An agent's due jobs wait {@code $3} seconds more (NULL: parked, see {@link #PARKED}), in one
   * statement: one claimed job found the agent offline, and its others would each be claimed,
   * looked up and put back one by one (100,000 jobs for an offline agent would be 100,000 writes,
   * taking the database from every other tenant). Its jobs that wait a while (sent back as busy,
   * for a retry or an open circuit) are parked with them: the agent's connect releases them all.
   * Leased jobs (not due) are left to their dispatch, parked ones are not written again, and
   * printers marked online are left too (the agent's connect may have released them since this
   * instance found no presence). No history, as for any job not tried.
   */
  static final String DEFER_AGENT =
      "UPDATE jobs j SET next_attempt_at = "
          + UNTIL.formatted("$3")
          + ", error = $4, leased_at = NULL,"
          + " updated_at = now() FROM printers p WHERE p.company = $1 AND p.agent_id = $2 AND NOT p.online"
          + " AND j.company = $1 AND j.printer_id = p.id AND j.state = 'queued' AND j.next_attempt_at < 'infinity'"
          + " AND (j.next_attempt_at <= now() OR j.leased_at IS NULL)";

  /**
   * Agents that have parked jobs ({@link #PARKED}), for the sweep that releases those whose agent
   * is present after all (its connect was missed, or written while a claim parked its jobs): one
   * probe of {@code jobs_queued_by_printer} per printer, never a scan of the parked jobs.
   */
  static final String PARKED_AGENTS =
      "SELECT company, agent_id FROM (SELECT DISTINCT p.company, p.agent_id FROM printers p"
          + " WHERE p.agent_id IS NOT NULL AND EXISTS (SELECT 1 FROM jobs j WHERE j.company = p.company"
          + " AND j.printer_id = p.id AND j.state = 'queued' AND j.next_attempt_at = 'infinity')) parked"
          + " ORDER BY random() LIMIT $1";

  /** A printer's due jobs wait {@code $3} seconds more (its circuit is open), in one statement. */
  static final String DEFER_PRINTER =
      "UPDATE jobs SET next_attempt_at = now() + make_interval(secs => $3), error = $4, leased_at = NULL,"
          + " updated_at = now() WHERE company = $1 AND printer_id = $2 AND state = 'queued' AND next_attempt_at <= now()";

  /**
   * A job not sent because its route was gone goes back to the queue without an attempt. Its
   * history says so once per reason: a row only when the reason differs from the job's last one, so
   * a job retried every second for a minute writes one row, not sixty.
   */
  static final String REQUEUE_NOT_SENT =
      "WITH was AS (SELECT id, state, error, leased_at FROM jobs WHERE id = $1 FOR NO KEY UPDATE),"
          + " changed AS (UPDATE jobs j SET next_attempt_at = "
          + AFTER_WAIT.formatted("j", "$2")
          + ", error = $3, leased_at = NULL,"
          + " updated_at = now() FROM was WHERE j.id = was.id AND was.state = 'queued' AND was.leased_at = $4"
          + " RETURNING "
          + J_COLUMNS
          + ", was.error IS DISTINCT FROM $3 AS new_reason),"
          + " logged AS (INSERT INTO job_history (job_id, state, detail) SELECT id, state, $3::text FROM changed"
          + " WHERE new_reason)"
          + " SELECT * FROM changed";

  static final String REDISPATCH_STALE =
      recorded(
          "UPDATE jobs SET state = 'queued', next_attempt_at = now(), leased_at = NULL, updated_at = now()"
              + " WHERE state = 'dispatched' AND dispatched_at < now() - make_interval(secs => $1) RETURNING "
              + COLUMNS,
          "'no result before the deadline, dispatching again'",
          null);

  /**
   * At most {@code $2} finished jobs that finished more than {@code $1} seconds ago, oldest first,
   * from {@code jobs_finished}; their history goes with them (the trigger of migration V6). How
   * many, and how long before the cutoff the last of them finished (after a full batch, the jobs
   * still due finished after it: how far the deletion is behind, at most). Rows another instance is
   * deleting are skipped, not waited for. A finished job is never written again, so what the inner
   * scan found is still finished when it is deleted.
   */
  static final String DELETE_FINISHED =
      "WITH gone AS (DELETE FROM jobs WHERE id IN (SELECT id FROM jobs"
          + " WHERE state IN ('printed', 'failed', 'cancelled', 'expired')"
          + " AND updated_at < now() - make_interval(secs => $1)"
          + " ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING updated_at)"
          + " SELECT count(*) AS deleted, COALESCE(EXTRACT(EPOCH FROM"
          + " now() - make_interval(secs => $1) - max(updated_at)), 0)::float8 AS behind_s FROM gone";

  /**
   * Not a job whose lease runs ({@link #LIVE_LEASE}): it may be at its agent already, its {@code
   * dispatched} waiting for the result ({@code PRINTFLEET_DISPATCH_RESULT_GRACE}). A job waiting in
   * the queue, however it came there, expires.
   */
  static final String EXPIRE =
      recorded(
          "UPDATE jobs SET state = 'expired', leased_at = NULL, updated_at = now()"
              + " WHERE state = 'queued' AND created_at < now() - make_interval(secs => $1)"
              + " AND NOT "
              + LIVE_LEASE.formatted("jobs")
              + " RETURNING "
              + COLUMNS,
          "'queued longer than the job TTL'",
          null);

  /**
   * A job leased to this instance for dispatch, with what the agent needs but its content (read by
   * {@link #content}). {@code leasedAt} is the lease's mark: the writes that end this lease ({@link
   * #markDispatched}, {@link #requeue}, {@link #requeueNotSent}) change the job only while it still
   * carries that mark, so a dispatch that outlived its lease (a long pause) cannot undo another
   * instance's claim of the job made since.
   */
  public record Claimed(
      UUID id,
      String company,
      String branch,
      String printerId,
      String agentId,
      int attempts,
      int copies,
      String contentType,
      int contentBytes,
      OffsetDateTime createdAt,
      OffsetDateTime leasedAt) {}

  /**
   * The outcome of an insert: the job, whether it is new (false: same idempotency key), and, when
   * it was written leased to this instance for its online agent, what to send it with.
   */
  public record Inserted(Job job, boolean created, Optional<Claimed> leased) {}

  /**
   * A result written: the job, and whether it was still queued (its dispatch was written with it).
   */
  public record Recorded(Job job, boolean dispatchWrittenWithIt) {}

  /** Calls of one per-job write that go in one run at most ({@link GroupCommit}). */
  private static final int GROUP_MAX = 64;

  /** As long as a request waits for a connection of the pool (its connection timeout). */
  private static final Duration GROUP_MAX_WAIT = Duration.ofSeconds(5);

  /**
   * Calls by job id in PostgreSQL's order of {@code uuid} (its bytes, unsigned), the order in which
   * {@link #RECORD_RESULTS} locks a batch's jobs: Java's {@code UUID.compareTo} compares signed
   * halves, and a batch of {@code dispatched} writes in that order could deadlock with a batch of
   * results holding the same jobs.
   */
  private static final Comparator<Tuple> BY_JOB_ID =
      (a, b) -> inPostgresOrder((UUID) a.getValue(0), (UUID) b.getValue(0));

  static int inPostgresOrder(UUID a, UUID b) {
    int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return high != 0
        ? high
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  /**
   * The accepting statement's calls by printer ({@code $2} company, {@code $3} printer): a batch
   * share-locks the printers it parks jobs for in key order, as the connect and printer-list writes
   * lock them, so it waits for those rather than deadlock with them.
   */
  private static final Comparator<Tuple> BY_PRINTER =
      Comparator.<Tuple, String>comparing(args -> args.getString(1))
          .thenComparing(args -> args.getString(2));

  private final Pool pool;
  private final GroupCommit inserts;
  private final GroupCommit dispatches;
  private final GroupCommit results;

  /**
   * Each of the three per-job writes has one run under way at a time ({@link GroupCommit}: what
   * comes meanwhile goes in the next run, together), so three connections of the pool at most; the
   * rest stays for the claim, content reads, the API's reads and the readiness check. Two runs at
   * once each half as large cost PostgreSQL a commit, a round trip and a backend's wake-up per run
   * (about a quarter more CPU per job at 1,000 jobs/s on two cores), and under a load it can hardly
   * follow that extra cost is what held it back; one run's wait is a few milliseconds. A run that
   * waits for a row lock (a release or a sweep over many rows) holds its statement's next run back
   * meanwhile.
   */
  public JobStore(Pool pool) {
    this.pool = pool;
    this.inserts = new GroupCommit(pool, INSERT, GROUP_MAX, GROUP_MAX_WAIT, BY_PRINTER);
    this.dispatches = new GroupCommit(pool, MARK_DISPATCHED, GROUP_MAX, GROUP_MAX_WAIT, BY_JOB_ID);
    this.results =
        new GroupCommit(
            pool,
            RECORD_RESULT,
            new GroupCommit.SetForm(RECORD_RESULTS, JobStore::resultArrays),
            GROUP_MAX,
            GROUP_MAX_WAIT,
            BY_JOB_ID);
  }

  /**
   * One statement for the common case. Empty when the printer does not exist for the caller (or the
   * key names a job of a branch the caller may not see).
   */
  public Future<Optional<Inserted>> insert(
      String company,
      List<String> visibleBranches,
      String printerId,
      int copies,
      String contentType,
      byte[] content,
      String idempotencyKey,
      Duration lease) {
    String[] branches = visibleBranches == null ? null : visibleBranches.toArray(String[]::new);
    Tuple job =
        Tuple.tuple()
            .addValue(UUID.randomUUID())
            .addValue(company)
            .addValue(printerId)
            .addValue(copies)
            .addValue(contentType)
            .addValue(Buffer.buffer(content))
            .addValue(idempotencyKey)
            .addValue(branches)
            .addValue(lease == null ? null : lease.toMillis() / 1000.0);
    return insert(job, company, visibleBranches, content.length, idempotencyKey, 1);
  }

  private Future<Optional<Inserted>> insert(
      Tuple job,
      String company,
      List<String> visibleBranches,
      int contentBytes,
      String idempotencyKey,
      int triesLeft) {
    return inserts
        .execute(job)
        .compose(
            rows -> {
              if (rows.size() == 1) {
                Row row = rows.iterator().next();
                Job written = Job.fromRow(row);
                String agent = row.getString("agent_id");
                Optional<Claimed> leased =
                    agent == null
                        ? Optional.empty()
                        : Optional.of(
                            new Claimed(
                                written.id(),
                                written.company(),
                                written.branch(),
                                written.printerId(),
                                agent,
                                written.attempts(),
                                written.copies(),
                                written.contentType(),
                                contentBytes,
                                written.createdAt(),
                                row.getOffsetDateTime("leased_at")));
                return Future.succeededFuture(Optional.of(new Inserted(written, true, leased)));
              }
              if (idempotencyKey == null) {
                return Future.succeededFuture(Optional.empty());
              }
              // The key may be taken: ON CONFLICT waited for that insert to commit, so its job is
              // visible, unless the retention deleted it since (JobRetention): the key is free
              // again, and the insert is tried once more.
              return byKey(company, idempotencyKey)
                  .compose(
                      existing -> {
                        if (existing.isEmpty() && triesLeft > 0) {
                          return insert(
                              job,
                              company,
                              visibleBranches,
                              contentBytes,
                              idempotencyKey,
                              triesLeft - 1);
                        }
                        return Future.succeededFuture(
                            existing
                                .filter(kept -> visibleTo(visibleBranches, kept))
                                .map(kept -> new Inserted(kept, false, Optional.empty())));
                      });
            });
  }

  /** The job accepted earlier with this idempotency key, if the caller may see it. */
  public Future<Optional<Job>> findByKey(
      String company, String idempotencyKey, List<String> visibleBranches) {
    return byKey(company, idempotencyKey)
        .map(found -> found.filter(job -> visibleTo(visibleBranches, job)));
  }

  /** The company's job with this idempotency key, whatever branch it is of. */
  private Future<Optional<Job>> byKey(String company, String idempotencyKey) {
    return pool.preparedQuery(FIND_BY_KEY)
        .execute(Tuple.of(company, idempotencyKey))
        .map(JobStore::first);
  }

  private static boolean visibleTo(List<String> visibleBranches, Job job) {
    return visibleBranches == null || visibleBranches.contains(job.branch());
  }

  public Future<Optional<Job>> find(UUID id) {
    return pool.preparedQuery(FIND).execute(Tuple.of(id)).map(JobStore::first);
  }

  /** What the job list is filtered by; null fields do not filter. */
  public record Filter(
      String company,
      String printerId,
      String branch,
      JobState state,
      List<String> visibleBranches) {}

  /** A page of jobs and, when more may follow, the cursor of the next page. */
  public record Page(List<Job> items, Optional<JobCursor> next) {}

  public Future<Page> list(Filter filter, JobCursor after, int limit) {
    Tuple args =
        Tuple.tuple()
            .addValue(filter.company())
            .addValue(filter.printerId())
            .addValue(filter.branch())
            .addValue(filter.state() == null ? null : filter.state().wire())
            .addValue(
                filter.visibleBranches() == null
                    ? null
                    : filter.visibleBranches().toArray(String[]::new))
            .addValue(after == null ? null : after.createdAt())
            .addValue(after == null ? null : after.id())
            .addValue(limit + 1);
    return pool.preparedQuery(LIST)
        .execute(args)
        .map(
            rows -> {
              List<Job> items = new ArrayList<>();
              rows.forEach(row -> items.add(Job.fromRow(row)));
              if (items.size() <= limit) {
                return new Page(items, Optional.empty());
              }
              List<Job> page = List.copyOf(items.subList(0, limit));
              return new Page(page, Optional.of(JobCursor.after(page.get(limit - 1))));
            });
  }

  /** Jobs dispatched now (their result not in yet). */
  public Future<Long> dispatchedNow() {
    return pool.query(DISPATCHED_NOW).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  public Future<JsonArray> history(UUID id) {
    return pool.preparedQuery(HISTORY)
        .execute(Tuple.of(id))
        .map(
            rows -> {
              var list = new JsonArray();
              for (Row row : rows) {
                var entry =
                    new JsonObject()
                        .put("state", row.getString("state"))
                        .put("at", row.getOffsetDateTime("at").toInstant().toString());
                entry.put("detail", row.getString("detail"));
                list.add(entry);
              }
              return list;
            });
  }

  public Future<Optional<Job>> cancel(UUID id) {
    return pool.preparedQuery(CANCEL).execute(Tuple.of(id)).map(JobStore::first);
  }

  public Future<List<Claimed>> claim(int limit, Duration lease) {
    return pool.preparedQuery(CLAIM)
        .execute(Tuple.of(limit, (double) lease.toSeconds()))
        .map(
            rows -> {
              List<Claimed> claimed = new ArrayList<>();
              for (Row row : rows) {
                claimed.add(
                    new Claimed(
                        row.getUUID("id"),
                        row.getString("company"),
                        row.getString("branch"),
                        row.getString("printer_id"),
                        row.getString("agent_id"),
                        row.getInteger("attempts"),
                        row.getInteger("copies"),
                        row.getString("content_type"),
                        row.getInteger("content_bytes"),
                        row.getOffsetDateTime("created_at"),
                        row.getOffsetDateTime("leased_at")));
              }
              return claimed;
            });
  }

  /** A leased job's content; empty when the job is no longer queued. */
  public Future<Optional<byte[]>> content(UUID id) {
    return pool.preparedQuery(CONTENT)
        .execute(Tuple.of(id))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.<byte[]>empty()
                    : Optional.ofNullable(rows.iterator().next().getBuffer("content"))
                        .map(Buffer::getBytes));
  }

  public Future<Optional<Job>> markDispatched(Claimed job, String detail) {
    return dispatches.execute(Tuple.of(job.id(), detail, job.leasedAt())).map(JobStore::first);
  }

  /**
   * Puts a leased job back: {@code queued} to try again after {@code wait}, or {@code failed};
   * {@code countsAsAttempt} is false when the job was not really tried (agent offline, circuit
   * open).
   */
  public Future<Optional<Job>> requeue(
      Claimed job, JobState state, boolean countsAsAttempt, Duration wait, String error) {
    return pool.preparedQuery(REQUEUE)
        .execute(
            Tuple.of(
                job.id(),
                state.wire(),
                countsAsAttempt ? 1 : 0,
                seconds(wait),
                error,
                job.leasedAt()))
        .map(JobStore::first);
  }

  /**
   * Records an agent's result; empty when the job is unknown, already final, or not leased to this
   * agent ({@link #isFinalFor} tells a duplicate from the others).
   */
  public Future<Optional<Recorded>> recordResult(
      UUID id, String company, String agentId, JobState outcome, String error) {
    return results
        .execute(Tuple.of(id, company, outcome.wire(), error, agentId))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.empty();
              }
              Row row = rows.iterator().next();
              return Optional.of(new Recorded(Job.fromRow(row), row.getBoolean("was_queued")));
            });
  }

  /** Whether the job is final and was this agent's: its result again is a harmless duplicate. */
  public Future<Boolean> isFinalFor(UUID id, String company, String agentId) {
    return pool.preparedQuery(FINAL_FOR_AGENT)
        .execute(Tuple.of(id, company, agentId))
        .map(
            rows ->
                rows.size() > 0
                    && Boolean.TRUE.equals(rows.iterator().next().getBoolean("duplicate")));
  }

  /** An agent connected: its queued jobs are due now. */
  public Future<Integer> releaseForAgent(String company, String agentId) {
    return pool.preparedQuery(RELEASE_FOR_AGENT)
        .execute(Tuple.of(company, agentId))
        .map(RowSet::rowCount);
  }

  /** Every job waiting because its agent looked offline is due now; how many. */
  public Future<Integer> releaseOffline() {
    return pool.query(RELEASE_OFFLINE).execute().map(RowSet::rowCount);
  }

  /** Agents reachable again: their queued jobs are due now, in one statement. */
  public Future<Integer> releaseForAgents(List<String> companies, List<String> agentIds) {
    return pool.preparedQuery(RELEASE_FOR_AGENTS)
        .execute(
            Tuple.tuple()
                .addValue(companies.toArray(String[]::new))
                .addValue(agentIds.toArray(String[]::new)))
        .map(RowSet::rowCount);
  }

  /** Every due job of the agent waits {@code wait} more; how many. See {@link #DEFER_AGENT}. */
  public Future<Integer> deferAgent(String company, String agentId, Duration wait, String reason) {
    return pool.preparedQuery(DEFER_AGENT)
        .execute(Tuple.of(company, agentId, seconds(wait), reason))
        .map(RowSet::rowCount);
  }

  /** Every due job of the printer waits {@code wait} more; how many. */
  public Future<Integer> deferPrinter(
      String company, String printerId, Duration wait, String reason) {
    return pool.preparedQuery(DEFER_PRINTER)
        .execute(Tuple.of(company, printerId, wait.toMillis() / 1000.0, reason))
        .map(RowSet::rowCount);
  }

  /**
   * A leased job not sent (its route was gone) back to the queue, no attempt used; see {@link
   * #REQUEUE_NOT_SENT}.
   */
  public Future<Optional<Job>> requeueNotSent(Claimed job, Duration wait, String reason) {
    return pool.preparedQuery(REQUEUE_NOT_SENT)
        .execute(Tuple.of(job.id(), wait.toMillis() / 1000.0, reason, job.leasedAt()))
        .map(JobStore::first);
  }

  /** Agents with parked jobs ({@link #PARKED_AGENTS}), at most {@code limit}. */
  public Future<List<AgentKey>> parkedAgents(int limit) {
    return pool.preparedQuery(PARKED_AGENTS)
        .execute(Tuple.of(limit))
        .map(
            rows -> {
              List<AgentKey> agents = new ArrayList<>();
              rows.forEach(
                  row ->
                      agents.add(
                          new AgentKey(row.getString("company"), row.getString("agent_id"))));
              return agents;
            });
  }

  public Future<List<Job>> redispatchStale(Duration deadline) {
    return sweep(REDISPATCH_STALE, deadline);
  }

  /** Jobs a deletion took, and how long before its cutoff the last of them finished. */
  public record Deleted(long jobs, Duration behind) {}

  /** Deletes up to {@code batch} jobs finished more than {@code age} ago. */
  public Future<Deleted> deleteFinished(Duration age, int batch) {
    return pool.preparedQuery(DELETE_FINISHED)
        .execute(Tuple.of((double) age.toSeconds(), batch))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              return new Deleted(
                  row.getLong("deleted"),
                  Duration.ofMillis(Math.round(row.getDouble("behind_s") * 1000)));
            });
  }

  public Future<List<Job>> expire(Duration ttl) {
    return sweep(EXPIRE, ttl);
  }

  private Future<List<Job>> sweep(String sql, Duration age) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of((double) age.toSeconds()))
        .map(
            rows -> {
              List<Job> jobs = new ArrayList<>();
              rows.forEach(row -> jobs.add(Job.fromRow(row)));
              return jobs;
            });
  }

  private static Optional<Job> first(Iterable<Row> rows) {
    var each = rows.iterator();
    return each.hasNext() ? Optional.of(Job.fromRow(each.next())) : Optional.empty();
  }
}
