-- heartbeat: rows of workers expired for over an hour are deleted.
BEGIN;
SELECT plan(2);

INSERT INTO chancy.workers (worker_id, last_seen, expires_at)
VALUES ('dead', now() - interval '2 hours', now() - interval '61 minutes'),
       ('late', now() - interval '1 hour', now() - interval '59 minutes');
SELECT count(*) FROM chancy.heartbeat('w1', 30, 60);

SELECT is((SELECT count(*)::integer FROM chancy.workers AS w WHERE w.worker_id = 'dead'), 0,
    'a worker expired for over an hour is deleted');
SELECT is((SELECT count(*)::integer FROM chancy.workers AS w WHERE w.worker_id = 'late'), 1,
    'a worker expired for less than an hour is kept');

SELECT * FROM finish();
ROLLBACK;
