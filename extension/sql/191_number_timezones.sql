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
