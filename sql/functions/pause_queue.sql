-- chancy.pause_queue(name, resume_at): stop workers from fetching a queue.
--
-- Sets state paused and resume_at (NULL: until resume_queue). fetch returns
-- no jobs from a paused queue, and lifts the pause itself once resume_at
-- has passed. Running jobs go on. Sends queue.changed. Returns the queue as
-- stored. Locks the queue row until commit. Errors: CH001 when the queue
-- does not exist; CH005 when resume_at is not finite.

CREATE OR REPLACE FUNCTION chancy.pause_queue(name text, resume_at timestamptz DEFAULT NULL)
RETURNS chancy.queues
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_row chancy.queues;
BEGIN
    IF NOT isfinite(coalesce(pause_queue.resume_at, now())) THEN
        RAISE EXCEPTION 'invalid queue "%": resume_at must be a finite time or NULL', pause_queue.name
            USING ERRCODE = 'CH005';
    END IF;

    UPDATE chancy.queues AS q
       SET state = 'paused',
           resume_at = pause_queue.resume_at,
           updated_at = now()
     WHERE q.name = pause_queue.name
    RETURNING q.* INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown queue "%"', pause_queue.name
            USING ERRCODE = 'CH001';
    END IF;

    PERFORM chancy._notify(jsonb_build_object('t', 'queue.changed', 'q', pause_queue.name));
    RETURN v_row;
END
$fn$;

COMMENT ON FUNCTION chancy.pause_queue(text, timestamptz) IS
    'Pause a queue, optionally until resume_at; returns the queue as stored.';
