-- The bulk-push ceiling: one plain INSERT ... SELECT of (count) rows into the
-- jobs-shaped table, ids ascending as push_many's time-ordered ids do.
INSERT INTO public.bench_jobs_shape (id, queue, func)
SELECT format('00000002-0000-7000-8000-%%s', lpad(to_hex(g), 12, '0'))::uuid,
       'bench', 'bench_jobs.noop'
FROM generate_series(1, %(count)s) AS g;
