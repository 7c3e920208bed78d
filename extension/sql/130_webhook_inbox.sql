-- The webhook inbox (release 0.4.0): every authenticated webhook the shim
-- receives is stored here in the same transaction as its effect, once per
-- dedupe key.  receive_webhook (webhook_receive.c) stores the event, runs the
-- typed SQL function it asks for (webhook_vapi.c, webhook_cal.c, Instantly's
-- handle_instantly_event) and returns the HTTP answer the sender expects; a
-- repeated delivery gets the stored answer.  An event whose processing failed
-- stays here marked failed with the error: the dead-letter queue, re-run by
-- replay_event.  docs/webhooks.md describes the keys and the answers.

-- ---------------------------------------------------------------- per-organisation assistants

-- The shim's configuration names the assistants; an organisation may name its
-- own (a clinic's receptionist instead of the brokers' intake assistant).
ALTER TABLE orgs
	ADD COLUMN intake_assistant_id text
		CONSTRAINT orgs_intake_assistant_id_present CHECK (btrim(intake_assistant_id) <> ''),
	ADD COLUMN connector_assistant_id text
		CONSTRAINT orgs_connector_assistant_id_present CHECK (btrim(connector_assistant_id) <> '');
GRANT UPDATE (intake_assistant_id, connector_assistant_id) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.intake_assistant_id IS
	'Vapi assistant that answers unknown callers of this organisation''s numbers; NULL: the setting vapi_pool.intake_assistant_id';
COMMENT ON COLUMN orgs.connector_assistant_id IS
	'Vapi assistant that connects known callers (lead <-> broker); NULL: the setting vapi_pool.connector_assistant_id';

-- ---------------------------------------------------------------- the inbox

CREATE TABLE webhook_inbox (
	id bigint GENERATED ALWAYS AS IDENTITY,
	-- the organisation the event turned out to belong to; NULL until known
	org_id uuid REFERENCES orgs (org_id) ON DELETE CASCADE,
	source text NOT NULL CONSTRAINT webhook_inbox_source_known CHECK (source IN ('vapi', 'instantly', 'cal')),
	-- Vapi message.type, Instantly event_type, Cal.com triggerEvent
	event_type text NOT NULL,
	dedupe_key text NOT NULL CONSTRAINT webhook_inbox_dedupe_key_present CHECK (dedupe_key <> ''),
	received_at timestamptz NOT NULL DEFAULT now(),
	processed_at timestamptz NOT NULL DEFAULT now(),
	state text NOT NULL CONSTRAINT webhook_inbox_state_known CHECK (state IN ('processed', 'failed')),
	-- deliveries and replays that ran the event (duplicates of a processed one do not count)
	attempts integer NOT NULL DEFAULT 1 CONSTRAINT webhook_inbox_attempts_positive CHECK (attempts >= 1),
	duplicates integer NOT NULL DEFAULT 0 CONSTRAINT webhook_inbox_duplicates_nonnegative CHECK (duplicates >= 0),
	http_status integer NOT NULL CONSTRAINT webhook_inbox_http_status_range CHECK (http_status BETWEEN 200 AND 599),
	answer jsonb NOT NULL,
	error text,
	error_sqlstate text,
	-- as received while failed (a replay needs it); once processed, without
	-- transcripts and reply texts, which live redacted in their own tables
	payload jsonb NOT NULL,
	CONSTRAINT webhook_inbox_pkey PRIMARY KEY (id),
	CONSTRAINT webhook_inbox_dedupe_key_key UNIQUE (source, dedupe_key),
	CONSTRAINT webhook_inbox_failed_has_error CHECK ((state = 'failed') = (error IS NOT NULL))
);
CREATE INDEX webhook_inbox_failed_idx ON webhook_inbox (received_at) WHERE state = 'failed';
CREATE INDEX webhook_inbox_org_idx ON webhook_inbox (org_id, received_at);
COMMENT ON TABLE webhook_inbox IS
	'authenticated webhooks, one row per dedupe key, with the answer given; state failed is the dead-letter queue';

-- What receive_webhook and replay_event did with an event.
CREATE TYPE webhook_receipt AS (
	inbox_id bigint,
	http_status integer,
	answer jsonb,				-- the body to send back
	state text,					-- processed or failed
	duplicate boolean			-- the event had been processed before: nothing changed
);

-- Stores one webhook (payload: the JSON body; source: vapi, instantly or
-- cal), acts on it and returns the answer for the sender.
CREATE FUNCTION receive_webhook(source text, payload jsonb) RETURNS webhook_receipt
	AS 'MODULE_PATHNAME', 'vapi_pool_receive_webhook'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION receive_webhook(text, jsonb) IS
	'stores an authenticated webhook in the inbox, runs the SQL function it asks for and returns the sender''s answer; repeated deliveries get the first answer';

-- Runs a failed event again.
CREATE FUNCTION replay_event(id bigint) RETURNS webhook_receipt
	AS 'MODULE_PATHNAME', 'vapi_pool_replay_event'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION replay_event(bigint) IS
	'runs a failed inbox event (the dead-letter queue) again; an event already processed is refused';

-- For the shim's /metrics: how many events the inbox holds (the planner's
-- estimate: exact counting would scan it) and how many failed (exact, from
-- the partial index).
CREATE FUNCTION inbox_stats(OUT events bigint, OUT failed bigint, OUT oldest_failed_at timestamptz)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT greatest(c.reltuples, 0)::bigint, f.n, f.oldest
	FROM pg_catalog.pg_class c,
		 (SELECT count(*) AS n, min(received_at) AS oldest FROM vapi_pool.webhook_inbox WHERE state = 'failed') f
	WHERE c.oid = 'vapi_pool.webhook_inbox'::pg_catalog.regclass
$$;

-- ---------------------------------------------------------------- security

ALTER TABLE webhook_inbox ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
-- written by receive_webhook alone; members read their organisation's events
CREATE POLICY webhook_inbox_org_select ON webhook_inbox FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT ON webhook_inbox TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_inbox TO service_role;

REVOKE EXECUTE ON FUNCTION receive_webhook(text, jsonb), replay_event(bigint), inbox_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION receive_webhook(text, jsonb), replay_event(bigint), inbox_stats() TO service_role;

-- ---------------------------------------------------------------- retention

-- Deletes processed events received before now() - keep, oldest first, at
-- most batch_size of them; returns how many.  Failed events (the dead-letter
-- queue) stay until they are replayed.  A delivery of a purged event would
-- run again, so keep is at least a day: far longer than any sender retries.
CREATE FUNCTION purge_inbox(keep interval DEFAULT '30 days', batch_size integer DEFAULT 10000) RETURNS bigint
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	purged bigint;
BEGIN
	IF keep IS NULL OR keep < interval '1 day' THEN
		RAISE EXCEPTION 'inbox events must be kept at least one day, not %', coalesce(keep::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The inbox row is what makes a repeated delivery change nothing.';
	END IF;
	IF batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'batch_size must be at least 1'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- ids grow with time: the oldest rows come first in the primary key
	WITH doomed AS (
		SELECT i.id FROM vapi_pool.webhook_inbox i
		WHERE i.state = 'processed' AND i.received_at < pg_catalog.now() - keep
		ORDER BY i.id LIMIT batch_size
		FOR UPDATE SKIP LOCKED),
	gone AS (DELETE FROM vapi_pool.webhook_inbox i USING doomed d WHERE i.id = d.id RETURNING 1)
	SELECT count(*) INTO purged FROM gone;
	RETURN purged;
END
$$;
COMMENT ON FUNCTION purge_inbox(interval, integer) IS
	'deletes processed inbox events older than keep (at least a day), at most batch_size; failed events stay';

-- All of purge_inbox's batches, each committed, then those of purge_outbox
-- (140_dispatcher.sql: the outbox's done jobs): what the pg_cron job runs.
CREATE PROCEDURE purge_inbox_in_batches(keep interval DEFAULT '30 days', batch_size integer DEFAULT 10000)
	LANGUAGE plpgsql
	AS $$
BEGIN
	WHILE vapi_pool.purge_inbox(keep, batch_size) >= batch_size LOOP
		COMMIT;
	END LOOP;
	COMMIT;
	WHILE vapi_pool.purge_outbox(keep, batch_size) >= batch_size LOOP
		COMMIT;
	END LOOP;
END
$$;

-- Registers (or updates) the pg_cron job that purges the inbox.
CREATE FUNCTION schedule_inbox_purge(schedule text DEFAULT '30 3 * * *', keep interval DEFAULT '30 days')
	RETURNS TABLE (job_name text, job_id bigint, job_schedule text, command text)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The inbox is purged by a pg_cron job.',
				  HINT = 'Run CALL vapi_pool.purge_inbox_in_batches() from your own scheduler instead.';
	END IF;
	IF keep IS NULL OR keep < interval '1 day' THEN
		RAISE EXCEPTION 'inbox events must be kept at least one day, not %', coalesce(keep::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	job_name := 'vapi_pool.purge_inbox';
	job_schedule := schedule;
	command := pg_catalog.format('CALL vapi_pool.purge_inbox_in_batches(%L)', keep);
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, job_schedule, command;
	RETURN NEXT;
END
$$;

REVOKE EXECUTE ON FUNCTION purge_inbox(interval, integer), schedule_inbox_purge(text, interval) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE purge_inbox_in_batches(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_inbox(interval, integer) TO service_role;
GRANT EXECUTE ON PROCEDURE purge_inbox_in_batches(interval, integer) TO service_role;
