-- The agent a job was leased to (its printer's agent when the dispatcher claimed it): only that
-- agent's job.result is recorded (PROTOCOL.md §2.2). Set by the claim, before the send, so a result
-- that overtakes the dispatched write, or comes late after a requeue, still matches.
ALTER TABLE jobs ADD COLUMN dispatched_to text;

-- Jobs out at the upgrade were sent to their printer's agent; their results must still count.
UPDATE jobs j SET dispatched_to = p.agent_id
FROM printers p
WHERE p.company = j.company AND p.id = j.printer_id AND j.state IN ('queued', 'dispatched');
