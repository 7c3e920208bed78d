-- The hot path of a call (release 0.4.0): what every assignment, placed call
-- and end-of-call report pays for, made cheaper without changing what it
-- does.  Measured by the cycle benchmark (bench/pool_bench.sh); the figures
-- are in docs/benchmarks.md.

-- The row triggers in C (row_triggers.c): same behaviour as the PL/pgSQL
-- versions of 0.2.0, without an interpreter start per row.
CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_touch_updated_at'
	LANGUAGE C;
CREATE OR REPLACE FUNCTION redact_call_log() RETURNS trigger
	AS 'MODULE_PATHNAME', 'vapi_pool_redact_call_log'
	LANGUAGE C;

-- strip_call_report was never inlined: its body called jsonb_build_object,
-- which is only STABLE, so the planner kept the IMMUTABLE function opaque and
-- planned its body again on every end-of-call report.  jsonb_set is
-- immutable and gives the same object.
CREATE OR REPLACE FUNCTION strip_call_report(report jsonb) RETURNS jsonb
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	-- one expression without FROM and only immutable calls, so that the
	-- planner inlines it
	AS $$
SELECT CASE
	WHEN report IS NULL THEN NULL
	WHEN pg_catalog.jsonb_typeof(report) <> 'object' THEN pg_catalog.jsonb_set('{}'::jsonb, '{unparsed}', report)
	WHEN pg_catalog.jsonb_typeof(report -> 'message') = 'object'
		THEN report -> 'message' #- '{artifact,transcript}' #- '{artifact,messages}'
			 #- '{artifact,messagesOpenAIFormatted}' #- '{transcript}' #- '{messages}' #- '{summary}'
			 #- '{analysis,summary}'
	ELSE report #- '{artifact,transcript}' #- '{artifact,messages}' #- '{artifact,messagesOpenAIFormatted}'
		 #- '{transcript}' #- '{messages}' #- '{summary}' #- '{analysis,summary}'
	END
$$;

-- An assignment's organisation and broker are already guaranteed by its
-- other keys: (org_id, lead_id) references a lead of that organisation, and
-- (org_id, pool_number_id, broker_id) a pool number of that organisation and
-- broker, whose own keys reference both.  The two direct keys only doubled
-- the checks (and the shared lock on the one organisation row that every
-- concurrent assignment took); deleting an organisation still cascades
-- through its leads.
ALTER TABLE vapi_number_assignments
	DROP CONSTRAINT vapi_number_assignments_org_id_fkey,
	DROP CONSTRAINT vapi_number_assignments_broker_fkey;
