-- One chancy.push_many call with %(count)s no-op jobs for queue bench, the
-- JSON array built in the same statement; returns the number of rows pushed.
SELECT count(*)
FROM chancy.push_many((
    SELECT jsonb_agg(jsonb_build_object('func', 'bench_jobs.noop', 'queue', 'bench'))
    FROM generate_series(1, %(count)s)
));
