-- chancy.fail(job_ids, claim_ids, errors, retry_delays, metas): record a
-- failed run of claimed jobs.
--
-- Parallel arrays; retry_delays and metas may be NULL or hold NULLs. Each
-- error object's type, message and traceback are appended to the job's
-- errors as {"attempt": n, "type", "message", "traceback", "at": now()}
-- (n is the run that failed, 1-based). While attempts < max_attempts the job
-- goes to retrying with scheduled_at = now() + delay, the delay being the
-- given one (negative counts as 0) or, when NULL, chancy._backoff() with the
-- job's meta.retry_settings and its queue's retry_settings; otherwise it
-- becomes failed. A NULL meta keeps the stored one; a given meta is used for
-- the backoff settings too.
--
-- Fenced like complete: a job not running under the given claim_id changes
-- nothing and is absent from the result. Returns (id, state, scheduled_at)
-- of each job changed; none when nothing matches. One UPDATE statement,
-- rows locked in id order. Errors: 22023 for arrays of different lengths,
-- an error that is not a JSON object, a delay that is not finite, or a meta
-- that is not an object or holds malformed retry_settings.

CREATE OR REPLACE FUNCTION chancy.fail(
    job_ids uuid[],
    claim_ids uuid[],
    errors jsonb[],
    retry_delays double precision[] DEFAULT NULL,
    metas jsonb[] DEFAULT NULL
)
RETURNS TABLE (id uuid, state text, scheduled_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM chancy._check_batch('fail', fail.job_ids, fail.claim_ids,
                                coalesce(cardinality(fail.errors), 0), 'errors');
    PERFORM chancy._check_batch('fail', fail.job_ids, fail.claim_ids,
                                cardinality(fail.retry_delays), 'retry_delays');
    PERFORM chancy._check_batch('fail', fail.job_ids, fail.claim_ids,
                                cardinality(fail.metas), 'metas');
    IF EXISTS (SELECT 1 FROM unnest(fail.errors) AS e(error)
                WHERE e.error IS NULL OR jsonb_typeof(e.error) <> 'object') THEN
        RAISE EXCEPTION 'fail: each of errors must be a JSON object like {"type": ..., "message": ..., "traceback": ...}'
            USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(fail.retry_delays) AS d(delay)
                WHERE d.delay IN ('NaN', 'Infinity', '-Infinity') OR d.delay > 315360000) THEN
        RAISE EXCEPTION 'fail: each of retry_delays must be NULL or a number of seconds up to 315360000 (ten years)'
            USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(fail.metas) AS m(meta)
                WHERE jsonb_typeof(m.meta) NOT IN ('object', 'null')) THEN
        RAISE EXCEPTION 'fail: each of metas must be a JSON object or NULL'
            USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(fail.metas) AS m(meta)
                WHERE m.meta ? 'retry_settings'
                  AND chancy._retry_settings_problem(m.meta -> 'retry_settings') IS NOT NULL) THEN
        RAISE EXCEPTION 'fail: a meta.retry_settings is malformed (%)',
            (SELECT chancy._retry_settings_problem(m.meta -> 'retry_settings')
               FROM unnest(fail.metas) AS m(meta)
              WHERE m.meta ? 'retry_settings'
                AND chancy._retry_settings_problem(m.meta -> 'retry_settings') IS NOT NULL
              LIMIT 1)
            USING ERRCODE = '22023';
    END IF;

    RETURN QUERY
        WITH input AS (
            SELECT u.id, u.claim_id, u.error, u.delay, nullif(u.meta, 'null') AS meta
              FROM unnest(fail.job_ids, fail.claim_ids, fail.errors, fail.retry_delays, fail.metas)
                   AS u(id, claim_id, error, delay, meta)
        ), target AS (
            SELECT j.id, i.error, i.delay, coalesce(i.meta, j.meta) AS meta,
                   j.attempts < j.max_attempts AS again,
                   q.retry_settings
              FROM chancy.jobs AS j
              JOIN input AS i ON i.id = j.id AND i.claim_id = j.claim_id
              JOIN chancy.queues AS q ON q.name = j.queue
             ORDER BY j.id
               FOR UPDATE OF j
        )
        UPDATE chancy.jobs AS j
           SET state = CASE WHEN t.again THEN 'retrying' ELSE 'failed' END,
               scheduled_at = CASE
                   WHEN NOT t.again THEN j.scheduled_at
                   WHEN t.delay IS NOT NULL THEN now() + make_interval(secs => greatest(t.delay, 0))
                   ELSE now() + make_interval(secs => chancy._backoff(
                       j.attempts, t.meta -> 'retry_settings', t.retry_settings))
               END,
               completed_at = CASE WHEN t.again THEN NULL ELSE now() END,
               claim_id = NULL,
               lease_expires_at = NULL,
               meta = t.meta,
               errors = j.errors || jsonb_build_array(jsonb_build_object(
                   'attempt', j.attempts,
                   'type', t.error -> 'type',
                   'message', t.error -> 'message',
                   'traceback', t.error -> 'traceback',
                   'at', now()))
          FROM target AS t
         WHERE j.id = t.id
        RETURNING j.id, j.state, j.scheduled_at;
END
$fn$;

COMMENT ON FUNCTION chancy.fail(uuid[], uuid[], jsonb[], double precision[], jsonb[]) IS
    'Record a failed run: retrying with a backoff while attempts remain, else failed; claim-fenced.';
