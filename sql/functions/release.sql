-- chancy.release(job_ids, claim_ids, reason): hand claimed jobs back
-- unfinished (a worker shutting down).
--
-- The interrupted run does not count as an attempt (the job did not fail;
-- its worker stopped), so a job with max_attempts 1 survives a deploy: an
-- error {"attempt", "type": "Released", "message": reason, "traceback": null,
-- "at"} is appended, attempts goes back by one and the job is retrying, due
-- now. Fenced like complete: a job not running under the given claim_id
-- changes nothing and is absent from the result. Returns the ids changed;
-- none when nothing matches. One UPDATE, rows locked in id order.
-- Errors: 22023 for arrays of different lengths.

CREATE OR REPLACE FUNCTION chancy.release(
    job_ids uuid[],
    claim_ids uuid[],
    reason text
)
RETURNS SETOF uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM chancy._check_batch('release', release.job_ids, release.claim_ids);

    RETURN QUERY
        WITH input AS (
            SELECT u.id, u.claim_id
              FROM unnest(release.job_ids, release.claim_ids) AS u(id, claim_id)
        ), target AS (
            SELECT j.id
              FROM chancy.jobs AS j
              JOIN input AS i ON i.id = j.id AND i.claim_id = j.claim_id
             ORDER BY j.id
               FOR UPDATE OF j
        )
        UPDATE chancy.jobs AS j
           SET state = 'retrying',
               attempts = j.attempts - 1,
               scheduled_at = now(),
               completed_at = NULL,
               claim_id = NULL,
               lease_expires_at = NULL,
               errors = j.errors || jsonb_build_array(jsonb_build_object(
                   'attempt', j.attempts,
                   'type', 'Released',
                   'message', coalesce(release.reason, 'released by worker'),
                   'traceback', NULL,
                   'at', now()))
          FROM target AS t
         WHERE j.id = t.id
        RETURNING j.id;
END
$fn$;

COMMENT ON FUNCTION chancy.release(uuid[], uuid[], text) IS
    'Hand claimed jobs back unfinished: retrying now, the interrupted run not counted; claim-fenced.';
