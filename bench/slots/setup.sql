-- The data set of bench/slot_bench.sh: :calendars organisations (the
-- calendars: each organisation's own, broker_id NULL, as the seed's claim
-- knows only the organisation), each with :contacts contacts, plus the
-- baseline (baseline.sql) and bench_slots.claim, the one function pgbench
-- calls for either implementation.
--
-- Ids are made from numbers, so the pgbench script can name them:
-- organisation o is ca000000-0000-4000-8000-<o>, its contact c is
-- c<o, 7 digits>-0000-4000-8000-<c>.
CREATE SCHEMA bench_slots;

CREATE FUNCTION bench_slots.org_uuid(o integer) RETURNS uuid
	LANGUAGE sql IMMUTABLE
	AS $$ SELECT ('ca000000-0000-4000-8000-' || lpad(o::text, 12, '0'))::uuid $$;
CREATE FUNCTION bench_slots.contact_uuid(o integer, c integer) RETURNS uuid
	LANGUAGE sql IMMUTABLE
	AS $$ SELECT ('c' || lpad(o::text, 7, '0') || '-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid $$;

-- One claim attempt on the 30-minute slot starting :minute minutes after
-- 2031-01-01 00:00 UTC: true if it holds the slot, false if the slot was
-- taken ("slot already booked": a served request, not a failure).  impl 0 is
-- vapi_pool.claim_slot_atomic with the given hold, 1 the baseline.  Any
-- other error is raised, and pgbench counts it as a failure.  The exception
-- block costs both implementations the same subtransaction.
CREATE FUNCTION bench_slots.claim(impl integer, org integer, contact integer, minute integer, hold interval)
	RETURNS boolean
	LANGUAGE plpgsql
	AS $$
DECLARE
	slot timestamptz := timestamptz '2031-01-01 00:00+00' + minute * interval '1 minute';
BEGIN
	IF impl = 0 THEN
		PERFORM vapi_pool.claim_slot_atomic(slot, bench_slots.contact_uuid(org, contact), bench_slots.org_uuid(org),
											NULL, '30 minutes', hold);
	ELSE
		PERFORM bench_baseline.claim_slot_atomic(slot, bench_slots.contact_uuid(org, contact), bench_slots.org_uuid(org));
	END IF;
	RETURN true;
EXCEPTION WHEN exclusion_violation OR raise_exception THEN
	IF lower(SQLERRM) = 'slot already booked' THEN
		RETURN false;
	END IF;
	RAISE;
END
$$;

INSERT INTO vapi_pool.orgs (org_id, name, timezone)
SELECT bench_slots.org_uuid(o), 'Bench clinic ' || o, 'America/New_York'
FROM generate_series(1, :calendars) o;
INSERT INTO vapi_pool.leads (org_id, id, first_name)
SELECT bench_slots.org_uuid(o), bench_slots.contact_uuid(o, c), 'Contact ' || c
FROM generate_series(1, :calendars) o, generate_series(1, :contacts) c;
VACUUM ANALYZE;
