/*
 * calling_window.c
 *	  When a lead may be called again: not before the backoff has passed, and
 *	  only inside the calling window, in local time of the broker's zone.
 */
#include "core/settings.h"
#include "pool/pool_engine.h"

#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/*
 * The first instant at or after earliest that falls inside the calling window
 * in zone tzname.  Local times that do not exist (a DST gap) are resolved the
 * way AT TIME ZONE resolves them.
 */
TimestampTz
vp_next_attempt_time(TimestampTz earliest, const char *tzname)
{
	Datum		zone = PointerGetDatum(cstring_to_text(tzname));
	Timestamp	local;
	int64		day,
				time_of_day,
				open,
				close;
	int			start_minute,
				end_minute;

	vp_calling_window(&start_minute, &end_minute);
	open = (int64) start_minute * USECS_PER_MINUTE;
	close = (int64) end_minute * USECS_PER_MINUTE;

	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, zone, TimestampTzGetDatum(earliest)));
	day = local / USECS_PER_DAY;
	if (local < 0 && local % USECS_PER_DAY != 0)
		day--;
	time_of_day = local - day * USECS_PER_DAY;
	if (time_of_day >= open && time_of_day < close)
		return earliest;
	if (time_of_day >= close)
		day++;
	local = day * USECS_PER_DAY + open;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, zone, TimestampGetDatum(local)));
}
