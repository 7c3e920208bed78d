-- vapi_pool 0.9.0 -> 0.10.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
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
