/*
 * assistant_opening.c
 *	  SQL: assistant_opening(org_id, assistant_id, role) -> jsonb, the keys of
 *	  a call's assistantOverrides that open it with the organisation's
 *	  recording disclosure (194_assistants.sql says what they are).
 *
 * Every answered assistant-request and every create-call job asks for it.
 * It was a SQL function until 0.10.0; one with a sub-select is never
 * inlined, so each call planned its query again (about half of an
 * assistant-request's database time).  Here the query is a saved plan.  It
 * runs with the caller's rights, as the SQL function did: a member of
 * another organisation gets '{}'.
 */
#include "core/json.h"
#include "core/saved_plans.h"

#include "catalog/pg_type.h"

PG_FUNCTION_INFO_V1(vapi_pool_assistant_opening);

static VpPlan opening = {
	.sql = "SELECT pg_catalog.jsonb_build_object('firstMessage', pg_catalog.concat_ws(' ',"
	"   pg_catalog.btrim(o.recording_disclosure),"
	"   (SELECT a.first_message FROM vapi_pool.vapi_assistants a"
	"    WHERE a.vapi_assistant_id = $2 OR a.role = $3"
	"    ORDER BY a.vapi_assistant_id = $2 DESC LIMIT 1)),"
	"  'firstMessageMode', 'assistant-speaks-first')"
	" FROM vapi_pool.orgs o WHERE o.org_id = $1 AND o.recording_disclosure IS NOT NULL",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, TEXTOID}
};

/*
 * SQL: assistant_opening(org_id uuid, assistant_id text, role text) -> jsonb.
 * firstMessage (the disclosure, then the assistant's own first message: the
 * one recorded for that id, else for the role) and firstMessageMode; '{}'
 * when the organisation has no disclosure.
 */
Datum
vapi_pool_assistant_opening(PG_FUNCTION_ARGS)
{
	Datum		args[3];
	char		nulls[4] = "   ";
	Datum		result = (Datum) 0;
	bool		isnull = true;

	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(vp_jsonb_from_text("{}"));
	for (int i = 0; i < 3; i++)
	{
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	vp_spi_connect();
	vp_execute(&opening, args, nulls, 1);
	if (SPI_processed == 1)
	{
		Datum		row = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);

		if (!isnull)
			result = SPI_datumTransfer(row, false, -1);
	}
	SPI_finish();
	if (isnull)
		PG_RETURN_DATUM(vp_jsonb_from_text("{}"));
	PG_RETURN_DATUM(result);
}
