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
