-- The data model of both seed designs: brokers, their territories and leads
-- (seed 000), the pool of Vapi phone numbers and its assignments, call logs,
-- and appointments (seed 004).
--
-- Tenancy rule (the Citus rule): every table carries org_id, and every primary
-- key, unique and exclusion constraint, and every foreign key between tenant
-- tables, includes it, so the schema can be distributed by org_id.  The one
-- exception is vapi_number_pool.number: a phone number belongs to one tenant
-- in the world, and inbound calls are routed by it before the tenant is known
-- (see docs/architecture.md).

-- Sets updated_at on every update.
CREATE FUNCTION touch_updated_at() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
BEGIN
	NEW.updated_at := pg_catalog.now();
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------- brokers and territories

CREATE TABLE brokers (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	name text NOT NULL CONSTRAINT brokers_name_present CHECK (btrim(name) <> ''),
	email email_address,
	timezone iana_timezone NOT NULL DEFAULT 'America/Los_Angeles',
	primary_phone_e164 e164,
	secondary_phone_e164 e164,
	cal_user_id text,
	cal_event_type_slug text,
	cal_event_type_id bigint CONSTRAINT brokers_cal_event_type_id_positive CHECK (cal_event_type_id > 0),
	number_pool_size integer NOT NULL DEFAULT 15
		CONSTRAINT brokers_number_pool_size_range CHECK (number_pool_size BETWEEN 0 AND 10000),
	number_pool_active boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT brokers_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT brokers_secondary_phone_differs CHECK (secondary_phone_e164 <> primary_phone_e164)
);
CREATE INDEX brokers_id_idx ON brokers (id);
CREATE TRIGGER brokers_touch_updated_at BEFORE UPDATE ON brokers
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE brokers IS 'the people leads are connected to; each owns a pool of Vapi numbers';

CREATE TABLE territories (
	org_id uuid NOT NULL,
	zip us_zip NOT NULL,
	broker_id uuid NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT territories_pkey PRIMARY KEY (org_id, zip),
	CONSTRAINT territories_broker_fkey FOREIGN KEY (org_id, broker_id)
		REFERENCES brokers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX territories_broker_idx ON territories (org_id, broker_id);
COMMENT ON TABLE territories IS 'which broker serves a ZIP code: one broker per ZIP in an organisation';

-- ---------------------------------------------------------------- leads

CREATE TABLE leads (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	broker_id uuid,
	first_name text,
	last_name text,
	name text GENERATED ALWAYS AS (
		nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '')) STORED,
	email email_address,
	primary_phone_e164 e164,
	zip us_zip,
	status text NOT NULL DEFAULT 'new'
		CONSTRAINT leads_status_known CHECK (status IN ('new', 'call_requested', 'calling', 'connected',
			'appointment_booked', 'unreachable', 'not_interested', 'do_not_call')),
	vapi_assignment_id uuid,
	redacted_medical_history text,
	instantly_campaign_id uuid,
	instantly_lead_id text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT leads_pkey PRIMARY KEY (org_id, id)
	-- leads_broker_fkey and fk_vapi_assignment: with the other SET NULL keys, below
);
CREATE INDEX leads_id_idx ON leads (id);
CREATE INDEX leads_phone_idx ON leads (org_id, primary_phone_e164);
CREATE INDEX leads_broker_idx ON leads (org_id, broker_id);
CREATE INDEX leads_instantly_idx ON leads (org_id, instantly_campaign_id, email);
CREATE TRIGGER leads_touch_updated_at BEFORE UPDATE ON leads
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE leads IS 'people the assistants call and take calls from (seed 004 calls them contacts)';
COMMENT ON COLUMN leads.name IS 'first and last name, for display and the contacts view';

-- ---------------------------------------------------------------- the number pool

CREATE TABLE vapi_number_pool (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	broker_id uuid NOT NULL,
	number e164 NOT NULL,
	vapi_phone_number_id text,
	status text NOT NULL DEFAULT 'available'
		CONSTRAINT vapi_number_pool_status_known CHECK (status IN ('available', 'assigned', 'retired')),
	created_at timestamptz NOT NULL DEFAULT now(),
	last_assigned_at timestamptz,
	-- fair reuse: the number released longest ago is given out first
	last_released_at timestamptz,
	retired_at timestamptz,
	CONSTRAINT vapi_number_pool_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT vapi_number_pool_number_key UNIQUE (number),
	CONSTRAINT vapi_number_pool_vapi_id_key UNIQUE (org_id, vapi_phone_number_id),
	-- lets assignments prove that their broker owns the number
	CONSTRAINT vapi_number_pool_broker_key UNIQUE (org_id, id, broker_id),
	CONSTRAINT vapi_number_pool_broker_fkey FOREIGN KEY (org_id, broker_id) REFERENCES brokers (org_id, id),
	CONSTRAINT vapi_number_pool_retired_at CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE INDEX vapi_number_pool_available_idx ON vapi_number_pool
	(org_id, broker_id, last_released_at NULLS FIRST) WHERE status = 'available';
COMMENT ON TABLE vapi_number_pool IS 'the Vapi phone numbers of each broker''s pool';

CREATE TABLE vapi_number_assignments (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	pool_number_id uuid NOT NULL,
	broker_id uuid NOT NULL,
	lead_id uuid NOT NULL,
	status text NOT NULL DEFAULT 'booked'
		CONSTRAINT vapi_number_assignments_status_known CHECK (status IN ('booked', 'call_completed', 'released')),
	booked_at timestamptz NOT NULL DEFAULT now(),
	last_call_at timestamptz,
	release_at timestamptz,
	released_at timestamptz,
	CONSTRAINT vapi_number_assignments_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT vapi_number_assignments_number_fkey FOREIGN KEY (org_id, pool_number_id, broker_id)
		REFERENCES vapi_number_pool (org_id, id, broker_id),
	CONSTRAINT vapi_number_assignments_broker_fkey FOREIGN KEY (org_id, broker_id) REFERENCES brokers (org_id, id),
	CONSTRAINT vapi_number_assignments_lead_fkey FOREIGN KEY (org_id, lead_id)
		REFERENCES leads (org_id, id) ON DELETE CASCADE,
	CONSTRAINT vapi_number_assignments_released_at CHECK ((status = 'released') = (released_at IS NOT NULL))
);
-- The two guarantees of the pool, kept by the database itself.
CREATE UNIQUE INDEX vapi_number_assignments_one_per_number ON vapi_number_assignments (org_id, pool_number_id)
	WHERE status <> 'released';
CREATE UNIQUE INDEX vapi_number_assignments_one_per_lead ON vapi_number_assignments (org_id, lead_id)
	WHERE status <> 'released';
CREATE INDEX vapi_number_assignments_id_idx ON vapi_number_assignments (id);
CREATE INDEX vapi_number_assignments_release_idx ON vapi_number_assignments (release_at)
	WHERE status = 'call_completed';
COMMENT ON TABLE vapi_number_assignments IS
	'a pool number lent to a lead; at most one unreleased assignment per number and per lead';

-- ---------------------------------------------------------------- call logs

CREATE TABLE vapi_call_logs (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	lead_id uuid,
	broker_id uuid,
	assignment_id uuid,
	vapi_call_id text NOT NULL CONSTRAINT vapi_call_logs_vapi_call_id_present CHECK (vapi_call_id <> ''),
	direction text NOT NULL
		CONSTRAINT vapi_call_logs_direction_known CHECK (direction IN
			('outbound_to_lead', 'inbound_from_lead', 'inbound_from_broker', 'inbound_unknown')),
	-- Vapi's call status
	status text NOT NULL DEFAULT 'queued'
		CONSTRAINT vapi_call_logs_status_known CHECK (status IN
			('scheduled', 'queued', 'ringing', 'in-progress', 'forwarding', 'ended')),
	-- Vapi's endedReason, kept verbatim
	ended_reason text,
	from_e164 e164,
	to_e164 e164,
	started_at timestamptz,
	ended_at timestamptz,
	duration_seconds numeric CONSTRAINT vapi_call_logs_duration_nonnegative CHECK (duration_seconds >= 0),
	recording_url text,
	cost numeric CONSTRAINT vapi_call_logs_cost_nonnegative CHECK (cost >= 0),
	transcript text,
	summary text,
	attempt integer NOT NULL DEFAULT 1 CONSTRAINT vapi_call_logs_attempt_positive CHECK (attempt >= 1),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT vapi_call_logs_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT vapi_call_logs_vapi_call_id_key UNIQUE (org_id, vapi_call_id),
	CONSTRAINT vapi_call_logs_ended_after_start CHECK (ended_at >= started_at)
);
-- Call reports name the call, not the organisation.
CREATE INDEX vapi_call_logs_vapi_call_id_idx ON vapi_call_logs (vapi_call_id);
CREATE INDEX vapi_call_logs_lead_idx ON vapi_call_logs (org_id, lead_id, created_at);
CREATE TRIGGER vapi_call_logs_touch_updated_at BEFORE UPDATE ON vapi_call_logs
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE vapi_call_logs IS 'one row per Vapi call; transcript and summary are stored redacted';

-- Foreign keys that clear a reference when its row goes: the seed's
-- fk_vapi_assignment, a lead's broker, and a call log's lead, broker and
-- assignment (call logs are kept).  ON DELETE SET NULL with a column list
-- (PostgreSQL 15+) clears only the id, never org_id; older servers refuse the
-- delete instead.
DO $fks$
DECLARE
	fk record;
BEGIN
	FOR fk IN SELECT * FROM (VALUES
		('leads', 'fk_vapi_assignment', 'vapi_assignment_id', 'vapi_number_assignments'),
		('leads', 'leads_broker_fkey', 'broker_id', 'brokers'),
		('vapi_call_logs', 'vapi_call_logs_lead_fkey', 'lead_id', 'leads'),
		('vapi_call_logs', 'vapi_call_logs_broker_fkey', 'broker_id', 'brokers'),
		('vapi_call_logs', 'vapi_call_logs_assignment_fkey', 'assignment_id', 'vapi_number_assignments'))
		AS v(tbl, name, col, parent)
	LOOP
		EXECUTE pg_catalog.format(
			'ALTER TABLE vapi_pool.%I ADD CONSTRAINT %I FOREIGN KEY (org_id, %I) REFERENCES vapi_pool.%I (org_id, id) ON DELETE %s',
			fk.tbl, fk.name, fk.col, fk.parent,
			CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 150000
				 THEN pg_catalog.format('SET NULL (%I)', fk.col) ELSE 'NO ACTION' END);
	END LOOP;
END
$fks$;

-- ---------------------------------------------------------------- appointments

CREATE TABLE appointments (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	contact_id uuid NOT NULL,
	-- the broker's calendar; NULL for the organisation's own calendar (a clinic)
	broker_id uuid,
	status text NOT NULL DEFAULT 'held'
		CONSTRAINT appointments_status_known CHECK (status IN ('held', 'booked', 'cancelled')),
	scheduled_at timestamptz NOT NULL,
	duration interval NOT NULL DEFAULT '30 minutes'
		CONSTRAINT appointments_duration_range CHECK (duration > '0' AND duration <= '24 hours'),
	-- computed in UTC, so it does not depend on the session's TimeZone
	ends_at timestamptz NOT NULL GENERATED ALWAYS AS
		(((scheduled_at AT TIME ZONE 'UTC') + duration) AT TIME ZONE 'UTC') STORED,
	hold_id uuid NOT NULL DEFAULT gen_random_uuid(),
	hold_expires_at timestamptz,
	cal_booking_uid text,
	cancelled_at timestamptz,
	cancel_reason text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT appointments_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT appointments_hold_id_key UNIQUE (org_id, hold_id),
	CONSTRAINT appointments_cal_booking_uid_key UNIQUE (org_id, cal_booking_uid),
	CONSTRAINT appointments_contact_fkey FOREIGN KEY (org_id, contact_id)
		REFERENCES leads (org_id, id) ON DELETE CASCADE,
	CONSTRAINT appointments_broker_fkey FOREIGN KEY (org_id, broker_id) REFERENCES brokers (org_id, id),
	CONSTRAINT appointments_hold_expiry CHECK (status <> 'held' OR hold_expires_at IS NOT NULL),
	CONSTRAINT appointments_cancelled_at CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
	-- No double booking: two active appointments of one calendar never
	-- overlap.  The all-zero uuid stands for the organisation's calendar.
	CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
		org_id WITH =,
		(coalesce(broker_id, '00000000-0000-0000-0000-000000000000'::uuid)) WITH =,
		tstzrange(scheduled_at, ends_at, '[)') WITH &&
	) WHERE (status IN ('held', 'booked'))
);
CREATE INDEX appointments_id_idx ON appointments (id);
CREATE INDEX appointments_contact_idx ON appointments (org_id, contact_id);
CREATE TRIGGER appointments_touch_updated_at BEFORE UPDATE ON appointments
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE appointments IS 'holds and bookings on a broker''s or the organisation''s calendar; never overlapping';
