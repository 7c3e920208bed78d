-- Release 0.7.0 (issue 20), personal data at rest: an Instantly reply's text
-- is stored redacted, its payload without the reply's texts, and the
-- redaction of stored texts (call transcripts and summaries, reply texts)
-- also takes out the contact's own known details: the name, e-mail
-- address, phone number and ZIP code stored on the lead
-- (redact/contact_redaction.c).  docs/redaction.md has the rules and the
-- measures.  Every statement is a delta on 0.6.0; the part is also the
-- upgrade, so it redacts the rows stored before it.

-- ---------------------------------------------------------------- functions

CREATE FUNCTION redact_personal(t text, first_name text DEFAULT NULL, last_name text DEFAULT NULL,
	email text DEFAULT NULL, phone e164 DEFAULT NULL, zip text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_personal'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION redact_personal(text, text, text, text, e164, text) IS
	'redact_pii, then the given contact''s name ([NAME]), e-mail address ([EMAIL]), phone number ([PHONE]) and ZIP code ([ZIP]) in any form the pattern rules miss';

-- The same with the details of a stored lead (RLS applies: the caller's
-- organisation's leads only); a NULL or unknown lead gives redact_pii.
CREATE FUNCTION redact_for_contact(t text, org_id uuid, lead_id uuid) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_for_contact'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION redact_for_contact(text, uuid, uuid) IS
	'redact_pii, then the name, e-mail address, phone number and ZIP code of the organisation''s lead';
REVOKE EXECUTE ON FUNCTION redact_for_contact(text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redact_for_contact(text, uuid, uuid) TO authenticated, service_role;

-- The Instantly event's row trigger (row_triggers.c): reply_text through
-- redact_pii and the details of the event's lead (lead_id, else the lead
-- of lead_email) when it is written and when the event gets its lead; the
-- payload without reply_text, reply_html and reply_text_snippet.
CREATE FUNCTION redact_instantly_event() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_instantly_event'
	LANGUAGE C;

-- ---------------------------------------------------------------- rows stored before

-- Reply texts as 0.6.0 stored them (unredacted) and payloads that kept
-- reply_text_snippet.  Before the trigger, so that each row is redacted once.
UPDATE instantly_events
SET reply_text = redact_for_contact(reply_text, org_id, lead_id),
	reply_subject = redact_for_contact(reply_subject, org_id, lead_id),
	payload = payload - '{reply_text,reply_html,reply_text_snippet}'::text[]
WHERE reply_text IS NOT NULL OR reply_subject IS NOT NULL
   OR payload ?| '{reply_text,reply_html,reply_text_snippet}'::text[];

-- A processed Instantly delivery keeps no reply text in the inbox either
-- (webhook_receive.c strips it when the event is processed; a failed one
-- keeps its payload as received until it is processed, for replay_event).
UPDATE webhook_inbox
SET payload = payload - '{reply_text,reply_html,reply_text_snippet}'::text[]
WHERE source = 'instantly' AND state <> 'failed'
  AND payload ?| '{reply_text,reply_html,reply_text_snippet}'::text[];

-- Transcripts and summaries of calls with a contact lose the contact's
-- details (the call log's trigger redacts the new texts again: a no-op on
-- redacted text).
UPDATE vapi_call_logs l
SET transcript = r.transcript, summary = r.summary
FROM (SELECT c.org_id, c.id, redact_for_contact(c.transcript, c.org_id, c.lead_id) AS transcript,
			 redact_for_contact(c.summary, c.org_id, c.lead_id) AS summary
	  FROM vapi_call_logs c
	  WHERE c.lead_id IS NOT NULL AND (c.transcript IS NOT NULL OR c.summary IS NOT NULL)) r
WHERE l.org_id = r.org_id AND l.id = r.id
  AND (l.transcript IS DISTINCT FROM r.transcript OR l.summary IS DISTINCT FROM r.summary);

-- BEFORE triggers fire in name order: zz_ runs after any other BEFORE trigger.
CREATE TRIGGER zz_instantly_events_redact BEFORE INSERT OR UPDATE ON instantly_events
	FOR EACH ROW EXECUTE FUNCTION redact_instantly_event();

COMMENT ON COLUMN instantly_events.reply_text IS
	'the reply''s text (its snippet when it came without one), redacted: redact_pii and the lead''s own details';
COMMENT ON COLUMN instantly_events.payload IS
	'the event as received, without reply_text (its own column, redacted), reply_html and reply_text_snippet';
COMMENT ON COLUMN vapi_call_logs.transcript IS
	'the call''s transcript, redacted on write: medical history, redact_pii and the contact''s own details';
