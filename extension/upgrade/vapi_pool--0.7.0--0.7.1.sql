-- vapi_pool 0.7.0 -> 0.7.1, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Supabase-shaped databases and PostgreSQL 17 (release 0.7.1, issue 21).
--
-- The test of a Supabase-shaped database (t/008_supabase.pl) restored a
-- dump in which offered_slots' identity sequence started over: 0.6.0 marked
-- the table for pg_dump but not its sequence, so the first slot offered
-- after a restore took an id a restored row had, and the call's offer
-- failed.  The sequence is dumped from now on, and service_role may set it,
-- as for the other sequences (160_backups.sql).  sql/tenancy.sql checks that
-- every table and sequence of the extension is marked.
--
-- The library of 0.7.1 also names the time zones of phone numbers by their
-- current IANA names (Asia/Kolkata, not Asia/Calcutta): Debian 13's tzdata
-- keeps the old names only in tzdata-legacy, where PostgreSQL 17 there did
-- not find them (extension/e164/gen_e164_timezones.py).

SELECT pg_catalog.pg_extension_config_dump('offered_slots_id_seq', '');
GRANT USAGE, SELECT, UPDATE ON SEQUENCE offered_slots_id_seq TO service_role;
