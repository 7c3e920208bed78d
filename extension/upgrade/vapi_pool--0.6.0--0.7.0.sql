-- vapi_pool 0.6.0 -> 0.7.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Release 0.7.0 (issue 20): calling people lawfully and keeping their data.
-- This part holds the rules of who may be called and when: the called
-- party's local calling hours, do-not-call lists, opt-outs from every
-- channel and consent evidence (compliance/*.c).  The parts after it hold
-- the number -> time zone table (191), personal data at rest (192), retention
-- and erasure (193) and the assistants' side (194).  Every statement here is
-- a delta on 0.6.0: the install script and the 0.6.0 -> 0.7.0 update script
-- are both assembled from it.  docs/compliance.md states the guarantees.

-- ---------------------------------------------------------------- calling hours

-- The window in which an outbound call or text may reach a person, in that
-- person's local time (compliance/calling_hours.c): hours (NULL: the
-- deployment's vapi_pool.calling_window, default 08:00-21:00, the TCPA's
-- limits), days of the week, and the organisation's holidays.
ALTER TABLE orgs
	ADD COLUMN calling_hours_start time,
	ADD COLUMN calling_hours_end time,
	ADD COLUMN calling_days smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}'
		CONSTRAINT orgs_calling_days_iso CHECK (cardinality(calling_days) BETWEEN 1 AND 7
			AND calling_days <@ '{1,2,3,4,5,6,7}'::smallint[]),
	ADD COLUMN require_consent boolean NOT NULL DEFAULT true,
	ADD CONSTRAINT orgs_calling_hours_both CHECK ((calling_hours_start IS NULL) = (calling_hours_end IS NULL)),
	ADD CONSTRAINT orgs_calling_hours_order CHECK (calling_hours_start < calling_hours_end);
GRANT UPDATE (calling_hours_start, calling_hours_end, calling_days, require_consent) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.calling_hours_start IS
	'the earliest local time (the called person''s zone) a call or text is placed; NULL: vapi_pool.calling_window';
COMMENT ON COLUMN orgs.calling_hours_end IS
	'the local time (the called person''s zone) from which no call or text is placed; NULL: vapi_pool.calling_window';
COMMENT ON COLUMN orgs.calling_days IS
	'ISO days of the week (1 Monday .. 7 Sunday, the called person''s local date) on which calls and texts are placed';
COMMENT ON COLUMN orgs.require_consent IS
	'when true, an outbound call is queued only for a lead with consent evidence (lead_consents)';

ALTER TABLE leads ADD COLUMN timezone iana_timezone;
COMMENT ON COLUMN leads.timezone IS
	'the lead''s own time zone, when known; else the zones of the lead''s number decide its calling hours';

-- Days on which the organisation places no call and sends no text, as the
-- called person's local date.
CREATE TABLE calling_holidays (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	day date NOT NULL,
	name text NOT NULL CONSTRAINT calling_holidays_name_present CHECK (btrim(name) <> ''),
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT calling_holidays_pkey PRIMARY KEY (org_id, day)
);
COMMENT ON TABLE calling_holidays IS
	'days (the called person''s local date) on which the organisation places no outbound call or text';
ALTER TABLE calling_holidays ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY calling_holidays_org_select ON calling_holidays FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY calling_holidays_org_insert ON calling_holidays FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY calling_holidays_org_update ON calling_holidays FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY calling_holidays_org_delete ON calling_holidays FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON calling_holidays TO authenticated, service_role;
SELECT pg_catalog.pg_extension_config_dump('calling_holidays', '');

-- ---------------------------------------------------------------- do-not-call

-- Numbers the organisation never calls or texts.  An opt-out from any
-- channel adds one (record_opt_out); operators add theirs (INSERT, COPY).
-- Adding a number cancels what was queued for it (do_not_call_applied).
CREATE TABLE do_not_call (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	phone e164 NOT NULL,
	reason text,
	source text NOT NULL DEFAULT 'operator'
		CONSTRAINT do_not_call_source_known CHECK (source IN ('operator', 'import', 'instantly', 'assistant',
			'call_report', 'sms', 'api')),
	-- what the opt-out came in: the Instantly event's id, the Vapi call id
	source_id text,
	added_at timestamptz NOT NULL DEFAULT now(),
	-- auth.uid() of whoever added it, when a signed-in user did
	added_by uuid DEFAULT vapi_pool.auth_uid(),
	CONSTRAINT do_not_call_pkey PRIMARY KEY (org_id, phone)
);
COMMENT ON TABLE do_not_call IS
	'numbers the organisation never calls or texts; adding one cancels the calls and texts queued for it';
ALTER TABLE do_not_call ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY do_not_call_org_select ON do_not_call FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY do_not_call_org_insert ON do_not_call FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
-- Members may reword a listing, never move it to another number (that
-- would lift the first one past the owners' and admins' DELETE policy).
CREATE POLICY do_not_call_org_update ON do_not_call FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY do_not_call_org_delete ON do_not_call FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'));
GRANT SELECT, INSERT, DELETE ON do_not_call TO authenticated;
GRANT UPDATE (reason) ON do_not_call TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON do_not_call TO service_role;
SELECT pg_catalog.pg_extension_config_dump('do_not_call', '');

-- The deployment's own list (a national registry's numbers, a litigator
-- list): every organisation's calls are checked against it; only
-- service_role reads or writes it.
CREATE TABLE do_not_call_global (
	phone e164 NOT NULL,
	reason text,
	source text NOT NULL DEFAULT 'import'
		CONSTRAINT do_not_call_global_source_known CHECK (source IN ('operator', 'import', 'api')),
	added_at timestamptz NOT NULL DEFAULT now(),
	added_by uuid DEFAULT vapi_pool.auth_uid(),
	CONSTRAINT do_not_call_global_pkey PRIMARY KEY (phone)
);
COMMENT ON TABLE do_not_call_global IS
	'numbers no organisation of this deployment calls or texts (service_role only)';
-- No policy: service_role bypasses row level security, every other role is refused.
ALTER TABLE do_not_call_global ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON do_not_call_global TO service_role;
SELECT pg_catalog.pg_extension_config_dump('do_not_call_global', '');

-- ---------------------------------------------------------------- consent

-- How and when a lead agreed to be called: the reply that asked for the
-- call (its Instantly id and its redacted text), the call they made to us, a
-- form, a booking.  One row per piece of evidence.
CREATE TABLE lead_consents (
	org_id uuid NOT NULL,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	lead_id uuid NOT NULL,
	kind text NOT NULL CONSTRAINT lead_consents_kind_known CHECK (kind IN ('instantly_reply', 'inbound_call',
		'form', 'booking', 'operator')),
	-- the evidence's own id: the Instantly email_id, the Vapi call id, the form's id, the booking uid
	source_id text,
	-- what the person said or submitted, redacted
	evidence text,
	given_at timestamptz NOT NULL DEFAULT now(),
	recorded_at timestamptz NOT NULL DEFAULT now(),
	recorded_by uuid DEFAULT vapi_pool.auth_uid(),
	CONSTRAINT lead_consents_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT lead_consents_source_key UNIQUE (org_id, lead_id, kind, source_id),
	CONSTRAINT lead_consents_lead_fkey FOREIGN KEY (org_id, lead_id)
		REFERENCES leads (org_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE lead_consents IS
	'evidence of a lead''s consent to be called: how (kind), which message or call (source_id), when, and what was said (redacted)';
ALTER TABLE lead_consents ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_consents_org_select ON lead_consents FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY lead_consents_org_insert ON lead_consents FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY lead_consents_org_delete ON lead_consents FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'));
GRANT SELECT, INSERT, DELETE ON lead_consents TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON lead_consents TO service_role;
SELECT pg_catalog.pg_extension_config_dump('lead_consents', '');

-- ---------------------------------------------------------------- states

-- A job for a number that may not be called ends suppressed (not dead: the
-- vendor was never asked); a reply whose number may not be called, or whose
-- lead gave no consent, is a decision of its own.
ALTER TABLE outbox DROP CONSTRAINT outbox_state_known,
	ADD CONSTRAINT outbox_state_known CHECK (state IN ('pending', 'in_flight', 'done', 'dead', 'suppressed'));
ALTER TABLE instantly_events DROP CONSTRAINT instantly_events_decision_known,
	ADD CONSTRAINT instantly_events_decision_known CHECK (decision IN ('call_queued',
		'call_already_queued', 'needs_number', 'pool_exhausted', 'assignment_refused', 'opted_out',
		'opt_out_kept', 'recorded', 'stored', 'suppressed', 'no_consent'));
ALTER TABLE dropoff_followups DROP CONSTRAINT dropoff_followups_state_known,
	ADD CONSTRAINT dropoff_followups_state_known CHECK (state IN ('open', 'sms_queued', 'contacted', 'booked',
		'dismissed', 'suppressed'));

-- ---------------------------------------------------------------- checks

CREATE FUNCTION do_not_call_applied() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_do_not_call_applied'
	LANGUAGE C SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION do_not_call_applied() FROM PUBLIC;
COMMENT ON FUNCTION do_not_call_applied() IS
	'applies numbers added to a do-not-call list: their leads do_not_call, queued calls, texts and follow-ups suppressed, numbers released';
CREATE TRIGGER do_not_call_applied AFTER INSERT ON do_not_call
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();
CREATE TRIGGER do_not_call_global_applied AFTER INSERT ON do_not_call_global
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();
-- A listing whose number is changed (service_role may) applies the new number.
CREATE TRIGGER do_not_call_moved AFTER UPDATE ON do_not_call
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();
CREATE TRIGGER do_not_call_global_moved AFTER UPDATE ON do_not_call_global
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();

-- The numbers jobs are queued for, and leads by number across organisations
-- (the deployment's list is applied to every organisation).
CREATE INDEX outbox_pending_customer_idx ON outbox ((payload ->> 'customer_number'))
	WHERE state = 'pending' AND kind IN ('vapi.create_call', 'vapi.sms');
CREATE INDEX leads_phone_any_org_idx ON leads (primary_phone_e164);

CREATE FUNCTION outbox_checked() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_checked'
	LANGUAGE C SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION outbox_checked() FROM PUBLIC;
COMMENT ON FUNCTION outbox_checked() IS
	'queue-time check of a create-call or SMS job: suppressed when the number is on a do-not-call list, else due inside the called person''s calling hours';
CREATE TRIGGER outbox_checked BEFORE INSERT ON outbox
	FOR EACH ROW WHEN (NEW.kind IN ('vapi.create_call', 'vapi.sms') AND NEW.state = 'pending')
	EXECUTE FUNCTION outbox_checked();

-- ---------------------------------------------------------------- when

CREATE FUNCTION next_call_time(org_id uuid, lead_id uuid, phone e164, earliest timestamptz DEFAULT now())
	RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'vapi_pool_next_call_time'
	LANGUAGE C STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION next_call_time(uuid, uuid, e164, timestamptz) TO authenticated, service_role;
COMMENT ON FUNCTION next_call_time(uuid, uuid, e164, timestamptz) IS
	'the first instant at or after earliest at which the organisation may call the lead (or, lead_id NULL, the number): its calling hours, days and holidays in every zone the person may be in';

CREATE FUNCTION lead_timezones(org_id uuid, lead_id uuid) RETURNS text[]
	AS 'MODULE_PATHNAME', 'vapi_pool_lead_timezones'
	LANGUAGE C STABLE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION lead_timezones(uuid, uuid) TO authenticated, service_role;
COMMENT ON FUNCTION lead_timezones(uuid, uuid) IS
	'the zones whose local time decides when the lead is called: leads.timezone, else its number''s zones, else its broker''s or organisation''s zone';

-- ---------------------------------------------------------------- opt-outs

CREATE FUNCTION record_opt_out(org_id uuid, phone e164, source text DEFAULT 'operator', reason text DEFAULT NULL,
	OUT newly_added boolean, OUT leads_marked bigint, OUT calls_cancelled bigint, OUT texts_cancelled bigint,
	OUT numbers_released bigint)
	AS 'MODULE_PATHNAME', 'vapi_pool_record_opt_out'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION record_opt_out(uuid, e164, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_opt_out(uuid, e164, text, text) TO service_role;
COMMENT ON FUNCTION record_opt_out(uuid, e164, text, text) IS
	'the person at phone asked not to be contacted: the number on the organisation''s do-not-call list, its leads do_not_call, queued calls and texts suppressed, their numbers released';

-- ---------------------------------------------------------------- the lead, as the rules see it

-- Each lead with its consent evidence, whether its number is on the
-- organisation's do-not-call list, the zones that decide its calling hours
-- and when it may next be called.  security_invoker (PostgreSQL 15+): a
-- member sees only their organisation's leads; on 14, service_role only.
DO $view$
DECLARE
	invoker boolean := pg_catalog.current_setting('server_version_num')::int >= 150000;
BEGIN
	EXECUTE pg_catalog.format($sql$
		CREATE VIEW vapi_pool.lead_compliance %s AS
		SELECT l.org_id, l.id AS lead_id, l.name, l.primary_phone_e164 AS phone, l.status, l.timezone,
			   vapi_pool.lead_timezones(l.org_id, l.id) AS calling_zones,
			   EXISTS (SELECT FROM vapi_pool.do_not_call d
					   WHERE d.org_id = l.org_id AND d.phone = l.primary_phone_e164) AS on_do_not_call,
			   coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('kind', c.kind, 'source_id', c.source_id,
							'given_at', c.given_at, 'evidence', c.evidence) ORDER BY c.given_at)
						 FROM vapi_pool.lead_consents c WHERE c.org_id = l.org_id AND c.lead_id = l.id), '[]') AS consents,
			   vapi_pool.next_call_time(l.org_id, l.id, NULL, pg_catalog.now()) AS next_call_at
		FROM vapi_pool.leads l$sql$, CASE WHEN invoker THEN 'WITH (security_invoker = true)' ELSE '' END);
	IF invoker THEN
		GRANT SELECT ON vapi_pool.lead_compliance TO authenticated;
	END IF;
	GRANT SELECT ON vapi_pool.lead_compliance TO service_role;
END
$view$;
COMMENT ON VIEW lead_compliance IS
	'each lead with its consent evidence, its do-not-call listing, the zones of its calling hours and when it may next be called';
-- Release 0.7.0 (issue 20): the time zones of a phone number.
-- The table is generated at build time from the libphonenumber release of
-- the e164 metadata (extension/e164/gen_e164_timezones.py ->
-- e164_timezones.c); compliance/calling_hours.c reads it from C, these
-- functions show it to SQL.  docs/e164.md, "Time zones of a number".

CREATE FUNCTION number_timezones(phone e164) RETURNS text[]
	AS 'MODULE_PATHNAME', 'e164_number_timezones'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION number_timezones(e164) IS
	'the IANA time zones libphonenumber gives for the number (time_zones_for_number): a fixed line''s area, a mobile''s or toll-free number''s whole country; several mean it may be in any of them; empty when unknown';

CREATE FUNCTION number_timezone_names() RETURNS SETOF text
	AS 'MODULE_PATHNAME', 'e164_number_timezone_names'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 300;
COMMENT ON FUNCTION number_timezone_names() IS
	'every time zone number_timezones can return, by name';

REVOKE EXECUTE ON FUNCTION number_timezones(e164), number_timezone_names() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION number_timezones(e164), number_timezone_names() TO authenticated, service_role;
-- Release 0.7.0 (issue 20), personal data at rest: an Instantly reply's text
-- is stored redacted, its payload without the reply's texts, and the
-- redaction of stored texts (call transcripts and summaries, reply texts)
-- also takes out the contact's own known details: the name, e-mail
-- address, phone number and ZIP code stored on the lead
-- (redact/contact_redaction.c).  docs/redaction.md has the rules and the
-- measures.  Every statement is a delta on 0.6.0; the part is also the
-- upgrade, so it redacts the rows stored before it.

-- ---------------------------------------------------------------- functions

CREATE FUNCTION redact_personal(t text, first_name text DEFAULT NULL, last_name text DEFAULT NULL,
	email text DEFAULT NULL, phone e164 DEFAULT NULL, zip text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_personal'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION redact_personal(text, text, text, text, e164, text) IS
	'redact_pii, then the given contact''s name ([NAME]), e-mail address ([EMAIL]), phone number ([PHONE]) and ZIP code ([ZIP]) in any form the pattern rules miss';

-- The same with the details of a stored lead (RLS applies: the caller's
-- organisation's leads only); a NULL or unknown lead gives redact_pii.
CREATE FUNCTION redact_for_contact(t text, org_id uuid, lead_id uuid) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_for_contact'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION redact_for_contact(text, uuid, uuid) IS
	'redact_pii, then the name, e-mail address, phone number and ZIP code of the organisation''s lead';
REVOKE EXECUTE ON FUNCTION redact_for_contact(text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redact_for_contact(text, uuid, uuid) TO authenticated, service_role;

-- The Instantly event's row trigger (row_triggers.c): reply_text through
-- redact_pii and the details of the event's lead (lead_id, else the lead
-- of lead_email) when it is written and when the event gets its lead; the
-- payload without reply_text, reply_html and reply_text_snippet.
CREATE FUNCTION redact_instantly_event() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_instantly_event'
	LANGUAGE C;

-- ---------------------------------------------------------------- rows stored before

-- Reply texts as 0.6.0 stored them (unredacted) and payloads that kept
-- reply_text_snippet.  Before the trigger, so that each row is redacted once.
UPDATE instantly_events
SET reply_text = redact_for_contact(reply_text, org_id, lead_id),
	reply_subject = redact_for_contact(reply_subject, org_id, lead_id),
	payload = payload - '{reply_text,reply_html,reply_text_snippet}'::text[]
WHERE reply_text IS NOT NULL OR reply_subject IS NOT NULL
   OR payload ?| '{reply_text,reply_html,reply_text_snippet}'::text[];

-- A processed Instantly delivery keeps no reply text in the inbox either
-- (webhook_receive.c strips it when the event is processed; a failed one
-- keeps its payload as received until it is processed, for replay_event).
UPDATE webhook_inbox
SET payload = payload - '{reply_text,reply_html,reply_text_snippet}'::text[]
WHERE source = 'instantly' AND state <> 'failed'
  AND payload ?| '{reply_text,reply_html,reply_text_snippet}'::text[];

-- Transcripts and summaries of calls with a contact lose the contact's
-- details (the call log's trigger redacts the new texts again: a no-op on
-- redacted text).
UPDATE vapi_call_logs l
SET transcript = r.transcript, summary = r.summary
FROM (SELECT c.org_id, c.id, redact_for_contact(c.transcript, c.org_id, c.lead_id) AS transcript,
			 redact_for_contact(c.summary, c.org_id, c.lead_id) AS summary
	  FROM vapi_call_logs c
	  WHERE c.lead_id IS NOT NULL AND (c.transcript IS NOT NULL OR c.summary IS NOT NULL)) r
WHERE l.org_id = r.org_id AND l.id = r.id
  AND (l.transcript IS DISTINCT FROM r.transcript OR l.summary IS DISTINCT FROM r.summary);

-- BEFORE triggers fire in name order: zz_ runs after any other BEFORE trigger.
CREATE TRIGGER zz_instantly_events_redact BEFORE INSERT OR UPDATE ON instantly_events
	FOR EACH ROW EXECUTE FUNCTION redact_instantly_event();

COMMENT ON COLUMN instantly_events.reply_text IS
	'the reply''s text (its snippet when it came without one), redacted: redact_pii and the lead''s own details';
COMMENT ON COLUMN instantly_events.payload IS
	'the event as received, without reply_text (its own column, redacted), reply_html and reply_text_snippet';
COMMENT ON COLUMN vapi_call_logs.transcript IS
	'the call''s transcript, redacted on write: medical history, redact_pii and the contact''s own details';
-- Release 0.7.0 (issue 20, item 6): retention and erasure.  Personal data
-- is kept for a time each organisation chooses (clinics and brokerages
-- differ: docs/privacy.md), then purged by a pg_cron job
-- (purge_personal_data, compliance/retention.c); one person is erased on
-- request across every table (forget_contact, compliance/erasure.c), and the
-- erasure is logged without what was erased.  Purging and erasing clear
-- columns and strip payloads but keep the rows, their counts and their
-- timestamps: reports and the pool engine need them.  Every statement here
-- is a delta on 0.6.0: the install script and the 0.6.0 -> 0.7.0 update
-- script are both assembled from it.

-- ---------------------------------------------------------------- retention settings

-- How long the organisation keeps each kind of personal data; NULL: the
-- product's default for its kind of organisation (default_retention: a
-- clinic keeps less than a brokerage).  At least a day, so that a repeated
-- webhook delivery still finds what its first delivery stored.
ALTER TABLE orgs
	ADD COLUMN transcript_retention interval
		CONSTRAINT orgs_transcript_retention_min CHECK (transcript_retention >= interval '1 day'),
	ADD COLUMN summary_retention interval
		CONSTRAINT orgs_summary_retention_min CHECK (summary_retention >= interval '1 day'),
	ADD COLUMN recording_retention interval
		CONSTRAINT orgs_recording_retention_min CHECK (recording_retention >= interval '1 day'),
	ADD COLUMN payload_retention interval
		CONSTRAINT orgs_payload_retention_min CHECK (payload_retention >= interval '1 day');
GRANT UPDATE (transcript_retention, summary_retention, recording_retention, payload_retention) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.transcript_retention IS
	'how long call transcripts are kept (vapi_call_logs.transcript); NULL: default_retention(''transcripts'', is_clinic)';
COMMENT ON COLUMN orgs.summary_retention IS
	'how long call summaries are kept (vapi_call_logs.summary); NULL: default_retention(''summaries'', is_clinic)';
COMMENT ON COLUMN orgs.recording_retention IS
	'how long recording URLs are kept (vapi_call_logs.recording_url); NULL: default_retention(''recordings'', is_clinic)';
COMMENT ON COLUMN orgs.payload_retention IS
	'how long webhook and job payloads are kept (end-of-call reports, processed inbox events, Instantly events and '
	'their reply texts, finished outbox jobs); NULL: default_retention(''payloads'', is_clinic)';

-- The product's retention of a kind of personal data (transcripts,
-- summaries, recordings, payloads) for a clinic or a brokerage; NULL for an
-- unknown kind.  docs/privacy.md gives the reasons.
CREATE FUNCTION default_retention(kind text, is_clinic boolean) RETURNS interval
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN CASE kind
		WHEN 'transcripts' THEN CASE WHEN is_clinic THEN interval '30 days' ELSE interval '180 days' END
		WHEN 'summaries' THEN CASE WHEN is_clinic THEN interval '180 days' ELSE interval '730 days' END
		WHEN 'recordings' THEN CASE WHEN is_clinic THEN interval '30 days' ELSE interval '90 days' END
		WHEN 'payloads' THEN CASE WHEN is_clinic THEN interval '7 days' ELSE interval '30 days' END
	END;
COMMENT ON FUNCTION default_retention(text, boolean) IS
	'the product''s retention of transcripts, summaries, recordings or payloads for a clinic (true) or a brokerage (false)';

-- ---------------------------------------------------------------- what the purge finds

-- Call logs that still hold personal data, by age: the purge reads the
-- oldest of each organisation; a purged row leaves the index.
CREATE INDEX vapi_call_logs_personal_idx ON vapi_call_logs (org_id, created_at)
	WHERE transcript IS NOT NULL OR summary IS NOT NULL OR recording_url IS NOT NULL OR ended_report IS NOT NULL;
-- Processed inbox events whose payload is still there.
CREATE INDEX webhook_inbox_payload_idx ON webhook_inbox (org_id, received_at)
	WHERE state = 'processed' AND payload <> '{}'::jsonb;
-- Instantly events whose payload or reply is still there.
CREATE INDEX instantly_events_payload_idx ON instantly_events (org_id, received_at)
	WHERE payload <> '{}'::jsonb OR reply_text IS NOT NULL OR reply_subject IS NOT NULL OR evidence IS NOT NULL;
-- Finished jobs that name a person and whose payload is still whole.
CREATE INDEX outbox_payload_idx ON outbox (org_id, (coalesce(finished_at, updated_at)))
	WHERE state IN ('done', 'dead', 'suppressed')
	  AND kind IN ('vapi.create_call', 'vapi.sms', 'cal.create_booking', 'cal.cancel_booking')
	  AND NOT payload ? 'purged';

-- ---------------------------------------------------------------- the purge

-- Clears the personal data older than each organisation's retention, at
-- most batch_size rows of each kind; one row per kind with how many rows it
-- cleared (compliance/retention.c).
CREATE FUNCTION purge_personal_data(batch_size integer DEFAULT 1000)
	RETURNS TABLE (kind text, purged bigint)
	AS 'MODULE_PATHNAME', 'vapi_pool_purge_personal_data'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION purge_personal_data(integer) IS
	'clears transcripts, summaries, recording URLs and payloads older than the organisation''s retention '
	'(at most batch_size rows of each kind); rows, counts and timestamps stay';

-- All of purge_personal_data's batches, each committed, so a backlog never
-- holds its locks for long: what the pg_cron job calls.  CALL it outside a
-- transaction block.  (No SET clause: it commits; every name is qualified.)
CREATE PROCEDURE purge_personal_data_in_batches(batch_size integer DEFAULT 1000)
	LANGUAGE plpgsql
	AS $$
DECLARE
	most bigint;
BEGIN
	LOOP
		SELECT pg_catalog.max(p.purged) INTO most FROM vapi_pool.purge_personal_data(batch_size) p;
		COMMIT;
		EXIT WHEN most OPERATOR(pg_catalog.<) batch_size;
	END LOOP;
END
$$;

-- Registers the housekeeping jobs with pg_cron, in this database: the
-- release of expired numbers (schedule), the sweep of calls whose report is
-- late (every five minutes) and, since 0.7.0, the purge of personal data
-- past its retention (daily at 03:45, after the inbox purge).  Idempotent:
-- pg_cron replaces a job of the same name scheduled by the same user.
-- Returns the jobs.
CREATE OR REPLACE FUNCTION schedule_maintenance(schedule text DEFAULT '0 3 * * *')
	RETURNS TABLE (job_name text, job_id bigint, job_schedule text, command text)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The release of expired numbers, the sweep of calls whose report is late and the purge of '
						   'personal data past its retention run as pg_cron jobs.',
				  HINT = 'Add pg_cron to shared_preload_libraries and run CREATE EXTENSION pg_cron in the '
						 'database named by cron.database_name, or run CALL vapi_pool.release_expired_in_batches() '
						 'and CALL vapi_pool.purge_personal_data_in_batches() daily and '
						 'SELECT vapi_pool.reconcile_stale_calls() every few minutes from your own scheduler.';
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
END
$$;
COMMENT ON FUNCTION schedule_maintenance(text) IS
	'registers the pg_cron jobs vapi_pool.release_expired (on schedule), vapi_pool.reconcile_stale_calls (every five minutes) '
	'and vapi_pool.purge_personal_data (daily at 03:45)';

-- ---------------------------------------------------------------- erasure

-- An erased contact keeps its row (its id, organisation, broker and
-- timestamps: the counts of reports) with status erased and nothing else.
ALTER TABLE leads DROP CONSTRAINT leads_status_known,
	ADD CONSTRAINT leads_status_known CHECK (status IN ('new', 'call_requested', 'calling', 'connected',
		'appointment_booked', 'unreachable', 'not_interested', 'do_not_call', 'erased'));
-- An erased follow-up keeps its row without the procedures asked about.
ALTER TABLE dropoff_followups ALTER COLUMN procedures DROP NOT NULL;
COMMENT ON COLUMN dropoff_followups.procedures IS
	'the procedures asked about and not followed up within the window; NULL once the contact is erased';

-- Every erasure: who asked (the signed-in user, or the database role of a
-- service), when, which contact and how many rows of each table it
-- cleared.  Never what was erased.
CREATE TABLE contact_erasures (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	-- not a foreign key: the log outlives the contact's row
	lead_id uuid NOT NULL,
	erased_at timestamptz NOT NULL DEFAULT now(),
	-- auth.uid() of the owner or admin who asked; NULL for a service
	erased_by uuid,
	-- the member's role in the organisation (owner, admin), or the service's database role
	erased_by_role text NOT NULL CONSTRAINT contact_erasures_role_present CHECK (erased_by_role <> ''),
	-- table name -> rows cleared or deleted
	counts jsonb NOT NULL CONSTRAINT contact_erasures_counts_object CHECK (jsonb_typeof(counts) = 'object'),
	CONSTRAINT contact_erasures_pkey PRIMARY KEY (org_id, id)
);
CREATE INDEX contact_erasures_lead_idx ON contact_erasures (org_id, lead_id);
COMMENT ON TABLE contact_erasures IS
	'every forget_contact: who, when, which contact and how many rows of each table were cleared (never what)';
ALTER TABLE contact_erasures ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY contact_erasures_org_select ON contact_erasures FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'));
-- Only forget_contact writes it; the service may add rows (a data-only
-- restore does) but neither it nor anyone changes or deletes one.
GRANT SELECT ON contact_erasures TO authenticated;
GRANT SELECT, INSERT ON contact_erasures TO service_role;
SELECT pg_catalog.pg_extension_config_dump('contact_erasures', '');

-- Erases one contact across every table that holds their data and logs it
-- (compliance/erasure.c).  For the organisation's owners and admins (a
-- contact of their organisation) and for the service; 42501 otherwise.
CREATE FUNCTION forget_contact(lead_id uuid) RETURNS contact_erasures
	AS 'MODULE_PATHNAME', 'vapi_pool_forget_contact'
	LANGUAGE C VOLATILE STRICT SECURITY INVOKER
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION forget_contact(uuid) IS
	'erases one contact (name, e-mail, phone, transcripts, payloads, consents...) across every table, keeping rows, '
	'counts and timestamps and the do-not-call entry; logged in contact_erasures; owners, admins and the service only';

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION purge_personal_data(integer), forget_contact(uuid) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE purge_personal_data_in_batches(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_personal_data(integer) TO service_role;
GRANT EXECUTE ON PROCEDURE purge_personal_data_in_batches(integer) TO service_role;
GRANT EXECUTE ON FUNCTION forget_contact(uuid) TO authenticated, service_role;
-- Release 0.7.0 (issue 20, items 3 and 7): the assistants' side of
-- opt-outs and the recording disclosure.  The record_opt_out tool and the
-- end-of-call report's doNotCall are C (webhook/tool_opt_out.c, through
-- compliance/opt_out.c's vp_record_opt_out) and need no SQL of their own;
-- this part holds the disclosure: the organisation's setting, the first
-- message of each assistant `vapi-shim assistants push` records, and the
-- opening a call's assistantOverrides carry.  Every statement here is a
-- delta on 0.6.0 (the install script and the 0.6.0 -> 0.7.0 update script
-- are both assembled from it).  docs/assistants.md describes it.

-- ---------------------------------------------------------------- the setting

-- What the assistants say first on every call of the organisation, before
-- their own first message (NULL: nothing).  Applied per call, since the
-- assistants are the deployment's, shared by every organisation.
ALTER TABLE orgs ADD COLUMN recording_disclosure text
	CONSTRAINT orgs_recording_disclosure_present CHECK (btrim(recording_disclosure) <> '');
GRANT UPDATE (recording_disclosure) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.recording_disclosure IS
	'said first on every call of the organisation, before the assistant''s own first message, e.g. '
	'"This call may be recorded for quality and training." (NULL: no disclosure)';

-- ---------------------------------------------------------------- the assistants' first messages

-- The firstMessage of the definition last pushed (NULL: the definition has
-- none, e.g. a model-generated first message).  An opening with a
-- disclosure replaces the assistant's first message, so it must repeat it.
ALTER TABLE vapi_assistants ADD COLUMN first_message text;
COMMENT ON COLUMN vapi_assistants.first_message IS
	'the firstMessage of the definition last pushed (NULL: none); a recording disclosure is said before it';

-- Records an assistant vapi-shim pushed (creates or replaces its row), with
-- its definition's firstMessage.
DROP FUNCTION record_assistant(text, text, text);
CREATE FUNCTION record_assistant(role text, vapi_assistant_id text, definition_sha256 text DEFAULT NULL,
		first_message text DEFAULT NULL)
	RETURNS vapi_assistants
	LANGUAGE sql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	INSERT INTO vapi_assistants AS a (role, vapi_assistant_id, definition_sha256, first_message)
	VALUES (record_assistant.role, record_assistant.vapi_assistant_id, record_assistant.definition_sha256,
		record_assistant.first_message)
	ON CONFLICT ON CONSTRAINT vapi_assistants_pkey DO UPDATE
		SET vapi_assistant_id = excluded.vapi_assistant_id, definition_sha256 = excluded.definition_sha256,
			first_message = excluded.first_message, pushed_at = now()
	RETURNING a.*
	$$;
COMMENT ON FUNCTION record_assistant(text, text, text, text) IS
	'record the assistant vapi-shim assistants push created or updated for a role: its id, definition hash and firstMessage';

-- ---------------------------------------------------------------- the opening of a call

-- The keys of a call's assistantOverrides that open it with the
-- organisation's recording disclosure: firstMessage, the disclosure then the
-- assistant's own first message (the one recorded for that assistant id,
-- else for the role, when the id is one the configuration names), and
-- firstMessageMode assistant-speaks-first, so that an assistant whose first
-- message is generated by the model says it too.  '{}' when the organisation
-- has no disclosure.  (Its subqueries keep it from being inlined anyway, so
-- it sets its search_path like any function that is not.)
CREATE FUNCTION assistant_opening(org_id uuid, assistant_id text, role text) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN coalesce((SELECT jsonb_build_object('firstMessage', concat_ws(' ', btrim(o.recording_disclosure),
			(SELECT a.first_message FROM vapi_assistants a
			 WHERE a.vapi_assistant_id = assistant_opening.assistant_id OR a.role = assistant_opening.role
			 ORDER BY a.vapi_assistant_id = assistant_opening.assistant_id DESC LIMIT 1)),
		'firstMessageMode', 'assistant-speaks-first')
		FROM orgs o WHERE o.org_id = assistant_opening.org_id AND o.recording_disclosure IS NOT NULL), '{}'::jsonb);
COMMENT ON FUNCTION assistant_opening(uuid, text, text) IS
	'assistantOverrides keys (firstMessage, firstMessageMode) that open a call with the organisation''s recording disclosure; {} without one';

-- The request for a job (183_voicemail.sql's, with the opening): a create
-- call is POST /call with only lead_id in variableValues, the voicemail
-- detection of the settings, the job's voicemail message and, when the
-- organisation has a recording disclosure, the first message that says it;
-- a reconcile is the GET that finds what an earlier attempt may have done.
-- Purchased numbers are named after their job, which is how a reconcile
-- finds them.  One expression, so that the claim's query inlines it.
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

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION record_assistant(text, text, text, text), assistant_opening(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_assistant(text, text, text, text), assistant_opening(uuid, text, text)
	TO service_role;
-- Release 0.7.0: the consent evidence and the opt-outs an existing installation already
-- holds (a no-op on a fresh install).  0.6.0 kept no lead_consents, but its
-- rows say who asked to be called: a reply classified call_requested (its
-- id and its text, redacted by 192_personal_data.sql, which runs first) and
-- a call the person made to a pool or clinic number.  Without them every
-- retry of an existing lead would stop once require_consent is on.
INSERT INTO lead_consents (org_id, lead_id, kind, source_id, evidence, given_at, recorded_by)
SELECT e.org_id, e.lead_id, 'instantly_reply', e.email_id, e.reply_text, coalesce(e.event_at, e.received_at), NULL
FROM instantly_events e
WHERE e.intent = 'call_requested' AND e.lead_id IS NOT NULL AND e.email_id IS NOT NULL
ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING;

INSERT INTO lead_consents (org_id, lead_id, kind, source_id, given_at, recorded_by)
SELECT c.org_id, c.lead_id, 'inbound_call', c.vapi_call_id, coalesce(c.started_at, c.created_at), NULL
FROM vapi_call_logs c
WHERE c.direction <> 'outbound_to_lead' AND c.lead_id IS NOT NULL
ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING;

-- Before 0.7.0 an opt-out was a status on one lead row: the same number on
-- another lead was still called.  Each such number is now on its
-- organisation's list, which applies it (do_not_call_applied: the other
-- leads of that number do_not_call, their queued calls suppressed).
INSERT INTO do_not_call (org_id, phone, reason, source, added_by)
SELECT DISTINCT l.org_id, l.primary_phone_e164, 'the lead was do_not_call before 0.7.0', 'operator', NULL::uuid
FROM leads l
WHERE l.status = 'do_not_call' AND l.primary_phone_e164 IS NOT NULL
ON CONFLICT (org_id, phone) DO NOTHING;
