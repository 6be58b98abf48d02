-- chancy.unregister_worker(worker_id): forget a worker (clean shutdown).
--
-- Deletes its row from chancy.workers; does nothing when there is none. Its
-- running jobs are not touched: the worker releases or finishes them first,
-- and recover handles whatever is left when their leases expire.
-- STRICT: a NULL worker_id does nothing.

CREATE OR REPLACE FUNCTION chancy.unregister_worker(worker_id text)
RETURNS void
LANGUAGE sql
VOLATILE
STRICT
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
    DELETE FROM chancy.workers AS w
     WHERE w.worker_id = unregister_worker.worker_id
$fn$;

COMMENT ON FUNCTION chancy.unregister_worker(text) IS
    'Delete a worker''s row; its jobs are left to release, completion or recover.';
