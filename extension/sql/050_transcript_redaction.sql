-- Transcripts are stored redacted (seed 004): personal data is replaced on
-- every write of vapi_call_logs.transcript or summary, so unredacted text
-- never reaches a table page or the WAL.

-- Redact the transcript and summary of the call log row being written.
CREATE FUNCTION redact_call_log() RETURNS trigger
	LANGUAGE plpgsql
	AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.transcript IS DISTINCT FROM OLD.transcript THEN
		NEW.transcript := vapi_pool.redact_pii(NEW.transcript);
	END IF;
	IF TG_OP = 'INSERT' OR NEW.summary IS DISTINCT FROM OLD.summary THEN
		NEW.summary := vapi_pool.redact_pii(NEW.summary);
	END IF;
	RETURN NEW;
END
$$;

-- BEFORE triggers fire in name order: the zz_ prefix makes this one run
-- after any other BEFORE trigger a user adds, so none can undo it.
CREATE TRIGGER zz_vapi_call_logs_redact_pii BEFORE INSERT OR UPDATE ON vapi_call_logs
	FOR EACH ROW EXECUTE FUNCTION redact_call_log();
