/*
 * calling_hours.c
 *	  When a person may be called or texted (release 0.7.0): inside the
 *	  organisation's calling hours, on its calling days and not on its
 *	  holidays, all in the called person's own local time.
 *
 * The person's zone is leads.timezone when set.  Otherwise it is the zones
 * libphonenumber gives for the number (e164/e164_timezones.h): a number
 * whose prefix spans several zones may be called only when the time is
 * allowed in every one of them, so the answer is the first instant allowed
 * in all.  A lead with no number, or a number with no known zone, has the
 * zone of the lead's broker (else the organisation's).  Zones whose windows
 * never meet (a +1 800 number spans Guam to Pago Pago) allow no time at all:
 * the person cannot be called until leads.timezone says where they are.  Hours are orgs.calling_hours_start/end, else the
 * deployment's vapi_pool.calling_window; days are orgs.calling_days (ISO);
 * holidays are calling_holidays, as the person's local date.
 *
 * The search moves forward only: in one zone, to the next opening of an
 * allowed day; across zones, to the next instant each zone allows, until
 * all agree.  Local times that do not exist (a DST gap) are resolved the way
 * AT TIME ZONE resolves them; the result is always an instant at which the
 * local clock of every zone reads an allowed time.
 *
 * SQL: next_call_time(org_id, lead_id, phone, earliest) and
 * lead_timezones(org_id, lead_id), for operators and tests.
 */
#include "compliance/compliance.h"
#include "core/saved_plans.h"
#include "core/settings.h"
#include "e164/e164_parse.h"
#include "e164/e164_timezones.h"

#include "catalog/pg_type.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_next_call_time);
PG_FUNCTION_INFO_V1(vapi_pool_lead_timezones);

/* How far ahead an allowed time is looked for before giving up. */
#define SEARCH_DAYS 400

/* The most zones a person may be in (all of the NANP is 42). */
#define MAX_ZONES 64

/* An organisation's calling rules, as read for one person. */
typedef struct CallingRules
{
	int64		open;			/* local time of day the window opens, usecs */
	int64		close;			/* local time of day it closes (exclusive) */
	bool		day_allowed[8];	/* by ISO day of the week, 1..7 */
	DateADT    *holidays;		/* sorted local dates */
	int			nholidays;
	const char *zones[MAX_ZONES];	/* the person's zones */
	int			nzones;
	const char *fallback_zone;	/* the broker's, else the organisation's */
} CallingRules;

/*
 * The rules and the person: the organisation's hours ($4, $5: the
 * deployment's window in minutes, used when the organisation has none) and
 * days, its holidays from a day before earliest ($6) onwards, the lead's own
 * zone and number ($2; or $3 when given), the broker's or organisation's zone.
 */
static VpPlan load_rules = {
	.sql = "SELECT COALESCE(EXTRACT(epoch FROM o.calling_hours_start)::bigint / 60, $4::bigint),"
	"   COALESCE(EXTRACT(epoch FROM o.calling_hours_end)::bigint / 60, $5::bigint),"
	"   o.calling_days, l.timezone::text, COALESCE($3, l.primary_phone_e164),"
	"   COALESCE(b.timezone, o.timezone)::text,"
	"   ARRAY(SELECT h.day FROM vapi_pool.calling_holidays h"
	"     WHERE h.org_id = o.org_id AND h.day >= ($6::timestamptz AT TIME ZONE 'UTC')::date - 1"
	"       AND h.day <= ($6::timestamptz AT TIME ZONE 'UTC')::date + " CppAsString2(SEARCH_DAYS) " + 1"
	"     ORDER BY h.day)"
	" FROM vapi_pool.orgs o"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = o.org_id AND l.id = $2"
	" LEFT JOIN vapi_pool.brokers b ON b.org_id = o.org_id AND b.id = l.broker_id"
	" WHERE o.org_id = $1",
	.nargs = 6, .argtypes = {UUIDOID, UUIDOID, VP_E164_ARG, INT4OID, INT4OID, TIMESTAMPTZOID}
};

/* The columns of load_rules, counted from 1. */
enum
{
	RULES_COL_OPEN_MINUTE = 1,
	RULES_COL_CLOSE_MINUTE,
	RULES_COL_DAYS,
	RULES_COL_LEAD_ZONE,
	RULES_COL_PHONE,
	RULES_COL_FALLBACK_ZONE,
	RULES_COL_HOLIDAYS
};

/* Whether PostgreSQL knows the zone (libphonenumber may name one it lacks). */
static bool
zone_known(const char *name)
{
	return pg_tzset(name) != NULL;
}

/* The zones of a packed e164 number that PostgreSQL knows, into rules. */
static void
add_number_zones(int64 packed, CallingRules *rules)
{
	char		digits[16];
	int			ndigits = e164_unpack_digits(packed, digits);
	const char *const *zones;
	int			n;

	if (ndigits <= 0)
		return;
	n = e164_timezones(digits, ndigits, &zones);
	for (int i = 0; i < n && rules->nzones < MAX_ZONES; i++)
		if (zone_known(zones[i]))
			rules->zones[rules->nzones++] = zones[i];
}

/* Reads the rules of the organisation for the lead or number; errors when the organisation is unknown. */
static void
read_rules(Datum org_id, Datum lead_id, Datum phone, TimestampTz earliest, CallingRules *rules)
{
	int			open_minute,
				close_minute;
	Datum		v[6];
	char		nulls[6] = {' ', lead_id == (Datum) 0 ? 'n' : ' ', phone == (Datum) 0 ? 'n' : ' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		d;

	vp_calling_window(&open_minute, &close_minute);
	v[0] = org_id;
	v[1] = lead_id;
	v[2] = phone;
	v[3] = Int32GetDatum(open_minute);
	v[4] = Int32GetDatum(close_minute);
	v[5] = TimestampTzGetDatum(earliest);
	vp_execute(&load_rules, v, nulls, 1);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("organisation %s does not exist", vp_uuid_string(org_id))));

	memset(rules, 0, sizeof(*rules));
	rules->open = DatumGetInt64(vp_getdatum(0, RULES_COL_OPEN_MINUTE, &isnull)) * USECS_PER_MINUTE;
	rules->close = DatumGetInt64(vp_getdatum(0, RULES_COL_CLOSE_MINUTE, &isnull)) * USECS_PER_MINUTE;

	d = vp_getdatum(0, RULES_COL_DAYS, &isnull);
	{
		Datum	   *days;
		int			ndays;

		deconstruct_array(DatumGetArrayTypeP(d), INT2OID, 2, true, TYPALIGN_SHORT, &days, NULL, &ndays);
		for (int i = 0; i < ndays; i++)
			rules->day_allowed[DatumGetInt16(days[i])] = true;
	}
	d = vp_getdatum(0, RULES_COL_HOLIDAYS, &isnull);
	{
		Datum	   *days;

		deconstruct_array(DatumGetArrayTypeP(d), DATEOID, 4, true, TYPALIGN_INT, &days, NULL,
						  &rules->nholidays);
		rules->holidays = palloc(sizeof(DateADT) * Max(rules->nholidays, 1));
		for (int i = 0; i < rules->nholidays; i++)
			rules->holidays[i] = DatumGetDateADT(days[i]);
	}

	d = vp_getdatum(0, RULES_COL_FALLBACK_ZONE, &isnull);
	rules->fallback_zone = isnull ? "UTC" : TextDatumGetCString(d);
	d = vp_getdatum(0, RULES_COL_LEAD_ZONE, &isnull);
	if (!isnull)
		rules->zones[rules->nzones++] = TextDatumGetCString(d);
	else
	{
		d = vp_getdatum(0, RULES_COL_PHONE, &isnull);
		if (!isnull)
			add_number_zones(DatumGetInt64(d), rules);
	}
}

/* Whether the local date is one of the organisation's holidays. */
static bool
is_holiday(const CallingRules *rules, DateADT date)
{
	int			lo = 0,
				hi = rules->nholidays - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (rules->holidays[mid] == date)
			return true;
		if (rules->holidays[mid] < date)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/*
 * The first instant at or after t that the rules allow in zone, or
 * DT_NOEND when none comes within SEARCH_DAYS.
 */
static TimestampTz
next_in_zone(const CallingRules *rules, const char *zone, TimestampTz t)
{
	Datum		zone_text = PointerGetDatum(cstring_to_text(zone));

	for (int step = 0; step < 2 * SEARCH_DAYS; step++)
	{
		Timestamp	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, zone_text,
																  TimestampTzGetDatum(t)));
		int64		day = local / USECS_PER_DAY;
		int64		time_of_day;
		int			isodow;
		bool		allowed_day;
		Timestamp	target;
		TimestampTz next;

		if (local < 0 && local % USECS_PER_DAY != 0)
			day--;
		time_of_day = local - day * USECS_PER_DAY;
		/* day 0 is 2000-01-01, a Saturday (ISO 6) */
		isodow = (int) (((day % 7) + 7 + 5) % 7) + 1;
		allowed_day = rules->day_allowed[isodow] && !is_holiday(rules, (DateADT) day);
		if (allowed_day && time_of_day >= rules->open && time_of_day < rules->close)
			return t;
		target = (allowed_day && time_of_day < rules->open ? day : day + 1) * USECS_PER_DAY + rules->open;
		next = DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, zone_text, TimestampGetDatum(target)));
		/* a DST jump may map the opening back before t: move on a day */
		t = next > t ? next : t + USECS_PER_DAY;
	}
	return DT_NOEND;
}

/*
 * The first instant at or after earliest allowed in every one of the zones,
 * or DT_NOEND when their windows never meet within SEARCH_DAYS.
 */
static TimestampTz
next_in_all(const CallingRules *rules, const char *const *zones, int nzones, TimestampTz earliest)
{
	TimestampTz t = earliest;
	TimestampTz limit = earliest + (TimestampTz) SEARCH_DAYS * USECS_PER_DAY;

	while (t < limit)
	{
		bool		moved = false;

		for (int i = 0; i < nzones; i++)
		{
			TimestampTz next = next_in_zone(rules, zones[i], t);

			if (next == DT_NOEND)
				return DT_NOEND;
			if (next != t)
			{
				t = next;
				moved = true;
			}
		}
		if (!moved)
			return t;
	}
	return DT_NOEND;
}

/*
 * The first allowed instant for the rules' person at or after earliest, or
 * DT_NOEND when none comes within SEARCH_DAYS (also for an earliest that is
 * not finite).
 */
static TimestampTz
next_allowed(const CallingRules *rules, TimestampTz earliest)
{
	if (TIMESTAMP_NOT_FINITE(earliest))
		return DT_NOEND;
	if (rules->nzones > 0)
		return next_in_all(rules, rules->zones, rules->nzones, earliest);
	return next_in_all(rules, &rules->fallback_zone, 1, earliest);
}

/*
 * The first instant at or after earliest at which the organisation may call
 * or text the lead (or the number phone), DT_NOEND when there is none: see
 * the file header.
 */
TimestampTz
vp_next_call_time(Datum org_id, Datum lead_id, Datum phone, TimestampTz earliest, const char *fallback_zone)
{
	CallingRules rules;

	read_rules(org_id, lead_id, phone, earliest, &rules);
	if (fallback_zone != NULL)
		rules.fallback_zone = fallback_zone;
	return next_allowed(&rules, earliest);
}

/* See compliance.h. */
int
vp_lead_zones(Datum org_id, Datum lead_id, Datum phone, const char **zones, int max)
{
	CallingRules rules;
	int			n = 0;

	read_rules(org_id, lead_id, phone, GetCurrentTransactionStartTimestamp(), &rules);
	if (rules.nzones == 0)
		zones[n++] = rules.fallback_zone;
	for (int i = 0; i < rules.nzones && n < max; i++)
		zones[n++] = rules.zones[i];
	return n;
}

/*
 * next_call_time(org_id, lead_id, phone, earliest): when the organisation
 * may call the lead (or, lead_id NULL, the number) at the earliest; NULL
 * when no time within SEARCH_DAYS is allowed in all the person's zones.
 */
Datum
vapi_pool_next_call_time(PG_FUNCTION_ARGS)
{
	TimestampTz result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(3) || (PG_ARGISNULL(1) && PG_ARGISNULL(2)))
		PG_RETURN_NULL();
	vp_spi_connect();
	result = vp_next_call_time(PG_GETARG_DATUM(0), PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
							   PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2),
							   PG_GETARG_TIMESTAMPTZ(3), NULL);
	SPI_finish();
	if (result == DT_NOEND)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(result);
}

/*
 * lead_timezones(org_id, lead_id): the zones whose local time decides when
 * the lead is called (its own, else its number's, else the fallback).
 */
Datum
vapi_pool_lead_timezones(PG_FUNCTION_ARGS)
{
	CallingRules rules;
	Datum	   *elems;
	ArrayType  *result;
	MemoryContext cxt = CurrentMemoryContext;
	MemoryContext spi;

	vp_spi_connect();
	read_rules(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), (Datum) 0, GetCurrentTransactionStartTimestamp(), &rules);
	spi = MemoryContextSwitchTo(cxt);
	if (rules.nzones == 0)
		rules.zones[rules.nzones++] = rules.fallback_zone;
	elems = palloc(sizeof(Datum) * rules.nzones);
	for (int i = 0; i < rules.nzones; i++)
		elems[i] = CStringGetTextDatum(rules.zones[i]);
	result = construct_array(elems, rules.nzones, TEXTOID, -1, false, TYPALIGN_INT);
	MemoryContextSwitchTo(spi);
	SPI_finish();
	PG_RETURN_ARRAYTYPE_P(result);
}
