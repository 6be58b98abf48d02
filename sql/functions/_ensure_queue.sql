-- chancy._ensure_queue(name): create queue name with default settings if it
-- does not exist (push and push_many with create_queue => true).
--
-- Raises CH005 (InvalidQueueError) when the name is not a valid queue name.
-- Concurrent callers are safe (INSERT ... ON CONFLICT DO NOTHING); only the
-- one that creates the queue sends queue.changed. Locks the new queue row
-- until commit. Returns true when it created the queue, false when it
-- already existed.

CREATE OR REPLACE FUNCTION chancy._ensure_queue(name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    IF _ensure_queue.name IS NULL
       OR _ensure_queue.name !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$' THEN
        RAISE EXCEPTION 'invalid queue: name % must be 1 to 200 letters, digits or _ . : - starting with a letter or digit',
            coalesce(quote_literal(_ensure_queue.name), 'NULL')
            USING ERRCODE = 'CH005';
    END IF;

    INSERT INTO chancy.queues AS q (name)
    VALUES (_ensure_queue.name)
    ON CONFLICT (name) DO NOTHING;

    IF FOUND THEN
        PERFORM chancy._notify(jsonb_build_object('t', 'queue.changed', 'q', _ensure_queue.name));
        RETURN true;
    END IF;
    RETURN false;
END
$fn$;

COMMENT ON FUNCTION chancy._ensure_queue(text) IS
    'Create a queue with default settings unless it exists; CH005 for a malformed name.';
