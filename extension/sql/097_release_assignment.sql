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
