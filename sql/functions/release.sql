-- chancy.release(job_ids, claim_ids, reason): hand claimed jobs back
-- unfinished (a worker shutting down).
--
-- The run counts as an attempt: an error {"attempt", "type": "Released",
-- "message": reason, "traceback": null, "at"} is appended and the job goes to
-- retrying, due now, while attempts < max_attempts; otherwise it becomes
-- failed. Fenced like complete: a job not running under the given claim_id
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
            SELECT j.id, j.attempts < j.max_attempts AS again
              FROM chancy.jobs AS j
              JOIN input AS i ON i.id = j.id AND i.claim_id = j.claim_id
             ORDER BY j.id
               FOR UPDATE OF j
        )
        UPDATE chancy.jobs AS j
           SET state = CASE WHEN t.again THEN 'retrying' ELSE 'failed' END,
               scheduled_at = CASE WHEN t.again THEN now() ELSE j.scheduled_at END,
               completed_at = CASE WHEN t.again THEN NULL ELSE now() END,
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
    'Hand claimed jobs back unfinished: retrying now (attempt counted) or failed; claim-fenced.';
