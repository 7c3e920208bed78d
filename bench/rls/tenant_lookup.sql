-- A signed-in user looks a lead of their organisation up by phone number.
\set n random(1, :orgs)
\set i random(1, :leads_per_org)
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "10000000-0000-4000-8000-' || lpad(:n::text, 12, '0') || '", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
-- as PostgREST with vapi_pool in db-extra-search-path: e164 = e164 is the indexed operator
SET LOCAL search_path = vapi_pool, public;
SELECT id, name, email FROM vapi_pool.leads
WHERE primary_phone_e164 = ('+1415' || (2000000 + (:n - 1) * :leads_per_org + :i - 1))::vapi_pool.e164;
COMMIT;
