-- The dispatcher's side of the outbox (release 0.4.0, issue 7): claiming jobs
-- with a lease, turning them into the exact HTTP request the vendor expects,
-- applying the vendor's answer, dead letters and replay; the assistants and
-- numbers vapi-shim provisions.  The contract is docs/dispatcher.md.
--
-- The shim only moves bytes: every request is built here (outbox_request)
-- and every answer is judged here (outbox_report, C in outbox_report.c):
-- done with its effect recorded, retried with backoff, or dead.

-- ---------------------------------------------------------------- state

ALTER TABLE outbox
	ADD COLUMN claimed_by text,
	ADD COLUMN first_sent_at timestamptz,
	ADD COLUMN reconcile boolean NOT NULL DEFAULT false,
	ADD COLUMN result jsonb,
	ADD COLUMN finished_at timestamptz;
ALTER TABLE outbox ADD CONSTRAINT outbox_lease_while_in_flight
	CHECK ((state = 'in_flight') = (lease_expires_at IS NOT NULL));
COMMENT ON COLUMN outbox.claimed_by IS 'the dispatcher that claimed the job last';
COMMENT ON COLUMN outbox.first_sent_at IS 'when an attempt first may have reached the vendor (the reconcile window starts here)';
COMMENT ON COLUMN outbox.reconcile IS
	'an earlier attempt may have reached the vendor: the next claim asks the vendor first (GET) instead of sending again';
COMMENT ON COLUMN outbox.result IS 'what the vendor answered that matters: the call, chat, booking or number id';
COMMENT ON COLUMN outbox.lease_expires_at IS 'while in_flight: the claim is void after this and the job is claimable again';

-- Leases that ran out are claimed again, oldest first.
CREATE INDEX outbox_lease_idx ON outbox (lease_expires_at) WHERE state = 'in_flight';
-- Dead letters, newest first, for operators.
CREATE INDEX outbox_dead_idx ON outbox (org_id, updated_at DESC) WHERE state = 'dead';

-- The assistants `vapi-shim assistants push` created in the Vapi account;
-- not an organisation's (there is one Vapi account per deployment), so only
-- service_role sees them.
CREATE TABLE vapi_assistants (
	role text PRIMARY KEY CONSTRAINT vapi_assistants_role_name CHECK (role ~ '^[a-z][a-z0-9_]*$'),
	vapi_assistant_id text NOT NULL CONSTRAINT vapi_assistants_id_present CHECK (btrim(vapi_assistant_id) <> ''),
	definition_sha256 text CONSTRAINT vapi_assistants_sha256_hex CHECK (definition_sha256 ~ '^[0-9a-f]{64}$'),
	pushed_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE vapi_assistants ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON vapi_assistants TO service_role;
COMMENT ON TABLE vapi_assistants IS
	'assistants pushed to the Vapi account by vapi-shim assistants push (intake, connector, clinic_receptionist)';

-- ---------------------------------------------------------------- types

-- One HTTP request the database wants sent (docs/dispatcher.md).
CREATE TYPE http_request AS (
	service text,				-- vapi or cal: the sender adds its base URL and API key
	method text,
	path text,					-- with the query string, percent-encoded
	headers jsonb,				-- extra headers (cal-api-version)
	body text,					-- JSON text, NULL for none
	timeout_ms integer
);

-- A claimed job with the request to send for it.
CREATE TYPE outbox_request AS (
	org_id uuid,
	job_id bigint,
	attempt integer,			-- echoed in the report
	kind text,
	service text,
	method text,
	path text,
	headers jsonb,
	body text,
	timeout_ms integer
);

-- ---------------------------------------------------------------- building requests

-- Percent-encodes text for a URL's path segment or query value (RFC 3986 unreserved characters stay).
CREATE FUNCTION url_encode(text) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_url_encode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The Vapi assistant that places an organisation's calls and texts: the
-- job's own, the organisation's intake assistant, the setting, or the one
-- `vapi-shim assistants push` created.
CREATE FUNCTION outbound_assistant_id(org_id uuid, job_payload jsonb) RETURNS text
	LANGUAGE sql STABLE
	RETURN coalesce(job_payload ->> 'assistant_id',
		(SELECT o.intake_assistant_id FROM orgs o WHERE o.org_id = outbound_assistant_id.org_id),
		nullif(current_setting('vapi_pool.intake_assistant_id', true), ''),
		(SELECT a.vapi_assistant_id FROM vapi_assistants a WHERE a.role = 'intake'));

-- Why a job cannot be sent as it stands, or NULL: the claim marks such a job
-- dead at once instead of sending something the vendor must refuse.
CREATE FUNCTION outbox_problem(job outbox) RETURNS text
	LANGUAGE sql STABLE
	RETURN CASE
		WHEN job.kind IN ('vapi.create_call', 'vapi.sms') AND outbound_assistant_id(job.org_id, job.payload) IS NULL THEN
			'no assistant to place it: set orgs.intake_assistant_id or vapi_pool.intake_assistant_id, or run vapi-shim assistants push'
		WHEN job.kind IN ('vapi.create_call', 'vapi.sms') AND job.payload ->> 'phone_number_id' IS NULL THEN
			'its pool number has no Vapi phone number id (vapi_number_pool.vapi_phone_number_id): run vapi-shim pool sync'
		WHEN job.kind IN ('vapi.create_call', 'vapi.sms') AND job.payload ->> 'customer_number' IS NULL THEN
			'the lead has no phone number'
		WHEN job.kind = 'vapi.sms' AND coalesce(job.payload ->> 'text', '') = '' THEN
			'the message is empty'
		WHEN job.kind = 'vapi.sms' AND job.reconcile THEN
			'a dispatcher stopped while sending it and Vapi cannot be asked whether it went out: not sent again (outbox_replay sends it)'
		WHEN job.kind = 'cal.create_booking' AND jsonb_typeof(job.payload -> 'request') IS DISTINCT FROM 'object' THEN
			'the booking request is missing'
		WHEN job.kind = 'cal.cancel_booking' AND job.payload ->> 'booking_uid' IS NULL THEN
			'the booking uid is missing'
		WHEN job.kind = 'vapi.buy_number' AND job.payload ->> 'broker_id' IS NULL THEN
			'the broker is missing'
	END;

-- A POST to one of Cal.com's /bookings endpoints, with their cal-api-version.
CREATE FUNCTION cal_bookings_request(path text, body text, timeout_ms integer) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN ROW('cal', 'POST', path,
		jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_bookings')),
		body, timeout_ms)::http_request;

-- The timeout of a request a tool call waits for: never past its budget.
CREATE FUNCTION tool_request_timeout_ms() RETURNS integer
	LANGUAGE sql STABLE
	RETURN least(current_setting('vapi_pool.http_timeout_ms')::integer,
				 current_setting('vapi_pool.tool_budget_ms')::integer);

-- (The three functions below have SQL-standard bodies, bound when they are
-- created, so they need no search_path of their own; outbox_request is one
-- expression, so the claim's query inlines it: as a called function it cost
-- ten times the expression itself.)

-- The request for a job, exactly as the vendor documents it
-- (../shared/reference): a create call is POST /call with only lead_id in
-- variableValues and the voicemail message on retries; a reconcile is the
-- GET that finds what an earlier attempt may have done.  Purchased numbers
-- are named after their job, which is how a reconcile finds them.
CREATE FUNCTION outbox_request(job outbox) RETURNS http_request
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
						'voicemailMessage', CASE WHEN coalesce((job.payload ->> 'attempt')::integer, 1) > 1
							THEN nullif(job.payload ->> 'voicemail_message', '') END)))::text,
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
COMMENT ON FUNCTION outbox_request(outbox) IS
	'the HTTP request a job is sent as (or, when reconcile is set, the GET that finds an earlier attempt''s effect)';

-- ---------------------------------------------------------------- the dispatcher API

-- Takes up to batch_size due jobs (pending and due, or in flight with an
-- expired lease) for one dispatcher, with a lease; returns their requests.
CREATE FUNCTION outbox_claim(dispatcher text, batch_size integer DEFAULT 32, lease interval DEFAULT '2 minutes')
	RETURNS SETOF outbox_request
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_claim'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION outbox_claim(text, integer, interval) IS
	'claim due jobs (FOR UPDATE SKIP LOCKED) with a lease and return the HTTP request of each; a job that cannot be sent is marked dead';

-- Applies the answers a dispatcher got (a JSON array, docs/dispatcher.md).
CREATE FUNCTION outbox_report(results jsonb)
	RETURNS TABLE (org_id uuid, job_id bigint, state text, run_at timestamptz, note text)
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_report'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION outbox_report(jsonb) IS
	'apply vendor answers to claimed jobs: done (effect recorded), pending again (backoff, Retry-After) or dead; stale answers change nothing';

-- The earliest moment a job becomes claimable, NULL when none will.
CREATE FUNCTION outbox_next_due() RETURNS timestamptz
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN least((SELECT min(o.run_at) FROM outbox o WHERE o.state = 'pending'),
				 (SELECT min(o.lease_expires_at) FROM outbox o WHERE o.state = 'in_flight'));

-- Sends a dead job again: pending, due now, attempts from zero.
CREATE FUNCTION outbox_replay(id bigint) RETURNS outbox
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_replay'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION outbox_replay(bigint) IS
	'put a dead job back (pending, due now, attempts reset); 55000 unless it is dead';

-- How the outbox stands, for /metrics and operators: each count reads its
-- own partial index, so done jobs (most of the table) are never scanned.
CREATE FUNCTION outbox_stats(OUT pending bigint, OUT due bigint, OUT in_flight bigint, OUT dead bigint,
		OUT oldest_due_at timestamptz)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT (SELECT count(*) FROM outbox o WHERE o.state = 'pending'),
		   (SELECT count(*) FROM outbox o WHERE o.state = 'pending' AND o.run_at <= now()),
		   (SELECT count(*) FROM outbox o WHERE o.state = 'in_flight'),
		   (SELECT count(*) FROM outbox o WHERE o.state = 'dead'),
		   (SELECT min(o.run_at) FROM outbox o WHERE o.state = 'pending' AND o.run_at <= now())
	$$;

-- Finished jobs older than keep (at least a day), at most batch_size, are
-- deleted; dead jobs stay for an operator.  A reply's event keeps its row
-- with outbox_id NULL.
CREATE INDEX outbox_done_idx ON outbox (finished_at) WHERE state = 'done';
CREATE FUNCTION purge_outbox(keep interval DEFAULT '30 days', batch_size integer DEFAULT 10000) RETURNS bigint
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	doomed bigint[];
	purged bigint;
BEGIN
	IF keep IS NULL OR keep < interval '1 day' THEN
		RAISE EXCEPTION 'finished outbox jobs must be kept at least one day, not %', coalesce(keep::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A job''s idempotency key is what keeps a decision from being sent twice.';
	END IF;
	IF batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'batch_size must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT array_agg(o.id) INTO doomed FROM (
		SELECT o.id FROM outbox o
		WHERE o.state = 'done' AND o.finished_at < now() - keep
		ORDER BY o.finished_at LIMIT batch_size
		FOR UPDATE SKIP LOCKED) o;
	IF doomed IS NULL THEN
		RETURN 0;
	END IF;
	-- PostgreSQL 14 has no ON DELETE SET NULL (column) for this key
	UPDATE instantly_events e SET outbox_id = NULL WHERE e.outbox_id = ANY (doomed);
	DELETE FROM outbox o WHERE o.id = ANY (doomed) AND o.state = 'done';
	GET DIAGNOSTICS purged = ROW_COUNT;
	RETURN purged;
END
$$;
COMMENT ON FUNCTION purge_outbox(interval, integer) IS
	'deletes done outbox jobs finished longer than keep ago (at least a day), at most batch_size; dead jobs stay';

-- New due jobs wake the dispatchers at once (they LISTEN on vapi_pool_outbox).
CREATE FUNCTION notify_outbox() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF EXISTS (SELECT FROM new_jobs j WHERE j.state = 'pending' AND j.run_at <= now()) THEN
		PERFORM pg_notify('vapi_pool_outbox', '');
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
	REFERENCING NEW TABLE AS new_jobs
	FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

-- ---------------------------------------------------------------- live tool calls

-- A tool call that waits for Cal.com: receive_webhook stores the event as
-- waiting, with the answer so far (a pending item per waiting call), and
-- hands the shim the requests to make; continue_webhook takes the answers.
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_state_known,
	ADD CONSTRAINT webhook_inbox_state_known CHECK (state IN ('processed', 'failed', 'waiting'));
COMMENT ON COLUMN webhook_inbox.state IS
	'processed, failed (the dead-letter queue) or waiting (a tool call waits for the Cal.com answers the shim is fetching)';

-- Cal.com's free slots of an event type, written in the zone: of one day
-- when a day is given, else of the next 7 days.
CREATE FUNCTION cal_slots_request(event_type_id bigint, timezone text, day date DEFAULT NULL) RETURNS http_request
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN ROW('cal', 'GET',
		'/slots?eventTypeId=' || event_type_id
		|| '&start=' || coalesce(to_char(day, 'YYYY-MM-DD'), to_char(now() AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&end=' || coalesce(to_char(day, 'YYYY-MM-DD'), to_char((now() + interval '7 days') AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&timeZone=' || url_encode(timezone),
		jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_slots')),
		NULL::text, tool_request_timeout_ms())::http_request;

-- The body of Cal.com's POST /bookings for a held slot (calcom-booking.request.json's shape).
CREATE FUNCTION cal_booking_body(event_type_id bigint, start timestamptz, name text, timezone text,
		email text, phone text, lead_id uuid, hold_id uuid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object(
		'start', to_char(start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'eventTypeId', event_type_id,
		'attendee', jsonb_strip_nulls(jsonb_build_object('name', coalesce(name, 'Caller'), 'timeZone', timezone,
			'email', email, 'phoneNumber', phone, 'language', 'en')),
		'metadata', jsonb_build_object('lead_id', lead_id::text, 'hold_id', hold_id::text));

-- The tool-calls answer item of a call that waits for a request.
CREATE FUNCTION tool_pending(name text, tool_call_id text, step text, context jsonb, request http_request)
	RETURNS jsonb
	LANGUAGE sql IMMUTABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object('name', name, 'toolCallId', tool_call_id,
		'pending', jsonb_build_object('step', step, 'context', context,
			'request', to_jsonb(request) || jsonb_build_object('id', tool_call_id || ':' || step)));

-- What the shim is to fetch for a waiting event (docs/dispatcher.md).
CREATE FUNCTION waiting_requests(answer jsonb) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object(
		'requests', coalesce((SELECT jsonb_agg(r -> 'pending' -> 'request')
			FROM jsonb_array_elements(answer -> 'results') r WHERE r ? 'pending'), '[]'),
		'budget_ms', current_setting('vapi_pool.tool_budget_ms')::integer);

-- The answer a repeated delivery of a waiting event gets: its finished
-- items, and for each waiting one a sentence (never a second request).
-- abandoned: the first delivery's shim is gone (waiting past its budget).
CREATE FUNCTION waiting_interim_answer(answer jsonb, abandoned boolean DEFAULT false) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object('results', coalesce((
		SELECT jsonb_agg(CASE WHEN e.r ? 'pending'
			THEN jsonb_build_object('name', e.r -> 'name', 'toolCallId', e.r -> 'toolCallId',
				'error', CASE WHEN abandoned THEN 'The calendar step was interrupted; please ask again.'
					ELSE 'Still working with the calendar; please wait a moment and ask again.' END)
			ELSE e.r END ORDER BY e.i)
		FROM jsonb_array_elements(answer -> 'results') WITH ORDINALITY AS e(r, i)), '[]'));

-- A time as the assistant reads it out: "Tuesday, November 24 at 9:00 AM".
CREATE FUNCTION spoken_time(t timestamptz, timezone text) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN to_char(t AT TIME ZONE timezone, 'FMDay, FMMonth FMDD "at" FMHH12:MI AM');

-- Cal.com's free slots (GET /slots's answer) that no booking or live hold
-- of the calendar blocks, as one line the assistant can read out; refused
-- is a time Cal.com just refused to book.
CREATE FUNCTION readable_slots(broker_id uuid, org_id uuid, timezone text, slots jsonb, how_many integer DEFAULT 6,
		refused timestamptz DEFAULT NULL)
	RETURNS text
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT CASE WHEN count(*) = 0 THEN 'No free times in the next 7 days.'
		ELSE 'Free times (' || timezone || '): ' || string_agg(spoken_time(f.t, timezone), '; ' ORDER BY f.t) || '.' END
	FROM (SELECT t FROM unnest(free_slots(broker_id,
			ARRAY(SELECT (s ->> 'start')::timestamptz
				  FROM jsonb_each(CASE WHEN jsonb_typeof(slots -> 'data') = 'object' THEN slots -> 'data' ELSE '{}' END) d,
					   jsonb_array_elements(CASE WHEN jsonb_typeof(d.value) = 'array' THEN d.value ELSE '[]' END) s
				  WHERE s ->> 'start' IS NOT NULL ORDER BY 1),
			interval '30 minutes', org_id)) AS t
		  WHERE t IS DISTINCT FROM refused	-- Cal.com may still list the time it just refused
		  ORDER BY t LIMIT how_many) f
	$$;

-- Goes on with a waiting event: responses are the answers to its requests
-- (a JSON array of {id, status, body, retry_after, error}).
CREATE FUNCTION continue_webhook(inbox_id bigint, responses jsonb) RETURNS webhook_receipt
	AS 'MODULE_PATHNAME', 'vapi_pool_continue_webhook'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION continue_webhook(bigint, jsonb) IS
	'give a waiting tool call the answers of the Cal.com requests it asked for; returns the final answer, or more requests (state waiting)';

-- ---------------------------------------------------------------- cancelling at Cal.com

-- release_slot of a booked appointment cancels the booking at Cal.com too.
-- release_slot runs with its caller's rights (a member cancels their own
-- organisation's appointment), and members may not write the outbox, so the
-- job is queued here, with the extension owner's rights, and only for a
-- booking that really is cancelled.
CREATE FUNCTION queue_cal_cancel(org_id uuid, booking_uid text, hold_id uuid, reason text) RETURNS void
	LANGUAGE sql VOLATILE SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	INSERT INTO outbox (org_id, kind, payload, idempotency_key)
	SELECT a.org_id, 'cal.cancel_booking',
		jsonb_build_object('booking_uid', a.cal_booking_uid, 'hold_id', a.hold_id, 'reason', queue_cal_cancel.reason),
		'cancel:' || a.cal_booking_uid
	FROM appointments a
	WHERE a.org_id = queue_cal_cancel.org_id AND a.hold_id = queue_cal_cancel.hold_id
	  AND a.cal_booking_uid = queue_cal_cancel.booking_uid AND a.status = 'cancelled'
	ON CONFLICT (org_id, idempotency_key) DO NOTHING
	$$;
REVOKE EXECUTE ON FUNCTION queue_cal_cancel(uuid, text, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_cal_cancel(uuid, text, uuid, text) TO authenticated, service_role;
COMMENT ON FUNCTION queue_cal_cancel(uuid, text, uuid, text) IS
	'queue the cancellation at Cal.com of a booking release_slot cancelled (only a cancelled appointment''s own uid)';

-- ---------------------------------------------------------------- provisioning

-- Records an assistant vapi-shim pushed (creates or replaces its row).
CREATE FUNCTION record_assistant(role text, vapi_assistant_id text, definition_sha256 text DEFAULT NULL)
	RETURNS vapi_assistants
	LANGUAGE sql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	INSERT INTO vapi_assistants AS a (role, vapi_assistant_id, definition_sha256)
	VALUES (record_assistant.role, record_assistant.vapi_assistant_id, record_assistant.definition_sha256)
	ON CONFLICT ON CONSTRAINT vapi_assistants_pkey DO UPDATE
		SET vapi_assistant_id = excluded.vapi_assistant_id, definition_sha256 = excluded.definition_sha256,
			pushed_at = now()
	RETURNING a.*
	$$;

-- Queues the purchases that bring a broker's pool up to number_pool_size:
-- numbers in the pool (not retired) plus purchases under way.  The
-- dispatcher buys each (POST /phone-number, server.url set) and its report
-- adds the number to the pool.  dry_run says what would be queued.
CREATE FUNCTION pool_fill(broker uuid, area_code text DEFAULT NULL, server_url text DEFAULT NULL,
		dry_run boolean DEFAULT false)
	RETURNS TABLE (org_id uuid, broker_id uuid, pool_size integer, in_pool integer, pending integer,
		queued integer, job_ids bigint[])
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	b brokers;
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
	SELECT count(*) INTO in_pool FROM vapi_number_pool p
	WHERE p.org_id = b.org_id AND p.broker_id = b.id AND p.status <> 'retired';
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
					'server_url', pool_fill.server_url)),
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
	'queue the vapi.buy_number jobs that bring the broker''s pool up to number_pool_size (dry_run: only count)';

-- Imports the numbers of the Vapi account (GET /phone-number's answer):
-- a number the pool has gets its Vapi id, an unknown one joins the broker's
-- pool when a broker is given.  needs_server_url: the caller should point
-- the number's server URL here.
CREATE FUNCTION pool_sync(broker_id uuid, numbers jsonb, server_url text DEFAULT NULL)
	RETURNS TABLE (vapi_phone_number_id text, number text, action text, needs_server_url boolean)
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	n jsonb;
	e e164;
	p vapi_number_pool;
BEGIN
	IF jsonb_typeof(numbers) IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'numbers must be a JSON array'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'Pass the answer of Vapi''s GET /phone-number.';
	END IF;
	IF pool_sync.broker_id IS NOT NULL AND NOT EXISTS (SELECT FROM brokers b WHERE b.id = pool_sync.broker_id) THEN
		RAISE EXCEPTION 'broker % does not exist', pool_sync.broker_id USING ERRCODE = 'no_data_found';
	END IF;
	FOR n IN SELECT x FROM jsonb_array_elements(numbers) x LOOP
		vapi_phone_number_id := n ->> 'id';
		number := n ->> 'number';
		needs_server_url := false;
		e := e164_try_parse(number, 'US');
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
COMMENT ON FUNCTION pool_sync(uuid, jsonb, text) IS
	'import the Vapi account''s numbers: link known pool numbers to their Vapi id, add unknown ones to the broker''s pool';

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION outbox_claim(text, integer, interval), outbox_report(jsonb), outbox_next_due(),
	outbox_replay(bigint), outbox_stats(), outbox_request(outbox), outbox_problem(outbox),
	outbound_assistant_id(uuid, jsonb), record_assistant(text, text, text), notify_outbox(),
	pool_fill(uuid, text, text, boolean), pool_sync(uuid, jsonb, text), continue_webhook(bigint, jsonb),
	purge_outbox(interval, integer), cal_bookings_request(text, text, integer), tool_request_timeout_ms()
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_claim(text, integer, interval), outbox_report(jsonb), outbox_next_due(),
	outbox_replay(bigint), outbox_stats(), outbox_request(outbox), outbox_problem(outbox),
	outbound_assistant_id(uuid, jsonb), record_assistant(text, text, text),
	pool_fill(uuid, text, text, boolean), pool_sync(uuid, jsonb, text), continue_webhook(bigint, jsonb),
	purge_outbox(interval, integer), cal_bookings_request(text, text, integer), tool_request_timeout_ms()
	TO service_role;
