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

-- The functions every policy calls are C (extension/core/auth.c): they run once
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
-- The hot path of a call (release 0.4.0): what every assignment, placed call
-- and end-of-call report pays for, made cheaper without changing what it
-- does.  Measured by the cycle benchmark (bench/pool_bench.sh); the figures
-- are in docs/benchmarks.md.

-- The row triggers in C (row_triggers.c): same behaviour as the PL/pgSQL
-- versions of 0.2.0, without an interpreter start per row.
CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_touch_updated_at'
	LANGUAGE C;
CREATE OR REPLACE FUNCTION redact_call_log() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_call_log'
	LANGUAGE C;

-- strip_call_report was never inlined: its body called jsonb_build_object,
-- which is only STABLE, so the planner kept the IMMUTABLE function opaque and
-- planned its body again on every end-of-call report.  jsonb_set is
-- immutable and gives the same object.
CREATE OR REPLACE FUNCTION strip_call_report(report jsonb) RETURNS jsonb
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	-- one expression without FROM and only immutable calls, so that the
	-- planner inlines it
	AS $$
SELECT CASE
	WHEN report IS NULL THEN NULL
	WHEN pg_catalog.jsonb_typeof(report) <> 'object' THEN pg_catalog.jsonb_set('{}'::jsonb, '{unparsed}', report)
	WHEN pg_catalog.jsonb_typeof(report -> 'message') = 'object'
		THEN report -> 'message' #- '{artifact,transcript}' #- '{artifact,messages}'
			 #- '{artifact,messagesOpenAIFormatted}' #- '{transcript}' #- '{messages}' #- '{summary}'
			 #- '{analysis,summary}'
	ELSE report #- '{artifact,transcript}' #- '{artifact,messages}' #- '{artifact,messagesOpenAIFormatted}'
		 #- '{transcript}' #- '{messages}' #- '{summary}' #- '{analysis,summary}'
	END
$$;

-- An assignment's organisation and broker are already guaranteed by its
-- other keys: (org_id, lead_id) references a lead of that organisation, and
-- (org_id, pool_number_id, broker_id) a pool number of that organisation and
-- broker, whose own keys reference both.  The two direct keys only doubled
-- the checks (and the shared lock on the one organisation row that every
-- concurrent assignment took); deleting an organisation still cascades
-- through its leads.
ALTER TABLE vapi_number_assignments
	DROP CONSTRAINT vapi_number_assignments_org_id_fkey,
	DROP CONSTRAINT vapi_number_assignments_broker_fkey;
-- Releasing one assignment at once (release 0.4.0, pool_release.c): a number
-- lent for a call that will not be placed (the lead opted out before it, or
-- the call's job died) would otherwise stay lent: release_expired only
-- frees numbers whose hold after a call has passed.
CREATE FUNCTION release_assignment(assignment_id uuid) RETURNS vapi_number_assignments
	AS 'MODULE_PATHNAME', 'vapi_pool_release_assignment'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION release_assignment(uuid) IS
	'release an assignment now, whatever its hold: the number is free again and the lead unlinked; a released one is returned as it is';
REVOKE EXECUTE ON FUNCTION release_assignment(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_assignment(uuid) TO service_role;
-- Slot claiming (release 0.4.0): holds and bookings on a broker's or the
-- organisation's calendar that can never overlap (seed 004, section 3).
-- The functions are C (slot_claim.c, slot_claim_hold.c, slot_claim_free.c); this part
-- adds the state they need and declares them.
--
-- The guarantee is appointments_no_overlap (030_data_model.sql), not these
-- functions: a direct INSERT cannot overlap either.  claim_slot_atomic only
-- makes the constraint's verdict usable: expired holds are cancelled first,
-- and a conflict becomes SQLSTATE 23P01 "slot already booked", naming the
-- appointment in the calendar's time zone.
--
-- Every function runs with the caller's rights and sets its search_path.
-- service_role (the shim, the dispatcher) calls them for any organisation;
-- signed-in members call them too, and row level security confines them to
-- their own organisation: another organisation's contacts, brokers, holds and
-- calendar are "does not exist" to them.

-- ---------------------------------------------------------------- state

-- The organisation's own calendar (broker_id NULL: a clinic) needs a zone.
ALTER TABLE orgs ADD COLUMN timezone iana_timezone NOT NULL DEFAULT 'America/Los_Angeles';
GRANT UPDATE (timezone) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.timezone IS
	'the time zone of the organisation''s own calendar (appointments without a broker), an IANA name';

-- confirm_slot and release_slot are given a hold id, not its organisation.
CREATE INDEX appointments_hold_id_idx ON appointments (hold_id);

COMMENT ON COLUMN appointments.hold_expires_at IS
	'a held slot is free again after this; claim_slot_atomic cancels expired holds it overlaps (cancel_reason expired)';
COMMENT ON COLUMN appointments.cancel_reason IS
	'why it was cancelled: release_slot''s reason, or expired for a hold cancelled by a later claim';

-- ---------------------------------------------------------------- functions

-- Places a hold on [slot_time, slot_time + duration) of the broker's calendar
-- (the organisation's when broker_id is NULL) for the contact; returns the
-- hold id.  The contact's own hold on exactly this slot is returned again.
CREATE FUNCTION claim_slot_atomic(slot_time timestamptz, contact_id uuid, org_id uuid,
		broker_id uuid DEFAULT NULL, duration interval DEFAULT '30 minutes',
		hold interval DEFAULT '5 minutes')
	RETURNS uuid
	AS 'MODULE_PATHNAME', 'vapi_pool_claim_slot_atomic'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION claim_slot_atomic(timestamptz, uuid, uuid, uuid, interval, interval) IS
	'hold a slot of a calendar for a contact and return the hold id; 23P01 "slot already booked" when it overlaps a booking or a live hold';

-- Turns a live hold into a booking.
CREATE FUNCTION confirm_slot(hold_id uuid, cal_booking_uid text) RETURNS appointments
	AS 'MODULE_PATHNAME', 'vapi_pool_confirm_slot'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION confirm_slot(uuid, text) IS
	'book a live hold (cal_booking_uid: the Cal.com booking, or NULL); an expired or released hold is refused (55000)';

-- Cancels a hold or a booking; idempotent.
CREATE FUNCTION release_slot(hold_id uuid, reason text DEFAULT 'released') RETURNS appointments
	AS 'MODULE_PATHNAME', 'vapi_pool_release_slot'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION release_slot(uuid, text) IS
	'cancel a hold or booking with a reason; releasing it again returns it unchanged';

-- The candidate starts (for example Cal.com's free slots) that no booking or
-- live hold of the calendar blocks, in the order given.
CREATE FUNCTION free_slots(broker_id uuid, candidate_starts timestamptz[],
		duration interval DEFAULT '30 minutes', org_id uuid DEFAULT NULL)
	RETURNS timestamptz[]
	AS 'MODULE_PATHNAME', 'vapi_pool_free_slots'
	LANGUAGE C STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION free_slots(uuid, timestamptz[], interval, uuid) IS
	'the candidate starts not blocked by a booking or live hold of the calendar (broker_id NULL: the organisation''s, org_id or the caller''s), nor in the past';

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION claim_slot_atomic(timestamptz, uuid, uuid, uuid, interval, interval),
	confirm_slot(uuid, text), release_slot(uuid, text), free_slots(uuid, timestamptz[], interval, uuid)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_slot_atomic(timestamptz, uuid, uuid, uuid, interval, interval),
	confirm_slot(uuid, text), release_slot(uuid, text), free_slots(uuid, timestamptz[], interval, uuid)
	TO authenticated, service_role;
-- Instantly replies (release 0.4.0): reading a lead's e-mail reply and
-- acting on it in one transaction (seed 000, WF1).  The functions are C:
-- classify_reply (reply_*.c, no outside service) and handle_instantly_event
-- (instantly_event.c).  This part adds where campaigns map to organisations,
-- where every Instantly event is recorded with what was decided, and the
-- declarations.  docs/replies.md describes the rules and the flow.

-- ---------------------------------------------------------------- classification

-- What classify_reply read in a reply.
CREATE TYPE reply_classification AS (
	intent text,				-- call_requested, interested, not_interested, unsubscribe,
								-- out_of_office, wrong_person or question
	phone e164,					-- the number the lead asks to be called on, for call_requested
	confidence real,			-- 0..1
	evidence text				-- the phrase that decided it
);

-- The intent of an e-mail reply, the callback number and the phrase that
-- decided it; region is where numbers without a country code are.  A pure
-- function that runs no SQL: no search_path to set (a SET clause would cost
-- a configuration save and restore on every call).
CREATE FUNCTION classify_reply(reply_text text, region text DEFAULT 'US') RETURNS reply_classification
	AS 'MODULE_PATHNAME', 'vapi_pool_classify_reply'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION classify_reply(text, text) IS
	'intent, callback number (e164), confidence and evidence of an e-mail reply; the quoted thread and signatures are not read as the lead''s words';

-- ---------------------------------------------------------------- campaigns

-- Which organisation an Instantly campaign belongs to, and the broker its
-- new leads get when no territory serves their ZIP code.
CREATE TABLE instantly_campaigns (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	campaign_id uuid NOT NULL,
	workspace_id uuid NOT NULL,
	name text,
	broker_id uuid,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT instantly_campaigns_pkey PRIMARY KEY (org_id, campaign_id)
);
-- An event names the campaign, not the organisation.
CREATE INDEX instantly_campaigns_campaign_idx ON instantly_campaigns (campaign_id);
CREATE TRIGGER instantly_campaigns_touch_updated_at BEFORE UPDATE ON instantly_campaigns
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE instantly_campaigns IS
	'Instantly campaigns (with their workspace) of each organisation, and the default broker of their new leads';

-- ---------------------------------------------------------------- events

-- Every Instantly event received, once: replies with what the classifier
-- read and what the flow decided, other events stored as they came.
CREATE TABLE instantly_events (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	event_type text NOT NULL CONSTRAINT instantly_events_event_type_present CHECK (event_type <> ''),
	-- email_id, or for an event without one a digest of the payload
	dedup_key text NOT NULL CONSTRAINT instantly_events_dedup_key_present CHECK (dedup_key <> ''),
	email_id text,
	campaign_id uuid NOT NULL,
	workspace_id uuid NOT NULL,
	lead_id uuid,
	lead_email text,
	event_at timestamptz,
	received_at timestamptz NOT NULL DEFAULT now(),
	reply_subject text,
	reply_text text,
	intent text CONSTRAINT instantly_events_intent_known CHECK (intent IN ('call_requested', 'interested',
		'not_interested', 'unsubscribe', 'out_of_office', 'wrong_person', 'question')),
	phone e164,
	confidence real CONSTRAINT instantly_events_confidence_range CHECK (confidence BETWEEN 0 AND 1),
	evidence text,
	decision text NOT NULL CONSTRAINT instantly_events_decision_known CHECK (decision IN ('call_queued',
		'call_already_queued', 'needs_number', 'pool_exhausted', 'assignment_refused', 'opted_out',
		'opt_out_kept', 'recorded', 'stored')),
	decision_detail text,
	call_number e164,
	assignment_id uuid,
	outbox_id bigint,
	call_at timestamptz,
	payload jsonb NOT NULL,
	CONSTRAINT instantly_events_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT instantly_events_dedup_key_key UNIQUE (org_id, event_type, dedup_key)
);
CREATE INDEX instantly_events_lead_idx ON instantly_events (org_id, lead_id, event_at);
COMMENT ON TABLE instantly_events IS
	'Instantly webhook events, one row per delivery key; replies carry the classification and the decision';
COMMENT ON COLUMN instantly_events.phone IS 'the callback number the classifier read in the reply';
COMMENT ON COLUMN instantly_events.call_number IS 'the number the queued call goes to (from the reply, else the lead''s)';
COMMENT ON COLUMN instantly_events.payload IS 'the event as received, without reply_text (its own column) and reply_html';

-- A lead's references from events (and a campaign's broker) are cleared
-- when the row they name goes; the event stays.  Version-guarded as in
-- 030_data_model.sql.
DO $fks$
DECLARE
	fk record;
BEGIN
	FOR fk IN SELECT * FROM (VALUES
		('instantly_campaigns', 'instantly_campaigns_broker_fkey', 'broker_id', 'brokers', 'id'),
		('instantly_events', 'instantly_events_lead_fkey', 'lead_id', 'leads', 'id'),
		('instantly_events', 'instantly_events_assignment_fkey', 'assignment_id', 'vapi_number_assignments', 'id'),
		('instantly_events', 'instantly_events_outbox_fkey', 'outbox_id', 'outbox', 'id'))
		AS v(tbl, name, col, parent, parent_col)
	LOOP
		EXECUTE pg_catalog.format(
			'ALTER TABLE vapi_pool.%I ADD CONSTRAINT %I FOREIGN KEY (org_id, %I) REFERENCES vapi_pool.%I (org_id, %I) ON DELETE %s',
			fk.tbl, fk.name, fk.col, fk.parent, fk.parent_col,
			CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 150000
				 THEN pg_catalog.format('SET NULL (%I)', fk.col) ELSE 'NO ACTION' END);
	END LOOP;
END
$fks$;

-- The flow finds a lead by e-mail address, whatever its case.
CREATE INDEX leads_email_lower_idx ON leads (org_id, pg_catalog.lower(email));
-- ... and a lead's create-call jobs still to be sent.
CREATE INDEX outbox_create_call_lead_idx ON outbox (org_id, (payload ->> 'lead_id'))
	WHERE kind = 'vapi.create_call' AND state IN ('pending', 'in_flight');

-- ---------------------------------------------------------------- the flow

-- What handle_instantly_event decided.
CREATE TYPE instantly_decision AS (
	event_id uuid,
	org_id uuid,
	lead_id uuid,
	event_type text,
	intent text,
	confidence real,
	evidence text,
	decision text,				-- see instantly_events.decision and docs/replies.md
	detail text,
	call_number e164,
	assignment_id uuid,
	outbox_id bigint,			-- the vapi.create_call job
	call_at timestamptz,		-- when the job is due: now, or the broker's next calling hour
	lead_status text,
	duplicate boolean			-- the event had been received before: nothing changed
);

-- One Instantly webhook event (the JSON body): records it, and for a reply
-- finds or creates the lead, classifies the reply and acts on it, all in the
-- caller's transaction.
CREATE FUNCTION handle_instantly_event(payload jsonb) RETURNS instantly_decision
	AS 'MODULE_PATHNAME', 'vapi_pool_handle_instantly_event'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION handle_instantly_event(jsonb) IS
	'records an Instantly event; for reply_received classifies the reply and queues a call, marks the lead as needing a number, or opts the lead out';

-- ---------------------------------------------------------------- security

ALTER TABLE instantly_campaigns ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE instantly_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY instantly_campaigns_org_select ON instantly_campaigns FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY instantly_campaigns_org_insert ON instantly_campaigns FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY instantly_campaigns_org_update ON instantly_campaigns FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY instantly_campaigns_org_delete ON instantly_campaigns FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
-- events are written by the flow alone: members read them
CREATE POLICY instantly_events_org_select ON instantly_events FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON instantly_campaigns TO authenticated, service_role;
GRANT SELECT ON instantly_events TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON instantly_events TO service_role;

REVOKE EXECUTE ON FUNCTION handle_instantly_event(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION handle_instantly_event(jsonb) TO service_role;
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
-- The dispatcher's side of the outbox (release 0.4.0, issue 7): claiming jobs
-- with a lease, turning them into the exact HTTP request the vendor expects,
-- applying the vendor's answer, dead letters and replay; the assistants and
-- numbers vapi-shim provisions.  The contract is docs/dispatcher.md.
--
-- The shim only moves bytes: every request is built here (outbox_request)
-- and every answer is judged here (outbox_report, C in outbox_report.c):
-- done with its effect recorded, retried with backoff, or dead.

-- ---------------------------------------------------------------- state

ALTER TABLE outbox
	ADD COLUMN claimed_by text,
	ADD COLUMN first_sent_at timestamptz,
	ADD COLUMN reconcile boolean NOT NULL DEFAULT false,
	ADD COLUMN result jsonb,
	ADD COLUMN finished_at timestamptz;
ALTER TABLE outbox ADD CONSTRAINT outbox_lease_while_in_flight
	CHECK ((state = 'in_flight') = (lease_expires_at IS NOT NULL));
COMMENT ON COLUMN outbox.claimed_by IS 'the dispatcher that claimed the job last';
COMMENT ON COLUMN outbox.first_sent_at IS 'when an attempt first may have reached the vendor (the reconcile window starts here)';
COMMENT ON COLUMN outbox.reconcile IS
	'an earlier attempt may have reached the vendor: the next claim asks the vendor first (GET) instead of sending again';
COMMENT ON COLUMN outbox.result IS 'what the vendor answered that matters: the call, chat, booking or number id';
COMMENT ON COLUMN outbox.lease_expires_at IS 'while in_flight: the claim is void after this and the job is claimable again';

-- Leases that ran out are claimed again, oldest first.
CREATE INDEX outbox_lease_idx ON outbox (lease_expires_at) WHERE state = 'in_flight';
-- Dead letters, newest first, for operators.
CREATE INDEX outbox_dead_idx ON outbox (org_id, updated_at DESC) WHERE state = 'dead';

-- The assistants `vapi-shim assistants push` created in the Vapi account;
-- not an organisation's (there is one Vapi account per deployment), so only
-- service_role sees them.
CREATE TABLE vapi_assistants (
	role text PRIMARY KEY CONSTRAINT vapi_assistants_role_name CHECK (role ~ '^[a-z][a-z0-9_]*$'),
	vapi_assistant_id text NOT NULL CONSTRAINT vapi_assistants_id_present CHECK (btrim(vapi_assistant_id) <> ''),
	definition_sha256 text CONSTRAINT vapi_assistants_sha256_hex CHECK (definition_sha256 ~ '^[0-9a-f]{64}$'),
	pushed_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE vapi_assistants ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON vapi_assistants TO service_role;
COMMENT ON TABLE vapi_assistants IS
	'assistants pushed to the Vapi account by vapi-shim assistants push (intake, connector, clinic_receptionist)';

-- ---------------------------------------------------------------- types

-- One HTTP request the database wants sent (docs/dispatcher.md).
CREATE TYPE http_request AS (
	service text,				-- vapi or cal: the sender adds its base URL and API key
	method text,
	path text,					-- with the query string, percent-encoded
	headers jsonb,				-- extra headers (cal-api-version)
	body text,					-- JSON text, NULL for none
	timeout_ms integer
);

-- A claimed job with the request to send for it.
CREATE TYPE outbox_request AS (
	org_id uuid,
	job_id bigint,
	attempt integer,			-- echoed in the report
	kind text,
	service text,
	method text,
	path text,
	headers jsonb,
	body text,
	timeout_ms integer
);

-- ---------------------------------------------------------------- building requests

-- Percent-encodes text for a URL's path segment or query value (RFC 3986 unreserved characters stay).
CREATE FUNCTION url_encode(text) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_url_encode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The Vapi assistant that places an organisation's calls and texts: the
-- job's own, the organisation's intake assistant, the setting, or the one
-- `vapi-shim assistants push` created.
CREATE FUNCTION outbound_assistant_id(org_id uuid, job_payload jsonb) RETURNS text
	LANGUAGE sql STABLE
	RETURN coalesce(job_payload ->> 'assistant_id',
		(SELECT o.intake_assistant_id FROM orgs o WHERE o.org_id = outbound_assistant_id.org_id),
		nullif(current_setting('vapi_pool.intake_assistant_id', true), ''),
		(SELECT a.vapi_assistant_id FROM vapi_assistants a WHERE a.role = 'intake'));

-- Why a job cannot be sent as it stands, or NULL: the claim marks such a job
-- dead at once instead of sending something the vendor must refuse.
CREATE FUNCTION outbox_problem(job outbox) RETURNS text
	LANGUAGE sql STABLE
	RETURN CASE
		WHEN job.kind IN ('vapi.create_call', 'vapi.sms') AND outbound_assistant_id(job.org_id, job.payload) IS NULL THEN
			'no assistant to place it: set orgs.intake_assistant_id or vapi_pool.intake_assistant_id, or run vapi-shim assistants push'
		WHEN job.kind IN ('vapi.create_call', 'vapi.sms') AND job.payload ->> 'phone_number_id' IS NULL THEN
			'its pool number has no Vapi phone number id (vapi_number_pool.vapi_phone_number_id): run vapi-shim pool sync'
		WHEN job.kind IN ('vapi.create_call', 'vapi.sms') AND job.payload ->> 'customer_number' IS NULL THEN
			'the lead has no phone number'
		WHEN job.kind = 'vapi.sms' AND coalesce(job.payload ->> 'text', '') = '' THEN
			'the message is empty'
		WHEN job.kind = 'vapi.sms' AND job.reconcile THEN
			'a dispatcher stopped while sending it and Vapi cannot be asked whether it went out: not sent again (outbox_replay sends it)'
		WHEN job.kind = 'cal.create_booking' AND jsonb_typeof(job.payload -> 'request') IS DISTINCT FROM 'object' THEN
			'the booking request is missing'
		WHEN job.kind = 'cal.cancel_booking' AND job.payload ->> 'booking_uid' IS NULL THEN
			'the booking uid is missing'
		WHEN job.kind = 'vapi.buy_number' AND job.payload ->> 'broker_id' IS NULL THEN
			'the broker is missing'
	END;

-- A POST to one of Cal.com's /bookings endpoints, with their cal-api-version.
CREATE FUNCTION cal_bookings_request(path text, body text, timeout_ms integer) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN ROW('cal', 'POST', path,
		jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_bookings')),
		body, timeout_ms)::http_request;

-- The timeout of a request a tool call waits for: never past its budget.
CREATE FUNCTION tool_request_timeout_ms() RETURNS integer
	LANGUAGE sql STABLE
	RETURN least(current_setting('vapi_pool.http_timeout_ms')::integer,
				 current_setting('vapi_pool.tool_budget_ms')::integer);

-- (The three functions below have SQL-standard bodies, bound when they are
-- created, so they need no search_path of their own; outbox_request is one
-- expression, so the claim's query inlines it: as a called function it cost
-- ten times the expression itself.)

-- The request for a job, exactly as the vendor documents it
-- (../shared/reference): a create call is POST /call with only lead_id in
-- variableValues and the voicemail message on retries; a reconcile is the
-- GET that finds what an earlier attempt may have done.  Purchased numbers
-- are named after their job, which is how a reconcile finds them.
CREATE FUNCTION outbox_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN CASE
		WHEN job.kind = 'vapi.create_call' AND job.reconcile THEN
			ROW('vapi', 'GET', '/call?phoneNumberId=' || url_encode(job.payload ->> 'phone_number_id')
				|| '&createdAtGe=' || url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC',
													  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.create_call' THEN
			ROW('vapi', 'POST', '/call', '{}'::jsonb,
				jsonb_build_object(
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'phoneNumberId', job.payload ->> 'phone_number_id',
					'customer', jsonb_strip_nulls(jsonb_build_object(
						'number', job.payload ->> 'customer_number', 'name', job.payload ->> 'customer_name')),
					'assistantOverrides', jsonb_strip_nulls(jsonb_build_object(
						'variableValues', jsonb_build_object('lead_id', job.payload ->> 'lead_id'),
						'voicemailMessage', CASE WHEN coalesce((job.payload ->> 'attempt')::integer, 1) > 1
							THEN nullif(job.payload ->> 'voicemail_message', '') END)))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.sms' THEN
			ROW('vapi', 'POST', '/chat', '{}'::jsonb,
				jsonb_build_object(
					'input', job.payload ->> 'text',
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'transport', jsonb_build_object('type', 'twilio.sms',
						'phoneNumberId', job.payload ->> 'phone_number_id',
						'customer', jsonb_build_object('number', job.payload ->> 'customer_number')))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'cal.create_booking' THEN
			cal_bookings_request('/bookings', (job.payload -> 'request')::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'cal.cancel_booking' THEN
			cal_bookings_request('/bookings/' || url_encode(job.payload ->> 'booking_uid') || '/cancel',
				jsonb_build_object('cancellationReason', coalesce(job.payload ->> 'reason', 'Cancelled'))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'vapi.buy_number' AND job.reconcile THEN
			ROW('vapi', 'GET', '/phone-number?createdAtGe='
				|| url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.buy_number' THEN
			ROW('vapi', 'POST', '/phone-number', '{}'::jsonb,
				jsonb_strip_nulls(jsonb_build_object(
					'provider', 'vapi',
					'numberDesiredAreaCode', job.payload ->> 'area_code',
					'name', 'vapi_pool job ' || job.idempotency_key,
					'server', CASE WHEN job.payload ->> 'server_url' IS NOT NULL
						THEN jsonb_build_object('url', job.payload ->> 'server_url') END))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
	END;
COMMENT ON FUNCTION outbox_request(outbox) IS
	'the HTTP request a job is sent as (or, when reconcile is set, the GET that finds an earlier attempt''s effect)';

-- ---------------------------------------------------------------- the dispatcher API

-- Takes up to batch_size due jobs (pending and due, or in flight with an
-- expired lease) for one dispatcher, with a lease; returns their requests.
CREATE FUNCTION outbox_claim(dispatcher text, batch_size integer DEFAULT 32, lease interval DEFAULT '2 minutes')
	RETURNS SETOF outbox_request
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_claim'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION outbox_claim(text, integer, interval) IS
	'claim due jobs (FOR UPDATE SKIP LOCKED) with a lease and return the HTTP request of each; a job that cannot be sent is marked dead';

-- Applies the answers a dispatcher got (a JSON array, docs/dispatcher.md).
CREATE FUNCTION outbox_report(results jsonb)
	RETURNS TABLE (org_id uuid, job_id bigint, state text, run_at timestamptz, note text)
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_report'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION outbox_report(jsonb) IS
	'apply vendor answers to claimed jobs: done (effect recorded), pending again (backoff, Retry-After) or dead; stale answers change nothing';

-- The earliest moment a job becomes claimable, NULL when none will.
CREATE FUNCTION outbox_next_due() RETURNS timestamptz
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN least((SELECT min(o.run_at) FROM outbox o WHERE o.state = 'pending'),
				 (SELECT min(o.lease_expires_at) FROM outbox o WHERE o.state = 'in_flight'));

-- Sends a dead job again: pending, due now, attempts from zero.
CREATE FUNCTION outbox_replay(id bigint) RETURNS outbox
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_replay'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION outbox_replay(bigint) IS
	'put a dead job back (pending, due now, attempts reset); 55000 unless it is dead';

-- How the outbox stands, for /metrics and operators: each count reads its
-- own partial index, so done jobs (most of the table) are never scanned.
CREATE FUNCTION outbox_stats(OUT pending bigint, OUT due bigint, OUT in_flight bigint, OUT dead bigint,
		OUT oldest_due_at timestamptz)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT (SELECT count(*) FROM outbox o WHERE o.state = 'pending'),
		   (SELECT count(*) FROM outbox o WHERE o.state = 'pending' AND o.run_at <= now()),
		   (SELECT count(*) FROM outbox o WHERE o.state = 'in_flight'),
		   (SELECT count(*) FROM outbox o WHERE o.state = 'dead'),
		   (SELECT min(o.run_at) FROM outbox o WHERE o.state = 'pending' AND o.run_at <= now())
	$$;

-- Finished jobs older than keep (at least a day), at most batch_size, are
-- deleted; dead jobs stay for an operator.  A reply's event keeps its row
-- with outbox_id NULL.
CREATE INDEX outbox_done_idx ON outbox (finished_at) WHERE state = 'done';
CREATE FUNCTION purge_outbox(keep interval DEFAULT '30 days', batch_size integer DEFAULT 10000) RETURNS bigint
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	doomed bigint[];
	purged bigint;
BEGIN
	IF keep IS NULL OR keep < interval '1 day' THEN
		RAISE EXCEPTION 'finished outbox jobs must be kept at least one day, not %', coalesce(keep::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'A job''s idempotency key is what keeps a decision from being sent twice.';
	END IF;
	IF batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'batch_size must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT array_agg(o.id) INTO doomed FROM (
		SELECT o.id FROM outbox o
		WHERE o.state = 'done' AND o.finished_at < now() - keep
		ORDER BY o.finished_at LIMIT batch_size
		FOR UPDATE SKIP LOCKED) o;
	IF doomed IS NULL THEN
		RETURN 0;
	END IF;
	-- PostgreSQL 14 has no ON DELETE SET NULL (column) for this key
	UPDATE instantly_events e SET outbox_id = NULL WHERE e.outbox_id = ANY (doomed);
	DELETE FROM outbox o WHERE o.id = ANY (doomed) AND o.state = 'done';
	GET DIAGNOSTICS purged = ROW_COUNT;
	RETURN purged;
END
$$;
COMMENT ON FUNCTION purge_outbox(interval, integer) IS
	'deletes done outbox jobs finished longer than keep ago (at least a day), at most batch_size; dead jobs stay';

-- New due jobs wake the dispatchers at once (they LISTEN on vapi_pool_outbox).
CREATE FUNCTION notify_outbox() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF EXISTS (SELECT FROM new_jobs j WHERE j.state = 'pending' AND j.run_at <= now()) THEN
		PERFORM pg_notify('vapi_pool_outbox', '');
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
	REFERENCING NEW TABLE AS new_jobs
	FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

-- ---------------------------------------------------------------- live tool calls

-- A tool call that waits for Cal.com: receive_webhook stores the event as
-- waiting, with the answer so far (a pending item per waiting call), and
-- hands the shim the requests to make; continue_webhook takes the answers.
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_state_known,
	ADD CONSTRAINT webhook_inbox_state_known CHECK (state IN ('processed', 'failed', 'waiting'));
COMMENT ON COLUMN webhook_inbox.state IS
	'processed, failed (the dead-letter queue) or waiting (a tool call waits for the Cal.com answers the shim is fetching)';

-- Cal.com's free slots of an event type, written in the zone: of one day
-- when a day is given, else of the next 7 days.
CREATE FUNCTION cal_slots_request(event_type_id bigint, timezone text, day date DEFAULT NULL) RETURNS http_request
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN ROW('cal', 'GET',
		'/slots?eventTypeId=' || event_type_id
		|| '&start=' || coalesce(to_char(day, 'YYYY-MM-DD'), to_char(now() AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&end=' || coalesce(to_char(day, 'YYYY-MM-DD'), to_char((now() + interval '7 days') AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&timeZone=' || url_encode(timezone),
		jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_slots')),
		NULL::text, tool_request_timeout_ms())::http_request;

-- The body of Cal.com's POST /bookings for a held slot (calcom-booking.request.json's shape).
CREATE FUNCTION cal_booking_body(event_type_id bigint, start timestamptz, name text, timezone text,
		email text, phone text, lead_id uuid, hold_id uuid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object(
		'start', to_char(start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'eventTypeId', event_type_id,
		'attendee', jsonb_strip_nulls(jsonb_build_object('name', coalesce(name, 'Caller'), 'timeZone', timezone,
			'email', email, 'phoneNumber', phone, 'language', 'en')),
		'metadata', jsonb_build_object('lead_id', lead_id::text, 'hold_id', hold_id::text));

-- The tool-calls answer item of a call that waits for a request.
CREATE FUNCTION tool_pending(name text, tool_call_id text, step text, context jsonb, request http_request)
	RETURNS jsonb
	LANGUAGE sql IMMUTABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object('name', name, 'toolCallId', tool_call_id,
		'pending', jsonb_build_object('step', step, 'context', context,
			'request', to_jsonb(request) || jsonb_build_object('id', tool_call_id || ':' || step)));

-- What the shim is to fetch for a waiting event (docs/dispatcher.md).
CREATE FUNCTION waiting_requests(answer jsonb) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object(
		'requests', coalesce((SELECT jsonb_agg(r -> 'pending' -> 'request')
			FROM jsonb_array_elements(answer -> 'results') r WHERE r ? 'pending'), '[]'),
		'budget_ms', current_setting('vapi_pool.tool_budget_ms')::integer);

-- The answer a repeated delivery of a waiting event gets: its finished
-- items, and for each waiting one a sentence (never a second request).
-- abandoned: the first delivery's shim is gone (waiting past its budget).
CREATE FUNCTION waiting_interim_answer(answer jsonb, abandoned boolean DEFAULT false) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object('results', coalesce((
		SELECT jsonb_agg(CASE WHEN e.r ? 'pending'
			THEN jsonb_build_object('name', e.r -> 'name', 'toolCallId', e.r -> 'toolCallId',
				'error', CASE WHEN abandoned THEN 'The calendar step was interrupted; please ask again.'
					ELSE 'Still working with the calendar; please wait a moment and ask again.' END)
			ELSE e.r END ORDER BY e.i)
		FROM jsonb_array_elements(answer -> 'results') WITH ORDINALITY AS e(r, i)), '[]'));

-- A time as the assistant reads it out: "Tuesday, November 24 at 9:00 AM".
CREATE FUNCTION spoken_time(t timestamptz, timezone text) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN to_char(t AT TIME ZONE timezone, 'FMDay, FMMonth FMDD "at" FMHH12:MI AM');

-- Cal.com's free slots (GET /slots's answer) that no booking or live hold
-- of the calendar blocks, as one line the assistant can read out; refused
-- is a time Cal.com just refused to book.
CREATE FUNCTION readable_slots(broker_id uuid, org_id uuid, timezone text, slots jsonb, how_many integer DEFAULT 6,
		refused timestamptz DEFAULT NULL)
	RETURNS text
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT CASE WHEN count(*) = 0 THEN 'No free times in the next 7 days.'
		ELSE 'Free times (' || timezone || '): ' || string_agg(spoken_time(f.t, timezone), '; ' ORDER BY f.t) || '.' END
	FROM (SELECT t FROM unnest(free_slots(broker_id,
			ARRAY(SELECT (s ->> 'start')::timestamptz
				  FROM jsonb_each(CASE WHEN jsonb_typeof(slots -> 'data') = 'object' THEN slots -> 'data' ELSE '{}' END) d,
					   jsonb_array_elements(CASE WHEN jsonb_typeof(d.value) = 'array' THEN d.value ELSE '[]' END) s
				  WHERE s ->> 'start' IS NOT NULL ORDER BY 1),
			interval '30 minutes', org_id)) AS t
		  WHERE t IS DISTINCT FROM refused	-- Cal.com may still list the time it just refused
		  ORDER BY t LIMIT how_many) f
	$$;

-- Goes on with a waiting event: responses are the answers to its requests
-- (a JSON array of {id, status, body, retry_after, error}).
CREATE FUNCTION continue_webhook(inbox_id bigint, responses jsonb) RETURNS webhook_receipt
	AS 'MODULE_PATHNAME', 'vapi_pool_continue_webhook'
	LANGUAGE C VOLATILE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION continue_webhook(bigint, jsonb) IS
	'give a waiting tool call the answers of the Cal.com requests it asked for; returns the final answer, or more requests (state waiting)';

-- ---------------------------------------------------------------- cancelling at Cal.com

-- release_slot of a booked appointment cancels the booking at Cal.com too.
-- release_slot runs with its caller's rights (a member cancels their own
-- organisation's appointment), and members may not write the outbox, so the
-- job is queued here, with the extension owner's rights, and only for a
-- booking that really is cancelled.
CREATE FUNCTION queue_cal_cancel(org_id uuid, booking_uid text, hold_id uuid, reason text) RETURNS void
	LANGUAGE sql VOLATILE SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	INSERT INTO outbox (org_id, kind, payload, idempotency_key)
	SELECT a.org_id, 'cal.cancel_booking',
		jsonb_build_object('booking_uid', a.cal_booking_uid, 'hold_id', a.hold_id, 'reason', queue_cal_cancel.reason),
		'cancel:' || a.cal_booking_uid
	FROM appointments a
	WHERE a.org_id = queue_cal_cancel.org_id AND a.hold_id = queue_cal_cancel.hold_id
	  AND a.cal_booking_uid = queue_cal_cancel.booking_uid AND a.status = 'cancelled'
	ON CONFLICT (org_id, idempotency_key) DO NOTHING
	$$;
REVOKE EXECUTE ON FUNCTION queue_cal_cancel(uuid, text, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_cal_cancel(uuid, text, uuid, text) TO authenticated, service_role;
COMMENT ON FUNCTION queue_cal_cancel(uuid, text, uuid, text) IS
	'queue the cancellation at Cal.com of a booking release_slot cancelled (only a cancelled appointment''s own uid)';

-- ---------------------------------------------------------------- provisioning

-- Records an assistant vapi-shim pushed (creates or replaces its row).
CREATE FUNCTION record_assistant(role text, vapi_assistant_id text, definition_sha256 text DEFAULT NULL)
	RETURNS vapi_assistants
	LANGUAGE sql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	INSERT INTO vapi_assistants AS a (role, vapi_assistant_id, definition_sha256)
	VALUES (record_assistant.role, record_assistant.vapi_assistant_id, record_assistant.definition_sha256)
	ON CONFLICT ON CONSTRAINT vapi_assistants_pkey DO UPDATE
		SET vapi_assistant_id = excluded.vapi_assistant_id, definition_sha256 = excluded.definition_sha256,
			pushed_at = now()
	RETURNING a.*
	$$;

-- Queues the purchases that bring a broker's pool up to number_pool_size:
-- numbers in the pool (not retired) plus purchases under way.  The
-- dispatcher buys each (POST /phone-number, server.url set) and its report
-- adds the number to the pool.  dry_run says what would be queued.
CREATE FUNCTION pool_fill(broker uuid, area_code text DEFAULT NULL, server_url text DEFAULT NULL,
		dry_run boolean DEFAULT false)
	RETURNS TABLE (org_id uuid, broker_id uuid, pool_size integer, in_pool integer, pending integer,
		queued integer, job_ids bigint[])
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	b brokers;
BEGIN
	IF area_code IS NOT NULL AND area_code !~ '^[2-9][0-9]{2}$' THEN
		RAISE EXCEPTION 'area code must be three digits, not starting with 0 or 1'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = format('The area code was "%s".', area_code);
	END IF;
	IF server_url IS NOT NULL AND server_url !~ '^https?://[^/\s]+' THEN
		RAISE EXCEPTION 'server URL must be an http or https URL'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = format('The server URL was "%s".', server_url);
	END IF;
	SELECT * INTO b FROM brokers WHERE id = pool_fill.broker;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'broker % does not exist', pool_fill.broker USING ERRCODE = 'no_data_found';
	END IF;
	-- one fill of a broker at a time, so two never buy the same gap twice
	PERFORM pg_advisory_xact_lock(hashtextextended('vapi_pool.pool_fill:' || b.id::text, 0));

	org_id := b.org_id;
	broker_id := b.id;
	pool_size := b.number_pool_size;
	SELECT count(*) INTO in_pool FROM vapi_number_pool p
	WHERE p.org_id = b.org_id AND p.broker_id = b.id AND p.status <> 'retired';
	SELECT count(*) INTO pending FROM outbox o
	WHERE o.org_id = b.org_id AND o.kind = 'vapi.buy_number' AND o.state IN ('pending', 'in_flight')
	  AND o.payload ->> 'broker_id' = b.id::text;
	queued := greatest(0, pool_size - in_pool - pending);
	job_ids := '{}';
	IF NOT dry_run AND queued > 0 THEN
		WITH jobs AS (
			INSERT INTO outbox (org_id, kind, payload, idempotency_key)
			SELECT b.org_id, 'vapi.buy_number',
				jsonb_strip_nulls(jsonb_build_object('broker_id', b.id, 'area_code', pool_fill.area_code,
					'server_url', pool_fill.server_url)),
				'buy-number:' || b.id || ':' || gen_random_uuid()
			FROM generate_series(1, queued)
			RETURNING id)
		SELECT array_agg(id ORDER BY id) INTO job_ids FROM jobs;
	ELSIF dry_run THEN
		job_ids := NULL;
	END IF;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION pool_fill(uuid, text, text, boolean) IS
	'queue the vapi.buy_number jobs that bring the broker''s pool up to number_pool_size (dry_run: only count)';

-- Imports the numbers of the Vapi account (GET /phone-number's answer):
-- a number the pool has gets its Vapi id, an unknown one joins the broker's
-- pool when a broker is given.  needs_server_url: the caller should point
-- the number's server URL here.
CREATE FUNCTION pool_sync(broker_id uuid, numbers jsonb, server_url text DEFAULT NULL)
	RETURNS TABLE (vapi_phone_number_id text, number text, action text, needs_server_url boolean)
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	n jsonb;
	e e164;
	p vapi_number_pool;
BEGIN
	IF jsonb_typeof(numbers) IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'numbers must be a JSON array'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'Pass the answer of Vapi''s GET /phone-number.';
	END IF;
	IF pool_sync.broker_id IS NOT NULL AND NOT EXISTS (SELECT FROM brokers b WHERE b.id = pool_sync.broker_id) THEN
		RAISE EXCEPTION 'broker % does not exist', pool_sync.broker_id USING ERRCODE = 'no_data_found';
	END IF;
	FOR n IN SELECT x FROM jsonb_array_elements(numbers) x LOOP
		vapi_phone_number_id := n ->> 'id';
		number := n ->> 'number';
		needs_server_url := false;
		e := e164_try_parse(number, 'US');
		IF vapi_phone_number_id IS NULL OR e IS NULL THEN
			action := 'skipped: not a phone number with an id and an E.164 number';
			RETURN NEXT;
			CONTINUE;
		END IF;
		number := e::text;
		-- a number a purchase job is buying right now is that job's to add
		IF n ->> 'name' LIKE 'vapi_pool job %' AND EXISTS (SELECT FROM outbox o
				WHERE o.kind = 'vapi.buy_number' AND o.state IN ('pending', 'in_flight')
				  AND 'vapi_pool job ' || o.idempotency_key = n ->> 'name') THEN
			action := 'skipped: being bought by a pool_fill job';
			RETURN NEXT;
			CONTINUE;
		END IF;
		SELECT * INTO p FROM vapi_number_pool v WHERE v.number = e;
		IF FOUND THEN
			IF p.vapi_phone_number_id IS NULL THEN
				UPDATE vapi_number_pool v SET vapi_phone_number_id = pool_sync.vapi_phone_number_id
				WHERE v.org_id = p.org_id AND v.id = p.id;
				action := 'linked';
			ELSIF p.vapi_phone_number_id = pool_sync.vapi_phone_number_id THEN
				action := 'known';
			ELSE
				action := 'skipped: the pool has it with Vapi id ' || p.vapi_phone_number_id;
			END IF;
		ELSIF pool_sync.broker_id IS NULL THEN
			action := 'skipped: not in any pool (give a broker to import it)';
		ELSE
			PERFORM add_pool_number(pool_sync.broker_id, e, pool_sync.vapi_phone_number_id);
			action := 'imported';
		END IF;
		needs_server_url := action IN ('linked', 'known', 'imported') AND server_url IS NOT NULL
			AND (n -> 'server' ->> 'url') IS DISTINCT FROM server_url;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION pool_sync(uuid, jsonb, text) IS
	'import the Vapi account''s numbers: link known pool numbers to their Vapi id, add unknown ones to the broker''s pool';

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION outbox_claim(text, integer, interval), outbox_report(jsonb), outbox_next_due(),
	outbox_replay(bigint), outbox_stats(), outbox_request(outbox), outbox_problem(outbox),
	outbound_assistant_id(uuid, jsonb), record_assistant(text, text, text), notify_outbox(),
	pool_fill(uuid, text, text, boolean), pool_sync(uuid, jsonb, text), continue_webhook(bigint, jsonb),
	purge_outbox(interval, integer), cal_bookings_request(text, text, integer), tool_request_timeout_ms()
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outbox_claim(text, integer, interval), outbox_report(jsonb), outbox_next_due(),
	outbox_replay(bigint), outbox_stats(), outbox_request(outbox), outbox_problem(outbox),
	outbound_assistant_id(uuid, jsonb), record_assistant(text, text, text),
	pool_fill(uuid, text, text, boolean), pool_sync(uuid, jsonb, text), continue_webhook(bigint, jsonb),
	purge_outbox(interval, integer), cal_bookings_request(text, text, integer), tool_request_timeout_ms()
	TO service_role;
-- Trust (release 0.5.0, issue 17): what a security review of a multi-tenant
-- deployment asked for.  Every statement here is a change to what the parts
-- before it created, so that the install script and the 0.4.0 -> 0.5.0
-- upgrade (this part alone) end with the same objects.
--
-- 1. The ids of the shared vendor accounts are unique across organisations.
--    One deployment has one Vapi account, one Cal.com key and one Instantly
--    workspace, so an id names one thing of one tenant; unique per
--    organisation let a member of one organisation register another's id
--    and be answered with, or act on, the other's data.
-- 2. queue_cal_cancel queues only the cancellation of a booking the caller
--    can see (extension/slots/slot_claim_hold.c).
-- 3. auth_org_id() and auth_org_role() read org_members past its row level
--    security: only the roles whose policies call them may run them.
-- 4. The procedures pg_cron runs cannot have SET search_path (they commit),
--    so every name and operator in them is qualified; pg_cron's commands
--    name their procedure and type their argument.

-- ---------------------------------------------------------------- vendor ids

-- An installation where two organisations share an id cannot be upgraded
-- silently: the operator decides whose it is.
DO $shared_ids$
DECLARE
	clash text;
BEGIN
	SELECT pg_catalog.string_agg(what, '; ') INTO clash FROM (
		SELECT 'Vapi phone number id ' || vapi_phone_number_id AS what FROM vapi_pool.vapi_number_pool
		WHERE vapi_phone_number_id IS NOT NULL GROUP BY vapi_phone_number_id HAVING pg_catalog.count(*) > 1
		UNION ALL
		SELECT 'Cal.com booking uid ' || cal_booking_uid FROM vapi_pool.appointments
		WHERE cal_booking_uid IS NOT NULL GROUP BY cal_booking_uid HAVING pg_catalog.count(*) > 1
		UNION ALL
		SELECT 'Cal.com event type id ' || cal_event_type_id FROM vapi_pool.brokers
		WHERE cal_event_type_id IS NOT NULL GROUP BY cal_event_type_id HAVING pg_catalog.count(*) > 1
		UNION ALL
		SELECT 'Instantly campaign id ' || campaign_id FROM vapi_pool.instantly_campaigns
		GROUP BY campaign_id HAVING pg_catalog.count(*) > 1) s;
	IF clash IS NOT NULL THEN
		RAISE EXCEPTION 'vendor ids registered more than once: %', clash
			USING ERRCODE = 'unique_violation',
				  DETAIL = 'Since 0.5.0 an id of the shared Vapi, Cal.com and Instantly accounts belongs to one row of one organisation.',
				  HINT = 'Set the wrong copies to NULL (or delete the wrong campaign rows), then run ALTER EXTENSION vapi_pool UPDATE again.';
	END IF;
END
$shared_ids$;

ALTER TABLE vapi_number_pool DROP CONSTRAINT vapi_number_pool_vapi_id_key;
ALTER TABLE vapi_number_pool ADD CONSTRAINT vapi_number_pool_vapi_id_key UNIQUE (vapi_phone_number_id);
ALTER TABLE appointments DROP CONSTRAINT appointments_cal_booking_uid_key;
ALTER TABLE appointments ADD CONSTRAINT appointments_cal_booking_uid_key UNIQUE (cal_booking_uid);
ALTER TABLE brokers ADD CONSTRAINT brokers_cal_event_type_id_key UNIQUE (cal_event_type_id);
DROP INDEX instantly_campaigns_campaign_idx;
ALTER TABLE instantly_campaigns ADD CONSTRAINT instantly_campaigns_campaign_id_key UNIQUE (campaign_id);

COMMENT ON CONSTRAINT vapi_number_pool_vapi_id_key ON vapi_number_pool IS
	'a Vapi phone number id is registered once across all organisations (one Vapi account per deployment)';
COMMENT ON CONSTRAINT appointments_cal_booking_uid_key ON appointments IS
	'a Cal.com booking uid is registered once across all organisations (one Cal.com key per deployment)';
COMMENT ON CONSTRAINT brokers_cal_event_type_id_key ON brokers IS
	'a Cal.com event type belongs to one broker across all organisations (one Cal.com key per deployment)';
COMMENT ON CONSTRAINT instantly_campaigns_campaign_id_key ON instantly_campaigns IS
	'an Instantly campaign belongs to one organisation (one Instantly workspace per deployment)';

-- ---------------------------------------------------------------- cancelling at Cal.com

CREATE OR REPLACE FUNCTION queue_cal_cancel(org_id uuid, booking_uid text, hold_id uuid, reason text) RETURNS void
	AS 'MODULE_PATHNAME', 'vapi_pool_queue_cal_cancel'
	LANGUAGE C VOLATILE STRICT SECURITY INVOKER
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION queue_cal_cancel(uuid, text, uuid, text) IS
	'queue the cancellation at Cal.com of a booking release_slot cancelled: only a cancelled appointment the caller can see, with its own uid';

-- ---------------------------------------------------------------- who is asking

REVOKE EXECUTE ON FUNCTION auth_org_id(), auth_org_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_org_id(), auth_org_role() TO authenticated, service_role;

-- ---------------------------------------------------------------- pg_cron's procedures

CREATE OR REPLACE PROCEDURE release_expired_in_batches(batch_size integer DEFAULT 1000)
	LANGUAGE plpgsql
	AS $$
DECLARE
	released integer;
BEGIN
	LOOP
		released := vapi_pool.release_expired(pg_catalog.clock_timestamp(), batch_size, 1);
		COMMIT;
		EXIT WHEN released OPERATOR(pg_catalog.<) batch_size;
	END LOOP;
END
$$;

CREATE OR REPLACE PROCEDURE purge_inbox_in_batches(keep interval DEFAULT '30 days', batch_size integer DEFAULT 10000)
	LANGUAGE plpgsql
	AS $$
BEGIN
	WHILE vapi_pool.purge_inbox(keep, batch_size) OPERATOR(pg_catalog.>=) batch_size LOOP
		COMMIT;
	END LOOP;
	COMMIT;
	WHILE vapi_pool.purge_outbox(keep, batch_size) OPERATOR(pg_catalog.>=) batch_size LOOP
		COMMIT;
	END LOOP;
END
$$;
-- Backups (release 0.5.0, issue 28): pg_dump writes the rows of every table,
-- and a restore loads them as they were.
--
-- Every table is a member of the extension, so pg_dump writes its definition
-- as CREATE EXTENSION and, unless the table is marked with
-- pg_extension_config_dump, none of its rows: a dump of a 0.4.0 database
-- restored no row.  Every table holds user or operational data and is dumped
-- whole; the sequences behind the bigint ids are marked too, so that ids
-- issued after a restore do not collide with restored ones.  Nothing is left
-- out on purpose: the webhook inbox and the outbox carry dedupe keys and
-- pending work a restored system needs, and their purge jobs keep them small.
--
-- A restore loads each table with COPY into tables whose constraints and
-- triggers already exist (they come with CREATE EXTENSION), in the order of
-- their foreign keys.  Two things stood in its way:
-- 1. A cycle: a lead named its current assignment (fk_vapi_assignment) and an
--    assignment names its lead, so whichever table came first was refused.
--    leads.vapi_assignment_id stays, as the engine's pointer to the lead's
--    current assignment, but is no longer a foreign key: the engine writes
--    it and never reads it to decide anything (it follows assignments by
--    their lead), and deleting an assignment clears it, as the key's
--    ON DELETE SET NULL did (the trigger that already gave back a deleted
--    assignment's number).
-- 2. The starter vocabulary a new clinic gets: loading a clinic's row added
--    the starter terms, and the clinic's own terms then collided with them.
--    Starter terms are now added to an organisation created now (created_at
--    is the transaction's time, its default); a row that carries its own past
--    creation time is an existing organisation being loaded.

DO $mark$
DECLARE
	rel regclass;
BEGIN
	FOR rel IN
		SELECT c.oid::regclass FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
			AND d.objid = c.oid AND d.deptype = 'e'
		JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'vapi_pool'
		WHERE c.relkind IN ('r', 'S')
		ORDER BY c.relname
	LOOP
		PERFORM pg_catalog.pg_extension_config_dump(rel, '');
	END LOOP;
END
$mark$;

-- service_role, which has every table, may also set the sequences, as a
-- --data-only restore by a role that is not a superuser does (Supabase's
-- own role loads the data of an extension the platform created).
GRANT USAGE, SELECT, UPDATE ON SEQUENCE outbox_id_seq, unmatched_call_reports_id_seq, webhook_inbox_id_seq
	TO service_role;

-- ---------------------------------------------------------------- the lead -> assignment pointer

ALTER TABLE leads DROP CONSTRAINT fk_vapi_assignment;
COMMENT ON COLUMN leads.vapi_assignment_id IS
	'the lead''s current assignment, kept by the engine (not a foreign key: a lead and its assignment refer to each other, and a dump must load one first); cleared when the assignment is deleted';

-- An assignment whose row goes (its lead was deleted, or the service deleted
-- it) gives back what it held: its number while unreleased (since 0.3.0),
-- and now its lead's pointer too, as ON DELETE SET NULL did.  One trigger
-- for both, so it fires on every deleted assignment (a released one holds
-- no number, and normally no pointer).
DROP TRIGGER vapi_number_assignments_free_number ON vapi_number_assignments;
ALTER FUNCTION free_number_of_deleted_assignment() RENAME TO release_deleted_assignment;
CREATE OR REPLACE FUNCTION release_deleted_assignment() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF OLD.status <> 'released' THEN
		UPDATE vapi_pool.vapi_number_pool SET status = 'available', last_released_at = pg_catalog.now()
		 WHERE org_id = OLD.org_id AND id = OLD.pool_number_id AND status = 'assigned';
	END IF;
	UPDATE vapi_pool.leads SET vapi_assignment_id = NULL
	 WHERE org_id = OLD.org_id AND id = OLD.lead_id AND vapi_assignment_id = OLD.id;
	RETURN NULL;
END
$$;
CREATE TRIGGER vapi_number_assignments_deleted AFTER DELETE ON vapi_number_assignments
	FOR EACH ROW EXECUTE FUNCTION release_deleted_assignment();

-- ---------------------------------------------------------------- starter terms

DROP TRIGGER orgs_clinic_starter ON orgs;
CREATE TRIGGER orgs_clinic_starter AFTER INSERT ON orgs
	FOR EACH ROW WHEN (NEW.is_clinic AND NEW.created_at = pg_catalog.now())
	EXECUTE FUNCTION orgs_clinic_starter();
-- Release 0.5.1 (issue 18): the C sources of the extension are split into
-- folders by concern (extension/core, e164, redact, outbox, pool, clinic,
-- calls, slots, replies, dispatch, webhook; docs/architecture.md has the map
-- and the order in which they may call each other).  No SQL object changes:
-- the functions keep their names, arguments, answers and errors, and the
-- library they call is the same vapi_pool.so.
-- Release 0.6.0 (issue 19): whole calls that finish.  This part holds the
-- shared settings of the journeys; the parts after it (181_ onwards) hold
-- one concern each.  Every statement here is a delta on 0.5.1: the install
-- script and the 0.5.1 -> 0.6.0 update script are both assembled from it.

-- ---------------------------------------------------------------- booking settings of an organisation

-- What 0.5.1 had written into the code (30-minute appointments, a 7-day
-- horizon, a 15-minute hold while Cal.com books, attendees in English) is
-- the organisation's to set.  A broker's Cal.com event type decides its own
-- appointment length (the length of the slots Cal.com offers); these are the
-- organisation's own calendar's (a clinic's) and the fallback.
ALTER TABLE orgs
	ADD COLUMN appointment_minutes integer NOT NULL DEFAULT 30
		CONSTRAINT orgs_appointment_minutes_range CHECK (appointment_minutes BETWEEN 5 AND 480),
	ADD COLUMN booking_horizon_days integer NOT NULL DEFAULT 7
		CONSTRAINT orgs_booking_horizon_days_range CHECK (booking_horizon_days BETWEEN 1 AND 90),
	ADD COLUMN booking_hold_minutes integer NOT NULL DEFAULT 15
		CONSTRAINT orgs_booking_hold_minutes_range CHECK (booking_hold_minutes BETWEEN 1 AND 120),
	ADD COLUMN language text NOT NULL DEFAULT 'en'
		CONSTRAINT orgs_language_tag CHECK (language ~ '^[a-z]{2}(-[A-Z]{2})?$');
GRANT UPDATE (appointment_minutes, booking_horizon_days, booking_hold_minutes, language) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.appointment_minutes IS
	'length of an appointment on the organisation''s own calendar, and when Cal.com does not say (5-480 minutes)';
COMMENT ON COLUMN orgs.booking_horizon_days IS 'how many days ahead the assistants look for free times (1-90)';
COMMENT ON COLUMN orgs.booking_hold_minutes IS
	'how long a slot stays held for a caller while the booking is made or confirmed (1-120 minutes)';
COMMENT ON COLUMN orgs.language IS 'the language of the organisation''s callers, as Cal.com attendees get it (en, es, en-GB)';
-- Booking what was offered (release 0.6.0, issue 19 item 1): a check of
-- free times remembers, per call, the times it offered and the words it
-- used; a booking names its start as the caller chose it ("Tuesday,
-- November 24 at 9:00 AM", "Tuesday at 9", "the second one") and
-- offered_slot_id (extension/slots/offered_slots.c) finds the one offered
-- slot it means, or answers with the candidates.  Also the booking settings
-- of 180_journeys.sql put to use: the horizon of a check, the hold while
-- Cal.com books, the attendee's language, and the appointment length from
-- Cal.com's slots (format=range) or the organisation.

-- ---------------------------------------------------------------- state

CREATE TABLE offered_slots (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id bigint GENERATED ALWAYS AS IDENTITY,
	vapi_call_id text NOT NULL CONSTRAINT offered_slots_vapi_call_id_present CHECK (vapi_call_id <> ''),
	-- NULL: the organisation's own calendar
	broker_id uuid,
	-- the nth list of times offered in this call, and the place in it (from 1)
	round integer NOT NULL CONSTRAINT offered_slots_round_positive CHECK (round >= 1),
	position integer NOT NULL CONSTRAINT offered_slots_position_positive CHECK (position >= 1),
	starts_at timestamptz NOT NULL,
	ends_at timestamptz NOT NULL,
	timezone iana_timezone NOT NULL,
	-- the words the assistant read out
	label text NOT NULL CONSTRAINT offered_slots_label_present CHECK (btrim(label) <> ''),
	offered_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT offered_slots_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT offered_slots_ends_after_start CHECK (ends_at > starts_at),
	CONSTRAINT offered_slots_broker_fkey FOREIGN KEY (org_id, broker_id) REFERENCES brokers (org_id, id)
		ON DELETE CASCADE
);
CREATE INDEX offered_slots_call_idx ON offered_slots (org_id, vapi_call_id, round);
CREATE INDEX offered_slots_offered_at_idx ON offered_slots (offered_at);
COMMENT ON TABLE offered_slots IS
	'the free times offered in a call, as read out, so that a booking can name the one the caller chose; kept a day';

ALTER TABLE offered_slots ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY offered_slots_org_select ON offered_slots FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT ON offered_slots TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON offered_slots TO service_role;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE offered_slots_id_seq TO service_role;
SELECT pg_catalog.pg_extension_config_dump('offered_slots', '');

-- ---------------------------------------------------------------- Cal.com requests

-- Cal.com's free slots of an event type, written in the zone, each with its
-- end (format=range: the event type's length): of one day when a day is
-- given, else of the next horizon_days days.
DROP FUNCTION cal_slots_request(bigint, text, date);
CREATE FUNCTION cal_slots_request(event_type_id bigint, timezone text, day date DEFAULT NULL,
		horizon_days integer DEFAULT 7) RETURNS http_request
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN ROW('cal', 'GET',
		'/slots?eventTypeId=' || event_type_id
		|| '&start=' || coalesce(to_char(day, 'YYYY-MM-DD'), to_char(now() AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&end=' || coalesce(to_char(day, 'YYYY-MM-DD'),
			to_char((now() + horizon_days * interval '1 day') AT TIME ZONE timezone, 'YYYY-MM-DD'))
		|| '&timeZone=' || url_encode(timezone) || '&format=range',
		jsonb_build_object('cal-api-version', current_setting('vapi_pool.cal_api_version_slots')),
		NULL::text, tool_request_timeout_ms())::http_request;

-- The body of Cal.com's POST /bookings for a held slot (calcom-booking.request.json's shape).
DROP FUNCTION cal_booking_body(bigint, timestamptz, text, text, text, text, uuid, uuid);
CREATE FUNCTION cal_booking_body(event_type_id bigint, start timestamptz, name text, timezone text,
		email text, phone text, lead_id uuid, hold_id uuid, language text DEFAULT 'en') RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN jsonb_build_object(
		'start', to_char(start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		'eventTypeId', event_type_id,
		'attendee', jsonb_strip_nulls(jsonb_build_object('name', coalesce(name, 'Caller'), 'timeZone', timezone,
			'email', email, 'phoneNumber', phone, 'language', coalesce(language, 'en'))),
		'metadata', jsonb_build_object('lead_id', lead_id::text, 'hold_id', hold_id::text));

-- ---------------------------------------------------------------- offering

-- Cal.com's free slots (GET /slots's answer) that no booking or live hold
-- of the calendar blocks, at most how_many, offered in call vapi_call_id:
-- remembered in offered_slots (a new round) and returned as the line the
-- assistant reads out.  refused is a time Cal.com just refused to book;
-- day the day asked for, if any.  Offers older than a day are dropped.
CREATE FUNCTION offer_free_slots(org_id uuid, broker_id uuid, vapi_call_id text, timezone text, slots jsonb,
		how_many integer DEFAULT 6, refused timestamptz DEFAULT NULL, day date DEFAULT NULL)
	RETURNS text
	LANGUAGE sql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	WITH o AS (SELECT g.appointment_minutes, g.booking_horizon_days FROM orgs g WHERE g.org_id = offer_free_slots.org_id),
	cal AS (SELECT (s ->> 'start')::timestamptz AS t, (s ->> 'end')::timestamptz - (s ->> 'start')::timestamptz AS length
		FROM jsonb_each(CASE WHEN jsonb_typeof(slots -> 'data') = 'object' THEN slots -> 'data' ELSE '{}' END) d,
			 jsonb_array_elements(CASE WHEN jsonb_typeof(d.value) = 'array' THEN d.value ELSE '[]' END) s
		WHERE s ->> 'start' IS NOT NULL),
	-- the event type's length, as Cal.com's ranges say it; else the organisation's
	len AS (SELECT coalesce((SELECT min(cal.length) FROM cal WHERE cal.length > interval '0'),
		(SELECT o.appointment_minutes FROM o) * interval '1 minute') AS l),
	f AS (SELECT x.t, row_number() OVER (ORDER BY x.t) AS position
		FROM (SELECT t FROM unnest(free_slots(offer_free_slots.broker_id, ARRAY(SELECT cal.t FROM cal ORDER BY 1),
				(SELECT l FROM len), offer_free_slots.org_id)) AS t
			  WHERE t IS DISTINCT FROM refused	-- Cal.com may still list the time it just refused
			  ORDER BY t LIMIT how_many) x),
	stale AS (DELETE FROM offered_slots s WHERE s.offered_at < now() - interval '1 day'),
	offered AS (INSERT INTO offered_slots (org_id, vapi_call_id, broker_id, round, position, starts_at, ends_at,
			timezone, label)
		SELECT offer_free_slots.org_id, offer_free_slots.vapi_call_id, offer_free_slots.broker_id,
			coalesce((SELECT max(s.round) FROM offered_slots s WHERE s.org_id = offer_free_slots.org_id
				AND s.vapi_call_id = offer_free_slots.vapi_call_id), 0) + 1,
			f.position, f.t, f.t + (SELECT l FROM len), offer_free_slots.timezone, spoken_time(f.t, offer_free_slots.timezone)
		FROM f WHERE offer_free_slots.vapi_call_id IS NOT NULL)
	SELECT CASE WHEN count(*) = 0 AND day IS NOT NULL
			THEN 'No free times on ' || to_char(day, 'FMDay, FMMonth FMDD') || '. Offer to check other days.'
		WHEN count(*) = 0
			THEN 'No free times in the next ' || (SELECT o.booking_horizon_days FROM o) || ' days.'
		ELSE 'Free times (' || timezone || '): ' || string_agg(spoken_time(f.t, timezone), '; ' ORDER BY f.t)
			|| '. To book one, pass it as start exactly as written.' END
	FROM f
	$$;
COMMENT ON FUNCTION offer_free_slots(uuid, uuid, text, text, jsonb, integer, timestamptz, date) IS
	'the free times of a Cal.com slots answer, remembered as offered in the call and read out as one line';

-- readable_slots (0.5.1) read free times out without remembering them; a
-- check now offers them with offer_free_slots, and nothing calls it.
DROP FUNCTION readable_slots(uuid, uuid, text, jsonb, integer, timestamptz);

-- The offered slot of a call that said names (the label as offered, or
-- words that fit one offered time: "Tuesday at 9", "the second one"), on
-- the broker's calendar (NULL: the organisation's own); errors with the
-- candidates when it cannot tell.
CREATE FUNCTION offered_slot_id(org_id uuid, vapi_call_id text, said text, broker_id uuid DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'vapi_pool_offered_slot_id'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION offered_slot_id(uuid, text, text, uuid) IS
	'which time offered in a call the caller chose: the label as offered or words that fit exactly one; 22023 with the candidates otherwise';

REVOKE EXECUTE ON FUNCTION offer_free_slots(uuid, uuid, text, text, jsonb, integer, timestamptz, date),
	offered_slot_id(uuid, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION offer_free_slots(uuid, uuid, text, text, jsonb, integer, timestamptz, date),
	offered_slot_id(uuid, text, text, uuid) TO service_role;
GRANT EXECUTE ON FUNCTION offered_slot_id(uuid, text, text, uuid) TO authenticated;

-- ---------------------------------------------------------------- pool_sync: the organisation's region

-- A Vapi number written without its country code is read in the region of
-- the broker's organisation, not always the US (0.5.1 assumed US).
CREATE OR REPLACE FUNCTION pool_sync(broker_id uuid, numbers jsonb, server_url text DEFAULT NULL)
	RETURNS TABLE (vapi_phone_number_id text, number text, action text, needs_server_url boolean)
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	n jsonb;
	e e164;
	p vapi_number_pool;
	region text;
BEGIN
	IF jsonb_typeof(numbers) IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'numbers must be a JSON array'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'Pass the answer of Vapi''s GET /phone-number.';
	END IF;
	IF pool_sync.broker_id IS NOT NULL AND NOT EXISTS (SELECT FROM brokers b WHERE b.id = pool_sync.broker_id) THEN
		RAISE EXCEPTION 'broker % does not exist', pool_sync.broker_id USING ERRCODE = 'no_data_found';
	END IF;
	SELECT o.default_region INTO region FROM brokers b JOIN orgs o ON o.org_id = b.org_id
	 WHERE b.id = pool_sync.broker_id LIMIT 1;
	region := coalesce(region, 'US');
	FOR n IN SELECT x FROM jsonb_array_elements(numbers) x LOOP
		vapi_phone_number_id := n ->> 'id';
		number := n ->> 'number';
		needs_server_url := false;
		e := e164_try_parse(number, region);
		IF vapi_phone_number_id IS NULL OR e IS NULL THEN
			action := 'skipped: not a phone number with an id and an E.164 number';
			RETURN NEXT;
			CONTINUE;
		END IF;
		number := e::text;
		-- a number a purchase job is buying right now is that job's to add
		IF n ->> 'name' LIKE 'vapi_pool job %' AND EXISTS (SELECT FROM outbox o
				WHERE o.kind = 'vapi.buy_number' AND o.state IN ('pending', 'in_flight')
				  AND 'vapi_pool job ' || o.idempotency_key = n ->> 'name') THEN
			action := 'skipped: being bought by a pool_fill job';
			RETURN NEXT;
			CONTINUE;
		END IF;
		SELECT * INTO p FROM vapi_number_pool v WHERE v.number = e;
		IF FOUND THEN
			IF p.vapi_phone_number_id IS NULL THEN
				UPDATE vapi_number_pool v SET vapi_phone_number_id = pool_sync.vapi_phone_number_id
				WHERE v.org_id = p.org_id AND v.id = p.id;
				action := 'linked';
			ELSIF p.vapi_phone_number_id = pool_sync.vapi_phone_number_id THEN
				action := 'known';
			ELSE
				action := 'skipped: the pool has it with Vapi id ' || p.vapi_phone_number_id;
			END IF;
		ELSIF pool_sync.broker_id IS NULL THEN
			action := 'skipped: not in any pool (give a broker to import it)';
		ELSE
			PERFORM add_pool_number(pool_sync.broker_id, e, pool_sync.vapi_phone_number_id);
			action := 'imported';
		END IF;
		needs_server_url := action IN ('linked', 'known', 'imported') AND server_url IS NOT NULL
			AND (n -> 'server' ->> 'url') IS DISTINCT FROM server_url;
		RETURN NEXT;
	END LOOP;
END
$$;

-- ---------------------------------------------------------------- a booked lead

-- A contact whose appointment is booked is appointment_booked (0.5.1 never
-- set it: an answered call left the lead connected): Barbara's booking, a
-- clinic's, and a booking Cal.com reports alike.  A lead who opted out
-- (do_not_call, not_interested) keeps that status.  The end-of-call report
-- moves only leads not yet connected, so it never undoes this.
CREATE FUNCTION mark_lead_booked() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	UPDATE vapi_pool.leads SET status = 'appointment_booked'
	 WHERE org_id = NEW.org_id AND id = NEW.contact_id
	   AND status IN ('new', 'call_requested', 'calling', 'connected', 'unreachable');
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION mark_lead_booked() FROM PUBLIC;
CREATE TRIGGER appointments_mark_lead_booked AFTER INSERT OR UPDATE OF status ON appointments
	FOR EACH ROW WHEN (NEW.status = 'booked') EXECUTE FUNCTION mark_lead_booked();
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
-- Release 0.6.0 (issue 19, item 5): no voicemail was ever left.  Vapi's
-- voicemail detection is off unless a call asks for it, so a machine that
-- answered an outbound call ended like a person who hung up: the lead was
-- connected and never called again.  Every create-call now configures
-- detection (assistantOverrides.voicemailDetection) and carries a message a
-- lead can act on (who called, why, the number to call back); a call Vapi
-- ends as "voicemail" is an attempt like no answer (retried at the next
-- allowed hour, then the SMS) whose call log keeps the message it left.
-- docs/pool_engine.md, "Voicemail".  A delta on 0.5.1, like every 18x part.

-- ---------------------------------------------------------------- state

-- classify_ended_reason's fourth class (pool/ended_reason.c).
ALTER TABLE vapi_call_logs DROP CONSTRAINT vapi_call_logs_outcome_known;
ALTER TABLE vapi_call_logs ADD CONSTRAINT vapi_call_logs_outcome_known
	CHECK (outcome IN ('answered', 'no_answer', 'voicemail', 'provider_error'));
COMMENT ON COLUMN vapi_call_logs.outcome IS
	'classify_ended_reason(ended_reason): answered, no_answer, voicemail (a machine answered) or provider_error';

ALTER TABLE vapi_call_logs ADD COLUMN voicemail_message text;
COMMENT ON COLUMN vapi_call_logs.voicemail_message IS
	'outcome voicemail: the message the call left on the lead''s voicemail (as its create-call sent it); NULL when it left none';

COMMENT ON COLUMN orgs.voicemail_message IS
	'what outbound calls leave on a lead''s voicemail, once per request: {first_name}, {broker_name}, {org_name} and '
	'{callback_number} (the pool number that called) are filled in; NULL: vapi_pool.voicemail_message; empty: none';

-- record_call_ended finds the create-call job that placed a call (its
-- result names the call) to record the message the call left.
CREATE INDEX outbox_create_call_result_idx ON outbox (org_id, (result ->> 'call_id'))
	WHERE kind = 'vapi.create_call';

COMMENT ON FUNCTION classify_ended_reason(text) IS
	'what a Vapi endedReason means for the lead: answered, no_answer, voicemail or provider_error (NULL for an empty one)';
COMMENT ON COLUMN call_ended.outcome IS 'answered, no_answer, voicemail or provider_error';

-- ---------------------------------------------------------------- the message

-- A phone number as an assistant reads it out: 310-555-0199 in the North
-- American plan, +44 2071838750 elsewhere.
CREATE FUNCTION spoken_phone_number(number e164) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE WHEN e164_country_code(number) = 1
		THEN regexp_replace(e164_national_number(number), '^(\d{3})(\d{3})(\d{4})$', '\1-\2-\3')
		ELSE '+' || e164_country_code(number) || ' ' || e164_national_number(number) END;

-- The voicemail message of a call: the organisation's template (NULL: the
-- vapi_pool.voicemail_message setting) with {first_name} (or "there"),
-- {broker_name} (or the organisation's name), {org_name} and
-- {callback_number} filled in; NULL when the template is empty (leave none).
CREATE FUNCTION voicemail_text(template text, first_name text, broker_name text, org_name text, callback e164)
	RETURNS text
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN nullif(btrim(replace(replace(replace(replace(
		coalesce(template, current_setting('vapi_pool.voicemail_message')),
		'{first_name}', coalesce(nullif(btrim(first_name), ''), 'there')),
		'{broker_name}', coalesce(nullif(btrim(broker_name), ''), org_name, '')),
		'{org_name}', coalesce(org_name, '')),
		'{callback_number}', coalesce(spoken_phone_number(callback), 'this number'))), '');
COMMENT ON FUNCTION voicemail_text(text, text, text, text, e164) IS
	'an organisation''s voicemail message for one lead and pool number (NULL: leave none)';

-- ---------------------------------------------------------------- detection

-- Vapi's voicemailDetection for outbound calls, from the settings: a plan
-- of @vapi-ai/server-sdk's AssistantOverridesVoicemailDetection union
-- (Vapi/Google/OpenAI: provider, type audio, beepMaxAwaitSeconds; Twilio:
-- provider, enabled), or the string "off".
CREATE FUNCTION voicemail_detection() RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	RETURN CASE current_setting('vapi_pool.voicemail_detection')
		WHEN 'off' THEN to_jsonb('off'::text)
		WHEN 'twilio' THEN jsonb_build_object('provider', 'twilio', 'enabled', true)
		ELSE jsonb_build_object('provider', current_setting('vapi_pool.voicemail_detection'), 'type', 'audio',
			'beepMaxAwaitSeconds', current_setting('vapi_pool.voicemail_beep_wait_seconds')::integer) END;
COMMENT ON FUNCTION voicemail_detection() IS
	'the voicemailDetection every create-call sends (vapi_pool.voicemail_detection, vapi_pool.voicemail_beep_wait_seconds)';

-- The request for a job (140_dispatcher.sql's, with voicemail): a create
-- call is POST /call with only lead_id in variableValues, the voicemail
-- detection of the settings and the job's voicemail message (every attempt
-- until one was left); a reconcile is the GET that finds what an earlier
-- attempt may have done.  Purchased numbers are named after their job,
-- which is how a reconcile finds them.  One expression, so that the claim's
-- query inlines it.
CREATE OR REPLACE FUNCTION outbox_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN CASE
		WHEN job.kind = 'vapi.create_call' AND job.reconcile THEN
			ROW('vapi', 'GET', '/call?phoneNumberId=' || url_encode(job.payload ->> 'phone_number_id')
				|| '&createdAtGe=' || url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC',
													  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.create_call' THEN
			ROW('vapi', 'POST', '/call', '{}'::jsonb,
				jsonb_build_object(
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'phoneNumberId', job.payload ->> 'phone_number_id',
					'customer', jsonb_strip_nulls(jsonb_build_object(
						'number', job.payload ->> 'customer_number', 'name', job.payload ->> 'customer_name')),
					'assistantOverrides', jsonb_strip_nulls(jsonb_build_object(
						'variableValues', jsonb_build_object('lead_id', job.payload ->> 'lead_id'),
						'voicemailDetection', voicemail_detection(),
						'voicemailMessage', nullif(job.payload ->> 'voicemail_message', ''))))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.sms' THEN
			ROW('vapi', 'POST', '/chat', '{}'::jsonb,
				jsonb_build_object(
					'input', job.payload ->> 'text',
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'transport', jsonb_build_object('type', 'twilio.sms',
						'phoneNumberId', job.payload ->> 'phone_number_id',
						'customer', jsonb_build_object('number', job.payload ->> 'customer_number')))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'cal.create_booking' THEN
			cal_bookings_request('/bookings', (job.payload -> 'request')::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'cal.cancel_booking' THEN
			cal_bookings_request('/bookings/' || url_encode(job.payload ->> 'booking_uid') || '/cancel',
				jsonb_build_object('cancellationReason', coalesce(job.payload ->> 'reason', 'Cancelled'))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'vapi.buy_number' AND job.reconcile THEN
			ROW('vapi', 'GET', '/phone-number?createdAtGe='
				|| url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.buy_number' THEN
			ROW('vapi', 'POST', '/phone-number', '{}'::jsonb,
				jsonb_strip_nulls(jsonb_build_object(
					'provider', 'vapi',
					'numberDesiredAreaCode', job.payload ->> 'area_code',
					'name', 'vapi_pool job ' || job.idempotency_key,
					'server', CASE WHEN job.payload ->> 'server_url' IS NOT NULL
						THEN jsonb_build_object('url', job.payload ->> 'server_url') END))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
	END;
-- Clinic calls (release 0.6.0, issue 19 items 2-4): the receptionist
-- ("Voxanne", seed 004) answers a clinic's callers, patients on file and new
-- callers alike, and books, moves and cancels their appointments on the
-- clinic's own calendar (or its Cal.com event type); a new caller becomes a
-- contact with the name they give, linked to the call, so that a drop-off
-- follow-up reaches them.  The tools are C (webhook/tool_clinic.c), the
-- contact of a call pool/call_contact.c, the routing the assistant-request
-- plan (webhook_vapi.c) and route_inbound.c.  See docs/clinic_followups.md.

-- ---------------------------------------------------------------- organisations

ALTER TABLE orgs
	ADD COLUMN receptionist_assistant_id text
		CONSTRAINT orgs_receptionist_assistant_id_present CHECK (btrim(receptionist_assistant_id) <> ''),
	ADD COLUMN known_patient_answer text NOT NULL DEFAULT 'receptionist'
		CONSTRAINT orgs_known_patient_answer_known CHECK (known_patient_answer IN ('receptionist', 'forward')),
	ADD COLUMN cal_event_type_id bigint
		CONSTRAINT orgs_cal_event_type_id_positive CHECK (cal_event_type_id > 0),
	ADD COLUMN booking_notice_minutes integer NOT NULL DEFAULT 60
		CONSTRAINT orgs_booking_notice_minutes_range CHECK (booking_notice_minutes BETWEEN 0 AND 10080);
GRANT UPDATE (receptionist_assistant_id, known_patient_answer, cal_event_type_id, booking_notice_minutes)
	ON orgs TO authenticated;
COMMENT ON COLUMN orgs.receptionist_assistant_id IS
	'Vapi assistant that answers a clinic''s callers; NULL: the setting vapi_pool.receptionist_assistant_id, else the clinic_receptionist that vapi-shim assistants push created';
COMMENT ON COLUMN orgs.known_patient_answer IS
	'a clinic''s answer to a patient on file calling: receptionist (the receptionist assistant with the contact) or forward (the front desk, as a lead is forwarded to its broker)';
COMMENT ON COLUMN orgs.cal_event_type_id IS
	'the Cal.com event type of the organisation''s own calendar: free times come from Cal.com and bookings are made there; NULL: from clinic_hours';
COMMENT ON COLUMN orgs.booking_notice_minutes IS
	'the earliest time offered on the organisation''s own calendar is this many minutes from now (0-10080)';

-- A Cal.com event type of the shared account belongs to one calendar of one
-- organisation (0.5.0's rule for brokers, brokers_cal_event_type_id_key):
-- unique among organisations, and never also a broker's, or a member of one
-- organisation could read and book another's calendar with the shared key.
-- The advisory lock on the id makes the check and the write one step for
-- concurrent writers of the two tables.
ALTER TABLE orgs ADD CONSTRAINT orgs_cal_event_type_id_key UNIQUE (cal_event_type_id);
COMMENT ON CONSTRAINT orgs_cal_event_type_id_key ON orgs IS
	'a Cal.com event type id is an organisation''s once across all organisations (one Cal.com key per deployment)';
CREATE FUNCTION event_type_not_shared() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vapi_pool.cal_event_type_id'),
		pg_catalog.hashint8(NEW.cal_event_type_id));
	IF (TG_TABLE_NAME = 'orgs' AND EXISTS (SELECT FROM vapi_pool.brokers b WHERE b.cal_event_type_id = NEW.cal_event_type_id))
	   OR (TG_TABLE_NAME = 'brokers' AND EXISTS (SELECT FROM vapi_pool.orgs o WHERE o.cal_event_type_id = NEW.cal_event_type_id))
	THEN
		RAISE EXCEPTION 'Cal.com event type % is registered already', NEW.cal_event_type_id
			USING ERRCODE = 'unique_violation',
				  DETAIL = 'An event type of the shared Cal.com account belongs to one calendar: one broker''s or one organisation''s.',
				  HINT = 'Create an event type of its own in Cal.com for this calendar.';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION event_type_not_shared() FROM PUBLIC;
CREATE TRIGGER orgs_event_type_not_shared BEFORE INSERT OR UPDATE OF cal_event_type_id ON orgs
	FOR EACH ROW WHEN (NEW.cal_event_type_id IS NOT NULL) EXECUTE FUNCTION event_type_not_shared();
CREATE TRIGGER brokers_event_type_not_shared BEFORE INSERT OR UPDATE OF cal_event_type_id ON brokers
	FOR EACH ROW WHEN (NEW.cal_event_type_id IS NOT NULL) EXECUTE FUNCTION event_type_not_shared();

-- ---------------------------------------------------------------- opening hours

CREATE TABLE clinic_hours (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	-- ISO day of the week: 1 Monday .. 7 Sunday
	weekday smallint NOT NULL CONSTRAINT clinic_hours_weekday_range CHECK (weekday BETWEEN 1 AND 7),
	-- local times in orgs.timezone; a day may have several spans (a lunch break)
	opens time NOT NULL,
	closes time NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT clinic_hours_pkey PRIMARY KEY (org_id, weekday, opens),
	CONSTRAINT clinic_hours_opens_before_closes CHECK (opens < closes)
);
CREATE TRIGGER clinic_hours_touch_updated_at BEFORE UPDATE ON clinic_hours
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE clinic_hours IS
	'when appointments on the organisation''s own calendar may take place, per day of the week, in orgs.timezone';

ALTER TABLE clinic_hours ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_hours_org_select ON clinic_hours FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_insert ON clinic_hours FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_update ON clinic_hours FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_delete ON clinic_hours FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON clinic_hours TO authenticated, service_role;
SELECT pg_catalog.pg_extension_config_dump('clinic_hours', '');

-- ---------------------------------------------------------------- free times

-- The starts of appointments on the organisation's own calendar that the
-- assistant may offer, in time order: every appointment_minutes within the
-- opening hours of the day given (else of the next booking_horizon_days
-- days), at least booking_notice_minutes from now, that no booking or live
-- hold blocks (free_slots).  Empty when the organisation has no hours.
CREATE FUNCTION clinic_free_starts(org_id uuid, day date DEFAULT NULL) RETURNS timestamptz[]
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT free_slots(NULL, ARRAY(
			SELECT DISTINCT s.t
			FROM generate_series(
					coalesce(day, (now() AT TIME ZONE o.timezone)::date)::timestamp,
					coalesce(day, (now() AT TIME ZONE o.timezone)::date + o.booking_horizon_days - 1)::timestamp,
					interval '1 day') d(d)
			JOIN clinic_hours h ON h.org_id = o.org_id AND h.weekday = extract(isodow FROM d.d)
			CROSS JOIN LATERAL generate_series(d.d + h.opens, d.d + h.closes - make_interval(mins => o.appointment_minutes),
					make_interval(mins => o.appointment_minutes)) l(l)
			CROSS JOIN LATERAL (SELECT l.l AT TIME ZONE o.timezone AS t) s
			WHERE s.t >= now() + make_interval(mins => o.booking_notice_minutes)
			ORDER BY s.t),
		make_interval(mins => o.appointment_minutes), o.org_id)
	FROM orgs o
	WHERE o.org_id = clinic_free_starts.org_id
	$$;
COMMENT ON FUNCTION clinic_free_starts(uuid, date) IS
	'the free appointment starts of the organisation''s own calendar within its opening hours (clinic_hours), of one day or of its booking horizon';

REVOKE EXECUTE ON FUNCTION clinic_free_starts(uuid, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic_free_starts(uuid, date) TO authenticated, service_role;
-- Release 0.6.0 (issue 19), item 7: the Vapi messages the SDK
-- (@vapi-ai/server-sdk) allows and the reference examples do not show.  The
-- behaviour lives in C (pool/route_inbound.c, webhook/webhook_vapi.c); this
-- part says what the SQL functions now accept.  A delta on 0.5.1, like
-- every part of this release.

COMMENT ON FUNCTION next_transfer_destination(text, e164, e164) IS
	'sequential ring: the route''s first destination on the call''s first request, the second on the second, '
	'then NULL; a called or caller number given as NULL is taken from the call''s log (the pool number and the '
	'other party, by its direction), as a transfer request without phoneNumber or customer needs';
-- Release 0.7.0 (issue 20): calling people lawfully and keeping their data.
-- This part holds the rules of who may be called and when: the called
-- party's local calling hours, do-not-call lists, opt-outs from every
-- channel and consent evidence (compliance/*.c).  The parts after it hold
-- the number -> time zone table (191), personal data at rest (192), retention
-- and erasure (193) and the assistants' side (194).  Every statement here is
-- a delta on 0.6.0: the install script and the 0.6.0 -> 0.7.0 update script
-- are both assembled from it.  docs/compliance.md states the guarantees.

-- ---------------------------------------------------------------- calling hours

-- The window in which an outbound call or text may reach a person, in that
-- person's local time (compliance/calling_hours.c): hours (NULL: the
-- deployment's vapi_pool.calling_window, default 08:00-21:00, the TCPA's
-- limits), days of the week, and the organisation's holidays.
ALTER TABLE orgs
	ADD COLUMN calling_hours_start time,
	ADD COLUMN calling_hours_end time,
	ADD COLUMN calling_days smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}'
		CONSTRAINT orgs_calling_days_iso CHECK (cardinality(calling_days) BETWEEN 1 AND 7
			AND calling_days <@ '{1,2,3,4,5,6,7}'::smallint[]),
	ADD COLUMN require_consent boolean NOT NULL DEFAULT true,
	ADD CONSTRAINT orgs_calling_hours_both CHECK ((calling_hours_start IS NULL) = (calling_hours_end IS NULL)),
	ADD CONSTRAINT orgs_calling_hours_order CHECK (calling_hours_start < calling_hours_end);
GRANT UPDATE (calling_hours_start, calling_hours_end, calling_days, require_consent) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.calling_hours_start IS
	'the earliest local time (the called person''s zone) a call or text is placed; NULL: vapi_pool.calling_window';
COMMENT ON COLUMN orgs.calling_hours_end IS
	'the local time (the called person''s zone) from which no call or text is placed; NULL: vapi_pool.calling_window';
COMMENT ON COLUMN orgs.calling_days IS
	'ISO days of the week (1 Monday .. 7 Sunday, the called person''s local date) on which calls and texts are placed';
COMMENT ON COLUMN orgs.require_consent IS
	'when true, an outbound call is queued only for a lead with consent evidence (lead_consents)';

ALTER TABLE leads ADD COLUMN timezone iana_timezone;
COMMENT ON COLUMN leads.timezone IS
	'the lead''s own time zone, when known; else the zones of the lead''s number decide its calling hours';

-- Days on which the organisation places no call and sends no text, as the
-- called person's local date.
CREATE TABLE calling_holidays (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	day date NOT NULL,
	name text NOT NULL CONSTRAINT calling_holidays_name_present CHECK (btrim(name) <> ''),
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT calling_holidays_pkey PRIMARY KEY (org_id, day)
);
COMMENT ON TABLE calling_holidays IS
	'days (the called person''s local date) on which the organisation places no outbound call or text';
ALTER TABLE calling_holidays ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY calling_holidays_org_select ON calling_holidays FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY calling_holidays_org_insert ON calling_holidays FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY calling_holidays_org_update ON calling_holidays FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY calling_holidays_org_delete ON calling_holidays FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON calling_holidays TO authenticated, service_role;
SELECT pg_catalog.pg_extension_config_dump('calling_holidays', '');

-- ---------------------------------------------------------------- do-not-call

-- Numbers the organisation never calls or texts.  An opt-out from any
-- channel adds one (record_opt_out); operators add theirs (INSERT, COPY).
-- Adding a number cancels what was queued for it (do_not_call_applied).
CREATE TABLE do_not_call (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	phone e164 NOT NULL,
	reason text,
	source text NOT NULL DEFAULT 'operator'
		CONSTRAINT do_not_call_source_known CHECK (source IN ('operator', 'import', 'instantly', 'assistant',
			'call_report', 'sms', 'api')),
	-- what the opt-out came in: the Instantly event's id, the Vapi call id
	source_id text,
	added_at timestamptz NOT NULL DEFAULT now(),
	-- auth.uid() of whoever added it, when a signed-in user did
	added_by uuid DEFAULT vapi_pool.auth_uid(),
	CONSTRAINT do_not_call_pkey PRIMARY KEY (org_id, phone)
);
COMMENT ON TABLE do_not_call IS
	'numbers the organisation never calls or texts; adding one cancels the calls and texts queued for it';
ALTER TABLE do_not_call ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY do_not_call_org_select ON do_not_call FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY do_not_call_org_insert ON do_not_call FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
-- Members may reword a listing, never move it to another number (that
-- would lift the first one past the owners' and admins' DELETE policy).
CREATE POLICY do_not_call_org_update ON do_not_call FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY do_not_call_org_delete ON do_not_call FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'));
GRANT SELECT, INSERT, DELETE ON do_not_call TO authenticated;
GRANT UPDATE (reason) ON do_not_call TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON do_not_call TO service_role;
SELECT pg_catalog.pg_extension_config_dump('do_not_call', '');

-- The deployment's own list (a national registry's numbers, a litigator
-- list): every organisation's calls are checked against it; only
-- service_role reads or writes it.
CREATE TABLE do_not_call_global (
	phone e164 NOT NULL,
	reason text,
	source text NOT NULL DEFAULT 'import'
		CONSTRAINT do_not_call_global_source_known CHECK (source IN ('operator', 'import', 'api')),
	added_at timestamptz NOT NULL DEFAULT now(),
	added_by uuid DEFAULT vapi_pool.auth_uid(),
	CONSTRAINT do_not_call_global_pkey PRIMARY KEY (phone)
);
COMMENT ON TABLE do_not_call_global IS
	'numbers no organisation of this deployment calls or texts (service_role only)';
-- No policy: service_role bypasses row level security, every other role is refused.
ALTER TABLE do_not_call_global ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON do_not_call_global TO service_role;
SELECT pg_catalog.pg_extension_config_dump('do_not_call_global', '');

-- ---------------------------------------------------------------- consent

-- How and when a lead agreed to be called: the reply that asked for the
-- call (its Instantly id and its redacted text), the call they made to us, a
-- form, a booking.  One row per piece of evidence.
CREATE TABLE lead_consents (
	org_id uuid NOT NULL,
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	lead_id uuid NOT NULL,
	kind text NOT NULL CONSTRAINT lead_consents_kind_known CHECK (kind IN ('instantly_reply', 'inbound_call',
		'form', 'booking', 'operator')),
	-- the evidence's own id: the Instantly email_id, the Vapi call id, the form's id, the booking uid
	source_id text,
	-- what the person said or submitted, redacted
	evidence text,
	given_at timestamptz NOT NULL DEFAULT now(),
	recorded_at timestamptz NOT NULL DEFAULT now(),
	recorded_by uuid DEFAULT vapi_pool.auth_uid(),
	CONSTRAINT lead_consents_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT lead_consents_source_key UNIQUE (org_id, lead_id, kind, source_id),
	CONSTRAINT lead_consents_lead_fkey FOREIGN KEY (org_id, lead_id)
		REFERENCES leads (org_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE lead_consents IS
	'evidence of a lead''s consent to be called: how (kind), which message or call (source_id), when, and what was said (redacted)';
ALTER TABLE lead_consents ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY lead_consents_org_select ON lead_consents FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY lead_consents_org_insert ON lead_consents FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY lead_consents_org_delete ON lead_consents FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()) AND (SELECT vapi_pool.auth_org_role()) IN ('owner', 'admin'));
GRANT SELECT, INSERT, DELETE ON lead_consents TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON lead_consents TO service_role;
SELECT pg_catalog.pg_extension_config_dump('lead_consents', '');

-- ---------------------------------------------------------------- states

-- A job for a number that may not be called ends suppressed (not dead: the
-- vendor was never asked); a reply whose number may not be called, or whose
-- lead gave no consent, is a decision of its own.
ALTER TABLE outbox DROP CONSTRAINT outbox_state_known,
	ADD CONSTRAINT outbox_state_known CHECK (state IN ('pending', 'in_flight', 'done', 'dead', 'suppressed'));
ALTER TABLE instantly_events DROP CONSTRAINT instantly_events_decision_known,
	ADD CONSTRAINT instantly_events_decision_known CHECK (decision IN ('call_queued',
		'call_already_queued', 'needs_number', 'pool_exhausted', 'assignment_refused', 'opted_out',
		'opt_out_kept', 'recorded', 'stored', 'suppressed', 'no_consent'));
ALTER TABLE dropoff_followups DROP CONSTRAINT dropoff_followups_state_known,
	ADD CONSTRAINT dropoff_followups_state_known CHECK (state IN ('open', 'sms_queued', 'contacted', 'booked',
		'dismissed', 'suppressed'));

-- ---------------------------------------------------------------- checks

CREATE FUNCTION do_not_call_applied() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_do_not_call_applied'
	LANGUAGE C SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION do_not_call_applied() FROM PUBLIC;
COMMENT ON FUNCTION do_not_call_applied() IS
	'applies numbers added to a do-not-call list: their leads do_not_call, queued calls, texts and follow-ups suppressed, numbers released';
CREATE TRIGGER do_not_call_applied AFTER INSERT ON do_not_call
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();
CREATE TRIGGER do_not_call_global_applied AFTER INSERT ON do_not_call_global
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();
-- A listing whose number is changed (service_role may) applies the new number.
CREATE TRIGGER do_not_call_moved AFTER UPDATE ON do_not_call
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();
CREATE TRIGGER do_not_call_global_moved AFTER UPDATE ON do_not_call_global
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION do_not_call_applied();

-- The numbers jobs are queued for, and leads by number across organisations
-- (the deployment's list is applied to every organisation).
CREATE INDEX outbox_pending_customer_idx ON outbox ((payload ->> 'customer_number'))
	WHERE state = 'pending' AND kind IN ('vapi.create_call', 'vapi.sms');
CREATE INDEX leads_phone_any_org_idx ON leads (primary_phone_e164);

CREATE FUNCTION outbox_checked() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_outbox_checked'
	LANGUAGE C SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION outbox_checked() FROM PUBLIC;
COMMENT ON FUNCTION outbox_checked() IS
	'queue-time check of a create-call or SMS job: suppressed when the number is on a do-not-call list, else due inside the called person''s calling hours';
CREATE TRIGGER outbox_checked BEFORE INSERT ON outbox
	FOR EACH ROW WHEN (NEW.kind IN ('vapi.create_call', 'vapi.sms') AND NEW.state = 'pending')
	EXECUTE FUNCTION outbox_checked();

-- ---------------------------------------------------------------- when

CREATE FUNCTION next_call_time(org_id uuid, lead_id uuid, phone e164, earliest timestamptz DEFAULT now())
	RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'vapi_pool_next_call_time'
	LANGUAGE C STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION next_call_time(uuid, uuid, e164, timestamptz) TO authenticated, service_role;
COMMENT ON FUNCTION next_call_time(uuid, uuid, e164, timestamptz) IS
	'the first instant at or after earliest at which the organisation may call the lead (or, lead_id NULL, the number): its calling hours, days and holidays in every zone the person may be in';

CREATE FUNCTION lead_timezones(org_id uuid, lead_id uuid) RETURNS text[]
	AS 'MODULE_PATHNAME', 'vapi_pool_lead_timezones'
	LANGUAGE C STABLE STRICT
	SET search_path = vapi_pool, pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION lead_timezones(uuid, uuid) TO authenticated, service_role;
COMMENT ON FUNCTION lead_timezones(uuid, uuid) IS
	'the zones whose local time decides when the lead is called: leads.timezone, else its number''s zones, else its broker''s or organisation''s zone';

-- ---------------------------------------------------------------- opt-outs

CREATE FUNCTION record_opt_out(org_id uuid, phone e164, source text DEFAULT 'operator', reason text DEFAULT NULL,
	OUT newly_added boolean, OUT leads_marked bigint, OUT calls_cancelled bigint, OUT texts_cancelled bigint,
	OUT numbers_released bigint)
	AS 'MODULE_PATHNAME', 'vapi_pool_record_opt_out'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION record_opt_out(uuid, e164, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_opt_out(uuid, e164, text, text) TO service_role;
COMMENT ON FUNCTION record_opt_out(uuid, e164, text, text) IS
	'the person at phone asked not to be contacted: the number on the organisation''s do-not-call list, its leads do_not_call, queued calls and texts suppressed, their numbers released';

-- ---------------------------------------------------------------- the lead, as the rules see it

-- Each lead with its consent evidence, whether its number is on the
-- organisation's do-not-call list, the zones that decide its calling hours
-- and when it may next be called.  security_invoker (PostgreSQL 15+): a
-- member sees only their organisation's leads; on 14, service_role only.
DO $view$
DECLARE
	invoker boolean := pg_catalog.current_setting('server_version_num')::int >= 150000;
BEGIN
	EXECUTE pg_catalog.format($sql$
		CREATE VIEW vapi_pool.lead_compliance %s AS
		SELECT l.org_id, l.id AS lead_id, l.name, l.primary_phone_e164 AS phone, l.status, l.timezone,
			   vapi_pool.lead_timezones(l.org_id, l.id) AS calling_zones,
			   EXISTS (SELECT FROM vapi_pool.do_not_call d
					   WHERE d.org_id = l.org_id AND d.phone = l.primary_phone_e164) AS on_do_not_call,
			   coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('kind', c.kind, 'source_id', c.source_id,
							'given_at', c.given_at, 'evidence', c.evidence) ORDER BY c.given_at)
						 FROM vapi_pool.lead_consents c WHERE c.org_id = l.org_id AND c.lead_id = l.id), '[]') AS consents,
			   vapi_pool.next_call_time(l.org_id, l.id, NULL, pg_catalog.now()) AS next_call_at
		FROM vapi_pool.leads l$sql$, CASE WHEN invoker THEN 'WITH (security_invoker = true)' ELSE '' END);
	IF invoker THEN
		GRANT SELECT ON vapi_pool.lead_compliance TO authenticated;
	END IF;
	GRANT SELECT ON vapi_pool.lead_compliance TO service_role;
END
$view$;
COMMENT ON VIEW lead_compliance IS
	'each lead with its consent evidence, its do-not-call listing, the zones of its calling hours and when it may next be called';
-- Release 0.7.0 (issue 20): the time zones of a phone number.
-- The table is generated at build time from the libphonenumber release of
-- the e164 metadata (extension/e164/gen_e164_timezones.py ->
-- e164_timezones.c); compliance/calling_hours.c reads it from C, these
-- functions show it to SQL.  docs/e164.md, "Time zones of a number".

CREATE FUNCTION number_timezones(phone e164) RETURNS text[]
	AS 'MODULE_PATHNAME', 'e164_number_timezones'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION number_timezones(e164) IS
	'the IANA time zones libphonenumber gives for the number (time_zones_for_number): a fixed line''s area, a mobile''s or toll-free number''s whole country; several mean it may be in any of them; empty when unknown';

CREATE FUNCTION number_timezone_names() RETURNS SETOF text
	AS 'MODULE_PATHNAME', 'e164_number_timezone_names'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 300;
COMMENT ON FUNCTION number_timezone_names() IS
	'every time zone number_timezones can return, by name';

REVOKE EXECUTE ON FUNCTION number_timezones(e164), number_timezone_names() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION number_timezones(e164), number_timezone_names() TO authenticated, service_role;
-- Release 0.7.0 (issue 20), personal data at rest: an Instantly reply's text
-- is stored redacted, its payload without the reply's texts, and the
-- redaction of stored texts (call transcripts and summaries, reply texts)
-- also takes out the contact's own known details: the name, e-mail
-- address, phone number and ZIP code stored on the lead
-- (redact/contact_redaction.c).  docs/redaction.md has the rules and the
-- measures.  Every statement is a delta on 0.6.0; the part is also the
-- upgrade, so it redacts the rows stored before it.

-- ---------------------------------------------------------------- functions

CREATE FUNCTION redact_personal(t text, first_name text DEFAULT NULL, last_name text DEFAULT NULL,
	email text DEFAULT NULL, phone e164 DEFAULT NULL, zip text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_personal'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION redact_personal(text, text, text, text, e164, text) IS
	'redact_pii, then the given contact''s name ([NAME]), e-mail address ([EMAIL]), phone number ([PHONE]) and ZIP code ([ZIP]) in any form the pattern rules miss';

-- The same with the details of a stored lead (RLS applies: the caller's
-- organisation's leads only); a NULL or unknown lead gives redact_pii.
CREATE FUNCTION redact_for_contact(t text, org_id uuid, lead_id uuid) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_for_contact'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION redact_for_contact(text, uuid, uuid) IS
	'redact_pii, then the name, e-mail address, phone number and ZIP code of the organisation''s lead';
REVOKE EXECUTE ON FUNCTION redact_for_contact(text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redact_for_contact(text, uuid, uuid) TO authenticated, service_role;

-- The Instantly event's row trigger (row_triggers.c): reply_text through
-- redact_pii and the details of the event's lead (lead_id, else the lead
-- of lead_email) when it is written and when the event gets its lead; the
-- payload without reply_text, reply_html and reply_text_snippet.
CREATE FUNCTION redact_instantly_event() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_instantly_event'
	LANGUAGE C;

-- ---------------------------------------------------------------- rows stored before

-- Reply texts as 0.6.0 stored them (unredacted) and payloads that kept
-- reply_text_snippet.  Before the trigger, so that each row is redacted once.
UPDATE instantly_events
SET reply_text = redact_for_contact(reply_text, org_id, lead_id),
	reply_subject = redact_for_contact(reply_subject, org_id, lead_id),
	payload = payload - '{reply_text,reply_html,reply_text_snippet}'::text[]
WHERE reply_text IS NOT NULL OR reply_subject IS NOT NULL
   OR payload ?| '{reply_text,reply_html,reply_text_snippet}'::text[];

-- A processed Instantly delivery keeps no reply text in the inbox either
-- (webhook_receive.c strips it when the event is processed; a failed one
-- keeps its payload as received until it is processed, for replay_event).
UPDATE webhook_inbox
SET payload = payload - '{reply_text,reply_html,reply_text_snippet}'::text[]
WHERE source = 'instantly' AND state <> 'failed'
  AND payload ?| '{reply_text,reply_html,reply_text_snippet}'::text[];

-- Transcripts and summaries of calls with a contact lose the contact's
-- details (the call log's trigger redacts the new texts again: a no-op on
-- redacted text).
UPDATE vapi_call_logs l
SET transcript = r.transcript, summary = r.summary
FROM (SELECT c.org_id, c.id, redact_for_contact(c.transcript, c.org_id, c.lead_id) AS transcript,
			 redact_for_contact(c.summary, c.org_id, c.lead_id) AS summary
	  FROM vapi_call_logs c
	  WHERE c.lead_id IS NOT NULL AND (c.transcript IS NOT NULL OR c.summary IS NOT NULL)) r
WHERE l.org_id = r.org_id AND l.id = r.id
  AND (l.transcript IS DISTINCT FROM r.transcript OR l.summary IS DISTINCT FROM r.summary);

-- BEFORE triggers fire in name order: zz_ runs after any other BEFORE trigger.
CREATE TRIGGER zz_instantly_events_redact BEFORE INSERT OR UPDATE ON instantly_events
	FOR EACH ROW EXECUTE FUNCTION redact_instantly_event();

COMMENT ON COLUMN instantly_events.reply_text IS
	'the reply''s text (its snippet when it came without one), redacted: redact_pii and the lead''s own details';
COMMENT ON COLUMN instantly_events.payload IS
	'the event as received, without reply_text (its own column, redacted), reply_html and reply_text_snippet';
COMMENT ON COLUMN vapi_call_logs.transcript IS
	'the call''s transcript, redacted on write: medical history, redact_pii and the contact''s own details';
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
-- Release 0.7.0 (issue 20, items 3 and 7): the assistants' side of
-- opt-outs and the recording disclosure.  The record_opt_out tool and the
-- end-of-call report's doNotCall are C (webhook/tool_opt_out.c, through
-- compliance/opt_out.c's vp_record_opt_out) and need no SQL of their own;
-- this part holds the disclosure: the organisation's setting, the first
-- message of each assistant `vapi-shim assistants push` records, and the
-- opening a call's assistantOverrides carry.  Every statement here is a
-- delta on 0.6.0 (the install script and the 0.6.0 -> 0.7.0 update script
-- are both assembled from it).  docs/assistants.md describes it.

-- ---------------------------------------------------------------- the setting

-- What the assistants say first on every call of the organisation, before
-- their own first message (NULL: nothing).  Applied per call, since the
-- assistants are the deployment's, shared by every organisation.
ALTER TABLE orgs ADD COLUMN recording_disclosure text
	CONSTRAINT orgs_recording_disclosure_present CHECK (btrim(recording_disclosure) <> '');
GRANT UPDATE (recording_disclosure) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.recording_disclosure IS
	'said first on every call of the organisation, before the assistant''s own first message, e.g. '
	'"This call may be recorded for quality and training." (NULL: no disclosure)';

-- ---------------------------------------------------------------- the assistants' first messages

-- The firstMessage of the definition last pushed (NULL: the definition has
-- none, e.g. a model-generated first message).  An opening with a
-- disclosure replaces the assistant's first message, so it must repeat it.
ALTER TABLE vapi_assistants ADD COLUMN first_message text;
COMMENT ON COLUMN vapi_assistants.first_message IS
	'the firstMessage of the definition last pushed (NULL: none); a recording disclosure is said before it';

-- Records an assistant vapi-shim pushed (creates or replaces its row), with
-- its definition's firstMessage.
DROP FUNCTION record_assistant(text, text, text);
CREATE FUNCTION record_assistant(role text, vapi_assistant_id text, definition_sha256 text DEFAULT NULL,
		first_message text DEFAULT NULL)
	RETURNS vapi_assistants
	LANGUAGE sql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	INSERT INTO vapi_assistants AS a (role, vapi_assistant_id, definition_sha256, first_message)
	VALUES (record_assistant.role, record_assistant.vapi_assistant_id, record_assistant.definition_sha256,
		record_assistant.first_message)
	ON CONFLICT ON CONSTRAINT vapi_assistants_pkey DO UPDATE
		SET vapi_assistant_id = excluded.vapi_assistant_id, definition_sha256 = excluded.definition_sha256,
			first_message = excluded.first_message, pushed_at = now()
	RETURNING a.*
	$$;
COMMENT ON FUNCTION record_assistant(text, text, text, text) IS
	'record the assistant vapi-shim assistants push created or updated for a role: its id, definition hash and firstMessage';

-- ---------------------------------------------------------------- the opening of a call

-- The keys of a call's assistantOverrides that open it with the
-- organisation's recording disclosure: firstMessage, the disclosure then the
-- assistant's own first message (the one recorded for that assistant id,
-- else for the role, when the id is one the configuration names), and
-- firstMessageMode assistant-speaks-first, so that an assistant whose first
-- message is generated by the model says it too.  '{}' when the organisation
-- has no disclosure.  (Its subqueries keep it from being inlined anyway, so
-- it sets its search_path like any function that is not.)
CREATE FUNCTION assistant_opening(org_id uuid, assistant_id text, role text) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN coalesce((SELECT jsonb_build_object('firstMessage', concat_ws(' ', btrim(o.recording_disclosure),
			(SELECT a.first_message FROM vapi_assistants a
			 WHERE a.vapi_assistant_id = assistant_opening.assistant_id OR a.role = assistant_opening.role
			 ORDER BY a.vapi_assistant_id = assistant_opening.assistant_id DESC LIMIT 1)),
		'firstMessageMode', 'assistant-speaks-first')
		FROM orgs o WHERE o.org_id = assistant_opening.org_id AND o.recording_disclosure IS NOT NULL), '{}'::jsonb);
COMMENT ON FUNCTION assistant_opening(uuid, text, text) IS
	'assistantOverrides keys (firstMessage, firstMessageMode) that open a call with the organisation''s recording disclosure; {} without one';

-- The request for a job (183_voicemail.sql's, with the opening): a create
-- call is POST /call with only lead_id in variableValues, the voicemail
-- detection of the settings, the job's voicemail message and, when the
-- organisation has a recording disclosure, the first message that says it;
-- a reconcile is the GET that finds what an earlier attempt may have done.
-- Purchased numbers are named after their job, which is how a reconcile
-- finds them.  One expression, so that the claim's query inlines it.
CREATE OR REPLACE FUNCTION outbox_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN CASE
		WHEN job.kind = 'vapi.create_call' AND job.reconcile THEN
			ROW('vapi', 'GET', '/call?phoneNumberId=' || url_encode(job.payload ->> 'phone_number_id')
				|| '&createdAtGe=' || url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC',
													  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.create_call' THEN
			ROW('vapi', 'POST', '/call', '{}'::jsonb,
				jsonb_build_object(
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'phoneNumberId', job.payload ->> 'phone_number_id',
					'customer', jsonb_strip_nulls(jsonb_build_object(
						'number', job.payload ->> 'customer_number', 'name', job.payload ->> 'customer_name')),
					'assistantOverrides', jsonb_strip_nulls(jsonb_build_object(
						'variableValues', jsonb_build_object('lead_id', job.payload ->> 'lead_id'),
						'voicemailDetection', voicemail_detection(),
						'voicemailMessage', nullif(job.payload ->> 'voicemail_message', '')))
						|| assistant_opening(job.org_id, outbound_assistant_id(job.org_id, job.payload), 'intake'))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.sms' THEN
			ROW('vapi', 'POST', '/chat', '{}'::jsonb,
				jsonb_build_object(
					'input', job.payload ->> 'text',
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'transport', jsonb_build_object('type', 'twilio.sms',
						'phoneNumberId', job.payload ->> 'phone_number_id',
						'customer', jsonb_build_object('number', job.payload ->> 'customer_number')))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'cal.create_booking' THEN
			cal_bookings_request('/bookings', (job.payload -> 'request')::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'cal.cancel_booking' THEN
			cal_bookings_request('/bookings/' || url_encode(job.payload ->> 'booking_uid') || '/cancel',
				jsonb_build_object('cancellationReason', coalesce(job.payload ->> 'reason', 'Cancelled'))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'vapi.buy_number' AND job.reconcile THEN
			ROW('vapi', 'GET', '/phone-number?createdAtGe='
				|| url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.buy_number' THEN
			ROW('vapi', 'POST', '/phone-number', '{}'::jsonb,
				jsonb_strip_nulls(jsonb_build_object(
					'provider', 'vapi',
					'numberDesiredAreaCode', job.payload ->> 'area_code',
					'name', 'vapi_pool job ' || job.idempotency_key,
					'server', CASE WHEN job.payload ->> 'server_url' IS NOT NULL
						THEN jsonb_build_object('url', job.payload ->> 'server_url') END))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
	END;

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION record_assistant(text, text, text, text), assistant_opening(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_assistant(text, text, text, text), assistant_opening(uuid, text, text)
	TO service_role;
-- Release 0.7.0: the consent evidence and the opt-outs an existing installation already
-- holds (a no-op on a fresh install).  0.6.0 kept no lead_consents, but its
-- rows say who asked to be called: a reply classified call_requested (its
-- id and its text, redacted by 192_personal_data.sql, which runs first) and
-- a call the person made to a pool or clinic number.  Without them every
-- retry of an existing lead would stop once require_consent is on.
INSERT INTO lead_consents (org_id, lead_id, kind, source_id, evidence, given_at, recorded_by)
SELECT e.org_id, e.lead_id, 'instantly_reply', e.email_id, e.reply_text, coalesce(e.event_at, e.received_at), NULL
FROM instantly_events e
WHERE e.intent = 'call_requested' AND e.lead_id IS NOT NULL AND e.email_id IS NOT NULL
ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING;

INSERT INTO lead_consents (org_id, lead_id, kind, source_id, given_at, recorded_by)
SELECT c.org_id, c.lead_id, 'inbound_call', c.vapi_call_id, coalesce(c.started_at, c.created_at), NULL
FROM vapi_call_logs c
WHERE c.direction <> 'outbound_to_lead' AND c.lead_id IS NOT NULL
ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING;

-- Before 0.7.0 an opt-out was a status on one lead row: the same number on
-- another lead was still called.  Each such number is now on its
-- organisation's list, which applies it (do_not_call_applied: the other
-- leads of that number do_not_call, their queued calls suppressed).
INSERT INTO do_not_call (org_id, phone, reason, source, added_by)
SELECT DISTINCT l.org_id, l.primary_phone_e164, 'the lead was do_not_call before 0.7.0', 'operator', NULL::uuid
FROM leads l
WHERE l.status = 'do_not_call' AND l.primary_phone_e164 IS NOT NULL
ON CONFLICT (org_id, phone) DO NOTHING;
-- Supabase-shaped databases and PostgreSQL 17 (release 0.7.1, issue 21).
--
-- The test of a Supabase-shaped database (t/008_supabase.pl) restored a
-- dump in which offered_slots' identity sequence started over: 0.6.0 marked
-- the table for pg_dump but not its sequence, so the first slot offered
-- after a restore took an id a restored row had, and the call's offer
-- failed.  The sequence is dumped from now on, and service_role may set it,
-- as for the other sequences (160_backups.sql).  sql/tenancy.sql checks that
-- every table and sequence of the extension is marked.
--
-- The library of 0.7.1 also names the time zones of phone numbers by their
-- current IANA names (Asia/Kolkata, not Asia/Calcutta): Debian 13's tzdata
-- keeps the old names only in tzdata-legacy, where PostgreSQL 17 there did
-- not find them (extension/e164/gen_e164_timezones.py).

SELECT pg_catalog.pg_extension_config_dump('offered_slots_id_seq', '');
GRANT USAGE, SELECT, UPDATE ON SEQUENCE offered_slots_id_seq TO service_role;
-- Replies that ask for a time, and replies nobody can read (release 0.7.2,
-- issue 23).
--
-- A reply that asks to be called "after 5", "tomorrow morning" or "el lunes
-- a las 10" is called then, in the lead's zone, and not before the calling
-- hours allow (replies/reply_time.c; docs/replies.md has the conventions):
-- handle_instantly_event queues the call at that time and says so in
-- decision_detail.  reply_call_time() is the same reading, for operators
-- and tests.
--
-- classify_reply answers 'unclear' for a reply a careful reader could not
-- read as wanting a call or not ("ok", "maybe", "?", a bare "Sí" to an
-- either-or offer): nobody is called, and the event is recorded.

ALTER TABLE instantly_events DROP CONSTRAINT instantly_events_intent_known;
ALTER TABLE instantly_events ADD CONSTRAINT instantly_events_intent_known CHECK (intent IN ('call_requested',
	'interested', 'not_interested', 'unsubscribe', 'out_of_office', 'wrong_person', 'question', 'unclear'));

-- When reply_text, received at received_at, asks to be called, read in zone
-- (the lead's: leads.timezone, or lead_timezones()' first); NULL when it
-- names no time or the time it names has begun.  STABLE: zone rules change
-- with the server's tzdata.  Runs no SQL.
CREATE FUNCTION reply_call_time(reply_text text, received_at timestamptz, zone text) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'vapi_pool_reply_call_time'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION reply_call_time(text, timestamptz, text) IS
	'the earliest time a reply asks to be called at ("after 5", "tomorrow morning"), read in the zone; NULL for no time or one that has begun';
-- Redaction that keeps what the call was about (release 0.7.3, issue 26).
--
-- A date is [DOB] only when its words say it is a date of birth (a birth
-- word before it in its sentence, a question about birth or identity in
-- the turn before, or a list of the caller's other personal data around
-- it), and, when the day the text was said is known, only when a person
-- born then could be alive that day; appointment, closing and travel dates
-- stay.  A run of 10 to 15 digits without '+' or separators is [PHONE]
-- only when it is a valid number dialled from the organisation's region
-- and the words around it do not name a reference (loan, case, order ...).
-- The row triggers read each text in its organisation's region on the
-- day of its call or reply (row_triggers.c); redact_pii(text) reads it in
-- the US on an unknown day.  docs/redaction.md has the rules and limits.
--
-- Texts stored before 0.7.3 keep the placeholders they were stored with:
-- what was taken out cannot be put back.

-- redact_pii read in a region (an ISO 3166-1 alpha-2 code; NULL: US) on the
-- day the text was said (NULL: unknown).  IMMUTABLE: both are arguments.
CREATE FUNCTION redact_pii_at(t text, region text, as_of date DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_pii_at'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION redact_pii_at(text, text, date) IS
	'redact_pii, with digits written without + read as dialled in the region and dates of birth read against the day the text was said';
-- Drop-offs that hold on calls nobody tuned for (release 0.7.4, issue 27).
--
-- The detector (clinic/clinic_dropoff.c) now tells a lost caller from one
-- who closed the call ("I'll think about it, thanks, bye"), a patient's
-- aftercare from a lead's interest, a job applicant or vendor from a
-- patient, a past procedure from the new one asked about in the same
-- sentence, and reads the time limit and an assistant that hung up on
-- silence as the caller lost; docs/clinic_followups.md has the table of
-- endings.  The starter vocabulary grows: procedures a cosmetic clinic
-- commonly offers, Spanish names, and the transcriber's usual slips.

CREATE OR REPLACE FUNCTION clinic_starter_terms() RETURNS TABLE (kind text, name text, variants text[])
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
VALUES
	('procedure', 'Rhinoplasty', ARRAY['nose job', 'nose surgery', 'nose reshaping', 'rhino plasty', 'rynoplasty',
		'rhino plastic', 'nose work', 'nose jab', 'rinoplastia', 'cirugía de nariz', 'cirugia de nariz', 'operación de nariz',
		'operacion de nariz']),
	('procedure', 'Botox', ARRAY['botox injections', 'anti wrinkle injections', 'bo tox', 'wrinkle injections',
		'bow tox', 'boat ox', 'bowtox', 'bo talks', 'bow talks', 'botax', 'both ox', 'lip flip', 'dysport', 'xeomin', 'bótox', 'neurotoxin',
		'tox']),
	('procedure', 'Dermal fillers', ARRAY['fillers', 'filler', 'lip fillers', 'lip filler', 'juvederm', 'restylane',
		'lip injections', 'cheek filler', 'relleno', 'rellenos', 'relleno de labios', 'ácido hialurónico',
		'acido hialuronico', 'juvaderm', 'jovi derm', 'juvi derm', 'juva derm', 'radiesse', 'sculptra',
		'lips done', 'syringe', 'syringes']),
	('procedure', 'Teeth whitening', ARRAY['whitening', 'tooth whitening', 'teeth bleaching', 'whiten my teeth',
		'whiten teeth', 'whiten', 'blanqueamiento',
		'blanqueamiento dental']),
	('procedure', 'Dental implants', ARRAY['implants', 'implant', 'dental implant', 'tooth implant',
		'implantes dentales', 'implante dental', 'dental in plants', 'dental in plant', 'tooth in plant']),
	('procedure', 'Invisalign', ARRAY['clear aligners', 'invisible braces', 'aligners', 'invisaline', 'invisa line',
		'invisible line', 'in visa line', 'frenos invisibles', 'alineadores']),
	('procedure', 'Liposuction', ARRAY['lipo', 'lipo suction', 'liposuccion', 'liposucción', 'lipo sculpture',
		'liposculpture', 'lipo 360']),
	('procedure', 'Breast augmentation', ARRAY['breast implants', 'boob job', 'breast enlargement', 'aumento de senos',
		'aumento de busto', 'implantes de seno', 'implantes mamarios', 'breast augmentation surgery', 'breast aug']),
	('procedure', 'Laser hair removal', ARRAY['laser removal', 'hair laser', 'laser hair', 'lazer hair',
		'laser hair remover', 'depilación láser',
		'depilacion laser', 'depilación con láser']),
	('procedure', 'Chemical peel', ARRAY['face peel', 'facial peel', 'skin peel', 'peel', 'peeling químico',
		'peeling quimico', 'chemical peal']),
	('procedure', 'Facelift', ARRAY['face lift', 'neck lift', 'lifting facial', 'estiramiento facial', 'face lifting',
		'lifting of the face']),
	('procedure', 'Blepharoplasty', ARRAY['eyelid surgery', 'eye lift', 'eyelid lift', 'bleph', 'blefaroplastia',
		'eyelids', 'droopy eyelids', 'droopy lids', 'párpados', 'parpados', 'blefro plasty', 'blepharo plasty',
		'bluff aro plasty', 'blefaro plasty', 'bleff', 'upper eyelid', 'lower eyelid',
		'eye bags', 'under eye bags', 'bags under my eyes', 'bags under her eyes', 'bolsas de los ojos',
		'cirugía de párpados', 'cirugia de parpados']),
	('procedure', 'Tummy tuck', ARRAY['abdominoplasty', 'abdominoplastia', 'tummy tock', 'tummy tuk', 'tommy tuck']),
	('procedure', 'Veneers', ARRAY['veneer', 'porcelain veneers', 'venues', 'vineers', 'carillas', 'carillas dentales']),
	('procedure', 'Microneedling', ARRAY['micro needling', 'micro kneeling', 'microneedle', 'collagen induction',
		'vampire facial',
		'microagujas']),
	('procedure', 'HydraFacial', ARRAY['hydra facial', 'hydro facial', 'hydrofacial']),
	('procedure', 'CoolSculpting', ARRAY['cool sculpting', 'coolsculpt', 'fat freezing', 'cryolipolysis', 'cool sculpt',
		'cool sculpted', 'cool sculpture']),
	('procedure', 'Kybella', ARRAY['kybela', 'kai bella', 'key bella', 'keep bella', 'double chin injections', 'chin fat injections',
		'double chin shots', 'double chin injection']),
	('procedure', 'Brazilian butt lift', ARRAY['bbl', 'butt lift', 'b b l', 'brazilian but left', 'brazilian but lift', 'brazilian butt',
		'brazilian but', 'levantamiento de glúteos',
		'levantamiento de gluteos']),
	('procedure', 'Breast lift', ARRAY['mastopexy', 'levantamiento de senos', 'breast lip', 'brest lift', 'boob lift']),
	('procedure', 'Breast reduction', ARRAY['reduction mammoplasty', 'reducción de senos', 'reduccion de senos',
		'reducción mamaria']),
	('procedure', 'Laser skin resurfacing', ARRAY['laser resurfacing', 'skin resurfacing', 'co2 laser', 'fraxel',
		'fractional laser']),
	('procedure', 'IPL photofacial', ARRAY['ipl', 'photofacial', 'photo facial', 'intense pulsed light', 'i p l',
		'eye p l']),
	('procedure', 'Tattoo removal', ARRAY['laser tattoo removal', 'remove a tattoo', 'remove my tattoo', 'tattoo remover',
		'tattoo removing', 'remove tattoos', 'tattoo', 'tattoos',
		'eliminación de tatuajes']),
	('procedure', 'Thread lift', ARRAY['pdo threads', 'thread lifting', 'thread lip', 'thread leaf', 'hilos tensores']),
	('procedure', 'PRP', ARRAY['platelet rich plasma', 'prp injections', 'p r p', 'plasma injections']),
	('procedure', 'Otoplasty', ARRAY['ear pinning', 'ear surgery', 'ear correction', 'otoplastia', 'otto plasty']),
	('procedure', 'Mommy makeover', ARRAY['mommy make over', 'mommy makeover package'])
$$;

-- Existing clinics get the procedures new to the starter list (the ones they
-- had, deleted or not, stay as they are) and the starter's new words for
-- the terms they kept under a starter name.
INSERT INTO clinic_terms (org_id, kind, name, variants)
SELECT o.org_id, s.kind, s.name, s.variants
FROM orgs o CROSS JOIN clinic_starter_terms() s
WHERE o.is_clinic
  AND s.name IN ('Microneedling', 'HydraFacial', 'CoolSculpting', 'Kybella', 'Brazilian butt lift', 'Breast lift',
                 'Breast reduction', 'Laser skin resurfacing', 'IPL photofacial', 'Tattoo removal', 'Thread lift',
                 'PRP', 'Otoplasty', 'Mommy makeover')
ON CONFLICT ON CONSTRAINT clinic_terms_name_key DO NOTHING;
UPDATE clinic_terms t
SET variants = t.variants || ARRAY(SELECT v FROM unnest(s.variants) v WHERE v <> ALL (t.variants))
FROM clinic_starter_terms() s
WHERE t.kind = s.kind AND t.name = s.name
  AND NOT s.variants <@ t.variants;

-- A caller cut off by the call's time limit is a drop-off too.
ALTER TABLE dropoff_followups DROP CONSTRAINT dropoff_followups_ending_known;
ALTER TABLE dropoff_followups ADD CONSTRAINT dropoff_followups_ending_known
	CHECK (ending IN ('hung_up', 'silence', 'cut_off', 'technical_failure'));
-- Drop-offs: the procedure a caller meant (release 0.7.5, issue 27).
--
-- The detector (clinic/clinic_dropoff.c) reads a word by the call's
-- context ("a lift" for the breasts is a Breast lift, "laser on my legs" is
-- Laser hair removal), takes a top-up, a revision or "this time" of a past
-- procedure as a wish, a possessive with a question of care ("one of my
-- veneers chipped") as a patient's, and "after eyelid surgery" of a
-- procedure the caller told as their past as that past again; Spanish
-- "sin" negates.  The starter vocabulary learns the plain words callers
-- use for procedures ("pin my ears back", "do my lips", "hair removal",
-- "tatuajes"), given to existing clinics for the terms they kept.

CREATE OR REPLACE FUNCTION clinic_starter_terms() RETURNS TABLE (kind text, name text, variants text[])
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
VALUES
	('procedure', 'Rhinoplasty', ARRAY['nose job', 'nose surgery', 'nose reshaping', 'rhino plasty', 'rynoplasty',
		'rhino plastic', 'nose work', 'nose jab', 'rinoplastia', 'cirugía de nariz', 'cirugia de nariz', 'operación de nariz',
		'operacion de nariz',
		'nose done', 'fix my nose', 'my nose fixed', 'bump on my nose', 'hump on my nose', 'arreglarme la nariz', 'operarme la nariz']),
	('procedure', 'Botox', ARRAY['botox injections', 'anti wrinkle injections', 'bo tox', 'wrinkle injections',
		'bow tox', 'boat ox', 'bowtox', 'bo talks', 'bow talks', 'botax', 'both ox', 'lip flip', 'dysport', 'xeomin', 'bótox', 'neurotoxin',
		'tox',
		'baby botox', 'jeuveau', 'daxxify', 'wrinkle relaxer', 'wrinkle relaxers', 'botulinum']),
	('procedure', 'Dermal fillers', ARRAY['fillers', 'filler', 'lip fillers', 'lip filler', 'juvederm', 'restylane',
		'lip injections', 'cheek filler', 'relleno', 'rellenos', 'relleno de labios', 'ácido hialurónico',
		'acido hialuronico', 'juvaderm', 'jovi derm', 'juvi derm', 'juva derm', 'radiesse', 'sculptra',
		'lips done', 'syringe', 'syringes',
		'do my lips', 'doing my lips', 'get my lips done', 'lip augmentation', 'lip injection', 'lip enhancement', 'bigger lips', 'fuller lips', 'labios', 'aumento de labios', 'liquid facelift', 'liquid face lift', 'voluma', 'volbella', 'vollure', 'belotero']),
	('procedure', 'Teeth whitening', ARRAY['whitening', 'tooth whitening', 'teeth bleaching', 'whiten my teeth',
		'whiten teeth', 'whiten', 'blanqueamiento',
		'blanqueamiento dental',
		'whiter teeth', 'teeth whitened', 'whitened', 'blanquear', 'blanquearme los dientes']),
	('procedure', 'Dental implants', ARRAY['implants', 'implant', 'dental implant', 'tooth implant',
		'implantes dentales', 'implante dental', 'dental in plants', 'dental in plant', 'tooth in plant']),
	('procedure', 'Invisalign', ARRAY['clear aligners', 'invisible braces', 'aligners', 'invisaline', 'invisa line',
		'invisible line', 'in visa line', 'frenos invisibles', 'alineadores',
		'clear braces', 'ortodoncia invisible']),
	('procedure', 'Liposuction', ARRAY['lipo', 'lipo suction', 'liposuccion', 'liposucción', 'lipo sculpture',
		'liposculpture', 'lipo 360',
		'lipoescultura', 'lipo escultura']),
	('procedure', 'Breast augmentation', ARRAY['breast implants', 'boob job', 'breast enlargement', 'aumento de senos',
		'aumento de busto', 'implantes de seno', 'implantes mamarios', 'breast augmentation surgery', 'breast aug',
		'boobs done', 'breasts done', 'bigger boobs', 'bigger breasts', 'aumento de pecho', 'implantes de pecho']),
	('procedure', 'Laser hair removal', ARRAY['laser removal', 'hair laser', 'laser hair', 'lazer hair',
		'laser hair remover', 'depilación láser',
		'depilacion laser', 'depilación con láser',
		'hair removal', 'depilación', 'depilacion', 'laser depilation', 'remove hair', 'remove the hair']),
	('procedure', 'Chemical peel', ARRAY['face peel', 'facial peel', 'skin peel', 'peel', 'peeling químico',
		'peeling quimico', 'chemical peal']),
	('procedure', 'Facelift', ARRAY['face lift', 'neck lift', 'lifting facial', 'estiramiento facial', 'face lifting',
		'lifting of the face']),
	('procedure', 'Blepharoplasty', ARRAY['eyelid surgery', 'eye lift', 'eyelid lift', 'bleph', 'blefaroplastia',
		'eyelids', 'droopy eyelids', 'droopy lids', 'párpados', 'parpados', 'blefro plasty', 'blepharo plasty',
		'bluff aro plasty', 'blefaro plasty', 'bleff', 'upper eyelid', 'lower eyelid',
		'eye bags', 'under eye bags', 'bags under my eyes', 'bags under her eyes', 'bolsas de los ojos',
		'cirugía de párpados', 'cirugia de parpados',
		'hooded eyes', 'hooded eyelids', 'eyes done', 'párpado', 'parpado']),
	('procedure', 'Tummy tuck', ARRAY['abdominoplasty', 'abdominoplastia', 'tummy tock', 'tummy tuk', 'tommy tuck',
		'stomach tuck', 'tummy talk']),
	('procedure', 'Veneers', ARRAY['veneer', 'porcelain veneers', 'venues', 'vineers', 'carillas', 'carillas dentales',
		'carilla', 'lumineers']),
	('procedure', 'Microneedling', ARRAY['micro needling', 'micro kneeling', 'microneedle', 'collagen induction',
		'vampire facial',
		'microagujas']),
	('procedure', 'HydraFacial', ARRAY['hydra facial', 'hydro facial', 'hydrofacial',
		'hidrafacial']),
	('procedure', 'CoolSculpting', ARRAY['cool sculpting', 'coolsculpt', 'fat freezing', 'cryolipolysis', 'cool sculpt',
		'cool sculpted', 'cool sculpture']),
	('procedure', 'Kybella', ARRAY['kybela', 'kai bella', 'key bella', 'keep bella', 'double chin injections', 'chin fat injections',
		'double chin shots', 'double chin injection']),
	('procedure', 'Brazilian butt lift', ARRAY['bbl', 'butt lift', 'b b l', 'brazilian but left', 'brazilian but lift', 'brazilian butt',
		'brazilian but', 'levantamiento de glúteos',
		'levantamiento de gluteos',
		'bum lift', 'be be ele']),
	('procedure', 'Breast lift', ARRAY['mastopexy', 'levantamiento de senos', 'breast lip', 'brest lift', 'boob lift',
		'lift my breasts', 'lift my boobs', 'levantamiento de pecho', 'levantar los senos', 'levantamiento de busto']),
	('procedure', 'Breast reduction', ARRAY['reduction mammoplasty', 'reducción de senos', 'reduccion de senos',
		'reducción mamaria',
		'reduce my breasts', 'smaller breasts', 'reducción de pecho', 'reduccion de pecho']),
	('procedure', 'Laser skin resurfacing', ARRAY['laser resurfacing', 'skin resurfacing', 'co2 laser', 'fraxel',
		'fractional laser']),
	('procedure', 'IPL photofacial', ARRAY['ipl', 'photofacial', 'photo facial', 'intense pulsed light', 'i p l',
		'eye p l',
		'luz pulsada', 'fotofacial']),
	('procedure', 'Tattoo removal', ARRAY['laser tattoo removal', 'remove a tattoo', 'remove my tattoo', 'tattoo remover',
		'tattoo removing', 'remove tattoos', 'tattoo', 'tattoos',
		'eliminación de tatuajes',
		'tatuaje', 'tatuajes', 'quitar tatuajes', 'borrar un tatuaje']),
	('procedure', 'Thread lift', ARRAY['pdo threads', 'thread lifting', 'thread lip', 'thread leaf', 'hilos tensores',
		'threads', 'hilos']),
	('procedure', 'PRP', ARRAY['platelet rich plasma', 'prp injections', 'p r p', 'plasma injections']),
	('procedure', 'Otoplasty', ARRAY['ear pinning', 'ear surgery', 'ear correction', 'otoplastia', 'otto plasty',
		'ears pinned', 'ear pinned', 'pin my ears', 'pinned back', 'pin back', 'pin them back', 'ears stick out', 'ears that stick out', 'orejas', 'cirugía de orejas', 'cirugia de orejas']),
	('procedure', 'Mommy makeover', ARRAY['mommy make over', 'mommy makeover package',
		'mama makeover', 'mami makeover', 'mummy makeover', 'mummy make over'])
$$;

-- Existing clinics get the starter's new words for the terms they kept under
-- a starter name (a term they deleted stays deleted).
UPDATE clinic_terms t
SET variants = t.variants || ARRAY(SELECT v FROM unnest(s.variants) v WHERE v <> ALL (t.variants))
FROM clinic_starter_terms() s
WHERE t.kind = s.kind AND t.name = s.name
  AND NOT s.variants <@ t.variants;
-- Bookings made anywhere (release 0.8.0, issue 25): a Cal.com booking the
-- product did not make -- the lead clicked the broker's booking link in an
-- Instantly e-mail -- starts seed 000's "booking -> number -> call -> log ->
-- release" flow.
--
-- Cal.com's BOOKING_CREATED (BOOKING_REQUESTED when the event type needs the
-- host's confirmation) for a broker's event type runs record_cal_booking
-- (slots/cal_booking.c): the lead found by the attendee's e-mail or phone in
-- the broker's organisation, else made from the attendee; the booking kept
-- as consent evidence; a number of the broker's pool lent to the lead; the
-- appointment recorded as booked, the exclusion constraint deciding a
-- conflict with a live hold (the event then fails, kept as a dead letter).
-- A number stays with its lead until vapi_pool.hold_after_appointment after
-- the appointment with its broker ends, whoever booked it (pool_release.c).
-- An organisation may have Barbara call the day before to confirm
-- (orgs.confirmation_call_before, off by default); she confirms or cancels
-- with the update_appointment tool (webhook/tool_appointment.c).

-- ---------------------------------------------------------------- appointments

ALTER TABLE appointments
	ADD COLUMN booked_via text NOT NULL DEFAULT 'assistant'
		CONSTRAINT appointments_booked_via_known CHECK (booked_via IN ('assistant', 'cal.com')),
	ADD COLUMN awaiting_host boolean NOT NULL DEFAULT false,
	ADD COLUMN confirmed_at timestamptz;
COMMENT ON COLUMN appointments.booked_via IS
	'who made the booking: an assistant during a call (assistant), or the contact on Cal.com''s booking page (cal.com)';
COMMENT ON COLUMN appointments.awaiting_host IS
	'a Cal.com booking of an event type that needs the host''s confirmation, not confirmed yet (BOOKING_REQUESTED)';
COMMENT ON COLUMN appointments.confirmed_at IS
	'when the contact confirmed the appointment on the confirmation call (update_appointment)';
GRANT UPDATE (confirmed_at) ON appointments TO authenticated;

-- What is due for release is any unreleased assignment past its release_at:
-- a number lent for a Cal.com booking is booked (no call yet) with a
-- release_at after the appointment.  Assignments without one (a call is on
-- its way) stay out of the index, so lending a number costs no more.
DROP INDEX vapi_number_assignments_release_idx;
CREATE INDEX vapi_number_assignments_release_idx ON vapi_number_assignments (release_at)
	WHERE status <> 'released' AND release_at IS NOT NULL;

-- A booking finds its lead by e-mail, whatever its case.
CREATE INDEX leads_email_idx ON leads (org_id, pg_catalog.lower(email::text));

-- A booking Cal.com cancelled, rejected or moved away before we recorded it
-- (events out of order, or a replay after the cancellation) is not
-- recorded: record_cal_booking finds those events in the inbox by uid.
CREATE INDEX webhook_inbox_cal_gone_idx ON webhook_inbox ((payload #>> '{payload,uid}'))
	WHERE source = 'cal' AND event_type IN ('BOOKING_CANCELLED', 'BOOKING_REJECTED');
CREATE INDEX webhook_inbox_cal_moved_idx ON webhook_inbox ((payload #>> '{payload,rescheduleUid}'))
	WHERE source = 'cal' AND event_type = 'BOOKING_RESCHEDULED';
-- The retention purge leaves a Cal.com event its uids, marked purged
-- (compliance/retention.c): the index of payloads still to purge leaves such
-- a row out, and holds failed events too, which the purge empties 60 days
-- later than the others.
DROP INDEX webhook_inbox_payload_idx;
CREATE INDEX webhook_inbox_payload_idx ON webhook_inbox (org_id, received_at)
	WHERE payload <> '{}'::jsonb AND NOT (source = 'cal' AND payload @> '{"purged": true}');

-- ---------------------------------------------------------------- the confirmation call

ALTER TABLE orgs ADD COLUMN confirmation_call_before interval
	CONSTRAINT orgs_confirmation_call_before_range
		CHECK (confirmation_call_before BETWEEN interval '1 hour' AND interval '14 days');
GRANT UPDATE (confirmation_call_before) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.confirmation_call_before IS
	'how long before a booked appointment with a broker Barbara calls the lead to confirm it (moved into the lead''s calling hours); NULL: no confirmation call';

-- Queues the confirmation call of a booked appointment, if its organisation
-- wants one: returns when it will be placed, or NULL (none wanted, the
-- appointment is not booked or awaits its host, the lead holds no number of
-- the broker or has no phone, or no time in the lead's calling hours is at
-- least an hour before the appointment).
CREATE FUNCTION queue_confirmation_call(appointment_id uuid) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'vapi_pool_queue_confirmation_call'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION queue_confirmation_call(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_confirmation_call(uuid) TO service_role;
COMMENT ON FUNCTION queue_confirmation_call(uuid) IS
	'queues Barbara''s call to confirm a booked broker appointment at orgs.confirmation_call_before ahead, inside the lead''s calling hours; returns its time or NULL';

-- An appointment booked, moved or cancelled: a confirmation call still
-- queued for it is withdrawn when it moves or is cancelled, and one is
-- queued for its (new) time when it is booked; the number of a lead whose
-- appointment is cancelled or moved is held by the release rule again: until
-- hold_after_call after the last call (or after the cancellation, when the
-- lead was never called), and until hold_after_appointment after a booked
-- appointment with that broker that remains.
--
-- It runs with its owner's rights (SECURITY DEFINER): members who book or
-- cancel through the receptionist's or Barbara's functions may not write
-- the outbox or the pool's assignments; it touches only rows of NEW's lead
-- and organisation.
CREATE FUNCTION appointment_changed() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	moved boolean := TG_OP = 'UPDATE' AND (NEW.scheduled_at <> OLD.scheduled_at OR NEW.duration <> OLD.duration);
	cancelled boolean := TG_OP = 'UPDATE' AND NEW.status = 'cancelled' AND OLD.status <> 'cancelled';
BEGIN
	IF moved OR cancelled THEN
		UPDATE vapi_pool.outbox o
		   SET state = 'suppressed', finished_at = pg_catalog.now(),
			   last_error = CASE WHEN cancelled THEN 'the appointment was cancelled' ELSE 'the appointment was moved' END
		 WHERE o.org_id = NEW.org_id AND o.kind = 'vapi.create_call' AND o.state = 'pending'
		   AND (o.payload ->> 'appointment_id') = NEW.id::text;
		-- a hold never kept a number: only a booked appointment's lead is touched
		-- (and so a cancelled hold takes no lock on an assignment, which
		-- assign_number takes after the lead's)
		IF NEW.broker_id IS NOT NULL AND OLD.status = 'booked' THEN
			UPDATE vapi_pool.vapi_number_assignments a
			   SET release_at = greatest(
					coalesce(a.last_call_at, pg_catalog.now())
						+ pg_catalog.current_setting('vapi_pool.hold_after_call')::interval,
					(SELECT pg_catalog.max(ap.ends_at) FROM vapi_pool.appointments ap
					  WHERE ap.org_id = a.org_id AND ap.contact_id = a.lead_id AND ap.broker_id = a.broker_id
						AND ap.status = 'booked')
						+ pg_catalog.current_setting('vapi_pool.hold_after_appointment')::interval)
			 WHERE a.org_id = NEW.org_id AND a.lead_id = NEW.contact_id AND a.broker_id = NEW.broker_id
			   AND a.status <> 'released' AND a.release_at IS NOT NULL;
		END IF;
	END IF;
	IF NEW.status = 'booked' AND NOT NEW.awaiting_host AND NEW.broker_id IS NOT NULL
	   AND (TG_OP = 'INSERT' OR moved OR OLD.status <> 'booked' OR OLD.awaiting_host) THEN
		PERFORM vapi_pool.queue_confirmation_call(NEW.id);
	END IF;
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION appointment_changed() FROM PUBLIC;
CREATE TRIGGER appointments_changed AFTER INSERT OR UPDATE OF status, scheduled_at, duration, awaiting_host
	ON appointments FOR EACH ROW EXECUTE FUNCTION appointment_changed();

-- The create-call job names the appointment a confirmation call is about:
-- Barbara gets it in variableValues beside the lead.
CREATE OR REPLACE FUNCTION outbox_request(job outbox) RETURNS http_request
	LANGUAGE sql STABLE
	RETURN CASE
		WHEN job.kind = 'vapi.create_call' AND job.reconcile THEN
			ROW('vapi', 'GET', '/call?phoneNumberId=' || url_encode(job.payload ->> 'phone_number_id')
				|| '&createdAtGe=' || url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC',
													  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.create_call' THEN
			ROW('vapi', 'POST', '/call', '{}'::jsonb,
				jsonb_build_object(
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'phoneNumberId', job.payload ->> 'phone_number_id',
					'customer', jsonb_strip_nulls(jsonb_build_object(
						'number', job.payload ->> 'customer_number', 'name', job.payload ->> 'customer_name')),
					'assistantOverrides', jsonb_strip_nulls(jsonb_build_object(
						'variableValues', jsonb_strip_nulls(jsonb_build_object('lead_id', job.payload ->> 'lead_id',
							'appointment_id', job.payload ->> 'appointment_id')),
						'voicemailDetection', voicemail_detection(),
						'voicemailMessage', nullif(job.payload ->> 'voicemail_message', '')))
						|| assistant_opening(job.org_id, outbound_assistant_id(job.org_id, job.payload), 'intake'))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.sms' THEN
			ROW('vapi', 'POST', '/chat', '{}'::jsonb,
				jsonb_build_object(
					'input', job.payload ->> 'text',
					'assistantId', outbound_assistant_id(job.org_id, job.payload),
					'transport', jsonb_build_object('type', 'twilio.sms',
						'phoneNumberId', job.payload ->> 'phone_number_id',
						'customer', jsonb_build_object('number', job.payload ->> 'customer_number')))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'cal.create_booking' THEN
			cal_bookings_request('/bookings', (job.payload -> 'request')::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'cal.cancel_booking' THEN
			cal_bookings_request('/bookings/' || url_encode(job.payload ->> 'booking_uid') || '/cancel',
				jsonb_build_object('cancellationReason', coalesce(job.payload ->> 'reason', 'Cancelled'))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)
		WHEN job.kind = 'vapi.buy_number' AND job.reconcile THEN
			ROW('vapi', 'GET', '/phone-number?createdAtGe='
				|| url_encode(to_char((job.first_sent_at - interval '2 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
				|| '&limit=100', '{}'::jsonb, NULL::text, current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
		WHEN job.kind = 'vapi.buy_number' THEN
			ROW('vapi', 'POST', '/phone-number', '{}'::jsonb,
				jsonb_strip_nulls(jsonb_build_object(
					'provider', 'vapi',
					'numberDesiredAreaCode', job.payload ->> 'area_code',
					'name', 'vapi_pool job ' || job.idempotency_key,
					'server', CASE WHEN job.payload ->> 'server_url' IS NOT NULL
						THEN jsonb_build_object('url', job.payload ->> 'server_url') END))::text,
				current_setting('vapi_pool.http_timeout_ms')::integer)::http_request
	END;

-- ---------------------------------------------------------------- a booking made on Cal.com

CREATE TYPE cal_booking AS (
	org_id uuid,
	-- recorded, host_accepted, already_recorded, own_booking, unknown_event_type
	action text,
	appointment_id uuid,
	lead_id uuid,
	lead_created boolean,
	assignment_id uuid,
	pool_number e164,
	confirmation_call_at timestamptz,
	-- what was not done and why (no number lent, no confirmation call), or NULL
	note text
);
COMMENT ON TYPE cal_booking IS 'what record_cal_booking did with a Cal.com booking';

CREATE FUNCTION record_cal_booking(event_type_id bigint, booking_uid text, start_time timestamptz,
		end_time timestamptz, attendee_name text DEFAULT NULL, attendee_email text DEFAULT NULL,
		attendee_phone text DEFAULT NULL, attendee_timezone text DEFAULT NULL,
		awaiting_host boolean DEFAULT false, hold_id uuid DEFAULT NULL, booked_at timestamptz DEFAULT now())
	RETURNS cal_booking
	AS 'MODULE_PATHNAME', 'vapi_pool_record_cal_booking'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION record_cal_booking(bigint, text, timestamptz, timestamptz, text, text, text, text,
	boolean, uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_cal_booking(bigint, text, timestamptz, timestamptz, text, text, text, text,
	boolean, uuid, timestamptz) TO service_role;
COMMENT ON FUNCTION record_cal_booking(bigint, text, timestamptz, timestamptz, text, text, text, text,
	boolean, uuid, timestamptz) IS
	'a Cal.com booking made outside the product (BOOKING_CREATED / BOOKING_REQUESTED): the lead found or made, consent, a pool number, the appointment; idempotent on the booking uid';

-- ---------------------------------------------------------------- the assistant's lookup

-- get_lead_details names the lead's next appointment, so that Barbara can
-- confirm it on a confirmation call.
CREATE FUNCTION lead_next_appointment(org_id uuid, lead_id uuid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	RETURN (SELECT jsonb_build_object('id', a.id,
			'when', spoken_time(a.scheduled_at, coalesce(b.timezone, o.timezone)::text),
			'time_zone', coalesce(b.timezone, o.timezone)::text,
			'with', coalesce(b.name, o.name),
			'confirmed', a.confirmed_at IS NOT NULL,
			'awaiting_host_confirmation', a.awaiting_host)
		FROM appointments a
		JOIN orgs o ON o.org_id = a.org_id
		LEFT JOIN brokers b ON b.org_id = a.org_id AND b.id = a.broker_id
		WHERE a.org_id = lead_next_appointment.org_id AND a.contact_id = lead_next_appointment.lead_id
		  AND a.status = 'booked' AND a.ends_at > now()
		ORDER BY a.scheduled_at LIMIT 1);
REVOKE EXECUTE ON FUNCTION lead_next_appointment(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lead_next_appointment(uuid, uuid) TO authenticated, service_role;

-- get_lead_details with the lead's next appointment (0.8.0): its id, when
-- (in the broker's zone), with whom, whether the lead confirmed it.
CREATE OR REPLACE FUNCTION supabase_query(query_type text, identifier text) RETURNS jsonb
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
				'broker', CASE WHEN broker.id IS NULL THEN NULL ELSE vapi_pool.broker_card(broker) END,
				'next_appointment', vapi_pool.lead_next_appointment(org, lead.id)));
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
-- Seeing the operation (release 0.9.0, issue 22): reports per broker and per
-- clinic, the health of every pool number, how soon a pool runs dry, and
-- what the operator's command line (vapi-shim status, vapi-shim
-- dead-letters) reads.  Everything here is a view or a query over what the
-- engines already record; the one rule with arithmetic in it (when a number
-- is burned) and the rotation of burned numbers are C (pool/number_health.c).
--
-- The report views are security_invoker (PostgreSQL 15+): row level security
-- scopes them to the caller's organisation, so PostgREST serves them as they
-- are.  docs/operations.md defines every column.

-- ---------------------------------------------------------------- settings and columns

ALTER TABLE orgs ADD COLUMN rotate_burned_numbers boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN orgs.rotate_burned_numbers IS
	'retire every pool number found burned (number_health) and queue its replacement through pool_fill; '
	'run hourly by the pg_cron job vapi_pool.rotate_burned_numbers';

-- The outbound calls of a window, for number health and the reports,
-- without reading every call the organisation ever made.
CREATE INDEX vapi_call_logs_outbound_idx ON vapi_call_logs (org_id, created_at)
	WHERE direction = 'outbound_to_lead';
-- When a number was lent: booked_at starts again when the lead asks again,
-- which takes no number, so pool pressure counts lendings by lent_at.  Rows
-- from before 0.9.0 have none; those of the last week get their booked_at,
-- the best there is.
ALTER TABLE vapi_number_assignments ADD COLUMN lent_at timestamptz;
ALTER TABLE vapi_number_assignments ALTER COLUMN lent_at SET DEFAULT now();
UPDATE vapi_number_assignments SET lent_at = booked_at WHERE booked_at >= now() - interval '8 days';
COMMENT ON COLUMN vapi_number_assignments.lent_at IS
	'when the number was lent to the lead (booked_at starts again when the lead asks again); NULL before 0.9.0';
-- Numbers given back in a window, per broker (pool pressure).  Those lent
-- in the window are either still held (a broker's few unreleased rows) or
-- given back in it, so this one index serves both; a release, which
-- touches every index, pays for one more, an assignment for none.
CREATE INDEX vapi_number_assignments_released_idx ON vapi_number_assignments (org_id, broker_id, released_at)
	WHERE status = 'released';

-- Where the numbers bought for an organisation send their calls: pool_fill
-- records the server URL it is given and uses it when it is given none (a
-- rotation's replacement), so a number bought later points where the first
-- ones do.  On update, an organisation's last purchase still in the outbox
-- (a done one first) gives it; without one, run `vapi-shim pool fill
-- --public-url` once (a full pool buys nothing and the URL is recorded).
ALTER TABLE orgs ADD COLUMN number_server_url text
	CONSTRAINT orgs_number_server_url_http CHECK (number_server_url ~ '^https?://[^/\s]+');
COMMENT ON COLUMN orgs.number_server_url IS
	'the server URL of the Vapi numbers bought for the organisation (pool_fill records it; rotations use it)';
UPDATE orgs o SET number_server_url = j.url
FROM (SELECT DISTINCT ON (org_id) org_id, payload ->> 'server_url' AS url FROM outbox
	  WHERE kind = 'vapi.buy_number' AND payload ? 'server_url'
	  ORDER BY org_id, state = 'done' DESC, id DESC) j
WHERE j.org_id = o.org_id AND j.url ~ '^https?://[^/\s]+';

-- ---------------------------------------------------------------- number health

-- The window number health looks at (vapi_pool.number_health_window back
-- from now) and what counts as an early hang-up.
CREATE FUNCTION number_health_window(OUT since timestamptz, OUT early_hangup_seconds integer)
	AS 'MODULE_PATHNAME', 'vapi_pool_number_health_window'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION number_health_window() IS
	'the start of the number health window (now - vapi_pool.number_health_window) and vapi_pool.early_hangup_seconds';

-- A number's health from its answered share against its siblings' (the
-- same broker's other numbers): healthy, watch or burned, and why in words.
CREATE FUNCTION number_health_state(attempts bigint, answered bigint, sibling_attempts bigint,
		sibling_answered bigint, OUT state text, OUT reason text)
	AS 'MODULE_PATHNAME', 'vapi_pool_number_health_state'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION number_health_state(bigint, bigint, bigint, bigint) IS
	'healthy, watch or burned from a number''s answered calls against its siblings'' (thresholds: '
	'vapi_pool.number_health_min_calls, number_watch_ratio, number_burned_ratio); docs/operations.md';

-- Per pool number (not retired), over the window: the outbound calls it
-- placed and how they ended, against the broker's other numbers.
--   attempts       calls whose lead outcome is known: answered, no answer or voicemail
--   answered       outcome answered (a person, or a machine voicemail detection missed)
--   failed         provider errors: not the lead's doing, not counted in attempts
--   early_hangups  answered calls the customer ended within early_hangup_seconds
--   seconds_to_answer  from placing the call (the call log's creation) to Vapi's startedAt
CREATE VIEW number_health AS
WITH w AS (SELECT * FROM number_health_window()),
calls AS (
	SELECT c.org_id, c.from_e164 AS number,
		   count(*) FILTER (WHERE c.outcome IN ('answered', 'no_answer', 'voicemail')) AS attempts,
		   count(*) FILTER (WHERE c.outcome = 'answered') AS answered,
		   count(*) FILTER (WHERE c.outcome = 'no_answer') AS no_answer,
		   count(*) FILTER (WHERE c.outcome = 'voicemail') AS voicemail,
		   count(*) FILTER (WHERE c.outcome = 'provider_error') AS failed,
		   count(*) FILTER (WHERE c.outcome = 'answered' AND c.ended_reason = 'customer-ended-call'
							  AND c.duration_seconds < w.early_hangup_seconds) AS early_hangups,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.started_at - c.created_at))
			   FILTER (WHERE c.outcome = 'answered' AND c.started_at >= c.created_at) AS seconds_to_answer
	FROM vapi_call_logs c, w
	WHERE c.direction = 'outbound_to_lead' AND c.created_at >= w.since AND c.from_e164 IS NOT NULL
	GROUP BY c.org_id, c.from_e164),
numbers AS (
	SELECT p.org_id, p.broker_id, p.id AS pool_number_id, p.number, p.status,
		   p.retire_requested_at IS NOT NULL AS draining,
		   coalesce(c.attempts, 0) AS attempts, coalesce(c.answered, 0) AS answered,
		   coalesce(c.no_answer, 0) AS no_answer, coalesce(c.voicemail, 0) AS voicemail,
		   coalesce(c.failed, 0) AS failed, coalesce(c.early_hangups, 0) AS early_hangups,
		   c.seconds_to_answer
	FROM vapi_number_pool p
	LEFT JOIN calls c ON c.org_id = p.org_id AND c.number = p.number
	WHERE p.status <> 'retired'),
siblings AS (
	SELECT n.*,
		   sum(n.attempts) OVER b - n.attempts AS sibling_attempts,
		   sum(n.answered) OVER b - n.answered AS sibling_answered
	FROM numbers n
	WINDOW b AS (PARTITION BY n.org_id, n.broker_id))
SELECT s.org_id, s.broker_id, b.name AS broker_name, s.pool_number_id, s.number, s.status, s.draining,
	   s.attempts, s.answered,
	   CASE WHEN s.attempts > 0 THEN round(s.answered::numeric / s.attempts, 3) END AS answer_rate,
	   s.sibling_attempts::bigint AS sibling_attempts,
	   CASE WHEN s.sibling_attempts > 0 THEN round(s.sibling_answered / s.sibling_attempts, 3) END
		   AS sibling_answer_rate,
	   round(s.seconds_to_answer::numeric, 1) AS median_seconds_to_answer,
	   s.early_hangups, s.no_answer, s.voicemail, s.failed,
	   h.state, h.reason
FROM siblings s
JOIN brokers b ON b.org_id = s.org_id AND b.id = s.broker_id
CROSS JOIN LATERAL number_health_state(s.attempts, s.answered, s.sibling_attempts::bigint,
	s.sibling_answered::bigint) h;
COMMENT ON VIEW number_health IS
	'per pool number over vapi_pool.number_health_window: attempts, answer rate against the broker''s other numbers, '
	'median time to answer, early hang-ups, outcome mix, and healthy / watch / burned with the reason';

-- Every rotation of a burned number: which, why, and the purchase queued
-- for its replacement.
CREATE TABLE number_rotations (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	id bigint GENERATED ALWAYS AS IDENTITY,
	broker_id uuid NOT NULL,
	-- not a foreign key to the pool: the log outlives a number deleted from it
	pool_number_id uuid NOT NULL,
	number e164 NOT NULL,
	rotated_at timestamptz NOT NULL DEFAULT now(),
	attempts bigint NOT NULL,
	answered bigint NOT NULL,
	sibling_answer_rate numeric,
	reason text NOT NULL,
	-- retired now (it was free) or draining (retires when its lead's hold ends)
	retirement text NOT NULL CONSTRAINT number_rotations_retirement_known CHECK (retirement IN ('retired', 'draining')),
	-- the vapi.buy_number jobs pool_fill queued for the broker (empty: the pool was full)
	replacement_job_ids bigint[] NOT NULL DEFAULT '{}',
	CONSTRAINT number_rotations_pkey PRIMARY KEY (org_id, id),
	CONSTRAINT number_rotations_broker_fkey FOREIGN KEY (org_id, broker_id) REFERENCES brokers (org_id, id)
		ON DELETE CASCADE
);
CREATE INDEX number_rotations_number_idx ON number_rotations (org_id, pool_number_id);
COMMENT ON TABLE number_rotations IS
	'every burned pool number rotate_burned_numbers retired, with its figures and the replacement purchases queued';
ALTER TABLE number_rotations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY number_rotations_org_select ON number_rotations FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT ON number_rotations TO authenticated;
GRANT SELECT, INSERT ON number_rotations TO service_role;
-- a data-only restore by the service sets the sequence where it was
GRANT USAGE, SELECT, UPDATE ON SEQUENCE number_rotations_id_seq TO service_role;
SELECT pg_catalog.pg_extension_config_dump('number_rotations', '');
SELECT pg_catalog.pg_extension_config_dump('number_rotations_id_seq', '');

-- Retires the burned numbers of every organisation that set
-- rotate_burned_numbers and queues their replacements (pool/number_health.c).
CREATE FUNCTION rotate_burned_numbers() RETURNS SETOF number_rotations
	AS 'MODULE_PATHNAME', 'vapi_pool_rotate_burned_numbers'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION rotate_burned_numbers() IS
	'retire the burned numbers of organisations with rotate_burned_numbers, queue replacements with pool_fill '
	'(same area code), log each in number_rotations; hourly by pg_cron';

-- A number being retired (draining) is leaving the pool: pool_fill buys its
-- replacement now instead of after the lead's hold ends.  The server URL
-- given is recorded for the organisation; none given, the recorded one is
-- used.
CREATE OR REPLACE FUNCTION pool_fill(broker uuid, area_code text DEFAULT NULL, server_url text DEFAULT NULL,
		dry_run boolean DEFAULT false)
	RETURNS TABLE (org_id uuid, broker_id uuid, pool_size integer, in_pool integer, pending integer,
		queued integer, job_ids bigint[])
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	b brokers;
	url text;
BEGIN
	IF area_code IS NOT NULL AND area_code !~ '^[2-9][0-9]{2}$' THEN
		RAISE EXCEPTION 'area code must be three digits, not starting with 0 or 1'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = format('The area code was "%s".', area_code);
	END IF;
	IF server_url IS NOT NULL AND server_url !~ '^https?://[^/\s]+' THEN
		RAISE EXCEPTION 'server URL must be an http or https URL'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = format('The server URL was "%s".', server_url);
	END IF;
	SELECT * INTO b FROM brokers WHERE id = pool_fill.broker;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'broker % does not exist', pool_fill.broker USING ERRCODE = 'no_data_found';
	END IF;
	-- one fill of a broker at a time, so two never buy the same gap twice
	PERFORM pg_advisory_xact_lock(hashtextextended('vapi_pool.pool_fill:' || b.id::text, 0));

	org_id := b.org_id;
	broker_id := b.id;
	pool_size := b.number_pool_size;
	IF pool_fill.server_url IS NOT NULL AND NOT dry_run THEN
		UPDATE orgs o SET number_server_url = pool_fill.server_url
		WHERE o.org_id = b.org_id AND o.number_server_url IS DISTINCT FROM pool_fill.server_url;
	END IF;
	url := coalesce(pool_fill.server_url, (SELECT o.number_server_url FROM orgs o WHERE o.org_id = b.org_id));
	SELECT count(*) INTO in_pool FROM vapi_number_pool p
	WHERE p.org_id = b.org_id AND p.broker_id = b.id AND p.status <> 'retired' AND p.retire_requested_at IS NULL;
	SELECT count(*) INTO pending FROM outbox o
	WHERE o.org_id = b.org_id AND o.kind = 'vapi.buy_number' AND o.state IN ('pending', 'in_flight')
	  AND o.payload ->> 'broker_id' = b.id::text;
	queued := greatest(0, pool_size - in_pool - pending);
	job_ids := '{}';
	IF NOT dry_run AND queued > 0 THEN
		WITH jobs AS (
			INSERT INTO outbox (org_id, kind, payload, idempotency_key)
			SELECT b.org_id, 'vapi.buy_number',
				jsonb_strip_nulls(jsonb_build_object('broker_id', b.id, 'area_code', pool_fill.area_code,
					'server_url', url)),
				'buy-number:' || b.id || ':' || gen_random_uuid()
			FROM generate_series(1, queued)
			RETURNING id)
		SELECT array_agg(id ORDER BY id) INTO job_ids FROM jobs;
	ELSIF dry_run THEN
		job_ids := NULL;
	END IF;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION pool_fill(uuid, text, text, boolean) IS
	'queue the vapi.buy_number jobs that bring the broker''s pool up to number_pool_size, numbers being retired '
	'not counted; the server URL given (else the organisation''s recorded number_server_url) goes with them '
	'(dry_run: only count)';

-- ---------------------------------------------------------------- pool pressure

-- pool_status gains how fast the pool is used, over the last seven days:
--   assignments_per_day  numbers lent per day (by lent_at: a lead asking
--                        again takes no number)
--   releases_per_day     numbers given back per day
--   mean_hold_hours      how long the holds released in the window lasted,
--                        from the lending
--   numbers_needed       assignments_per_day x mean hold (Little's law): the
--                        pool size that covers this rate
--   days_until_dry       available / (lent - given back per day) while more
--                        are lent than given back; NULL otherwise
CREATE OR REPLACE VIEW pool_status AS
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
			ELSE round((p.size - p.available)::numeric / p.size, 3) END AS pressure,
	   round((a.lent + r.lent) / 7.0, 2) AS assignments_per_day,
	   round(r.released / 7.0, 2) AS releases_per_day,
	   round(r.mean_hold_hours, 1) AS mean_hold_hours,
	   ceil((a.lent + r.lent) / 7.0 * r.mean_hold_hours / 24)::integer AS numbers_needed,
	   CASE WHEN a.lent + r.lent > r.released
			THEN round(coalesce(p.available, 0) / ((a.lent + r.lent - r.released) / 7.0), 1) END AS days_until_dry
FROM brokers b
LEFT JOIN LATERAL (
	SELECT count(*) FILTER (WHERE status <> 'retired') AS size,
		   count(*) FILTER (WHERE status = 'available') AS available,
		   count(*) FILTER (WHERE retire_requested_at IS NOT NULL) AS draining,
		   count(*) FILTER (WHERE status = 'retired') AS retired
	FROM vapi_number_pool n WHERE n.org_id = b.org_id AND n.broker_id = b.id) p ON true
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE status = 'booked') AS booked,
		   count(*) FILTER (WHERE status = 'call_completed') AS call_completed,
		   min(booked_at) AS oldest_hold,
		   min(release_at) AS next_release_at,
		   count(*) FILTER (WHERE lent_at >= now() - interval '7 days') AS lent
	FROM vapi_number_assignments x
	WHERE x.org_id = b.org_id AND x.broker_id = b.id AND x.status <> 'released') a
CROSS JOIN LATERAL (
	SELECT count(*) AS released,
		   count(*) FILTER (WHERE x.lent_at >= now() - interval '7 days') AS lent,
		   avg(extract(epoch FROM x.released_at - coalesce(x.lent_at, x.booked_at)) / 3600) AS mean_hold_hours
	FROM vapi_number_assignments x
	WHERE x.org_id = b.org_id AND x.broker_id = b.id AND x.status = 'released'
	  AND x.released_at >= now() - interval '7 days') r;
COMMENT ON VIEW pool_status IS
	'per broker: pool size, available, booked, call_completed, draining, oldest hold, pressure, and over the last '
	'7 days assignments and releases per day, mean hold, numbers needed and days until the pool runs dry';

-- ---------------------------------------------------------------- reports

-- How a logged call went, as the reports and vapi-shim status count it, one
-- definition for both: in_progress (not ended), failed (the provider's
-- failure, or ended with no known outcome: the report never came), else its
-- outcome (answered, no_answer, voicemail).  Inlined where it is used
-- (no SET), so its operators are qualified.
CREATE FUNCTION call_outcome_class(status text, outcome text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
	SELECT CASE WHEN status OPERATOR(pg_catalog.<>) 'ended' THEN 'in_progress'
				WHEN outcome IS NULL OR outcome OPERATOR(pg_catalog.=) 'provider_error' THEN 'failed'
				ELSE outcome END
	$$;
COMMENT ON FUNCTION call_outcome_class(text, text) IS
	'a call log''s status and outcome as counted: in_progress, failed (provider error or no known outcome), '
	'answered, no_answer or voicemail';

-- Per broker (a clinic's own line: broker_id NULL, named after the clinic)
-- and per day or week in the broker's (clinic's) time zone.  Filter on
-- period = 'day' or 'week'.  docs/operations.md defines every column.
CREATE VIEW call_report AS
SELECT r.org_id, r.broker_id, r.name, r.period, r.period_start,
	   r.calls_placed, r.calls_received, r.answered, r.voicemail, r.no_answer, r.failed, r.in_progress,
	   CASE WHEN r.placed_reached_or_not > 0
			THEN round(r.placed_answered::numeric / r.placed_reached_or_not, 3) END AS answer_rate,
	   round(r.median_seconds::numeric, 1) AS median_seconds, round(r.p90_seconds::numeric, 1) AS p90_seconds,
	   r.transfers_attempted, r.transfers_to_primary, r.transfers_to_secondary,
	   r.bookings, r.bookings_cancelled,
	   CASE WHEN r.answered > 0 THEN round(r.bookings::numeric / r.answered, 3) END AS bookings_per_answered_call,
	   r.cost,
	   CASE WHEN r.calls_costed > 0 THEN round(r.cost / r.calls_costed, 4) END AS cost_per_call,
	   CASE WHEN r.bookings > 0 THEN round(r.cost / r.bookings, 4) END AS cost_per_booking
FROM (
	-- one pass over the calls and the assistants' bookings together, so that
	-- a filter on the organisation, broker or period reaches both tables
	SELECT e.org_id, e.broker_id, coalesce(b.name, o.name) AS name, g.period,
		   date_trunc(g.period, e.at AT TIME ZONE coalesce(b.timezone, o.timezone))::date AS period_start,
		   count(*) FILTER (WHERE e.direction = 'outbound_to_lead') AS calls_placed,
		   count(*) FILTER (WHERE e.direction <> 'outbound_to_lead') AS calls_received,
		   count(*) FILTER (WHERE e.class = 'answered') AS answered,
		   count(*) FILTER (WHERE e.class = 'voicemail') AS voicemail,
		   count(*) FILTER (WHERE e.class = 'no_answer') AS no_answer,
		   count(*) FILTER (WHERE e.class = 'failed') AS failed,
		   count(*) FILTER (WHERE e.class = 'in_progress') AS in_progress,
		   count(*) FILTER (WHERE e.direction = 'outbound_to_lead' AND e.class = 'answered') AS placed_answered,
		   count(*) FILTER (WHERE e.direction = 'outbound_to_lead' AND e.class IN ('answered', 'voicemail', 'no_answer'))
			   AS placed_reached_or_not,
		   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.duration_seconds) FILTER (WHERE e.class = 'answered')
			   AS median_seconds,
		   percentile_cont(0.9) WITHIN GROUP (ORDER BY e.duration_seconds) FILTER (WHERE e.class = 'answered')
			   AS p90_seconds,
		   count(*) FILTER (WHERE e.transfer_attempts > 0) AS transfers_attempted,
		   count(*) FILTER (WHERE e.transfer_attempts = 1 AND e.ended_reason = 'assistant-forwarded-call')
			   AS transfers_to_primary,
		   count(*) FILTER (WHERE e.transfer_attempts >= 2 AND e.ended_reason = 'assistant-forwarded-call')
			   AS transfers_to_secondary,
		   count(*) FILTER (WHERE e.booking) AS bookings,
		   count(*) FILTER (WHERE e.booking AND e.status = 'cancelled') AS bookings_cancelled,
		   coalesce(sum(e.cost), 0) AS cost,
		   count(e.cost) AS calls_costed
	FROM (
		SELECT c.org_id, c.broker_id, c.created_at AS at, false AS booking, c.direction, c.status,
			   call_outcome_class(c.status, c.outcome) AS class, c.duration_seconds, c.transfer_attempts,
			   c.ended_reason, c.cost
		FROM vapi_call_logs c
		UNION ALL
		SELECT a.org_id, a.broker_id, a.created_at, true, NULL, a.status, NULL, NULL, NULL, NULL, NULL
		FROM appointments a
		WHERE a.booked_via = 'assistant' AND a.cal_booking_uid IS NOT NULL) e
	JOIN orgs o ON o.org_id = e.org_id
	LEFT JOIN brokers b ON b.org_id = e.org_id AND b.id = e.broker_id
	CROSS JOIN (VALUES ('day'), ('week')) g (period)
	GROUP BY e.org_id, e.broker_id, b.name, o.name, g.period, 5) r;
COMMENT ON VIEW call_report IS
	'per broker (or clinic line) and day or week: calls placed and received, outcomes, answer rate, median and p90 '
	'duration, transfers to the primary and secondary number, assistant bookings, cost per call and per booking';

-- Instantly replies per broker (the lead's, else the campaign's default),
-- day or week and intent, and how many became calls.
CREATE VIEW reply_report AS
SELECT e.org_id, b.id AS broker_id, coalesce(b.name, o.name) AS name, g.period,
	   date_trunc(g.period, e.received_at AT TIME ZONE coalesce(b.timezone, o.timezone))::date AS period_start,
	   e.intent,
	   count(*) AS replies,
	   count(*) FILTER (WHERE e.decision IN ('call_queued', 'call_already_queued')) AS calls_queued,
	   -- a done job is purged after the outbox's retention, its id cleared here
	   count(*) FILTER (WHERE j.state = 'done' OR (e.decision IN ('call_queued', 'call_already_queued')
												   AND e.outbox_id IS NULL)) AS calls_placed,
	   count(*) FILTER (WHERE e.decision IN ('opted_out', 'opt_out_kept')) AS opted_out
FROM instantly_events e
JOIN orgs o ON o.org_id = e.org_id
LEFT JOIN leads l ON l.org_id = e.org_id AND l.id = e.lead_id
LEFT JOIN instantly_campaigns ca ON ca.org_id = e.org_id AND ca.campaign_id = e.campaign_id
LEFT JOIN brokers b ON b.org_id = e.org_id AND b.id = coalesce(l.broker_id, ca.broker_id)
LEFT JOIN outbox j ON j.org_id = e.org_id AND j.id = e.outbox_id
CROSS JOIN (VALUES ('day'), ('week')) g (period)
WHERE e.intent IS NOT NULL
GROUP BY e.org_id, b.id, b.name, o.name, g.period, 5, e.intent;
COMMENT ON VIEW reply_report IS
	'Instantly replies per broker, day or week and intent: replies, calls queued, calls placed, opt-outs';

-- A clinic's drop-off follow-ups per day or week: drop-offs recorded, texts
-- sent, and how many came back (the caller was reached again or booked).
CREATE VIEW followup_report AS
SELECT f.org_id, o.name, g.period,
	   date_trunc(g.period, f.created_at AT TIME ZONE o.timezone)::date AS period_start,
	   count(*) AS dropoffs,
	   -- a done job is purged after the outbox's retention; the id stays here
	   count(*) FILTER (WHERE j.state = 'done' OR (f.outbox_id IS NOT NULL AND j.id IS NULL)) AS texts_sent,
	   count(*) FILTER (WHERE f.state IN ('contacted', 'booked')) AS came_back,
	   count(*) FILTER (WHERE f.state = 'booked') AS booked,
	   count(*) FILTER (WHERE f.state = 'dismissed') AS dismissed
FROM dropoff_followups f
JOIN orgs o ON o.org_id = f.org_id
LEFT JOIN outbox j ON j.org_id = f.org_id AND j.id = f.outbox_id
CROSS JOIN (VALUES ('day'), ('week')) g (period)
GROUP BY f.org_id, o.name, g.period, 4;
COMMENT ON VIEW followup_report IS
	'a clinic''s drop-off follow-ups per day or week: drop-offs, texts sent, came back, booked, dismissed';

-- ---------------------------------------------------------------- the operator's view

-- Every dead letter: inbox events that failed (replay_event) and outbox
-- jobs that died (outbox_replay), under one reference (event:ID, job:ID).
CREATE VIEW dead_letters AS
SELECT 'event:' || i.id AS ref, 'event' AS kind, i.id, i.org_id, i.source || ' ' || i.event_type AS what,
	   i.processed_at AS failed_at, i.attempts, i.error, i.error_sqlstate AS sqlstate
FROM webhook_inbox i
WHERE i.state = 'failed'
UNION ALL
SELECT 'job:' || j.id, 'job', j.id, j.org_id, j.kind, j.updated_at, j.attempts, j.last_error,
	   CASE WHEN j.last_http_status IS NOT NULL THEN 'HTTP ' || j.last_http_status END
FROM outbox j
WHERE j.state = 'dead';
COMMENT ON VIEW dead_letters IS
	'failed inbox events (ref event:ID) and dead outbox jobs (ref job:ID), for replay_dead_letter';

-- Replays one dead letter by its reference: event:ID runs replay_event,
-- job:ID outbox_replay.  22023 for a reference of neither form.
CREATE FUNCTION replay_dead_letter(letter text, OUT ref text, OUT outcome text, OUT detail text)
	LANGUAGE plpgsql VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	m text[] := pg_catalog.regexp_match(letter, '^\s*(event|job):([0-9]{1,18})\s*$');
	receipt webhook_receipt;
	job outbox;
BEGIN
	IF m IS NULL THEN
		RAISE EXCEPTION 'dead letter reference must be event:ID or job:ID'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The reference was "%s".', letter),
				  HINT = 'Copy the ref column of vapi_pool.dead_letters.';
	END IF;
	ref := m[1] || ':' || m[2];
	IF m[1] = 'event' THEN
		receipt := replay_event(m[2]::bigint);
		outcome := receipt.state;
		detail := CASE WHEN receipt.state = 'processed' THEN format('answered HTTP %s', receipt.http_status)
					   ELSE (SELECT i.error FROM webhook_inbox i WHERE i.id = m[2]::bigint) END;
	ELSE
		job := outbox_replay(m[2]::bigint);
		outcome := job.state;
		detail := format('%s due at %s', job.kind, job.run_at);
	END IF;
END
$$;
COMMENT ON FUNCTION replay_dead_letter(text) IS
	'replay one dead letter by its dead_letters ref: event:ID (replay_event) or job:ID (outbox_replay)';

-- The calls started since a time, by how they went (the last hour, for
-- vapi-shim status): answered, no_answer, voicemail, failed, in_progress.
CREATE FUNCTION calls_by_outcome(since timestamptz)
	RETURNS TABLE (outcome text, calls bigint)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT k.outcome, count(c.outcome)
	FROM (VALUES (1, 'answered'), (2, 'no_answer'), (3, 'voicemail'), (4, 'failed'), (5, 'in_progress')) k (n, outcome)
	LEFT JOIN (
		SELECT call_outcome_class(l.status, l.outcome) AS outcome
		FROM vapi_call_logs l
		WHERE l.created_at >= calls_by_outcome.since) c ON c.outcome = k.outcome
	GROUP BY k.n, k.outcome
	ORDER BY k.n
	$$;
COMMENT ON FUNCTION calls_by_outcome(timestamptz) IS
	'the calls logged since a time by outcome: answered, no_answer, voicemail, failed, in_progress';

-- The extension's pg_cron jobs and their last run; empty without pg_cron in
-- this database.  SECURITY DEFINER: pg_cron shows a role only its own jobs,
-- and the jobs are the extension owner's.
CREATE FUNCTION maintenance_job_runs()
	RETURNS TABLE (jobname text, schedule text, active boolean, last_status text, last_run_at timestamptz,
		last_message text)
	LANGUAGE plpgsql STABLE SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RETURN;
	END IF;
	-- EXECUTE: schema cron does not exist without pg_cron
	RETURN QUERY EXECUTE
		'SELECT j.jobname::text, j.schedule::text, j.active, r.status::text, r.end_time, r.return_message::text
		 FROM cron.job j
		 LEFT JOIN LATERAL (SELECT d.status, d.end_time, d.return_message FROM cron.job_run_details d
							WHERE d.jobid = j.jobid ORDER BY d.runid DESC LIMIT 1) r ON true
		 WHERE j.jobname LIKE ''vapi\_pool.%''
		 ORDER BY j.jobname';
END
$$;
CREATE VIEW maintenance_jobs AS SELECT * FROM maintenance_job_runs();
COMMENT ON VIEW maintenance_jobs IS 'the extension''s pg_cron jobs (vapi_pool.*) and how their last run went';

-- The figures /metrics shows, for every organisation: active pools running
-- dry in under 7 days, the fewest days until one does, numbers on watch,
-- burned.
CREATE FUNCTION operations_stats(OUT pools_running_dry bigint, OUT min_days_until_dry numeric,
		OUT numbers_watch bigint, OUT numbers_burned bigint)
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT (SELECT count(*) FROM pool_status s WHERE s.number_pool_active AND s.days_until_dry < 7),
		   (SELECT min(s.days_until_dry) FROM pool_status s WHERE s.number_pool_active),
		   count(*) FILTER (WHERE h.state = 'watch'),
		   count(*) FILTER (WHERE h.state = 'burned')
	FROM number_health h
	$$;
COMMENT ON FUNCTION operations_stats() IS
	'for /metrics: active pools running dry in under 7 days, the fewest days until one does, numbers on watch and burned';

-- ---------------------------------------------------------------- the hourly job

-- Registers the housekeeping jobs with pg_cron, in this database: the
-- release of expired numbers (schedule), the sweep of calls whose report is
-- late (every five minutes), the purge of personal data past its retention
-- (daily at 03:45) and, since 0.9.0, the rotation of burned numbers (hourly,
-- at 20 past; it does nothing for an organisation that has not set
-- rotate_burned_numbers).  Idempotent.  Returns the jobs.
CREATE OR REPLACE FUNCTION schedule_maintenance(schedule text DEFAULT '0 3 * * *')
	RETURNS TABLE (job_name text, job_id bigint, job_schedule text, command text)
	LANGUAGE plpgsql
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The release of expired numbers, the sweep of calls whose report is late, the purge of '
						   'personal data past its retention and the rotation of burned numbers run as pg_cron jobs.',
				  HINT = 'Add pg_cron to shared_preload_libraries and run CREATE EXTENSION pg_cron in the '
						 'database named by cron.database_name, or run CALL vapi_pool.release_expired_in_batches() '
						 'and CALL vapi_pool.purge_personal_data_in_batches() daily, '
						 'SELECT vapi_pool.reconcile_stale_calls() every few minutes and '
						 'SELECT vapi_pool.rotate_burned_numbers() hourly from your own scheduler.';
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
	job_name := 'vapi_pool.rotate_burned_numbers';
	job_schedule := '20 * * * *';
	command := 'SELECT pg_catalog.count(*) FROM vapi_pool.rotate_burned_numbers()';
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id USING job_name, job_schedule, command;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION schedule_maintenance(text) IS
	'registers the pg_cron jobs vapi_pool.release_expired (on schedule), vapi_pool.reconcile_stale_calls (every five '
	'minutes), vapi_pool.purge_personal_data (daily at 03:45) and vapi_pool.rotate_burned_numbers (hourly)';

-- ---------------------------------------------------------------- privileges

DO $view$
BEGIN
	IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
		ALTER VIEW vapi_pool.pool_status SET (security_invoker = true);
		ALTER VIEW vapi_pool.number_health SET (security_invoker = true);
		ALTER VIEW vapi_pool.call_report SET (security_invoker = true);
		ALTER VIEW vapi_pool.reply_report SET (security_invoker = true);
		ALTER VIEW vapi_pool.followup_report SET (security_invoker = true);
		ALTER VIEW vapi_pool.dead_letters SET (security_invoker = true);
		GRANT SELECT ON vapi_pool.number_health, vapi_pool.call_report, vapi_pool.reply_report,
			vapi_pool.followup_report TO authenticated;
	END IF;
	GRANT SELECT ON vapi_pool.number_health, vapi_pool.call_report, vapi_pool.reply_report,
		vapi_pool.followup_report, vapi_pool.dead_letters TO service_role;
END
$view$;
REVOKE SELECT ON vapi_pool.maintenance_jobs FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rotate_burned_numbers(), replay_dead_letter(text), calls_by_outcome(timestamptz),
	maintenance_job_runs(), operations_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rotate_burned_numbers(), replay_dead_letter(text), calls_by_outcome(timestamptz),
	maintenance_job_runs(), operations_stats() TO service_role;
GRANT SELECT ON vapi_pool.maintenance_jobs TO service_role;
GRANT EXECUTE ON FUNCTION number_health_window(), number_health_state(bigint, bigint, bigint, bigint)
	TO authenticated, service_role;
-- call_report, security_invoker, calls it for whoever reads it
GRANT EXECUTE ON FUNCTION call_outcome_class(text, text) TO authenticated, service_role;
-- Group commit (release 0.10.0, issue 24): the shim's database workers hand
-- the deliveries queued when they are free to one call, in one transaction,
-- so that several webhooks share one commit and one WAL flush instead of
-- paying one each.  Every delivery is taken exactly as receive_webhook takes
-- it, in a subtransaction of its own (webhook_receive.c): one that fails
-- fails alone, with its own dead letter or its own SQLSTATE, and a
-- duplicate inside a group is answered as one across groups.  The shim
-- answers nobody before the group's COMMIT has returned.

-- Stores and acts on several deliveries (sources[i] with payloads[i], the
-- body as text so that a body jsonb refuses fails alone); one row per
-- delivery, in order.  A row with error_sqlstate set stored nothing: the
-- sender gets the answer that SQLSTATE gets from receive_webhook, unless its
-- state is put_off (a lock waited for past vapi_pool.group_lock_timeout, a
-- deadlock's victim), which the shim runs again alone after the commit.
CREATE FUNCTION receive_webhooks(sources text[], payloads text[])
	RETURNS TABLE (ordinal integer, inbox_id bigint, http_status integer, answer jsonb, state text,
				   duplicate boolean, error_sqlstate text, error text)
	AS 'MODULE_PATHNAME', 'vapi_pool_receive_webhooks'
	LANGUAGE C VOLATILE
	ROWS 16
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION receive_webhooks(text[], text[]) IS
	'receive_webhook for a group of deliveries in one transaction, each in its own subtransaction; one row per delivery, in order';

REVOKE EXECUTE ON FUNCTION receive_webhooks(text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION receive_webhooks(text[], text[]) TO service_role;

-- ---------------------------------------------------------------- the opening of a call, planned once

-- assistant_opening (194_assistants.sql) in C with a saved plan: as a SQL
-- function with a sub-select it was never inlined, and planned its query on
-- every call, half of an answered assistant-request's database time.  The
-- same answer, with the caller's rights.
CREATE OR REPLACE FUNCTION assistant_opening(org_id uuid, assistant_id text, role text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'vapi_pool_assistant_opening'
	LANGUAGE C STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
