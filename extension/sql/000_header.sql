-- vapi_pool install script, assembled by the Makefile from extension/sql/*.sql
-- in file-name order.  Edit the parts, never the assembled file.

\echo Use "CREATE EXTENSION vapi_pool CASCADE" to load this file. \quit

-- The version of the C library, to spot a library and catalog that drifted apart.
CREATE FUNCTION library_version() RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_library_version'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
