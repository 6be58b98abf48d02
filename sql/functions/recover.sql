-- chancy.recover(max_rows, term): give back jobs whose worker vanished.
--
-- Up to max_rows running jobs whose lease expired (lease_expires_at <
-- now()) go to retrying, due now, with an error {"attempt", "type":
-- "WorkerLost", "message": "worker lost: lease expired", "traceback": null,
-- "at"} appended; or to failed (completed_at now) when attempts >=
-- max_attempts. Their claim and lease are cleared, so a late complete from
-- the lost worker is refused. Jobs are taken oldest lease first with FOR
-- UPDATE SKIP LOCKED: a job being completed or heartbeated right now is left
-- for the next run, and a live lease or a finished job is never touched.
-- Returns (id, state) of each job changed; none when nothing expired.
-- With term given it must be the live leader's (CH003 NotLeaderError
-- otherwise; the leader row is then locked FOR SHARE until commit).
-- Errors: 22023 when max_rows < 1.

CREATE OR REPLACE FUNCTION chancy.recover(max_rows integer DEFAULT 1000, term bigint DEFAULT NULL)
RETURNS TABLE (id uuid, state text)
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    IF recover.max_rows IS NULL OR recover.max_rows < 1 THEN
        RAISE EXCEPTION 'recover: max_rows must be at least 1, got %', coalesce(recover.max_rows::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    PERFORM chancy._check_term(recover.term);

    RETURN QUERY
        WITH expired AS (
            SELECT j.id, j.attempts < j.max_attempts AS again
              FROM chancy.jobs AS j
             WHERE j.state = 'running'
               AND j.lease_expires_at < now()
             ORDER BY j.lease_expires_at
             LIMIT recover.max_rows
               FOR UPDATE OF j SKIP LOCKED
        )
        UPDATE chancy.jobs AS j
           SET state = CASE WHEN e.again THEN 'retrying' ELSE 'failed' END,
               scheduled_at = CASE WHEN e.again THEN now() ELSE j.scheduled_at END,
               completed_at = CASE WHEN e.again THEN NULL ELSE now() END,
               claim_id = NULL,
               lease_expires_at = NULL,
               errors = j.errors || jsonb_build_array(jsonb_build_object(
                   'attempt', j.attempts,
                   'type', 'WorkerLost',
                   'message', 'worker lost: lease expired',
                   'traceback', NULL,
                   'at', now()))
          FROM expired AS e
         WHERE j.id = e.id
        RETURNING j.id, j.state;
END
$fn$;

COMMENT ON FUNCTION chancy.recover(integer, bigint) IS
    'Running jobs with an expired lease go back to retrying (WorkerLost) or to failed; SKIP LOCKED.';
