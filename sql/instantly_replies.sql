-- Instantly replies: the classifier's rules (classify_reply) and every branch
-- of the WF1 flow (handle_instantly_event).  Accuracy on the labelled corpus
-- is measured by t/060_reply_corpus.pl; speed by bench/reply_bench.sh.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;
SET TimeZone = 'UTC';
\set VERBOSITY default

-- ---------------------------------------------------------------- classify_reply

CREATE FUNCTION pg_temp.show(t text, region text DEFAULT 'US')
RETURNS TABLE (intent text, phone e164, confidence real, evidence text)
LANGUAGE sql AS $$ SELECT (vapi_pool.classify_reply(t, region)).* $$;

-- The lead's own words only: quoted threads, forwarded messages, device tags,
-- disclaimers and ">" lines are not read.
SELECT * FROM pg_temp.show(E'Yes please give me a call tomorrow afternoon at 415-555-0177\n\nOn Thu, Nov 20, 2026 at 9:02 AM Dana Lee <outreach@brokerage.example.com> wrote:\n> Hi Pat, would you like to talk about your options?\n> Call me at (310) 555-0147');
SELECT * FROM pg_temp.show(E'Sounds good, call me.\n\nOn Thu, Nov 20, 2026 at 9:02 AM Dana Lee <\noutreach@brokerage.example.com> wrote:\n\nCall me at (310) 555-0147');
SELECT * FROM pg_temp.show(E'Give me a call.\n\n-----Original Message-----\nFrom: Dana Lee\nSent: Thursday\n\nMy direct line is 310-555-0147.');
SELECT * FROM pg_temp.show(E'Sure, ring me.\n\nFrom: Dana Lee <outreach@brokerage.example.com>\nSent: Friday, November 21, 2026\nTo: pat@example.com\nSubject: RE: rates\n\nReach me at 310-555-0147.');
SELECT * FROM pg_temp.show(E'Please call me!\n\nSent from my iPhone\n\n> Reach me directly at 310-555-0147');
SELECT * FROM pg_temp.show(E'> Would you like a quick call?\nYes, 310 555 0124');
SELECT * FROM pg_temp.show(E'Call me.\n\n---------- Forwarded message ---------\nFrom: Jane\nPlease unsubscribe me, call 212-555-0100');
SELECT * FROM pg_temp.show(E'Please call me.\nCONFIDENTIALITY NOTICE: if you are not the intended recipient, delete this email and do not contact the sender at 212-555-0100.');
-- Signatures: the lead's own (a labelled mobile) counts when the body has no
-- number; a loan officer's (NMLS) never; a fax never.
SELECT * FROM pg_temp.show(E'Please call me.\n\nThanks,\nJenny Alvarez\nMobile: 512-555-0186');
SELECT * FROM pg_temp.show(E'Yes, please call.\n\nDana Lee\nLoan Officer, NMLS 123456\n(310) 555-0147\noutreach@brokerage.example.com');
SELECT * FROM pg_temp.show(E'Yes call me. 972-555-0131\n\nMike Torres\nTorres Plumbing LLC\nOffice: 972-555-0100\nFax: 972-555-0109');
-- Spanish (0.7.1): accents or none, the number spelled out, the opening marks
SELECT * FROM pg_temp.show(E'¿Me pueden llamar mañana? Mi cel es cuatro uno cinco, cinco cinco cinco, cero uno cuatro dos');
SELECT * FROM pg_temp.show(E'Por favor no llamen al numero de la casa (626) 555-0104. Mejor al cel, 626 555 0178.');
SELECT * FROM pg_temp.show(E'No me interesa, gracias.');
SELECT * FROM pg_temp.show(E'Please send me the rate sheet.\n\nBest,\nAnn Lowe\nCell: 414-555-0146');

-- Phone numbers in the forms people write; extensions dropped; national
-- forms of the region; spelled digits.
SELECT t, region, (vapi_pool.classify_reply(t, region)).phone FROM (VALUES
	('Call me at (212) 555-0134 after 5pm please.', 'US'),
	('I''d rather talk on the phone. 323.555.0188', 'US'),
	('Give me a ring on +1 714 555 0163', 'US'),
	('ok call me 4085550119', 'US'),
	('call me 1-206-555-0187', 'US'),
	('Yes. Phone: 818-555-0190 ext 2', 'US'),
	('Pls call. 303 555 0164 x 3', 'US'),
	('I have questions, would rather do it by phone. 858/555-0190', 'US'),
	('Yes. Call +1 (267) 555-0159.', 'US'),
	('Ring me at six two six, five five five, zero one five zero.', 'US'),
	('call me at 9 1 9 5 5 5 0 1 7 6', 'US'),
	('Happy to talk. Ring me on 07700 900123 (UK mobile).', 'GB'),
	('Give us a bell on +44 (0)7700 900789, cheers', 'GB'),
	('Please call me on (02) 5550 1234 during business hours.', 'AU'),
	('Ja, bitte rufen Sie mich an: 0151 23456789', 'DE'),
	('Yes, call me at my office in Berlin, 030/12345678.', 'DE'),
	('Sure, call me at 604-555-0172, I am in Vancouver.', 'CA'),
	('I''m in London, ring me on +44 7700 900111', 'US')) AS v(t, region);

-- Numbers that are not phone numbers: dates, ZIP+4, tracking, order, loan and
-- amount numbers, a local number without its area code, digits touching
-- letters, a national number written without its trunk 0.
SELECT t, region, (vapi_pool.classify_reply(t, region)).* FROM (VALUES
	('Call me when you can. My current loan number is 7705551234.', 'US'),
	('Call me. Loan # 7703512846 with my current lender.', 'US'),
	('Please call me, order #4155550123 never arrived.', 'US'),
	('Call me about the $212,555 I still owe.', 'US'),
	('Please call me back at 555-0134.', 'US'),
	('Call me. Tracking 1Z999AA10123456784 says it arrived.', 'US'),
	('Call me. My zip is 90210-1234.', 'US'),
	('Please call me, the letter is dated 11/20/2026.', 'US'),
	('Please call me, the letter is dated 20.11.2026.', 'DE'),
	('Call me, tracking 9400 1000 0000 0000 0000 00.', 'US'),
	('Call me on 123456789.', 'DE')) AS v(t, region);

-- Several numbers: the one tied to calling, cell, better, new wins; old,
-- disconnected, an assistant's or a fax lose.
SELECT (vapi_pool.classify_reply(t)).phone FROM (VALUES
	('Yes - my home phone is 619-555-0114 but my cell 619-555-0113 is better for calls.'),
	('My old number 312-555-0102 is disconnected. The new one is 312-555-0166, call me there.'),
	('I''m interested, my husband''s number is better: 415 555 0166. Call him or me.'),
	('Our office number (main line) is 312-555-0100 but please call my cell 312-555-0177.'),
	('Don''t call my office line, it goes to a receptionist. Call my cell instead: 212 555 0147.'),
	('Call me at 415-555-0199. Fax 415-555-0198.')) AS v(t);

-- Negation, politeness and conditions decide whether a call is asked for.
SELECT t, (vapi_pool.classify_reply(t)).* FROM (VALUES
	('Please don''t call.'),
	('Please don''t call me, email me the details instead.'),
	('No thanks.'),
	('Not at this time. Maybe next year.'),
	('Not interested, thanks.'),
	('I''m not really interested.'),
	('No, call me next week.'),
	('Not right now, but you can call me in January.'),
	('No thanks. If I change my mind I''ll call you.'),
	('If you call me again I will report you.'),
	('If you could give me a call tomorrow that would be great.'),
	('Why did you call me yesterday?'),
	('I''ll give you a call tomorrow morning.'),
	('Text me at 415-555-0150, I don''t answer calls from numbers I don''t know.'),
	('I''m interested but I can''t talk on the phone, I''m hard of hearing. Email only please.'),
	('Yes, email me the details. My cell is 415-555-0150 if you need it.'),
	('I''m interested. Don''t call before 10am though. 310-555-0155'),
	('Please remove me from your mailing list.'),
	('STOP'),
	('Stop. Calling. Me.'),
	('Do not contact me again.'),
	('I''m not looking to borrow against my house. Do not contact me again about this.')) AS v(t);

-- Auto-replies by their phrasing, not by the word "office": numbers in them
-- are never a callback number.
SELECT t, (vapi_pool.classify_reply(t)).* FROM (VALUES
	('Automatic reply: I''m out until Nov 28. Call me on my cell at 917-555-0123 if urgent.'),
	('I am out of the office until Monday with limited access to email. For urgent matters call 555-0100.'),
	('I''m on maternity leave until February. Your message will not be forwarded.'),
	('I''m in the office Tuesday, call me then at 212-555-0188.'),
	('I''m on vacation this week but call me next Monday.')) AS v(t);

-- Wrong person, questions, interest; a reply with nothing recognisable is a
-- question with a low confidence.
SELECT t, (vapi_pool.classify_reply(t)).* FROM (VALUES
	('You have the wrong person. I don''t own a home in Inglewood.'),
	('This isn''t Pat, this is her daughter. You can email me.'),
	('Pat passed away last year. Please update your records.'),
	('How did you get my email address?'),
	('What are the fees on this kind of loan?'),
	('Is this the same company that called me from 213-555-0145?'),
	('Yes I''m interested! Send me the brochure.'),
	('Can you send me a calendar link?'),
	('Thanks.'),
	(''),
	('Gr' || chr(252) || '' || chr(223) || 'e')) AS v(t);

-- Typos and text-speak.
SELECT t, (vapi_pool.classify_reply(t)).intent FROM (VALUES
	('Not intrested'), ('unsubcribe'), ('can u call me tmrw?'), ('pls call me'), ('Intrested. Call me at 215 555 0170')) AS v(t);

-- Region: case-insensitive; NULL gives NULL (STRICT); unknown is an error.
SELECT (classify_reply('call me 07700 900123', 'gb')).phone;
SELECT classify_reply('call me', NULL) IS NULL AS null_region;
SELECT classify_reply('call me', 'XX');
-- Long replies: only the first 64 kB are read, and nothing breaks.
SELECT (classify_reply('Please call me at 415-555-0123. ' || repeat(E'> quoted line\n', 20000))).*;
SELECT (classify_reply(repeat('x', 100000) || ' call me at 415-555-0123')).intent AS beyond_the_limit;
-- The same text always gives the same answer, with the evidence from the text.
SELECT count(DISTINCT classify_reply('Sure, call me on my cell 917 555 0142 after 3pm')) AS distinct_results
FROM generate_series(1, 50);

-- ---------------------------------------------------------------- fixtures of the flow

INSERT INTO orgs (org_id, name) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Mortgages'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'Bay Lending');
UPDATE orgs SET voicemail_message = 'Hi, this is Barbara from Acme returning your email.'
WHERE org_id = 'aaaaaaaa-0000-4000-8000-000000000000';
INSERT INTO brokers (org_id, id, name, timezone, primary_phone_e164, number_pool_active) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', 'America/New_York', '+14155550101', true),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Zip Broker', 'America/Chicago', '+14155550102', true),
	('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000003', 'Small Pool', 'America/Denver', '+14155550103', true),
	('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Other Org', 'UTC', '+14155550201', true);
SELECT count(*) AS numbers FROM (
	SELECT add_pool_number('a1000000-0000-4000-8000-000000000001', ('+1310555018' || n)::e164, 'pn_1' || n)
	FROM generate_series(0, 9) n
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000002', '+13105550193', 'pn_3')
	UNION ALL SELECT add_pool_number('a1000000-0000-4000-8000-000000000003', '+13105550194', 'pn_4')) s;
INSERT INTO territories (org_id, zip, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '60614', 'a1000000-0000-4000-8000-000000000002');
-- The campaigns of the two example payloads, one without a default broker,
-- one of the small pool, and one of the other organisation.
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id, name, broker_id) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d', 'Q4 - Home equity', 'a1000000-0000-4000-8000-000000000001'),
	('aaaaaaaa-0000-4000-8000-000000000000', '2b4d6f8a-0c1e-4a3b-8d5f-7e9a1b3c5d7f', '7a0e2c4b-1d3f-4e5a-9b8c-0d1e2f3a4b5c', 'Tour - Refinance', 'a1000000-0000-4000-8000-000000000001'),
	('aaaaaaaa-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-00000000000c', '51c0231c-9645-46c3-992a-ec88b782136d', 'No broker', NULL),
	('aaaaaaaa-0000-4000-8000-000000000000', 'd0000000-0000-4000-8000-00000000000d', '51c0231c-9645-46c3-992a-ec88b782136d', 'Small pool', 'a1000000-0000-4000-8000-000000000003'),
	('bbbbbbbb-0000-4000-8000-000000000000', 'e0000000-0000-4000-8000-00000000000e', 'f0000000-0000-4000-8000-00000000000f', 'Bay', 'b1000000-0000-4000-8000-000000000001');

-- A reply event built from the Instantly example, with fields replaced.
CREATE FUNCTION pg_temp.reply(email_id text, lead_email text, reply_text text,
		ts text DEFAULT '2026-11-21T15:49:49.188Z', campaign text DEFAULT '1e24d68f-3645-42ac-a253-8b64ee61feee',
		extra jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object('timestamp', ts, 'event_type', 'reply_received',
	'workspace', '51c0231c-9645-46c3-992a-ec88b782136d', 'campaign_id', campaign,
	'campaign_name', 'Q4 - Home equity', 'email_account', 'outreach@brokerage.example.com',
	'lead_email', lead_email, 'email', lead_email, 'email_id', email_id,
	'reply_subject', 'Re: Your home in Inglewood', 'reply_text', reply_text,
	'reply_html', '<div>' || reply_text || '</div>') || extra
$$;

CREATE FUNCTION pg_temp.handle(payload jsonb)
RETURNS TABLE (decision text, intent text, confidence real, evidence text, call_number e164,
	lead_status text, queued boolean, duplicate boolean, detail text)
LANGUAGE sql AS $$
SELECT d.decision, d.intent, d.confidence, d.evidence, d.call_number, d.lead_status,
	   d.outbox_id IS NOT NULL, d.duplicate, d.detail
FROM vapi_pool.handle_instantly_event(payload) d
$$;

-- Calls may be placed at any hour, until the night test below.
SET vapi_pool.calling_window = '00:00-24:00';

-- ---------------------------------------------------------------- call requested, number in the reply

-- The Instantly example, exactly as documented.
SELECT d.decision, d.event_type, d.intent, d.confidence, d.evidence, d.call_number, d.lead_status,
	   d.duplicate, d.call_at = now() AS due_now, d.detail,
	   d.org_id = 'aaaaaaaa-0000-4000-8000-000000000000' AS org_a
FROM handle_instantly_event('{"timestamp": "2026-11-21T15:49:49.188Z", "event_type": "reply_received",
 "workspace": "51c0231c-9645-46c3-992a-ec88b782136d", "campaign_id": "1e24d68f-3645-42ac-a253-8b64ee61feee",
 "campaign_name": "Q4 - Home equity", "email_account": "outreach@brokerage.example.com",
 "unibox_url": "https://app.instantly.ai/app/unibox?thread_search=thread:0199e9d9",
 "lead_email": "pat.quinn@example.com", "email": "pat.quinn@example.com",
 "firstName": "Pat", "lastName": "Quinn", "phone": "(415) 555-0123", "step": 1, "variant": 1,
 "email_id": "0199e9d9-cc23-785a-a736-aaa9cabece0f",
 "reply_subject": "Re: Your home in Inglewood",
 "reply_text_snippet": "Yes please give me a call tomorrow afternoon at 415-555-0177",
 "reply_text": "Yes please give me a call tomorrow afternoon at 415-555-0177\n\nOn Thu, Nov 20, 2026 at 9:02 AM Dana Lee <outreach@brokerage.example.com> wrote:\n> Hi Pat, would you like to talk about your options?\n> Call me at (310) 555-0147",
 "reply_html": "<div>Yes please give me a call tomorrow afternoon at 415-555-0177</div>"}') d;
-- The lead was created from the payload, with the callback number of the
-- reply as its number, the campaign's broker and a pool number.
SELECT l.first_name, l.last_name, l.name, l.email, l.primary_phone_e164, l.status, b.name AS broker,
	   l.instantly_campaign_id, l.vapi_assignment_id IS NOT NULL AS holds_number
FROM leads l JOIN brokers b ON b.id = l.broker_id WHERE l.email = 'pat.quinn@example.com';
-- Exactly one create-call job, of the shape the dispatcher sends (as the
-- retries of call_outcome.c), keyed by the reply.
SELECT o.kind, o.state, o.idempotency_key, o.run_at = e.received_at AS due_when_received,
	   o.payload - 'lead_id' - 'assignment_id' AS payload,
	   o.payload ->> 'lead_id' = l.id::text AS lead_id_ok,
	   o.payload ->> 'assignment_id' = l.vapi_assignment_id::text AS assignment_ok
FROM outbox o JOIN leads l ON l.email = 'pat.quinn@example.com' JOIN instantly_events e ON e.outbox_id = o.id;
-- The event is recorded with the reply and the decision; the payload is kept
-- without its text and HTML.
SELECT event_type, email_id, lead_email, event_at, reply_subject, intent, phone, confidence, evidence,
	   decision, call_number, assignment_id IS NOT NULL AS assigned, outbox_id IS NOT NULL AS queued,
	   call_at = received_at AS due_when_received, payload ? 'reply_html' AS has_html, payload ? 'reply_text' AS has_text,
	   payload ->> 'firstName' AS first_name, lead_id = (SELECT id FROM leads WHERE email = 'pat.quinn@example.com') AS lead_ok
FROM instantly_events;
-- No call log yet: Vapi names the call when it accepts it (record_call_placed, by the dispatcher).
SELECT count(*) AS call_logs FROM vapi_call_logs;

-- The same delivery again changes nothing and says what was decided.
CREATE TABLE pg_temp.before AS
SELECT (SELECT count(*) FROM instantly_events) AS events, (SELECT count(*) FROM outbox) AS jobs,
	   (SELECT count(*) FROM vapi_number_assignments) AS assignments, (SELECT count(*) FROM leads) AS leads,
	   (SELECT string_agg(l::text, '|') FROM leads l) AS lead_rows;
SELECT * FROM pg_temp.handle(pg_temp.reply('0199e9d9-cc23-785a-a736-aaa9cabece0f', 'pat.quinn@example.com',
	'Yes please give me a call tomorrow afternoon at 415-555-0177'));
SELECT (SELECT count(*) FROM instantly_events) = b.events AS same_events, (SELECT count(*) FROM outbox) = b.jobs AS same_jobs,
	   (SELECT count(*) FROM vapi_number_assignments) = b.assignments AS same_assignments,
	   (SELECT string_agg(l::text, '|') FROM leads l) = b.lead_rows AS same_leads
FROM pg_temp.before b;

-- The repository's example (t/fixtures/instantly-reply.json): the lead's
-- stored number is replaced by the cell number of the reply, not the
-- sender's number in the quote.
SELECT decision, intent, call_number, lead_status, outbox_id IS NOT NULL AS queued
FROM handle_instantly_event('{"timestamp": "2026-11-22T15:10:00.000Z", "event_type": "reply_received",
 "workspace": "7a0e2c4b-1d3f-4e5a-9b8c-0d1e2f3a4b5c", "campaign_id": "2b4d6f8a-0c1e-4a3b-8d5f-7e9a1b3c5d7f",
 "campaign_name": "Tour - Refinance", "email_account": "hello@brokerage.example.com",
 "lead_email": "sam.rivera@example.com", "email": "sam.rivera@example.com",
 "firstName": "Sam", "lastName": "Rivera", "phone": "(212) 555-0188", "step": 1, "variant": 1,
 "email_id": "01a2b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b",
 "reply_subject": "Re: Rates this week",
 "reply_text_snippet": "Sure, call me on my cell 917 555 0142 after 3pm",
 "reply_text": "Sure, call me on my cell 917 555 0142 after 3pm\n\nOn Fri, Nov 21, 2026 at 10:00 AM Hello <hello@brokerage.example.com> wrote:\n> Want to talk rates? Reach us at (212) 555-0100",
 "reply_html": "<div>Sure, call me on my cell 917 555 0142 after 3pm</div>"}');
SELECT primary_phone_e164 FROM leads WHERE email = 'sam.rivera@example.com';
SELECT payload ->> 'customer_number' AS customer_number, payload ->> 'customer_name' AS customer_name
FROM outbox WHERE payload ->> 'reply_email_id' = '01a2b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b';

-- A second call request while the first call waits: no second call; the
-- waiting job calls the number read last.
SELECT * FROM pg_temp.handle(pg_temp.reply('sam-2', 'SAM.RIVERA@example.com', 'Actually call my wife''s cell instead, 917-555-0199.',
	'2026-11-22T16:00:00Z', '2b4d6f8a-0c1e-4a3b-8d5f-7e9a1b3c5d7f', '{"workspace": "7a0e2c4b-1d3f-4e5a-9b8c-0d1e2f3a4b5c"}'));
SELECT count(*) AS sam_jobs, max(payload ->> 'customer_number') AS customer_number
FROM outbox WHERE payload ->> 'lead_id' = (SELECT id::text FROM leads WHERE email = 'sam.rivera@example.com');

-- ---------------------------------------------------------------- call requested, the lead's own number

-- An existing lead (found whatever the case of the address), its stored
-- number used; the payload fills what is missing and overwrites nothing.
INSERT INTO leads (org_id, id, broker_id, first_name, email, primary_phone_e164)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001',
		'a1000000-0000-4000-8000-000000000001', 'Kim', 'kim@example.com', '+14155550124');
SELECT * FROM pg_temp.handle(pg_temp.reply('kim-1', 'KIM@Example.com', 'Sure, you can call me. Same number you have on file.',
	extra => '{"First_name": "Kimberly", "Last_name": "Ng", "Phone": "(415) 555-0999"}'));
SELECT first_name, last_name, primary_phone_e164, status FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000001';

-- ---------------------------------------------------------------- no number anywhere

SELECT * FROM pg_temp.handle(pg_temp.reply('nonum-1', 'no.number@example.com', 'Yes. I''d like a call.'));
SELECT status, primary_phone_e164 FROM leads WHERE email = 'no.number@example.com';
SELECT count(*) AS jobs FROM outbox WHERE payload ->> 'lead_id' = (SELECT id::text FROM leads WHERE email = 'no.number@example.com');
-- A payload phone that is not valid is not stored.
SELECT * FROM pg_temp.handle(pg_temp.reply('badphone-1', 'bad.phone@example.com', 'Please call me.',
	extra => '{"phone": "555-0100"}'));

-- ---------------------------------------------------------------- the pool cannot lend a number

-- A lead of the small pool's campaign takes its only number; the next is
-- refused by the pool, and the reply is recorded, not lost.
SELECT decision, lead_status FROM pg_temp.handle(pg_temp.reply('small-1', 'first.small@example.com', 'Call me at 303-555-0101.',
	campaign => 'd0000000-0000-4000-8000-00000000000d'));
SELECT * FROM pg_temp.handle(pg_temp.reply('small-2', 'second.small@example.com', 'Call me at 303-555-0102.',
	campaign => 'd0000000-0000-4000-8000-00000000000d'));
SELECT email_id, decision, decision_detail, call_number, outbox_id FROM instantly_events WHERE email_id = 'small-2';
-- No broker (a campaign without one, a ZIP no territory serves): refused too.
SELECT decision, intent, call_number, lead_status, outbox_id IS NOT NULL AS queued,
	   regexp_replace(detail, '[0-9a-f-]{36}', '<lead id>') AS detail
FROM handle_instantly_event(pg_temp.reply('nobroker-1', 'no.broker@example.com', 'Call me at 303-555-0103.',
	campaign => 'c0000000-0000-4000-8000-00000000000c', extra => '{"zip": "10001"}'));
-- The ZIP code's territory gives the broker (ZIP+4 cut to five digits).
SELECT decision, lead_status FROM pg_temp.handle(pg_temp.reply('zip-1', 'zip.lead@example.com', 'Call me at 303-555-0104.',
	campaign => 'c0000000-0000-4000-8000-00000000000c', extra => '{"Zip": "60614-1234"}'));
SELECT l.zip, b.name AS broker FROM leads l JOIN brokers b ON b.id = l.broker_id WHERE l.email = 'zip.lead@example.com';

-- ---------------------------------------------------------------- opting out, and back in

-- Pat unsubscribes: nothing calls Pat any more; the waiting call is cancelled.
SELECT * FROM pg_temp.handle(pg_temp.reply('pat-2', 'pat.quinn@example.com', 'Please remove me from your mailing list.',
	'2026-11-22T10:00:00Z'));
SELECT state, last_error FROM outbox WHERE idempotency_key = 'instantly-reply:0199e9d9-cc23-785a-a736-aaa9cabece0f';
-- and the number lent for that call is free again (no call was placed on it).
SELECT a.status, l.vapi_assignment_id IS NULL AS unlinked, p.status AS number_status
FROM vapi_number_assignments a JOIN leads l ON l.id = a.lead_id JOIN vapi_number_pool p ON p.id = a.pool_number_id
WHERE l.email = 'pat.quinn@example.com' ORDER BY a.booked_at;
-- A number alone, a call request with a contradiction, or an older request:
-- not an opt-in.
SELECT * FROM pg_temp.handle(pg_temp.reply('pat-3', 'pat.quinn@example.com', 'yes 415-555-0177', '2026-11-23T10:00:00Z'));
SELECT * FROM pg_temp.handle(pg_temp.reply('pat-4', 'pat.quinn@example.com', 'Not right now, but you can call me in January.', '2026-11-23T11:00:00Z'));
SELECT * FROM pg_temp.handle(pg_temp.reply('pat-5', 'pat.quinn@example.com', 'Please call me at 415-555-0177.', '2026-11-22T09:00:00Z'));
-- An explicit request sent after the opt-out is a new opt-in.
SELECT * FROM pg_temp.handle(pg_temp.reply('pat-6', 'pat.quinn@example.com', 'I changed my mind. Please call me at 415-555-0177.', '2026-11-24T10:00:00Z'));
SELECT count(*) FILTER (WHERE state = 'pending') AS pending_jobs, count(*) FILTER (WHERE state = 'suppressed') AS cancelled_jobs
FROM outbox WHERE payload ->> 'lead_id' = (SELECT id::text FROM leads WHERE email = 'pat.quinn@example.com');

-- Not interested and wrong person opt out too; do_not_call is never softened.
SELECT decision, lead_status FROM pg_temp.handle(pg_temp.reply('ni-1', 'ni@example.com', 'No thank you, we already refinanced last year.'));
SELECT decision, lead_status FROM pg_temp.handle(pg_temp.reply('wp-1', 'wp@example.com', 'You have the wrong person.'));
SELECT decision, lead_status FROM pg_temp.handle(pg_temp.reply('wp-2', 'wp@example.com', 'Not interested.'));
-- An operator's do_not_call (no opt-out reply recorded) is not lifted by a reply.
UPDATE leads SET status = 'do_not_call' WHERE id = 'a2000000-0000-4000-8000-000000000001';
SELECT * FROM pg_temp.handle(pg_temp.reply('kim-2', 'kim@example.com', 'Please call me now.', '2027-01-01T00:00:00Z'));

-- ---------------------------------------------------------------- recorded only

SELECT decision, intent, lead_status, queued FROM pg_temp.handle(pg_temp.reply('int-1', 'int@example.com', 'Sounds interesting, can you email me more details first?'));
SELECT decision, intent, lead_status, queued FROM pg_temp.handle(pg_temp.reply('q-1', 'q@example.com', 'What are the fees on this kind of loan?'));
SELECT decision, intent, lead_status, queued FROM pg_temp.handle(pg_temp.reply('ooo-1', 'ooo@example.com',
	'Automatic reply: I am out of the office until Monday. For urgent matters call 212-555-0177.'));
-- A reply without reply_text is read from its snippet.
SELECT decision, intent FROM pg_temp.handle(pg_temp.reply('snip-1', 'snip@example.com', NULL) - 'reply_text'
	|| '{"reply_text_snippet": "Not interested, thanks."}');

-- ---------------------------------------------------------------- other events

-- Stored, with the lead when it exists; no lead is created; without an
-- email_id the payload's digest is the delivery key.
SELECT decision, intent, lead_status, duplicate FROM handle_instantly_event(
	'{"event_type": "email_opened", "workspace": "51c0231c-9645-46c3-992a-ec88b782136d",
	  "campaign_id": "1e24d68f-3645-42ac-a253-8b64ee61feee", "lead_email": "kim@example.com",
	  "timestamp": "2026-11-25T10:00:00Z"}');
SELECT decision, lead_id IS NULL AS no_lead, duplicate FROM handle_instantly_event(
	'{"event_type": "lead_unsubscribed", "workspace": "51c0231c-9645-46c3-992a-ec88b782136d",
	  "campaign_id": "1e24d68f-3645-42ac-a253-8b64ee61feee", "lead_email": "stranger@example.com"}');
SELECT decision, duplicate FROM handle_instantly_event(
	'{"event_type": "lead_unsubscribed", "workspace": "51c0231c-9645-46c3-992a-ec88b782136d",
	  "campaign_id": "1e24d68f-3645-42ac-a253-8b64ee61feee", "lead_email": "stranger@example.com"}');
SELECT count(*) AS strangers FROM leads WHERE email = 'stranger@example.com';

-- ---------------------------------------------------------------- calling hours

-- A window that excludes the present: the call waits for the broker's next
-- opening (half an hour, about twelve hours from now in New York; never at
-- 1 or 2 o'clock, which a change of daylight saving time can skip or repeat).
SELECT set_config('vapi_pool.calling_window',
	format('%s:00-%s:30', h, h), false) AS calling_window, h AS opens_at_hour
FROM (SELECT CASE WHEN h IN (1, 2) THEN 4 ELSE h END AS h
	  FROM (SELECT (extract(hour FROM now() AT TIME ZONE 'America/New_York')::int + 12) % 24 AS h) s) s \gset
CREATE TABLE pg_temp.night AS
SELECT * FROM handle_instantly_event(pg_temp.reply('night-1', 'night@example.com', 'Call me at 212-555-0166.'));
SELECT d.decision, d.call_at > now() AS later, d.call_at < now() + interval '24 hours' AS within_a_day,
	   (d.call_at AT TIME ZONE 'America/New_York')::time = make_time(:opens_at_hour, 0, 0) AS at_opening,
	   d.detail LIKE 'Outside the calling hours in the lead''s local time%' AS says_why,
	   o.run_at = d.call_at AS job_waits, o.state
FROM pg_temp.night d JOIN outbox o ON o.id = d.outbox_id;
SET vapi_pool.calling_window = '00:00-24:00';

-- ---------------------------------------------------------------- bad events: errors, nothing stored

CREATE TABLE pg_temp.counts AS SELECT (SELECT count(*) FROM instantly_events) AS events, (SELECT count(*) FROM leads) AS leads;
SELECT handle_instantly_event('[1, 2]');
SELECT handle_instantly_event('{"workspace": "51c0231c-9645-46c3-992a-ec88b782136d"}');
SELECT handle_instantly_event('{"event_type": "reply_received", "workspace": "51c0231c-9645-46c3-992a-ec88b782136d"}');
SELECT handle_instantly_event('{"event_type": "reply_received", "workspace": "51c0231c-9645-46c3-992a-ec88b782136d", "campaign_id": "not-a-uuid"}');
SELECT handle_instantly_event(pg_temp.reply('unknown-1', 'u@example.com', 'Call me.', campaign => '99999999-0000-4000-8000-000000000000'));
SELECT handle_instantly_event(pg_temp.reply('wrongws-1', 'u@example.com', 'Call me.', campaign => 'e0000000-0000-4000-8000-00000000000e'));
SELECT handle_instantly_event(pg_temp.reply(NULL, 'u@example.com', 'Call me.'));
SELECT handle_instantly_event(pg_temp.reply('bademail-1', 'not an address', 'Call me.'));
-- A second organisation cannot register the same campaign (since 0.5.0 a
-- campaign id is unique across organisations: one Instantly workspace).
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', '1e24d68f-3645-42ac-a253-8b64ee61feee', '51c0231c-9645-46c3-992a-ec88b782136d');
SELECT (SELECT count(*) FROM instantly_events) = c.events AS no_events, (SELECT count(*) FROM leads) = c.leads AS no_leads
FROM pg_temp.counts c;

-- ---------------------------------------------------------------- the decisions, for the operator

SELECT email_id, intent, decision, call_number FROM instantly_events WHERE event_type = 'reply_received' ORDER BY received_at, email_id;

-- ---------------------------------------------------------------- row level security

-- A member of organisation A reads A's campaigns and events, and nothing of
-- B's; members cannot write events or run the flow.
INSERT INTO org_members (org_id, user_id, role) VALUES
	('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'owner');
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-00000000000a"}', true) IS NOT NULL AS claims;
SET LOCAL ROLE authenticated;
SELECT count(*) AS campaigns, count(*) FILTER (WHERE org_id <> 'aaaaaaaa-0000-4000-8000-000000000000') AS foreign_campaigns FROM instantly_campaigns;
SELECT count(*) > 0 AS sees_events, count(*) FILTER (WHERE org_id <> 'aaaaaaaa-0000-4000-8000-000000000000') AS foreign_events FROM instantly_events;
SAVEPOINT s;
INSERT INTO instantly_events (org_id, event_type, dedup_key, campaign_id, workspace_id, decision, payload)
VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'x', 'x', gen_random_uuid(), gen_random_uuid(), 'stored', '{}');
ROLLBACK TO SAVEPOINT s;
SELECT handle_instantly_event(pg_temp.reply('rls-1', 'u@example.com', 'Call me.'));
ROLLBACK TO SAVEPOINT s;
INSERT INTO instantly_campaigns (org_id, campaign_id, workspace_id) VALUES
	('bbbbbbbb-0000-4000-8000-000000000000', gen_random_uuid(), gen_random_uuid());
ROLLBACK;

DROP FUNCTION pg_temp.show(text, text), pg_temp.handle(jsonb);
DROP TABLE pg_temp.night;
DROP EXTENSION vapi_pool CASCADE;
