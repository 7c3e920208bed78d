-- vapi_pool install script, assembled by the Makefile from extension/sql/*.sql
-- in file-name order.  Edit the parts, never the assembled file.

\echo Use "CREATE EXTENSION vapi_pool CASCADE" to load this file. \quit

-- The version of the C library, to spot a library and catalog that drifted apart.
CREATE FUNCTION library_version() RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_library_version'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- e164: telephone numbers in E.164 form, enforced by a data type.
--
-- 8 bytes, LIKE int8.  The packed integer sorts like the canonical text, so
-- comparison, hashing and sort support are int8's own functions (the way
-- contrib/isn binds its types), declared LEAKPROOF so that row level security
-- can push them below its quals.

CREATE TYPE e164;

CREATE FUNCTION e164_in(cstring) RETURNS e164
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION e164_out(e164) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION e164_recv(internal) RETURNS e164
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION e164_send(e164) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE e164 (
	INPUT = e164_in,
	OUTPUT = e164_out,
	RECEIVE = e164_recv,
	SEND = e164_send,
	LIKE = pg_catalog.int8
);

COMMENT ON TYPE e164 IS 'telephone number in E.164 form (+<country code><number>)';

-- Parsing what people type.

CREATE FUNCTION e164_parse(number text, region text DEFAULT 'US') RETURNS e164
	AS 'MODULE_PATHNAME', 'e164_parse_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION e164_parse(text, text) IS
	'parse a phone number written in national or international form for a default region (ISO 3166-1 alpha-2)';

CREATE FUNCTION e164_try_parse(number text, region text DEFAULT 'US') RETURNS e164
	AS 'MODULE_PATHNAME', 'e164_try_parse_text'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION e164_try_parse(text, text) IS
	'like e164_parse, but NULL instead of an error for a number that is not possible';

CREATE FUNCTION e164_country_code(e164) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION e164_country_code(e164) IS 'country calling code, e.g. 44';

CREATE FUNCTION e164_national_number(e164) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION e164_national_number(e164) IS 'national significant number: the digits after the country calling code';

-- Comparison, hashing and sort support: int8's functions.

CREATE FUNCTION e164_eq(e164, e164) RETURNS boolean
	AS 'int8eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_ne(e164, e164) RETURNS boolean
	AS 'int8ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_lt(e164, e164) RETURNS boolean
	AS 'int8lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_le(e164, e164) RETURNS boolean
	AS 'int8le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_gt(e164, e164) RETURNS boolean
	AS 'int8gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_ge(e164, e164) RETURNS boolean
	AS 'int8ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_cmp(e164, e164) RETURNS integer
	AS 'btint8cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_sortsupport(internal) RETURNS void
	AS 'btint8sortsupport' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION e164_hash(e164) RETURNS integer
	AS 'hashint8' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION e164_hash_extended(e164, bigint) RETURNS bigint
	AS 'hashint8extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR = (
	LEFTARG = e164, RIGHTARG = e164, FUNCTION = e164_eq,
	COMMUTATOR = =, NEGATOR = <>,
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = e164, RIGHTARG = e164, FUNCTION = e164_ne,
	COMMUTATOR = <>, NEGATOR = =,
	RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR < (
	LEFTARG = e164, RIGHTARG = e164, FUNCTION = e164_lt,
	COMMUTATOR = >, NEGATOR = >=,
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = e164, RIGHTARG = e164, FUNCTION = e164_le,
	COMMUTATOR = >=, NEGATOR = >,
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR > (
	LEFTARG = e164, RIGHTARG = e164, FUNCTION = e164_gt,
	COMMUTATOR = <, NEGATOR = <=,
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = e164, RIGHTARG = e164, FUNCTION = e164_ge,
	COMMUTATOR = <=, NEGATOR = <,
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS e164_ops DEFAULT FOR TYPE e164 USING btree AS
	OPERATOR 1 <,
	OPERATOR 2 <=,
	OPERATOR 3 =,
	OPERATOR 4 >=,
	OPERATOR 5 >,
	FUNCTION 1 e164_cmp(e164, e164),
	FUNCTION 2 e164_sortsupport(internal),
	FUNCTION 4 pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS e164_ops DEFAULT FOR TYPE e164 USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 e164_hash(e164),
	FUNCTION 2 e164_hash_extended(e164, bigint);

-- Casts: to text implicitly (it is always safe), from text on assignment
-- (strict input: the + form only).

CREATE CAST (e164 AS text) WITH INOUT AS IMPLICIT;
CREATE CAST (text AS e164) WITH INOUT AS ASSIGNMENT;
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
