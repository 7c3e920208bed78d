/*
 * reply_time_sql.c
 *	  SQL: reply_call_time(reply_text, received_at, zone) -> timestamptz,
 *	  and vp_reply_call_time() for the Instantly flow.
 *
 * reply_time.c reads the wish and resolves it in local days and minutes;
 * this file turns the arrival instant into the local date and minute of
 * the zone the wish is read in (the zone it names, else the lead's) and the
 * answer back into an instant, with PostgreSQL's zone rules, so a wish
 * across a daylight-saving change lands on the local clock time asked for.
 */
#include "core/compat.h"
#include "replies/reply_sql.h"
#include "replies/reply_time.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"


PG_FUNCTION_INFO_V1(vapi_pool_reply_call_time);

/* See reply_sql.h. */
TimestampTz
vp_reply_call_time(const char *text, size_t len, TimestampTz received, const char *lead_zone)
{
	ReplyTimeWish wish;
	RtResolved	r;
	Datum		zone;
	Timestamp	local;
	int64		day;

	if (!reply_time_wish(text, len, &wish) || TIMESTAMP_NOT_FINITE(received))
		return DT_NOBEGIN;
	zone = CStringGetTextDatum(wish.zone != NULL ? wish.zone : lead_zone);
	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, zone, TimestampTzGetDatum(received)));
	day = local / USECS_PER_DAY;
	if (local < 0 && local % USECS_PER_DAY != 0)
		day--;
	r = reply_time_resolve(&wish, (int32_t) day, (int) ((local - day * USECS_PER_DAY) / USECS_PER_MINUTE));
	switch (r.outcome)
	{
		case RT_NOW:
			return DT_NOBEGIN;
		case RT_RELATIVE:
			return received + (TimestampTz) r.minutes * USECS_PER_MINUTE;
		case RT_LOCAL:
			break;
	}
	local = (Timestamp) r.day * USECS_PER_DAY + (Timestamp) r.minute * USECS_PER_MINUTE;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, zone, TimestampGetDatum(local)));
}

/*
 * SQL: reply_call_time(reply_text, received_at, zone): when the reply asks
 * to be called, read in zone (the lead's); NULL when it names no time or
 * the time it names has begun.  An unknown zone is error 22023.
 */
Datum
vapi_pool_reply_call_time(PG_FUNCTION_ARGS)
{
	text	   *reply = PG_GETARG_TEXT_PP(0);
	TimestampTz received = PG_GETARG_TIMESTAMPTZ(1);
	char	   *zone = text_to_cstring(PG_GETARG_TEXT_PP(2));
	TimestampTz at;

	if (pg_tzset(zone) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", zone),
				 errhint("Use an IANA zone name such as America/Chicago.")));
	at = vp_reply_call_time(VARDATA_ANY(reply), VARSIZE_ANY_EXHDR(reply), received, zone);
	if (at == DT_NOBEGIN)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(at);
}
