-- bench/pool/baseline.sql: the baseline of bench/pool_bench.sh.
--
-- The number-pool engine's steps (seed 000 WF1 step 3, WF2, WF4, WF5, WF6)
-- written the straightforward way in plain PL/pgSQL, in schema
-- bench_baseline, on the SAME vapi_pool tables, with the same semantics as
-- the C functions of extension/pool/pool_assign.c, pool_release.c,
-- route_inbound.c and call_outcome.c:
--   assign_number(lead_id)            lock the lead FOR NO KEY UPDATE; re-book
--                                     its unreleased assignment if it has one;
--                                     else claim the broker's free number
--                                     released longest ago (the number breaks
--                                     ties) FOR UPDATE SKIP LOCKED, insert the assignment, mark the
--                                     number assigned, link the lead; if none
--                                     is free, release the broker's overdue
--                                     assignments and try once more; else
--                                     error 53000.
--   record_call_placed(...)           log the outbound call; idempotent.
--   record_call_ended(...)            end the log (outcome, ended fields,
--                                     stripped report), hold the assignment
--                                     (call_completed, release_at = ended_at +
--                                     vapi_pool.hold_after_call), lead status
--                                     (connected / unreachable / calling).
--                                     Retries: a no-answer call under
--                                     vapi_pool.max_call_attempts queues its
--                                     retry in vapi_pool.outbox after the
--                                     default backoff (1h, then 4h) WITHOUT the
--                                     calling-window adjustment, and the hold
--                                     runs from the retry time; provider-error
--                                     retries, review flags, gap filling of
--                                     duplicate reports and the org lookup of
--                                     unknown call ids are left out (the
--                                     benchmark does not exercise them).
--   release_expired(now, batch_size)  batches of one set-based statement each
--                                     (FOR NO KEY UPDATE ... SKIP LOCKED),
--                                     walking forward in release_at, until a
--                                     batch comes back short.
--   release_expired_in_batches(n)     the same, committing after each batch.
--   route_inbound(called, caller, vapi_call_id)  the same decisions, logging
--                                     the call once when a call id is given.
-- It is written as a competent PL/pgSQL author would write it, not to be
-- slow: set-based statements, the same indexes, cached plans.  Where the C
-- engine's statements were changed to avoid a planner or index trap (the
-- forward walk of release batches, IS DISTINCT FROM in the hold update), the
-- baseline does the same, so that the comparison is between C and PL/pgSQL
-- running the same SQL.
\set ON_ERROR_STOP on
CREATE SCHEMA bench_baseline;

-- ---------------------------------------------------------------- helpers

CREATE FUNCTION bench_baseline.classify_ended_reason(reason text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT
	AS $$
SELECT CASE
	WHEN reason = '' THEN NULL
	WHEN reason IN ('customer-did-not-answer', 'customer-busy', 'voicemail',
					'call.forwarding.no-answer', 'call.forwarding.operator-busy')
	  OR reason ~ 'sip-(408|480|486|487|603)-' THEN 'no_answer'
	WHEN reason ~ '^(twilio-failed-to-connect-call|vonage-|telnyx-failed-to-connect-call|call\.start\.error-|call\.in-progress\.error-|pipeline-error-|phone-call-provider-)'
	  OR reason ~ '(providerfault|vapifault)' THEN 'provider_error'
	ELSE 'answered' END
$$;

-- ---------------------------------------------------------------- release

-- One batch: up to batch_size overdue assignments whose release_at is at or
-- after from_at (of one broker when broker_id is given); returns how many were
-- released and the last release_at released.  Batches walk forward in
-- release_at, as the C engine's do: in one transaction, restarting every
-- batch at the start of the index would step over the entries of all rows
-- released before (they cannot be pruned before the commit).
CREATE FUNCTION bench_baseline.release_batch(now timestamptz, batch_size integer,
		from_at timestamptz DEFAULT '-infinity', org_id uuid DEFAULT NULL, broker_id uuid DEFAULT NULL,
		OUT released integer, OUT last_release_at timestamptz)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF release_batch.broker_id IS NULL THEN
		WITH due AS (
			SELECT a.org_id, a.id, a.pool_number_id, a.lead_id
			FROM vapi_number_assignments a
			JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
			WHERE a.status = 'call_completed' AND a.release_at < release_batch.now
			  AND a.release_at >= release_batch.from_at
			ORDER BY a.release_at LIMIT batch_size
			FOR NO KEY UPDATE OF a, l SKIP LOCKED),
		done AS (
			UPDATE vapi_number_assignments a SET status = 'released', released_at = pg_catalog.now()
			FROM due WHERE a.org_id = due.org_id AND a.id = due.id
			RETURNING a.org_id, a.id, a.pool_number_id, a.lead_id, a.release_at),
		freed AS (
			UPDATE vapi_number_pool p
			SET status = CASE WHEN p.retire_requested_at IS NULL THEN 'available' ELSE 'retired' END,
				retired_at = CASE WHEN p.retire_requested_at IS NULL THEN NULL ELSE pg_catalog.now() END,
				retire_requested_at = NULL, last_released_at = pg_catalog.now()
			FROM done r WHERE p.org_id = r.org_id AND p.id = r.pool_number_id AND p.status = 'assigned'),
		unlinked AS (
			UPDATE leads l SET vapi_assignment_id = NULL FROM done r
			WHERE l.org_id = r.org_id AND l.id = r.lead_id AND l.vapi_assignment_id = r.id)
		SELECT count(*), max(done.release_at) INTO released, last_release_at FROM done;
	ELSE
		WITH due AS (
			SELECT a.org_id, a.id, a.pool_number_id, a.lead_id
			FROM vapi_number_assignments a
			JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
			WHERE a.status = 'call_completed' AND a.release_at < release_batch.now
			  AND a.release_at >= release_batch.from_at
			  AND a.org_id = release_batch.org_id AND a.broker_id = release_batch.broker_id
			ORDER BY a.release_at LIMIT batch_size
			FOR NO KEY UPDATE OF a, l SKIP LOCKED),
		done AS (
			UPDATE vapi_number_assignments a SET status = 'released', released_at = pg_catalog.now()
			FROM due WHERE a.org_id = due.org_id AND a.id = due.id
			RETURNING a.org_id, a.id, a.pool_number_id, a.lead_id, a.release_at),
		freed AS (
			UPDATE vapi_number_pool p
			SET status = CASE WHEN p.retire_requested_at IS NULL THEN 'available' ELSE 'retired' END,
				retired_at = CASE WHEN p.retire_requested_at IS NULL THEN NULL ELSE pg_catalog.now() END,
				retire_requested_at = NULL, last_released_at = pg_catalog.now()
			FROM done r WHERE p.org_id = r.org_id AND p.id = r.pool_number_id AND p.status = 'assigned'),
		unlinked AS (
			UPDATE leads l SET vapi_assignment_id = NULL FROM done r
			WHERE l.org_id = r.org_id AND l.id = r.lead_id AND l.vapi_assignment_id = r.id)
		SELECT count(*), max(done.release_at) INTO released, last_release_at FROM done;
	END IF;
END
$$;

CREATE FUNCTION bench_baseline.release_expired(now timestamptz DEFAULT now(), batch_size integer DEFAULT 1000)
	RETURNS integer
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	total integer := 0;
	b record;
	from_at timestamptz := '-infinity';
BEGIN
	IF batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'batch_size must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	LOOP
		b := bench_baseline.release_batch(release_expired.now, batch_size, from_at);
		total := total + b.released;
		EXIT WHEN b.released < batch_size;
		from_at := b.last_release_at;
	END LOOP;
	RETURN total;
END
$$;

CREATE PROCEDURE bench_baseline.release_expired_in_batches(batch_size integer DEFAULT 1000)
	LANGUAGE plpgsql
	AS $$
DECLARE
	n integer;
BEGIN
	LOOP
		n := (bench_baseline.release_batch(clock_timestamp(), batch_size)).released;
		COMMIT;
		EXIT WHEN n < batch_size;
	END LOOP;
END
$$;

-- ---------------------------------------------------------------- assign

CREATE FUNCTION bench_baseline.assign_number(lead_id uuid) RETURNS vapi_pool.vapi_number_assignments
	LANGUAGE plpgsql VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	lead record;
	result vapi_number_assignments;
	number_id uuid;
BEGIN
	SELECT l.org_id, l.broker_id, b.name AS broker_name, b.number_pool_active
	  INTO lead
	  FROM leads l LEFT JOIN brokers b ON b.org_id = l.org_id AND b.id = l.broker_id
	 WHERE l.id = assign_number.lead_id
	   FOR NO KEY UPDATE OF l;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lead % does not exist', assign_number.lead_id USING ERRCODE = 'no_data_found';
	END IF;
	IF lead.broker_id IS NULL THEN
		RAISE EXCEPTION 'lead % has no broker', assign_number.lead_id
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	IF NOT coalesce(lead.number_pool_active, false) THEN
		RAISE EXCEPTION 'number pool of broker "%" is not active', lead.broker_name
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;

	-- a lead that holds a number gets it back; the hold starts again
	UPDATE vapi_number_assignments a
	   SET status = 'booked', release_at = NULL, booked_at = now()
	 WHERE a.org_id = lead.org_id AND a.lead_id = assign_number.lead_id AND a.status <> 'released'
	RETURNING * INTO result;
	IF FOUND THEN
		RETURN result;
	END IF;

	FOR attempt IN 1 .. 2 LOOP
		SELECT p.id INTO number_id
		  FROM vapi_number_pool p
		 WHERE p.org_id = lead.org_id AND p.broker_id = lead.broker_id AND p.status = 'available'
		 ORDER BY p.last_released_at NULLS FIRST, p.number
		 LIMIT 1
		   FOR UPDATE SKIP LOCKED;
		IF FOUND THEN
			UPDATE vapi_number_pool SET status = 'assigned', last_assigned_at = now()
			 WHERE org_id = lead.org_id AND id = number_id;
			INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id)
			VALUES (lead.org_id, number_id, lead.broker_id, assign_number.lead_id)
			RETURNING * INTO result;
			UPDATE leads SET vapi_assignment_id = result.id
			 WHERE org_id = lead.org_id AND id = assign_number.lead_id;
			RETURN result;
		END IF;
		EXIT WHEN attempt = 2;
		-- the pool is empty: free what is overdue, then try again
		PERFORM bench_baseline.release_batch(transaction_timestamp(), 1000, '-infinity', lead.org_id, lead.broker_id);
	END LOOP;
	RAISE EXCEPTION 'number pool of broker "%" is exhausted', lead.broker_name
		USING ERRCODE = 'insufficient_resources';
END
$$;

-- ---------------------------------------------------------------- calls

CREATE FUNCTION bench_baseline.record_call_placed(assignment_id uuid, vapi_call_id text, attempt integer DEFAULT 1)
	RETURNS vapi_pool.vapi_call_logs
	LANGUAGE plpgsql VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	result vapi_call_logs;
BEGIN
	IF vapi_call_id = '' THEN
		RAISE EXCEPTION 'vapi_call_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF attempt < 1 THEN
		RAISE EXCEPTION 'attempt must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO vapi_call_logs (org_id, lead_id, broker_id, assignment_id, vapi_call_id, direction, status,
								from_e164, to_e164, attempt)
	SELECT a.org_id, a.lead_id, a.broker_id, a.id, record_call_placed.vapi_call_id, 'outbound_to_lead', 'queued',
		   p.number, l.primary_phone_e164, record_call_placed.attempt
	  FROM vapi_number_assignments a
	  JOIN vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
	  JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
	 WHERE a.id = record_call_placed.assignment_id
	ON CONFLICT ON CONSTRAINT vapi_call_logs_vapi_call_id_key DO NOTHING
	RETURNING * INTO result;
	IF FOUND THEN
		RETURN result;
	END IF;
	SELECT * INTO result FROM vapi_call_logs c
	 WHERE c.vapi_call_id = record_call_placed.vapi_call_id AND c.assignment_id = record_call_placed.assignment_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'assignment % does not exist, or call % is logged for another assignment',
			assignment_id, vapi_call_id USING ERRCODE = 'no_data_found';
	END IF;
	RETURN result;
END
$$;

CREATE FUNCTION bench_baseline.record_call_ended(vapi_call_id text, ended_reason text, started_at timestamptz,
		ended_at timestamptz, duration_seconds numeric, recording_url text, transcript text,
		summary text, cost numeric, raw jsonb)
	RETURNS vapi_pool.call_ended
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	ended timestamptz := coalesce(record_call_ended.ended_at, transaction_timestamp());
	outcome text := bench_baseline.classify_ended_reason(record_call_ended.ended_reason);
	hold interval := coalesce(nullif(current_setting('vapi_pool.hold_after_call', true), '')::interval,
							  interval '24 hours');
	max_attempts integer := coalesce(nullif(current_setting('vapi_pool.max_call_attempts', true), '')::integer, 3);
	c record;
	r vapi_pool.call_ended;
	next_at timestamptz;
	may_be_called boolean;
BEGIN
	IF vapi_call_id IS NULL OR vapi_call_id = '' THEN
		RAISE EXCEPTION 'vapi_call_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF started_at > ended THEN
		RAISE EXCEPTION 'call % ended before it started', vapi_call_id USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF duration_seconds < 0 OR cost < 0 THEN
		RAISE EXCEPTION 'duration_seconds and cost must not be negative' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	r.outcome := outcome;
	r.duplicate := false;

	SELECT l.org_id, l.id, l.status, l.direction, l.assignment_id, l.lead_id, l.attempt, l.outcome,
		   ld.status AS lead_status
	  INTO c
	  FROM vapi_call_logs l
	  LEFT JOIN leads ld ON ld.org_id = l.org_id AND ld.id = l.lead_id
	 WHERE l.vapi_call_id = record_call_ended.vapi_call_id
	   FOR NO KEY UPDATE OF l;
	IF NOT FOUND THEN
		-- unknown call (simplified: kept for an operator, no organisation lookup)
		INSERT INTO unmatched_call_reports (vapi_call_id, ended_reason, transcript, summary, report)
		VALUES (vapi_call_id, ended_reason, transcript, summary, strip_call_report(raw))
		ON CONFLICT ON CONSTRAINT unmatched_call_reports_vapi_call_id_key DO NOTHING;
		r.review_reason := 'unknown call id';
		RETURN r;
	END IF;
	r.call_log_id := c.id;
	r.org_id := c.org_id;
	r.lead_status := c.lead_status;
	IF c.status = 'ended' THEN
		r.outcome := c.outcome;
		r.duplicate := true;
		RETURN r;
	END IF;

	UPDATE vapi_call_logs l
	   SET status = 'ended', ended_reason = record_call_ended.ended_reason,
		   started_at = coalesce(record_call_ended.started_at, l.started_at), ended_at = ended,
		   duration_seconds = coalesce(record_call_ended.duration_seconds,
				round(extract(epoch FROM ended - coalesce(record_call_ended.started_at, l.started_at)), 3)),
		   recording_url = record_call_ended.recording_url, transcript = record_call_ended.transcript,
		   summary = record_call_ended.summary, cost = record_call_ended.cost, outcome = r.outcome,
		   ended_report = strip_call_report(raw)
	 WHERE l.org_id = c.org_id AND l.id = c.id;

	may_be_called := c.lead_status IN ('new', 'call_requested', 'calling');
	IF c.direction = 'outbound_to_lead' AND c.assignment_id IS NOT NULL AND c.lead_id IS NOT NULL
	   AND may_be_called AND r.outcome = 'no_answer' AND c.attempt < max_attempts THEN
		next_at := ended + CASE WHEN c.attempt + 1 <= 2 THEN interval '1 hour' ELSE interval '4 hours' END;
	END IF;

	IF c.assignment_id IS NOT NULL THEN
		-- IS DISTINCT FROM rather than <>, as in the C engine: it keeps the
		-- partial indexes on unreleased assignments out of the generic plan
		UPDATE vapi_number_assignments a
		   SET status = 'call_completed', last_call_at = greatest(a.last_call_at, ended),
			   release_at = greatest(a.release_at, greatest(ended, next_at) + hold)
		 WHERE a.org_id = c.org_id AND a.id = c.assignment_id AND a.status IS DISTINCT FROM 'released';
		IF NOT FOUND THEN
			next_at := NULL;
		END IF;
	END IF;

	IF next_at IS NOT NULL THEN
		INSERT INTO outbox (org_id, kind, payload, idempotency_key, run_at)
		SELECT a.org_id, 'vapi.create_call',
			   jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id,
					'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number,
					'customer_number', l.primary_phone_e164, 'customer_name', l.name,
					'attempt', c.attempt + 1, 'voicemail_message', o.voicemail_message,
					'retry_of', vapi_call_id),
			   'retry-of:' || vapi_call_id, next_at
		  FROM vapi_number_assignments a
		  JOIN vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
		  JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
		  JOIN orgs o ON o.org_id = a.org_id
		 WHERE a.org_id = c.org_id AND a.id = c.assignment_id AND l.primary_phone_e164 IS NOT NULL
		ON CONFLICT ON CONSTRAINT outbox_idempotency_key_key DO NOTHING;
		IF FOUND THEN
			r.next_attempt_at := next_at;
			r.next_attempt := c.attempt + 1;
			UPDATE leads SET status = 'calling'
			 WHERE org_id = c.org_id AND id = c.lead_id AND status IN ('new', 'call_requested');
			IF FOUND THEN
				r.lead_status := 'calling';
			END IF;
			RETURN r;
		END IF;
	END IF;

	IF c.lead_id IS NOT NULL AND r.outcome = 'answered' THEN
		UPDATE leads SET status = 'connected'
		 WHERE org_id = c.org_id AND id = c.lead_id AND status IN ('new', 'call_requested', 'calling', 'unreachable');
		IF FOUND THEN
			r.lead_status := 'connected';
		END IF;
	ELSIF c.lead_id IS NOT NULL AND r.outcome = 'no_answer' AND c.direction = 'outbound_to_lead' AND may_be_called THEN
		UPDATE leads SET status = 'unreachable'
		 WHERE org_id = c.org_id AND id = c.lead_id AND status IN ('new', 'call_requested', 'calling');
		IF FOUND THEN
			r.lead_status := 'unreachable';
		END IF;
	END IF;
	RETURN r;
END
$$;

-- ---------------------------------------------------------------- routing

CREATE FUNCTION bench_baseline.route_inbound(called vapi_pool.e164, caller vapi_pool.e164, vapi_call_id text DEFAULT NULL)
	RETURNS vapi_pool.inbound_route
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	s record;
	r vapi_pool.inbound_route;
	lead_phone e164;
BEGIN
	IF called IS NULL THEN
		RAISE EXCEPTION 'the called number must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF vapi_call_id = '' THEN
		RAISE EXCEPTION 'vapi_call_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	r.action := 'assistant';
	r.direction := 'inbound_unknown';
	r.destinations := '{}';

	SELECT p.org_id, p.id AS pool_number_id, p.broker_id, b.primary_phone_e164 AS broker1,
		   b.secondary_phone_e164 AS broker2, a.id AS assignment_id, a.lead_id, l.primary_phone_e164 AS lead_phone
	  INTO s
	  FROM vapi_number_pool p
	  JOIN brokers b ON b.org_id = p.org_id AND b.id = p.broker_id
	  LEFT JOIN vapi_number_assignments a ON a.org_id = p.org_id AND a.pool_number_id = p.id AND a.status <> 'released'
	  LEFT JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
	 WHERE p.number = called;
	IF FOUND THEN
		r.org_id := s.org_id;
		r.pool_number_id := s.pool_number_id;
		r.broker_id := s.broker_id;
		IF caller = s.lead_phone THEN
			-- the lead holding the number: its broker
			r.lead_id := s.lead_id;
			r.assignment_id := s.assignment_id;
			r.direction := 'inbound_from_lead';
		ELSIF caller = s.broker1 OR caller = s.broker2 THEN
			-- the number's broker: the lead holding it, or its last lead
			r.direction := 'inbound_from_broker';
			r.lead_id := s.lead_id;
			r.assignment_id := s.assignment_id;
			lead_phone := s.lead_phone;
			IF s.assignment_id IS NULL THEN
				SELECT a.id, a.lead_id, l.primary_phone_e164
				  INTO r.assignment_id, r.lead_id, lead_phone
				  FROM vapi_number_assignments a
				  JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
				 WHERE a.org_id = s.org_id AND a.pool_number_id = s.pool_number_id AND l.primary_phone_e164 IS NOT NULL
				 ORDER BY a.booked_at DESC LIMIT 1;
			END IF;
			IF lead_phone IS NOT NULL THEN
				r.action := 'forward_to_lead';
				r.destinations := ARRAY[lead_phone];
			END IF;
		ELSIF caller IS NOT NULL THEN
			-- another lead of this broker
			SELECT l.id INTO r.lead_id FROM leads l
			 WHERE l.org_id = s.org_id AND l.primary_phone_e164 = caller AND l.broker_id = s.broker_id
			 ORDER BY l.updated_at DESC LIMIT 1;
			IF FOUND THEN
				r.direction := 'inbound_from_lead';
			END IF;
		END IF;
		IF r.direction = 'inbound_from_lead' THEN
			r.destinations := array_remove(ARRAY[s.broker1, s.broker2], NULL);
			IF cardinality(r.destinations) > 0 THEN
				r.action := 'forward_to_broker';
			END IF;
		END IF;
		IF vapi_call_id IS NOT NULL THEN
			INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, status, lead_id, broker_id, assignment_id,
										from_e164, to_e164)
			VALUES (r.org_id, vapi_call_id, r.direction, 'in-progress', r.lead_id, r.broker_id, r.assignment_id,
					caller, called)
			ON CONFLICT ON CONSTRAINT vapi_call_logs_vapi_call_id_key DO NOTHING;
		END IF;
	END IF;
	RETURN r;
END
$$;
