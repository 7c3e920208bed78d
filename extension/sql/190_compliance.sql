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
