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
