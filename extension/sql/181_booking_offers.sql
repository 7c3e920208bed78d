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
