-- chancy.resume_queue(name): let workers fetch a paused queue again.
--
-- Sets state active and clears resume_at (an active queue stays as it is,
-- but still gets queue.changed). Returns the queue as stored. Locks the
-- queue row until commit. Errors: CH001 when the queue does not exist.

CREATE OR REPLACE FUNCTION chancy.resume_queue(name text)
RETURNS chancy.queues
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_row chancy.queues;
BEGIN
    UPDATE chancy.queues AS q
       SET state = 'active',
           resume_at = NULL,
           updated_at = now()
     WHERE q.name = resume_queue.name
    RETURNING q.* INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown queue "%"', resume_queue.name
            USING ERRCODE = 'CH001';
    END IF;

    PERFORM chancy._notify(jsonb_build_object('t', 'queue.changed', 'q', resume_queue.name));
    RETURN v_row;
END
$fn$;

COMMENT ON FUNCTION chancy.resume_queue(text) IS
    'Resume a paused queue; returns the queue as stored.';
