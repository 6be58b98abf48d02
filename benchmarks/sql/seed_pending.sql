-- Seeds (count) pending no-op jobs in queue bench straight into the table.
-- Ids ascend in insertion order, as pushes' time-ordered ids do (era 1 sorts
-- after the finished jobs of seed_finished.sql).
INSERT INTO chancy.jobs (id, queue, func)
SELECT format('00000001-0000-7000-8000-%%s', lpad(to_hex(g), 12, '0'))::uuid,
       'bench', 'bench_jobs.noop'
FROM generate_series(1, %(count)s) AS g;
