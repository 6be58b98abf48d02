-- chancy._retry_settings_problem(settings): what is wrong with a
-- retry_settings object, or NULL when nothing is.
--
-- Accepted: NULL or a JSON object whose keys are among backoff,
-- backoff_factor, backoff_limit, backoff_jitter, each a number >= 0.
-- Shared by push, push_many (meta.retry_settings) and declare_queue
-- (retry_settings), which turn the answer into their own error. Locks
-- nothing; IMMUTABLE (depends on its argument only).

CREATE OR REPLACE FUNCTION chancy._retry_settings_problem(settings jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
    SELECT CASE
        WHEN _retry_settings_problem.settings IS NULL THEN NULL
        WHEN jsonb_typeof(_retry_settings_problem.settings) <> 'object' THEN
            'must be a JSON object'
        ELSE (
            SELECT CASE
                WHEN s.key NOT IN ('backoff', 'backoff_factor', 'backoff_limit', 'backoff_jitter') THEN
                    format('has unknown key %s (known: backoff, backoff_factor, backoff_limit, backoff_jitter)', s.key)
                ELSE
                    format('%s must be a number >= 0', s.key)
            END
            FROM jsonb_each(_retry_settings_problem.settings) AS s
            WHERE s.key NOT IN ('backoff', 'backoff_factor', 'backoff_limit', 'backoff_jitter')
               OR CASE WHEN jsonb_typeof(s.value) = 'number'
                       THEN (s.value #>> '{}')::numeric < 0
                       ELSE true
                  END
            ORDER BY s.key
            LIMIT 1
        )
    END
$fn$;

COMMENT ON FUNCTION chancy._retry_settings_problem(jsonb) IS
    'NULL if a retry_settings object is valid, else a sentence saying what is wrong.';
