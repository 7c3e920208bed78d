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
