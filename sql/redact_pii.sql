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
             ('User: a@b.c or user@localhost'),
             ('User: mi correo es gaby punto torres arroba example punto com.'),
             ('User: es una arroba, no sé'),
             ('User: Mi correo es rosa guion bajo vega arroba example punto org.'),
             ('AI: Let me read that back: luis underscore ortega seven seven at example dot com.'),
             ('User: it''s h dot nguyen ninety-two at example dot com'),
             ('User: put down dana dot k two thousand at example dot org'),
             ('User: yeah um it''s kevin dot tran 82 at example dot com'),
             ('User: It''s rlim underscore 88 at example dot org.')) AS v(input);

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

-- Social security numbers: valid ones, or any after a context word (the
-- caller says it is theirs); nine bare digits only after a context word.
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
             ('User: my social is 987-65-4321'),
             ('User: My Social Security number is 987-65-4323, and my wife''s is 987-65-4327.'),
             ('User: the last four are 6789')) AS v(input);

-- Payment card numbers: 13 to 19 digits that start with 2 to 6 and pass
-- the Luhn check.
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
             ('User: +378282246310005'),
             ('User: 9123456789012348'),
             ('User: order 1123456789012345')) AS v(input);

-- Dates of birth (0.7.3): a date only when its words say it is a birth
-- date.  Every written form after a birth word ...
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: born 03/14/1985'),
             ('User: DOB 3/14/85'),
             ('User: date of birth 1985-03-14'),
             ('User: birthdate 14.03.1985'),
             ('User: I was born March 14, 1985'),
             ('User: my birthday is March 14th, 1985'),
             ('User: born 14 March 1985'),
             ('User: born Mar 14 1985'),
             ('User: born Mar. 14, 1985'),
             ('User: born on the 14th of March, 1985'),
             ('User: born 14-Mar-1985'),
             ('User: fecha de nacimiento 14 de marzo de 1985'),
             ('User: nací el 3 de mayo de 1990'),
             ('User: mi cumpleaños es el 9 de julio'),
             ('User: I was born on March 14th'),
             ('User: my birthday is 3/14'),
             ('User: D.O.B. 03/14, right?'),
             ('User: Date of birth? 03/14/1985.'),
             ('User: 11-04-1952 is my date of birth, if you need to look me up.'),
             ('User: Ngày sinh của em là 12/01/1994 ạ.'),
             ('User: ang kaarawan ko ay March 3, 1990'),
             ('User: 06/05/1991 po ang birthday ko.'),
             ('User: 제 생년월일은 1990-07-22이에요.'),
             ('User: 我的生日是 May 2nd, 1988.'),
             ('User: дата рождения 11/03/1979.'),
             ('User: Я родилась November 3rd, 1979.'),
             ('AI: What''s your birthday?' || chr(10) || 'User: the 14th of March'),
             ('AI: And your date of birth?' || chr(13) || chr(10) || chr(13) || chr(10) || 'User: March 14th, 1985.'),
             ('AI: Can you confirm your date of birth for me please? User: Sure, March 14th.'),
             ('AI: For verification, can you confirm your identity? User: 7/22/1979.'),
             ('User: his birthday is June 21st, 1970 and mine is July 1st, 1972.'),
             ('AI: I''ll need the date of birth for both of you. User: Mine is 2/14/1990 and my boyfriend''s is 7/1/1989.'),
             ('AI: Date of birth? User: It''s uh October 10th, 1991, sorry, October 10th, 1991.'),
             ('User: so that''s (212) 555-0147, jo@example.com, and 4/2/1961'),
             ('User: 4/2/1961, jo@example.com'),
             ('415-555-0123 pat@example.com 123-45-6789 03/14/1985'),
             ('User: I was born in a small town in Ohio and we moved away on March 14th')) AS v(input);

-- ... and every other date stays: appointments, closings, past events, a
-- date after the birth word's own date, the first date of an answer that
-- names its event, a date with no words at all.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: 03/14/1985'),
             ('User: September 9th, 1994'),
             ('AI: The consultation is on March 3rd, 2026 at 10:30 am.'),
             ('User: We closed 2016-06-03 and refinanced on March 3rd, 2021.'),
             ('AI: Your rate lock expires 04/08/2026, so we''d want to close by then.'),
             ('User: I had Botox on 1/15/2024 and filler on the 3rd of March 2025.'),
             ('User: born 3/14/85, closing 3/3/2026'),
             ('User: DOB 03/14/1985, Surgery 04/09/2026'),
             ('User: I want it done before my 40th birthday, so the consult on 04/09/2026 works.'),
             ('User: My daughter''s birthday party is Saturday, May 9th, 2026.'),
             ('User: My first-born starts at UConn on 8/27/2026.'),
             ('User: I was born in Ohio. The closing is 3/3/2026.'),
             ('AI: And your date of birth? User: Is my surgery still on April 9th?'),
             ('AI: Can you confirm your identity? User: Sure, it''s Priya, calling about the 4/15 appointment.'),
             ('AI: And your date of birth? User: 7/22/1979, and the consult is 3/3/2026.'),
             ('AI: Which day suits you? User: el 3 de marzo de 2026'),
             ('AI: see you Tuesday, December 1st'),
             ('AI: on 12/1 at 10:30'),
             ('User: he was born in May'),
             ('User: born in 1985'),
             ('User: born 13/45/1985'),
             ('User: born 3/14/1776'),
             ('User: DOB 2024-13-01')) AS v(input);

-- The day the text was said: a birth date is not after it nor more than
-- 120 years before it, and a two-digit year takes its century from it.
SELECT input, vapi_pool.redact_pii_at(input, 'US', '2026-12-07') AS on_the_day,
       vapi_pool.redact_pii(input) AS day_unknown
FROM (VALUES ('User: the baby will be born on June 3, 2027'),
             ('User: my son was born March 3, 2026'),
             ('User: my son was born 12/25/2026'),
             ('User: born 1/1/1901, believe it or not'),
             ('User: born 1/1/1907'),
             ('User: born 3/14/30'),
             ('User: born 14-Mar-30')) AS v(input);

-- A run of 10 to 15 digits without '+' or separators is a phone number
-- only when it is valid in the region and its words do not name a
-- reference.
SELECT input, vapi_pool.redact_pii(input) AS redacted
FROM (VALUES ('User: call me at 4155550123'),
             ('User: my cell is 14155550123'),
             ('User: 4155550123, that''s my cell'),
             ('AI: I''ll text the confirmation to 3125550178.'),
             ('AI: A callback number in case we get disconnected? User: Sure, 9725550163.'),
             ('User: 4155550123'),
             ('User: my loan number is 4012887766'),
             ('User: loan 4012887766, cell 4155550123'),
             ('User: 4012887766 is the loan number'),
             ('User: Order number 4532015112, no wait, it''s 4532015113.'),
             ('User: case #4155550123'),
             ('User: the claim is 2145550199 per the adjuster'),
             ('User: confirmation 1234567890'),
             ('User: 02079460958'),
             ('User: MIN 100123456789012345'),
             ('User: case number 4155550123412'),
             ('User: I called about my loan, my number is 4155550123'),
             ('User: Mi número de préstamo es 7002114598 y el pago es $1,015.'),
             ('User: mi teléfono es 7135550143'),
             ('User: my confirmation is 4 8 2 9 1 7 3'),
             ('User: four one five, five five five, zero one two three'),
             ('User: The parcel number on my tax bill is 14-21-307-019-0000.'),
             ('AI: The tax parcel ID from the county is 052-118-07-00.'),
             ('User: my UK number is 44 20 7946 0958'),
             ('User: Mi teléfono es seis uno nueve, cinco cinco cinco, cero uno cinco dos.'),
             ('AI: The reference number for today''s call is four seven seven two, one nine zero three.'),
             ('AI: Su número de confirmación es cuatro, cuatro, cero, nueve, uno, siete, tres.'),
             ('User: Can you call me back at four one five, five five five, zero one two three?'),
             ('User: I got cut off, I was giving you my number, 617, 555, 0144.'),
             ('User: the scores were 617, 555, 0144')) AS v(input);

-- In another region: a UK organisation dials 020 numbers, not 415 ones.
SELECT input, vapi_pool.redact_pii_at(input, 'GB') AS gb, vapi_pool.redact_pii_at(input, 'us') AS us
FROM (VALUES ('User: call 02079460958'),
             ('User: call 4155550123'),
             ('User: ring me on 07700900123')) AS v(input);

-- The region must be one the phone-number metadata knows; NULL text is NULL
-- and NULL region or day are the defaults.
\set VERBOSITY default
SELECT vapi_pool.redact_pii_at('x', 'ZZ');
\set VERBOSITY sqlstate
SELECT vapi_pool.redact_pii_at('x', 'USA');
\set VERBOSITY default
SELECT vapi_pool.redact_pii_at(NULL, 'US') IS NULL AS null_text,
       vapi_pool.redact_pii_at('call 4155550123, born 3/14/85', NULL, NULL) AS defaults;
SELECT provolatile, proisstrict, proparallel
FROM pg_proc WHERE oid = 'vapi_pool.redact_pii_at(text,text,date)'::regprocedure;

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
