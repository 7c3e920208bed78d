-- vapi_pool 0.2.0 -> 0.3.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- The number-pool engine (release 0.3.0): assignment, inbound routing, call
-- outcomes, retries and release (seed 000, WF1 step 3, WF2, WF4, WF5, WF6).
-- The functions are C (pool_assign.c, pool_release.c, route_inbound.c,
-- call_outcome.c); this part adds the state they keep and declares them.
--
-- Every engine function runs with the caller's rights, so row level security
-- applies to a signed-in caller; it is meant for service_role (the shim and
-- pg_cron), which bypasses RLS.  Each sets its search_path, so its queries
-- and the e164 operators they use never depend on the caller's.

-- ---------------------------------------------------------------- state

-- A number asked to retire while a lead holds it: it takes no new lead and
-- retires when its assignment is released ("draining").
ALTER TABLE vapi_number_pool ADD COLUMN retire_requested_at timestamptz;
ALTER TABLE vapi_number_pool ADD CONSTRAINT vapi_number_pool_draining
	CHECK (retire_requested_at IS NULL OR status = 'assigned');
COMMENT ON COLUMN vapi_number_pool.retire_requested_at IS
	'set while an assigned number drains: it retires when its assignment is released';

-- Fair reuse picks the number released longest ago; the number itself breaks
-- ties (never-released numbers), so the choice is deterministic and the index
-- gives it without a sort.
DROP INDEX vapi_number_pool_available_idx;
CREATE INDEX vapi_number_pool_available_idx ON vapi_number_pool
	(org_id, broker_id, last_released_at NULLS FIRST, number) WHERE status = 'available';

-- A number's assignments, newest first: routing a broker's call to the
-- number's last lead when no lead holds it.
CREATE INDEX vapi_number_assignments_number_idx ON vapi_number_assignments (org_id, pool_number_id, booked_at DESC);

-- The exhausted-pool path releases one broker's overdue assignments.
CREATE INDEX vapi_number_assignments_broker_release_idx ON vapi_number_assignments (org_id, broker_id, release_at)
	WHERE status = 'call_completed';

-- What the engine concluded about a call, the report it came from (without
-- the transcript, which is stored redacted), sequential-ring state, and a
-- flag for reports that need a person.
ALTER TABLE vapi_call_logs
	ADD COLUMN outcome text CONSTRAINT vapi_call_logs_outcome_known CHECK (outcome IN ('answered', 'no_answer', 'provider_error')),
	ADD COLUMN transfer_attempts integer NOT NULL DEFAULT 0
		CONSTRAINT vapi_call_logs_transfer_attempts_nonnegative CHECK (transfer_attempts >= 0),
	ADD COLUMN review_reason text,
	ADD COLUMN ended_report jsonb;
CREATE INDEX vapi_call_logs_review_idx ON vapi_call_logs (org_id, created_at) WHERE review_reason IS NOT NULL;
COMMENT ON COLUMN vapi_call_logs.outcome IS 'classify_ended_reason(ended_reason): answered, no_answer or provider_error';
COMMENT ON COLUMN vapi_call_logs.transfer_attempts IS 'transfer destinations handed out for this call (sequential ring)';
COMMENT ON COLUMN vapi_call_logs.review_reason IS 'why a person should look at this call; NULL when nothing is wrong';
COMMENT ON COLUMN vapi_call_logs.ended_report IS 'the end-of-call report as received, without its transcript and messages';

-- What the retries of an organisation's calls say and do.
ALTER TABLE orgs
	ADD COLUMN voicemail_message text,
	ADD COLUMN sms_when_unreachable boolean NOT NULL DEFAULT false,
	ADD COLUMN unreachable_sms_text text;
GRANT UPDATE (voicemail_message, sms_when_unreachable, unreachable_sms_text) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.voicemail_message IS 'left by retry calls when voicemail detection finds a machine';
COMMENT ON COLUMN orgs.sms_when_unreachable IS 'send unreachable_sms_text by SMS after the last failed attempt';

-- ---------------------------------------------------------------- the outbox

-- Every outbound HTTP job (create a call, send an SMS, book on Cal.com...),
-- written in the same transaction as the decision that needs it, so a
-- rolled-back decision sends nothing.  The dispatcher claims, completes and
-- fails jobs; retry calls scheduled by record_call_ended are jobs here too.
CREATE TABLE outbox (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id bigint GENERATED ALWAYS AS IDENTITY,
	kind text NOT NULL CONSTRAINT outbox_kind_known CHECK (kind IN
		('vapi.create_call', 'vapi.sms', 'vapi.buy_number', 'cal.create_booking', 'cal.cancel_booking')),
	payload jsonb NOT NULL CONSTRAINT outbox_payload_object CHECK (jsonb_typeof(payload) = 'object'),
	idempotency_key text NOT NULL CONSTRAINT outbox_idempotency_key_present CHECK (idempotency_key <> ''),
	run_at timestamptz NOT NULL DEFAULT now(),
	state text NOT NULL DEFAULT 'pending'
		CONSTRAINT outbox_state_known CHECK (state IN ('pending', 'in_flight', 'done', 'dead')),
	attempts integer NOT NULL DEFAULT 0 CONSTRAINT outbox_attempts_nonnegative CHECK (attempts >= 0),
	max_attempts integer NOT NULL DEFAULT 10 CONSTRAINT outbox_max_attempts_positive CHECK (max_attempts >= 1),
	lease_expires_at timestamptz,
	last_http_status integer,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT outbox_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT outbox_idempotency_key_key UNIQUE (org_id, idempotency_key)
);
CREATE INDEX outbox_due_idx ON outbox (run_at) WHERE state = 'pending';
CREATE TRIGGER outbox_touch_updated_at BEFORE UPDATE ON outbox
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE outbox IS 'outbound HTTP jobs queued by the database, delivered by the dispatcher';

-- End-of-call reports whose call id is unknown and whose number names no
-- organisation: kept for an operator, never dropped.  There is no tenant to
-- give them to, so only service_role (BYPASSRLS) sees them.
CREATE TABLE unmatched_call_reports (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	vapi_call_id text NOT NULL CONSTRAINT unmatched_call_reports_vapi_call_id_key UNIQUE,
	ended_reason text,
	received_at timestamptz NOT NULL DEFAULT now(),
	transcript text,
	summary text,
	report jsonb
);
CREATE TRIGGER zz_unmatched_call_reports_redact_pii BEFORE INSERT OR UPDATE ON unmatched_call_reports
	FOR EACH ROW EXECUTE FUNCTION redact_call_log();
COMMENT ON TABLE unmatched_call_reports IS
	'end-of-call reports for calls no organisation knows; operator-only (no tenant to show them to)';

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_org_select ON outbox FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
ALTER TABLE unmatched_call_reports ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT ON outbox TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox, unmatched_call_reports TO service_role;

-- ---------------------------------------------------------------- result types

-- What route_inbound decided for a call to a pool number.
CREATE TYPE inbound_route AS (
	action text,				-- forward_to_broker, forward_to_lead or assistant
	destinations e164[],		-- in ring order; empty for assistant
	org_id uuid,
	lead_id uuid,
	broker_id uuid,
	assignment_id uuid,
	pool_number_id uuid,
	direction text				-- how the call is logged in vapi_call_logs
);

-- What record_call_ended did with a report.
CREATE TYPE call_ended AS (
	call_log_id uuid,			-- NULL when the report went to unmatched_call_reports
	org_id uuid,
	outcome text,				-- answered, no_answer, provider_error
	next_attempt_at timestamptz,	-- the retry call queued, if any
	next_attempt integer,
	lead_status text,
	review_reason text,
	duplicate boolean			-- the call had already ended: nothing changed
);

-- ---------------------------------------------------------------- functions

-- An end-of-call report (the whole body or its "message") without the parts
-- that carry what was said: the transcript and messages, stored redacted in
-- their own columns, and the summary.  What is left (costs, analysis,
-- numbers, timings) is kept as received.
CREATE FUNCTION strip_call_report(report jsonb) RETURNS jsonb
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	-- one expression without FROM, so that the planner inlines it
	AS $$
SELECT CASE
	WHEN report IS NULL THEN NULL
	WHEN pg_catalog.jsonb_typeof(report) <> 'object' THEN pg_catalog.jsonb_build_object('unparsed', report)
	WHEN pg_catalog.jsonb_typeof(report -> 'message') = 'object'
		THEN report -> 'message' #- '{artifact,transcript}' #- '{artifact,messages}'
			 #- '{artifact,messagesOpenAIFormatted}' #- '{transcript}' #- '{messages}' #- '{summary}'
			 #- '{analysis,summary}'
	ELSE report #- '{artifact,transcript}' #- '{artifact,messages}' #- '{artifact,messagesOpenAIFormatted}'
		 #- '{transcript}' #- '{messages}' #- '{summary}' #- '{analysis,summary}'
	END
$$;

-- Classifies a Vapi endedReason: answered, no_answer (the lead did not pick
-- up: counts as an attempt) or provider_error (not the lead's fault: retried
-- without counting).  See docs/pool_engine.md for the names and prefixes.
CREATE FUNCTION classify_ended_reason(ended_reason text) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_classify_ended_reason'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Lends a number of the lead's broker's pool to the lead; idempotent.
CREATE FUNCTION assign_number(lead_id uuid) RETURNS vapi_number_assignments
	AS 'MODULE_PATHNAME', 'vapi_pool_assign_number'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- Adds a number to a broker's pool (or brings a retired one back).
CREATE FUNCTION add_pool_number(broker_id uuid, number e164, vapi_phone_number_id text DEFAULT NULL)
	RETURNS vapi_number_pool
	AS 'MODULE_PATHNAME', 'vapi_pool_add_pool_number'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- Retires a number now, or drains it if a lead holds it.
CREATE FUNCTION retire_pool_number(number e164) RETURNS vapi_number_pool
	AS 'MODULE_PATHNAME', 'vapi_pool_retire_pool_number'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- Releases every call_completed assignment whose release_at has passed,
-- batch_size at a time (at most max_batches batches; NULL: all); returns how
-- many it released.
CREATE FUNCTION release_expired(now timestamptz DEFAULT now(), batch_size integer DEFAULT 1000,
		max_batches integer DEFAULT NULL)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'vapi_pool_release_expired'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- The same, committing after every batch, so a backlog never holds its locks
-- for long: what the pg_cron job calls.  CALL it outside a transaction block.
CREATE PROCEDURE release_expired_in_batches(batch_size integer DEFAULT 1000)
	LANGUAGE plpgsql
	AS $$
DECLARE
	released integer;
BEGIN
	LOOP
		released := vapi_pool.release_expired(pg_catalog.clock_timestamp(), batch_size, 1);
		COMMIT;
		EXIT WHEN released < batch_size;
	END LOOP;
END
$$;

-- Decides where a call to a pool number goes.  With vapi_call_id, the call
-- is also logged (once) in vapi_call_logs.
CREATE FUNCTION route_inbound(called e164, caller e164, vapi_call_id text DEFAULT NULL)
	RETURNS inbound_route
	AS 'MODULE_PATHNAME', 'vapi_pool_route_inbound'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- Sequential ring: the next number to try for this call, NULL when none is left.
CREATE FUNCTION next_transfer_destination(vapi_call_id text, called e164, caller e164) RETURNS e164
	AS 'MODULE_PATHNAME', 'vapi_pool_next_transfer_destination'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- An outbound call Vapi accepted: logs it against its assignment, so its
-- end-of-call report finds it.  Idempotent on vapi_call_id.
CREATE FUNCTION record_call_placed(assignment_id uuid, vapi_call_id text, attempt integer DEFAULT 1)
	RETURNS vapi_call_logs
	AS 'MODULE_PATHNAME', 'vapi_pool_record_call_placed'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- An end-of-call report: logs it, holds the number for hold_after_call,
-- schedules the retry of an unanswered call.  Idempotent.
CREATE FUNCTION record_call_ended(vapi_call_id text, ended_reason text, started_at timestamptz,
		ended_at timestamptz, duration_seconds numeric, recording_url text, transcript text,
		summary text, cost numeric, raw jsonb)
	RETURNS call_ended
	AS 'MODULE_PATHNAME', 'vapi_pool_record_call_ended'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;

-- A draining number that is freed retires instead of becoming available:
-- one rule for every way a number is freed (release_expired, the
-- exhausted-pool path, a deleted lead).
CREATE FUNCTION retire_drained_number() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
BEGIN
	NEW.status := 'retired';
	NEW.retired_at := pg_catalog.now();
	NEW.retire_requested_at := NULL;
	RETURN NEW;
END
$$;
CREATE TRIGGER vapi_number_pool_retire_drained BEFORE UPDATE ON vapi_number_pool
	FOR EACH ROW WHEN (NEW.status = 'available' AND NEW.retire_requested_at IS NOT NULL)
	EXECUTE FUNCTION retire_drained_number();

-- An unreleased assignment whose row goes (its lead was deleted) gives its
-- number back, instead of leaving it assigned to nobody.
CREATE FUNCTION free_number_of_deleted_assignment() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	UPDATE vapi_pool.vapi_number_pool SET status = 'available', last_released_at = pg_catalog.now()
	 WHERE org_id = OLD.org_id AND id = OLD.pool_number_id AND status = 'assigned';
	RETURN NULL;
END
$$;
CREATE TRIGGER vapi_number_assignments_free_number AFTER DELETE ON vapi_number_assignments
	FOR EACH ROW WHEN (OLD.status <> 'released') EXECUTE FUNCTION free_number_of_deleted_assignment();

-- ---------------------------------------------------------------- pool_status

-- Per broker: the pool's size and use.  pressure is the share of the pool's
-- numbers held by leads (1 = exhausted).
CREATE VIEW pool_status AS
SELECT b.org_id, b.id AS broker_id, b.name AS broker_name, b.number_pool_active,
	   b.number_pool_size AS target_size,
	   coalesce(p.size, 0) AS size,
	   coalesce(p.available, 0) AS available,
	   coalesce(a.booked, 0) AS booked,
	   coalesce(a.call_completed, 0) AS call_completed,
	   coalesce(p.draining, 0) AS draining,
	   coalesce(p.retired, 0) AS retired,
	   a.oldest_hold,
	   a.next_release_at,
	   CASE WHEN coalesce(p.size, 0) = 0 THEN NULL
			ELSE round((p.size - p.available)::numeric / p.size, 3) END AS pressure
FROM brokers b
LEFT JOIN LATERAL (
	SELECT count(*) FILTER (WHERE status <> 'retired') AS size,
		   count(*) FILTER (WHERE status = 'available') AS available,
		   count(*) FILTER (WHERE retire_requested_at IS NOT NULL) AS draining,
		   count(*) FILTER (WHERE status = 'retired') AS retired
	FROM vapi_number_pool n WHERE n.org_id = b.org_id AND n.broker_id = b.id) p ON true
LEFT JOIN LATERAL (
	SELECT count(*) FILTER (WHERE status = 'booked') AS booked,
		   count(*) FILTER (WHERE status = 'call_completed') AS call_completed,
		   min(booked_at) AS oldest_hold,
		   min(release_at) AS next_release_at
	FROM vapi_number_assignments x
	WHERE x.org_id = b.org_id AND x.broker_id = b.id AND x.status <> 'released') a ON true;
COMMENT ON VIEW pool_status IS 'per broker: pool size, available, booked, call_completed, draining, oldest hold, pressure';

DO $view$
BEGIN
	IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
		ALTER VIEW vapi_pool.pool_status SET (security_invoker = true);
		GRANT SELECT ON vapi_pool.pool_status TO authenticated;
	END IF;
	GRANT SELECT ON vapi_pool.pool_status TO service_role;
END
$view$;

-- ---------------------------------------------------------------- pg_cron

-- Registers the housekeeping jobs with pg_cron, in this database.  pg_cron
-- can only be created in its cron.database_name, so finding it here means
-- this is the database its jobs run in.  Idempotent: pg_cron replaces a job
-- of the same name scheduled by the same user.  Returns the jobs.
CREATE FUNCTION schedule_maintenance(schedule text DEFAULT '0 3 * * *')
	RETURNS TABLE (job_name text, job_id bigint, job_schedule text, command text)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The release of expired numbers runs as a pg_cron job.',
				  HINT = 'Add pg_cron to shared_preload_libraries and run CREATE EXTENSION pg_cron in the '
						 'database named by cron.database_name, or run CALL vapi_pool.release_expired_in_batches() '
						 'from your own scheduler.';
	END IF;
	job_name := 'vapi_pool.release_expired';
	job_schedule := schedule;
	command := 'CALL vapi_pool.release_expired_in_batches()';
	-- pg_cron's functions always live in schema cron; EXECUTE, because they
	-- do not exist when this extension is created without pg_cron.
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, job_schedule, command;
	RETURN NEXT;
END
$$;

-- ---------------------------------------------------------------- privileges

-- The engine is the service's: signed-in users manage their pool and read it.
REVOKE EXECUTE ON FUNCTION assign_number(uuid), release_expired(timestamptz, integer, integer),
	route_inbound(e164, e164, text), next_transfer_destination(text, e164, e164),
	record_call_placed(uuid, text, integer),
	record_call_ended(text, text, timestamptz, timestamptz, numeric, text, text, text, numeric, jsonb),
	schedule_maintenance(text), add_pool_number(uuid, e164, text), retire_pool_number(e164)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE release_expired_in_batches(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION assign_number(uuid), release_expired(timestamptz, integer, integer),
	route_inbound(e164, e164, text), next_transfer_destination(text, e164, e164),
	record_call_placed(uuid, text, integer),
	record_call_ended(text, text, timestamptz, timestamptz, numeric, text, text, text, numeric, jsonb),
	add_pool_number(uuid, e164, text), retire_pool_number(e164)
	TO service_role;
GRANT EXECUTE ON PROCEDURE release_expired_in_batches(integer) TO service_role;
GRANT EXECUTE ON FUNCTION add_pool_number(uuid, e164, text), retire_pool_number(e164) TO authenticated;
