-- chancy.cancel(job_ids): cancel jobs that have not finished.
--
-- pending, retrying and running jobs become cancelled with completed_at
-- now(); a running job's claim and lease are cleared, so its worker's
-- complete or fail is refused, and {"t":"job.cancelled","j":id} is sent for
-- it so the worker can interrupt it. Finished jobs and unknown ids are left
-- alone and absent from the result. Returns the ids it cancelled; none when
-- nothing matches. Locks the rows in id order (waits for a concurrent
-- update of the same job).

CREATE OR REPLACE FUNCTION chancy.cancel(job_ids uuid[])
RETURNS SETOF uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_id      uuid;
    v_ids     uuid[];
    v_running uuid[];
BEGIN
    WITH target AS (
        SELECT j.id, j.state
          FROM chancy.jobs AS j
         WHERE j.id = ANY (cancel.job_ids)
           AND j.state IN ('pending', 'retrying', 'running')
         ORDER BY j.id
           FOR UPDATE OF j
    ), cancelled AS (
        UPDATE chancy.jobs AS j
           SET state = 'cancelled',
               completed_at = now(),
               claim_id = NULL,
               lease_expires_at = NULL
          FROM target AS t
         WHERE j.id = t.id
           AND j.state IN ('pending', 'retrying', 'running')
        RETURNING j.id, t.state AS was
    )
    SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}'),
           coalesce(array_agg(c.id ORDER BY c.id) FILTER (WHERE c.was = 'running'), '{}')
      INTO v_ids, v_running
      FROM cancelled AS c;

    FOREACH v_id IN ARRAY v_running LOOP
        PERFORM chancy._notify(jsonb_build_object('t', 'job.cancelled', 'j', v_id));
    END LOOP;

    RETURN QUERY SELECT u.id FROM unnest(v_ids) AS u(id);
END
$fn$;

COMMENT ON FUNCTION chancy.cancel(uuid[]) IS
    'Cancel pending, retrying and running jobs (running ones get job.cancelled); returns the ids changed.';
