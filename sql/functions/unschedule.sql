-- chancy.unschedule: delete a cron schedule by name.
--
-- Its ledger of fired ticks goes with it (foreign key cascade); jobs it
-- already pushed stay. Locks the schedule's row. Returns false when no
-- schedule has that name. Sends {"t":"cron.changed"} when one was deleted.
CREATE OR REPLACE FUNCTION chancy.unschedule(name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
STRICT
SECURITY INVOKER
SET search_path = chancy, pg_catalog, pg_temp
AS $function$
BEGIN
    DELETE FROM chancy.cron_schedules AS s WHERE s.name = unschedule.name;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM chancy._notify('{"t":"cron.changed"}');
    RETURN true;
END;
$function$;

COMMENT ON FUNCTION chancy.unschedule(text) IS
    'Delete the cron schedule NAME and its tick ledger; false if there was none.';
