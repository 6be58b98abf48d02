-- schema_version: the highest version in the migration ledger.
BEGIN;
SELECT plan(2);

SELECT is(chancy.schema_version(), (SELECT max(m.version) FROM chancy.migrations AS m),
    'schema_version is the highest applied migration');
SELECT ok(chancy.schema_version() >= 1, 'the initial migration is recorded');

SELECT * FROM finish();
ROLLBACK;
