-- vapi_pool 0.7.1 -> 0.7.2, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Replies that ask for a time, and replies nobody can read (release 0.7.2,
-- issue 23).
--
-- A reply that asks to be called "after 5", "tomorrow morning" or "el lunes
-- a las 10" is called then, in the lead's zone, and not before the calling
-- hours allow (replies/reply_time.c; docs/replies.md has the conventions):
-- handle_instantly_event queues the call at that time and says so in
-- decision_detail.  reply_call_time() is the same reading, for operators
-- and tests.
--
-- classify_reply answers 'unclear' for a reply a careful reader could not
-- read as wanting a call or not ("ok", "maybe", "?", a bare "Sí" to an
-- either-or offer): nobody is called, and the event is recorded.

ALTER TABLE instantly_events DROP CONSTRAINT instantly_events_intent_known;
ALTER TABLE instantly_events ADD CONSTRAINT instantly_events_intent_known CHECK (intent IN ('call_requested',
	'interested', 'not_interested', 'unsubscribe', 'out_of_office', 'wrong_person', 'question', 'unclear'));

-- When reply_text, received at received_at, asks to be called, read in zone
-- (the lead's: leads.timezone, or lead_timezones()' first); NULL when it
-- names no time or the time it names has begun.  STABLE: zone rules change
-- with the server's tzdata.  Runs no SQL.
CREATE FUNCTION reply_call_time(reply_text text, received_at timestamptz, zone text) RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'vapi_pool_reply_call_time'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION reply_call_time(text, timestamptz, text) IS
	'the earliest time a reply asks to be called at ("after 5", "tomorrow morning"), read in the zone; NULL for no time or one that has begun';
