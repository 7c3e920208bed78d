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
