/*
 * number_timezones.c
 *	  SQL access to the number -> time zone table (e164/e164_timezones.h).
 *
 * number_timezones(e164) is the table's answer for one number as a text
 * array (empty when the zone is unknown); number_timezone_names() lists
 * every zone the table can answer, so that a test can hold them against
 * pg_timezone_names.  The rule itself (libphonenumber's
 * time_zones_for_number) lives in the generated table; see docs/e164.md.
 */
#include "core/compat.h"
#include "e164/e164_parse.h"
#include "e164/e164_timezones.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(e164_number_timezones);
PG_FUNCTION_INFO_V1(e164_number_timezone_names);

/* number_timezones(e164): the number's IANA zones, '{}' when unknown. */
Datum
e164_number_timezones(PG_FUNCTION_ARGS)
{
	int64		packed = PG_GETARG_INT64(0);
	char		digits[E164_MAX_DIGITS + 1];
	int			ndigits = e164_unpack_digits(packed, digits);
	const char *const *zones;
	int			n;
	Datum	   *elems;

	if (ndigits < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt e164 value %lld", (long long) packed)));
	n = e164_timezones(digits, ndigits, &zones);
	elems = palloc(sizeof(Datum) * (n > 0 ? n : 1));
	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(zones[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* number_timezone_names(): every zone of the table, one row each, by name. */
Datum
e164_number_timezone_names(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;

	if (SRF_IS_FIRSTCALL())
		SRF_FIRSTCALL_INIT();
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr < (uint64) e164_timezone_count())
	{
		/* SRF_RETURN_NEXT counts the row before it reads its argument */
		Datum		name = CStringGetTextDatum(e164_timezone_name((int) funcctx->call_cntr));

		SRF_RETURN_NEXT(funcctx, name);
	}
	SRF_RETURN_DONE(funcctx);
}
