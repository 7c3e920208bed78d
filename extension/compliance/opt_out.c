/*
 * opt_out.c
 *	  A person asking not to be contacted, from any channel (release 0.7.0):
 *	  an Instantly unsubscribe (replies/instantly_event.c), the assistants'
 *	  record_opt_out tool and an end-of-call report whose analysis says so
 *	  (webhook/), or an operator (SQL record_opt_out).
 *
 * An opt-out is a row of the organisation's do_not_call list; adding it
 * applies it (do_not_call.c: leads do_not_call, queued calls and texts
 * suppressed, their numbers released).  Recording an opt-out twice is
 * harmless: the first source and time are kept, and anything queued since
 * is stopped again.
 */
#include "compliance/compliance.h"
#include "core/saved_plans.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(vapi_pool_record_opt_out);

/* The number on the organisation's list (the trigger applies a new row). */
static VpPlan add_listing = {
	.sql = "INSERT INTO vapi_pool.do_not_call (org_id, phone, reason, source, source_id)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, phone) DO NOTHING",
	.nargs = 5, .argtypes = {UUIDOID, VP_E164_ARG, TEXTOID, TEXTOID, TEXTOID}
};

/* See compliance.h. */
void
vp_record_opt_out(Datum org_id, Datum phone, const char *source, const char *source_id, const char *reason,
				  VpOptOut *out)
{
	Datum		v[5] = {org_id, phone, reason ? CStringGetTextDatum(reason) : (Datum) 0,
		CStringGetTextDatum(source), source_id ? CStringGetTextDatum(source_id) : (Datum) 0};
	char		nulls[5] = {' ', ' ', reason ? ' ' : 'n', ' ', source_id ? ' ' : 'n'};

	memset(out, 0, sizeof(*out));
	vp_collect_do_not_call(out);
	PG_TRY();
	{
		vp_execute(&add_listing, v, nulls, 0);
		out->newly_added = SPI_processed == 1;
		if (!out->newly_added)
			vp_apply_do_not_call(org_id, phone, out);
	}
	PG_FINALLY();
	{
		vp_collect_do_not_call(NULL);
	}
	PG_END_TRY();
}

/*
 * record_opt_out(org_id, phone, source, reason): the opt-out recorded and
 * applied, with what it did.
 */
Datum
vapi_pool_record_opt_out(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	VpOptOut	out;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	Datum		result;

	vp_spi_connect();
	vp_record_opt_out(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), text_to_cstring(PG_GETARG_TEXT_PP(2)), NULL,
					  PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)), &out);
	values[0] = BoolGetDatum(out.newly_added);
	values[1] = Int64GetDatum(out.leads_marked);
	values[2] = Int64GetDatum(out.calls_cancelled);
	values[3] = Int64GetDatum(out.texts_cancelled);
	values[4] = Int64GetDatum(out.numbers_released);
	result = vp_result_values(fcinfo, cxt, values, nulls);
	SPI_finish();
	return result;
}
