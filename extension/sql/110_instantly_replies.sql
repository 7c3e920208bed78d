-- Instantly replies (release 0.4.0): reading a lead's e-mail reply and
-- acting on it in one transaction (seed 000, WF1).  The functions are C:
-- classify_reply (reply_*.c, no outside service) and handle_instantly_event
-- (instantly_event.c).  This part adds where campaigns map to organisations,
-- where every Instantly event is recorded with what was decided, and the
-- declarations.  docs/replies.md describes the rules and the flow.

-- ---------------------------------------------------------------- classification

-- What classify_reply read in a reply.
CREATE TYPE reply_classification AS (
	intent text,				-- call_requested, interested, not_interested, unsubscribe,
								-- out_of_office, wrong_person or question
	phone e164,					-- the number the lead asks to be called on, for call_requested
	confidence real,			-- 0..1
	evidence text				-- the phrase that decided it
);

-- The intent of an e-mail reply, the callback number and the phrase that
-- decided it; region is where numbers without a country code are.  A pure
-- function that runs no SQL: no search_path to set (a SET clause would cost
-- a configuration save and restore on every call).
CREATE FUNCTION classify_reply(reply_text text, region text DEFAULT 'US') RETURNS reply_classification
	AS 'MODULE_PATHNAME', 'vapi_pool_classify_reply'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION classify_reply(text, text) IS
	'intent, callback number (e164), confidence and evidence of an e-mail reply; the quoted thread and signatures are not read as the lead''s words';

-- ---------------------------------------------------------------- campaigns

-- Which organisation an Instantly campaign belongs to, and the broker its
-- new leads get when no territory serves their ZIP code.
CREATE TABLE instantly_campaigns (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	campaign_id uuid NOT NULL,
	workspace_id uuid NOT NULL,
	name text,
	broker_id uuid,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT instantly_campaigns_pkey PRIMARY KEY (org_id, campaign_id)
);
-- An event names the campaign, not the organisation.
CREATE INDEX instantly_campaigns_campaign_idx ON instantly_campaigns (campaign_id);
CREATE TRIGGER instantly_campaigns_touch_updated_at BEFORE UPDATE ON instantly_campaigns
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE instantly_campaigns IS
	'Instantly campaigns (with their workspace) of each organisation, and the default broker of their new leads';

-- ---------------------------------------------------------------- events

-- Every Instantly event received, once: replies with what the classifier
-- read and what the flow decided, other events stored as they came.
CREATE TABLE instantly_events (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	event_type text NOT NULL CONSTRAINT instantly_events_event_type_present CHECK (event_type <> ''),
	-- email_id, or for an event without one a digest of the payload
	dedup_key text NOT NULL CONSTRAINT instantly_events_dedup_key_present CHECK (dedup_key <> ''),
	email_id text,
	campaign_id uuid NOT NULL,
	workspace_id uuid NOT NULL,
	lead_id uuid,
	lead_email text,
	event_at timestamptz,
	received_at timestamptz NOT NULL DEFAULT now(),
	reply_subject text,
	reply_text text,
	intent text CONSTRAINT instantly_events_intent_known CHECK (intent IN ('call_requested', 'interested',
		'not_interested', 'unsubscribe', 'out_of_office', 'wrong_person', 'question')),
	phone e164,
	confidence real CONSTRAINT instantly_events_confidence_range CHECK (confidence BETWEEN 0 AND 1),
	evidence text,
	decision text NOT NULL CONSTRAINT instantly_events_decision_known CHECK (decision IN ('call_queued',
		'call_already_queued', 'needs_number', 'pool_exhausted', 'assignment_refused', 'opted_out',
		'opt_out_kept', 'recorded', 'stored')),
	decision_detail text,
	call_number e164,
	assignment_id uuid,
	outbox_id bigint,
	call_at timestamptz,
	payload jsonb NOT NULL,
	CONSTRAINT instantly_events_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT instantly_events_dedup_key_key UNIQUE (org_id, event_type, dedup_key)
);
CREATE INDEX instantly_events_lead_idx ON instantly_events (org_id, lead_id, event_at);
COMMENT ON TABLE instantly_events IS
	'Instantly webhook events, one row per delivery key; replies carry the classification and the decision';
COMMENT ON COLUMN instantly_events.phone IS 'the callback number the classifier read in the reply';
COMMENT ON COLUMN instantly_events.call_number IS 'the number the queued call goes to (from the reply, else the lead''s)';
COMMENT ON COLUMN instantly_events.payload IS 'the event as received, without reply_text (its own column) and reply_html';

-- A lead's references from events (and a campaign's broker) are cleared
-- when the row they name goes; the event stays.  Version-guarded as in
-- 030_data_model.sql.
DO $fks$
DECLARE
	fk record;
BEGIN
	FOR fk IN SELECT * FROM (VALUES
		('instantly_campaigns', 'instantly_campaigns_broker_fkey', 'broker_id', 'brokers', 'id'),
		('instantly_events', 'instantly_events_lead_fkey', 'lead_id', 'leads', 'id'),
		('instantly_events', 'instantly_events_assignment_fkey', 'assignment_id', 'vapi_number_assignments', 'id'),
		('instantly_events', 'instantly_events_outbox_fkey', 'outbox_id', 'outbox', 'id'))
		AS v(tbl, name, col, parent, parent_col)
	LOOP
		EXECUTE pg_catalog.format(
			'ALTER TABLE vapi_pool.%I ADD CONSTRAINT %I FOREIGN KEY (org_id, %I) REFERENCES vapi_pool.%I (org_id, %I) ON DELETE %s',
			fk.tbl, fk.name, fk.col, fk.parent, fk.parent_col,
			CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 150000
				 THEN pg_catalog.format('SET NULL (%I)', fk.col) ELSE 'NO ACTION' END);
	END LOOP;
END
$fks$;

-- The flow finds a lead by e-mail address, whatever its case.
CREATE INDEX leads_email_lower_idx ON leads (org_id, pg_catalog.lower(email));
-- ... and a lead's create-call jobs still to be sent.
CREATE INDEX outbox_create_call_lead_idx ON outbox (org_id, (payload ->> 'lead_id'))
	WHERE kind = 'vapi.create_call' AND state IN ('pending', 'in_flight');

-- ---------------------------------------------------------------- the flow

-- What handle_instantly_event decided.
CREATE TYPE instantly_decision AS (
	event_id uuid,
	org_id uuid,
	lead_id uuid,
	event_type text,
	intent text,
	confidence real,
	evidence text,
	decision text,				-- see instantly_events.decision and docs/replies.md
	detail text,
	call_number e164,
	assignment_id uuid,
	outbox_id bigint,			-- the vapi.create_call job
	call_at timestamptz,		-- when the job is due: now, or the broker's next calling hour
	lead_status text,
	duplicate boolean			-- the event had been received before: nothing changed
);

-- One Instantly webhook event (the JSON body): records it, and for a reply
-- finds or creates the lead, classifies the reply and acts on it, all in the
-- caller's transaction.
CREATE FUNCTION handle_instantly_event(payload jsonb) RETURNS instantly_decision
	AS 'MODULE_PATHNAME', 'vapi_pool_handle_instantly_event'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION handle_instantly_event(jsonb) IS
	'records an Instantly event; for reply_received classifies the reply and queues a call, marks the lead as needing a number, or opts the lead out';

-- ---------------------------------------------------------------- security

ALTER TABLE instantly_campaigns ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE instantly_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY instantly_campaigns_org_select ON instantly_campaigns FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY instantly_campaigns_org_insert ON instantly_campaigns FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY instantly_campaigns_org_update ON instantly_campaigns FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY instantly_campaigns_org_delete ON instantly_campaigns FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
-- events are written by the flow alone: members read them
CREATE POLICY instantly_events_org_select ON instantly_events FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON instantly_campaigns TO authenticated, service_role;
GRANT SELECT ON instantly_events TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON instantly_events TO service_role;

REVOKE EXECUTE ON FUNCTION handle_instantly_event(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION handle_instantly_event(jsonb) TO service_role;
