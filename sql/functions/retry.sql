-- chancy.retry(job_ids): run finished jobs again.
--
-- succeeded, failed and cancelled jobs go back to pending, due now, with
-- attempts reset to 0 and completed_at cleared; their errors are kept as
-- history. Unfinished jobs and unknown ids are left alone and absent from
-- the result. Returns the ids changed; none when nothing matches. Locks the
-- rows in id order. Raises CH008 (InvalidStateError) naming the job and the
-- key when a job's unique_key is now held by another unfinished job (nothing
-- is changed then).

CREATE OR REPLACE FUNCTION chancy.retry(job_ids uuid[])
RETURNS SETOF uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_clash record;
BEGIN
    SELECT j.id, j.unique_key, o.id AS holder INTO v_clash
      FROM chancy.jobs AS j
      JOIN chancy.jobs AS o
        ON o.unique_key = j.unique_key
       AND o.state IN ('pending', 'retrying', 'running')
     WHERE j.id = ANY (retry.job_ids)
       AND j.state IN ('succeeded', 'failed', 'cancelled')
     ORDER BY j.id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'job % cannot be retried: unique_key % is held by unfinished job %',
            v_clash.id, quote_literal(v_clash.unique_key), v_clash.holder
            USING ERRCODE = 'CH008';
    END IF;

    RETURN QUERY
        WITH target AS (
            SELECT j.id
              FROM chancy.jobs AS j
             WHERE j.id = ANY (retry.job_ids)
               AND j.state IN ('succeeded', 'failed', 'cancelled')
             ORDER BY j.id
               FOR UPDATE OF j
        )
        UPDATE chancy.jobs AS j
           SET state = 'pending',
               attempts = 0,
               scheduled_at = now(),
               completed_at = NULL,
               claim_id = NULL,
               lease_expires_at = NULL
          FROM target AS t
         WHERE j.id = t.id
           AND j.state IN ('succeeded', 'failed', 'cancelled')
        RETURNING j.id;
END
$fn$;

COMMENT ON FUNCTION chancy.retry(uuid[]) IS
    'Put finished jobs back to pending with attempts reset (errors kept); returns the ids changed.';
