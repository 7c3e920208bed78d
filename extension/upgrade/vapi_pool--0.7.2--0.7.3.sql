-- vapi_pool 0.7.2 -> 0.7.3, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Redaction that keeps what the call was about (release 0.7.3, issue 26).
--
-- A date is [DOB] only when its words say it is a date of birth (a birth
-- word before it in its sentence, a question about birth or identity in
-- the turn before, or a list of the caller's other personal data around
-- it), and, when the day the text was said is known, only when a person
-- born then could be alive that day; appointment, closing and travel dates
-- stay.  A run of 10 to 15 digits without '+' or separators is [PHONE]
-- only when it is a valid number dialled from the organisation's region
-- and the words around it do not name a reference (loan, case, order ...).
-- The row triggers read each text in its organisation's region on the
-- day of its call or reply (row_triggers.c); redact_pii(text) reads it in
-- the US on an unknown day.  docs/redaction.md has the rules and limits.
--
-- Texts stored before 0.7.3 keep the placeholders they were stored with:
-- what was taken out cannot be put back.

-- redact_pii read in a region (an ISO 3166-1 alpha-2 code; NULL: US) on the
-- day the text was said (NULL: unknown).  IMMUTABLE: both are arguments.
CREATE FUNCTION redact_pii_at(t text, region text, as_of date DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_pii_at'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION redact_pii_at(text, text, date) IS
	'redact_pii, with digits written without + read as dialled in the region and dates of birth read against the day the text was said';
