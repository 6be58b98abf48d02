-- chancy._notify(event): send one hint on channel chancy_events.
--
-- The payload is the event's JSON text; keep it tiny (a type and a queue name,
-- job id or worker id, never kwargs). PostgreSQL folds identical
-- notifications sent within one transaction, so notifying the same queue for
-- every row of a statement delivers one message. Locks nothing; delivered at
-- commit; VOLATILE (it has an effect); STRICT: a NULL event sends nothing.

CREATE OR REPLACE FUNCTION chancy._notify(event jsonb)
RETURNS void
LANGUAGE sql
VOLATILE
STRICT
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
    SELECT pg_catalog.pg_notify('chancy_events', _notify.event::text)
$fn$;

COMMENT ON FUNCTION chancy._notify(jsonb) IS
    'NOTIFY chancy_events with a tiny JSON payload (never kwargs).';
