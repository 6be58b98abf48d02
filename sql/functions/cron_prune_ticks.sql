-- chancy.cron_prune_ticks: forget ledger rows of ticks fired long ago.
--
-- Safe because a schedule's next_run only moves forward: a tick before it is
-- never fired again whether or not its ledger row remains. Deletes up to
-- max_rows rows fired before now() - keep. If term is given and is not the
-- live leader's term: CH003. Returns the number of rows deleted (0 if none).
CREATE OR REPLACE FUNCTION chancy.cron_prune_ticks(
    keep interval DEFAULT '7 days',
    max_rows integer DEFAULT 10000,
    term bigint DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = chancy, pg_catalog, pg_temp
AS $function$
DECLARE
    v_deleted bigint;
BEGIN
    PERFORM chancy._check_term(cron_prune_ticks.term);
    IF cron_prune_ticks.keep IS NULL OR cron_prune_ticks.keep < interval '0'
       OR cron_prune_ticks.max_rows IS NULL OR cron_prune_ticks.max_rows < 1 THEN
        RAISE EXCEPTION 'keep must be a non-negative interval and max_rows at least 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    DELETE FROM chancy.cron_ticks AS k
     WHERE (k.schedule_name, k.tick_at) IN (
         SELECT o.schedule_name, o.tick_at
           FROM chancy.cron_ticks AS o
          WHERE o.fired_at < now() - cron_prune_ticks.keep
          ORDER BY o.fired_at
          LIMIT cron_prune_ticks.max_rows
            FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$function$;

COMMENT ON FUNCTION chancy.cron_prune_ticks(interval, integer, bigint) IS
    'Leader only: delete up to max_rows cron tick ledger rows fired more than keep ago; returns the count.';
