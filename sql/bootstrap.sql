-- bootstrap: the schema and the migration ledger, created if missing.
--
-- Runs first on every install, while the installer holds the advisory lock
-- pg_advisory_lock(hashtext('chancy.install')). Idempotent: running it on an
-- installed database changes nothing.

CREATE SCHEMA IF NOT EXISTS chancy;

COMMENT ON SCHEMA chancy IS
    'Chancy: a job queue and scheduler that lives in PostgreSQL.';

CREATE TABLE IF NOT EXISTS chancy.migrations (
    version    integer     NOT NULL,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT migrations_pkey PRIMARY KEY (version),
    CONSTRAINT migrations_version_positive CHECK (version >= 1)
);

COMMENT ON TABLE chancy.migrations IS
    'Ledger of applied sql/migrations/NNNN_*.sql files, one row each.';
