-- The data model's own guarantees: domains, keys, the pool invariants, the
-- no-overlap rule of appointments, and the tenancy of foreign keys.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;

INSERT INTO orgs (org_id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'Acme Home Loans'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'Bright Smile Clinic');
INSERT INTO brokers (org_id, id, name, primary_phone_e164, number_pool_active) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana Lee', '+14155550101', true),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000002', 'Sam Ortiz', '+14155550103', true),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Dr. Rosa Diaz', '+13105550101', true);
INSERT INTO leads (org_id, id, broker_id, first_name, last_name, primary_phone_e164) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', 'Pat', 'Quinn', '+14155550123'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', 'Lee', NULL, '+14155550124'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b2000000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000001', NULL, NULL, NULL);

-- ---------------------------------------------------------------- defaults and domains

SELECT name, timezone, number_pool_size, number_pool_active FROM brokers ORDER BY name;
SELECT first_name, last_name, name, status FROM leads ORDER BY id;

-- Time zones: IANA names exactly as PostgreSQL's zone list spells them.
UPDATE brokers SET timezone = 'America/New_York' WHERE name = 'Dana Lee' RETURNING timezone;
UPDATE brokers SET timezone = 'Europe/London' WHERE name = 'Dana Lee' RETURNING timezone;
UPDATE brokers SET timezone = 'america/new_york' WHERE name = 'Dana Lee';
UPDATE brokers SET timezone = 'PST' WHERE name = 'Dana Lee';
UPDATE brokers SET timezone = 'UTC+3' WHERE name = 'Dana Lee';
UPDATE brokers SET timezone = 'Mars/Olympus_Mons' WHERE name = 'Dana Lee';
UPDATE brokers SET timezone = '' WHERE name = 'Dana Lee';
\set VERBOSITY terse
UPDATE brokers SET timezone = NULL WHERE name = 'Dana Lee';
SELECT timezone_is_valid('America/Los_Angeles') AS la, timezone_is_valid('America/Los_angeles') AS bad_case,
       -- EST is a zone file of Debian 12's tzdata and only a legacy link in Debian 13's
       timezone_is_valid('EST') = EXISTS (SELECT FROM pg_timezone_names WHERE name = 'EST') AS est_as_listed, timezone_is_valid('UTC') AS utc;
-- every name PostgreSQL lists is accepted
SELECT count(*) FILTER (WHERE NOT timezone_is_valid(name)) AS listed_but_refused FROM pg_timezone_names;

-- ZIP codes: five digits.
INSERT INTO territories (org_id, zip, broker_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', '90210', 'a1000000-0000-4000-8000-000000000001'),
  ('aaaaaaaa-0000-4000-8000-000000000000', '02134', 'a1000000-0000-4000-8000-000000000002');
INSERT INTO territories (org_id, zip, broker_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '9021', 'a1000000-0000-4000-8000-000000000001');
INSERT INTO territories (org_id, zip, broker_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '90210-1234', 'a1000000-0000-4000-8000-000000000001');
INSERT INTO territories (org_id, zip, broker_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '00000', 'a1000000-0000-4000-8000-000000000001');
-- one broker per ZIP in an organisation; another organisation may serve it too
INSERT INTO territories (org_id, zip, broker_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '90210', 'a1000000-0000-4000-8000-000000000002');
INSERT INTO territories (org_id, zip, broker_id) VALUES ('bbbbbbbb-0000-4000-8000-000000000000', '90210', 'b1000000-0000-4000-8000-000000000001');

-- Phones are e164: what is stored is canonical, what is not a number is refused.
UPDATE brokers SET secondary_phone_e164 = '+1 (415) 555-0102' WHERE name = 'Dana Lee' RETURNING secondary_phone_e164;
UPDATE brokers SET secondary_phone_e164 = '415-555-0102' WHERE name = 'Dana Lee';
UPDATE brokers SET secondary_phone_e164 = primary_phone_e164 WHERE name = 'Dana Lee';
INSERT INTO brokers (org_id, name, email) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'No Email', 'not-an-email');
INSERT INTO brokers (org_id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '  ');
INSERT INTO brokers (org_id, name, number_pool_size) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Negative', -1);

-- ---------------------------------------------------------------- tenancy of foreign keys

-- A lead of org A cannot point at org B's broker, even knowing its id.
INSERT INTO leads (org_id, broker_id, first_name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Crossed');
INSERT INTO territories (org_id, zip, broker_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', '10001', 'b1000000-0000-4000-8000-000000000001');

-- ---------------------------------------------------------------- the pool

INSERT INTO vapi_number_pool (org_id, id, broker_id, number, vapi_phone_number_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', '+14155550150', 'pn-1'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001', '+14155550151', 'pn-2');
SELECT number, status FROM vapi_number_pool ORDER BY number;
-- A phone number belongs to one pool in the whole database, whatever the organisation.
INSERT INTO vapi_number_pool (org_id, broker_id, number) VALUES
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', '+1 415 555 0150');
INSERT INTO vapi_number_pool (org_id, broker_id, number, status) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+14155550159', 'lost');
INSERT INTO vapi_number_pool (org_id, broker_id, number, status) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', '+14155550159', 'retired');

-- An assignment's broker must own the number.
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000001',
   'a1000000-0000-4000-8000-000000000002', 'a2000000-0000-4000-8000-000000000001');
INSERT INTO vapi_number_assignments (org_id, id, pool_number_id, broker_id, lead_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a4000000-0000-4000-8000-000000000001', 'a3000000-0000-4000-8000-000000000001',
   'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000001');
-- At most one unreleased assignment per number ...
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000001',
   'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000002');
-- ... and per lead.
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000002',
   'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000001');
-- A call_completed assignment still holds both.
UPDATE vapi_number_assignments SET status = 'call_completed', last_call_at = now(), release_at = now() + interval '24 hours';
INSERT INTO vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000001',
   'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000002');
-- Released without released_at is refused; released properly frees both.
UPDATE vapi_number_assignments SET status = 'released';
UPDATE vapi_number_assignments SET status = 'released', released_at = now();
INSERT INTO vapi_number_assignments (org_id, id, pool_number_id, broker_id, lead_id) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a4000000-0000-4000-8000-000000000002', 'a3000000-0000-4000-8000-000000000001',
   'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000002'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a4000000-0000-4000-8000-000000000003', 'a3000000-0000-4000-8000-000000000002',
   'a1000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000001');
SELECT a.id, p.number, l.name, a.status FROM vapi_number_assignments a
JOIN vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id
JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id ORDER BY a.id;

-- The lead's pointer to its assignment (since 0.5.0 not a foreign key, so
-- that a dump can be restored): deleting the assignment clears it, and only it.
UPDATE leads SET vapi_assignment_id = 'a4000000-0000-4000-8000-000000000003' WHERE id = 'a2000000-0000-4000-8000-000000000001';
UPDATE leads SET vapi_assignment_id = 'a4000000-0000-4000-8000-000000000002' WHERE id = 'a2000000-0000-4000-8000-000000000002';
DELETE FROM vapi_number_assignments WHERE id = 'a4000000-0000-4000-8000-000000000003';
SELECT org_id, name, vapi_assignment_id FROM leads WHERE id IN ('a2000000-0000-4000-8000-000000000001', 'a2000000-0000-4000-8000-000000000002') ORDER BY id;

-- ---------------------------------------------------------------- call logs

INSERT INTO vapi_call_logs (org_id, lead_id, vapi_call_id, direction, status) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000001', 'call-1', 'outbound_to_lead', 'queued');
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'call-1', 'inbound_unknown');
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'call-2', 'sideways');
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, started_at, ended_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'call-3', 'inbound_unknown', '2026-11-21 10:00+00', '2026-11-21 09:59+00');
-- Transcripts and summaries are stored redacted, on insert and on every update.
INSERT INTO vapi_call_logs (org_id, vapi_call_id, direction, transcript, summary) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'call-4', 'inbound_unknown',
   E'AI: Can I get a number to call you back?\nUser: Sure, (415) 555-0177, or email pat.quinn@example.com.',
   'Caller gave 415-555-0177 and asked for a quote of $1,200.');
SELECT transcript, summary FROM vapi_call_logs WHERE vapi_call_id = 'call-4';
UPDATE vapi_call_logs SET summary = 'SSN 123-45-6789 given; born 03/14/1985.' WHERE vapi_call_id = 'call-4'
RETURNING summary;
UPDATE vapi_call_logs SET status = 'ended' WHERE vapi_call_id = 'call-4' RETURNING transcript = redact_pii(transcript) AS still_redacted;
-- updated_at is the transaction's time on every update.
BEGIN;
UPDATE vapi_call_logs SET cost = 0.25 WHERE vapi_call_id = 'call-4' RETURNING updated_at = now() AS touched;
COMMIT;
-- Only an inserted or changed text is redacted: a text stored before the
-- trigger existed (written here with triggers off) is left as it is by an
-- update of other columns, and redacted once it is written again.
SET session_replication_role = replica;
UPDATE vapi_call_logs SET summary = 'Call 415-555-0177.' WHERE vapi_call_id = 'call-4';
SET session_replication_role = DEFAULT;
UPDATE vapi_call_logs SET cost = 0.5 WHERE vapi_call_id = 'call-4' RETURNING summary;
UPDATE vapi_call_logs SET summary = summary || ' ' WHERE vapi_call_id = 'call-4' RETURNING summary;
UPDATE vapi_call_logs SET transcript = NULL WHERE vapi_call_id = 'call-4' RETURNING transcript IS NULL AS cleared;
-- The trigger functions refuse to run where they cannot work.
CREATE TEMP TABLE no_stamp (id int);
CREATE TRIGGER no_stamp_touch BEFORE UPDATE ON no_stamp FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO no_stamp VALUES (1);
UPDATE no_stamp SET id = 2;
CREATE TEMP TABLE late_stamp (id int, updated_at timestamptz);
CREATE TRIGGER late_stamp_touch AFTER INSERT ON late_stamp FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO late_stamp VALUES (1);
SELECT touch_updated_at();
DROP TABLE no_stamp, late_stamp;
-- Deleting the lead keeps the call log (an immutable record) and clears the lead.
DELETE FROM leads WHERE id = 'a2000000-0000-4000-8000-000000000001';
SELECT vapi_call_id, org_id, lead_id FROM vapi_call_logs ORDER BY vapi_call_id;
-- seed 004's call_logs view
SELECT org_id, lead_id, duration FROM call_logs ORDER BY id;

-- ---------------------------------------------------------------- appointments: never overlapping

INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, hold_expires_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001',
   'booked', '2031-03-04 10:00+00', NULL);
-- ends_at is scheduled_at + duration, computed in UTC whatever the session's TimeZone
SET TimeZone = 'America/New_York';
SELECT scheduled_at, duration, ends_at FROM appointments;
RESET TimeZone;
-- the same slot, an overlapping slot, a slot that contains it: refused
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, hold_expires_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001',
   'held', '2031-03-04 10:00+00', '2031-03-04 09:05+00');
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, hold_expires_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001',
   'held', '2031-03-04 10:15+00', '2031-03-04 09:05+00');
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, duration, hold_expires_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001',
   'held', '2031-03-04 09:00+00', '3 hours', '2031-03-04 09:05+00');
-- back to back, another broker's calendar, the organisation's calendar: fine
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, hold_expires_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001',
   'held', '2031-03-04 10:30+00', '2031-03-04 09:05+00'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000002',
   'held', '2031-03-04 10:00+00', '2031-03-04 09:05+00'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', NULL,
   'held', '2031-03-04 10:00+00', '2031-03-04 09:05+00');
-- the organisation's calendar is one calendar too
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, hold_expires_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', NULL,
   'held', '2031-03-04 10:10+00', '2031-03-04 09:05+00');
-- a cancelled appointment frees its slot
UPDATE appointments SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'patient called back'
WHERE broker_id = 'a1000000-0000-4000-8000-000000000001' AND scheduled_at = '2031-03-04 10:00+00';
INSERT INTO appointments (org_id, contact_id, broker_id, status, scheduled_at, hold_expires_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000001',
   'held', '2031-03-04 10:00+00', '2031-03-04 09:05+00');
-- reviving the cancelled one would overlap: refused
UPDATE appointments SET status = 'booked', cancelled_at = NULL WHERE status = 'cancelled';
-- a hold needs an expiry; durations are positive and at most a day
INSERT INTO appointments (org_id, contact_id, status, scheduled_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'held', '2031-03-05 10:00+00');
INSERT INTO appointments (org_id, contact_id, status, scheduled_at, duration) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'booked', '2031-03-05 10:00+00', '0 minutes');
INSERT INTO appointments (org_id, contact_id, status, scheduled_at, ends_at) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000002', 'booked', '2031-03-05 10:00+00', '2031-03-05 12:00+00');
SELECT broker_id IS NULL AS org_calendar, status, scheduled_at, ends_at FROM appointments ORDER BY broker_id NULLS LAST, scheduled_at, status;

DROP EXTENSION vapi_pool CASCADE;
