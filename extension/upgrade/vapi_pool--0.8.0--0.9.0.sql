-- vapi_pool 0.8.0 -> 0.9.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Seeing the operation (release 0.9.0, issue 22): reports per broker and per
-- clinic, the health of every pool number, how soon a pool runs dry, and
-- what the operator's command line (vapi-shim status, vapi-shim
-- dead-letters) reads.  Everything here is a view or a query over what the
-- engines already record; the one rule with arithmetic in it (when a number
-- is burned) and the rotation of burned numbers are C (pool/number_health.c).
--
-- The report views are security_invoker (PostgreSQL 15+): row level security
-- scopes them to the caller's organisation, so PostgREST serves them as they
-- are.  docs/operations.md defines every column.

-- ---------------------------------------------------------------- settings and columns

ALTER TABLE orgs ADD COLUMN rotate_burned_numbers boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN orgs.rotate_burned_numbers IS
	'retire every pool number found burned (number_health) and queue its replacement through pool_fill; '
	'run hourly by the pg_cron job vapi_pool.rotate_burned_numbers';

-- The outbound calls of a window, for number health and the reports,
-- without reading every call the organisation ever made.
CREATE INDEX vapi_call_logs_outbound_idx ON vapi_call_logs (org_id, created_at)
	WHERE direction = 'outbound_to_lead';
-- When a number was lent: booked_at starts again when the lead asks again,
-- which takes no number, so pool pressure counts lendings by lent_at.  Rows
-- from before 0.9.0 have none; those of the last week get their booked_at,
-- the best there is.
ALTER TABLE vapi_number_assignments ADD COLUMN lent_at timestamptz;
ALTER TABLE vapi_number_assignments ALTER COLUMN lent_at SET DEFAULT now();
UPDATE vapi_number_assignments SET lent_at = booked_at WHERE booked_at >= now() - interval '8 days';
COMMENT ON COLUMN vapi_number_assignments.lent_at IS
	'when the number was lent to the lead (booked_at starts again when the lead asks again); NULL before 0.9.0';
-- Numbers given back in a window, per broker (pool pressure).  Those lent
-- in the window are either still held (a broker's few unreleased rows) or
-- given back in it, so this one index serves both; a release, which
-- touches every index, pays for one more, an assignment for none.
CREATE INDEX vapi_number_assignments_released_idx ON vapi_number_assignments (org_id, broker_id, released_at)
	WHERE status = 'released';

-- Where the numbers bought for an organisation send their calls: pool_fill
-- records the server URL it is given and uses it when it is given none (a
-- rotation's replacement), so a number bought later points where the first
-- ones do.  On update, an organisation's last purchase still in the outbox
-- (a done one first) gives it; without one, run `vapi-shim pool fill
-- --public-url` once (a full pool buys nothing and the URL is recorded).
ALTER TABLE orgs ADD COLUMN number_server_url text
	CONSTRAINT orgs_number_server_url_http CHECK (number_server_url ~ '^https?://[^/\s]+');
COMMENT ON COLUMN orgs.number_server_url IS
	'the server URL of the Vapi numbers bought for the organisation (pool_fill records it; rotations use it)';
UPDATE orgs o SET number_server_url = j.url
FROM (SELECT DISTINCT ON (org_id) org_id, payload ->> 'server_url' AS url FROM outbox
	  WHERE kind = 'vapi.buy_number' AND payload ? 'server_url'
	  ORDER BY org_id, state = 'done' DESC, id DESC) j
WHERE j.org_id = o.org_id AND j.url ~ '^https?://[^/\s]+';

-- ---------------------------------------------------------------- number health

-- The window number health looks at (vapi_pool.number_health_window back
-- from now) and what counts as an early hang-up.
CREATE FUNCTION number_health_window(OUT since timestamptz, OUT early_hangup_seconds integer)
	AS 'MODULE_PATHNAME', 'vapi_pool_number_health_window'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION number_health_window() IS
	'the start of the number health window (now - vapi_pool.number_health_window) and vapi_pool.early_hangup_seconds';

-- A number's health from its answered share against its siblings' (the
-- same broker's other numbers): healthy, watch or burned, and why in words.
CREATE FUNCTION number_health_state(attempts bigint, answered bigint, sibling_attempts bigint,
		sibling_answered bigint, OUT state text, OUT reason text)
	AS 'MODULE_PATHNAME', 'vapi_pool_number_health_state'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION number_health_state(bigint, bigint, bigint, bigint) IS
	'healthy, watch or burned from a number''s answered calls against its siblings'' (thresholds: '
	'vapi_pool.number_health_min_calls, number_watch_ratio, number_burned_ratio); docs/operations.md';

-- Per pool number (not retired), over the window: the outbound calls it
-- placed and how they ended, against the broker's other numbers.
--   attempts       calls whose lead outcome is known: answered, no answer or voicemail
--   answered       outcome answered (a person, or a machine voicemail detection missed)
--   failed         provider errors: not the lead's doing, not counted in attempts
--   early_hangups  answered calls the customer ended within early_hangup_seconds
--   seconds_to_answer  from placing the call (the call log's creation) to Vapi's startedAt
CREATE VIEW number_health AS
WITH w AS (SELECT * FROM number_health_window()),
calls AS (
	SELECT c.org_id, c.from_e164 AS number,
		   count(*) FILTER (WHERE c.outcome IN ('answered', 'no_answer', 'voicemail')) AS attempts,
		   count(*) FILTER (WHERE c.outcome = 'answered') AS answered,
		   count(*) FILTER (WHERE c.outcome = 'no_answer') AS no_answer,
		   count(*) FILTER (WHERE c.outcome = 'voicemail') AS voicemail,
		   count(*) FILTER (WHERE c.outcome = 'provider_error') AS failed,
		   count(*) FILTER (WHERE c.outcome = 'answered' AND c.ended_reason = 'customer-ended-call'
							  AND c.duration_seconds < w.early_hangup_seconds) AS early_hangups,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.started_at - c.created_at))
			   FILTER (WHERE c.outcome = 'answered' AND c.started_at >= c.created_at) AS seconds_to_answer
	FROM vapi_call_logs c, w
	WHERE c.direction = 'outbound_to_lead' AND c.created_at >= w.since AND c.from_e164 IS NOT NULL
	GROUP BY c.org_id, c.from_e164),
numbers AS (
	SELECT p.org_id, p.broker_id, p.id AS pool_number_id, p.number, p.status,
		   p.retire_requested_at IS NOT NULL AS draining,
		   coalesce(c.attempts, 0) AS attempts, coalesce(c.answered, 0) AS answered,
		   coalesce(c.no_answer, 0) AS no_answer, coalesce(c.voicemail, 0) AS voicemail,
		   coalesce(c.failed, 0) AS failed, coalesce(c.early_hangups, 0) AS early_hangups,
		   c.seconds_to_answer
	FROM vapi_number_pool p
	LEFT JOIN calls c ON c.org_id = p.org_id AND c.number = p.number
	WHERE p.status <> 'retired'),
siblings AS (
	SELECT n.*,
		   sum(n.attempts) OVER b - n.attempts AS sibling_attempts,
		   sum(n.answered) OVER b - n.answered AS sibling_answered
	FROM numbers n
	WINDOW b AS (PARTITION BY n.org_id, n.broker_id))
SELECT s.org_id, s.broker_id, b.name AS broker_name, s.pool_number_id, s.number, s.status, s.draining,
	   s.attempts, s.answered,
	   CASE WHEN s.attempts > 0 THEN round(s.answered::numeric / s.attempts, 3) END AS answer_rate,
	   s.sibling_attempts::bigint AS sibling_attempts,
	   CASE WHEN s.sibling_attempts > 0 THEN round(s.sibling_answered / s.sibling_attempts, 3) END
		   AS sibling_answer_rate,
	   round(s.seconds_to_answer::numeric, 1) AS median_seconds_to_answer,
	   s.early_hangups, s.no_answer, s.voicemail, s.failed,
	   h.state, h.reason
FROM siblings s
JOIN brokers b ON b.org_id = s.org_id AND b.id = s.broker_id
CROSS JOIN LATERAL number_health_state(s.attempts, s.answered, s.sibling_attempts::bigint,
	s.sibling_answered::bigint) h;
COMMENT ON VIEW number_health IS
	'per pool number over vapi_pool.number_health_window: attempts, answer rate against the broker''s other numbers, '
	'median time to answer, early hang-ups, outcome mix, and healthy / watch / burned with the reason';

-- Every rotation of a burned number: which, why, and the purchase queued
-- for its replacement.
CREATE TABLE number_rotations (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id bigint GENERATED ALWAYS AS IDENTITY,
	broker_id uuid NOT NULL,
	-- not a foreign key to the pool: the log outlives a number deleted from it
	pool_number_id uuid NOT NULL,
	number e164 NOT NULL,
	rotated_at timestamptz NOT NULL DEFAULT now(),
	attempts bigint NOT NULL,
	answered bigint NOT NULL,
	sibling_answer_rate numeric,
	reason text NOT NULL,
	-- retired now (it was free) or draining (retires when its lead's hold ends)
	retirement text NOT NULL CONSTRAINT number_rotations_retirement_known CHECK (retirement IN ('retired', 'draining')),
	-- the vapi.buy_number jobs pool_fill queued for the broker (empty: the pool was full)
	replacement_job_ids bigint[] NOT NULL DEFAULT '{}',
	CONSTRAINT number_rotations_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT number_rotations_broker_fkey FOREIGN KEY (org_id, broker_id) REFERENCES brokers (org_id, id)
		ON DELETE CASCADE
);
CREATE INDEX number_rotations_number_idx ON number_rotations (org_id, pool_number_id);
COMMENT ON TABLE number_rotations IS
	'every burned pool number rotate_burned_numbers retired, with its figures and the replacement purchases queued';
ALTER TABLE number_rotations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY number_rotations_org_select ON number_rotations FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT ON number_rotations TO authenticated;
GRANT SELECT, INSERT ON number_rotations TO service_role;
-- a data-only restore by the service sets the sequence where it was
GRANT USAGE, SELECT, UPDATE ON SEQUENCE number_rotations_id_seq TO service_role;
SELECT pg_catalog.pg_extension_config_dump('number_rotations', '');
SELECT pg_catalog.pg_extension_config_dump('number_rotations_id_seq', '');

-- Retires the burned numbers of every organisation that set
-- rotate_burned_numbers and queues their replacements (pool/number_health.c).
CREATE FUNCTION rotate_burned_numbers() RETURNS SETOF number_rotations
	AS 'MODULE_PATHNAME', 'vapi_pool_rotate_burned_numbers'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION rotate_burned_numbers() IS
	'retire the burned numbers of organisations with rotate_burned_numbers, queue replacements with pool_fill '
	'(same area code), log each in number_rotations; hourly by pg_cron';

-- A number being retired (draining) is leaving the pool: pool_fill buys its
-- replacement now instead of after the lead's hold ends.  The server URL
-- given is recorded for the organisation; none given, the recorded one is
-- used.
CREATE OR REPLACE FUNCTION pool_fill(broker uuid, area_code text DEFAULT NULL, server_url text DEFAULT NULL,
		dry_run boolean DEFAULT false)
	RETURNS TABLE (org_id uuid, broker_id uuid, pool_size integer, in_pool integer, pending integer,
		queued integer, job_ids bigint[])
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	b brokers;
	url text;
BEGIN
	IF area_code IS NOT NULL AND area_code !~ '^[2-9][0-9]{2}$' THEN
		RAISE EXCEPTION 'area code must be three digits, not starting with 0 or 1'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = format('The area code was "%s".', area_code);
	END IF;
	IF server_url IS NOT NULL AND server_url !~ '^https?://[^/\s]+' THEN
		RAISE EXCEPTION 'server URL must be an http or https URL'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = format('The server URL was "%s".', server_url);
	END IF;
	SELECT * INTO b FROM brokers WHERE id = pool_fill.broker;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'broker % does not exist', pool_fill.broker USING ERRCODE = 'no_data_found';
	END IF;
	-- one fill of a broker at a time, so two never buy the same gap twice
	PERFORM pg_advisory_xact_lock(hashtextextended('vapi_pool.pool_fill:' || b.id::text, 0));

	org_id := b.org_id;
	broker_id := b.id;
	pool_size := b.number_pool_size;
	IF pool_fill.server_url IS NOT NULL AND NOT dry_run THEN
		UPDATE orgs o SET number_server_url = pool_fill.server_url
		WHERE o.org_id = b.org_id AND o.number_server_url IS DISTINCT FROM pool_fill.server_url;
	END IF;
	url := coalesce(pool_fill.server_url, (SELECT o.number_server_url FROM orgs o WHERE o.org_id = b.org_id));
	SELECT count(*) INTO in_pool FROM vapi_number_pool p
	WHERE p.org_id = b.org_id AND p.broker_id = b.id AND p.status <> 'retired' AND p.retire_requested_at IS NULL;
	SELECT count(*) INTO pending FROM outbox o
	WHERE o.org_id = b.org_id AND o.kind = 'vapi.buy_number' AND o.state IN ('pending', 'in_flight')
	  AND o.payload ->> 'broker_id' = b.id::text;
	queued := greatest(0, pool_size - in_pool - pending);
	job_ids := '{}';
	IF NOT dry_run AND queued > 0 THEN
		WITH jobs AS (
			INSERT INTO outbox (org_id, kind, payload, idempotency_key)
			SELECT b.org_id, 'vapi.buy_number',
				jsonb_strip_nulls(jsonb_build_object('broker_id', b.id, 'area_code', pool_fill.area_code,
					'server_url', url)),
				'buy-number:' || b.id || ':' || gen_random_uuid()
			FROM generate_series(1, queued)
			RETURNING id)
		SELECT array_agg(id ORDER BY id) INTO job_ids FROM jobs;
	ELSIF dry_run THEN
		job_ids := NULL;
	END IF;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION pool_fill(uuid, text, text, boolean) IS
	'queue the vapi.buy_number jobs that bring the broker''s pool up to number_pool_size, numbers being retired '
	'not counted; the server URL given (else the organisation''s recorded number_server_url) goes with them '
	'(dry_run: only count)';

-- ---------------------------------------------------------------- pool pressure

-- pool_status gains how fast the pool is used, over the last seven days:
--   assignments_per_day  numbers lent per day (by lent_at: a lead asking
--                        again takes no number)
--   releases_per_day     numbers given back per day
--   mean_hold_hours      how long the holds released in the window lasted,
--                        from the lending
--   numbers_needed       assignments_per_day x mean hold (Little's law): the
--                        pool size that covers this rate
--   days_until_dry       available / (lent - given back per day) while more
--                        are lent than given back; NULL otherwise
CREATE OR REPLACE VIEW pool_status AS
SELECT b.org_id, b.id AS broker_id, b.name AS broker_name, b.number_pool_active,
	   b.number_pool_size AS target_size,
	   coalesce(p.size, 0) AS size,
	   coalesce(p.available, 0) AS available,
	   coalesce(a.booked, 0) AS booked,
	   coalesce(a.call_completed, 0) AS call_completed,
	   coalesce(p.draining, 0) AS draining,
	   coalesce(p.retired, 0) AS retired,
	   a.oldest_hold,
	   a.next_release_at,
	   CASE WHEN coalesce(p.size, 0) = 0 THEN NULL
			ELSE round((p.size - p.available)::numeric / p.size, 3) END AS pressure,
	   round((a.lent + r.lent) / 7.0, 2) AS assignments_per_day,
	   round(r.released / 7.0, 2) AS releases_per_day,
	   round(r.mean_hold_hours, 1) AS mean_hold_hours,
	   ceil((a.lent + r.lent) / 7.0 * r.mean_hold_hours / 24)::integer AS numbers_needed,
	   CASE WHEN a.lent + r.lent > r.released
			THEN round(coalesce(p.available, 0) / ((a.lent + r.lent - r.released) / 7.0), 1) END AS days_until_dry
FROM brokers b
LEFT JOIN LATERAL (
	SELECT count(*) FILTER (WHERE status <> 'retired') AS size,
		   count(*) FILTER (WHERE status = 'available') AS available,
		   count(*) FILTER (WHERE retire_requested_at IS NOT NULL) AS draining,
		   count(*) FILTER (WHERE status = 'retired') AS retired
	FROM vapi_number_pool n WHERE n.org_id = b.org_id AND n.broker_id = b.id) p ON true
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE status = 'booked') AS booked,
		   count(*) FILTER (WHERE status = 'call_completed') AS call_completed,
		   min(booked_at) AS oldest_hold,
		   min(release_at) AS next_release_at,
		   count(*) FILTER (WHERE lent_at >= now() - interval '7 days') AS lent
	FROM vapi_number_assignments x
	WHERE x.org_id = b.org_id AND x.broker_id = b.id AND x.status <> 'released') a
CROSS JOIN LATERAL (
	SELECT count(*) AS released,
		   count(*) FILTER (WHERE x.lent_at >= now() - interval '7 days') AS lent,
		   avg(extract(epoch FROM x.released_at - coalesce(x.lent_at, x.booked_at)) / 3600) AS mean_hold_hours
	FROM vapi_number_assignments x
	WHERE x.org_id = b.org_id AND x.broker_id = b.id AND x.status = 'released'
	  AND x.released_at >= now() - interval '7 days') r;
COMMENT ON VIEW pool_status IS
	'per broker: pool size, available, booked, call_completed, draining, oldest hold, pressure, and over the last '
	'7 days assignments and releases per day, mean hold, numbers needed and days until the pool runs dry';

-- ---------------------------------------------------------------- reports

-- How a logged call went, as the reports and vapi-shim status count it, one
-- definition for both: in_progress (not ended), failed (the provider's
-- failure, or ended with no known outcome: the report never came), else its
-- outcome (answered, no_answer, voicemail).  Inlined where it is used
-- (no SET), so its operators are qualified.
CREATE FUNCTION call_outcome_class(status text, outcome text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
	SELECT CASE WHEN status OPERATOR(pg_catalog.<>) 'ended' THEN 'in_progress'
				WHEN outcome IS NULL OR outcome OPERATOR(pg_catalog.=) 'provider_error' THEN 'failed'
				ELSE outcome END
	$$;
COMMENT ON FUNCTION call_outcome_class(text, text) IS
	'a call log''s status and outcome as counted: in_progress, failed (provider error or no known outcome), '
	'answered, no_answer or voicemail';

-- Per broker (a clinic's own line: broker_id NULL, named after the clinic)
-- and per day or week in the broker's (clinic's) time zone.  Filter on
-- period = 'day' or 'week'.  docs/operations.md defines every column.
CREATE VIEW call_report AS
SELECT r.org_id, r.broker_id, r.name, r.period, r.period_start,
	   r.calls_placed, r.calls_received, r.answered, r.voicemail, r.no_answer, r.failed, r.in_progress,
	   CASE WHEN r.placed_reached_or_not > 0
			THEN round(r.placed_answered::numeric / r.placed_reached_or_not, 3) END AS answer_rate,
	   round(r.median_seconds::numeric, 1) AS median_seconds, round(r.p90_seconds::numeric, 1) AS p90_seconds,
	   r.transfers_attempted, r.transfers_to_primary, r.transfers_to_secondary,
	   r.bookings, r.bookings_cancelled,
	   CASE WHEN r.answered > 0 THEN round(r.bookings::numeric / r.answered, 3) END AS bookings_per_answered_call,
	   r.cost,
	   CASE WHEN r.calls_costed > 0 THEN round(r.cost / r.calls_costed, 4) END AS cost_per_call,
	   CASE WHEN r.bookings > 0 THEN round(r.cost / r.bookings, 4) END AS cost_per_booking
FROM (
	-- one pass over the calls and the assistants' bookings together, so that
	-- a filter on the organisation, broker or period reaches both tables
	SELECT e.org_id, e.broker_id, coalesce(b.name, o.name) AS name, g.period,
		   date_trunc(g.period, e.at AT TIME ZONE coalesce(b.timezone, o.timezone))::date AS period_start,
		   count(*) FILTER (WHERE e.direction = 'outbound_to_lead') AS calls_placed,
		   count(*) FILTER (WHERE e.direction <> 'outbound_to_lead') AS calls_received,
		   count(*) FILTER (WHERE e.class = 'answered') AS answered,
		   count(*) FILTER (WHERE e.class = 'voicemail') AS voicemail,
		   count(*) FILTER (WHERE e.class = 'no_answer') AS no_answer,
		   count(*) FILTER (WHERE e.class = 'failed') AS failed,
		   count(*) FILTER (WHERE e.class = 'in_progress') AS in_progress,
		   count(*) FILTER (WHERE e.direction = 'outbound_to_lead' AND e.class = 'answered') AS placed_answered,
		   count(*) FILTER (WHERE e.direction = 'outbound_to_lead' AND e.class IN ('answered', 'voicemail', 'no_answer'))
			   AS placed_reached_or_not,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.duration_seconds) FILTER (WHERE e.class = 'answered')
			   AS median_seconds,
		   percentile_cont(0.9) WITHIN GROUP (ORDER BY e.duration_seconds) FILTER (WHERE e.class = 'answered')
			   AS p90_seconds,
		   count(*) FILTER (WHERE e.transfer_attempts > 0) AS transfers_attempted,
		   count(*) FILTER (WHERE e.transfer_attempts = 1 AND e.ended_reason = 'assistant-forwarded-call')
			   AS transfers_to_primary,
		   count(*) FILTER (WHERE e.transfer_attempts >= 2 AND e.ended_reason = 'assistant-forwarded-call')
			   AS transfers_to_secondary,
		   count(*) FILTER (WHERE e.booking) AS bookings,
		   count(*) FILTER (WHERE e.booking AND e.status = 'cancelled') AS bookings_cancelled,
		   coalesce(sum(e.cost), 0) AS cost,
		   count(e.cost) AS calls_costed
	FROM (
		SELECT c.org_id, c.broker_id, c.created_at AS at, false AS booking, c.direction, c.status,
			   call_outcome_class(c.status, c.outcome) AS class, c.duration_seconds, c.transfer_attempts,
			   c.ended_reason, c.cost
		FROM vapi_call_logs c
		UNION ALL
		SELECT a.org_id, a.broker_id, a.created_at, true, NULL, a.status, NULL, NULL, NULL, NULL, NULL
		FROM appointments a
		WHERE a.booked_via = 'assistant' AND a.cal_booking_uid IS NOT NULL) e
	JOIN orgs o ON o.org_id = e.org_id
	LEFT JOIN brokers b ON b.org_id = e.org_id AND b.id = e.broker_id
	CROSS JOIN (VALUES ('day'), ('week')) g (period)
	GROUP BY e.org_id, e.broker_id, b.name, o.name, g.period, 5) r;
COMMENT ON VIEW call_report IS
	'per broker (or clinic line) and day or week: calls placed and received, outcomes, answer rate, median and p90 '
	'duration, transfers to the primary and secondary number, assistant bookings, cost per call and per booking';

-- Instantly replies per broker (the lead's, else the campaign's default),
-- day or week and intent, and how many became calls.
CREATE VIEW reply_report AS
SELECT e.org_id, b.id AS broker_id, coalesce(b.name, o.name) AS name, g.period,
	   date_trunc(g.period, e.received_at AT TIME ZONE coalesce(b.timezone, o.timezone))::date AS period_start,
	   e.intent,
	   count(*) AS replies,
	   count(*) FILTER (WHERE e.decision IN ('call_queued', 'call_already_queued')) AS calls_queued,
	   -- a done job is purged after the outbox's retention, its id cleared here
	   count(*) FILTER (WHERE j.state = 'done' OR (e.decision IN ('call_queued', 'call_already_queued')
												   AND e.outbox_id IS NULL)) AS calls_placed,
	   count(*) FILTER (WHERE e.decision IN ('opted_out', 'opt_out_kept')) AS opted_out
FROM instantly_events e
JOIN orgs o ON o.org_id = e.org_id
LEFT JOIN leads l ON l.org_id = e.org_id AND l.id = e.lead_id
LEFT JOIN instantly_campaigns ca ON ca.org_id = e.org_id AND ca.campaign_id = e.campaign_id
LEFT JOIN brokers b ON b.org_id = e.org_id AND b.id = coalesce(l.broker_id, ca.broker_id)
LEFT JOIN outbox j ON j.org_id = e.org_id AND j.id = e.outbox_id
CROSS JOIN (VALUES ('day'), ('week')) g (period)
WHERE e.intent IS NOT NULL
GROUP BY e.org_id, b.id, b.name, o.name, g.period, 5, e.intent;
COMMENT ON VIEW reply_report IS
	'Instantly replies per broker, day or week and intent: replies, calls queued, calls placed, opt-outs';

-- A clinic's drop-off follow-ups per day or week: drop-offs recorded, texts
-- sent, and how many came back (the caller was reached again or booked).
CREATE VIEW followup_report AS
SELECT f.org_id, o.name, g.period,
	   date_trunc(g.period, f.created_at AT TIME ZONE o.timezone)::date AS period_start,
	   count(*) AS dropoffs,
	   -- a done job is purged after the outbox's retention; the id stays here
	   count(*) FILTER (WHERE j.state = 'done' OR (f.outbox_id IS NOT NULL AND j.id IS NULL)) AS texts_sent,
	   count(*) FILTER (WHERE f.state IN ('contacted', 'booked')) AS came_back,
	   count(*) FILTER (WHERE f.state = 'booked') AS booked,
	   count(*) FILTER (WHERE f.state = 'dismissed') AS dismissed
FROM dropoff_followups f
JOIN orgs o ON o.org_id = f.org_id
LEFT JOIN outbox j ON j.org_id = f.org_id AND j.id = f.outbox_id
CROSS JOIN (VALUES ('day'), ('week')) g (period)
GROUP BY f.org_id, o.name, g.period, 4;
COMMENT ON VIEW followup_report IS
	'a clinic''s drop-off follow-ups per day or week: drop-offs, texts sent, came back, booked, dismissed';

-- ---------------------------------------------------------------- the operator's view

-- Every dead letter: inbox events that failed (replay_event) and outbox
-- jobs that died (outbox_replay), under one reference (event:ID, job:ID).
CREATE VIEW dead_letters AS
SELECT 'event:' || i.id AS ref, 'event' AS kind, i.id, i.org_id, i.source || ' ' || i.event_type AS what,
	   i.processed_at AS failed_at, i.attempts, i.error, i.error_sqlstate AS sqlstate
FROM webhook_inbox i
WHERE i.state = 'failed'
UNION ALL
SELECT 'job:' || j.id, 'job', j.id, j.org_id, j.kind, j.updated_at, j.attempts, j.last_error,
	   CASE WHEN j.last_http_status IS NOT NULL THEN 'HTTP ' || j.last_http_status END
FROM outbox j
WHERE j.state = 'dead';
COMMENT ON VIEW dead_letters IS
	'failed inbox events (ref event:ID) and dead outbox jobs (ref job:ID), for replay_dead_letter';

-- Replays one dead letter by its reference: event:ID runs replay_event,
-- job:ID outbox_replay.  22023 for a reference of neither form.
CREATE FUNCTION replay_dead_letter(letter text, OUT ref text, OUT outcome text, OUT detail text)
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	m text[] := pg_catalog.regexp_match(letter, '^\s*(event|job):([0-9]{1,18})\s*$');
	receipt webhook_receipt;
	job outbox;
BEGIN
	IF m IS NULL THEN
		RAISE EXCEPTION 'dead letter reference must be event:ID or job:ID'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The reference was "%s".', letter),
				  HINT = 'Copy the ref column of vapi_pool.dead_letters.';
	END IF;
	ref := m[1] || ':' || m[2];
	IF m[1] = 'event' THEN
		receipt := replay_event(m[2]::bigint);
		outcome := receipt.state;
		detail := CASE WHEN receipt.state = 'processed' THEN format('answered HTTP %s', receipt.http_status)
					   ELSE (SELECT i.error FROM webhook_inbox i WHERE i.id = m[2]::bigint) END;
	ELSE
		job := outbox_replay(m[2]::bigint);
		outcome := job.state;
		detail := format('%s due at %s', job.kind, job.run_at);
	END IF;
END
$$;
COMMENT ON FUNCTION replay_dead_letter(text) IS
	'replay one dead letter by its dead_letters ref: event:ID (replay_event) or job:ID (outbox_replay)';

-- The calls started since a time, by how they went (the last hour, for
-- vapi-shim status): answered, no_answer, voicemail, failed, in_progress.
CREATE FUNCTION calls_by_outcome(since timestamptz)
	RETURNS TABLE (outcome text, calls bigint)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT k.outcome, count(c.outcome)
	FROM (VALUES (1, 'answered'), (2, 'no_answer'), (3, 'voicemail'), (4, 'failed'), (5, 'in_progress')) k (n, outcome)
	LEFT JOIN (
		SELECT call_outcome_class(l.status, l.outcome) AS outcome
		FROM vapi_call_logs l
		WHERE l.created_at >= calls_by_outcome.since) c ON c.outcome = k.outcome
	GROUP BY k.n, k.outcome
	ORDER BY k.n
	$$;
COMMENT ON FUNCTION calls_by_outcome(timestamptz) IS
	'the calls logged since a time by outcome: answered, no_answer, voicemail, failed, in_progress';

-- The extension's pg_cron jobs and their last run; empty without pg_cron in
-- this database.  SECURITY DEFINER: pg_cron shows a role only its own jobs,
-- and the jobs are the extension owner's.
CREATE FUNCTION maintenance_job_runs()
	RETURNS TABLE (jobname text, schedule text, active boolean, last_status text, last_run_at timestamptz,
		last_message text)
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RETURN;
	END IF;
	-- EXECUTE: schema cron does not exist without pg_cron
	RETURN QUERY EXECUTE
		'SELECT j.jobname::text, j.schedule::text, j.active, r.status::text, r.end_time, r.return_message::text
		 FROM cron.job j
		 LEFT JOIN LATERAL (SELECT d.status, d.end_time, d.return_message FROM cron.job_run_details d
							WHERE d.jobid = j.jobid ORDER BY d.runid DESC LIMIT 1) r ON true
		 WHERE j.jobname LIKE ''vapi\_pool.%''
		 ORDER BY j.jobname';
END
$$;
CREATE VIEW maintenance_jobs AS SELECT * FROM maintenance_job_runs();
COMMENT ON VIEW maintenance_jobs IS 'the extension''s pg_cron jobs (vapi_pool.*) and how their last run went';

-- The figures /metrics shows, for every organisation: active pools running
-- dry in under 7 days, the fewest days until one does, numbers on watch,
-- burned.
CREATE FUNCTION operations_stats(OUT pools_running_dry bigint, OUT min_days_until_dry numeric,
		OUT numbers_watch bigint, OUT numbers_burned bigint)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT (SELECT count(*) FROM pool_status s WHERE s.number_pool_active AND s.days_until_dry < 7),
		   (SELECT min(s.days_until_dry) FROM pool_status s WHERE s.number_pool_active),
		   count(*) FILTER (WHERE h.state = 'watch'),
		   count(*) FILTER (WHERE h.state = 'burned')
	FROM number_health h
	$$;
COMMENT ON FUNCTION operations_stats() IS
	'for /metrics: active pools running dry in under 7 days, the fewest days until one does, numbers on watch and burned';

-- ---------------------------------------------------------------- the hourly job

-- Registers the housekeeping jobs with pg_cron, in this database: the
-- release of expired numbers (schedule), the sweep of calls whose report is
-- late (every five minutes), the purge of personal data past its retention
-- (daily at 03:45) and, since 0.9.0, the rotation of burned numbers (hourly,
-- at 20 past; it does nothing for an organisation that has not set
-- rotate_burned_numbers).  Idempotent.  Returns the jobs.
CREATE OR REPLACE FUNCTION schedule_maintenance(schedule text DEFAULT '0 3 * * *')
	RETURNS TABLE (job_name text, job_id bigint, job_schedule text, command text)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The release of expired numbers, the sweep of calls whose report is late, the purge of '
						   'personal data past its retention and the rotation of burned numbers run as pg_cron jobs.',
				  HINT = 'Add pg_cron to shared_preload_libraries and run CREATE EXTENSION pg_cron in the '
						 'database named by cron.database_name, or run CALL vapi_pool.release_expired_in_batches() '
						 'and CALL vapi_pool.purge_personal_data_in_batches() daily, '
						 'SELECT vapi_pool.reconcile_stale_calls() every few minutes and '
						 'SELECT vapi_pool.rotate_burned_numbers() hourly from your own scheduler.';
	END IF;
	job_name := 'vapi_pool.release_expired';
	job_schedule := schedule;
	command := 'CALL vapi_pool.release_expired_in_batches()';
	-- pg_cron's functions always live in schema cron; EXECUTE, because they
	-- do not exist when this extension is created without pg_cron.
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, job_schedule, command;
	RETURN NEXT;
	job_name := 'vapi_pool.reconcile_stale_calls';
	job_schedule := '*/5 * * * *';
	command := 'SELECT pg_catalog.count(*) FROM vapi_pool.reconcile_stale_calls(pg_catalog.now(), 1000)';
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, job_schedule, command;
	RETURN NEXT;
	job_name := 'vapi_pool.purge_personal_data';
	job_schedule := '45 3 * * *';
	command := 'CALL vapi_pool.purge_personal_data_in_batches()';
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, job_schedule, command;
	RETURN NEXT;
	job_name := 'vapi_pool.rotate_burned_numbers';
	job_schedule := '20 * * * *';
	command := 'SELECT pg_catalog.count(*) FROM vapi_pool.rotate_burned_numbers()';
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, job_schedule, command;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION schedule_maintenance(text) IS
	'registers the pg_cron jobs vapi_pool.release_expired (on schedule), vapi_pool.reconcile_stale_calls (every five '
	'minutes), vapi_pool.purge_personal_data (daily at 03:45) and vapi_pool.rotate_burned_numbers (hourly)';

-- ---------------------------------------------------------------- privileges

DO $view$
BEGIN
	IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
		ALTER VIEW vapi_pool.pool_status SET (security_invoker = true);
		ALTER VIEW vapi_pool.number_health SET (security_invoker = true);
		ALTER VIEW vapi_pool.call_report SET (security_invoker = true);
		ALTER VIEW vapi_pool.reply_report SET (security_invoker = true);
		ALTER VIEW vapi_pool.followup_report SET (security_invoker = true);
		ALTER VIEW vapi_pool.dead_letters SET (security_invoker = true);
		GRANT SELECT ON vapi_pool.number_health, vapi_pool.call_report, vapi_pool.reply_report,
			vapi_pool.followup_report TO authenticated;
	END IF;
	GRANT SELECT ON vapi_pool.number_health, vapi_pool.call_report, vapi_pool.reply_report,
		vapi_pool.followup_report, vapi_pool.dead_letters TO service_role;
END
$view$;
REVOKE SELECT ON vapi_pool.maintenance_jobs FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rotate_burned_numbers(), replay_dead_letter(text), calls_by_outcome(timestamptz),
	maintenance_job_runs(), operations_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rotate_burned_numbers(), replay_dead_letter(text), calls_by_outcome(timestamptz),
	maintenance_job_runs(), operations_stats() TO service_role;
GRANT SELECT ON vapi_pool.maintenance_jobs TO service_role;
GRANT EXECUTE ON FUNCTION number_health_window(), number_health_state(bigint, bigint, bigint, bigint)
	TO authenticated, service_role;
-- call_report, security_invoker, calls it for whoever reads it
GRANT EXECUTE ON FUNCTION call_outcome_class(text, text) TO authenticated, service_role;
