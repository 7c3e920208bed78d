-- Trust (issue 17, release 0.5.0): the findings of a security review, each
-- reproduced here as the attack it was.  Every block failed on 0.4.0.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- A statement's error, or 'ok', so an attack's outcome is one row.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Two organisations, A (a mortgage broker) and B (a clinic), one member each.
INSERT INTO orgs (org_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Bright Smile Clinic');
INSERT INTO org_members (org_id, user_id, role) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'owner'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000a', 'owner');
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active, cal_event_type_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Los_Angeles', '+14155550101', true, 1001),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Dr. Kim', 'America/New_York', '+12125550101', true, 2002);
-- B's own calendar (a clinic's) has an event type too (0.6.0)
UPDATE orgs SET cal_event_type_id = 3003 WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', 'Quinn', '+14155550123'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000001', 'Sam', 'Roe', '+12125550123');
SELECT number FROM add_pool_number('b1000000-0000-4000-8000-000000000001', '+12125550150', 'pn_clinic');
SELECT number FROM add_pool_number('a1000000-0000-4000-8000-000000000001', '+14155550150');
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-00000000000b',
	 'eeeeeeee-0000-4000-8000-000000000000', 'Clinic spring');

-- B's booked appointment with its Cal.com booking.
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'b2000000-0000-4000-8000-000000000001',
	'bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001') AS b_hold \gset
SELECT status, cal_booking_uid FROM confirm_slot(:'b_hold', 'cal_b_booking');
-- A's own hold.
SELECT claim_slot_atomic('2031-03-04 15:00+00', 'a2000000-0000-4000-8000-000000000001',
	'aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001') AS a_hold \gset

-- Run stmt as the owner of A, the way PostgREST does.
CREATE FUNCTION pg_temp.as_a(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	outcome text;
BEGIN
	PERFORM set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
	SET LOCAL ROLE authenticated;
	outcome := pg_temp.try(stmt);
	RESET ROLE;
	PERFORM set_config('request.jwt.claims', '', true);
	RETURN outcome;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO authenticated;

-- ---------------------------------------------------------------- 3. vendor ids are unique across tenants

-- A member of A cannot register B's ids: each is refused with "already
-- exists", naming only the value A typed.
SELECT e AS attack, pg_temp.as_a(stmt) AS outcome FROM (VALUES
	('B''s Vapi number id on A''s pool number',
	 $$UPDATE vapi_pool.vapi_number_pool SET vapi_phone_number_id = 'pn_clinic' WHERE number = '+14155550150'$$),
	('B''s Vapi number id through add_pool_number',
	 $$SELECT vapi_pool.add_pool_number('a1000000-0000-4000-8000-000000000001', '+14155550151', 'pn_clinic')$$),
	('B''s Cal.com event type on A''s broker',
	 $$UPDATE vapi_pool.brokers SET cal_event_type_id = 2002 WHERE id = 'a1000000-0000-4000-8000-000000000001'$$),
	('B''s broker''s Cal.com event type on A''s own calendar',
	 $$UPDATE vapi_pool.orgs SET cal_event_type_id = 2002 WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000'$$),
	('B''s own calendar''s Cal.com event type on A''s own calendar',
	 $$UPDATE vapi_pool.orgs SET cal_event_type_id = 3003 WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000'$$),
	('B''s own calendar''s Cal.com event type on A''s broker',
	 $$UPDATE vapi_pool.brokers SET cal_event_type_id = 3003 WHERE id = 'a1000000-0000-4000-8000-000000000001'$$),
	('B''s Instantly campaign',
	 $$INSERT INTO vapi_pool.instantly_campaigns (org_id, campaign_id, workspace_id)
	   VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-00000000000b', 'eeeeeeee-0000-4000-8000-000000000000')$$),
	('A''s hold confirmed with B''s Cal.com booking',
	 format('SELECT vapi_pool.confirm_slot(%L, %L)', :'a_hold', 'cal_b_booking'))
) AS t(e, stmt);
-- B's rows are as they were, and A's got none of B's ids.
SELECT org_id, number, vapi_phone_number_id FROM vapi_number_pool ORDER BY number;
SELECT org_id, cal_event_type_id FROM brokers ORDER BY org_id;
SELECT org_id, cal_event_type_id FROM orgs ORDER BY org_id;
SELECT org_id, campaign_id FROM instantly_campaigns;
SELECT org_id, status, cal_booking_uid FROM appointments ORDER BY org_id;
-- The number itself: "this number belongs to another account", nothing more.
SELECT pg_temp.as_a($$SELECT vapi_pool.add_pool_number('a1000000-0000-4000-8000-000000000001', '+12125550150')$$) AS member_adds_b_number;
SELECT pg_temp.try($$SELECT vapi_pool.add_pool_number('a1000000-0000-4000-8000-000000000001', '+12125550150')$$) AS service_adds_b_number;
-- Their own ids still work.
SELECT pg_temp.as_a($$UPDATE vapi_pool.vapi_number_pool SET vapi_phone_number_id = 'pn_loans' WHERE number = '+14155550150'$$) AS own_vapi_id;
SELECT pg_temp.as_a($$UPDATE vapi_pool.brokers SET cal_event_type_id = 1003 WHERE id = 'a1000000-0000-4000-8000-000000000001'$$) AS own_event_type;

-- ---------------------------------------------------------------- 4. queue_cal_cancel checks the organisation

-- B cancels its booking itself (Cal.com told us: nothing to queue), so B's
-- appointment is cancelled with its uid, the state 0.4.0 let A exploit.
SELECT status FROM release_slot(:'b_hold', 'cancelled in Cal.com');
SELECT count(*) AS b_cancel_jobs FROM outbox WHERE kind = 'cal.cancel_booking';
-- A asks for B's booking to be cancelled at Cal.com: nothing is queued.
SELECT pg_temp.as_a(format('SELECT vapi_pool.queue_cal_cancel(%L, %L, %L, %L)',
	'bbbbbbbb-0000-4000-8000-000000000000', 'cal_b_booking', :'b_hold', 'attack')) AS a_cancels_b;
SELECT count(*) AS b_cancel_jobs FROM outbox WHERE kind = 'cal.cancel_booking';
-- A's own booking, released by A, is still cancelled at Cal.com.
SELECT status FROM confirm_slot(:'a_hold', 'cal_a_booking');
SELECT pg_temp.as_a(format('SELECT vapi_pool.release_slot(%L, %L)', :'a_hold', 'caller_gave_up')) AS a_releases_own;
SELECT org_id, payload ->> 'booking_uid' AS booking_uid, payload ->> 'reason' AS reason
FROM outbox WHERE kind = 'cal.cancel_booking';

-- ---------------------------------------------------------------- 6. who may read memberships

SELECT p.oid::regprocedure AS function, has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
	has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated,
	has_function_privilege('service_role', p.oid, 'EXECUTE') AS service_role,
	has_function_privilege('public', p.oid, 'EXECUTE') AS public
FROM pg_proc p WHERE p.pronamespace = 'vapi_pool'::regnamespace AND p.proname IN ('auth_org_id', 'auth_org_role')
ORDER BY 1;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-00000000000a"}', true);
SET LOCAL ROLE anon;
SELECT pg_temp.try('SELECT vapi_pool.auth_org_id()') AS anon_learns_org,
	pg_temp.try('SELECT vapi_pool.auth_org_role()') AS anon_learns_role;
ROLLBACK;

-- ---------------------------------------------------------------- 2. a planted auth.uid()

-- A role with CREATE on the database makes schema auth and an auth.uid()
-- that names B's owner, whoever asks.
CREATE ROLE trust_planter;
GRANT CREATE ON DATABASE contrib_regression TO trust_planter;
SET ROLE trust_planter;
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT 'b0000000-0000-4000-8000-00000000000a'::uuid $$;
GRANT USAGE ON SCHEMA auth TO PUBLIC;
RESET ROLE;
-- A's owner asks: A's organisation, not B's (one warning says why).
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a"}', true);
SET LOCAL ROLE authenticated;
SELECT auth_uid(), auth_org_id();
SELECT count(*) AS b_leads_seen FROM leads WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000';
ROLLBACK;
-- Only a superuser can trust another owner.
SET ROLE authenticated;
SET vapi_pool.auth_uid_owners = 'trust_planter';
RESET ROLE;
-- An administrator who does trust it gets its answer.
BEGIN;
SET LOCAL vapi_pool.auth_uid_owners = 'supabase_auth_admin, trust_planter';
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a"}', true);
SELECT auth_uid();
ROLLBACK;
-- An auth schema and auth.uid() that a superuser owns, as on Supabase, is used.
DROP SCHEMA auth CASCADE;
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
	SELECT (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid $$;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-00000000000a"}', true);
SELECT auth_uid(), auth_org_id();
ROLLBACK;
DROP SCHEMA auth CASCADE;
REVOKE CREATE ON DATABASE contrib_regression FROM trust_planter;
DROP ROLE trust_planter;

-- ---------------------------------------------------------------- 1. search_path cannot redirect a statement

-- Every SECURITY DEFINER function sets its search_path.
SELECT p.oid::regprocedure AS definer_without_search_path FROM pg_proc p
WHERE p.pronamespace = 'vapi_pool'::regnamespace AND p.prosecdef
  AND NOT coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=%', false);
-- Functions without the clause: the type's own C functions, pure C
-- functions that run no SQL, inlinable SQL helpers (a SET would stop the
-- inlining; they run inside the engine's statements, under its path) and
-- the two procedures pg_cron calls (a procedure that commits cannot have
-- SET; their names and operators are qualified).  Any other is new and must
-- be looked at.
SELECT p.oid::regprocedure AS without_search_path, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vapi_pool')
  AND NOT coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=%', false)
  AND NOT (l.lanname = 'internal' OR p.proname LIKE 'e164\_%')
ORDER BY l.lanname, 1;

-- A role that may create in public plants look-alikes of what the engine
-- calls; a session whose path puts public first then runs the pg_cron
-- commands and a trigger that runs SQL.  None of the plants may run.
CREATE TABLE public.planted_calls (what text);
CREATE FUNCTION public.planted_lt(a integer, b integer) RETURNS boolean LANGUAGE sql AS $$
	INSERT INTO public.planted_calls VALUES ('< (integer, integer)') RETURNING a OPERATOR(pg_catalog.<) b $$;
CREATE OPERATOR public.< (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.planted_lt);
CREATE FUNCTION public.planted_ge(a bigint, b integer) RETURNS boolean LANGUAGE sql AS $$
	INSERT INTO public.planted_calls VALUES ('>= (bigint, integer)') RETURNING a OPERATOR(pg_catalog.>=) b $$;
CREATE OPERATOR public.>= (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = public.planted_ge);
CREATE FUNCTION public.planted_eq(a uuid, b uuid) RETURNS boolean LANGUAGE sql AS $$
	INSERT INTO public.planted_calls VALUES ('= (uuid, uuid)') RETURNING a OPERATOR(pg_catalog.=) b $$;
CREATE OPERATOR public.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = public.planted_eq);
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS $$
	INSERT INTO public.planted_calls VALUES ('now()') RETURNING pg_catalog.now() $$;
SET search_path = public, pg_catalog;
CALL vapi_pool.release_expired_in_batches();
CALL vapi_pool.purge_inbox_in_batches('30 days');
-- a clinic call's transcript: the trigger moves the medical history to the lead
UPDATE vapi_pool.orgs SET is_clinic = true WHERE org_id OPERATOR(pg_catalog.=) 'bbbbbbbb-0000-4000-8000-000000000000';
INSERT INTO vapi_pool.vapi_call_logs (org_id, lead_id, broker_id, vapi_call_id, direction, transcript)
VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001',
	'b1000000-0000-4000-8000-000000000001', 'call_planted', 'inbound_from_lead',
	'User: I had rhinoplasty in 2019 and now I would like Botox.');
SELECT redacted_medical_history IS NOT NULL AS history_moved FROM vapi_pool.leads
WHERE id OPERATOR(pg_catalog.=) 'b2000000-0000-4000-8000-000000000001';
SET search_path = vapi_pool, public;
SELECT what, count(*) FROM public.planted_calls GROUP BY what ORDER BY what;
DROP TABLE public.planted_calls;
DROP OPERATOR public.< (integer, integer);
DROP OPERATOR public.>= (bigint, integer);
DROP OPERATOR public.= (uuid, uuid);
DROP FUNCTION public.planted_lt(integer, integer), public.planted_ge(bigint, integer),
	public.planted_eq(uuid, uuid), public.now();

-- ---------------------------------------------------------------- 7. no credential in last_error

-- A vendor's error echoes the request's Authorization header and a key:
-- members read last_error, so neither is stored.
INSERT INTO outbox (org_id, kind, payload, idempotency_key)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'cal.cancel_booking',
	'{"booking_uid": "cal_x", "reason": "test"}', 'scrub-1') RETURNING id AS job \gset
UPDATE outbox SET run_at = now() + interval '1 day' WHERE id <> :job AND state = 'pending';
SELECT count(*) AS claimed FROM outbox_claim('d1');
SELECT state FROM outbox_report(jsonb_build_array(jsonb_build_object(
	'org_id', 'aaaaaaaa-0000-4000-8000-000000000000', 'job_id', :job, 'attempt', 1, 'status', 401,
	'body', 'invalid credentials: Authorization: Bearer cal_live_8f3a9c1e77b24d0f9a6e5c3b2d1f0a9e; '
		|| 'api_key=sk_test_51Habc123def456 token "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc123def" '
		|| 'for call 5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b ' || repeat('x', 600))));
SELECT last_error ~ 'cal_live_|sk_test_|eyJ' AS secret_stored, length(last_error) <= 500 AS capped,
	left(last_error, 200) AS last_error
FROM outbox WHERE id = :job;

DROP EXTENSION vapi_pool CASCADE;
