-- A job's lease, as the dispatcher sees it: leased_at is when a claim (or the accepting statement,
-- for a job sent at once) leased it, NULL once it is back in the queue. While the lease runs
-- (leased_at set, next_attempt_at ahead) the job is on its way to its agent or at it, its
-- `dispatched` maybe not written yet (PRINTFLEET_DISPATCH_RESULT_GRACE): an agent's reconnect does
-- not release it, a cancel is refused and the TTL does not expire it.
-- released_at is the last time an agent's reconnect (or its presence coming back) released its
-- printers' jobs: a job whose send then fails goes out at once if that release came during its lease.
-- Both are added without a default: no rewrite of the table, existing jobs read NULL (not leased).
-- Each ALTER needs a brief exclusive lock: fail (and let the start be retried) rather than hold
-- every job write behind a long transaction.
SET LOCAL lock_timeout = '10s';
ALTER TABLE jobs ADD COLUMN leased_at timestamptz;
ALTER TABLE jobs ADD COLUMN released_at timestamptz;
