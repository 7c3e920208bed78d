-- vapi_pool 0.7.5 -> 0.8.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Bookings made anywhere (release 0.8.0, issue 25): a Cal.com booking the
-- product did not make -- the lead clicked the broker's booking link in an
-- Instantly e-mail -- starts seed 000's "booking -> number -> call -> log ->
-- release" flow.
--
-- Cal.com's BOOKING_CREATED (BOOKING_REQUESTED when the event type needs the
-- host's confirmation) for a broker's event type runs record_cal_booking
-- (slots/cal_booking.c): the lead found by the attendee's e-mail or phone in
-- the broker's organisation, else made from the attendee; the booking kept
-- as consent evidence; a number of the broker's pool lent to the lead; the
-- appointment recorded as booked, the exclusion constraint deciding a
-- conflict with a live hold (the event then fails, kept as a dead letter).
-- A number stays with its lead until vapi_pool.hold_after_appointment after
-- the appointment with its broker ends, whoever booked it (pool_release.c).
-- An organisation may have Barbara call the day before to confirm
-- (orgs.confirmation_call_before, off by default); she confirms or cancels
-- with the update_appointment tool (webhook/tool_appointment.c).

-- ---------------------------------------------------------------- appointments

ALTER TABLE appointments
	ADD COLUMN booked_via text NOT NULL DEFAULT 'assistant'
		CONSTRAINT appointments_booked_via_known CHECK (booked_via IN ('assistant', 'cal.com')),
	ADD COLUMN awaiting_host boolean NOT NULL DEFAULT false,
	ADD COLUMN confirmed_at timestamptz;
COMMENT ON COLUMN appointments.booked_via IS
	'who made the booking: an assistant during a call (assistant), or the contact on Cal.com''s booking page (cal.com)';
COMMENT ON COLUMN appointments.awaiting_host IS
	'a Cal.com booking of an event type that needs the host''s confirmation, not confirmed yet (BOOKING_REQUESTED)';
COMMENT ON COLUMN appointments.confirmed_at IS
	'when the contact confirmed the appointment on the confirmation call (update_appointment)';
GRANT UPDATE (confirmed_at) ON appointments TO authenticated;

-- What is due for release is any unreleased assignment past its release_at:
-- a number lent for a Cal.com booking is booked (no call yet) with a
-- release_at after the appointment.  Assignments without one (a call is on
-- its way) stay out of the index, so lending a number costs no more.
DROP INDEX vapi_number_assignments_release_idx;
CREATE INDEX vapi_number_assignments_release_idx ON vapi_number_assignments (release_at)
	WHERE status <> 'released' AND release_at IS NOT NULL;

-- A booking finds its lead by e-mail, whatever its case.
CREATE INDEX leads_email_idx ON leads (org_id, pg_catalog.lower(email::text));

-- A booking Cal.com cancelled, rejected or moved away before we recorded it
-- (events out of order, or a replay after the cancellation) is not
-- recorded: record_cal_booking finds those events in the inbox by uid.
CREATE INDEX webhook_inbox_cal_gone_idx ON webhook_inbox ((payload #>> '{payload,uid}'))
	WHERE source = 'cal' AND event_type IN ('BOOKING_CANCELLED', 'BOOKING_REJECTED');
CREATE INDEX webhook_inbox_cal_moved_idx ON webhook_inbox ((payload #>> '{payload,rescheduleUid}'))
	WHERE source = 'cal' AND event_type = 'BOOKING_RESCHEDULED';
-- The retention purge leaves a Cal.com event its uids, marked purged
-- (compliance/retention.c): the index of payloads still to purge leaves such
-- a row out, and holds failed events too, which the purge empties 60 days
-- later than the others.
DROP INDEX webhook_inbox_payload_idx;
CREATE INDEX webhook_inbox_payload_idx ON webhook_inbox (org_id, received_at)
	WHERE payload <> '{}'::jsonb AND NOT (source = 'cal' AND payload @> '{"purged": true}');

-- ---------------------------------------------------------------- the confirmation call

ALTER TABLE orgs ADD COLUMN confirmation_call_before interval
	CONSTRAINT orgs_confirmation_call_before_range
		CHECK (confirmation_call_before BETWEEN interval '1 hour' AND interval '14 days');
GRANT UPDATE (confirmation_call_before) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.confirmation_call_before IS
	'how long before a booked appointment with a broker Barbara calls the lead to confirm it (moved into the lead''s calling hours); NULL: no confirmation call';

-- Queues the confirmation call of a booked appointment, if its organisation
-- wants one: returns when it will be placed, or NULL (none wanted, the
-- appointment is not booked or awaits its host, the lead holds no number of
-- the broker or has no phone, or no time in the lead's calling hours is at
-- least an hour before the appointment).
CREATE FUNCTION queue_confirmation_call(appointment_id uuid) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'vapi_pool_queue_confirmation_call'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION queue_confirmation_call(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_confirmation_call(uuid) TO service_role;
COMMENT ON FUNCTION queue_confirmation_call(uuid) IS
	'queues Barbara''s call to confirm a booked broker appointment at orgs.confirmation_call_before ahead, inside the lead''s calling hours; returns its time or NULL';

-- An appointment booked, moved or cancelled: a confirmation call still
-- queued for it is withdrawn when it moves or is cancelled, and one is
-- queued for its (new) time when it is booked; the number of a lead whose
-- appointment is cancelled or moved is held by the release rule again: until
-- hold_after_call after the last call (or after the cancellation, when the
-- lead was never called), and until hold_after_appointment after a booked
-- appointment with that broker that remains.
--
-- It runs with its owner's rights (SECURITY DEFINER): members who book or
-- cancel through the receptionist's or Barbara's functions may not write
-- the outbox or the pool's assignments; it touches only rows of NEW's lead
-- and organisation.
CREATE FUNCTION appointment_changed() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	moved boolean := TG_OP = 'UPDATE' AND (NEW.scheduled_at <> OLD.scheduled_at OR NEW.duration <> OLD.duration);
	cancelled boolean := TG_OP = 'UPDATE' AND NEW.status = 'cancelled' AND OLD.status <> 'cancelled';
BEGIN
	IF moved OR cancelled THEN
		UPDATE vapi_pool.outbox o
		   SET state = 'suppressed', finished_at = pg_catalog.now(),
			   last_error = CASE WHEN cancelled THEN 'the appointment was cancelled' ELSE 'the appointment was moved' END
		 WHERE o.org_id = NEW.org_id AND o.kind = 'vapi.create_call' AND o.state = 'pending'
		   AND (o.payload ->> 'appointment_id') = NEW.id::text;
		-- a hold never kept a number: only a booked appointment's lead is touched
		-- (and so a cancelled hold takes no lock on an assignment, which
		-- assign_number takes after the lead's)
		IF NEW.broker_id IS NOT NULL AND OLD.status = 'booked' THEN
			UPDATE vapi_pool.vapi_number_assignments a
			   SET release_at = greatest(
					coalesce(a.last_call_at, pg_catalog.now())
						+ pg_catalog.current_setting('vapi_pool.hold_after_call')::interval,
					(SELECT pg_catalog.max(ap.ends_at) FROM vapi_pool.appointments ap
					  WHERE ap.org_id = a.org_id AND ap.contact_id = a.lead_id AND ap.broker_id = a.broker_id
						AND ap.status = 'booked')
						+ pg_catalog.current_setting('vapi_pool.hold_after_appointment')::interval)
			 WHERE a.org_id = NEW.org_id AND a.lead_id = NEW.contact_id AND a.broker_id = NEW.broker_id
			   AND a.status <> 'released' AND a.release_at IS NOT NULL;
		END IF;
	END IF;
	IF NEW.status = 'booked' AND NOT NEW.awaiting_host AND NEW.broker_id IS NOT NULL
	   AND (TG_OP = 'INSERT' OR moved OR OLD.status <> 'booked' OR OLD.awaiting_host) THEN
		PERFORM vapi_pool.queue_confirmation_call(NEW.id);
	END IF;
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION appointment_changed() FROM PUBLIC;
CREATE TRIGGER appointments_changed AFTER INSERT OR UPDATE OF status, scheduled_at, duration, awaiting_host
	ON appointments FOR EACH ROW EXECUTE FUNCTION appointment_changed();

-- The create-call job names the appointment a confirmation call is about:
-- Barbara gets it in variableValues beside the lead.
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
						'variableValues', jsonb_strip_nulls(jsonb_build_object('lead_id', job.payload ->> 'lead_id',
							'appointment_id', job.payload ->> 'appointment_id')),
						'voicemailDetection', voicemail_detection(),
						'voicemailMessage', nullif(job.payload ->> 'voicemail_message', '')))
						|| assistant_opening(job.org_id, outbound_assistant_id(job.org_id, job.payload), 'intake'))::text,
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

-- ---------------------------------------------------------------- a booking made on Cal.com

CREATE TYPE cal_booking AS (
	org_id uuid,
	-- recorded, host_accepted, already_recorded, own_booking, unknown_event_type
	action text,
	appointment_id uuid,
	lead_id uuid,
	lead_created boolean,
	assignment_id uuid,
	pool_number e164,
	confirmation_call_at timestamptz,
	-- what was not done and why (no number lent, no confirmation call), or NULL
	note text
);
COMMENT ON TYPE cal_booking IS 'what record_cal_booking did with a Cal.com booking';

CREATE FUNCTION record_cal_booking(event_type_id bigint, booking_uid text, start_time timestamptz,
		end_time timestamptz, attendee_name text DEFAULT NULL, attendee_email text DEFAULT NULL,
		attendee_phone text DEFAULT NULL, attendee_timezone text DEFAULT NULL,
		awaiting_host boolean DEFAULT false, hold_id uuid DEFAULT NULL, booked_at timestamptz DEFAULT now())
	RETURNS cal_booking
	AS 'MODULE_PATHNAME', 'vapi_pool_record_cal_booking'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION record_cal_booking(bigint, text, timestamptz, timestamptz, text, text, text, text,
	boolean, uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_cal_booking(bigint, text, timestamptz, timestamptz, text, text, text, text,
	boolean, uuid, timestamptz) TO service_role;
COMMENT ON FUNCTION record_cal_booking(bigint, text, timestamptz, timestamptz, text, text, text, text,
	boolean, uuid, timestamptz) IS
	'a Cal.com booking made outside the product (BOOKING_CREATED / BOOKING_REQUESTED): the lead found or made, consent, a pool number, the appointment; idempotent on the booking uid';

-- ---------------------------------------------------------------- the assistant's lookup

-- get_lead_details names the lead's next appointment, so that Barbara can
-- confirm it on a confirmation call.
CREATE FUNCTION lead_next_appointment(org_id uuid, lead_id uuid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN (SELECT jsonb_build_object('id', a.id,
			'when', spoken_time(a.scheduled_at, coalesce(b.timezone, o.timezone)::text),
			'time_zone', coalesce(b.timezone, o.timezone)::text,
			'with', coalesce(b.name, o.name),
			'confirmed', a.confirmed_at IS NOT NULL,
			'awaiting_host_confirmation', a.awaiting_host)
		FROM appointments a
		JOIN orgs o ON o.org_id = a.org_id
		LEFT JOIN brokers b ON b.org_id = a.org_id AND b.id = a.broker_id
		WHERE a.org_id = lead_next_appointment.org_id AND a.contact_id = lead_next_appointment.lead_id
		  AND a.status = 'booked' AND a.ends_at > now()
		ORDER BY a.scheduled_at LIMIT 1);
REVOKE EXECUTE ON FUNCTION lead_next_appointment(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_next_appointment(uuid, uuid) TO authenticated, service_role;

-- get_lead_details with the lead's next appointment (0.8.0): its id, when
-- (in the broker's zone), with whom, whether the lead confirmed it.
CREATE OR REPLACE FUNCTION supabase_query(query_type text, identifier text) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	-- vapi_pool first, so that e164 = e164 is the type's own (indexed) operator
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	org uuid;
	region text;
	ident text := pg_catalog.btrim(identifier);
	want_id uuid;
	want_phone vapi_pool.e164;
	lead vapi_pool.leads;
	broker vapi_pool.brokers;
	matches integer;
	want_zip text;
BEGIN
	IF query_type IS NULL OR query_type NOT IN ('get_lead_details', 'find_broker_by_zip', 'get_broker_details') THEN
		RAISE EXCEPTION 'unknown query_type %', coalesce(pg_catalog.quote_literal(query_type), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Valid query types are get_lead_details, find_broker_by_zip and get_broker_details.';
	END IF;
	org := (SELECT vapi_pool.auth_org_id());
	IF org IS NULL THEN
		RAISE EXCEPTION 'supabase_query needs the caller''s organisation'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Call it as a signed-in member of an organisation, or as service_role with an org_id claim in request.jwt.claims.';
	END IF;
	IF ident IS NULL OR ident = '' THEN
		RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
			'message', 'No identifier was given.');
	END IF;
	IF ident ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
		want_id := ident::uuid;
	END IF;

	IF query_type = 'find_broker_by_zip' THEN
		want_zip := pg_catalog.substring(ident, '^([0-9]{5})(?:-[0-9]{4})?$');
		IF want_zip IS NULL THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'served', false, 'query_type', query_type,
				'message', pg_catalog.format('"%s" is not a US ZIP code.', pg_catalog.left(ident, 40)));
		END IF;
		SELECT b.* INTO broker FROM vapi_pool.territories t
			JOIN vapi_pool.brokers b ON b.org_id = t.org_id AND b.id = t.broker_id
			WHERE t.org_id = org AND t.zip = want_zip::vapi_pool.us_zip;
		IF NOT FOUND THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'served', false, 'zip', want_zip, 'query_type', query_type,
				'message', pg_catalog.format('No broker serves ZIP %s.', want_zip));
		END IF;
		RETURN pg_catalog.jsonb_build_object('found', true, 'served', true, 'zip', want_zip, 'query_type', query_type,
			'broker', vapi_pool.broker_card(broker));
	END IF;

	IF want_id IS NULL THEN
		region := (SELECT o.default_region FROM vapi_pool.orgs o WHERE o.org_id = org);
		want_phone := vapi_pool.e164_try_parse(ident, coalesce(region, 'US'));
	END IF;

	IF query_type = 'get_lead_details' THEN
		IF want_id IS NULL AND want_phone IS NULL THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
				'message', pg_catalog.format('"%s" is neither a lead id nor a phone number.', pg_catalog.left(ident, 40)));
		END IF;
		-- several leads may share a phone: the most recently updated one answers
		SELECT l.* INTO lead FROM vapi_pool.leads l
			WHERE l.org_id = org AND (l.id = want_id OR l.primary_phone_e164 = want_phone)
			ORDER BY l.updated_at DESC, l.id LIMIT 1;
		IF NOT FOUND THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
				'message', CASE WHEN want_id IS NULL THEN pg_catalog.format('No lead has the phone number %s.', want_phone)
								ELSE 'No lead has that id.' END);
		END IF;
		SELECT b.* INTO broker FROM vapi_pool.brokers b WHERE b.org_id = org AND b.id = lead.broker_id;
		matches := (SELECT pg_catalog.count(*) FROM vapi_pool.leads l
					WHERE l.org_id = org AND (l.id = want_id OR l.primary_phone_e164 = want_phone));
		RETURN pg_catalog.jsonb_build_object('found', true, 'query_type', query_type, 'matches', matches,
			'lead', pg_catalog.jsonb_build_object(
				'id', lead.id, 'first_name', lead.first_name, 'last_name', lead.last_name, 'name', lead.name,
				'phone', lead.primary_phone_e164::text, 'email', lead.email, 'zip', lead.zip, 'status', lead.status,
				'zip_served', lead.zip IS NOT NULL AND EXISTS (SELECT FROM vapi_pool.territories t
					WHERE t.org_id = org AND t.zip = lead.zip),
				'broker', CASE WHEN broker.id IS NULL THEN NULL ELSE vapi_pool.broker_card(broker) END,
				'next_appointment', vapi_pool.lead_next_appointment(org, lead.id)));
	END IF;

	-- get_broker_details: by id, e-mail address or either phone number
	SELECT b.* INTO broker FROM vapi_pool.brokers b
		WHERE b.org_id = org
		  AND (b.id = want_id OR pg_catalog.lower(b.email) = pg_catalog.lower(ident)
			   OR b.primary_phone_e164 = want_phone OR b.secondary_phone_e164 = want_phone)
		ORDER BY b.created_at, b.id LIMIT 1;
	IF NOT FOUND THEN
		RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
			'message', 'No broker matches that id, e-mail address or phone number.');
	END IF;
	RETURN pg_catalog.jsonb_build_object('found', true, 'query_type', query_type,
		'broker', vapi_pool.broker_card(broker) || pg_catalog.jsonb_build_object(
			'email', broker.email,
			'zips_served', (SELECT pg_catalog.count(*) FROM vapi_pool.territories t
							WHERE t.org_id = org AND t.broker_id = broker.id)));
END
$$;
