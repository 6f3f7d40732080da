-- A job's history rows are written only by the statement that changes the job (every INSERT INTO
-- job_history in JobStore selects from the row it inserted or updated, locked until the commit),
-- so they always name a job that exists.
-- The foreign key checked that again for every row, three per printed job: an index scan and a
-- row lock on jobs each time, about a tenth of PostgreSQL's CPU at 1,000 jobs/s. Its one other
-- use, deleting a job's history with the job, is kept by a statement trigger that costs nothing
-- until a job is deleted (printfleet itself never deletes one). TRUNCATE fires no delete trigger:
-- truncate both tables together.
-- Both tables are locked first, jobs before job_history as every job statement takes them (the
-- DROP alone would lock job_history, then jobs, and could deadlock with one). Jobs wait for the
-- locks meanwhile: fail (and let the start be retried) rather than hold them back long.
SET LOCAL lock_timeout = '3s';
LOCK TABLE jobs, job_history IN ACCESS EXCLUSIVE MODE;
ALTER TABLE job_history DROP CONSTRAINT job_history_job_id_fkey;

CREATE FUNCTION job_history_follows_deleted_jobs() RETURNS trigger LANGUAGE plpgsql
  SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM job_history h USING gone WHERE h.job_id = gone.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER job_history_follows_deleted_jobs AFTER DELETE ON jobs
  REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION job_history_follows_deleted_jobs();
