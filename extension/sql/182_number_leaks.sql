-- Numbers that leaked (release 0.6.0, issue 19 item 6).  A number lent for
-- a call that will never be placed, or for a call whose end-of-call report
-- never comes, was kept forever.  Now:
--
-- 1. A vapi.create_call job that ends dead (refused by Vapi, out of
--    attempts, unsendable at its claim) releases its assignment unless
--    something live still needs it (dispatch/dead_calls.c); the job's result
--    says what became of it.  outbox_replay of such a job lends the lead a
--    number again, or refuses clearly.
-- 2. A call that should have ended (call_max_duration after it started)
--    and still has no report call_report_grace later is looked up with
--    GET /call/{id}, a vapi.get_call job (pool/stale_calls.c); an ended call
--    is recorded as its report would be (dispatch/call_lookup.c).  When
--    Vapi has no answer either, call_report_give_up after the call should
--    have ended, the call is ended as unknown and its number released.
--    pg_cron runs the sweep every five minutes (schedule_maintenance).
--
-- Every statement here is a delta on 0.5.1: the install script and the
-- 0.5.1 -> 0.6.0 update script are both assembled from it.  The contract is
-- docs/dispatcher.md and docs/pool_engine.md.

-- ---------------------------------------------------------------- the lookup job

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_known,
	ADD CONSTRAINT outbox_kind_known CHECK (kind IN
		('vapi.create_call', 'vapi.sms', 'vapi.buy_number', 'cal.create_booking', 'cal.cancel_booking',
		 'vapi.get_call'));
COMMENT ON COLUMN outbox.result IS
	'what the vendor answered that matters: the call, chat, booking or number id; a call lookup''s status; '
	'for a create-call job that died, what became of its assignment ("assignment": "released" or "not released: <why>")';

-- A call's lookups, newest first (the sweep reads the last one).
CREATE INDEX outbox_call_lookup_idx ON outbox (org_id, (payload ->> 'call_id'), id) WHERE kind = 'vapi.get_call';
-- Calls that have not ended, oldest first (the sweep's candidates).
CREATE INDEX vapi_call_logs_open_idx ON vapi_call_logs (created_at) WHERE status <> 'ended';

-- The request of a vapi.get_call job: Vapi's call by its id.  (outbox_claim
-- asks it for that kind, outbox_request for the others.)
CREATE FUNCTION call_lookup_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN ROW('vapi', 'GET', '/call/' || url_encode(job.payload ->> 'call_id'), '{}'::jsonb, NULL::text,
		current_setting('vapi_pool.http_timeout_ms')::integer)::http_request;
COMMENT ON FUNCTION call_lookup_request(outbox) IS
	'the HTTP request of a vapi.get_call job: GET /call/{id} of the call whose end-of-call report never came';

-- ---------------------------------------------------------------- the sweep

-- Looks up the calls whose report is late and gives up on those Vapi has
-- no answer for either (pool/stale_calls.c); one row per call acted on.
CREATE FUNCTION reconcile_stale_calls(now timestamptz DEFAULT now(), batch_size integer DEFAULT 1000)
	RETURNS TABLE (org_id uuid, call_log_id uuid, vapi_call_id text, action text, outbox_id bigint, detail text)
	AS 'MODULE_PATHNAME', 'vapi_pool_reconcile_stale_calls'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION reconcile_stale_calls(timestamptz, integer) IS
	'calls with no end-of-call report: look_up (a vapi.get_call job) call_report_grace after they should have ended; '
	'give_up (ended as unknown, the number released) call_report_give_up after, when Vapi has no answer either';

-- Registers the housekeeping jobs with pg_cron, in this database: the
-- release of expired numbers (schedule) and the sweep of calls whose report
-- is late (every five minutes).  Idempotent: pg_cron replaces a job of the
-- same name scheduled by the same user.  Returns the jobs.
CREATE OR REPLACE FUNCTION schedule_maintenance(schedule text DEFAULT '0 3 * * *')
	RETURNS TABLE (job_name text, job_id bigint, job_schedule text, command text)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The release of expired numbers and the sweep of calls whose report is late run as pg_cron jobs.',
				  HINT = 'Add pg_cron to shared_preload_libraries and run CREATE EXTENSION pg_cron in the '
						 'database named by cron.database_name, or run CALL vapi_pool.release_expired_in_batches() '
						 'daily and SELECT vapi_pool.reconcile_stale_calls() every few minutes from your own scheduler.';
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
END
$$;
COMMENT ON FUNCTION schedule_maintenance(text) IS
	'registers the pg_cron jobs vapi_pool.release_expired (on schedule) and vapi_pool.reconcile_stale_calls (every five minutes)';

COMMENT ON FUNCTION outbox_replay(bigint) IS
	'put a dead job back (pending, due now, attempts reset); 55000 unless it is dead; a create-call job is refused '
	'when its lead opted out or is being called, and is lent a number again when its own was released';

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION call_lookup_request(outbox), reconcile_stale_calls(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION call_lookup_request(outbox), reconcile_stale_calls(timestamptz, integer) TO service_role;
