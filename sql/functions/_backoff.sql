-- chancy._backoff(attempts, job_settings, queue_settings): seconds to wait
-- before the next run of a job that failed its attempts-th run.
--
--   min(backoff_limit, backoff * backoff_factor ^ (attempts - 1))
--     * (1 + backoff_jitter * random())
--
-- Each setting comes from job_settings (the job's meta.retry_settings), else
-- queue_settings (the queue's retry_settings), else the defaults backoff 1,
-- backoff_factor 2, backoff_limit 300, backoff_jitter 0.1. push and
-- declare_queue validate the settings (non-negative numbers). The power is
-- never computed past the limit, so large attempt counts cannot overflow.
-- Locks nothing; VOLATILE because of the jitter; never returns NULL.

CREATE OR REPLACE FUNCTION chancy._backoff(
    attempts integer,
    job_settings jsonb DEFAULT '{}',
    queue_settings jsonb DEFAULT '{}'
)
RETURNS double precision
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
DECLARE
    v_settings jsonb;
    v_backoff  double precision;
    v_factor   double precision;
    v_limit    double precision;
    v_jitter   double precision;
    v_steps    integer := greatest(coalesce(_backoff.attempts, 1), 1) - 1;
    v_delay    double precision;
BEGIN
    v_settings := '{"backoff": 1, "backoff_factor": 2, "backoff_limit": 300, "backoff_jitter": 0.1}'::jsonb
        || CASE WHEN jsonb_typeof(_backoff.queue_settings) = 'object' THEN _backoff.queue_settings ELSE '{}' END
        || CASE WHEN jsonb_typeof(_backoff.job_settings) = 'object' THEN _backoff.job_settings ELSE '{}' END;
    v_backoff := greatest((v_settings ->> 'backoff')::double precision, 0);
    v_factor := greatest((v_settings ->> 'backoff_factor')::double precision, 0);
    v_limit := greatest((v_settings ->> 'backoff_limit')::double precision, 0);
    v_jitter := greatest((v_settings ->> 'backoff_jitter')::double precision, 0);

    IF v_backoff = 0 OR v_limit = 0 THEN
        v_delay := 0;
    ELSIF v_factor <= 1 OR v_steps * ln(v_factor) < ln(v_limit / v_backoff) THEN
        v_delay := least(v_limit, v_backoff * power(v_factor, v_steps));
    ELSE
        v_delay := v_limit;
    END IF;

    RETURN v_delay * (1 + v_jitter * random());
END
$fn$;

COMMENT ON FUNCTION chancy._backoff(integer, jsonb, jsonb) IS
    'Retry delay in seconds: min(limit, backoff * factor^(attempts-1)) * (1 + jitter * random()).';
