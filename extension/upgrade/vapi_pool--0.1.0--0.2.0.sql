-- vapi_pool 0.1.0 -> 0.2.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Tenancy: the Supabase roles, organisations, their members, and the
-- functions row level security reads to know who is asking.
--
-- Every object below lives in schema vapi_pool.  Functions that row level
-- security calls are schema-qualified throughout, because they run under the
-- caller's search_path.

-- The three roles of a Supabase project, created only where they are missing
-- (on Supabase they exist already).  service_role bypasses row level security,
-- as it does on Supabase.
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
		CREATE ROLE anon NOLOGIN NOINHERIT;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
		CREATE ROLE authenticated NOLOGIN NOINHERIT;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
		CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
	END IF;
END
$roles$;

GRANT USAGE ON SCHEMA vapi_pool TO anon, authenticated, service_role;

-- ---------------------------------------------------------------- value domains

CREATE FUNCTION timezone_is_valid(name text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'vapi_pool_timezone_is_valid'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION timezone_is_valid(text) IS
	'true when the name is an IANA time zone of pg_timezone_names, spelled exactly';

CREATE FUNCTION check_timezone(name text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'vapi_pool_check_timezone'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION check_timezone(text) IS
	'true for a valid IANA time zone name, otherwise an error (22023) that names the right spelling when only the case is wrong';

CREATE DOMAIN iana_timezone AS text
	CONSTRAINT iana_timezone_known CHECK (vapi_pool.check_timezone(VALUE));
COMMENT ON DOMAIN iana_timezone IS 'an IANA time zone name from pg_timezone_names, e.g. America/Los_Angeles';

CREATE DOMAIN email_address AS text
	CONSTRAINT email_address_shape CHECK (VALUE ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$');
COMMENT ON DOMAIN email_address IS 'an e-mail address: local part, @, a domain with a dot';

CREATE DOMAIN us_zip AS text
	CONSTRAINT us_zip_five_digits CHECK (VALUE ~ '^[0-9]{5}$' AND VALUE <> '00000');
COMMENT ON DOMAIN us_zip IS 'a five-digit US ZIP code';

-- ---------------------------------------------------------------- organisations

CREATE TABLE orgs (
	org_id uuid NOT NULL DEFAULT gen_random_uuid(),
	name text NOT NULL CONSTRAINT orgs_name_present CHECK (btrim(name) <> ''),
	-- where phone numbers typed without a country code are assumed to be
	default_region text NOT NULL DEFAULT 'US'
		CONSTRAINT orgs_default_region_iso CHECK (default_region ~ '^[A-Z]{2}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT orgs_pkey PRIMARY KEY (org_id)
);
COMMENT ON TABLE orgs IS 'tenants: every other row belongs to exactly one organisation';

CREATE TABLE org_members (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	-- auth.users(id) on Supabase; not a foreign key, so the extension needs no auth schema
	user_id uuid NOT NULL,
	role text NOT NULL DEFAULT 'member'
		CONSTRAINT org_members_role_known CHECK (role IN ('owner', 'admin', 'member')),
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT org_members_pkey PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user_id_idx ON org_members (user_id);
COMMENT ON TABLE org_members IS 'which users belong to which organisation, and with what role; read by auth_org_id()';

-- ---------------------------------------------------------------- who is asking

-- The functions every policy calls are C (extension/auth.c): they run once
-- per statement, which on a point lookup is most of the statement's cost.

CREATE FUNCTION auth_uid() RETURNS uuid
	AS 'MODULE_PATHNAME', 'vapi_pool_auth_uid'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_uid() IS
	'the requesting user: auth.uid() where a Supabase auth schema has it, else the sub claim; NULL when there is none';

CREATE FUNCTION auth_claimed_org_id() RETURNS uuid
	AS 'MODULE_PATHNAME', 'vapi_pool_auth_claimed_org_id'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_claimed_org_id() IS
	'the org_id claim of the request (top level, or in app_metadata where a custom access token hook puts it), or NULL';

CREATE FUNCTION auth_org_id() RETURNS uuid
	AS 'MODULE_PATHNAME', 'vapi_pool_auth_org_id'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_org_id() IS
	'the organisation of the current request: the signed-in user''s (the org_id claim picks one of several), or the org_id claim of a role that bypasses RLS; NULL otherwise';

CREATE FUNCTION auth_org_role() RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_auth_org_role'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auth_org_role() IS 'the signed-in user''s role (owner, admin, member) in their organisation, or NULL';

-- Create an organisation with the requesting user as its owner.
CREATE FUNCTION create_org(name text, default_region text DEFAULT 'US') RETURNS orgs
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	uid uuid := vapi_pool.auth_uid();
	org vapi_pool.orgs;
BEGIN
	IF uid IS NULL THEN
		RAISE EXCEPTION 'create_org needs a signed-in user'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Call it with the JWT of the user who will own the organisation.';
	END IF;
	INSERT INTO vapi_pool.orgs (name, default_region) VALUES (create_org.name, create_org.default_region)
		RETURNING * INTO org;
	INSERT INTO vapi_pool.org_members (org_id, user_id, role) VALUES (org.org_id, uid, 'owner');
	RETURN org;
END
$$;
COMMENT ON FUNCTION create_org(text, text) IS 'create an organisation owned by the requesting user';
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
-- redact_pii: personal data in call transcripts replaced by typed placeholders
-- ([EMAIL], [PHONE], [SSN], [CARD], [DOB]); the rules are in docs/redaction.md.

CREATE FUNCTION redact_pii(text) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_pii'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION redact_pii(text) IS
	'replace e-mail addresses, phone numbers, social security numbers, payment card numbers and dates of birth with [EMAIL], [PHONE], [SSN], [CARD] and [DOB]';
-- Transcripts are stored redacted (seed 004): personal data is replaced on
-- every write of vapi_call_logs.transcript or summary, so unredacted text
-- never reaches a table page or the WAL.

-- Redact the transcript and summary of the call log row being written.
CREATE FUNCTION redact_call_log() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.transcript IS DISTINCT FROM OLD.transcript THEN
		NEW.transcript := vapi_pool.redact_pii(NEW.transcript);
	END IF;
	IF TG_OP = 'INSERT' OR NEW.summary IS DISTINCT FROM OLD.summary THEN
		NEW.summary := vapi_pool.redact_pii(NEW.summary);
	END IF;
	RETURN NEW;
END
$$;

-- BEFORE triggers fire in name order: the zz_ prefix makes this one run
-- after any other BEFORE trigger a user adds, so none can undo it.
CREATE TRIGGER zz_vapi_call_logs_redact_pii BEFORE INSERT OR UPDATE ON vapi_call_logs
	FOR EACH ROW EXECUTE FUNCTION redact_call_log();
-- Row level security: each organisation sees and changes only its own rows.
--
-- Every policy compares org_id with (SELECT vapi_pool.auth_org_id()): the
-- sub-select makes the planner evaluate it once per statement (an InitPlan),
-- not once per row.  Policies are TO authenticated; anon has no privilege on
-- any table; service_role has BYPASSRLS, as on Supabase.  RLS is forced, so
-- it applies to the tables' owner too (superusers and BYPASSRLS roles still
-- bypass it).

-- Tenant data: separate select, insert, update and delete policies, as in
-- seed 004.  Writes the engine alone makes (assignments, call logs) are kept
-- from authenticated users by privileges, below, not by policies.
DO $policies$
DECLARE
	t text;
	cmd text;
BEGIN
	FOREACH t IN ARRAY ARRAY['brokers', 'territories', 'leads', 'vapi_number_pool',
							 'vapi_number_assignments', 'vapi_call_logs', 'appointments']
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE vapi_pool.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
		FOREACH cmd IN ARRAY ARRAY['select', 'insert', 'update', 'delete']
		LOOP
			-- call logs are immutable records: seed 004 gives them select and update only
			CONTINUE WHEN t = 'vapi_call_logs' AND cmd IN ('insert', 'delete');
			EXECUTE pg_catalog.format('CREATE POLICY %I ON vapi_pool.%I FOR %s TO authenticated %s',
				t || '_org_' || cmd, t, pg_catalog.upper(cmd),
				CASE cmd
					WHEN 'insert' THEN 'WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()))'
					WHEN 'update' THEN 'USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()))'
					ELSE 'USING (org_id = (SELECT vapi_pool.auth_org_id()))'
				END);
		END LOOP;
	END LOOP;
END
$policies$;

-- Organisations: members see theirs; owners and admins rename it; only an
-- owner deletes it.  New organisations come from create_org().
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY orgs_org_select ON orgs FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY orgs_org_update ON orgs FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'))
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY orgs_org_delete ON orgs FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) = 'owner');

-- Members: a user sees the members of their organisation and their own
-- memberships elsewhere; owners and admins manage the members.
ALTER TABLE org_members ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY org_members_org_select ON org_members FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) OR user_id = (SELECT vapi_pool.auth_uid()));
CREATE POLICY org_members_org_insert ON org_members FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'));
CREATE POLICY org_members_org_update ON org_members FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'))
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY org_members_org_delete ON org_members FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'));

-- ---------------------------------------------------------------- privileges

GRANT SELECT, INSERT, UPDATE, DELETE ON brokers, territories, leads, vapi_number_pool, appointments TO authenticated;
GRANT SELECT ON vapi_number_assignments TO authenticated;
GRANT SELECT, UPDATE (summary) ON vapi_call_logs TO authenticated;
GRANT SELECT, UPDATE (name, default_region), DELETE ON orgs TO authenticated;
GRANT SELECT, INSERT, UPDATE (role), DELETE ON org_members TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON orgs, org_members, brokers, territories, leads, vapi_number_pool,
	vapi_number_assignments, vapi_call_logs, appointments TO service_role;

-- Functions are executable by PUBLIC by default; the ones that act on
-- tenant data are for signed-in users and the service only.
REVOKE EXECUTE ON FUNCTION create_org(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION create_org(text, text) TO authenticated, service_role;
-- The names seed 004 uses, as views over the tables: contacts over leads,
-- call_logs over vapi_call_logs.  They run with the caller's rights
-- (security_invoker, PostgreSQL 15+), so the tables' row level security
-- applies through them.  PostgreSQL 14 has no security_invoker: there the
-- views would run with their owner's rights, so only service_role may use them.

DO $views$
DECLARE
	invoker boolean := pg_catalog.current_setting('server_version_num')::int >= 150000;
	options text := CASE WHEN invoker THEN 'WITH (security_invoker = true)' ELSE '' END;
BEGIN
	EXECUTE pg_catalog.format($sql$
		CREATE VIEW vapi_pool.contacts %s AS
		SELECT id, org_id, primary_phone_e164 AS phone, name, redacted_medical_history
		FROM vapi_pool.leads$sql$, options);
	EXECUTE pg_catalog.format($sql$
		CREATE VIEW vapi_pool.call_logs %s AS
		SELECT id, org_id, lead_id, transcript, summary,
			   pg_catalog.round(duration_seconds)::integer AS duration
		FROM vapi_pool.vapi_call_logs$sql$, options);
	IF invoker THEN
		GRANT SELECT, INSERT, UPDATE, DELETE ON vapi_pool.contacts TO authenticated;
		GRANT SELECT, UPDATE (summary) ON vapi_pool.call_logs TO authenticated;
	END IF;
	GRANT SELECT, INSERT, UPDATE, DELETE ON vapi_pool.contacts, vapi_pool.call_logs TO service_role;
END
$views$;

COMMENT ON VIEW contacts IS 'seed 004''s contacts: leads with the columns id, org_id, phone, name, redacted_medical_history';
COMMENT ON VIEW call_logs IS 'seed 004''s call_logs: vapi_call_logs with the columns id, org_id, lead_id, transcript, summary, duration (seconds)';
-- The assistant's read-only lookup tool (seed 000's supabase_query): answers
-- for a voice assistant, scoped to the caller's organisation.
--
-- STABLE, so PostgreSQL refuses any write inside it; SECURITY INVOKER, so the
-- caller's row level security applies on top of the explicit org filter.
-- Written schema-qualified; its own search_path puts vapi_pool first because
-- operators are found through the search_path, and outside it e164 = e164
-- would fall back to a text comparison that cannot use the e164 indexes.
-- Answers carry names, time zones and whether a ZIP is served, never internal
-- columns (org ids, assignment ids, medical history) or other tenants' rows.

-- What an assistant may say about a broker.
CREATE FUNCTION broker_card(b brokers) RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT pg_catalog.jsonb_build_object('id', b.id, 'name', b.name, 'timezone', b.timezone,
		'accepting_calls', b.number_pool_active)
$$;

CREATE FUNCTION supabase_query(query_type text, identifier text) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	-- vapi_pool first, so that e164 = e164 is the type's own (indexed) operator
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	org uuid;
	region text;
	ident text := pg_catalog.btrim(identifier);
	want_id uuid;
	want_phone vapi_pool.e164;
	lead vapi_pool.leads;
	broker vapi_pool.brokers;
	matches integer;
	want_zip text;
BEGIN
	IF query_type IS NULL OR query_type NOT IN ('get_lead_details', 'find_broker_by_zip', 'get_broker_details') THEN
		RAISE EXCEPTION 'unknown query_type %', coalesce(pg_catalog.quote_literal(query_type), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Valid query types are get_lead_details, find_broker_by_zip and get_broker_details.';
	END IF;
	org := (SELECT vapi_pool.auth_org_id());
	IF org IS NULL THEN
		RAISE EXCEPTION 'supabase_query needs the caller''s organisation'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Call it as a signed-in member of an organisation, or as service_role with an org_id claim in request.jwt.claims.';
	END IF;
	IF ident IS NULL OR ident = '' THEN
		RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
			'message', 'No identifier was given.');
	END IF;
	IF ident ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
		want_id := ident::uuid;
	END IF;

	IF query_type = 'find_broker_by_zip' THEN
		want_zip := pg_catalog.substring(ident, '^([0-9]{5})(?:-[0-9]{4})?$');
		IF want_zip IS NULL THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'served', false, 'query_type', query_type,
				'message', pg_catalog.format('"%s" is not a US ZIP code.', pg_catalog.left(ident, 40)));
		END IF;
		SELECT b.* INTO broker FROM vapi_pool.territories t
			JOIN vapi_pool.brokers b ON b.org_id = t.org_id AND b.id = t.broker_id
			WHERE t.org_id = org AND t.zip = want_zip::vapi_pool.us_zip;
		IF NOT FOUND THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'served', false, 'zip', want_zip, 'query_type', query_type,
				'message', pg_catalog.format('No broker serves ZIP %s.', want_zip));
		END IF;
		RETURN pg_catalog.jsonb_build_object('found', true, 'served', true, 'zip', want_zip, 'query_type', query_type,
			'broker', vapi_pool.broker_card(broker));
	END IF;

	IF want_id IS NULL THEN
		region := (SELECT o.default_region FROM vapi_pool.orgs o WHERE o.org_id = org);
		want_phone := vapi_pool.e164_try_parse(ident, coalesce(region, 'US'));
	END IF;

	IF query_type = 'get_lead_details' THEN
		IF want_id IS NULL AND want_phone IS NULL THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
				'message', pg_catalog.format('"%s" is neither a lead id nor a phone number.', pg_catalog.left(ident, 40)));
		END IF;
		-- several leads may share a phone: the most recently updated one answers
		SELECT l.* INTO lead FROM vapi_pool.leads l
			WHERE l.org_id = org AND (l.id = want_id OR l.primary_phone_e164 = want_phone)
			ORDER BY l.updated_at DESC, l.id LIMIT 1;
		IF NOT FOUND THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
				'message', CASE WHEN want_id IS NULL THEN pg_catalog.format('No lead has the phone number %s.', want_phone)
								ELSE 'No lead has that id.' END);
		END IF;
		SELECT b.* INTO broker FROM vapi_pool.brokers b WHERE b.org_id = org AND b.id = lead.broker_id;
		matches := (SELECT pg_catalog.count(*) FROM vapi_pool.leads l
					WHERE l.org_id = org AND (l.id = want_id OR l.primary_phone_e164 = want_phone));
		RETURN pg_catalog.jsonb_build_object('found', true, 'query_type', query_type, 'matches', matches,
			'lead', pg_catalog.jsonb_build_object(
				'id', lead.id, 'first_name', lead.first_name, 'last_name', lead.last_name, 'name', lead.name,
				'phone', lead.primary_phone_e164::text, 'email', lead.email, 'zip', lead.zip, 'status', lead.status,
				'zip_served', lead.zip IS NOT NULL AND EXISTS (SELECT FROM vapi_pool.territories t
					WHERE t.org_id = org AND t.zip = lead.zip),
				'broker', CASE WHEN broker.id IS NULL THEN NULL ELSE vapi_pool.broker_card(broker) END));
	END IF;

	-- get_broker_details: by id, e-mail address or either phone number
	SELECT b.* INTO broker FROM vapi_pool.brokers b
		WHERE b.org_id = org
		  AND (b.id = want_id OR pg_catalog.lower(b.email) = pg_catalog.lower(ident)
			   OR b.primary_phone_e164 = want_phone OR b.secondary_phone_e164 = want_phone)
		ORDER BY b.created_at, b.id LIMIT 1;
	IF NOT FOUND THEN
		RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
			'message', 'No broker matches that id, e-mail address or phone number.');
	END IF;
	RETURN pg_catalog.jsonb_build_object('found', true, 'query_type', query_type,
		'broker', vapi_pool.broker_card(broker) || pg_catalog.jsonb_build_object(
			'email', broker.email,
			'zips_served', (SELECT pg_catalog.count(*) FROM vapi_pool.territories t
							WHERE t.org_id = org AND t.broker_id = broker.id)));
END
$$;
COMMENT ON FUNCTION supabase_query(text, text) IS
	'the assistant''s read-only lookup tool: get_lead_details (lead id or phone), find_broker_by_zip, get_broker_details (id, e-mail or phone)';

REVOKE EXECUTE ON FUNCTION supabase_query(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supabase_query(text, text) TO authenticated, service_role;
