-- A job's history rows are written only by the statement that changes the job (JobStore.recorded,
-- RECORD_RESULT: INSERT ... SELECT FROM the changed row), so they always name a job that exists.
-- The foreign key checked that again for every row, three per printed job: an index scan and a
-- row lock on jobs each time, about a tenth of PostgreSQL's CPU at 1,000 jobs/s. Its one other
-- use, deleting a job's history with the job, is kept by a statement trigger that costs nothing
-- until a job is deleted (printfleet itself never deletes one).
SET LOCAL lock_timeout = '10s';
ALTER TABLE job_history DROP CONSTRAINT IF EXISTS job_history_job_id_fkey;

CREATE FUNCTION job_history_follows_deleted_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM job_history h USING gone WHERE h.job_id = gone.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER job_history_follows_deleted_jobs AFTER DELETE ON jobs
  REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION job_history_follows_deleted_jobs();
