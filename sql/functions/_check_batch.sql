-- chancy._check_batch(fn, job_ids, claim_ids, other, other_name): argument
-- check shared by complete, fail and release.
--
-- job_ids and claim_ids must not be NULL, must hold no NULL job id, and must
-- have the same length; other (an optional parallel array, given by its
-- length) must be NULL or as long as job_ids. Raises 22023 naming the
-- function and the argument. Locks nothing.

CREATE OR REPLACE FUNCTION chancy._check_batch(
    fn text,
    job_ids uuid[],
    claim_ids uuid[],
    other_length integer DEFAULT NULL,
    other_name text DEFAULT NULL
)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
BEGIN
    IF _check_batch.job_ids IS NULL OR _check_batch.claim_ids IS NULL THEN
        RAISE EXCEPTION '%: job_ids and claim_ids must not be NULL', _check_batch.fn
            USING ERRCODE = '22023';
    END IF;
    IF coalesce(cardinality(_check_batch.job_ids), 0) <> coalesce(cardinality(_check_batch.claim_ids), 0) THEN
        RAISE EXCEPTION '%: job_ids has % elements but claim_ids has %', _check_batch.fn,
            cardinality(_check_batch.job_ids), cardinality(_check_batch.claim_ids)
            USING ERRCODE = '22023';
    END IF;
    IF array_position(_check_batch.job_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '%: job_ids must not contain NULL (element %)', _check_batch.fn,
            array_position(_check_batch.job_ids, NULL)
            USING ERRCODE = '22023';
    END IF;
    IF _check_batch.other_length IS NOT NULL
       AND _check_batch.other_length <> cardinality(_check_batch.job_ids) THEN
        RAISE EXCEPTION '%: job_ids has % elements but % has %', _check_batch.fn,
            cardinality(_check_batch.job_ids), _check_batch.other_name, _check_batch.other_length
            USING ERRCODE = '22023';
    END IF;
END
$fn$;

COMMENT ON FUNCTION chancy._check_batch(text, uuid[], uuid[], integer, text) IS
    'Raise 22023 unless job_ids, claim_ids (and another parallel array) have matching lengths.';
