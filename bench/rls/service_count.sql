-- Baseline of tenant_count.sql: the same request set-up and the same rows,
-- as service_role (no row level security) with the org filter written out.
\set n random(1, :orgs)
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "10000000-0000-4000-8000-' || lpad(:n::text, 12, '0') || '", "role": "service_role"}', true);
SET LOCAL ROLE service_role;
SELECT status, count(*) FROM vapi_pool.leads
WHERE org_id = ('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid GROUP BY status;
COMMIT;
