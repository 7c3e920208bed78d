-- redact_pii: personal data in call transcripts replaced by typed placeholders
-- ([EMAIL], [PHONE], [SSN], [CARD], [DOB]); the rules are in docs/redaction.md.

CREATE FUNCTION redact_pii(text) RETURNS text
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_pii'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION redact_pii(text) IS
	'replace e-mail addresses, phone numbers, social security numbers, payment card numbers and dates of birth with [EMAIL], [PHONE], [SSN], [CARD] and [DOB]';
