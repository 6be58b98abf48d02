-- chancy.cron_fire: fire ticks of one cron schedule, each exactly once.
--
-- Called by the leader's Cron plugin, which computes the ticks from the
-- database clock with croniter. Refuses (CH003) unless term is the live
-- leader's term (chancy._check_term holds the leader row FOR SHARE, so the
-- term cannot change before commit). Locks the schedule's row, then for each tick not already in
-- chancy.cron_ticks inserts the ledger row and pushes the schedule's job
-- (meta.cron = {"schedule", "tick"}) in this same transaction, so a crash
-- anywhere fires nothing and a tick in the ledger never fires again, even
-- after its job is pruned. Ticks before the stored next_run, or not after
-- revised_at, were handled or skipped already and are ignored. Finally moves
-- last_run and next_run forward (never back).
--
-- A tick later than now(), or a next_run not after every tick, is refused
-- (22023). When the schedule is gone or its revision is not the given one
-- (the expression or time zone changed meanwhile), nothing happens.
-- Returns one row per tick fired by this call: (tick_at, job_id).
CREATE OR REPLACE FUNCTION chancy.cron_fire(
    term bigint,
    name text,
    revision bigint,
    ticks timestamptz[],
    next_run timestamptz
)
RETURNS TABLE (tick_at timestamptz, job_id uuid)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = chancy, pg_catalog, pg_temp
AS $function$
DECLARE
    v_schedule chancy.cron_schedules;
    v_tick     timestamptz;
    v_last     timestamptz;
    v_job      uuid;
BEGIN
    IF cron_fire.term IS NULL THEN
        RAISE EXCEPTION 'a term is required to fire schedule %', cron_fire.name
            USING ERRCODE = 'CH003';
    END IF;
    PERFORM chancy._check_term(cron_fire.term);

    IF cron_fire.next_run IS NULL THEN
        RAISE EXCEPTION 'next_run of schedule % must be given', cron_fire.name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(cron_fire.ticks) AS t(at) WHERE t.at > now()) THEN
        RAISE EXCEPTION 'schedule %: a tick later than the database clock (%) cannot fire', cron_fire.name, now()
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(cron_fire.ticks) AS t(at) WHERE t.at >= cron_fire.next_run) THEN
        RAISE EXCEPTION 'schedule %: next_run % is not after every tick', cron_fire.name, cron_fire.next_run
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT s.* INTO v_schedule
      FROM chancy.cron_schedules AS s
     WHERE s.name = cron_fire.name
       FOR UPDATE;
    IF NOT FOUND OR v_schedule.revision <> cron_fire.revision THEN
        RETURN;
    END IF;

    FOR v_tick IN
        SELECT DISTINCT t.at
          FROM unnest(cron_fire.ticks) AS t(at)
         WHERE t.at IS NOT NULL
           AND t.at > v_schedule.revised_at
           AND (v_schedule.next_run IS NULL OR t.at >= v_schedule.next_run)
         ORDER BY t.at
    LOOP
        INSERT INTO chancy.cron_ticks AS k (schedule_name, tick_at, term)
        VALUES (v_schedule.name, v_tick, cron_fire.term)
        ON CONFLICT ON CONSTRAINT cron_ticks_pkey DO NOTHING;
        CONTINUE WHEN NOT FOUND;

        v_job := chancy.push(
            func         => v_schedule.func,
            kwargs       => v_schedule.kwargs,
            queue        => v_schedule.queue,
            priority     => v_schedule.priority,
            max_attempts => v_schedule.max_attempts,
            unique_key   => v_schedule.unique_key,
            meta         => v_schedule.meta || jsonb_build_object(
                                'cron', jsonb_build_object(
                                    'schedule', v_schedule.name,
                                    'tick', v_tick)),
            limits       => v_schedule.limits
        );
        UPDATE chancy.cron_ticks AS k
           SET job_id = v_job
         WHERE k.schedule_name = v_schedule.name AND k.tick_at = v_tick;

        v_last := v_tick;
        tick_at := v_tick;
        job_id := v_job;
        RETURN NEXT;
    END LOOP;

    UPDATE chancy.cron_schedules AS s
       SET last_run = CASE WHEN v_last IS NOT NULL AND (s.last_run IS NULL OR v_last > s.last_run)
                           THEN v_last ELSE s.last_run END,
           next_run = CASE WHEN s.next_run IS NULL OR cron_fire.next_run > s.next_run
                           THEN cron_fire.next_run ELSE s.next_run END
     WHERE s.name = v_schedule.name;
END;
$function$;

COMMENT ON FUNCTION chancy.cron_fire(bigint, text, bigint, timestamptz[], timestamptz) IS
    'Leader only: push one job per tick of schedule NAME not yet in the tick ledger, and advance next_run; CH003 for a stale term.';
