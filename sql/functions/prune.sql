-- chancy.prune(predicate, max_rows, term): delete finished jobs.
--
-- Deletes up to max_rows jobs that are succeeded, failed or cancelled and
-- match predicate, an SQL boolean expression over the alias j (a row of
-- chancy.jobs), for example
--     chancy.prune('j.completed_at < now() - interval ''1 day''')
-- Pending, retrying and running jobs are never deleted, whatever the
-- predicate says: the state test is applied both in the selection and again
-- in the DELETE. Rows are picked with FOR UPDATE SKIP LOCKED, so jobs locked
-- by someone else are left for the next run. Returns the number of jobs
-- deleted (0 when nothing matches).
--
-- The predicate is SQL text by design (it comes from Chancy's rule builder or
-- from an operator) and is spliced into the statement with format('%s'): it
-- runs with the caller's rights, so only give it text you would run
-- yourself. It is refused with CH006 (InvalidRuleError) when it is empty,
-- holds ';' or a comment, does not parse, names an unknown column or is not
-- boolean. With term given it must be the live leader's (CH003).
-- Errors: 22023 when max_rows < 1.

CREATE OR REPLACE FUNCTION chancy.prune(
    predicate text DEFAULT 'true',
    max_rows integer DEFAULT 10000,
    term bigint DEFAULT NULL
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
DECLARE
    v_deleted bigint;
    v_sql     text;
BEGIN
    IF prune.max_rows IS NULL OR prune.max_rows < 1 THEN
        RAISE EXCEPTION 'prune: max_rows must be at least 1, got %', coalesce(prune.max_rows::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF prune.predicate IS NULL OR btrim(prune.predicate) = '' THEN
        RAISE EXCEPTION 'invalid prune rule: the predicate is empty (use ''true'' to match every finished job)'
            USING ERRCODE = 'CH006';
    END IF;
    IF strpos(prune.predicate, ';') > 0 OR strpos(prune.predicate, '--') > 0
       OR strpos(prune.predicate, '/*') > 0 THEN
        RAISE EXCEPTION 'invalid prune rule %: a predicate must be one expression, without ";" or comments',
            quote_literal(prune.predicate)
            USING ERRCODE = 'CH006';
    END IF;
    PERFORM chancy._check_term(prune.term);

    v_sql := format($sql$
        WITH doomed AS (
            SELECT j.id
              FROM chancy.jobs AS j
             WHERE j.state IN ('succeeded', 'failed', 'cancelled')
               AND (%s)
             LIMIT $1
               FOR UPDATE OF j SKIP LOCKED
        )
        DELETE FROM chancy.jobs AS d
         WHERE d.id = ANY (ARRAY(SELECT doomed.id FROM doomed))
           AND d.state IN ('succeeded', 'failed', 'cancelled')
    $sql$, prune.predicate);

    BEGIN
        EXECUTE v_sql USING prune.max_rows;
    EXCEPTION
        WHEN syntax_error OR undefined_column OR undefined_table OR undefined_function
             OR datatype_mismatch OR ambiguous_column THEN
            RAISE EXCEPTION 'invalid prune rule %: %', quote_literal(prune.predicate), SQLERRM
                USING ERRCODE = 'CH006';
    END;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$fn$;

COMMENT ON FUNCTION chancy.prune(text, integer, bigint) IS
    'Delete up to max_rows finished jobs matching an SQL predicate over alias j; returns the count.';
