/*
 * reply_sql.c
 *	  SQL: classify_reply(reply_text, region) -> reply_classification.
 *
 * A thin wrapper around reply_classify() (reply_classify.h): the result row
 * type is looked up once per call site, and only the first
 * REPLY_MAX_ANALYSED bytes of a long (toasted) reply are fetched.
 */
#include "core/compat.h"
#include "replies/reply_sql.h"
#include "e164/e164_parse.h"
#include "replies/reply_classify.h"
#include "replies/reply_internal.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"


PG_FUNCTION_INFO_V1(vapi_pool_classify_reply);

/* See reply_sql.h: a rule table that does not compile is a build defect, not bad input. */
void
vp_reply_check_rules(void)
{
	const char *broken = reply_rules_broken();

	if (broken != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("reply classifier rule does not compile: \"%s\"", broken),
				 errdetail("A rule has more words or alternatives than the matcher allows, or an unknown token class.")));
}

/*
 * SQL: classify_reply(reply_text, region) -> (intent, phone, confidence,
 * evidence).  An unknown region is error 22023.
 */
/* the columns of classify_reply's result (reply_classification) */
enum
{
	CLASSIFICATION_INTENT,
	CLASSIFICATION_PHONE,
	CLASSIFICATION_CONFIDENCE,
	CLASSIFICATION_EVIDENCE,
	CLASSIFICATION_NATTS
};

Datum
vapi_pool_classify_reply(PG_FUNCTION_ARGS)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(0));
	/* a value stored out of line or compressed: fetch only what is read */
	text	   *reply = VARATT_IS_EXTERNAL(raw) || VARATT_IS_COMPRESSED(raw) ?
		DatumGetTextPSlice(PG_GETARG_DATUM(0), 0, REPLY_MAX_ANALYSED) : (text *) raw;
	text	   *region = PG_GETARG_TEXT_PP(1);
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	ReplyResult r;
	Datum		values[CLASSIFICATION_NATTS];
	bool		nulls[CLASSIFICATION_NATTS] = {false};

	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		vp_reply_check_rules();
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "classify_reply called in a context that cannot accept a row");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		fcinfo->flinfo->fn_extra = tupdesc;
		MemoryContextSwitchTo(old);
	}

	if (!reply_classify(VARDATA_ANY(reply), VARSIZE_ANY_EXHDR(reply),
						VARDATA_ANY(region), (int) VARSIZE_ANY_EXHDR(region), &r))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown region \"%s\" for classify_reply", text_to_cstring(region)),
				 errdetail("Numbers written without a country code are read as numbers of this region."),
				 errhint("Use an ISO 3166-1 alpha-2 code such as US, GB, CA, AU or DE.")));

	values[CLASSIFICATION_INTENT] = CStringGetTextDatum(reply_intent_name(r.intent));
	values[CLASSIFICATION_PHONE] = Int64GetDatum(e164_pack(&r.phone));
	nulls[CLASSIFICATION_PHONE] = !r.has_phone;
	values[CLASSIFICATION_CONFIDENCE] = Float4GetDatum((float4) r.confidence);
	values[CLASSIFICATION_EVIDENCE] = CStringGetTextDatum(r.evidence);
	nulls[CLASSIFICATION_EVIDENCE] = r.evidence[0] == '\0';
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
