-- Clinic follow-ups (release 0.4.0, seed 004 sections 1-2, "Voxanne"): a
-- caller who asked about a procedure and was lost before booking is flagged
-- for the SMS agent, and medical history is kept out of stored transcripts.
-- The rules are C: transcript_text.c (reading transcripts, matching the
-- vocabulary), clinic_dropoff.c (detect_dropoff, the follow-up that
-- record_call_ended records), medical_history.c (run by the call log's
-- redaction trigger, row_triggers.c).  See docs/clinic_followups.md.

-- ---------------------------------------------------------------- organisations

ALTER TABLE orgs
	ADD COLUMN is_clinic boolean NOT NULL DEFAULT false,
	ADD COLUMN dropoff_sms_enabled boolean NOT NULL DEFAULT false,
	ADD COLUMN dropoff_sms_text text NOT NULL DEFAULT
		'Hi {first_name}, thanks for calling us about {procedure}. Reply to this message and we will find you a time that suits you.'
		CONSTRAINT orgs_dropoff_sms_text_present CHECK (btrim(dropoff_sms_text) <> ''),
	ADD COLUMN followup_window interval NOT NULL DEFAULT '7 days'
		CONSTRAINT orgs_followup_window_range CHECK (followup_window > '0' AND followup_window <= '1 year');
GRANT UPDATE (is_clinic, dropoff_sms_enabled, dropoff_sms_text, followup_window) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.is_clinic IS
	'a clinic: its end-of-call reports are checked for drop-offs, and it gets the starter vocabulary';
COMMENT ON COLUMN orgs.dropoff_sms_enabled IS 'a drop-off queues an SMS for the SMS agent (outbox, vapi.sms)';
COMMENT ON COLUMN orgs.dropoff_sms_text IS
	'the follow-up SMS; {first_name} and {procedure} (the first one asked about) are filled in';
COMMENT ON COLUMN orgs.followup_window IS
	'one follow-up per contact and procedure within this window: repeated drop-offs do not spam';

-- ---------------------------------------------------------------- vocabulary

CREATE TABLE clinic_terms (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	kind text NOT NULL CONSTRAINT clinic_terms_kind_known CHECK (kind IN
		('procedure', 'condition', 'medication', 'allergy', 'surgery')),
	name text NOT NULL CONSTRAINT clinic_terms_name_present CHECK (btrim(name) <> ''),
	-- synonyms, misspellings and transcription variants ("nose job", "rhino plasty")
	variants text[] NOT NULL DEFAULT '{}'
		CONSTRAINT clinic_terms_variants_not_null CHECK (array_position(variants, NULL) IS NULL),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT clinic_terms_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT clinic_terms_name_key UNIQUE (org_id, kind, name)
);
CREATE TRIGGER clinic_terms_touch_updated_at BEFORE UPDATE ON clinic_terms
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE clinic_terms IS
	'each organisation''s procedures of interest (drop-offs) and medical terms (kept out of transcripts)';

-- The starter vocabulary a clinic gets, which it may edit: common cosmetic
-- and dental procedures with the words callers and transcribers use.
-- Conditions, medications and allergies have a built-in list in C
-- (transcript_text.c) that every organisation's redaction uses; rows of
-- those kinds here add to it.
CREATE FUNCTION clinic_starter_terms() RETURNS TABLE (kind text, name text, variants text[])
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
VALUES
	('procedure', 'Rhinoplasty', ARRAY['nose job', 'nose surgery', 'nose reshaping', 'rhino plasty', 'rynoplasty']),
	('procedure', 'Botox', ARRAY['botox injections', 'anti wrinkle injections', 'bo tox', 'wrinkle injections']),
	('procedure', 'Dermal fillers', ARRAY['fillers', 'filler', 'lip fillers', 'lip filler', 'juvederm', 'restylane']),
	('procedure', 'Teeth whitening', ARRAY['whitening', 'tooth whitening', 'teeth bleaching']),
	('procedure', 'Dental implants', ARRAY['implants', 'implant', 'dental implant', 'tooth implant']),
	('procedure', 'Invisalign', ARRAY['clear aligners', 'invisible braces', 'aligners']),
	('procedure', 'Liposuction', ARRAY['lipo', 'lipo suction']),
	('procedure', 'Breast augmentation', ARRAY['breast implants', 'boob job', 'breast enlargement']),
	('procedure', 'Laser hair removal', ARRAY['laser removal', 'hair laser', 'laser hair']),
	('procedure', 'Chemical peel', ARRAY['face peel', 'facial peel', 'skin peel']),
	('procedure', 'Facelift', ARRAY['face lift', 'neck lift']),
	('procedure', 'Blepharoplasty', ARRAY['eyelid surgery', 'eye lift', 'eyelid lift']),
	('procedure', 'Tummy tuck', ARRAY['abdominoplasty']),
	('procedure', 'Veneers', ARRAY['veneer', 'porcelain veneers'])
$$;
COMMENT ON FUNCTION clinic_starter_terms() IS 'the starter vocabulary of a clinic (see add_starter_clinic_terms)';

-- Adds the starter vocabulary to an organisation (terms it already has are
-- kept as they are); returns how many were added.  Runs with the caller's
-- rights: a member adds to their own organisation only.
CREATE FUNCTION add_starter_clinic_terms(org_id uuid) RETURNS integer
	LANGUAGE sql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
WITH added AS (
	INSERT INTO vapi_pool.clinic_terms (org_id, kind, name, variants)
	SELECT add_starter_clinic_terms.org_id, s.kind, s.name, s.variants FROM vapi_pool.clinic_starter_terms() s
	ON CONFLICT ON CONSTRAINT clinic_terms_name_key DO NOTHING
	RETURNING 1)
SELECT pg_catalog.count(*)::integer FROM added
$$;
COMMENT ON FUNCTION add_starter_clinic_terms(uuid) IS
	'adds the starter vocabulary to an organisation, keeping terms it already has; returns how many were added';

-- An organisation that becomes a clinic gets the starter vocabulary.
CREATE FUNCTION orgs_clinic_starter() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM vapi_pool.add_starter_clinic_terms(NEW.org_id);
	RETURN NULL;
END
$$;
CREATE TRIGGER orgs_clinic_starter AFTER INSERT ON orgs
	FOR EACH ROW WHEN (NEW.is_clinic) EXECUTE FUNCTION orgs_clinic_starter();
CREATE TRIGGER orgs_clinic_starter_update AFTER UPDATE OF is_clinic ON orgs
	FOR EACH ROW WHEN (NEW.is_clinic AND NOT OLD.is_clinic) EXECUTE FUNCTION orgs_clinic_starter();

-- ---------------------------------------------------------------- follow-ups

CREATE TABLE dropoff_followups (
	org_id uuid NOT NULL,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	lead_id uuid NOT NULL,
	call_log_id uuid,
	vapi_call_id text NOT NULL CONSTRAINT dropoff_followups_vapi_call_id_present CHECK (vapi_call_id <> ''),
	-- the procedures asked about and not followed up within the window
	procedures text[] NOT NULL
		CONSTRAINT dropoff_followups_procedures_present CHECK (cardinality(procedures) > 0),
	ending text NOT NULL
		CONSTRAINT dropoff_followups_ending_known CHECK (ending IN ('hung_up', 'silence', 'technical_failure')),
	state text NOT NULL DEFAULT 'open'
		CONSTRAINT dropoff_followups_state_known CHECK (state IN ('open', 'sms_queued', 'contacted', 'booked', 'dismissed')),
	-- the SMS job (outbox.id of the same organisation); jobs may be purged, so no key
	outbox_id bigint,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT dropoff_followups_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT dropoff_followups_call_key UNIQUE (org_id, vapi_call_id),
	CONSTRAINT dropoff_followups_lead_fkey FOREIGN KEY (org_id, lead_id)
		REFERENCES leads (org_id, id) ON DELETE CASCADE,
	CONSTRAINT dropoff_followups_call_log_fkey FOREIGN KEY (org_id, call_log_id)
		REFERENCES vapi_call_logs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX dropoff_followups_lead_idx ON dropoff_followups (org_id, lead_id, created_at);
CREATE INDEX dropoff_followups_open_idx ON dropoff_followups (org_id, created_at) WHERE state IN ('open', 'sms_queued');
CREATE TRIGGER dropoff_followups_touch_updated_at BEFORE UPDATE ON dropoff_followups
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE dropoff_followups IS
	'clinic callers who asked about a procedure and were lost before booking, for the SMS agent';

-- ---------------------------------------------------------------- row level security

ALTER TABLE clinic_terms ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE dropoff_followups ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
-- Members manage their organisation's vocabulary; follow-ups are recorded
-- by the engine, and members read them and move their state.
CREATE POLICY clinic_terms_org_select ON clinic_terms FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_terms_org_insert ON clinic_terms FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_terms_org_update ON clinic_terms FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_terms_org_delete ON clinic_terms FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY dropoff_followups_org_select ON dropoff_followups FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY dropoff_followups_org_update ON dropoff_followups FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON clinic_terms TO authenticated;
GRANT SELECT, UPDATE (state) ON dropoff_followups TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON clinic_terms, dropoff_followups TO service_role;

-- ---------------------------------------------------------------- functions

-- record_call_ended also says which follow-up a drop-off created.
ALTER TYPE call_ended ADD ATTRIBUTE followup_id uuid;

CREATE TYPE dropoff AS (
	procedures text[],			-- the caller's procedures of interest, in order of first mention
	is_dropoff boolean,
	-- hung_up, silence or technical_failure for a drop-off; otherwise why not:
	-- no_procedure, booked, declined, ended_normally
	reason text
);

CREATE FUNCTION detect_dropoff(transcript text, ended_reason text, booked boolean, org_id uuid)
	RETURNS dropoff
	AS 'MODULE_PATHNAME', 'vapi_pool_detect_dropoff'
	LANGUAGE C STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION detect_dropoff(text, text, boolean, uuid) IS
	'the procedures a clinic caller asked about and whether the call was a drop-off (clinic_dropoff.c)';

REVOKE EXECUTE ON FUNCTION detect_dropoff(text, text, boolean, uuid), add_starter_clinic_terms(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION detect_dropoff(text, text, boolean, uuid), add_starter_clinic_terms(uuid)
	TO authenticated, service_role;
