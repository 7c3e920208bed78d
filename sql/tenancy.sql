-- Tenancy and row level security, driven the way PostgREST drives it:
-- set_config('request.jwt.claims', ..., true) then SET LOCAL ROLE, per transaction.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;

-- ---------------------------------------------------------------- the roles

SELECT rolname, rolcanlogin, rolbypassrls FROM pg_roles
WHERE rolname IN ('anon', 'authenticated', 'service_role') ORDER BY rolname;

-- Every table has row level security enabled and forced.
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
FROM pg_class c
WHERE c.relnamespace = 'vapi_pool'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;

-- Every table and sequence of the extension is dumped with its rows and
-- value (pg_extension_config_dump): a backup restores them (0.7.1 found
-- offered_slots_id_seq unmarked).
SELECT c.oid::regclass AS not_dumped
FROM pg_class c
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'vapi_pool'
WHERE c.relkind IN ('r', 'S') AND c.oid <> ALL (e.extconfig)
ORDER BY 1;

-- Every policy is for authenticated and compares org_id with a sub-select of auth_org_id().
SELECT tablename, policyname, cmd, roles
FROM pg_policies WHERE schemaname = 'vapi_pool' ORDER BY tablename, policyname;
SELECT count(*) AS policies_without_subselect FROM pg_policies
WHERE schemaname = 'vapi_pool'
  AND coalesce(qual, with_check) NOT LIKE '%(org_id = ( SELECT auth_org_id() AS auth_org_id))%';

-- The Citus rule: every primary key, unique and exclusion constraint and every
-- foreign key between tenant tables starts with org_id (except the documented
-- global uniqueness of a pool number, unmatched_call_reports: reports no
-- organisation claims, kept for the operator, with no tenant to shard by, and
-- webhook_inbox: an event is stored before anyone knows whose it is, and,
-- since 0.5.0, the ids of the shared vendor accounts: a Vapi phone number id,
-- a Cal.com booking uid and event type id, an Instantly campaign id, and,
-- since 0.7.0, do_not_call_global: the deployment's own do-not-call list,
-- which no tenant owns and only service_role reads or writes).
SELECT conrelid::regclass AS tbl, conname, contype
FROM pg_constraint
WHERE connamespace = 'vapi_pool'::regnamespace AND contype IN ('p', 'u', 'x', 'f')
  AND conrelid <> 'orgs'::regclass
  AND (conkey[1] IS DISTINCT FROM (SELECT attnum FROM pg_attribute WHERE attrelid = conrelid AND attname = 'org_id'))
ORDER BY 1, 2;
SELECT indexrelid::regclass AS unique_index_without_org_id
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'vapi_pool'::regnamespace AND i.indisunique
  AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id'
                  AND a.attnum = ANY (i.indkey::int2[]))
ORDER BY 1;

-- ---------------------------------------------------------------- two organisations

INSERT INTO orgs (org_id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'Bright Smile Clinic');
INSERT INTO org_members (org_id, user_id, role) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'owner'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000b', 'member'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000a', 'owner'),
  -- a consultant who works for both
  ('aaaaaaaa-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-00000000000c', 'member'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-00000000000c', 'member');

-- The same rows in each organisation: the id's first letter names the org.
INSERT INTO brokers (org_id, id, name, email, primary_phone_e164, secondary_phone_e164, number_pool_active)
SELECT o, (l || '1000000-0000-4000-8000-000000000001')::uuid, n, e, p::e164, s::e164, true
FROM (VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, 'a', 'Dana Lee', 'dana@acme.example.com', '+14155550101', '+14155550102'),
             ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, 'b', 'Dr. Rosa Diaz', 'rosa@bright.example.com', '+13105550101', NULL))
     AS v(o, l, n, e, p, s);
INSERT INTO territories (org_id, zip, broker_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', '90210', 'a1000000-0000-4000-8000-000000000001'),
  ('bbbbbbbb-0000-4000-8000-000000000000', '90210', 'b1000000-0000-4000-8000-000000000001');
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, email, primary_phone_e164, zip)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001',
        'a1000000-0000-4000-8000-000000000001', 'Pat', 'Quinn', 'pat.quinn@example.com', '+14155550123', '90210'),
       ('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001',
        'b1000000-0000-4000-8000-000000000001', 'Zoë', 'Park', 'zoe@example.com', '+14155550123', '90210');
INSERT INTO vapi_number_pool (org_id, id, broker_id, number, vapi_phone_number_id, status)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000001',
        'a1000000-0000-4000-8000-000000000001', '+14155550150', 'pn-a-1', 'assigned'),
       ('bbbbbbbb-0000-4000-8000-000000000000', 'b3000000-0000-4000-8000-000000000001',
        'b1000000-0000-4000-8000-000000000001', '+13105550150', 'pn-b-1', 'assigned');
INSERT INTO vapi_number_assignments (org_id, id, pool_number_id, broker_id, lead_id)
SELECT org_id, (left(id::text, 1) || '4' || substr(id::text, 3))::uuid, id, broker_id,
       (left(id::text, 1) || '2000000-0000-4000-8000-000000000001')::uuid
FROM vapi_number_pool;
UPDATE leads SET vapi_assignment_id = (left(id::text, 1) || '4000000-0000-4000-8000-000000000001')::uuid;
INSERT INTO vapi_call_logs (org_id, id, lead_id, broker_id, assignment_id, vapi_call_id, direction, transcript)
SELECT org_id, (left(id::text, 1) || '5' || substr(id::text, 3))::uuid, lead_id, broker_id, id,
       'call-' || left(id::text, 1), 'outbound_to_lead', 'AI: Hello, this is Barbara.'
FROM vapi_number_assignments;
INSERT INTO appointments (org_id, id, contact_id, broker_id, status, scheduled_at, hold_expires_at)
SELECT org_id, (left(id::text, 1) || '6' || substr(id::text, 3))::uuid, id, broker_id, 'held',
       '2031-03-04 10:00+00', '2031-03-04 09:05+00'
FROM leads;

-- A fingerprint of everything organisation B holds, to prove later that nothing changed.
CREATE VIEW b_state AS
SELECT t AS tbl, md5(string_agg(r, '|' ORDER BY r)) AS digest
FROM (SELECT 'orgs' t, o::text r FROM orgs o WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'org_members', m::text FROM org_members m WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'brokers', b::text FROM brokers b WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'territories', x::text FROM territories x WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'leads', l::text FROM leads l WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'vapi_number_pool', p::text FROM vapi_number_pool p WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'vapi_number_assignments', a::text FROM vapi_number_assignments a WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'vapi_call_logs', c::text FROM vapi_call_logs c WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'appointments', ap::text FROM appointments ap WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000') s
GROUP BY t;
CREATE TABLE b_fingerprint AS SELECT * FROM b_state;

-- ---------------------------------------------------------------- the probe

-- One row of each table of org B, as JSON, rewritten to a fresh primary key:
-- what a user of org A would try to insert into org B.
CREATE TABLE probe_rows AS
SELECT 'orgs' AS tbl, to_jsonb(o) || '{"org_id": "bbbbbbbb-0000-4000-8000-0000000000ff"}' AS other,
       to_jsonb(o) || '{"org_id": "aaaaaaaa-0000-4000-8000-0000000000ff"}' AS own
FROM orgs o WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
INSERT INTO probe_rows
SELECT 'org_members', to_jsonb(m) || '{"user_id": "d0000000-0000-4000-8000-00000000000d"}',
       to_jsonb(m) || '{"user_id": "d0000000-0000-4000-8000-00000000000d", "org_id": "aaaaaaaa-0000-4000-8000-000000000000"}'
FROM org_members m WHERE user_id = 'b0000000-0000-4000-8000-00000000000a';
INSERT INTO probe_rows
SELECT tbl, row || jsonb_build_object('id', gen_random_uuid()),
       row || jsonb_build_object('id', gen_random_uuid(), 'org_id', 'aaaaaaaa-0000-4000-8000-000000000000')
FROM (SELECT 'brokers' tbl, to_jsonb(b) - 'id' AS row FROM brokers b WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'leads', to_jsonb(l) - 'vapi_assignment_id' FROM leads l WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'vapi_number_assignments', to_jsonb(a) FROM vapi_number_assignments a WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'vapi_call_logs', to_jsonb(c) || '{"vapi_call_id": "call-new"}' FROM vapi_call_logs c WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'
      UNION ALL SELECT 'appointments', to_jsonb(ap) || '{"scheduled_at": "2031-05-01 10:00+00", "hold_id": "e0000000-0000-4000-8000-00000000000e"}' FROM appointments ap WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000') s;
-- own-org copies must point at org A's parents
UPDATE probe_rows SET own = own || '{"broker_id": "a1000000-0000-4000-8000-000000000001"}' WHERE own ? 'broker_id';
UPDATE probe_rows SET own = own || '{"contact_id": "a2000000-0000-4000-8000-000000000001"}' WHERE tbl = 'appointments';
INSERT INTO probe_rows
SELECT 'territories', to_jsonb(x) || '{"zip": "10001"}',
       to_jsonb(x) || '{"zip": "10001", "org_id": "aaaaaaaa-0000-4000-8000-000000000000", "broker_id": "a1000000-0000-4000-8000-000000000001"}'
FROM territories x WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
INSERT INTO probe_rows
SELECT 'vapi_number_pool', to_jsonb(p) || jsonb_build_object('id', gen_random_uuid(), 'number', '+13105550199', 'vapi_phone_number_id', 'pn-new', 'status', 'available'),
       to_jsonb(p) || jsonb_build_object('id', gen_random_uuid(), 'number', '+14155550199', 'vapi_phone_number_id', 'pn-new', 'status', 'available',
                                         'org_id', 'aaaaaaaa-0000-4000-8000-000000000000', 'broker_id', 'a1000000-0000-4000-8000-000000000001')
FROM vapi_number_pool p WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
GRANT SELECT ON probe_rows TO authenticated, anon, service_role;

-- Try to read, insert, update and delete rows of one organisation as the
-- current role; report what happened.  Runs with the caller's rights.
CREATE FUNCTION rls_probe(target_org uuid, as_own boolean)
RETURNS TABLE (tbl text, can_select text, can_insert text, can_update text, can_delete text)
LANGUAGE plpgsql AS $$
DECLARE
	cols text;
	n bigint;
BEGIN
	FOR tbl IN SELECT p.tbl FROM probe_rows p ORDER BY p.tbl LOOP
		BEGIN
			EXECUTE format('SELECT count(*) FROM vapi_pool.%I WHERE org_id = $1', tbl) INTO can_select USING target_org;
		EXCEPTION WHEN OTHERS THEN can_select := SQLSTATE;
		END;
		SELECT string_agg(quote_ident(attname), ', ') INTO cols FROM pg_attribute
		WHERE attrelid = ('vapi_pool.' || tbl)::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
		BEGIN
			EXECUTE format('INSERT INTO vapi_pool.%I (%s) SELECT %s FROM jsonb_populate_record(NULL::vapi_pool.%I, $1)',
						   tbl, cols, cols, tbl)
				USING (SELECT CASE WHEN as_own THEN p.own ELSE p.other END FROM probe_rows p WHERE p.tbl = rls_probe.tbl);
			can_insert := 'inserted';
		EXCEPTION WHEN OTHERS THEN can_insert := SQLSTATE;
		END;
		BEGIN
			EXECUTE format('UPDATE vapi_pool.%I SET %s WHERE org_id = $1',
						   tbl, CASE tbl WHEN 'vapi_call_logs' THEN 'summary = summary'
										 WHEN 'orgs' THEN 'name = name' WHEN 'org_members' THEN 'role = role'
										 ELSE 'org_id = org_id' END) USING target_org;
			GET DIAGNOSTICS n = ROW_COUNT;
			can_update := n || ' rows';
		EXCEPTION WHEN OTHERS THEN can_update := SQLSTATE;
		END;
		BEGIN
			-- deleting an organisation cascades; look, but do not keep the result
			EXECUTE format('DELETE FROM vapi_pool.%I WHERE org_id = $1', tbl) USING target_org;
			GET DIAGNOSTICS n = ROW_COUNT;
			can_delete := n || ' rows';
			RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = can_delete;
		EXCEPTION WHEN raise_exception THEN can_delete := SQLERRM;
				  WHEN OTHERS THEN can_delete := SQLSTATE;
		END;
		RETURN NEXT;
	END LOOP;
END
$$;

-- ---------------------------------------------------------------- owner of org A

BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT auth_uid(), auth_org_id(), auth_org_role();
-- Own organisation: the probe can see and change rows (so a zero below means something).
SELECT * FROM rls_probe('aaaaaaaa-0000-4000-8000-000000000000', true);
-- Organisation B: nothing.
SELECT * FROM rls_probe('bbbbbbbb-0000-4000-8000-000000000000', false);
-- What a plain SELECT shows: only org A's rows, through the tables and the seed views.
SELECT 'brokers' AS tbl, array_agg(name ORDER BY name) FROM brokers
UNION ALL SELECT 'leads', array_agg(name ORDER BY name) FROM leads
UNION ALL SELECT 'contacts', array_agg(name || ' ' || phone::text ORDER BY name) FROM contacts
UNION ALL SELECT 'call_logs', array_agg(lead_id::text) FROM call_logs
UNION ALL SELECT 'org_members', array_agg(user_id::text || ':' || role ORDER BY user_id) FROM org_members
UNION ALL SELECT 'orgs', array_agg(name) FROM orgs;
-- Writing a row of org B straight away fails with the RLS error.
INSERT INTO leads (org_id, first_name) VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'Mallory');
ROLLBACK;

-- ---------------------------------------------------------------- a plain member of org A

BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000b", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT auth_org_id(), auth_org_role();
-- members cannot rename the organisation or manage members
UPDATE orgs SET name = 'Renamed';
SAVEPOINT s;
INSERT INTO org_members (org_id, user_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'd0000000-0000-4000-8000-00000000000d');
ROLLBACK TO SAVEPOINT s;
-- but they work on the data
UPDATE leads SET status = 'call_requested' RETURNING name, status;
ROLLBACK;

-- ---------------------------------------------------------------- a user of two organisations

-- Without an org_id claim, a user of several organisations has none: fail closed.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "c0000000-0000-4000-8000-00000000000c", "role": "authenticated"}', true);
SET LOCAL ROLE authenticated;
SELECT auth_org_id(), (SELECT count(*) FROM leads) AS leads_visible;
ROLLBACK;
-- The org_id claim (top level, or app_metadata as a custom access token hook sets it) picks one.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "c0000000-0000-4000-8000-00000000000c", "app_metadata": {"org_id": "bbbbbbbb-0000-4000-8000-000000000000"}}', true);
SET LOCAL ROLE authenticated;
SELECT auth_org_id(), array_agg(name) AS leads_visible FROM leads;
ROLLBACK;
-- Claiming an organisation the user does not belong to gives nothing.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "org_id": "bbbbbbbb-0000-4000-8000-000000000000"}', true);
SET LOCAL ROLE authenticated;
SELECT auth_org_id(), (SELECT count(*) FROM leads) AS leads_visible;
SELECT * FROM rls_probe('bbbbbbbb-0000-4000-8000-000000000000', false);
ROLLBACK;

-- ---------------------------------------------------------------- anon and service_role

BEGIN;
SELECT set_config('request.jwt.claims', '{"role": "anon"}', true);
SET LOCAL ROLE anon;
-- anon may not even ask whose organisation a user is in (0.5.0: only the
-- roles whose policies need it run auth_org_id)
SELECT auth_uid();
SELECT * FROM rls_probe('aaaaaaaa-0000-4000-8000-000000000000', false);
SELECT * FROM rls_probe('bbbbbbbb-0000-4000-8000-000000000000', false);
ROLLBACK;

-- A forged org_id claim without a user gets an authenticated role nothing.
BEGIN;
SELECT set_config('request.jwt.claims', '{"role": "authenticated", "org_id": "bbbbbbbb-0000-4000-8000-000000000000"}', true);
SET LOCAL ROLE authenticated;
SELECT auth_uid(), auth_org_id(), (SELECT count(*) FROM leads) AS leads_visible;
ROLLBACK;

-- service_role bypasses row level security, and may name the organisation it acts for.
BEGIN;
SELECT set_config('request.jwt.claims', '{"role": "service_role", "org_id": "bbbbbbbb-0000-4000-8000-000000000000"}', true);
SET LOCAL ROLE service_role;
SELECT auth_uid(), auth_org_id(), (SELECT count(*) FROM leads) AS leads_visible;
ROLLBACK;

-- Nothing of organisation B changed through all of the above.
SELECT f.tbl, f.digest = s.digest AS unchanged
FROM b_fingerprint f JOIN b_state s USING (tbl)
ORDER BY f.tbl;

-- ---------------------------------------------------------------- who is asking

-- Missing or empty claims mean no user, never an error.
SELECT auth_uid() AS no_setting;
BEGIN;
SELECT set_config('request.jwt.claims', '', true);
SELECT auth_uid() AS empty_claims, auth_org_id();
SELECT set_config('request.jwt.claims', '{"sub": ""}', true);
SELECT auth_uid() AS empty_sub;
-- the older per-claim setting PostgREST 8 used
SELECT set_config('request.jwt.claims', '', true);
SELECT set_config('request.jwt.claim.sub', 'a0000000-0000-4000-8000-00000000000b', true);
SELECT auth_uid() AS legacy_sub;
ROLLBACK;
-- A malformed claim is an error, not silently nobody.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "user_2abc"}', true);
SELECT auth_uid();
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "org_id": 42}', true);
SELECT auth_org_id();
ROLLBACK;
-- Where Supabase's auth.uid() exists, it is what counts.
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
	AS $$ SELECT 'b0000000-0000-4000-8000-00000000000a'::uuid $$;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a"}', true);
SELECT auth_uid(), auth_org_id();
ROLLBACK;
DROP SCHEMA auth CASCADE;

-- create_org: the caller becomes the owner; without a user it is refused.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-00000000000d"}', true);
SET LOCAL ROLE authenticated;
SELECT name, default_region FROM create_org('Coastal Realty');
SELECT o.name, m.role FROM orgs o JOIN org_members m USING (org_id);
ROLLBACK;
BEGIN;
SET LOCAL ROLE anon;
SELECT create_org('Nobody Inc');
ROLLBACK;
BEGIN;
SET LOCAL ROLE service_role;
SELECT create_org('Service Inc');
ROLLBACK;

DROP FUNCTION rls_probe(uuid, boolean);
DROP TABLE probe_rows, b_fingerprint;
DROP VIEW b_state;
DROP EXTENSION vapi_pool CASCADE;
