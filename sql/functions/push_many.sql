-- chancy.push_many(jobs, create_queue): add many jobs in one call.
--
-- jobs is a JSON array of objects with the keys of push (func required;
-- kwargs, queue, priority, scheduled_at, max_attempts, unique_key, meta,
-- limits optional, JSON null meaning the default). Returns one row
-- (ord, id) per element, in input order, ord 1-based. An empty array
-- returns no rows.
--
-- Errors name the element as jobs[i] (0-based, as in the JSON array) and its
-- ord (1-based), and the field: CH002 for a malformed element or an unknown
-- key, CH001 for a queue that does not exist (unless create_queue), CH005
-- for a malformed queue name to create. scheduled_at must be an ISO 8601
-- string with an explicit UTC offset ("2026-01-02T03:04:05Z" or "+01:00"),
-- so its meaning never depends on the session's TimeZone.
--
-- The jobs get ids in input order (one clock reading, seq = ord), so workers
-- run them in input order among equal priorities. The rows are inserted
-- ordered by unique_key so that concurrent bulk pushes sharing keys cannot
-- deadlock. An element whose unique_key is held by an unfinished job (or by
-- an earlier element of the same call) gets that job's id and changes
-- nothing; those elements go through push, which handles the races.
-- Sends one queue.pushed per queue. Locks the new rows.

CREATE OR REPLACE FUNCTION chancy.push_many(jobs jsonb, create_queue boolean DEFAULT false)
RETURNS TABLE (ord integer, id uuid)
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_count    integer;
    v_bad      record;
    v_base     timestamptz := clock_timestamp();
    v_ids      uuid[];
    v_missing  integer[];
    v_queues   text[];
    v_ord      integer;
    v_job      jsonb;
BEGIN
    IF jsonb_typeof(push_many.jobs) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'invalid jobs: must be a JSON array of job objects, not %',
            coalesce(jsonb_typeof(push_many.jobs), 'NULL')
            USING ERRCODE = 'CH002';
    END IF;
    v_count := jsonb_array_length(push_many.jobs);
    IF v_count = 0 THEN
        RETURN;
    END IF;

    -- 1. Validate every element in one pass; report the first problem.
    SELECT e.ord, e.problem INTO v_bad
      FROM (
        SELECT x.ord, CASE
            WHEN jsonb_typeof(x.v) <> 'object' THEN
                format('must be a JSON object, not %s', jsonb_typeof(x.v))
            WHEN x.v - ARRAY['func', 'kwargs', 'queue', 'priority', 'scheduled_at',
                             'max_attempts', 'unique_key', 'meta', 'limits'] <> '{}' THEN
                format('unknown field %s (known: func, kwargs, queue, priority, scheduled_at, max_attempts, unique_key, meta, limits)',
                    (SELECT string_agg(k.key, ', ' ORDER BY k.key) FROM jsonb_object_keys(x.v) AS k(key)
                      WHERE k.key NOT IN ('func', 'kwargs', 'queue', 'priority', 'scheduled_at',
                                          'max_attempts', 'unique_key', 'meta', 'limits')))
            WHEN jsonb_typeof(x.v -> 'func') IS DISTINCT FROM 'string'
                 OR length(x.v ->> 'func') NOT BETWEEN 1 AND 1000 THEN
                'func must be a non-empty string of at most 1000 characters'
            WHEN coalesce(jsonb_typeof(x.v -> 'kwargs'), 'null') NOT IN ('object', 'null') THEN
                'kwargs must be a JSON object'
            WHEN coalesce(jsonb_typeof(x.v -> 'queue'), 'null') NOT IN ('string', 'null') THEN
                'queue must be a string'
            WHEN coalesce(jsonb_typeof(x.v -> 'priority'), 'null') NOT IN ('number', 'null')
                 OR CASE WHEN jsonb_typeof(x.v -> 'priority') = 'number'
                         THEN (x.v ->> 'priority')::numeric NOT BETWEEN -32768 AND 32767
                              OR (x.v ->> 'priority')::numeric <> trunc((x.v ->> 'priority')::numeric)
                         ELSE false END THEN
                'priority must be an integer from -32768 to 32767'
            WHEN coalesce(jsonb_typeof(x.v -> 'max_attempts'), 'null') NOT IN ('number', 'null')
                 OR CASE WHEN jsonb_typeof(x.v -> 'max_attempts') = 'number'
                         THEN (x.v ->> 'max_attempts')::numeric NOT BETWEEN 1 AND 1000
                              OR (x.v ->> 'max_attempts')::numeric <> trunc((x.v ->> 'max_attempts')::numeric)
                         ELSE false END THEN
                'max_attempts must be an integer from 1 to 1000'
            WHEN coalesce(jsonb_typeof(x.v -> 'scheduled_at'), 'null') NOT IN ('string', 'null')
                 OR CASE WHEN jsonb_typeof(x.v -> 'scheduled_at') = 'string'
                         THEN (x.v ->> 'scheduled_at') !~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|z|[+-]\d\d(:?\d\d)?)$'
                         ELSE false END THEN
                'scheduled_at must be an ISO 8601 time with a UTC offset, like "2026-01-02T03:04:05Z"'
            WHEN coalesce(jsonb_typeof(x.v -> 'unique_key'), 'null') NOT IN ('string', 'null')
                 OR length(x.v ->> 'unique_key') NOT BETWEEN 1 AND 1000 THEN
                'unique_key must be null or a string of 1 to 1000 characters'
            WHEN coalesce(jsonb_typeof(x.v -> 'meta'), 'null') NOT IN ('object', 'null') THEN
                'meta must be a JSON object'
            WHEN CASE WHEN x.v -> 'meta' ? 'retry_settings'
                      THEN chancy._retry_settings_problem(nullif(x.v -> 'meta' -> 'retry_settings', 'null')) IS NOT NULL
                      ELSE false END THEN
                'meta.retry_settings ' || chancy._retry_settings_problem(nullif(x.v -> 'meta' -> 'retry_settings', 'null'))
            WHEN coalesce(jsonb_typeof(x.v -> 'limits'), 'null') NOT IN ('array', 'null')
                 OR CASE WHEN jsonb_typeof(x.v -> 'limits') = 'array'
                         THEN EXISTS (SELECT 1 FROM jsonb_array_elements(x.v -> 'limits') AS l
                                       WHERE jsonb_typeof(l.value) <> 'object')
                         ELSE false END THEN
                'limits must be a JSON array of objects'
            END AS problem
          FROM jsonb_array_elements(push_many.jobs) WITH ORDINALITY AS x(v, ord)
      ) AS e
     WHERE e.problem IS NOT NULL
     ORDER BY e.ord
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid job at jobs[%] (ord %): %', v_bad.ord - 1, v_bad.ord, v_bad.problem
            USING ERRCODE = 'CH002';
    END IF;

    -- 2. Every queue named must exist (or be created).
    FOR v_bad IN
        SELECT min(x.ord) AS ord, coalesce(x.v ->> 'queue', 'default') AS queue
          FROM jsonb_array_elements(push_many.jobs) WITH ORDINALITY AS x(v, ord)
         WHERE NOT EXISTS (SELECT 1 FROM chancy.queues AS q
                            WHERE q.name = coalesce(x.v ->> 'queue', 'default'))
         GROUP BY 2
         ORDER BY 1
    LOOP
        IF coalesce(push_many.create_queue, false) THEN
            PERFORM chancy._ensure_queue(v_bad.queue);
        ELSE
            RAISE EXCEPTION 'unknown queue "%" at jobs[%] (ord %) (declare it first, or pass create_queue => true)',
                v_bad.queue, v_bad.ord - 1, v_bad.ord
                USING ERRCODE = 'CH001';
        END IF;
    END LOOP;

    -- 3. Insert all elements in one statement.
    BEGIN
        WITH input AS MATERIALIZED (
            SELECT s.seq AS ord, s.id, x.v
              FROM jsonb_array_elements(push_many.jobs) WITH ORDINALITY AS x(v, ord)
              JOIN chancy._uuid7_series(v_base, v_count) AS s ON s.seq = x.ord
        ), inserted AS (
            INSERT INTO chancy.jobs AS j
                (id, queue, func, kwargs, priority, scheduled_at, max_attempts, unique_key, meta, limits)
            SELECT i.id,
                   coalesce(i.v ->> 'queue', 'default'),
                   i.v ->> 'func',
                   coalesce(nullif(i.v -> 'kwargs', 'null'), '{}'),
                   coalesce((i.v ->> 'priority')::numeric::integer, 0),
                   coalesce((i.v ->> 'scheduled_at')::timestamptz, now()),
                   coalesce((i.v ->> 'max_attempts')::numeric::integer, 1),
                   i.v ->> 'unique_key',
                   coalesce(nullif(i.v -> 'meta', 'null'), '{}'),
                   coalesce(nullif(i.v -> 'limits', 'null'), '[]')
              FROM input AS i
             ORDER BY i.v ->> 'unique_key', i.ord
            ON CONFLICT (unique_key)
                WHERE unique_key IS NOT NULL AND state IN ('pending', 'retrying', 'running')
                DO NOTHING
            RETURNING j.id, j.queue
        )
        SELECT array_agg(i.id ORDER BY i.ord),
               array_agg(i.ord ORDER BY i.ord) FILTER (WHERE n.id IS NULL),
               (SELECT array_agg(DISTINCT n2.queue) FROM inserted AS n2)
          INTO v_ids, v_missing, v_queues
          FROM input AS i
          LEFT JOIN inserted AS n ON n.id = i.id;
    EXCEPTION
        WHEN invalid_datetime_format OR datetime_field_overflow THEN
            FOR v_ord, v_job IN
                SELECT x.ord::integer, x.v
                  FROM jsonb_array_elements(push_many.jobs) WITH ORDINALITY AS x(v, ord)
                 WHERE x.v ? 'scheduled_at' AND jsonb_typeof(x.v -> 'scheduled_at') = 'string'
                 ORDER BY x.ord
            LOOP
                BEGIN
                    PERFORM (v_job ->> 'scheduled_at')::timestamptz;
                EXCEPTION
                    WHEN invalid_datetime_format OR datetime_field_overflow THEN
                        RAISE EXCEPTION 'invalid job at jobs[%] (ord %): scheduled_at % is not a valid time',
                            v_ord - 1, v_ord, v_job -> 'scheduled_at'
                            USING ERRCODE = 'CH002';
                END;
            END LOOP;
            RAISE;
    END;

    PERFORM chancy._notify(jsonb_build_object('t', 'queue.pushed', 'q', q.queue))
       FROM unnest(v_queues) AS q(queue);

    -- 4. Elements refused by a unique_key: their key's holder, through push.
    IF v_missing IS NOT NULL THEN
        FOREACH v_ord IN ARRAY v_missing LOOP
            v_job := push_many.jobs -> (v_ord - 1);
            v_ids[v_ord] := chancy.push(
                func => v_job ->> 'func',
                kwargs => nullif(v_job -> 'kwargs', 'null'),
                queue => v_job ->> 'queue',
                priority => (v_job ->> 'priority')::numeric::integer,
                scheduled_at => (v_job ->> 'scheduled_at')::timestamptz,
                max_attempts => (v_job ->> 'max_attempts')::numeric::integer,
                unique_key => v_job ->> 'unique_key',
                meta => nullif(v_job -> 'meta', 'null'),
                limits => nullif(v_job -> 'limits', 'null')
            );
        END LOOP;
    END IF;

    RETURN QUERY
        SELECT g.ord, v_ids[g.ord]
          FROM generate_series(1, v_count) AS g(ord)
         ORDER BY g.ord;
END
$fn$;

COMMENT ON FUNCTION chancy.push_many(jsonb, boolean) IS
    'Add many jobs from a JSON array; one (ord, id) row per element in input order.';
