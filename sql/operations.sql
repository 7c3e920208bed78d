-- Seeing the operation (release 0.9.0, issue 22): number health from
-- generated call histories whose answer is known, the rotation of burned
-- numbers, pool pressure, the report views, dead letters and their replay,
-- and the figures of vapi-shim status.  The journey through the running
-- shim, dispatcher and stand-in is t/111_journey_number_health.pl; the
-- command line is t/110_operator_cli.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name, timezone) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans', 'America/Chicago'),
	('cccccccc-0000-4000-8000-000000000000', 'Other Tenant', 'America/Chicago'),
	('dddddddd-0000-4000-8000-000000000000', 'Bay Clinic', 'America/Los_Angeles');
UPDATE orgs SET is_clinic = true WHERE org_id = 'dddddddd-0000-4000-8000-000000000000';
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, secondary_phone_e164, number_pool_active,
		number_pool_size) VALUES
	-- six numbers: four answered like each other, one burned, one on watch
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/Chicago',
		'+13125550101', '+13125550102', true, 6),
	-- a whole pool answered rarely: the list, not a number
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Sam Ortiz', 'America/Chicago',
		'+13125550103', NULL, true, 3),
	-- a pool with too few calls to judge
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', 'Kim Park', 'America/Chicago',
		'+13125550104', NULL, true, 2),
	('cccccccc-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', 'Other Broker', 'America/Chicago',
		'+13125550109', NULL, true, 2);
SELECT count(*) AS numbers FROM (
	SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1312555021' || i)::e164, 'pn_dana_' || i)
	FROM generate_series(1, 6) i
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000002', ('+1312555022' || i)::e164, 'pn_sam_' || i)
	FROM generate_series(1, 3) i
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000003', ('+1312555023' || i)::e164, 'pn_kim_' || i)
	FROM generate_series(1, 2) i
	UNION ALL SELECT add_pool_number('c1000000-0000-4000-8000-000000000001', ('+1312555029' || i)::e164, 'pn_other_' || i)
	FROM generate_series(1, 2) i) n;

-- Generated histories: per number, calls of which the first `answered`
-- were answered (60 s, answered 8 s after they were placed), then `vm`
-- voicemails, then no answers, `failed` provider errors on top, all in the
-- last few days; `early` of the answered ended by the customer within 4 s.
CREATE TEMP TABLE history (org uuid, broker uuid, number text, calls int, answered int, vm int, failed int, early int);
INSERT INTO history VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+13125550211', 50, 20, 5, 1, 0),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+13125550212', 50, 21, 5, 0, 0),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+13125550213', 50, 19, 5, 0, 0),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+13125550214', 50, 20, 5, 0, 0),
	-- burned: 2 of 40, and both of those hung up on at once
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+13125550215', 40, 2, 10, 2, 2),
	-- watch: 6 of 40 (15%) against about 35%
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+13125550216', 40, 6, 5, 0, 1),
	-- the whole pool at about 5%
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', '+13125550221', 60, 3, 10, 0, 0),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', '+13125550222', 60, 2, 10, 0, 0),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', '+13125550223', 60, 0, 10, 0, 0),
	-- too few calls: 0 of 12 is not judged
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', '+13125550231', 12, 0, 0, 0, 0),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', '+13125550232', 12, 6, 0, 0, 0),
	-- the other tenant's burned number
	('cccccccc-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', '+13125550291', 40, 1, 0, 0, 0),
	('cccccccc-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', '+13125550292', 60, 30, 0, 0, 0);
-- The calls of Dana's week (3 and 2 days before "week_now") fall in one local week whatever day the
-- test runs: week_now is now() from Thursday 06:00 in Chicago on, else the Sunday 18:00 before.
SELECT CASE WHEN now() >= w + interval '3 days 6 hours' THEN now() ELSE w - interval '6 hours' END AS week_now
FROM (SELECT date_trunc('week', now() AT TIME ZONE 'America/Chicago') AT TIME ZONE 'America/Chicago' AS w) s \gset
INSERT INTO vapi_call_logs (org_id, broker_id, vapi_call_id, direction, status, from_e164, to_e164, outcome,
		ended_reason, created_at, started_at, ended_at, duration_seconds, cost)
SELECT h.org, h.broker, 'gen-' || h.number || '-' || i, 'outbound_to_lead', 'ended', h.number::e164, '+14155550123',
	   CASE WHEN i <= h.answered THEN 'answered' WHEN i <= h.answered + h.vm THEN 'voicemail'
			WHEN i <= h.calls THEN 'no_answer' ELSE 'provider_error' END,
	   CASE WHEN i <= h.answered THEN 'customer-ended-call' WHEN i <= h.answered + h.vm THEN 'voicemail'
			WHEN i <= h.calls THEN 'customer-did-not-answer' ELSE 'twilio-failed-to-connect-call' END,
	   t.placed, t.placed + interval '8 seconds',
	   t.placed + interval '8 seconds' + CASE WHEN i <= h.early THEN interval '3 seconds' ELSE interval '60 seconds' END,
	   CASE WHEN i <= h.early THEN 3 WHEN i <= h.answered THEN 60 ELSE 0 END,
	   0.10
FROM history h, generate_series(1, h.calls + h.failed) i,
	 LATERAL (SELECT :'week_now'::timestamptz - interval '3 days' + i * interval '1 minute' AS placed) t;

-- ---------------------------------------------------------------- number health

SELECT broker_name, number, attempts, answered, answer_rate, sibling_answer_rate, median_seconds_to_answer,
	   early_hangups, voicemail, no_answer, failed, state
FROM number_health ORDER BY number;
SELECT number, reason FROM number_health WHERE number IN ('+13125550215', '+13125550216', '+13125550221', '+13125550231')
ORDER BY number;

-- Calls outside the window do not count: with a one-day window nothing is judged.
SET vapi_pool.number_health_window = '1d';
SELECT count(*) FILTER (WHERE attempts > 0) AS numbers_with_calls, count(*) FILTER (WHERE state <> 'healthy') AS judged
FROM number_health;
RESET vapi_pool.number_health_window;
-- Stricter thresholds move the watched number to burned; fewer calls needed judges Kim's.
SET vapi_pool.number_burned_ratio = 0.8;
SET vapi_pool.number_health_min_calls = 10;
SELECT number, state FROM number_health WHERE state <> 'healthy' ORDER BY number;
RESET vapi_pool.number_burned_ratio;
RESET vapi_pool.number_health_min_calls;

-- The rule alone: the bounds, the edges, bad input.
SELECT n, k, sn, sk, (number_health_state(n, k, sn, sk)).state
FROM (VALUES (30, 6, 300, 120), (30, 2, 300, 120), (30, 9, 300, 120), (29, 0, 300, 120),
			 (30, 0, 29, 10), (30, 0, 300, 0), (60, 0, 120, 5), (200, 0, 400, 10), (1000, 330, 1000, 400), (1000, 190, 1000, 400)) v (n, k, sn, sk);
SELECT number_health_state(10, 11, 100, 50);
SELECT number_health_state(-1, 0, 100, 50);
SET vapi_pool.number_burned_ratio = 1.5;
-- (the message's units differ between PostgreSQL versions: the SQLSTATE only)
DO $$ BEGIN SET LOCAL vapi_pool.number_health_window = '10min';
EXCEPTION WHEN invalid_parameter_value THEN RAISE NOTICE 'a 10-minute window is refused: %', SQLSTATE; END $$;
SELECT since = now() - interval '14 days' AS default_window, early_hangup_seconds FROM number_health_window();

-- ---------------------------------------------------------------- rotation

-- Off by default: nothing rotates.
SELECT count(*) AS rotated FROM rotate_burned_numbers();
UPDATE orgs SET rotate_burned_numbers = true WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
-- The burned number is held by a lead: it drains (no new lead), its
-- replacement is bought now, in its area code, at the server URL recorded
-- for the organisation.
INSERT INTO leads (org_id, id, first_name, primary_phone_e164, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'Jo', '+14155550177',
	 'a1000000-0000-4000-8000-000000000001');
UPDATE vapi_number_pool SET status = 'assigned' WHERE number = '+13125550215';
INSERT INTO vapi_number_assignments (org_id, id, pool_number_id, broker_id, lead_id)
SELECT org_id, 'a3000000-0000-4000-8000-000000000001', id, broker_id, 'a2000000-0000-4000-8000-000000000001'
FROM vapi_number_pool WHERE number = '+13125550215';
-- the operator filled the pool with `vapi-shim pool fill --public-url ...`: the URL is recorded
SELECT queued, in_pool FROM pool_fill('a1000000-0000-4000-8000-000000000001',
	server_url => 'https://voice.acme.example/hooks/vapi');
SELECT number_server_url FROM orgs WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
SELECT number, attempts, answered, sibling_answer_rate, retirement, cardinality(replacement_job_ids) AS jobs, reason
FROM rotate_burned_numbers();
SELECT number, status, retire_requested_at IS NOT NULL AS draining FROM vapi_number_pool WHERE number = '+13125550215';
SELECT o.kind, o.state, o.payload - 'broker_id' AS payload, o.id = r.replacement_job_ids[1] AS logged
FROM outbox o JOIN number_rotations r ON r.number = '+13125550215'
WHERE o.kind = 'vapi.buy_number' AND o.state = 'pending';
-- The draining number is never lent again, and it retires when its lead's hold ends.
SELECT number, state, draining FROM number_health WHERE number = '+13125550215';
SELECT count(*) AS rotated_again FROM rotate_burned_numbers();
SELECT release_assignment('a3000000-0000-4000-8000-000000000001') IS NOT NULL AS released;
SELECT number, status FROM vapi_number_pool WHERE number = '+13125550215';
SELECT count(*) AS rotated_after_retirement FROM rotate_burned_numbers();
-- pool_status counts the replacement under way; pool_fill buys no second one.
SELECT queued, in_pool, pending FROM pool_fill('a1000000-0000-4000-8000-000000000001', dry_run => true);
-- A free burned number retires at once.  A pool not in use is left alone;
-- a number that cannot be rotated is a warning and the others still are.
UPDATE orgs SET rotate_burned_numbers = true WHERE org_id = 'cccccccc-0000-4000-8000-000000000000';
UPDATE brokers SET number_pool_active = false WHERE id = 'c1000000-0000-4000-8000-000000000001';
SELECT count(*) AS rotated_inactive FROM rotate_burned_numbers();
UPDATE brokers SET number_pool_active = true WHERE id = 'c1000000-0000-4000-8000-000000000001';
UPDATE vapi_call_logs SET outcome = 'no_answer' WHERE from_e164 = '+13125550216';
CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'rotation refused for %', NEW.number USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER refuse_216 BEFORE INSERT ON number_rotations FOR EACH ROW
	WHEN (NEW.number = '+13125550216') EXECUTE FUNCTION pg_temp.refuse();
-- The other tenant has no server URL recorded: its replacement would reach
-- nobody, so its number is not rotated either (a warning says what to do).
SELECT number, retirement, cardinality(replacement_job_ids) AS jobs FROM rotate_burned_numbers();
SELECT number, status, retire_requested_at IS NOT NULL AS draining FROM vapi_number_pool
WHERE number IN ('+13125550216', '+13125550291') ORDER BY number;
SELECT count(*) AS jobs_for_216 FROM outbox WHERE kind = 'vapi.buy_number' AND state = 'pending'
	AND payload ->> 'broker_id' = 'a1000000-0000-4000-8000-000000000001';
DROP TRIGGER refuse_216 ON number_rotations;
SELECT queued FROM pool_fill('c1000000-0000-4000-8000-000000000001', server_url => 'https://other.example/hooks/vapi');
SELECT number, retirement, cardinality(replacement_job_ids) AS jobs FROM rotate_burned_numbers() ORDER BY number;
SELECT number, status FROM vapi_number_pool WHERE number = '+13125550291';
SELECT o.payload ->> 'server_url' AS server_url, o.payload ->> 'area_code' AS area_code
FROM outbox o WHERE o.org_id = 'cccccccc-0000-4000-8000-000000000000' AND o.kind = 'vapi.buy_number';

-- number_rotations is the organisation's own: a member sees only theirs.
INSERT INTO org_members (org_id, user_id, role) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'admin');
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true) IS NOT NULL AS claims;
SET LOCAL ROLE authenticated;
SELECT number FROM number_rotations ORDER BY number;
SELECT count(DISTINCT org_id) AS orgs, count(*) AS numbers FROM number_health;
SELECT count(DISTINCT org_id) AS orgs FROM call_report;
SELECT rotate_burned_numbers();
ROLLBACK;

-- ---------------------------------------------------------------- pool pressure

-- Kim's pool: 3 assignments in the last 7 days (3, 4 days ago, both
-- released after 24 hours; one a day ago, held); 1 number free of 2: at
-- one more lent than given back a week, dry in 7 days.
INSERT INTO leads (org_id, id, first_name, primary_phone_e164, broker_id)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', ('a2000000-0000-4000-8000-00000000001' || i)::uuid, 'Lead ' || i,
	   ('+1415555018' || i)::e164, 'a1000000-0000-4000-8000-000000000003'
FROM generate_series(1, 4) i;
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id, status, lent_at, booked_at, released_at)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', p.id, p.broker_id, ('a2000000-0000-4000-8000-00000000001' || i)::uuid,
	   'released', now() - i * interval '1 day' - interval '2 days', now() - i * interval '1 day' - interval '2 days',
	   now() - i * interval '1 day' - interval '1 day'
FROM generate_series(1, 2) i, vapi_number_pool p WHERE p.number = '+13125550231';
UPDATE vapi_number_pool SET status = 'assigned' WHERE number = '+13125550232';
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id, lent_at, booked_at)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', p.id, p.broker_id, 'a2000000-0000-4000-8000-000000000013',
	   now() - interval '1 day', now() - interval '1 day'
FROM vapi_number_pool p WHERE p.number = '+13125550232';
SELECT broker_name, size, available, assignments_per_day, releases_per_day, mean_hold_hours, numbers_needed,
	   days_until_dry
FROM pool_status WHERE broker_id = 'a1000000-0000-4000-8000-000000000003';
-- The lead asks again: the hold starts again (booked_at), no number is lent.
SELECT (assign_number('a2000000-0000-4000-8000-000000000013')).booked_at > now() - interval '1 minute' AS hold_starts_again;
SELECT assignments_per_day, releases_per_day, days_until_dry FROM pool_status
WHERE broker_id = 'a1000000-0000-4000-8000-000000000003';
-- A hold lent before 0.9.0 (no lent_at; the update gives the last week's
-- theirs) is not counted as lent in the window, and is measured from booked_at.
UPDATE vapi_number_assignments SET lent_at = NULL WHERE lead_id = 'a2000000-0000-4000-8000-000000000011';
SELECT assignments_per_day, mean_hold_hours FROM pool_status WHERE broker_id = 'a1000000-0000-4000-8000-000000000003';
-- Dana's pool lends nothing: not running dry.
SELECT broker_name, assignments_per_day, days_until_dry FROM pool_status
WHERE broker_id = 'a1000000-0000-4000-8000-000000000001';
SELECT * FROM operations_stats();

-- ---------------------------------------------------------------- reports

-- Dana's week: transfers on calls into her numbers, an assistant booking,
-- a Cal.com booking (not the assistants'), costs.
INSERT INTO vapi_call_logs (org_id, broker_id, vapi_call_id, direction, status, from_e164, to_e164, outcome,
		ended_reason, created_at, duration_seconds, transfer_attempts, cost) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'in-1', 'inbound_from_lead',
	 'ended', '+14155550177', '+13125550211', 'answered', 'assistant-forwarded-call', :'week_now'::timestamptz - interval '2 days', 300, 1, 0.50),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'in-2', 'inbound_from_lead',
	 'ended', '+14155550177', '+13125550211', 'answered', 'assistant-forwarded-call', :'week_now'::timestamptz - interval '2 days', 200, 2, 0.50),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'in-3', 'inbound_from_lead',
	 'ended', '+14155550177', '+13125550211', 'answered', 'customer-ended-call', :'week_now'::timestamptz - interval '2 days', 100, 2, 0.50),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'in-4', 'inbound_from_lead',
	 'in-progress', '+14155550177', '+13125550211', NULL, NULL, :'week_now'::timestamptz - interval '2 days', NULL, 0, NULL),
	-- a call given up on (its report never came): ended, no outcome: failed, here and in vapi-shim status
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'in-5', 'inbound_from_lead',
	 'ended', '+14155550177', '+13125550211', NULL, 'unknown', :'week_now'::timestamptz - interval '2 days', NULL, 0, NULL);
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, cal_booking_uid, booked_via, created_at) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001',
	 'a1000000-0000-4000-8000-000000000001', 'booked', now() + interval '2 days', 'uid-assistant-1', 'assistant',
	 :'week_now'::timestamptz - interval '2 days'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001',
	 'a1000000-0000-4000-8000-000000000001', 'booked', now() + interval '3 days', 'uid-cal-1', 'cal.com',
	 :'week_now'::timestamptz - interval '2 days');
SELECT name, period, calls_placed, calls_received, answered, voicemail, no_answer, failed, in_progress, answer_rate,
	   median_seconds, p90_seconds, transfers_attempted, transfers_to_primary, transfers_to_secondary, bookings,
	   bookings_per_answered_call, cost, cost_per_call, cost_per_booking
FROM call_report
WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000' AND period = 'week'
ORDER BY name, period_start;
-- Days sum to weeks.
SELECT bool_and(d.calls = w.calls AND d.answered = w.answered AND d.cost = w.cost) AS days_sum_to_weeks
FROM (SELECT broker_id, sum(calls_placed + calls_received) AS calls, sum(answered) AS answered, sum(cost) AS cost
	  FROM call_report WHERE period = 'day' GROUP BY broker_id) d
JOIN (SELECT broker_id, sum(calls_placed + calls_received) AS calls, sum(answered) AS answered, sum(cost) AS cost
	  FROM call_report WHERE period = 'week' GROUP BY broker_id) w USING (broker_id);
-- The day is the broker's: a call at 03:00 UTC is the evening before in Chicago.
INSERT INTO vapi_call_logs (org_id, broker_id, vapi_call_id, direction, status, from_e164, to_e164, outcome, created_at)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'late-1', 'outbound_to_lead',
		'ended', '+13125550221', '+14155550123', 'no_answer', '2026-03-10 03:00+00');
SELECT period_start, calls_placed FROM call_report WHERE period = 'day' AND period_start < '2026-06-01';

-- A clinic's line has no broker: its rows carry the clinic's name.
INSERT INTO leads (org_id, id, first_name, primary_phone_e164) VALUES
	('dddddddd-0000-4000-8000-000000000000', 'd2000000-0000-4000-8000-000000000001', 'Ana', '+14155550166');
INSERT INTO vapi_call_logs (org_id, id, vapi_call_id, direction, status, from_e164, to_e164, outcome, lead_id, created_at) VALUES
	('dddddddd-0000-4000-8000-000000000000', 'd3000000-0000-4000-8000-000000000001', 'clinic-1', 'inbound_unknown', 'ended',
	 '+14155550166', '+14155550100', 'answered', 'd2000000-0000-4000-8000-000000000001', now() - interval '1 day'),
	('dddddddd-0000-4000-8000-000000000000', 'd3000000-0000-4000-8000-000000000002', 'clinic-2', 'inbound_unknown', 'ended',
	 '+14155550166', '+14155550100', 'answered', 'd2000000-0000-4000-8000-000000000001', now() - interval '1 day');
INSERT INTO outbox (org_id, id, kind, payload, idempotency_key, state) OVERRIDING SYSTEM VALUE VALUES
	('dddddddd-0000-4000-8000-000000000000', 9001, 'vapi.sms', '{}', 'dropoff-sms:1', 'done'),
	('dddddddd-0000-4000-8000-000000000000', 9002, 'vapi.sms', '{}', 'dropoff-sms:2', 'dead');
UPDATE outbox SET last_http_status = 400, last_error = 'Vapi answered 400: phone number cannot send SMS' WHERE id = 9002;
INSERT INTO dropoff_followups (org_id, lead_id, call_log_id, vapi_call_id, procedures, ending, state, outbox_id, created_at) VALUES
	('dddddddd-0000-4000-8000-000000000000', 'd2000000-0000-4000-8000-000000000001', 'd3000000-0000-4000-8000-000000000001',
	 'clinic-1', '{botox}', 'hung_up', 'booked', 9001, now() - interval '1 day'),
	('dddddddd-0000-4000-8000-000000000000', 'd2000000-0000-4000-8000-000000000001', 'd3000000-0000-4000-8000-000000000002',
	 'clinic-2', '{filler}', 'silence', 'sms_queued', 9002, now() - interval '1 day');
SELECT name, broker_id, calls_received, answered FROM call_report
WHERE org_id = 'dddddddd-0000-4000-8000-000000000000' AND period = 'week';
SELECT name, dropoffs, texts_sent, came_back, booked, dismissed FROM followup_report WHERE period = 'week';

-- Replies by intent and what became of them.
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', 'a1000000-0000-4000-8000-000000000002');
INSERT INTO outbox (org_id, id, kind, payload, idempotency_key, state) OVERRIDING SYSTEM VALUE VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 9101, 'vapi.create_call', '{}', 'instantly-reply:r1', 'done'),
	('aaaaaaaa-0000-4000-8000-000000000000', 9102, 'vapi.create_call', '{}', 'instantly-reply:r2', 'dead');
INSERT INTO instantly_events (org_id, event_type, dedup_key, campaign_id, workspace_id, lead_id, intent, decision,
		outbox_id, payload, received_at) VALUES
	-- Jo is Dana's lead; the others have none and fall to the campaign's broker, Sam
	('aaaaaaaa-0000-4000-8000-000000000000', 'reply_received', 'r1', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', 'a2000000-0000-4000-8000-000000000001', 'call_requested', 'call_queued',
	 9101, '{}', now() - interval '1 day'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'reply_received', 'r2', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', NULL, 'call_requested', 'call_queued', 9102, '{}', now() - interval '1 day'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'reply_received', 'r3', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', NULL, 'unsubscribe', 'opted_out', NULL, '{}', now() - interval '1 day'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'reply_received', 'r4', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', NULL, 'interested', 'recorded', NULL, '{}', now() - interval '1 day'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'email_opened', 'r5', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	 '51c0231c-9645-46c3-992a-ec88b782136d', NULL, NULL, 'stored', NULL, '{}', now() - interval '1 day');
SELECT name, intent, replies, calls_queued, calls_placed, opted_out FROM reply_report
WHERE period = 'week' ORDER BY name, intent;
-- The outbox's retention purges done jobs: the reports still count them.
UPDATE outbox SET finished_at = now() - interval '31 days' WHERE id IN (9001, 9101);
SELECT purge_outbox() AS purged;
SELECT name, intent, calls_placed FROM reply_report WHERE period = 'week' AND intent = 'call_requested' ORDER BY name;
SELECT name, texts_sent FROM followup_report WHERE period = 'week';

-- ---------------------------------------------------------------- dead letters

-- A Vapi report the functions refuse (stored as failed) and the dead jobs above.
SET client_min_messages = error;
SELECT state, http_status FROM receive_webhook('vapi',
	'{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", "startedAt": "yesterday-ish", "call": {"id": "call-9"}}}');
RESET client_min_messages;
SELECT ref ~ '^event:[0-9]+$' AS event_ref, kind, what, org_id IS NULL AS no_org, sqlstate FROM dead_letters WHERE kind = 'event';
SELECT ref, kind, what, error, sqlstate FROM dead_letters WHERE kind = 'job' ORDER BY id;
SELECT ref, outcome, detail LIKE 'vapi.sms due at %' AS due FROM replay_dead_letter('job:9002');
SELECT state, attempts FROM outbox WHERE id = 9002;
SELECT * FROM replay_dead_letter('job:9002');
SELECT * FROM replay_dead_letter('job:424242');
SELECT * FROM replay_dead_letter('9102');
SELECT * FROM replay_dead_letter(' job:9102 ');
-- The event fails again, as it would until its cause is fixed: still a dead letter.
SET client_min_messages = error;
SELECT outcome, detail FROM replay_dead_letter((SELECT ref FROM dead_letters WHERE kind = 'event'));
RESET client_min_messages;
SELECT count(*) AS dead_letters_left FROM dead_letters;

-- ---------------------------------------------------------------- the status figures

SELECT * FROM calls_by_outcome(:'week_now'::timestamptz - interval '2 days 12 hours');
SELECT * FROM calls_by_outcome(now() + interval '1 minute');
-- Without pg_cron in this database there are no jobs to show.
SELECT count(*) AS jobs FROM maintenance_jobs;

DROP EXTENSION vapi_pool CASCADE;
