-- The time zones of a phone number (release 0.7.0, issue 20): the table
-- generated from libphonenumber (extension/e164/gen_e164_timezones.py).
-- Every answer below is what libphonenumber's time_zones_for_number() says
-- for the number; t/011_number_timezones.pl compares the two on every NANP
-- area code and every prefix of the table.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SET search_path = vapi_pool, public;

-- Fixed lines (and NANP numbers, fixed line or mobile alike): the zones of
-- the longest prefix in libphonenumber's map.
SELECT label, phone, number_timezones(phone::e164) AS zones
FROM (VALUES
	('New York', '+1 212 736 5000'),
	('Los Angeles', '+1 310 493 0000'),
	('Honolulu', '+1 808 923 1234'),
	('Alaska (907, whole area code)', '+1 907 555 1234'),
	('Alaska (907 276, an exchange)', '+1 907 276 1234'),
	('Toronto', '+1 416 392 1234'),
	('Vancouver', '+1 604 681 1234'),
	('Calgary', '+1 403 266 1234'),
	('Idaho (208 222: two zones)', '+1 208 222 1234'),
	('South Dakota (605: two zones)', '+1 605 555 1234'),
	('London', '+44 20 7946 0018'),
	('Moscow', '+7 495 777 1234'),
	('Novosibirsk', '+7 383 212 3456'),
	('Sydney', '+61 2 9374 4000'),
	('Western Australia 08 92 (two zones)', '+61 8 9222 1234'),
	('Sao Paulo fixed', '+55 11 3333 4444'),
	('Sao Paulo mobile (geographical in Brazil)', '+55 11 96123 4567'),
	('Tijuana', '+52 664 123 4567'),
	('Jakarta-area mobile (Indonesia: some mobiles geographical)', '+62 811 234 567')
) AS t(label, phone)
ORDER BY label;

-- Zones libphonenumber names by names the IANA database has replaced are
-- given by their current names (0.7.1: Debian 13's PostgreSQL knows only
-- those unless tzdata-legacy is installed).
SELECT label, phone, number_timezones(phone::e164) AS zones
FROM (VALUES
	('Mumbai (libphonenumber: Asia/Calcutta)', '+91 22 2266 1234'),
	('Kathmandu (Asia/Katmandu)', '+977 1 4212345'),
	('Yangon (Asia/Rangoon)', '+95 1 234 567'),
	('Nuuk (America/Godthab)', '+299 32 1000'),
	('Buenos Aires (America/Buenos_Aires)', '+54 11 4123 4567')
) AS t(label, phone)
ORDER BY label;

-- Mobiles outside the few countries whose mobiles are geographical, and
-- non-geographical numbers: every zone of the calling code.
SELECT label, phone, cardinality(number_timezones(phone::e164)) AS n,
	number_timezones(phone::e164) AS zones
FROM (VALUES
	('Australian mobile', '+61 412 345 678'),
	('Russian mobile', '+7 912 345 6789'),
	('UK mobile', '+44 7400 123456')
) AS t(label, phone)
ORDER BY label;
-- A +1 toll-free, premium-rate or personal number: the whole NANP.
SELECT label, phone, cardinality(number_timezones(phone::e164)) AS n,
	'America/New_York' = ANY (number_timezones(phone::e164)) AS has_new_york,
	'Pacific/Honolulu' = ANY (number_timezones(phone::e164)) AS has_honolulu,
	number_timezones(phone::e164) = number_timezones('+1 833 275 2273') AS same_as_833
FROM (VALUES
	('toll-free 800', '+1 800 275 2273'),
	('premium 900', '+1 900 275 2273'),
	('personal 500', '+1 500 555 0123')
) AS t(label, phone)
ORDER BY label;

-- No zone: an invalid number (a possible length, but no pattern of the
-- country matches), an international freephone (+800), a satellite number.
SELECT label, phone, number_timezones(phone::e164) AS zones
FROM (VALUES
	('NANP N11 area code', '+1 211 555 1234'),
	('Indonesia, invalid fixed line', '+62 21 123456'),
	('international freephone', '+800 1234 5678'),
	('Inmarsat', '+870 773 111 632')
) AS t(label, phone)
ORDER BY label;

-- NULL in, NULL out; the result type; the function is pure.
SELECT number_timezones(NULL) IS NULL AS null_in_null_out,
	pg_typeof(number_timezones('+12127365000')) AS type,
	p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p WHERE p.oid = 'vapi_pool.number_timezones(vapi_pool.e164)'::regprocedure;

-- Every zone of the table is one PostgreSQL knows: nothing here.
SELECT z AS unknown_to_postgres
FROM number_timezone_names() AS z
WHERE z NOT IN (SELECT name FROM pg_timezone_names);
-- ... and the table is not empty (libphonenumber 8.12.57 names 282).
SELECT count(*) >= 250 AS many_zones, count(*) = count(DISTINCT z) AS each_once
FROM number_timezone_names() AS z;
-- Every zone a sample of answers names is listed.
SELECT count(*) AS unlisted
FROM unnest(number_timezones('+18002752273') || number_timezones('+79123456789')
	|| number_timezones('+61412345678')) AS z
WHERE z NOT IN (SELECT number_timezone_names());

-- Who may call them.
SELECT p.oid::regprocedure AS function,
	has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
	has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated,
	has_function_privilege('service_role', p.oid, 'EXECUTE') AS service_role
FROM pg_proc p
WHERE p.pronamespace = 'vapi_pool'::regnamespace AND p.proname LIKE 'number_timezone%'
ORDER BY 1;

DROP EXTENSION vapi_pool CASCADE;
