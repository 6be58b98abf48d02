-- chancy.push(func, kwargs, queue => ..., ...): add one job, return its id.
--
-- Validates every argument (CH002 InvalidJobError naming the field), checks
-- that the queue exists (CH001 UnknownQueueError naming it) or creates it
-- when create_queue, inserts the job and sends {"t":"queue.pushed","q":...}
-- (folded to one per queue per transaction by PostgreSQL).
--
-- NULL for any argument but func means its default, so callers can pass
-- NULL for "not given". scheduled_at NULL means now (database clock); it is
-- a timestamptz, so a text literal without a time zone given from SQL is
-- read in the caller's TimeZone setting by the caller's own cast.
--
-- unique_key: while a job with that key is pending, retrying or running,
-- push returns that job's id and changes nothing (no notification either).
-- Concurrent pushes of one key give one job: the insert goes through the
-- unique partial index jobs_unique_key_idx with ON CONFLICT DO NOTHING (which
-- waits for a concurrent insert of the key to commit or roll back), then
-- re-reads the holder; if the holder finished in between, it tries again.
--
-- Locks: the new row; a KEY SHARE lock on the queue row (foreign key).
-- Works inside any transaction and from triggers. Never returns NULL.

CREATE OR REPLACE FUNCTION chancy.push(
    func text,
    kwargs jsonb DEFAULT '{}',
    queue text DEFAULT 'default',
    priority integer DEFAULT 0,
    scheduled_at timestamptz DEFAULT NULL,
    max_attempts integer DEFAULT 1,
    unique_key text DEFAULT NULL,
    meta jsonb DEFAULT '{}',
    limits jsonb DEFAULT '[]',
    create_queue boolean DEFAULT false
)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_queue        text := coalesce(push.queue, 'default');
    v_kwargs       jsonb := coalesce(push.kwargs, '{}');
    v_priority     integer := coalesce(push.priority, 0);
    v_max_attempts integer := coalesce(push.max_attempts, 1);
    v_meta         jsonb := coalesce(push.meta, '{}');
    v_limits       jsonb := coalesce(push.limits, '[]');
    v_problem      text;
    v_id           uuid;
BEGIN
    IF push.func IS NULL OR length(push.func) NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid job: func must be a non-empty text of at most 1000 characters'
            USING ERRCODE = 'CH002';
    END IF;
    IF jsonb_typeof(v_kwargs) <> 'object' THEN
        RAISE EXCEPTION 'invalid job %: kwargs must be a JSON object, not %', push.func, jsonb_typeof(v_kwargs)
            USING ERRCODE = 'CH002';
    END IF;
    IF v_priority NOT BETWEEN -32768 AND 32767 THEN
        RAISE EXCEPTION 'invalid job %: priority must be from -32768 to 32767, got %', push.func, v_priority
            USING ERRCODE = 'CH002';
    END IF;
    IF v_max_attempts NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid job %: max_attempts must be from 1 to 1000, got %', push.func, v_max_attempts
            USING ERRCODE = 'CH002';
    END IF;
    IF NOT isfinite(coalesce(push.scheduled_at, now())) THEN
        RAISE EXCEPTION 'invalid job %: scheduled_at must be a finite time, got %', push.func, push.scheduled_at
            USING ERRCODE = 'CH002';
    END IF;
    IF push.unique_key IS NOT NULL AND length(push.unique_key) NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid job %: unique_key must be NULL or 1 to 1000 characters', push.func
            USING ERRCODE = 'CH002';
    END IF;
    IF jsonb_typeof(v_meta) <> 'object' THEN
        RAISE EXCEPTION 'invalid job %: meta must be a JSON object, not %', push.func, jsonb_typeof(v_meta)
            USING ERRCODE = 'CH002';
    END IF;
    IF v_meta ? 'retry_settings' THEN
        v_problem := chancy._retry_settings_problem(nullif(v_meta -> 'retry_settings', 'null'));
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION 'invalid job %: meta.retry_settings %', push.func, v_problem
                USING ERRCODE = 'CH002';
        END IF;
    END IF;
    IF jsonb_typeof(v_limits) <> 'array'
       OR (v_limits <> '[]'
           AND EXISTS (SELECT 1 FROM jsonb_array_elements(v_limits) AS l WHERE jsonb_typeof(l.value) <> 'object')) THEN
        RAISE EXCEPTION 'invalid job %: limits must be a JSON array of objects', push.func
            USING ERRCODE = 'CH002';
    END IF;

    PERFORM 1 FROM chancy.queues AS q WHERE q.name = v_queue;
    IF NOT FOUND THEN
        IF coalesce(push.create_queue, false) THEN
            PERFORM chancy._ensure_queue(v_queue);
        ELSE
            RAISE EXCEPTION 'unknown queue "%" (declare it first, or push with create_queue => true)', v_queue
                USING ERRCODE = 'CH001';
        END IF;
    END IF;

    LOOP
        INSERT INTO chancy.jobs AS j
            (id, queue, func, kwargs, priority, scheduled_at, max_attempts, unique_key, meta, limits)
        VALUES
            (chancy._uuid7(clock_timestamp()), v_queue, push.func, v_kwargs, v_priority,
             coalesce(push.scheduled_at, now()), v_max_attempts, push.unique_key, v_meta, v_limits)
        ON CONFLICT (unique_key)
            WHERE unique_key IS NOT NULL AND state IN ('pending', 'retrying', 'running')
            DO NOTHING
        RETURNING j.id INTO v_id;

        IF v_id IS NOT NULL THEN
            PERFORM chancy._notify(jsonb_build_object('t', 'queue.pushed', 'q', v_queue));
            RETURN v_id;
        END IF;

        SELECT j.id INTO v_id
          FROM chancy.jobs AS j
         WHERE j.unique_key = push.unique_key
           AND j.state IN ('pending', 'retrying', 'running');
        IF v_id IS NOT NULL THEN
            RETURN v_id;
        END IF;
    END LOOP;
END
$fn$;

COMMENT ON FUNCTION chancy.push(text, jsonb, text, integer, timestamptz, integer, text, jsonb, jsonb, boolean) IS
    'Add one job and return its id; with unique_key, return the unfinished job holding the key instead.';
