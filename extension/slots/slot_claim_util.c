/*
 * slot_claim_util.c
 *	  Helpers of slot claiming: argument checks and times written in a
 *	  calendar's time zone, for messages.
 *
 * Messages name times in the zone of the calendar they are on (the broker's,
 * or the organisation's for its own calendar), as the assistant would say
 * them to a caller, never in the session's TimeZone.
 */
#include "slots/slot_claim.h"

#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/* An error if argument argno (0-based), called name in SQL, is NULL. */
void
vp_slot_require(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/*
 * An error unless 0 < value <= max_usecs, comparing as PostgreSQL compares
 * intervals (a day is 24 hours, a month 30 days).
 */
void
vp_slot_check_interval(const char *name, Interval *value, int64 max_usecs, const char *max_text)
{
	Interval	zero = {.time = 0,.day = 0,.month = 0};
	Interval	max = {.time = max_usecs,.day = 0,.month = 0};

	if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(value), IntervalPGetDatum(&zero))) <= 0 ||
		DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(value), IntervalPGetDatum(&max))) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be longer than zero and at most %s", name, max_text),
				 errdetail("%s was %s.", name,
						   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(value))))));
}

/* t as "YYYY-MM-DD HH24:MI" in the time zone zone. */
char *
vp_slot_local_time(TimestampTz t, const char *zone)
{
	Datum		local = DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum(zone),
										   TimestampTzGetDatum(t));

	return TextDatumGetCString(DirectFunctionCall2Coll(timestamp_to_char, DEFAULT_COLLATION_OID, local,
													   CStringGetTextDatum("YYYY-MM-DD HH24:MI")));
}

/*
 * An interval of a calendar for messages, in the calendar's zone:
 * "2031-03-04 10:00 to 10:30", with the end's date only when it differs.
 */
char *
vp_slot_local_span(TimestampTz start, TimestampTz end, const char *zone)
{
	char	   *from = vp_slot_local_time(start, zone);
	char	   *to = vp_slot_local_time(end, zone);

	/* both are "YYYY-MM-DD HH24:MI": the date is the first 10 characters */
	if (strlen(from) > 11 && strlen(to) > 11 && strncmp(from, to, 11) == 0)
		to += 11;
	return psprintf("%s to %s", from, to);
}

/* Column col (1-based) of row row of the last SPI result as text, or NULL. */
char *
vp_slot_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}
