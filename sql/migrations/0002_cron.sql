-- 0002_cron: the Cron plugin's schedules and its ledger of fired ticks.
--
-- Applied once, inside the installer's transaction, while it holds the
-- installer's advisory lock; the installer records it in chancy.migrations.
-- The functions that write these tables live in sql/functions/
-- (schedule, unschedule, cron_fire, cron_prune_ticks).

CREATE TABLE chancy.cron_schedules (
    name         text        NOT NULL,
    expression   text        NOT NULL,
    timezone     text        NOT NULL DEFAULT 'UTC',
    missed       text        NOT NULL DEFAULT 'latest',
    func         text        NOT NULL,
    kwargs       jsonb       NOT NULL DEFAULT '{}',
    queue        text        NOT NULL DEFAULT 'default',
    priority     integer     NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL DEFAULT 1,
    unique_key   text,
    meta         jsonb       NOT NULL DEFAULT '{}',
    limits       jsonb       NOT NULL DEFAULT '[]',
    -- Grows whenever expression, timezone or missed change; the leader passes
    -- the revision it computed from, so ticks of an old expression are dropped.
    revision     bigint      NOT NULL DEFAULT 1,
    -- When the timing last changed (database clock): the first tick is the
    -- first one after this instant.
    revised_at   timestamptz NOT NULL DEFAULT now(),
    -- The last tick that fired, and the next tick to fire; NULL next_run
    -- means the leader has not computed it yet.
    last_run     timestamptz,
    next_run     timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cron_schedules_pkey PRIMARY KEY (name),
    CONSTRAINT cron_schedules_name_valid CHECK (
        length(name) BETWEEN 1 AND 1000 AND name !~ '[[:cntrl:]]'
    ),
    CONSTRAINT cron_schedules_expression_valid CHECK (length(expression) BETWEEN 1 AND 1000),
    CONSTRAINT cron_schedules_missed_valid CHECK (missed IN ('latest', 'all', 'skip')),
    CONSTRAINT cron_schedules_func_valid CHECK (length(func) BETWEEN 1 AND 1000),
    CONSTRAINT cron_schedules_kwargs_object CHECK (jsonb_typeof(kwargs) = 'object'),
    CONSTRAINT cron_schedules_meta_object CHECK (jsonb_typeof(meta) = 'object'),
    CONSTRAINT cron_schedules_limits_array CHECK (jsonb_typeof(limits) = 'array'),
    CONSTRAINT cron_schedules_priority_range CHECK (priority BETWEEN -32768 AND 32767),
    CONSTRAINT cron_schedules_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 1000),
    CONSTRAINT cron_schedules_unique_key_valid CHECK (
        unique_key IS NULL OR length(unique_key) BETWEEN 1 AND 1000
    ),
    CONSTRAINT cron_schedules_revision_positive CHECK (revision >= 1),
    CONSTRAINT cron_schedules_next_after_last CHECK (
        next_run IS NULL OR last_run IS NULL OR next_run > last_run
    )
);

COMMENT ON TABLE chancy.cron_schedules IS
    'Cron schedules by stable name; the leader fires each tick once through chancy.cron_fire.';

-- The leader looks for the earliest due schedule.
CREATE INDEX cron_schedules_next_run_idx ON chancy.cron_schedules (next_run);

-- One row per tick that fired. Kept apart from chancy.jobs so that pruning
-- jobs never lets a tick fire again; the primary key is what makes a tick
-- fire at most once, whoever tries.
CREATE TABLE chancy.cron_ticks (
    schedule_name text        NOT NULL,
    tick_at       timestamptz NOT NULL,
    job_id        uuid,
    term          bigint      NOT NULL,
    fired_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cron_ticks_pkey PRIMARY KEY (schedule_name, tick_at),
    CONSTRAINT cron_ticks_schedule_fkey FOREIGN KEY (schedule_name)
        REFERENCES chancy.cron_schedules (name) ON DELETE CASCADE ON UPDATE CASCADE
);

COMMENT ON TABLE chancy.cron_ticks IS
    'Ledger of fired cron ticks (schedule, tick instant) and the job each one pushed.';

-- cron_prune_ticks: old ledger rows by firing time.
CREATE INDEX cron_ticks_fired_at_idx ON chancy.cron_ticks (fired_at);
