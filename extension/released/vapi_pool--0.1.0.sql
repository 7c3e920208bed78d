-- vapi_pool 0.1.0 install script, frozen at its release: never edit.  It lets
-- CREATE EXTENSION vapi_pool VERSION '0.1.0' work, so the upgrade path from it
-- can be tested (t/005_upgrade_path.pl).

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
