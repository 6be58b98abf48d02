-- chancy.delete_jobs(job_ids): delete jobs, whatever their state.
--
-- A running job deleted here is gone for its worker too: its complete or
-- fail then changes nothing. Unknown ids are ignored. Returns the ids
-- deleted; none when nothing matches. Locks (and removes) the rows.

CREATE OR REPLACE FUNCTION chancy.delete_jobs(job_ids uuid[])
RETURNS SETOF uuid
LANGUAGE sql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
    DELETE FROM chancy.jobs AS j
     WHERE j.id = ANY (delete_jobs.job_ids)
    RETURNING j.id
$fn$;

COMMENT ON FUNCTION chancy.delete_jobs(uuid[]) IS
    'Delete jobs by id, whatever their state; returns the ids deleted.';
