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
