-- push: works from a trigger, inside the caller's transaction.
BEGIN;
SELECT plan(2);

CREATE TEMP TABLE signups (email text);
CREATE FUNCTION pg_temp.signup_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chancy.push('app.welcome', jsonb_build_object('email', NEW.email));
    RETURN NEW;
END $$;
CREATE TRIGGER signup_job AFTER INSERT ON signups FOR EACH ROW EXECUTE FUNCTION pg_temp.signup_job();

INSERT INTO signups VALUES ('a@example.com'), ('b@example.com');

SELECT is((SELECT count(*)::integer FROM chancy.jobs AS j WHERE j.func = 'app.welcome'), 2,
    'each inserted row pushed one job');
SELECT results_eq($$SELECT j.kwargs ->> 'email' FROM chancy.jobs AS j ORDER BY j.id$$,
    ARRAY['a@example.com', 'b@example.com'], 'the jobs carry the rows'' data in insert order');

SELECT * FROM finish();
ROLLBACK;
