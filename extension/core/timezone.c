/*
 * timezone.c
 *	  Validation of IANA time zone names against PostgreSQL's own zone list.
 *
 * A broker's time zone is handed to Cal.com and used to place calling
 * windows, so it must be a real IANA zone name, spelled exactly as the zone
 * database spells it.  PostgreSQL alone would accept more: abbreviations
 * ("PST"), POSIX specifications ("UTC+3") and any capitalisation.  This file
 * checks a name against the zones PostgreSQL enumerates for
 * pg_timezone_names, loaded once per backend into a sorted array.
 */
#include "postgres.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* The zone names of pg_timezone_names, sorted with strcmp; NULL until loaded. */
static const char **zone_names = NULL;
static int	zone_count = 0;

/* qsort/bsearch comparator over an array of C strings. */
static int
zone_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Load the zone list on first use.  The enumeration allocates in a scratch
 * context; only the copied names live on, in TopMemoryContext, and the array
 * is published only once complete so that an error leaves nothing half-built.
 */
static void
load_zone_names(void)
{
	MemoryContext scratch;
	MemoryContext old;
	pg_tzenum  *zones;
	pg_tz	   *tz;
	const char **names;
	int			count = 0;
	int			capacity = 1024;

	if (zone_names != NULL)
		return;

	scratch = AllocSetContextCreate(CurrentMemoryContext, "vapi_pool zone list",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	names = MemoryContextAlloc(TopMemoryContext, capacity * sizeof(char *));
	zones = pg_tzenumerate_start();
	while ((tz = pg_tzenumerate_next(zones)) != NULL)
	{
		if (count == capacity)
		{
			capacity *= 2;
			names = repalloc(names, capacity * sizeof(char *));
		}
		names[count++] = MemoryContextStrdup(TopMemoryContext, pg_get_timezone_name(tz));
	}
	pg_tzenumerate_end(zones);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);

	qsort(names, count, sizeof(char *), zone_name_cmp);
	zone_count = count;
	zone_names = names;
}

/* The zone spelled exactly like name, or NULL. */
static const char *
find_zone(const char *name)
{
	const char **hit;

	load_zone_names();
	hit = bsearch(&name, zone_names, zone_count, sizeof(char *), zone_name_cmp);
	return hit ? *hit : NULL;
}

/* A zone whose name differs from name only in letter case, or NULL. */
static const char *
find_zone_ignoring_case(const char *name)
{
	load_zone_names();
	for (int i = 0; i < zone_count; i++)
		if (pg_strcasecmp(zone_names[i], name) == 0)
			return zone_names[i];
	return NULL;
}

PG_FUNCTION_INFO_V1(vapi_pool_timezone_is_valid);

/* timezone_is_valid(text): is the name an IANA zone of pg_timezone_names? */
Datum
vapi_pool_timezone_is_valid(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_BOOL(find_zone(name) != NULL);
}

PG_FUNCTION_INFO_V1(vapi_pool_check_timezone);

/*
 * check_timezone(text): true for a valid zone name, otherwise an error that
 * says what is wrong (the CHECK of the iana_timezone domain, so that a bad
 * broker time zone is reported with a useful message instead of a bare
 * check_violation).
 */
Datum
vapi_pool_check_timezone(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *suggestion;

	if (find_zone(name) != NULL)
		PG_RETURN_BOOL(true);

	suggestion = find_zone_ignoring_case(name);
	if (suggestion != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone name \"%s\" is not spelled as in the zone database", name),
				 errdetail("Time zones are passed to Cal.com, which needs the exact IANA spelling."),
				 errhint("Use \"%s\".", suggestion)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown time zone name \"%s\"", name),
			 errdetail("Time zones must be IANA zone names as listed in pg_timezone_names; abbreviations and UTC offsets are not accepted."),
			 errhint("Use a name such as \"America/Los_Angeles\" or \"Europe/London\".")));
	PG_RETURN_BOOL(false);		/* not reached */
}
