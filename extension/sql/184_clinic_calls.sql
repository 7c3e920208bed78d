-- Clinic calls (release 0.6.0, issue 19 items 2-4): the receptionist
-- ("Voxanne", seed 004) answers a clinic's callers, patients on file and new
-- callers alike, and books, moves and cancels their appointments on the
-- clinic's own calendar (or its Cal.com event type); a new caller becomes a
-- contact with the name they give, linked to the call, so that a drop-off
-- follow-up reaches them.  The tools are C (webhook/tool_clinic.c), the
-- contact of a call pool/call_contact.c, the routing the assistant-request
-- plan (webhook_vapi.c) and route_inbound.c.  See docs/clinic_followups.md.

-- ---------------------------------------------------------------- organisations

ALTER TABLE orgs
	ADD COLUMN receptionist_assistant_id text
		CONSTRAINT orgs_receptionist_assistant_id_present CHECK (btrim(receptionist_assistant_id) <> ''),
	ADD COLUMN known_patient_answer text NOT NULL DEFAULT 'receptionist'
		CONSTRAINT orgs_known_patient_answer_known CHECK (known_patient_answer IN ('receptionist', 'forward')),
	ADD COLUMN cal_event_type_id bigint
		CONSTRAINT orgs_cal_event_type_id_positive CHECK (cal_event_type_id > 0),
	ADD COLUMN booking_notice_minutes integer NOT NULL DEFAULT 60
		CONSTRAINT orgs_booking_notice_minutes_range CHECK (booking_notice_minutes BETWEEN 0 AND 10080);
GRANT UPDATE (receptionist_assistant_id, known_patient_answer, cal_event_type_id, booking_notice_minutes)
	ON orgs TO authenticated;
COMMENT ON COLUMN orgs.receptionist_assistant_id IS
	'Vapi assistant that answers a clinic''s callers; NULL: the setting vapi_pool.receptionist_assistant_id, else the clinic_receptionist that vapi-shim assistants push created';
COMMENT ON COLUMN orgs.known_patient_answer IS
	'a clinic''s answer to a patient on file calling: receptionist (the receptionist assistant with the contact) or forward (the front desk, as a lead is forwarded to its broker)';
COMMENT ON COLUMN orgs.cal_event_type_id IS
	'the Cal.com event type of the organisation''s own calendar: free times come from Cal.com and bookings are made there; NULL: from clinic_hours';
COMMENT ON COLUMN orgs.booking_notice_minutes IS
	'the earliest time offered on the organisation''s own calendar is this many minutes from now (0-10080)';

-- A Cal.com event type of the shared account belongs to one calendar of one
-- organisation (0.5.0's rule for brokers, brokers_cal_event_type_id_key):
-- unique among organisations, and never also a broker's, or a member of one
-- organisation could read and book another's calendar with the shared key.
-- The advisory lock on the id makes the check and the write one step for
-- concurrent writers of the two tables.
ALTER TABLE orgs ADD CONSTRAINT orgs_cal_event_type_id_key UNIQUE (cal_event_type_id);
COMMENT ON CONSTRAINT orgs_cal_event_type_id_key ON orgs IS
	'a Cal.com event type id is an organisation''s once across all organisations (one Cal.com key per deployment)';
CREATE FUNCTION event_type_not_shared() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vapi_pool.cal_event_type_id'),
		pg_catalog.hashint8(NEW.cal_event_type_id));
	IF (TG_TABLE_NAME = 'orgs' AND EXISTS (SELECT FROM vapi_pool.brokers b WHERE b.cal_event_type_id = NEW.cal_event_type_id))
	   OR (TG_TABLE_NAME = 'brokers' AND EXISTS (SELECT FROM vapi_pool.orgs o WHERE o.cal_event_type_id = NEW.cal_event_type_id))
	THEN
		RAISE EXCEPTION 'Cal.com event type % is registered already', NEW.cal_event_type_id
			USING ERRCODE = 'unique_violation',
				  DETAIL = 'An event type of the shared Cal.com account belongs to one calendar: one broker''s or one organisation''s.',
				  HINT = 'Create an event type of its own in Cal.com for this calendar.';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION event_type_not_shared() FROM PUBLIC;
CREATE TRIGGER orgs_event_type_not_shared BEFORE INSERT OR UPDATE OF cal_event_type_id ON orgs
	FOR EACH ROW WHEN (NEW.cal_event_type_id IS NOT NULL) EXECUTE FUNCTION event_type_not_shared();
CREATE TRIGGER brokers_event_type_not_shared BEFORE INSERT OR UPDATE OF cal_event_type_id ON brokers
	FOR EACH ROW WHEN (NEW.cal_event_type_id IS NOT NULL) EXECUTE FUNCTION event_type_not_shared();

-- ---------------------------------------------------------------- opening hours

CREATE TABLE clinic_hours (
	org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
	-- ISO day of the week: 1 Monday .. 7 Sunday
	weekday smallint NOT NULL CONSTRAINT clinic_hours_weekday_range CHECK (weekday BETWEEN 1 AND 7),
	-- local times in orgs.timezone; a day may have several spans (a lunch break)
	opens time NOT NULL,
	closes time NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT clinic_hours_pkey PRIMARY KEY (org_id, weekday, opens),
	CONSTRAINT clinic_hours_opens_before_closes CHECK (opens < closes)
);
CREATE TRIGGER clinic_hours_touch_updated_at BEFORE UPDATE ON clinic_hours
	FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE clinic_hours IS
	'when appointments on the organisation''s own calendar may take place, per day of the week, in orgs.timezone';

ALTER TABLE clinic_hours ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_hours_org_select ON clinic_hours FOR SELECT TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_insert ON clinic_hours FOR INSERT TO authenticated
	WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_update ON clinic_hours FOR UPDATE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id())) WITH CHECK (org_id = (SELECT vapi_pool.auth_org_id()));
CREATE POLICY clinic_hours_org_delete ON clinic_hours FOR DELETE TO authenticated
	USING (org_id = (SELECT vapi_pool.auth_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON clinic_hours TO authenticated, service_role;
SELECT pg_catalog.pg_extension_config_dump('clinic_hours', '');

-- ---------------------------------------------------------------- free times

-- The starts of appointments on the organisation's own calendar that the
-- assistant may offer, in time order: every appointment_minutes within the
-- opening hours of the day given (else of the next booking_horizon_days
-- days), at least booking_notice_minutes from now, that no booking or live
-- hold blocks (free_slots).  Empty when the organisation has no hours.
CREATE FUNCTION clinic_free_starts(org_id uuid, day date DEFAULT NULL) RETURNS timestamptz[]
	LANGUAGE sql STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
	SELECT free_slots(NULL, ARRAY(
			SELECT DISTINCT s.t
			FROM generate_series(
					coalesce(day, (now() AT TIME ZONE o.timezone)::date)::timestamp,
					coalesce(day, (now() AT TIME ZONE o.timezone)::date + o.booking_horizon_days - 1)::timestamp,
					interval '1 day') d(d)
			JOIN clinic_hours h ON h.org_id = o.org_id AND h.weekday = extract(isodow FROM d.d)
			CROSS JOIN LATERAL generate_series(d.d + h.opens, d.d + h.closes - make_interval(mins => o.appointment_minutes),
					make_interval(mins => o.appointment_minutes)) l(l)
			CROSS JOIN LATERAL (SELECT l.l AT TIME ZONE o.timezone AS t) s
			WHERE s.t >= now() + make_interval(mins => o.booking_notice_minutes)
			ORDER BY s.t),
		make_interval(mins => o.appointment_minutes), o.org_id)
	FROM orgs o
	WHERE o.org_id = clinic_free_starts.org_id
	$$;
COMMENT ON FUNCTION clinic_free_starts(uuid, date) IS
	'the free appointment starts of the organisation''s own calendar within its opening hours (clinic_hours), of one day or of its booking horizon';

REVOKE EXECUTE ON FUNCTION clinic_free_starts(uuid, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic_free_starts(uuid, date) TO authenticated, service_role;
