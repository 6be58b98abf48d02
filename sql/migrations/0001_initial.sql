-- 0001_initial: Chancy's tables, constraints and indexes.
--
-- Applied once, inside the installer's transaction, while it holds the
-- installer's advisory lock; the installer records it in chancy.migrations.
-- Functions are not defined here: they live in sql/functions/ and are
-- reloaded from their files on every install.

CREATE TABLE chancy.queues (
    name              text        NOT NULL,
    state             text        NOT NULL DEFAULT 'active',
    resume_at         timestamptz,
    concurrency       integer,
    executor          text        NOT NULL DEFAULT 'process',
    executor_options  jsonb       NOT NULL DEFAULT '{}',
    polling_interval  double precision NOT NULL DEFAULT 1,
    rate_limit        integer,
    rate_limit_window integer,
    tags              text[]      NOT NULL DEFAULT '{}',
    retry_settings    jsonb       NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queues_pkey PRIMARY KEY (name),
    CONSTRAINT queues_name_valid CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$'),
    CONSTRAINT queues_state_valid CHECK (state IN ('active', 'paused')),
    CONSTRAINT queues_resume_only_when_paused CHECK (resume_at IS NULL OR state = 'paused'),
    CONSTRAINT queues_concurrency_positive CHECK (concurrency IS NULL OR concurrency BETWEEN 1 AND 100000),
    CONSTRAINT queues_polling_interval_positive CHECK (polling_interval > 0),
    CONSTRAINT queues_rate_limit_complete CHECK (
        (rate_limit IS NULL AND rate_limit_window IS NULL)
        OR (rate_limit >= 1 AND rate_limit_window >= 1)
    ),
    CONSTRAINT queues_executor_options_object CHECK (jsonb_typeof(executor_options) = 'object'),
    CONSTRAINT queues_retry_settings_object CHECK (jsonb_typeof(retry_settings) = 'object')
);

COMMENT ON TABLE chancy.queues IS
    'Queues Chancy workers serve; workers follow changes to these rows.';

-- Jobs started per queue in the current rate-limit window (database clock).
CREATE TABLE chancy.queue_rate_limits (
    queue        text        NOT NULL,
    window_start timestamptz NOT NULL,
    started      integer     NOT NULL DEFAULT 0,
    CONSTRAINT queue_rate_limits_pkey PRIMARY KEY (queue),
    CONSTRAINT queue_rate_limits_queue_fkey FOREIGN KEY (queue)
        REFERENCES chancy.queues (name) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE chancy.jobs (
    id               uuid        NOT NULL,
    queue            text        NOT NULL,
    func             text        NOT NULL,
    kwargs           jsonb       NOT NULL DEFAULT '{}',
    priority         integer     NOT NULL DEFAULT 0,
    state            text        NOT NULL DEFAULT 'pending',
    attempts         integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL DEFAULT 1,
    scheduled_at     timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    taken_by         text,
    lease_expires_at timestamptz,
    claim_id         uuid,
    unique_key       text,
    meta             jsonb       NOT NULL DEFAULT '{}',
    errors           jsonb       NOT NULL DEFAULT '[]',
    limits           jsonb       NOT NULL DEFAULT '[]',
    CONSTRAINT jobs_pkey PRIMARY KEY (id),
    CONSTRAINT jobs_queue_fkey FOREIGN KEY (queue)
        REFERENCES chancy.queues (name) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT jobs_func_valid CHECK (length(func) BETWEEN 1 AND 1000),
    CONSTRAINT jobs_kwargs_object CHECK (jsonb_typeof(kwargs) = 'object'),
    CONSTRAINT jobs_meta_object CHECK (jsonb_typeof(meta) = 'object'),
    CONSTRAINT jobs_errors_array CHECK (jsonb_typeof(errors) = 'array'),
    CONSTRAINT jobs_limits_array CHECK (jsonb_typeof(limits) = 'array'),
    CONSTRAINT jobs_priority_range CHECK (priority BETWEEN -32768 AND 32767),
    CONSTRAINT jobs_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 1000),
    CONSTRAINT jobs_attempts_range CHECK (attempts BETWEEN 0 AND max_attempts),
    CONSTRAINT jobs_state_valid CHECK (
        state IN ('pending', 'running', 'retrying', 'succeeded', 'failed', 'cancelled')
    ),
    -- A running job is held by exactly one claim: a worker, a token and a lease.
    CONSTRAINT jobs_running_is_claimed CHECK (
        (state = 'running') = (
            taken_by IS NOT NULL AND claim_id IS NOT NULL
            AND lease_expires_at IS NOT NULL AND started_at IS NOT NULL
        )
    ),
    -- Only a running job carries a claim token and a lease, so a claim_id
    -- that matches proves the job is still running under that claim.
    CONSTRAINT jobs_claim_only_when_running CHECK (
        state = 'running' OR (claim_id IS NULL AND lease_expires_at IS NULL)
    ),
    -- A running job has counted the attempt it is making.
    CONSTRAINT jobs_running_counts_attempt CHECK (state <> 'running' OR attempts >= 1),
    -- Finished jobs, and only they, carry a completion time.
    CONSTRAINT jobs_finished_has_completed_at CHECK (
        (state IN ('succeeded', 'failed', 'cancelled')) = (completed_at IS NOT NULL)
    ),
    -- A job waiting to run still has an attempt left.
    CONSTRAINT jobs_waiting_has_attempts_left CHECK (
        state NOT IN ('pending', 'retrying') OR attempts < max_attempts
    ),
    CONSTRAINT jobs_unique_key_valid CHECK (unique_key IS NULL OR length(unique_key) BETWEEN 1 AND 1000)
);

COMMENT ON TABLE chancy.jobs IS
    'Every job Chancy knows of, from push until it is pruned.';

-- fetch: the due jobs of one queue, highest priority first, then push order.
CREATE INDEX jobs_fetch_idx ON chancy.jobs (queue, priority DESC, id)
    WHERE state IN ('pending', 'retrying');

-- unique_key: one unfinished job per key.
CREATE UNIQUE INDEX jobs_unique_key_idx ON chancy.jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('pending', 'retrying', 'running');

-- recover: running jobs by lease expiry; heartbeat: running jobs by worker.
CREATE INDEX jobs_lease_idx ON chancy.jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_taken_by_idx ON chancy.jobs (taken_by) WHERE state = 'running';

-- prune: finished jobs by completion time (the default rule is an age).
CREATE INDEX jobs_prune_idx ON chancy.jobs (completed_at)
    WHERE state IN ('succeeded', 'failed', 'cancelled');

CREATE TABLE chancy.workers (
    worker_id  text        NOT NULL,
    hostname   text        NOT NULL DEFAULT '',
    pid        integer,
    tags       text[]      NOT NULL DEFAULT '{}',
    queues     text[]      NOT NULL DEFAULT '{}',
    started_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT workers_pkey PRIMARY KEY (worker_id),
    CONSTRAINT workers_expiry_after_last_seen CHECK (expires_at >= last_seen)
);

COMMENT ON TABLE chancy.workers IS
    'Workers that have sent a heartbeat; a row past expires_at is a dead worker.';

-- One row at most. The row outlives each leader so that term only grows.
CREATE TABLE chancy.leader (
    singleton  boolean     NOT NULL DEFAULT true,
    worker_id  text        NOT NULL,
    term       bigint      NOT NULL,
    elected_at timestamptz NOT NULL DEFAULT now(),
    renewed_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CONSTRAINT leader_pkey PRIMARY KEY (singleton),
    CONSTRAINT leader_singleton CHECK (singleton),
    CONSTRAINT leader_term_positive CHECK (term >= 1)
);

COMMENT ON TABLE chancy.leader IS
    'The leadership lease; term grows at every change of leader.';

INSERT INTO chancy.queues (name) VALUES ('default');
