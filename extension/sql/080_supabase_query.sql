-- The assistant's read-only lookup tool (seed 000's supabase_query): answers
-- for a voice assistant, scoped to the caller's organisation.
--
-- STABLE, so PostgreSQL refuses any write inside it; SECURITY INVOKER, so the
-- caller's row level security applies on top of the explicit org filter.
-- Written schema-qualified; its own search_path puts vapi_pool first because
-- operators are found through the search_path, and outside it e164 = e164
-- would fall back to a text comparison that cannot use the e164 indexes.
-- Answers carry names, time zones and whether a ZIP is served, never internal
-- columns (org ids, assignment ids, medical history) or other tenants' rows.

-- What an assistant may say about a broker.
CREATE FUNCTION broker_card(b brokers) RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$
	SELECT pg_catalog.jsonb_build_object('id', b.id, 'name', b.name, 'timezone', b.timezone,
		'accepting_calls', b.number_pool_active)
$$;

CREATE FUNCTION supabase_query(query_type text, identifier text) RETURNS jsonb
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	-- vapi_pool first, so that e164 = e164 is the type's own (indexed) operator
	SET search_path = vapi_pool, pg_catalog, pg_temp
	AS $$
DECLARE
	org uuid;
	region text;
	ident text := pg_catalog.btrim(identifier);
	want_id uuid;
	want_phone vapi_pool.e164;
	lead vapi_pool.leads;
	broker vapi_pool.brokers;
	matches integer;
	want_zip text;
BEGIN
	IF query_type IS NULL OR query_type NOT IN ('get_lead_details', 'find_broker_by_zip', 'get_broker_details') THEN
		RAISE EXCEPTION 'unknown query_type %', coalesce(pg_catalog.quote_literal(query_type), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Valid query types are get_lead_details, find_broker_by_zip and get_broker_details.';
	END IF;
	org := (SELECT vapi_pool.auth_org_id());
	IF org IS NULL THEN
		RAISE EXCEPTION 'supabase_query needs the caller''s organisation'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Call it as a signed-in member of an organisation, or as service_role with an org_id claim in request.jwt.claims.';
	END IF;
	IF ident IS NULL OR ident = '' THEN
		RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
			'message', 'No identifier was given.');
	END IF;
	IF ident ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
		want_id := ident::uuid;
	END IF;

	IF query_type = 'find_broker_by_zip' THEN
		want_zip := pg_catalog.substring(ident, '^([0-9]{5})(?:-[0-9]{4})?$');
		IF want_zip IS NULL THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'served', false, 'query_type', query_type,
				'message', pg_catalog.format('"%s" is not a US ZIP code.', pg_catalog.left(ident, 40)));
		END IF;
		SELECT b.* INTO broker FROM vapi_pool.territories t
			JOIN vapi_pool.brokers b ON b.org_id = t.org_id AND b.id = t.broker_id
			WHERE t.org_id = org AND t.zip = want_zip::vapi_pool.us_zip;
		IF NOT FOUND THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'served', false, 'zip', want_zip, 'query_type', query_type,
				'message', pg_catalog.format('No broker serves ZIP %s.', want_zip));
		END IF;
		RETURN pg_catalog.jsonb_build_object('found', true, 'served', true, 'zip', want_zip, 'query_type', query_type,
			'broker', vapi_pool.broker_card(broker));
	END IF;

	IF want_id IS NULL THEN
		region := (SELECT o.default_region FROM vapi_pool.orgs o WHERE o.org_id = org);
		want_phone := vapi_pool.e164_try_parse(ident, coalesce(region, 'US'));
	END IF;

	IF query_type = 'get_lead_details' THEN
		IF want_id IS NULL AND want_phone IS NULL THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
				'message', pg_catalog.format('"%s" is neither a lead id nor a phone number.', pg_catalog.left(ident, 40)));
		END IF;
		-- several leads may share a phone: the most recently updated one answers
		SELECT l.* INTO lead FROM vapi_pool.leads l
			WHERE l.org_id = org AND (l.id = want_id OR l.primary_phone_e164 = want_phone)
			ORDER BY l.updated_at DESC, l.id LIMIT 1;
		IF NOT FOUND THEN
			RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
				'message', CASE WHEN want_id IS NULL THEN pg_catalog.format('No lead has the phone number %s.', want_phone)
								ELSE 'No lead has that id.' END);
		END IF;
		SELECT b.* INTO broker FROM vapi_pool.brokers b WHERE b.org_id = org AND b.id = lead.broker_id;
		matches := (SELECT pg_catalog.count(*) FROM vapi_pool.leads l
					WHERE l.org_id = org AND (l.id = want_id OR l.primary_phone_e164 = want_phone));
		RETURN pg_catalog.jsonb_build_object('found', true, 'query_type', query_type, 'matches', matches,
			'lead', pg_catalog.jsonb_build_object(
				'id', lead.id, 'first_name', lead.first_name, 'last_name', lead.last_name, 'name', lead.name,
				'phone', lead.primary_phone_e164::text, 'email', lead.email, 'zip', lead.zip, 'status', lead.status,
				'zip_served', lead.zip IS NOT NULL AND EXISTS (SELECT FROM vapi_pool.territories t
					WHERE t.org_id = org AND t.zip = lead.zip),
				'broker', CASE WHEN broker.id IS NULL THEN NULL ELSE vapi_pool.broker_card(broker) END));
	END IF;

	-- get_broker_details: by id, e-mail address or either phone number
	SELECT b.* INTO broker FROM vapi_pool.brokers b
		WHERE b.org_id = org
		  AND (b.id = want_id OR pg_catalog.lower(b.email) = pg_catalog.lower(ident)
			   OR b.primary_phone_e164 = want_phone OR b.secondary_phone_e164 = want_phone)
		ORDER BY b.created_at, b.id LIMIT 1;
	IF NOT FOUND THEN
		RETURN pg_catalog.jsonb_build_object('found', false, 'query_type', query_type,
			'message', 'No broker matches that id, e-mail address or phone number.');
	END IF;
	RETURN pg_catalog.jsonb_build_object('found', true, 'query_type', query_type,
		'broker', vapi_pool.broker_card(broker) || pg_catalog.jsonb_build_object(
			'email', broker.email,
			'zips_served', (SELECT pg_catalog.count(*) FROM vapi_pool.territories t
							WHERE t.org_id = org AND t.broker_id = broker.id)));
END
$$;
COMMENT ON FUNCTION supabase_query(text, text) IS
	'the assistant''s read-only lookup tool: get_lead_details (lead id or phone), find_broker_by_zip, get_broker_details (id, e-mail or phone)';

REVOKE EXECUTE ON FUNCTION supabase_query(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supabase_query(text, text) TO authenticated, service_role;
