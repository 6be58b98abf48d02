-- declare_queue: the executor is a known name or an import path; anything else raises CH005 naming it.
BEGIN;
SELECT plan(6);

SELECT throws_ok($$SELECT chancy.declare_queue('q', executor => 'rm -rf')$$, 'CH005',
    'invalid queue "q": executor must be ''async'', ''threaded'', ''process'' or an import path such as ''package.module.Class'', got ''rm -rf''',
    'an executor with a space is refused, naming it');
SELECT throws_ok($$SELECT chancy.declare_queue('q', executor => 'bogus')$$, 'CH005', NULL,
    'a bare unknown name is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', executor => 'a..b')$$, 'CH005', NULL,
    'a malformed import path is refused');
SELECT is((SELECT q.executor FROM chancy.declare_queue('t', executor => 'Threaded') AS q), 'Threaded',
    'a known name is accepted whatever its case');
SELECT is((SELECT q.executor FROM chancy.declare_queue('c', executor => 'app.executors.Gpu') AS q), 'app.executors.Gpu',
    'an import path is accepted');
SELECT is((SELECT q.executor FROM chancy.declare_queue('m', executor => 'app.executors:Gpu') AS q), 'app.executors:Gpu',
    'a module:attribute path is accepted');

SELECT * FROM finish();
ROLLBACK;
