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
