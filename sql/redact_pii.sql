-- redact_pii: personal data in call transcripts replaced by typed placeholders.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;

-- Declared IMMUTABLE STRICT PARALLEL SAFE.
SELECT provolatile, proisstrict, proparallel
FROM pg_proc WHERE oid = 'vapi_pool.redact_pii(text)'::regprocedure;

-- E-mail addresses, written and spoken.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: it''s pat.quinn+work@example.co.uk, thanks.'),
             ('User: PAT@EXAMPLE.COM'),
             ('User: <j_doe-1@mail.example.org>'),
             ('User: 4155550123@txt.att.net'),
             ('User: my email is john dot smith at gmail dot com.'),
             ('User: pat underscore q at example dot org'),
             ('User: mary dash ann at example dot co dot uk'),
             ('User: john.smith at gmail.com'),
             ('User: you can reach me at pat at gmail dot com'),
             ('User: it''s J O H N at gmail dot com'),
             ('User: meet at the office'),
             ('User: look at it'),
             ('User: find us at acme dot com'),
             ('User: he works at google.com'),
             ('User: a@b.c or user@localhost')) AS v(input);

-- Phone numbers in the common formats, with extensions.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: my number is (415) 555-0123.'),
             ('User: 415-555-0123'),
             ('User: 415.555.0123'),
             ('User: 415 555 0123'),
             ('User: 4155550123'),
             ('User: +1 415 555 0123'),
             ('User: 1-800-555-0199'),
             ('User: +14155550123'),
             ('User: +1 (415) 555-0123'),
             ('User: +44 20 7946 0958'),
             ('User: +44 (0)20 7946 0958'),
             ('User: +49 30 901820'),
             ('User: +33 6 12 34 56 78'),
             ('User: 020 7946 0958'),
             ('User: 011 44 20 7946 0958'),
             ('User: 44 20 7946 0958'),
             ('User: call 555-0123 now'),
             ('User: 415-555-0123 ext. 12'),
             ('User: 415-555-0123 x12'),
             ('User: 415-555-0123, extension 4567'),
             ('User: 415 555 0123 45 minutes from here')) AS v(input);

-- Spoken digit sequences.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: four one five, five five five, zero one two three.'),
             ('User: it''s oh two oh, seven nine four six, oh nine five eight'),
             ('User: double five, triple seven, one two three four'),
             ('User: my number''s 415 five five five 0123'),
             ('User: it''s 4 1 5 5 5 5 0 1 2 3.'),
             ('User: I have one, two, three kids and four dogs.'),
             ('User: double oh seven'),
             ('AI: Oh, oh, oh, oh, oh, oh, oh.')) AS v(input);

-- Social security numbers: valid ones only; nine bare digits only after
-- a context word.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: my SSN is 123-45-6789'),
             ('User: 123 45 6789'),
             ('User: social security number 123456789'),
             ('User: ssn: 078051120'),
             ('User: 123456789'),
             ('User: 000-12-3456'),
             ('User: 666-12-3456'),
             ('User: 900-12-3456'),
             ('User: 999-12-3456'),
             ('User: 123-00-4567'),
             ('User: 123-45-0000'),
             ('User: SSN 000123456'),
             ('User: the last four are 6789')) AS v(input);

-- Payment card numbers: 13 to 19 digits that pass the Luhn check.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: 4111 1111 1111 1111'),
             ('User: 4111-1111-1111-1111'),
             ('User: 4111111111111111'),
             ('User: 378282246310005'),
             ('User: 3782 822463 10005'),
             ('User: 6011 1111 1111 1117'),
             ('User: 4222222222222'),
             ('User: 4111111111111112'),
             ('User: 4111 1111 1111 1112'),
             ('User: 1234567890123456789012'),
             ('User: 12345678901234'),
             ('User: +378282246310005')) AS v(input);

-- Dates of birth: every full date; a month and day only after a birth
-- context word.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: 03/14/1985'),
             ('User: 3/14/85'),
             ('User: 1985-03-14'),
             ('User: 14.03.1985'),
             ('User: March 14, 1985'),
             ('User: March 14th, 1985'),
             ('User: 14 March 1985'),
             ('User: Mar 14 1985'),
             ('User: Mar. 14, 1985'),
             ('User: the 14th of March, 1985'),
             ('User: 14-Mar-1985'),
             ('User: I was born on March 14th'),
             ('User: my birthday is 3/14'),
             ('User: D.O.B. 03/14, right?'),
             ('AI: What''s your birthday?' || chr(10) || 'User: the 14th of March'),
             ('AI: Can you confirm your date of birth for me please? User: Sure, March 14th.'),
             ('User: I was born in a small town in Ohio and we moved away on March 14th'),
             ('AI: see you Tuesday, December 1st'),
             ('AI: on 12/1 at 10:30'),
             ('User: he was born in May'),
             ('User: born in 1985'),
             ('User: 13/45/1985'),
             ('User: 3/14/1776'),
             ('User: 2024-13-01')) AS v(input);

-- Left alone: prices, times, zip codes, street and room numbers, years,
-- durations, percentages, dosages, counts, reference, decimal and version
-- numbers, ages, numbers glued to letters.
SELECT input, vapi_pool.redact_pii(input) = input AS unchanged
FROM (VALUES ('User: it was $1,299.00, or $45 a month'),
             ('User: 1500 dollars, $2.5 million'),
             ('User: at 10:30, 3:45 pm or 10 am'),
             ('User: zip 90210, or 90210-1234'),
             ('User: 1234 Main Street, Apt 5B'),
             ('User: since 2019, born in 1985'),
             ('User: 2 hours 30 minutes, 5-10 minutes'),
             ('User: 4.5% interest'),
             ('User: 500 mg twice a day'),
             ('User: 10 20 30 40 50, 100 200 3000'),
             ('User: confirmation 48213, order 123456'),
             ('User: 3.14159 and version 1.2.3 and 10.15.7'),
             ('User: room 204'),
             ('User: I''m 42'),
             ('User: A4155550123B'),
             ('User: IP 192.168.100.200, 555-0123-4567, 2019 2020 2021'),
             ('User: rates 4.5, 3.2, 1.1, 2 and 7'),
             ('User: 24/7 support, 1/2 cup')) AS v(input);

-- Edge cases: empty, NULL, punctuation only, PII at the very start and end,
-- adjacent items, non-ASCII text around PII.
SELECT vapi_pool.redact_pii('') AS empty, vapi_pool.redact_pii(NULL) IS NULL AS null_is_null,
       vapi_pool.redact_pii('...!?,;:()+@-/$#') AS punctuation;
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('415-555-0123'),
             ('pat@example.com'),
             ('4111 1111 1111 1111 is the card'),
             ('call me: 415-555-0123'),
             ('415-555-0123 pat@example.com 4111 1111 1111 1111 123-45-6789 03/14/1985'),
             ('415-555-0123, 415-555-0199'),
             ('José''s number is 415-555-0123 ☎'),
             ('電話: +81 3 1234 5678, メール: taro@example.jp'),
             ('«pat@example.com»')) AS v(input);

-- An unchanged input comes back equal; a large value (toasted) is handled.
SELECT vapi_pool.redact_pii(t) = t AS unchanged
FROM (VALUES ('AI: Thanks, Pat. See you Tuesday.'), ('')) AS v(t);
CREATE TEMP TABLE transcripts (t text);
INSERT INTO transcripts
SELECT repeat('User: call 415-555-0123 or mail pat@example.com, born 03/14/1985. ', 16000);
INSERT INTO transcripts SELECT repeat('AI: nothing personal here, José. ', 32000);
SELECT length(t) AS input_length, length(r) AS output_length,
       r = repeat('User: call [PHONE] or mail [EMAIL], born [DOB]. ', 16000) AS all_redacted,
       r = t AS unchanged
FROM (SELECT t, vapi_pool.redact_pii(t) AS r FROM transcripts) AS x
ORDER BY 2;

DROP TABLE transcripts;
DROP EXTENSION vapi_pool;
