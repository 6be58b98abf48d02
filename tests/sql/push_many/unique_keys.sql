-- push_many: an element whose unique_key is held gets the holder's id.
BEGIN;
SELECT plan(4);

SELECT chancy.push('t.held', unique_key => 'held') AS held \gset

CREATE TEMP TABLE pushed AS
SELECT * FROM chancy.push_many($$[
    {"func": "t.x", "unique_key": "fresh"},
    {"func": "t.y", "unique_key": "held"},
    {"func": "t.z", "unique_key": "fresh"},
    {"func": "t.w"}
]$$);

SELECT is((SELECT p.id FROM pushed AS p WHERE p.ord = 2), :'held'::uuid,
    'an element whose key is held by an earlier push gets that job''s id');
SELECT is((SELECT p.id FROM pushed AS p WHERE p.ord = 3), (SELECT p.id FROM pushed AS p WHERE p.ord = 1),
    'an element repeating an earlier element''s key gets the earlier element''s id');
SELECT is((SELECT count(*)::integer FROM chancy.jobs), 3, 'only the held job, "fresh" and the keyless job exist');
SELECT is((SELECT j.func FROM chancy.jobs AS j WHERE j.id = :'held'), 't.held', 'the holder is unchanged');

SELECT * FROM finish();
ROLLBACK;
