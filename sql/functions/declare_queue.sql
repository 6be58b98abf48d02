-- chancy.declare_queue(name, ...): create a queue, or update it.
--
-- Validates every argument (CH005 InvalidQueueError naming the field). When
-- the queue does not exist it is created with the given settings. When it
-- exists: with upsert (the default) all its settings are replaced by the
-- given ones; state NULL (the default) keeps an existing queue's state and
-- resume_at, so declaring queues from code at every deploy never resumes a
-- queue an operator paused, while an explicit state replaces both; without
-- upsert it is left as it is. A new queue with state NULL is active. Returns the queue as stored. Sends queue.changed when it created
-- or changed the row. Locks the queue row until commit.
-- rate_limit and rate_limit_window go together: both NULL, or both >= 1.

CREATE OR REPLACE FUNCTION chancy.declare_queue(
    name text,
    concurrency integer DEFAULT NULL,
    executor text DEFAULT 'process',
    executor_options jsonb DEFAULT '{}',
    polling_interval double precision DEFAULT 1,
    rate_limit integer DEFAULT NULL,
    rate_limit_window integer DEFAULT NULL,
    tags text[] DEFAULT '{}',
    retry_settings jsonb DEFAULT '{}',
    state text DEFAULT NULL,
    upsert boolean DEFAULT true
)
RETURNS chancy.queues
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_problem text;
    v_row     chancy.queues;
    v_changed boolean;
BEGIN
    IF declare_queue.name IS NULL
       OR declare_queue.name !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$' THEN
        RAISE EXCEPTION 'invalid queue: name % must be 1 to 200 letters, digits or _ . : - starting with a letter or digit',
            coalesce(quote_literal(declare_queue.name), 'NULL')
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.concurrency IS NOT NULL AND declare_queue.concurrency NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'invalid queue "%": concurrency must be NULL or from 1 to 100000, got %',
            declare_queue.name, declare_queue.concurrency
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.executor IS NULL
       OR NOT (declare_queue.executor ~* '^(async|asyncio|threaded|thread|process)$'
               OR declare_queue.executor ~ '^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+(:[A-Za-z_][A-Za-z0-9_.]*)?$') THEN
        RAISE EXCEPTION 'invalid queue "%": executor must be ''async'', ''threaded'', ''process'' or an import path such as ''package.module.Class'', got %',
            declare_queue.name, coalesce(quote_literal(declare_queue.executor), 'NULL')
            USING ERRCODE = 'CH005';
    END IF;
    IF jsonb_typeof(declare_queue.executor_options) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'invalid queue "%": executor_options must be a JSON object', declare_queue.name
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.polling_interval IS NULL OR NOT declare_queue.polling_interval > 0
       OR declare_queue.polling_interval > 315360000 THEN
        RAISE EXCEPTION 'invalid queue "%": polling_interval must be a positive number of seconds up to 315360000, got %',
            declare_queue.name, coalesce(declare_queue.polling_interval::text, 'NULL')
            USING ERRCODE = 'CH005';
    END IF;
    IF (declare_queue.rate_limit IS NULL) <> (declare_queue.rate_limit_window IS NULL) THEN
        RAISE EXCEPTION 'invalid queue "%": rate_limit and rate_limit_window must be given together', declare_queue.name
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.rate_limit < 1 THEN
        RAISE EXCEPTION 'invalid queue "%": rate_limit must be at least 1, got %', declare_queue.name, declare_queue.rate_limit
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.rate_limit_window < 1 THEN
        RAISE EXCEPTION 'invalid queue "%": rate_limit_window must be at least 1 second, got %',
            declare_queue.name, declare_queue.rate_limit_window
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.tags IS NULL OR array_position(declare_queue.tags, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'invalid queue "%": tags must be an array of texts without NULL', declare_queue.name
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.retry_settings IS NULL THEN
        v_problem := 'must be a JSON object';
    ELSE
        v_problem := chancy._retry_settings_problem(declare_queue.retry_settings);
    END IF;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid queue "%": retry_settings %', declare_queue.name, v_problem
            USING ERRCODE = 'CH005';
    END IF;
    IF declare_queue.state NOT IN ('active', 'paused') THEN
        RAISE EXCEPTION 'invalid queue "%": state must be ''active'' or ''paused'', got %',
            declare_queue.name, coalesce(quote_literal(declare_queue.state), 'NULL')
            USING ERRCODE = 'CH005';
    END IF;

    INSERT INTO chancy.queues AS q
        (name, state, concurrency, executor, executor_options, polling_interval,
         rate_limit, rate_limit_window, tags, retry_settings)
    VALUES
        (declare_queue.name, coalesce(declare_queue.state, 'active'), declare_queue.concurrency, declare_queue.executor,
         declare_queue.executor_options, declare_queue.polling_interval, declare_queue.rate_limit,
         declare_queue.rate_limit_window, declare_queue.tags, declare_queue.retry_settings)
    ON CONFLICT (name) DO NOTHING
    RETURNING q.* INTO v_row;
    v_changed := FOUND;

    IF NOT v_changed AND coalesce(declare_queue.upsert, true) THEN
        UPDATE chancy.queues AS q
           SET state = coalesce(declare_queue.state, q.state),
               resume_at = CASE WHEN declare_queue.state IS NULL THEN q.resume_at END,
               concurrency = declare_queue.concurrency,
               executor = declare_queue.executor,
               executor_options = declare_queue.executor_options,
               polling_interval = declare_queue.polling_interval,
               rate_limit = declare_queue.rate_limit,
               rate_limit_window = declare_queue.rate_limit_window,
               tags = declare_queue.tags,
               retry_settings = declare_queue.retry_settings,
               updated_at = now()
         WHERE q.name = declare_queue.name
           AND (q.state, q.resume_at, q.concurrency, q.executor, q.executor_options, q.polling_interval,
                q.rate_limit, q.rate_limit_window, q.tags, q.retry_settings)
               IS DISTINCT FROM
               (coalesce(declare_queue.state, q.state),
                CASE WHEN declare_queue.state IS NULL THEN q.resume_at END, declare_queue.concurrency, declare_queue.executor,
                declare_queue.executor_options, declare_queue.polling_interval, declare_queue.rate_limit,
                declare_queue.rate_limit_window, declare_queue.tags, declare_queue.retry_settings)
        RETURNING q.* INTO v_row;
        v_changed := FOUND;
    END IF;

    IF v_changed THEN
        PERFORM chancy._notify(jsonb_build_object('t', 'queue.changed', 'q', declare_queue.name));
    ELSE
        SELECT q.* INTO v_row FROM chancy.queues AS q WHERE q.name = declare_queue.name;
    END IF;
    RETURN v_row;
END
$fn$;

COMMENT ON FUNCTION chancy.declare_queue(text, integer, text, jsonb, double precision, integer, integer, text[], jsonb, text, boolean) IS
    'Create a queue, or replace its settings (upsert); returns the queue as stored.';
