-- chancy.delete_queue(name): delete a queue and all its jobs.
--
-- Every job of the queue, whatever its state, goes with it (foreign key ON
-- DELETE CASCADE), as does its rate-limit counter; workers running its jobs
-- see their complete or fail change nothing. Sends queue.changed. Returns
-- true when it deleted the queue, false when there was none. Locks the
-- queue row and its jobs. STRICT: a NULL name returns NULL.

CREATE OR REPLACE FUNCTION chancy.delete_queue(name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    DELETE FROM chancy.queues AS q WHERE q.name = delete_queue.name;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM chancy._notify(jsonb_build_object('t', 'queue.changed', 'q', delete_queue.name));
    RETURN true;
END
$fn$;

COMMENT ON FUNCTION chancy.delete_queue(text) IS
    'Delete a queue and its jobs; true if it existed.';
