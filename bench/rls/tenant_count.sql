-- A signed-in user of a random organisation counts their leads by status:
-- row level security supplies the org filter.
\set n random(1, :orgs)
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "10000000-0000-4000-8000-' || lpad(:n::text, 12, '0') || '", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT status, count(*) FROM vapi_pool.leads GROUP BY status;
COMMIT;
