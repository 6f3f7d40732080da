-- A printer's queued jobs, found without reading its printed ones: accepting a job looks here for
-- older jobs of its printer still waiting (a job goes to its agent at once only when none is, so a
-- printer's jobs keep their order), and an agent's reconnect releases its printers' jobs from here.
-- Built inside the migration's transaction: writes to jobs wait for it. On a large jobs table,
-- create it beforehand with CREATE INDEX CONCURRENTLY under this name; the IF NOT EXISTS keeps it.
CREATE INDEX IF NOT EXISTS jobs_queued_by_printer ON jobs (company, printer_id, next_attempt_at) WHERE state = 'queued';
