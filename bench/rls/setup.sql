-- RLS benchmark data: :orgs organisations of :leads_per_org leads each, one
-- member per organisation.  Organisation n and its user have ids ending in n.
\set ON_ERROR_STOP on
SET search_path = vapi_pool, public;
INSERT INTO orgs (org_id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'Org ' || n
FROM generate_series(1, :orgs) n;
INSERT INTO org_members (org_id, user_id)
SELECT org_id, ('10000000' || substr(org_id::text, 9))::uuid FROM orgs;
INSERT INTO brokers (org_id, id, name)
SELECT org_id, ('20000000' || substr(org_id::text, 9))::uuid, 'Broker of ' || name FROM orgs;
INSERT INTO leads (org_id, broker_id, first_name, last_name, email, primary_phone_e164, zip, status)
SELECT o.org_id, ('20000000' || substr(o.org_id::text, 9))::uuid, 'First' || i, 'Last' || i,
       'lead' || i || '@example.com',
       ('+1415' || (2000000 + (row_number() OVER ()) - 1))::e164,
       lpad((10000 + i % 80000)::text, 5, '0'),
       (ARRAY['new', 'call_requested', 'connected', 'unreachable'])[1 + i % 4]
FROM orgs o, generate_series(1, :leads_per_org) i;
VACUUM (ANALYZE) orgs, org_members, brokers, leads;
