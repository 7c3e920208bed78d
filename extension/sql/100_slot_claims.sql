-- Slot claiming (release 0.4.0): holds and bookings on a broker's or the
-- organisation's calendar that can never overlap (seed 004, section 3).
-- The functions are C (slot_claim.c, slot_claim_hold.c, slot_claim_free.c); this part
-- adds the state they need and declares them.
--
-- The guarantee is appointments_no_overlap (030_data_model.sql), not these
-- functions: a direct INSERT cannot overlap either.  claim_slot_atomic only
-- makes the constraint's verdict usable: expired holds are cancelled first,
-- and a conflict becomes SQLSTATE 23P01 "slot already booked", naming the
-- appointment in the calendar's time zone.
--
-- Every function runs with the caller's rights and sets its search_path.
-- service_role (the shim, the dispatcher) calls them for any organisation;
-- signed-in members call them too, and row level security confines them to
-- their own organisation: another organisation's contacts, brokers, holds and
-- calendar are "does not exist" to them.

-- ---------------------------------------------------------------- state

-- The organisation's own calendar (broker_id NULL: a clinic) needs a zone.
ALTER TABLE orgs ADD COLUMN timezone iana_timezone NOT NULL DEFAULT 'America/Los_Angeles';
GRANT UPDATE (timezone) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.timezone IS
	'the time zone of the organisation''s own calendar (appointments without a broker), an IANA name';

-- confirm_slot and release_slot are given a hold id, not its organisation.
CREATE INDEX appointments_hold_id_idx ON appointments (hold_id);

COMMENT ON COLUMN appointments.hold_expires_at IS
	'a held slot is free again after this; claim_slot_atomic cancels expired holds it overlaps (cancel_reason expired)';
COMMENT ON COLUMN appointments.cancel_reason IS
	'why it was cancelled: release_slot''s reason, or expired for a hold cancelled by a later claim';

-- ---------------------------------------------------------------- functions

-- Places a hold on [slot_time, slot_time + duration) of the broker's calendar
-- (the organisation's when broker_id is NULL) for the contact; returns the
-- hold id.  The contact's own hold on exactly this slot is returned again.
CREATE FUNCTION claim_slot_atomic(slot_time timestamptz, contact_id uuid, org_id uuid,
		broker_id uuid DEFAULT NULL, duration interval DEFAULT '30 minutes',
		hold interval DEFAULT '5 minutes')
	RETURNS uuid
	AS 'MODULE_PATHNAME', 'vapi_pool_claim_slot_atomic'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION claim_slot_atomic(timestamptz, uuid, uuid, uuid, interval, interval) IS
	'hold a slot of a calendar for a contact and return the hold id; 23P01 "slot already booked" when it overlaps a booking or a live hold';

-- Turns a live hold into a booking.
CREATE FUNCTION confirm_slot(hold_id uuid, cal_booking_uid text) RETURNS appointments
	AS 'MODULE_PATHNAME', 'vapi_pool_confirm_slot'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION confirm_slot(uuid, text) IS
	'book a live hold (cal_booking_uid: the Cal.com booking, or NULL); an expired or released hold is refused (55000)';

-- Cancels a hold or a booking; idempotent.
CREATE FUNCTION release_slot(hold_id uuid, reason text DEFAULT 'released') RETURNS appointments
	AS 'MODULE_PATHNAME', 'vapi_pool_release_slot'
	LANGUAGE C VOLATILE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION release_slot(uuid, text) IS
	'cancel a hold or booking with a reason; releasing it again returns it unchanged';

-- The candidate starts (for example Cal.com's free slots) that no booking or
-- live hold of the calendar blocks, in the order given.
CREATE FUNCTION free_slots(broker_id uuid, candidate_starts timestamptz[],
		duration interval DEFAULT '30 minutes', org_id uuid DEFAULT NULL)
	RETURNS timestamptz[]
	AS 'MODULE_PATHNAME', 'vapi_pool_free_slots'
	LANGUAGE C STABLE
	SET search_path = vapi_pool, pg_catalog, pg_temp;
COMMENT ON FUNCTION free_slots(uuid, timestamptz[], interval, uuid) IS
	'the candidate starts not blocked by a booking or live hold of the calendar (broker_id NULL: the organisation''s, org_id or the caller''s), nor in the past';

-- ---------------------------------------------------------------- privileges

REVOKE EXECUTE ON FUNCTION claim_slot_atomic(timestamptz, uuid, uuid, uuid, interval, interval),
	confirm_slot(uuid, text), release_slot(uuid, text), free_slots(uuid, timestamptz[], interval, uuid)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_slot_atomic(timestamptz, uuid, uuid, uuid, interval, interval),
	confirm_slot(uuid, text), release_slot(uuid, text), free_slots(uuid, timestamptz[], interval, uuid)
	TO authenticated, service_role;
