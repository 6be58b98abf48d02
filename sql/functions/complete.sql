-- chancy.complete(job_ids, claim_ids, metas): mark claimed jobs succeeded.
--
-- The three arrays are parallel (metas may be NULL, or hold NULLs, to keep
-- the stored meta). A job changes only if it still carries the given
-- claim_id (only a running job carries one: constraint
-- jobs_claim_only_when_running). A claim that is no longer current (the job
-- was cancelled, recovered, released or claimed again) changes nothing, and
-- that id is absent from the result. Returns the ids it marked succeeded; none when
-- nothing matches. One UPDATE statement over unnest(), locking the rows in
-- id order (so concurrent batches cannot deadlock). The claim and lease are
-- cleared; taken_by and started_at stay as a record of the last run.
-- Errors: 22023 when the arrays differ in length or a meta is not an object.

CREATE OR REPLACE FUNCTION chancy.complete(
    job_ids uuid[],
    claim_ids uuid[],
    metas jsonb[] DEFAULT NULL
)
RETURNS SETOF uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM chancy._check_batch('complete', complete.job_ids, complete.claim_ids,
                                cardinality(complete.metas), 'metas');
    IF EXISTS (SELECT 1 FROM unnest(complete.metas) AS m(meta)
                WHERE jsonb_typeof(m.meta) NOT IN ('object', 'null')) THEN
        RAISE EXCEPTION 'complete: each of metas must be a JSON object or NULL'
            USING ERRCODE = '22023';
    END IF;

    RETURN QUERY
        WITH input AS (
            SELECT u.id, u.claim_id, u.meta
              FROM unnest(complete.job_ids, complete.claim_ids, complete.metas) AS u(id, claim_id, meta)
        ), target AS (
            SELECT j.id, i.meta
              FROM chancy.jobs AS j
              JOIN input AS i ON i.id = j.id AND i.claim_id = j.claim_id
             ORDER BY j.id
               FOR UPDATE OF j
        )
        UPDATE chancy.jobs AS j
           SET state = 'succeeded',
               completed_at = now(),
               claim_id = NULL,
               lease_expires_at = NULL,
               meta = coalesce(nullif(t.meta, 'null'), j.meta)
          FROM target AS t
         WHERE j.id = t.id
        RETURNING j.id;
END
$fn$;

COMMENT ON FUNCTION chancy.complete(uuid[], uuid[], jsonb[]) IS
    'Mark jobs succeeded if their claim is still current; returns the ids changed.';
