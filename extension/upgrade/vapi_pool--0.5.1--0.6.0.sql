-- vapi_pool 0.5.1 -> 0.6.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Release 0.6.0 (issue 19): whole calls that finish.  This part holds the
-- shared settings of the journeys; the parts after it (181_ onwards) hold
-- one concern each.  Every statement here is a delta on 0.5.1: the install
-- script and the 0.5.1 -> 0.6.0 update script are both assembled from it.

-- ---------------------------------------------------------------- booking settings of an organisation

-- What 0.5.1 had written into the code (30-minute appointments, a 7-day
-- horizon, a 15-minute hold while Cal.com books, attendees in English) is
-- the organisation's to set.  A broker's Cal.com event type decides its own
-- appointment length (the length of the slots Cal.com offers); these are the
-- organisation's own calendar's (a clinic's) and the fallback.
ALTER TABLE orgs
	ADD COLUMN appointment_minutes integer NOT NULL DEFAULT 30
		CONSTRAINT orgs_appointment_minutes_range CHECK (appointment_minutes BETWEEN 5 AND 480),
	ADD COLUMN booking_horizon_days integer NOT NULL DEFAULT 7
		CONSTRAINT orgs_booking_horizon_days_range CHECK (booking_horizon_days BETWEEN 1 AND 90),
	ADD COLUMN booking_hold_minutes integer NOT NULL DEFAULT 15
		CONSTRAINT orgs_booking_hold_minutes_range CHECK (booking_hold_minutes BETWEEN 1 AND 120),
	ADD COLUMN language text NOT NULL DEFAULT 'en'
		CONSTRAINT orgs_language_tag CHECK (language ~ '^[a-z]{2}(-[A-Z]{2})?$');
GRANT UPDATE (appointment_minutes, booking_horizon_days, booking_hold_minutes, language) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.appointment_minutes IS
	'length of an appointment on the organisation''s own calendar, and when Cal.com does not say (5-480 minutes)';
COMMENT ON COLUMN orgs.booking_horizon_days IS 'how many days ahead the assistants look for free times (1-90)';
COMMENT ON COLUMN orgs.booking_hold_minutes IS
	'how long a slot stays held for a caller while the booking is made or confirmed (1-120 minutes)';
COMMENT ON COLUMN orgs.language IS 'the language of the organisation''s callers, as Cal.com attendees get it (en, es, en-GB)';
-- Booking what was offered (release 0.6.0, issue 19 item 1): a check of
-- free times remembers, per call, the times it offered and the words it
-- used; a booking names its start as the caller chose it ("Tuesday,
-- November 24 at 9:00 AM", "Tuesday at 9", "the second one") and
-- offered_slot_id (extension/slots/offered_slots.c) finds the one offered
-- slot it means, or answers with the candidates.  Also the booking settings
-- of 180_journeys.sql put to use: the horizon of a check, the hold while
-- Cal.com books, the attendee's language, and the appointment length from
-- Cal.com's slots (format=range) or the organisation.

-- ---------------------------------------------------------------- state

CREATE TABLE offered_slots (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id bigint GENERATED ALWAYS AS IDENTITY,
	vapi_call_id text NOT NULL CONSTRAINT offered_slots_vapi_call_id_present CHECK (vapi_call_id <> ''),
	-- NULL: the organisation's own calendar
	broker_id uuid,
	-- the nth list of times offered in this call, and the place in it (from 1)
	round integer NOT NULL CONSTRAINT offered_slots_round_positive CHECK (round >= 1),
	position integer NOT NULL CONSTRAINT offered_slots_position_positive CHECK (position >= 1),
	starts_at timestamptz NOT NULL,
	ends_at timestamptz NOT NULL,
	timezone iana_timezone NOT NULL,
	-- the words the assistant read out
	label text NOT NULL CONSTRAINT offered_slots_label_present CHECK (btrim(label) <> ''),
	offered_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT offered_slots_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT offered_slots_ends_after_start CHECK (ends_at > starts_at),
	CONSTRAINT offered_slots_broker_fkey FOREIGN KEY (org_id, broker_id) REFERENCES brokers (org_id, id)
		ON DELETE CASCADE
);
CREATE INDEX offered_slots_call_idx ON offered_slots (org_id, vapi_call_id, round);
CREATE INDEX offered_slots_offered_at_idx ON offered_slots (offered_at);
COMMENT ON TABLE offered_slots IS
	'the free times offered in a call, as read out, so that a booking can name the one the caller chose; kept a day';

ALTER TABLE offered_slots ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY offered_slots_org_select ON offered_slots FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT ON offered_slots TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON offered_slots TO service_role;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE offered_slots_id_seq TO service_role;
SELECT pg_catalog.pg_extension_config_dump('offered_slots', '');

-- ---------------------------------------------------------------- Cal.com requests

-- Cal.com's free slots of an event type, written in the zone, each with its
-- end (format=range: the event type's length): of one day when a day is
-- given, else of the next horizon_days days.
DROP FUNCTION cal_slots_request(bigint, text, date);
CREATE FUNCTION cal_slots_request(event_type_id bigint, timezone text, day date DEFAULT NULL,
		horizon_days integer DEFAULT 7) RETURNS http_request
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN ROW('cal', 'GET',
		'/slots?eventTypeId=' || event_type_id
		|| '&start=' || coalesce(to_char(day, 'YYYY-MM-DD'), to_char(now() AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&end=' || coalesce(to_char(day, 'YYYY-MM-DD'),
			to_char((now() + horizon_days * interval '1 day') AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&timeZone=' || url_encode(timezone) || '&format=range',
		jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_slots')),
		NULL::text, tool_request_timeout_ms())::http_request;

-- The body of Cal.com's POST /bookings for a held slot (calcom-booking.request.json's shape).
DROP FUNCTION cal_booking_body(bigint, timestamptz, text, text, text, text, uuid, uuid);
CREATE FUNCTION cal_booking_body(event_type_id bigint, start timestamptz, name text, timezone text,
		email text, phone text, lead_id uuid, hold_id uuid, language text DEFAULT 'en') RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object(
		'start', to_char(start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'eventTypeId', event_type_id,
		'attendee', jsonb_strip_nulls(jsonb_build_object('name', coalesce(name, 'Caller'), 'timeZone', timezone,
			'email', email, 'phoneNumber', phone, 'language', coalesce(language, 'en'))),
		'metadata', jsonb_build_object('lead_id', lead_id::text, 'hold_id', hold_id::text));

-- ---------------------------------------------------------------- offering

-- Cal.com's free slots (GET /slots's answer) that no booking or live hold
-- of the calendar blocks, at most how_many, offered in call vapi_call_id:
-- remembered in offered_slots (a new round) and returned as the line the
-- assistant reads out.  refused is a time Cal.com just refused to book;
-- day the day asked for, if any.  Offers older than a day are dropped.
CREATE FUNCTION offer_free_slots(org_id uuid, broker_id uuid, vapi_call_id text, timezone text, slots jsonb,
		how_many integer DEFAULT 6, refused timestamptz DEFAULT NULL, day date DEFAULT NULL)
	RETURNS text
	LANGUAGE sql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	WITH o AS (SELECT g.appointment_minutes, g.booking_horizon_days FROM orgs g WHERE g.org_id = offer_free_slots.org_id),
	cal AS (SELECT (s ->> 'start')::timestamptz AS t, (s ->> 'end')::timestamptz - (s ->> 'start')::timestamptz AS length
		FROM jsonb_each(CASE WHEN jsonb_typeof(slots -> 'data') = 'object' THEN slots -> 'data' ELSE '{}' END) d,
			 jsonb_array_elements(CASE WHEN jsonb_typeof(d.value) = 'array' THEN d.value ELSE '[]' END) s
		WHERE s ->> 'start' IS NOT NULL),
	-- the event type's length, as Cal.com's ranges say it; else the organisation's
	len AS (SELECT coalesce((SELECT min(cal.length) FROM cal WHERE cal.length > interval '0'),
		(SELECT o.appointment_minutes FROM o) * interval '1 minute') AS l),
	f AS (SELECT x.t, row_number() OVER (ORDER BY x.t) AS position
		FROM (SELECT t FROM unnest(free_slots(offer_free_slots.broker_id, ARRAY(SELECT cal.t FROM cal ORDER BY 1),
				(SELECT l FROM len), offer_free_slots.org_id)) AS t
			  WHERE t IS DISTINCT FROM refused	-- Cal.com may still list the time it just refused
			  ORDER BY t LIMIT how_many) x),
	stale AS (DELETE FROM offered_slots s WHERE s.offered_at < now() - interval '1 day'),
	offered AS (INSERT INTO offered_slots (org_id, vapi_call_id, broker_id, round, position, starts_at, ends_at,
			timezone, label)
		SELECT offer_free_slots.org_id, offer_free_slots.vapi_call_id, offer_free_slots.broker_id,
			coalesce((SELECT max(s.round) FROM offered_slots s WHERE s.org_id = offer_free_slots.org_id
				AND s.vapi_call_id = offer_free_slots.vapi_call_id), 0) + 1,
			f.position, f.t, f.t + (SELECT l FROM len), offer_free_slots.timezone, spoken_time(f.t, offer_free_slots.timezone)
		FROM f WHERE offer_free_slots.vapi_call_id IS NOT NULL)
	SELECT CASE WHEN count(*) = 0 AND day IS NOT NULL
			THEN 'No free times on ' || to_char(day, 'FMDay, FMMonth FMDD') || '. Offer to check other days.'
		WHEN count(*) = 0
			THEN 'No free times in the next ' || (SELECT o.booking_horizon_days FROM o) || ' days.'
		ELSE 'Free times (' || timezone || '): ' || string_agg(spoken_time(f.t, timezone), '; ' ORDER BY f.t)
			|| '. To book one, pass it as start exactly as written.' END
	FROM f
	$$;
COMMENT ON FUNCTION offer_free_slots(uuid, uuid, text, text, jsonb, integer, timestamptz, date) IS
	'the free times of a Cal.com slots answer, remembered as offered in the call and read out as one line';

-- readable_slots (0.5.1) read free times out without remembering them; a
-- check now offers them with offer_free_slots, and nothing calls it.
DROP FUNCTION readable_slots(uuid, uuid, text, jsonb, integer, timestamptz);

-- The offered slot of a call that said names (the label as offered, or
-- words that fit one offered time: "Tuesday at 9", "the second one"), on
-- the broker's calendar (NULL: the organisation's own); errors with the
-- candidates when it cannot tell.
CREATE FUNCTION offered_slot_id(org_id uuid, vapi_call_id text, said text, broker_id uuid DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'vapi_pool_offered_slot_id'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION offered_slot_id(uuid, text, text, uuid) IS
	'which time offered in a call the caller chose: the label as offered or words that fit exactly one; 22023 with the candidates otherwise';

REVOKE EXECUTE ON FUNCTION offer_free_slots(uuid, uuid, text, text, jsonb, integer, timestamptz, date),
	offered_slot_id(uuid, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offer_free_slots(uuid, uuid, text, text, jsonb, integer, timestamptz, date),
	offered_slot_id(uuid, text, text, uuid) TO service_role;
GRANT EXECUTE ON FUNCTION offered_slot_id(uuid, text, text, uuid) TO authenticated;

-- ---------------------------------------------------------------- pool_sync: the organisation's region

-- A Vapi number written without its country code is read in the region of
-- the broker's organisation, not always the US (0.5.1 assumed US).
CREATE OR REPLACE FUNCTION pool_sync(broker_id uuid, numbers jsonb, server_url text DEFAULT NULL)
	RETURNS TABLE (vapi_phone_number_id text, number text, action text, needs_server_url boolean)
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	n jsonb;
	e e164;
	p vapi_number_pool;
	region text;
BEGIN
	IF jsonb_typeof(numbers) IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'numbers must be a JSON array'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'Pass the answer of Vapi''s GET /phone-number.';
	END IF;
	IF pool_sync.broker_id IS NOT NULL AND NOT EXISTS (SELECT FROM brokers b WHERE b.id = pool_sync.broker_id) THEN
		RAISE EXCEPTION 'broker % does not exist', pool_sync.broker_id USING ERRCODE = 'no_data_found';
	END IF;
	SELECT o.default_region INTO region FROM brokers b JOIN orgs o ON o.org_id = b.org_id
	 WHERE b.id = pool_sync.broker_id LIMIT 1;
	region := coalesce(region, 'US');
	FOR n IN SELECT x FROM jsonb_array_elements(numbers) x LOOP
		vapi_phone_number_id := n ->> 'id';
		number := n ->> 'number';
		needs_server_url := false;
		e := e164_try_parse(number, region);
		IF vapi_phone_number_id IS NULL OR e IS NULL THEN
			action := 'skipped: not a phone number with an id and an E.164 number';
			RETURN NEXT;
			CONTINUE;
		END IF;
		number := e::text;
		-- a number a purchase job is buying right now is that job's to add
		IF n ->> 'name' LIKE 'vapi_pool job %' AND EXISTS (SELECT FROM outbox o
				WHERE o.kind = 'vapi.buy_number' AND o.state IN ('pending', 'in_flight')
				  AND 'vapi_pool job ' || o.idempotency_key = n ->> 'name') THEN
			action := 'skipped: being bought by a pool_fill job';
			RETURN NEXT;
			CONTINUE;
		END IF;
		SELECT * INTO p FROM vapi_number_pool v WHERE v.number = e;
		IF FOUND THEN
			IF p.vapi_phone_number_id IS NULL THEN
				UPDATE vapi_number_pool v SET vapi_phone_number_id = pool_sync.vapi_phone_number_id
				WHERE v.org_id = p.org_id AND v.id = p.id;
				action := 'linked';
			ELSIF p.vapi_phone_number_id = pool_sync.vapi_phone_number_id THEN
				action := 'known';
			ELSE
				action := 'skipped: the pool has it with Vapi id ' || p.vapi_phone_number_id;
			END IF;
		ELSIF pool_sync.broker_id IS NULL THEN
			action := 'skipped: not in any pool (give a broker to import it)';
		ELSE
			PERFORM add_pool_number(pool_sync.broker_id, e, pool_sync.vapi_phone_number_id);
			action := 'imported';
		END IF;
		needs_server_url := action IN ('linked', 'known', 'imported') AND server_url IS NOT NULL
			AND (n -> 'server' ->> 'url') IS DISTINCT FROM server_url;
		RETURN NEXT;
	END LOOP;
END
$$;

-- ---------------------------------------------------------------- a booked lead

-- A contact whose appointment is booked is appointment_booked (0.5.1 never
-- set it: an answered call left the lead connected): Barbara's booking, a
-- clinic's, and a booking Cal.com reports alike.  A lead who opted out
-- (do_not_call, not_interested) keeps that status.  The end-of-call report
-- moves only leads not yet connected, so it never undoes this.
CREATE FUNCTION mark_lead_booked() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	UPDATE vapi_pool.leads SET status = 'appointment_booked'
	 WHERE org_id = NEW.org_id AND id = NEW.contact_id
	   AND status IN ('new', 'call_requested', 'calling', 'connected', 'unreachable');
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION mark_lead_booked() FROM PUBLIC;
CREATE TRIGGER appointments_mark_lead_booked AFTER INSERT OR UPDATE OF status ON appointments
	FOR EACH ROW WHEN (NEW.status = 'booked') EXECUTE FUNCTION mark_lead_booked();
-- Numbers that leaked (release 0.6.0, issue 19 item 6).  A number lent for
-- a call that will never be placed, or for a call whose end-of-call report
-- never comes, was kept forever.  Now:
--
-- 1. A vapi.create_call job that ends dead (refused by Vapi, out of
--    attempts, unsendable at its claim) releases its assignment unless
--    something live still needs it (dispatch/dead_calls.c); the job's result
--    says what became of it.  outbox_replay of such a job lends the lead a
--    number again, or refuses clearly.
-- 2. A call that should have ended (call_max_duration after it started)
--    and still has no report call_report_grace later is looked up with
--    GET /call/{id}, a vapi.get_call job (pool/stale_calls.c); an ended call
--    is recorded as its report would be (dispatch/call_lookup.c).  When
--    Vapi has no answer either, call_report_give_up after the call should
--    have ended, the call is ended as unknown and its number released.
--    pg_cron runs the sweep every five minutes (schedule_maintenance).
--
-- Every statement here is a delta on 0.5.1: the install script and the
-- 0.5.1 -> 0.6.0 update script are both assembled from it.  The contract is
-- docs/dispatcher.md and docs/pool_engine.md.

-- ---------------------------------------------------------------- the lookup job

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_known,
	ADD CONSTRAINT outbox_kind_known CHECK (kind IN
		('vapi.create_call', 'vapi.sms', 'vapi.buy_number', 'cal.create_booking', 'cal.cancel_booking',
		 'vapi.get_call'));
COMMENT ON COLUMN outbox.result IS
	'what the vendor answered that matters: the call, chat, booking or number id; a call lookup''s status; '
	'for a create-call job that died, what became of its assignment ("assignment": "released" or "not released: <why>")';

-- A call's lookups, newest first (the sweep reads the last one).
CREATE INDEX outbox_call_lookup_idx ON outbox (org_id, (payload ->> 'call_id'), id) WHERE kind = 'vapi.get_call';
-- Calls that have not ended, oldest first (the sweep's candidates).
CREATE INDEX vapi_call_logs_open_idx ON vapi_call_logs (created_at) WHERE status <> 'ended';

-- The request of a vapi.get_call job: Vapi's call by its id.  (outbox_claim
-- asks it for that kind, outbox_request for the others.)
CREATE FUNCTION call_lookup_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN ROW('vapi', 'GET', '/call/' || url_encode(job.payload ->> 'call_id'), '{}'::jsonb, NULL::text,
		current_setting('vapi_pool.http_timeout_ms')::integer)::http_request;
COMMENT ON FUNCTION call_lookup_request(outbox) IS
	'the HTTP request of a vapi.get_call job: GET /call/{id} of the call whose end-of-call report never came';

-- ---------------------------------------------------------------- the sweep

-- Looks up the calls whose report is late and gives up on those Vapi has
-- no answer for either (pool/stale_calls.c); one row per call acted on.
CREATE FUNCTION reconcile_stale_calls(now timestamptz DEFAULT now(), batch_size integer DEFAULT 1000)
	RETURNS TABLE (org_id uuid, call_log_id uuid, vapi_call_id text, action text, outbox_id bigint, detail text)
	AS 'MODULE_PATHNAME', 'vapi_pool_reconcile_stale_calls'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION reconcile_stale_calls(timestamptz, integer) IS
	'calls with no end-of-call report: look_up (a vapi.get_call job) call_report_grace after they should have ended; '
	'give_up (ended as unknown, the number released) call_report_give_up after, when Vapi has no answer either';

-- Registers the housekeeping jobs with pg_cron, in this database: the
-- release of expired numbers (schedule) and the sweep of calls whose report
-- is late (every five minutes).  Idempotent: pg_cron replaces a job of the
-- same name scheduled by the same user.  Returns the jobs.
CREATE OR REPLACE FUNCTION schedule_maintenance(schedule text DEFAULT '0 3 * * *')
	RETURNS TABLE (job_name text, job_id bigint, job_schedule text, command text)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The release of expired numbers and the sweep of calls whose report is late run as pg_cron jobs.',
				  HINT = 'Add pg_cron to shared_preload_libraries and run CREATE EXTENSION pg_cron in the '
						 'database named by cron.database_name, or run CALL vapi_pool.release_expired_in_batches() '
						 'daily and SELECT vapi_pool.reconcile_stale_calls() every few minutes from your own scheduler.';
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
END
$$;
COMMENT ON FUNCTION schedule_maintenance(text) IS
	'registers the pg_cron jobs vapi_pool.release_expired (on schedule) and vapi_pool.reconcile_stale_calls (every five minutes)';

COMMENT ON FUNCTION outbox_replay(bigint) IS
	'put a dead job back (pending, due now, attempts reset); 55000 unless it is dead; a create-call job is refused '
	'when its lead opted out or is being called, and is lent a number again when its own was released';

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION call_lookup_request(outbox), reconcile_stale_calls(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION call_lookup_request(outbox), reconcile_stale_calls(timestamptz, integer) TO service_role;
-- Release 0.6.0 (issue 19, item 5): no voicemail was ever left.  Vapi's
-- voicemail detection is off unless a call asks for it, so a machine that
-- answered an outbound call ended like a person who hung up: the lead was
-- connected and never called again.  Every create-call now configures
-- detection (assistantOverrides.voicemailDetection) and carries a message a
-- lead can act on (who called, why, the number to call back); a call Vapi
-- ends as "voicemail" is an attempt like no answer (retried at the next
-- allowed hour, then the SMS) whose call log keeps the message it left.
-- docs/pool_engine.md, "Voicemail".  A delta on 0.5.1, like every 18x part.

-- ---------------------------------------------------------------- state

-- classify_ended_reason's fourth class (pool/ended_reason.c).
ALTER TABLE vapi_call_logs DROP CONSTRAINT vapi_call_logs_outcome_known;
ALTER TABLE vapi_call_logs ADD CONSTRAINT vapi_call_logs_outcome_known
	CHECK (outcome IN ('answered', 'no_answer', 'voicemail', 'provider_error'));
COMMENT ON COLUMN vapi_call_logs.outcome IS
	'classify_ended_reason(ended_reason): answered, no_answer, voicemail (a machine answered) or provider_error';

ALTER TABLE vapi_call_logs ADD COLUMN voicemail_message text;
COMMENT ON COLUMN vapi_call_logs.voicemail_message IS
	'outcome voicemail: the message the call left on the lead''s voicemail (as its create-call sent it); NULL when it left none';

COMMENT ON COLUMN orgs.voicemail_message IS
	'what outbound calls leave on a lead''s voicemail, once per request: {first_name}, {broker_name}, {org_name} and '
	'{callback_number} (the pool number that called) are filled in; NULL: vapi_pool.voicemail_message; empty: none';

-- record_call_ended finds the create-call job that placed a call (its
-- result names the call) to record the message the call left.
CREATE INDEX outbox_create_call_result_idx ON outbox (org_id, (result ->> 'call_id'))
	WHERE kind = 'vapi.create_call';

COMMENT ON FUNCTION classify_ended_reason(text) IS
	'what a Vapi endedReason means for the lead: answered, no_answer, voicemail or provider_error (NULL for an empty one)';
COMMENT ON COLUMN call_ended.outcome IS 'answered, no_answer, voicemail or provider_error';

-- ---------------------------------------------------------------- the message

-- A phone number as an assistant reads it out: 310-555-0199 in the North
-- American plan, +44 2071838750 elsewhere.
CREATE FUNCTION spoken_phone_number(number e164) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE WHEN e164_country_code(number) = 1
		THEN regexp_replace(e164_national_number(number), '^(\d{3})(\d{3})(\d{4})$', '\1-\2-\3')
		ELSE '+' || e164_country_code(number) || ' ' || e164_national_number(number) END;

-- The voicemail message of a call: the organisation's template (NULL: the
-- vapi_pool.voicemail_message setting) with {first_name} (or "there"),
-- {broker_name} (or the organisation's name), {org_name} and
-- {callback_number} filled in; NULL when the template is empty (leave none).
CREATE FUNCTION voicemail_text(template text, first_name text, broker_name text, org_name text, callback e164)
	RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN nullif(btrim(replace(replace(replace(replace(
		coalesce(template, current_setting('vapi_pool.voicemail_message')),
		'{first_name}', coalesce(nullif(btrim(first_name), ''), 'there')),
		'{broker_name}', coalesce(nullif(btrim(broker_name), ''), org_name, '')),
		'{org_name}', coalesce(org_name, '')),
		'{callback_number}', coalesce(spoken_phone_number(callback), 'this number'))), '');
COMMENT ON FUNCTION voicemail_text(text, text, text, text, e164) IS
	'an organisation''s voicemail message for one lead and pool number (NULL: leave none)';

-- ---------------------------------------------------------------- detection

-- Vapi's voicemailDetection for outbound calls, from the settings: a plan
-- of @vapi-ai/server-sdk's AssistantOverridesVoicemailDetection union
-- (Vapi/Google/OpenAI: provider, type audio, beepMaxAwaitSeconds; Twilio:
-- provider, enabled), or the string "off".
CREATE FUNCTION voicemail_detection() RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN CASE current_setting('vapi_pool.voicemail_detection')
		WHEN 'off' THEN to_jsonb('off'::text)
		WHEN 'twilio' THEN jsonb_build_object('provider', 'twilio', 'enabled', true)
		ELSE jsonb_build_object('provider', current_setting('vapi_pool.voicemail_detection'), 'type', 'audio',
			'beepMaxAwaitSeconds', current_setting('vapi_pool.voicemail_beep_wait_seconds')::integer) END;
COMMENT ON FUNCTION voicemail_detection() IS
	'the voicemailDetection every create-call sends (vapi_pool.voicemail_detection, vapi_pool.voicemail_beep_wait_seconds)';

-- The request for a job (140_dispatcher.sql's, with voicemail): a create
-- call is POST /call with only lead_id in variableValues, the voicemail
-- detection of the settings and the job's voicemail message (every attempt
-- until one was left); a reconcile is the GET that finds what an earlier
-- attempt may have done.  Purchased numbers are named after their job,
-- which is how a reconcile finds them.  One expression, so that the claim's
-- query inlines it.
CREATE OR REPLACE FUNCTION outbox_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN CASE
		WHEN job.kind = 'vapi.create_call' AND job.reconcile THEN
			ROW('vapi', 'GET', '/call?phoneNumberId=' || url_encode(job.payload ->> 'phone_number_id')
				|| '&createdAtGe=' || url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC',
													  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.create_call' THEN
			ROW('vapi', 'POST', '/call', '{}'::jsonb,
				jsonb_build_object(
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'phoneNumberId', job.payload ->> 'phone_number_id',
					'customer', jsonb_strip_nulls(jsonb_build_object(
						'number', job.payload ->> 'customer_number', 'name', job.payload ->> 'customer_name')),
					'assistantOverrides', jsonb_strip_nulls(jsonb_build_object(
						'variableValues', jsonb_build_object('lead_id', job.payload ->> 'lead_id'),
						'voicemailDetection', voicemail_detection(),
						'voicemailMessage', nullif(job.payload ->> 'voicemail_message', ''))))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.sms' THEN
			ROW('vapi', 'POST', '/chat', '{}'::jsonb,
				jsonb_build_object(
					'input', job.payload ->> 'text',
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'transport', jsonb_build_object('type', 'twilio.sms',
						'phoneNumberId', job.payload ->> 'phone_number_id',
						'customer', jsonb_build_object('number', job.payload ->> 'customer_number')))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'cal.create_booking' THEN
			cal_bookings_request('/bookings', (job.payload -> 'request')::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'cal.cancel_booking' THEN
			cal_bookings_request('/bookings/' || url_encode(job.payload ->> 'booking_uid') || '/cancel',
				jsonb_build_object('cancellationReason', coalesce(job.payload ->> 'reason', 'Cancelled'))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'vapi.buy_number' AND job.reconcile THEN
			ROW('vapi', 'GET', '/phone-number?createdAtGe='
				|| url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.buy_number' THEN
			ROW('vapi', 'POST', '/phone-number', '{}'::jsonb,
				jsonb_strip_nulls(jsonb_build_object(
					'provider', 'vapi',
					'numberDesiredAreaCode', job.payload ->> 'area_code',
					'name', 'vapi_pool job ' || job.idempotency_key,
					'server', CASE WHEN job.payload ->> 'server_url' IS NOT NULL
						THEN jsonb_build_object('url', job.payload ->> 'server_url') END))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
	END;
-- Clinic calls (release 0.6.0, issue 19 items 2-4): the receptionist
-- ("Voxanne", seed 004) answers a clinic's callers, patients on file and new
-- callers alike, and books, moves and cancels their appointments on the
-- clinic's own calendar (or its Cal.com event type); a new caller becomes a
-- contact with the name they give, linked to the call, so that a drop-off
-- follow-up reaches them.  The tools are C (webhook/tool_clinic.c), the
-- contact of a call pool/call_contact.c, the routing the assistant-request
-- plan (webhook_vapi.c) and route_inbound.c.  See docs/clinic_followups.md.

-- ---------------------------------------------------------------- organisations

ALTER TABLE orgs
	ADD COLUMN receptionist_assistant_id text
		CONSTRAINT orgs_receptionist_assistant_id_present CHECK (btrim(receptionist_assistant_id) <> ''),
	ADD COLUMN known_patient_answer text NOT NULL DEFAULT 'receptionist'
		CONSTRAINT orgs_known_patient_answer_known CHECK (known_patient_answer IN ('receptionist', 'forward')),
	ADD COLUMN cal_event_type_id bigint
		CONSTRAINT orgs_cal_event_type_id_positive CHECK (cal_event_type_id > 0),
	ADD COLUMN booking_notice_minutes integer NOT NULL DEFAULT 60
		CONSTRAINT orgs_booking_notice_minutes_range CHECK (booking_notice_minutes BETWEEN 0 AND 10080);
GRANT UPDATE (receptionist_assistant_id, known_patient_answer, cal_event_type_id, booking_notice_minutes)
	ON orgs TO authenticated;
COMMENT ON COLUMN orgs.receptionist_assistant_id IS
	'Vapi assistant that answers a clinic''s callers; NULL: the setting vapi_pool.receptionist_assistant_id, else the clinic_receptionist that vapi-shim assistants push created';
COMMENT ON COLUMN orgs.known_patient_answer IS
	'a clinic''s answer to a patient on file calling: receptionist (the receptionist assistant with the contact) or forward (the front desk, as a lead is forwarded to its broker)';
COMMENT ON COLUMN orgs.cal_event_type_id IS
	'the Cal.com event type of the organisation''s own calendar: free times come from Cal.com and bookings are made there; NULL: from clinic_hours';
COMMENT ON COLUMN orgs.booking_notice_minutes IS
	'the earliest time offered on the organisation''s own calendar is this many minutes from now (0-10080)';

-- A Cal.com event type of the shared account belongs to one calendar of one
-- organisation (0.5.0's rule for brokers, brokers_cal_event_type_id_key):
-- unique among organisations, and never also a broker's, or a member of one
-- organisation could read and book another's calendar with the shared key.
-- The advisory lock on the id makes the check and the write one step for
-- concurrent writers of the two tables.
ALTER TABLE orgs ADD CONSTRAINT orgs_cal_event_type_id_key UNIQUE (cal_event_type_id);
COMMENT ON CONSTRAINT orgs_cal_event_type_id_key ON orgs IS
	'a Cal.com event type id is an organisation''s once across all organisations (one Cal.com key per deployment)';
CREATE FUNCTION event_type_not_shared() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vapi_pool.cal_event_type_id'),
		pg_catalog.hashint8(NEW.cal_event_type_id));
	IF (TG_TABLE_NAME = 'orgs' AND EXISTS (SELECT FROM vapi_pool.brokers b WHERE b.cal_event_type_id = NEW.cal_event_type_id))
	   OR (TG_TABLE_NAME = 'brokers' AND EXISTS (SELECT FROM vapi_pool.orgs o WHERE o.cal_event_type_id = NEW.cal_event_type_id))
	THEN
		RAISE EXCEPTION 'Cal.com event type % is registered already', NEW.cal_event_type_id
			USING ERRCODE = 'unique_violation',
				  DETAIL = 'An event type of the shared Cal.com account belongs to one calendar: one broker''s or one organisation''s.',
				  HINT = 'Create an event type of its own in Cal.com for this calendar.';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION event_type_not_shared() FROM PUBLIC;
CREATE TRIGGER orgs_event_type_not_shared BEFORE INSERT OR UPDATE OF cal_event_type_id ON orgs
	FOR EACH ROW WHEN (NEW.cal_event_type_id IS NOT NULL) EXECUTE FUNCTION event_type_not_shared();
CREATE TRIGGER brokers_event_type_not_shared BEFORE INSERT OR UPDATE OF cal_event_type_id ON brokers
	FOR EACH ROW WHEN (NEW.cal_event_type_id IS NOT NULL) EXECUTE FUNCTION event_type_not_shared();

-- ---------------------------------------------------------------- opening hours

CREATE TABLE clinic_hours (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	-- ISO day of the week: 1 Monday .. 7 Sunday
	weekday smallint NOT NULL CONSTRAINT clinic_hours_weekday_range CHECK (weekday BETWEEN 1 AND 7),
	-- local times in orgs.timezone; a day may have several spans (a lunch break)
	opens time NOT NULL,
	closes time NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT clinic_hours_pkey PRIMARY KEY (org_id, weekday, opens),
	CONSTRAINT clinic_hours_opens_before_closes CHECK (opens < closes)
);
CREATE TRIGGER clinic_hours_touch_updated_at BEFORE UPDATE ON clinic_hours
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE clinic_hours IS
	'when appointments on the organisation''s own calendar may take place, per day of the week, in orgs.timezone';

ALTER TABLE clinic_hours ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_hours_org_select ON clinic_hours FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_insert ON clinic_hours FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_update ON clinic_hours FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_delete ON clinic_hours FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON clinic_hours TO authenticated, service_role;
SELECT pg_catalog.pg_extension_config_dump('clinic_hours', '');

-- ---------------------------------------------------------------- free times

-- The starts of appointments on the organisation's own calendar that the
-- assistant may offer, in time order: every appointment_minutes within the
-- opening hours of the day given (else of the next booking_horizon_days
-- days), at least booking_notice_minutes from now, that no booking or live
-- hold blocks (free_slots).  Empty when the organisation has no hours.
CREATE FUNCTION clinic_free_starts(org_id uuid, day date DEFAULT NULL) RETURNS timestamptz[]
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT free_slots(NULL, ARRAY(
			SELECT DISTINCT s.t
			FROM generate_series(
					coalesce(day, (now() AT TIME ZONE o.timezone)::date)::timestamp,
					coalesce(day, (now() AT TIME ZONE o.timezone)::date + o.booking_horizon_days - 1)::timestamp,
					interval '1 day') d(d)
			JOIN clinic_hours h ON h.org_id = o.org_id AND h.weekday = extract(isodow FROM d.d)
			CROSS JOIN LATERAL generate_series(d.d + h.opens, d.d + h.closes - make_interval(mins => o.appointment_minutes),
					make_interval(mins => o.appointment_minutes)) l(l)
			CROSS JOIN LATERAL (SELECT l.l AT TIME ZONE o.timezone AS t) s
			WHERE s.t >= now() + make_interval(mins => o.booking_notice_minutes)
			ORDER BY s.t),
		make_interval(mins => o.appointment_minutes), o.org_id)
	FROM orgs o
	WHERE o.org_id = clinic_free_starts.org_id
	$$;
COMMENT ON FUNCTION clinic_free_starts(uuid, date) IS
	'the free appointment starts of the organisation''s own calendar within its opening hours (clinic_hours), of one day or of its booking horizon';

REVOKE EXECUTE ON FUNCTION clinic_free_starts(uuid, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic_free_starts(uuid, date) TO authenticated, service_role;
-- Release 0.6.0 (issue 19), item 7: the Vapi messages the SDK
-- (@vapi-ai/server-sdk) allows and the reference examples do not show.  The
-- behaviour lives in C (pool/route_inbound.c, webhook/webhook_vapi.c); this
-- part says what the SQL functions now accept.  A delta on 0.5.1, like
-- every part of this release.

COMMENT ON FUNCTION next_transfer_destination(text, e164, e164) IS
	'sequential ring: the route''s first destination on the call''s first request, the second on the second, '
	'then NULL; a called or caller number given as NULL is taken from the call''s log (the pool number and the '
	'other party, by its direction), as a transfer request without phoneNumber or customer needs';
