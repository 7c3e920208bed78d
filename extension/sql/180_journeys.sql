-- Release 0.6.0 (issue 19): whole calls that finish.  This part holds the
-- shared settings of the journeys; the parts after it (181_ onwards) hold
-- one concern each.  Every statement here is a delta on 0.5.1: the install
-- script and the 0.5.1 -> 0.6.0 update script are both assembled from it.

-- ---------------------------------------------------------------- booking settings of an organisation

-- What 0.5.1 had written into the code (30-minute appointments, a 7-day
-- horizon, a 15-minute hold while Cal.com books, attendees in English) is
-- the organisation's to set.  A broker's Cal.com event type decides its own
-- appointment length (the length of the slots Cal.com offers); these are the
-- organisation's own calendar's (a clinic's) and the fallback.
ALTER TABLE orgs
	ADD COLUMN appointment_minutes integer NOT NULL DEFAULT 30
		CONSTRAINT orgs_appointment_minutes_range CHECK (appointment_minutes BETWEEN 5 AND 480),
	ADD COLUMN booking_horizon_days integer NOT NULL DEFAULT 7
		CONSTRAINT orgs_booking_horizon_days_range CHECK (booking_horizon_days BETWEEN 1 AND 90),
	ADD COLUMN booking_hold_minutes integer NOT NULL DEFAULT 15
		CONSTRAINT orgs_booking_hold_minutes_range CHECK (booking_hold_minutes BETWEEN 1 AND 120),
	ADD COLUMN language text NOT NULL DEFAULT 'en'
		CONSTRAINT orgs_language_tag CHECK (language ~ '^[a-z]{2}(-[A-Z]{2})?$');
GRANT UPDATE (appointment_minutes, booking_horizon_days, booking_hold_minutes, language) ON orgs TO authenticated;
COMMENT ON COLUMN orgs.appointment_minutes IS
	'length of an appointment on the organisation''s own calendar, and when Cal.com does not say (5-480 minutes)';
COMMENT ON COLUMN orgs.booking_horizon_days IS 'how many days ahead the assistants look for free times (1-90)';
COMMENT ON COLUMN orgs.booking_hold_minutes IS
	'how long a slot stays held for a caller while the booking is made or confirmed (1-120 minutes)';
COMMENT ON COLUMN orgs.language IS 'the language of the organisation''s callers, as Cal.com attendees get it (en, es, en-GB)';
