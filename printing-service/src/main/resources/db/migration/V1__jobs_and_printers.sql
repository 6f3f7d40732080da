-- Printers as their agents report them; ids are unique within a company (PROTOCOL.md §2.2).
CREATE TABLE printers (
    company      text        NOT NULL,
    id           text        NOT NULL,
    name         text        NOT NULL,
    branch       text        NOT NULL,
    agent_id     text        NOT NULL,
    status       text        NOT NULL,
    online       boolean     NOT NULL DEFAULT false,
    last_seen    timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company, id)
);
CREATE INDEX printers_by_branch ON printers (company, branch, id);

-- Jobs: the source of truth from the moment POST /api/v1/jobs answers 201.
CREATE TABLE jobs (
    id               uuid        PRIMARY KEY,
    company          text        NOT NULL,
    branch           text        NOT NULL,
    printer_id       text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('queued', 'dispatched', 'printed', 'failed', 'cancelled', 'expired')),
    attempts         integer     NOT NULL DEFAULT 0,
    copies           integer     NOT NULL CHECK (copies BETWEEN 1 AND 99),
    content_type     text        NOT NULL,
    content          bytea       NOT NULL,
    idempotency_key  text,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    dispatched_at    timestamptz
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (company, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The dispatcher's claim: queued jobs whose next attempt is due, oldest first.
CREATE INDEX jobs_claimable ON jobs (next_attempt_at) WHERE state = 'queued';
-- Jobs sent but never answered go out again after a deadline.
CREATE INDEX jobs_dispatched ON jobs (dispatched_at) WHERE state = 'dispatched';
-- The list queries: by company, newest first, filtered by printer, branch or state.
CREATE INDEX jobs_by_company ON jobs (company, created_at DESC, id DESC);
CREATE INDEX jobs_by_printer ON jobs (company, printer_id, created_at DESC, id DESC);
CREATE INDEX jobs_by_branch ON jobs (company, branch, created_at DESC, id DESC);

CREATE TABLE job_history (
    job_id  uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq     bigserial,
    state   text        NOT NULL,
    at      timestamptz NOT NULL DEFAULT now(),
    detail  text,
    PRIMARY KEY (job_id, seq)
);
