-- vapi_pool 0.4.0 -> 0.5.0, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
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
--    can see (extension/slot_claim_hold.c).
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
