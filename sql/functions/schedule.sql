-- chancy.schedule: create or update a cron schedule under a stable name.
--
-- Checks what the database can check without a cron library: the name, the
-- expression's shape (five fields, or six with seconds first, or an @alias;
-- each field made only of cron characters), the time zone (it must be in
-- pg_timezone_names), the missed-tick policy, the job's fields and that the
-- queue exists. Anything refused raises CH007 (schedule), CH002 (job field)
-- or CH001 (queue), naming the part, and nothing stored changes.
--
-- next_run is not computed here: the leader's Cron plugin computes the first
-- tick after revised_at (database clock) with croniter. Registering the same
-- schedule again changes nothing, not even updated_at; a new job keeps
-- next_run; a new expression or time zone resets next_run and bumps revision,
-- so the new timing takes effect from its first tick after the change.
-- Locks the schedule's row. Sends {"t":"cron.changed"} when something changed.
-- Returns the schedule as stored.
CREATE OR REPLACE FUNCTION chancy.schedule(
    name text,
    expression text,
    func text,
    kwargs jsonb DEFAULT '{}',
    queue text DEFAULT 'default',
    priority integer DEFAULT 0,
    max_attempts integer DEFAULT 1,
    unique_key text DEFAULT NULL,
    meta jsonb DEFAULT '{}',
    limits jsonb DEFAULT '[]',
    timezone text DEFAULT 'UTC',
    missed text DEFAULT 'latest'
)
RETURNS chancy.cron_schedules
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = chancy, pg_catalog, pg_temp
AS $function$
DECLARE
    v_expression text := btrim(coalesce(schedule.expression, ''), E' \t\n\r');
    v_fields     text[];
    v_names      text[];
    v_i          integer;
    v_changed    integer;
    v_row        chancy.cron_schedules;
BEGIN
    IF schedule.name IS NULL OR length(schedule.name) NOT BETWEEN 1 AND 1000
       OR schedule.name ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION 'invalid schedule name %: it must be 1 to 1000 characters without control characters',
            coalesce(quote_literal(schedule.name), 'NULL')
            USING ERRCODE = 'CH007';
    END IF;

    -- The expression: an @alias, or 5 fields, or 6 with seconds first.
    IF v_expression = '' THEN
        RAISE EXCEPTION 'invalid cron expression for schedule %: it is empty', schedule.name
            USING ERRCODE = 'CH007';
    ELSIF left(v_expression, 1) = '@' THEN
        IF lower(v_expression) NOT IN ('@yearly', '@annually', '@monthly', '@weekly',
                                       '@daily', '@midnight', '@hourly') THEN
            RAISE EXCEPTION 'invalid cron expression % for schedule %: unknown alias (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)',
                quote_literal(schedule.expression), schedule.name
                USING ERRCODE = 'CH007';
        END IF;
    ELSE
        v_fields := regexp_split_to_array(v_expression, '\s+');
        IF cardinality(v_fields) = 5 THEN
            v_names := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
        ELSIF cardinality(v_fields) = 6 THEN
            v_names := ARRAY['second', 'minute', 'hour', 'day of month', 'month', 'day of week'];
        ELSE
            RAISE EXCEPTION 'invalid cron expression % for schedule %: it has % fields, expected 5 (minute hour day-of-month month day-of-week) or 6 (second first)',
                quote_literal(schedule.expression), schedule.name, cardinality(v_fields)
                USING ERRCODE = 'CH007';
        END IF;
        FOR v_i IN 1 .. cardinality(v_fields) LOOP
            IF v_fields[v_i] !~ '^[0-9A-Za-z*/,?#-]+$' THEN
                RAISE EXCEPTION 'invalid cron expression % for schedule %: % field % holds characters cron does not use',
                    quote_literal(schedule.expression), schedule.name,
                    v_names[v_i], quote_literal(v_fields[v_i])
                    USING ERRCODE = 'CH007';
            END IF;
        END LOOP;
        v_expression := array_to_string(v_fields, ' ');
    END IF;

    IF schedule.timezone IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names AS tz
                      WHERE tz.name = schedule.timezone) THEN
        RAISE EXCEPTION 'unknown time zone % for schedule %: use an IANA name such as Europe/Berlin or UTC',
            coalesce(quote_literal(schedule.timezone), 'NULL'), schedule.name
            USING ERRCODE = 'CH007';
    END IF;

    IF schedule.missed IS NULL OR schedule.missed NOT IN ('latest', 'all', 'skip') THEN
        RAISE EXCEPTION 'invalid missed policy % for schedule %: use latest, all or skip',
            coalesce(quote_literal(schedule.missed), 'NULL'), schedule.name
            USING ERRCODE = 'CH007';
    END IF;

    -- The job, checked now rather than at every tick.
    IF schedule.func IS NULL OR length(schedule.func) NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid job for schedule %: func must be 1 to 1000 characters', schedule.name
            USING ERRCODE = 'CH002';
    ELSIF schedule.kwargs IS NULL OR jsonb_typeof(schedule.kwargs) <> 'object' THEN
        RAISE EXCEPTION 'invalid job for schedule %: kwargs must be a JSON object', schedule.name
            USING ERRCODE = 'CH002';
    ELSIF schedule.meta IS NULL OR jsonb_typeof(schedule.meta) <> 'object' THEN
        RAISE EXCEPTION 'invalid job for schedule %: meta must be a JSON object', schedule.name
            USING ERRCODE = 'CH002';
    ELSIF schedule.limits IS NULL OR jsonb_typeof(schedule.limits) <> 'array' THEN
        RAISE EXCEPTION 'invalid job for schedule %: limits must be a JSON array', schedule.name
            USING ERRCODE = 'CH002';
    ELSIF schedule.priority IS NULL OR schedule.priority NOT BETWEEN -32768 AND 32767 THEN
        RAISE EXCEPTION 'invalid job for schedule %: priority must be between -32768 and 32767', schedule.name
            USING ERRCODE = 'CH002';
    ELSIF schedule.max_attempts IS NULL OR schedule.max_attempts NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid job for schedule %: max_attempts must be between 1 and 1000', schedule.name
            USING ERRCODE = 'CH002';
    ELSIF schedule.unique_key IS NOT NULL AND length(schedule.unique_key) NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid job for schedule %: unique_key must be 1 to 1000 characters', schedule.name
            USING ERRCODE = 'CH002';
    END IF;

    IF schedule.queue IS NULL
       OR NOT EXISTS (SELECT 1 FROM chancy.queues AS q WHERE q.name = schedule.queue) THEN
        RAISE EXCEPTION 'unknown queue % for schedule %: declare it first',
            coalesce(quote_literal(schedule.queue), 'NULL'), schedule.name
            USING ERRCODE = 'CH001';
    END IF;

    INSERT INTO chancy.cron_schedules AS s (
        name, expression, timezone, missed, func, kwargs, queue, priority,
        max_attempts, unique_key, meta, limits
    ) VALUES (
        schedule.name, v_expression, schedule.timezone, schedule.missed,
        schedule.func, schedule.kwargs, schedule.queue, schedule.priority,
        schedule.max_attempts, schedule.unique_key, schedule.meta, schedule.limits
    )
    ON CONFLICT ON CONSTRAINT cron_schedules_pkey DO UPDATE SET
        expression   = excluded.expression,
        timezone     = excluded.timezone,
        missed       = excluded.missed,
        func         = excluded.func,
        kwargs       = excluded.kwargs,
        queue        = excluded.queue,
        priority     = excluded.priority,
        max_attempts = excluded.max_attempts,
        unique_key   = excluded.unique_key,
        meta         = excluded.meta,
        limits       = excluded.limits,
        revision     = CASE WHEN (s.expression, s.timezone) = (excluded.expression, excluded.timezone)
                            THEN s.revision ELSE s.revision + 1 END,
        revised_at   = CASE WHEN (s.expression, s.timezone) = (excluded.expression, excluded.timezone)
                            THEN s.revised_at ELSE now() END,
        next_run     = CASE WHEN (s.expression, s.timezone) = (excluded.expression, excluded.timezone)
                            THEN s.next_run ELSE NULL END,
        updated_at   = now()
    WHERE (s.expression, s.timezone, s.missed, s.func, s.kwargs, s.queue, s.priority,
           s.max_attempts, s.unique_key, s.meta, s.limits)
          IS DISTINCT FROM
          (excluded.expression, excluded.timezone, excluded.missed, excluded.func,
           excluded.kwargs, excluded.queue, excluded.priority, excluded.max_attempts,
           excluded.unique_key, excluded.meta, excluded.limits);

    GET DIAGNOSTICS v_changed = ROW_COUNT;
    IF v_changed > 0 THEN
        PERFORM chancy._notify('{"t":"cron.changed"}');
    END IF;

    SELECT s.* INTO v_row FROM chancy.cron_schedules AS s WHERE s.name = schedule.name;
    RETURN v_row;
END;
$function$;

COMMENT ON FUNCTION chancy.schedule(text, text, text, jsonb, text, integer, integer, text, jsonb, jsonb, text, text) IS
    'Create or update the cron schedule NAME (idempotent); CH007 for a bad expression, time zone, name or policy, CH002 for a bad job field, CH001 for an unknown queue.';
