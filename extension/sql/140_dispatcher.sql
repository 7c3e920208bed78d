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
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN coalesce(job_payload ->> 'assistant_id',
		(SELECT o.intake_assistant_id FROM orgs o WHERE o.org_id = outbound_assistant_id.org_id),
		nullif(current_setting('vapi_pool.intake_assistant_id', true), ''),
		(SELECT a.vapi_assistant_id FROM vapi_assistants a WHERE a.role = 'intake'));

-- Why a job cannot be sent as it stands, or NULL: the claim marks such a job
-- dead at once instead of sending something the vendor must refuse.
CREATE FUNCTION outbox_problem(job outbox) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
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

-- The request for a job, exactly as the vendor documents it
-- (../shared/reference): a create call is POST /call with only lead_id in
-- variableValues and the voicemail message on retries; a reconcile is the
-- GET that finds what an earlier attempt may have done.  Purchased numbers
-- are named after their job, which is how a reconcile finds them.
CREATE FUNCTION outbox_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT CASE
		WHEN job.kind = 'vapi.create_call' AND job.reconcile THEN
			ROW('vapi', 'GET', '/call?phoneNumberId=' || url_encode(job.payload ->> 'phone_number_id')
				|| '&createdAtGe=' || url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC',
													  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, t.ms)::http_request
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
				t.ms)::http_request
		WHEN job.kind = 'vapi.sms' THEN
			ROW('vapi', 'POST', '/chat', '{}'::jsonb,
				jsonb_build_object(
					'input', job.payload ->> 'text',
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'transport', jsonb_build_object('type', 'twilio.sms',
						'phoneNumberId', job.payload ->> 'phone_number_id',
						'customer', jsonb_build_object('number', job.payload ->> 'customer_number')))::text,
				t.ms)::http_request
		WHEN job.kind = 'cal.create_booking' THEN
			ROW('cal', 'POST', '/bookings',
				jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_bookings')),
				(job.payload -> 'request')::text, t.ms)::http_request
		WHEN job.kind = 'cal.cancel_booking' THEN
			ROW('cal', 'POST', '/bookings/' || url_encode(job.payload ->> 'booking_uid') || '/cancel',
				jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_bookings')),
				jsonb_build_object('cancellationReason', coalesce(job.payload ->> 'reason', 'Cancelled'))::text,
				t.ms)::http_request
		WHEN job.kind = 'vapi.buy_number' AND job.reconcile THEN
			ROW('vapi', 'GET', '/phone-number?limit=1000', '{}'::jsonb, NULL::text, t.ms)::http_request
		WHEN job.kind = 'vapi.buy_number' THEN
			ROW('vapi', 'POST', '/phone-number', '{}'::jsonb,
				jsonb_strip_nulls(jsonb_build_object(
					'provider', 'vapi',
					'numberDesiredAreaCode', job.payload ->> 'area_code',
					'name', 'vapi_pool job ' || job.idempotency_key,
					'server', CASE WHEN job.payload ->> 'server_url' IS NOT NULL
						THEN jsonb_build_object('url', job.payload ->> 'server_url') END))::text,
				t.ms)::http_request
	END
	FROM (SELECT current_setting('vapi_pool.http_timeout_ms')::integer AS ms) t
	$$;
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

-- How the outbox stands, for /metrics and operators.
CREATE FUNCTION outbox_stats(OUT pending bigint, OUT due bigint, OUT in_flight bigint, OUT dead bigint,
		OUT oldest_due_at timestamptz)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT count(*) FILTER (WHERE o.state = 'pending'),
		   count(*) FILTER (WHERE o.state = 'pending' AND o.run_at <= now()),
		   count(*) FILTER (WHERE o.state = 'in_flight'),
		   count(*) FILTER (WHERE o.state = 'dead'),
		   min(o.run_at) FILTER (WHERE o.state = 'pending' AND o.run_at <= now())
	FROM outbox o WHERE o.state IN ('pending', 'in_flight', 'dead')
	$$;

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

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION outbox_claim(text, integer, interval), outbox_report(jsonb), outbox_next_due(),
	outbox_replay(bigint), outbox_stats(), outbox_request(outbox), outbox_problem(outbox),
	outbound_assistant_id(uuid, jsonb), record_assistant(text, text, text), notify_outbox()
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_claim(text, integer, interval), outbox_report(jsonb), outbox_next_due(),
	outbox_replay(bigint), outbox_stats(), outbox_request(outbox), outbox_problem(outbox),
	outbound_assistant_id(uuid, jsonb), record_assistant(text, text, text)
	TO service_role;
