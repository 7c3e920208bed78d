-- Soft input errors (PostgreSQL 16 and later; issue 21): pg_input_is_valid()
-- and pg_input_error_info() ask a type's input function for a verdict, and
-- e164_in answers without raising (VP_INPUT_ERROR in core/compat.h), so a
-- bad number is a false, not an error.  PostgreSQL 15 has neither function:
-- expected/input_soft_errors_1.out is its output.
SET client_min_messages = warning;
CREATE EXTENSION vapi_pool CASCADE;
RESET client_min_messages;
SELECT current_setting('server_version_num')::int >= 160000 AS soft_errors \gset
\if :soft_errors
SELECT pg_input_is_valid('+14155552671', 'vapi_pool.e164') AS us,
       pg_input_is_valid('+44 20 7946 0018', 'vapi_pool.e164') AS gb_spaced,
       pg_input_is_valid('+1 415 555 267', 'vapi_pool.e164') AS too_short,
       pg_input_is_valid('+44 20 7946 0018 99', 'vapi_pool.e164') AS too_long,
       pg_input_is_valid('(415) 555-2671', 'vapi_pool.e164') AS national,
       pg_input_is_valid('', 'vapi_pool.e164') AS empty;
-- the message, detail and hint a caller would have seen, as data
SELECT message, detail, hint, sql_error_code FROM pg_input_error_info('+44 20 7946 0018 99', 'vapi_pool.e164');
SELECT message, detail, hint, sql_error_code FROM pg_input_error_info('(415) 555-2671', 'vapi_pool.e164');
-- the domains whose checks are expressions are soft too
SELECT pg_input_is_valid('90210', 'vapi_pool.us_zip') AS zip, pg_input_is_valid('9021', 'vapi_pool.us_zip') AS short_zip,
       pg_input_is_valid('pat@example.com', 'vapi_pool.email_address') AS email,
       pg_input_is_valid('pat at example', 'vapi_pool.email_address') AS not_email;
-- iana_timezone's check explains a bad name with an error of its own (a
-- spelling hint), which a soft test cannot catch: ask timezone_is_valid()
SELECT pg_input_is_valid('America/Los_Angeles', 'vapi_pool.iana_timezone') AS zone;
SELECT pg_input_is_valid('Mars/Olympus_Mons', 'vapi_pool.iana_timezone') AS no_zone;
SELECT vapi_pool.timezone_is_valid('Mars/Olympus_Mons') AS no_zone;
-- a cast still raises, with the same words
SELECT '+44 20 7946 0018 99'::vapi_pool.e164;
\else
SELECT 'no soft input errors before PostgreSQL 16' AS note;
\endif

DROP EXTENSION vapi_pool CASCADE;
