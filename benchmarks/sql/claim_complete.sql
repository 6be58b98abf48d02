-- pgbench: claim up to :n due jobs and complete them, one statement.
-- Each client claims as its own worker id.
SELECT chancy.complete(array_agg(f.id), array_agg(f.claim_id))
FROM chancy.fetch('bench', 'w' || (:client_id)::text, :n, 60) AS f;
