-- Jobs by when they finished (printed, failed, cancelled, expired). Monitoring counts the outcomes
-- of a recent window and reads the dispatch latency of the jobs finished in it from here: it read
-- the whole table every PRINTFLEET_JOB_STATS_MAX_AGE before (0.2 and 0.3 s every 15 s with a million
-- jobs, and PRINTFLEET_JOB_RETENTION keeps 30 days of them). The retention deletes the oldest from
-- here. A job enters this index once, with the write that finishes it.
-- Built inside the migration's transaction: writes to jobs wait for it. On a large jobs table,
-- create it beforehand with CREATE INDEX CONCURRENTLY under this name; the IF NOT EXISTS keeps it.
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (updated_at) WHERE state IN ('printed', 'failed', 'cancelled', 'expired');
