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
