-- supabase_query: the assistant's read-only lookup tool, answered for the
-- caller's organisation only.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;

INSERT INTO orgs (org_id, name, default_region) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans', 'US'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'London Smiles', 'GB');
INSERT INTO org_members (org_id, user_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000a');
INSERT INTO brokers (org_id, id, name, email, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active, cal_user_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'Dana@Acme.example.com',
   'America/Los_Angeles', '+14155550101', '+14155550102', true, 'cal-secret-1'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Sam Ortiz', 'sam@acme.example.com',
   'America/New_York', '+12125550101', NULL, false, NULL),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Dr. Rosa Diaz', 'rosa@smiles.example.co.uk',
   'Europe/London', '+442079460101', NULL, true, NULL);
INSERT INTO territories (org_id, zip, broker_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', '90210', 'a1000000-0000-4000-8000-000000000001'),
  ('aaaaaaaa-0000-4000-8000-000000000000', '90211', 'a1000000-0000-4000-8000-000000000001'),
  ('aaaaaaaa-0000-4000-8000-000000000000', '10001', 'a1000000-0000-4000-8000-000000000002'),
  ('bbbbbbbb-0000-4000-8000-000000000000', '30301', 'b1000000-0000-4000-8000-000000000001');
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, email, primary_phone_e164, zip, redacted_medical_history) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001',
   'Pat', 'Quinn', 'pat.quinn@example.com', '+14155550123', '90210', 'asthma'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', NULL,
   'Lee', 'Wong', NULL, '+14155550124', '60601', NULL),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000001',
   'Zoë', 'Park', 'zoe@example.co.uk', '+447700900123', NULL, 'rhinoplasty consult');

-- A member of org A, as PostgREST calls an RPC.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
-- a lead by id, and by phone number in the ways people type it
SELECT jsonb_pretty(supabase_query('get_lead_details', 'a2000000-0000-4000-8000-000000000001'));
SELECT q, supabase_query('get_lead_details', q) -> 'lead' ->> 'name' AS name
FROM unnest(ARRAY['(415) 555-0123', '415.555.0123', '+1 415 555 0123', '1-415-555-0123', ' 4155550123 ', 'A2000000-0000-4000-8000-000000000001']) AS q;
-- a lead without a broker, outside every territory
SELECT supabase_query('get_lead_details', '+14155550124');
-- not found, and not a phone number: an answer, not an error
SELECT supabase_query('get_lead_details', '(415) 555-0199');
SELECT supabase_query('get_lead_details', 'b2000000-0000-4000-8000-000000000001');
SELECT supabase_query('get_lead_details', 'call me maybe');
SELECT supabase_query('get_lead_details', '');
SELECT supabase_query('get_lead_details', NULL);
-- another organisation's lead, by its phone number: not found
SELECT supabase_query('get_lead_details', '+44 7700 900123');
-- brokers by ZIP (ZIP+4 accepted), served or not
SELECT jsonb_pretty(supabase_query('find_broker_by_zip', '90210'));
SELECT supabase_query('find_broker_by_zip', '10001-1234') -> 'broker' ->> 'name' AS zip_plus_four;
SELECT supabase_query('find_broker_by_zip', '94105');
SELECT supabase_query('find_broker_by_zip', '30301');
SELECT supabase_query('find_broker_by_zip', 'Beverly Hills');
-- broker details by id, e-mail (any case) or either phone
SELECT jsonb_pretty(supabase_query('get_broker_details', 'a1000000-0000-4000-8000-000000000001'));
SELECT q, supabase_query('get_broker_details', q) -> 'broker' ->> 'name' AS name
FROM unnest(ARRAY['dana@acme.example.com', '(415) 555-0102', '212-555-0101', 'b1000000-0000-4000-8000-000000000001', 'rosa@smiles.example.co.uk']) AS q;
-- no answer ever carries internal columns
SELECT count(*) AS leaked FROM (
	SELECT supabase_query(t, i)::text AS a
	FROM (VALUES ('get_lead_details', 'a2000000-0000-4000-8000-000000000001'), ('find_broker_by_zip', '90210'),
	             ('get_broker_details', 'a1000000-0000-4000-8000-000000000001')) v(t, i)) s
WHERE a ~ '(org_id|aaaaaaaa-|asthma|cal-secret|vapi_assignment|redacted_medical_history|number_pool_size)';
-- unknown query types are errors that list the valid ones
SELECT supabase_query('delete_everything', '1');
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT supabase_query(NULL, '1');
ROLLBACK;

-- The other organisation sees its own data, with its own default region.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT supabase_query('get_lead_details', '07700 900123') -> 'lead' ->> 'name' AS national_format_in_gb;
SELECT supabase_query('find_broker_by_zip', '90210') ->> 'served' AS served;
ROLLBACK;

-- The service acting for an organisation names it in the claims.
BEGIN;
SELECT set_config('request.jwt.claims', '{"role": "service_role", "org_id": "bbbbbbbb-0000-4000-8000-000000000000"}', true);
SET LOCAL ROLE service_role;
SELECT supabase_query('get_broker_details', 'rosa@smiles.example.co.uk') -> 'broker' ->> 'name' AS name;
SELECT supabase_query('get_lead_details', '+14155550123') ->> 'found' AS other_org_lead_found;
ROLLBACK;

-- Without an organisation there is no answer; anon cannot call it at all.
BEGIN;
SET LOCAL ROLE service_role;
SELECT supabase_query('find_broker_by_zip', '90210');
ROLLBACK;
BEGIN;
SET LOCAL ROLE anon;
SELECT supabase_query('find_broker_by_zip', '90210');
ROLLBACK;

-- Read-only by construction: the function is STABLE, so PostgreSQL refuses any write in it.
SELECT provolatile, prosecdef FROM pg_proc WHERE oid = 'supabase_query(text, text)'::regprocedure;

DROP EXTENSION vapi_pool CASCADE;
