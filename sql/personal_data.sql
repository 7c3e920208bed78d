-- Personal data at rest (release 0.7.0): an Instantly reply's text is stored
-- redacted (redact_pii and its lead's own details) while its classification
-- and callback number keep their own columns; stored payloads keep no
-- reply text; transcripts lose the contact's name, e-mail, phone and ZIP
-- code; ordinary words that are also a contact's first name survive.  Recall
-- on the corpus is measured by t/040_redact_corpus.pl.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- redact_personal

-- The pattern rules first (redact_pii), then the contact's details in the
-- forms the patterns cannot know.
SELECT redact_personal(E'User: Pat Quinn here, that''s pat dot quinn at harborline, or patquinn. Cell 415 5550 123, zip 94110.',
	'Pat', 'Quinn', 'pat.quinn@harborline.com', '+14155550123', '94110');
-- A first name that is an ordinary word is a name only where it must be one.
SELECT redact_personal(t, 'Will', 'Bishop') FROM (VALUES
	('AI: Hi Will, this is Avery from Harborline.'),
	('User: Will here. Will you call me back? I will be home, it''s my will and testament.'),
	(E'Thanks,\nWill'),
	('User: Mr. Bishop is my father; Will Bishop is me.'),
	('Summary: Will asked for a callback. Will they call back? He will wait.'),
	('User: WILL YOU CALL?')) v (t);
SELECT redact_personal(t, 'May', 'Grace') FROM (VALUES
	('User: May I call you back in May, or May 5th? Thanks May.'),
	('AI: Hello May, your grace period ends on the 3rd; you may say grace.'),
	('User: This is May Grace, my grace period is over.')) v (t);
SELECT redact_personal(t, 'Bill', 'Long') FROM (VALUES
	('User: The bill was long, Bill said it takes a long time.'),
	('User: Long story. Ask for Bill Long at the desk, or Mr. Long.'),
	('User: We moved to Long Road; Bill''s mother still lives on Bill Street.')) v (t);
-- Words of the name inside other words, and next to non-ASCII letters, stay.
SELECT redact_personal(t, 'Renée', 'Al') FROM (VALUES
	('User: Renée and Renéeville, also Al, Alabama, al dente.')) v (t);
-- Nothing known: redact_pii alone; NULL text gives NULL.
SELECT redact_personal('Call 415-555-0123, Pat.') AS pii_only, redact_personal(NULL, 'Pat') IS NULL AS null_text;
-- A price or a longer number that contains the ZIP code's digits stays.
SELECT redact_personal('User: it was $94110, or 941100, or 94,110 dollars; zip 94110-1234.', zip => '94110');
-- A role address: its local part alone is an ordinary word and stays
-- ("more info", "contact me"); the address itself, written or spoken, goes.
-- A local part that cannot be a word (a separator, a digit) goes alone too.
SELECT redact_personal(t, 'Dana', 'Cole', e) FROM (VALUES
	('User: I need more info about whitening.', 'info@brightsmile.example.com'),
	('User: Please contact me tomorrow.', 'contact@brightsmile.example.com'),
	('User: Sales called, the office is closed. Support was no help.', 'sales@brightsmile.example.com'),
	('User: write to info at brightsmile dot example dot com, or info@brightsmile.example.com.', 'info@brightsmile.example.com'),
	('User: my handle is dana77, also dana.cole elsewhere.', 'dana77@example.com'),
	('User: it''s danacole on most sites.', 'dana.cole@example.com')) v (t, e);

-- ---------------------------------------------------------------- fixtures

INSERT INTO orgs (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages');
UPDATE orgs SET require_consent = false;
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York', '+14155550101', true);
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d',
	 'Q4 - Home equity', 'a1000000-0000-4000-8000-000000000001');
INSERT INTO leads (org_id, id, first_name, last_name, email, primary_phone_e164, zip) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000001', 'Grace', 'Whitfield',
	 'grace.whitfield@example.com', '+14155550123', '94110');
SET vapi_pool.calling_window = '00:00-24:00';

CREATE FUNCTION pg_temp.reply(email_id text, lead_email text, reply_text text, extra jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object('timestamp', '2026-11-21T15:49:49.188Z', 'event_type', 'reply_received',
	'workspace', '51c0231c-9645-46c3-992a-ec88b782136d', 'campaign_id', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	'lead_email', lead_email, 'email', lead_email, 'email_id', email_id,
	'reply_subject', 'Re: Your home', 'reply_text', reply_text, 'reply_text_snippet', left(reply_text, 40),
	'reply_html', '<div>' || reply_text || '</div>') || extra
$$;

-- ---------------------------------------------------------------- Instantly replies

-- A known lead's reply with a phone, an e-mail and the lead's name: stored
-- redacted, while the intent, the number read and the number called come
-- from the text as received.
SELECT intent, call_number FROM handle_instantly_event(pg_temp.reply('r-1', 'grace.whitfield@example.com',
	E'Yes please call me at 415-555-0177 tomorrow, or write to gracew@example.org.\nGrace period on my loan ends soon.\nThanks, Grace Whitfield\n\nOn Thu, Dana Lee wrote:\n> Hi Grace, is 94110 still your zip, and 4155 550 177 your cell?'));
SELECT reply_text, intent, phone, call_number, payload ?| '{reply_text,reply_html,reply_text_snippet}' AS payload_has_text,
	   payload ->> 'lead_email' AS lead_email
FROM instantly_events WHERE email_id = 'r-1';
-- A new lead's reply: its details come from the payload, through the lead
-- made from it.
SELECT intent, call_number FROM handle_instantly_event(pg_temp.reply('r-2', 'sam.okafor@example.com',
	'Sam Okafor here. Not interested, take sam.okafor@example.com off your list. Sam',
	'{"firstName": "Sam", "lastName": "Okafor", "phone": "(212) 555-0142"}'));
SELECT reply_text, intent, phone, call_number FROM instantly_events WHERE email_id = 'r-2';
-- A reply with only a snippet: the snippet is the stored text, redacted.
SELECT intent FROM handle_instantly_event(pg_temp.reply('r-3', 'grace.whitfield@example.com', NULL)
	- 'reply_text' - 'reply_html' || '{"reply_text_snippet": "Call Grace on 415-555-0123 please"}');
SELECT reply_text, intent, phone, payload ? 'reply_text_snippet' AS kept_snippet FROM instantly_events WHERE email_id = 'r-3';
-- Any write of the table goes through the trigger, the subject too.
INSERT INTO instantly_events (org_id, event_type, dedup_key, campaign_id, workspace_id, lead_email, decision,
	reply_text, reply_subject, payload)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'auto_reply_received', 'k-4', '1e24d68f-3645-42ac-a253-8b64ee61feee',
	'51c0231c-9645-46c3-992a-ec88b782136d', 'grace.whitfield@example.com', 'stored',
	'Out of office. Grace Whitfield, 415-555-0123.', 'Automatic reply: Grace Whitfield (grace.whitfield@example.com)',
	'{"reply_text": "x", "reply_html": "x", "step": 1}');
SELECT reply_text, reply_subject, payload FROM instantly_events WHERE dedup_key = 'k-4';

-- ---------------------------------------------------------------- the inbox

-- A failed delivery keeps its payload as received (replay_event needs it);
-- once processed, no reply text is left.
\set VERBOSITY terse
SELECT state FROM receive_webhook('instantly', pg_temp.reply('r-5', 'grace.whitfield@example.com',
	'Please call me, Grace', '{"campaign_id": "e0000000-0000-4000-8000-00000000000e"}'));
\set VERBOSITY default
SELECT id AS failed_event FROM webhook_inbox WHERE dedupe_key = 'reply_received:r-5' \gset
SELECT state, payload ?& '{reply_text,reply_html,reply_text_snippet}' AS kept_as_received FROM webhook_inbox WHERE id = :failed_event;
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'e0000000-0000-4000-8000-00000000000e', '51c0231c-9645-46c3-992a-ec88b782136d', 'Late');
SELECT state FROM replay_event(:failed_event);
SELECT state, payload ?| '{reply_text,reply_html,reply_text_snippet}' AS has_text FROM webhook_inbox WHERE id = :failed_event;
SELECT reply_text FROM instantly_events WHERE email_id = 'r-5';
-- A delivery processed at once keeps no reply text either.
SELECT state FROM receive_webhook('instantly', pg_temp.reply('r-6', 'grace.whitfield@example.com', 'Thanks Grace here'));
SELECT payload ?| '{reply_text,reply_html,reply_text_snippet}' AS has_text FROM webhook_inbox WHERE dedupe_key = 'reply_received:r-6';

-- ---------------------------------------------------------------- transcripts

INSERT INTO leads (org_id, id, first_name, last_name, email, primary_phone_e164, zip) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000002', 'Will', 'Bishop',
	 'wbishop@example.net', '+14155550188', '60614');
-- The transcript names the lead: redacted with the lead's details; the
-- ordinary word "will" and "Will" asking a question stay.
INSERT INTO vapi_call_logs (org_id, lead_id, vapi_call_id, direction, transcript, summary) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000002', 'call-1', 'outbound_to_lead',
	 E'AI: Hi, is this Will Bishop?\nUser: Will here. Will you send it to w bishop at example dot net? I will be home.\nAI: Thanks, Will. Your zip is 60614 and your cell 415 555 01 88?',
	 'Will Bishop asked for an e-mail; he will be home.');
SELECT transcript, summary FROM vapi_call_logs WHERE vapi_call_id = 'call-1';
-- A log linked to its contact after its transcript was written: the
-- contact's details go when the link is made.
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, transcript) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'call-2', 'inbound_unknown', E'User: Hi, Grace Whitfield calling.\nAI: Hello Grace.');
SELECT transcript FROM vapi_call_logs WHERE vapi_call_id = 'call-2';
UPDATE vapi_call_logs SET lead_id = 'c1000000-0000-4000-8000-000000000001' WHERE vapi_call_id = 'call-2';
SELECT transcript FROM vapi_call_logs WHERE vapi_call_id = 'call-2';
-- redact_for_contact: the same with a stored lead; without one, redact_pii.
SELECT redact_for_contact('Grace Whitfield, 415 5550 123', 'aaaaaaaa-0000-4000-8000-000000000000',
	'c1000000-0000-4000-8000-000000000001') AS with_lead,
	redact_for_contact('Grace Whitfield, 415 5550 123', 'aaaaaaaa-0000-4000-8000-000000000000', NULL) AS without;

-- Transcripts are read in their organisation's region on the day of the
-- call (0.7.3): a UK clinic's 020 number without '+' is a phone, a US
-- organisation's is not; a birth date after the call's day is not one.
INSERT INTO orgs (org_id, name, default_region) VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'Harley Clinic', 'GB');
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, started_at, transcript) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', 'call-gb', 'inbound_unknown', '2026-03-01 10:00+00',
	 E'AI: Your number?\nUser: call 02079460958.\nAI: Date of birth?\nUser: 3/14/2030, no sorry, I''m getting my son''s due date.'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'call-us', 'inbound_unknown', '2026-03-01 10:00+00',
	 E'AI: Your number?\nUser: call 02079460958.\nAI: Date of birth?\nUser: 3/14/1985.');
SELECT vapi_call_id, transcript FROM vapi_call_logs WHERE vapi_call_id IN ('call-gb', 'call-us') ORDER BY 1;
-- A region the phone-number metadata does not know (orgs checks only its
-- shape) reads as the US: the log is stored, never refused.
INSERT INTO orgs (org_id, name, default_region) VALUES ('cccccccc-0000-4000-8000-000000000000', 'Nowhere Clinic', 'ZZ');
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, transcript) VALUES
	('cccccccc-0000-4000-8000-000000000000', 'call-zz', 'inbound_unknown', E'User: call me at 4155550123, born 3/14/1985.');
SELECT transcript FROM vapi_call_logs WHERE vapi_call_id = 'call-zz';
SELECT redact_for_contact('call 02079460958', 'bbbbbbbb-0000-4000-8000-000000000000', NULL) AS gb_org,
	redact_for_contact('call 02079460958', 'aaaaaaaa-0000-4000-8000-000000000000', NULL) AS us_org,
	redact_personal('call 02079460958', NULL, NULL, NULL, '+442079460000', NULL) AS gb_contact;

DROP FUNCTION pg_temp.reply(text, text, text, jsonb);
DROP EXTENSION vapi_pool CASCADE;
