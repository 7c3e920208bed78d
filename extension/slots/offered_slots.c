/*
 * offered_slots.c
 *	  SQL: offered_slot_id(org_id, vapi_call_id, said, broker_id); the
 *	  database side of "book what was offered" (release 0.6.0, issue 19).
 *
 * A check of free times stores what it offered in vapi_pool.offered_slots
 * (offer_free_slots, 181_booking_offers.sql): per call, per round of
 * offers, each slot's start, end, place in its list and label, the words
 * the assistant read out.  A booking names its start the way the caller
 * chose it; this file finds the one offered slot it means:
 *
 *	1. the label exactly as offered (case, spacing, punctuation and a zone
 *	   in parentheses aside);
 *	2. else the words read by spoken_slot.c, fitted against every slot
 *	   offered in the call (the latest round's place in the list for "the
 *	   second one"); an hour alone ("Tuesday at 9") prefers the slots on the
 *	   hour when some fit.
 *
 * One fit is the answer.  Several, none, or no offers at all are errors
 * whose message, detail and hint list the candidates: the assistant reads
 * them and asks the caller, so nothing is booked on a guess.
 */
#include "slots/offered_slots.h"
#include "slots/spoken_slot.h"
#include "core/chars.h"
#include "core/saved_plans.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(vapi_pool_offered_slot_id);

/* every slot offered in the call on one calendar (the latest offer of a start), with its local parts */
static VpPlan call_offers = {
	.sql = "WITH s AS (SELECT DISTINCT ON (o.starts_at) o.id, o.label, o.starts_at, o.round, o.position, o.timezone"
	"   FROM vapi_pool.offered_slots o"
	"   WHERE o.org_id = $1 AND o.vapi_call_id = $2 AND o.broker_id IS NOT DISTINCT FROM $3"
	"   ORDER BY o.starts_at, o.round DESC),"
	" latest AS (SELECT s.round, pg_catalog.max(s.position) AS last FROM s"
	"   WHERE s.round = (SELECT pg_catalog.max(round) FROM s) GROUP BY s.round)"
	" SELECT s.id, s.label, pg_catalog.date_part('isodow', t.l)::integer, pg_catalog.date_part('month', t.l)::integer,"
	"   pg_catalog.date_part('day', t.l)::integer, pg_catalog.date_part('hour', t.l)::integer,"
	"   pg_catalog.date_part('minute', t.l)::integer,"
	"   t.l::date - (pg_catalog.now() AT TIME ZONE s.timezone)::date,"
	"   CASE WHEN s.round = latest.round THEN s.position ELSE -1 END,"
	"   s.round = latest.round AND s.position = latest.last"
	" FROM s CROSS JOIN latest CROSS JOIN LATERAL (SELECT s.starts_at AT TIME ZONE s.timezone AS l) t"
	" ORDER BY s.starts_at",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, UUIDOID}
};

/* the columns of call_offers */
enum
{
	OFFER_COL_ID = 1,
	OFFER_COL_LABEL,
	OFFER_COL_WEEKDAY,
	OFFER_COL_MONTH,
	OFFER_COL_DAY,
	OFFER_COL_HOUR,
	OFFER_COL_MINUTE,
	OFFER_COL_DAYS_FROM_TODAY,
	OFFER_COL_POSITION,
	OFFER_COL_LAST
};

/* One offered slot as read from call_offers. */
typedef struct Offer
{
	int64		id;
	char	   *label;
	VpOfferedParts parts;
} Offer;

/* text folded for comparing labels: lower-case words of letters and digits, one space apart, no (...) */
static char *
folded(const char *text)
{
	StringInfoData s;
	int			depth = 0;
	bool		gap = false;

	initStringInfo(&s);
	for (const char *p = text; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && vp_is_alnum(c))
		{
			if (gap && s.len > 0)
				appendStringInfoChar(&s, ' ');
			appendStringInfoChar(&s, (char) vp_to_lower(c));
			gap = false;
		}
		else
			gap = true;
	}
	return s.data;
}

/* The integer in column col of row i of the last result. */
static int
int_column(uint64 i, int col)
{
	bool		isnull;
	Datum		d = vp_getdatum(i, col, &isnull);

	return isnull ? -1 : DatumGetInt32(d);
}

/* The offers of the call, in time order; *n gets their number. */
static Offer *
load_offers(Datum org, const char *call_id, Datum broker, bool has_broker, int *n)
{
	Datum		v[3] = {org, CStringGetTextDatum(call_id), broker};
	char		nulls[3] = {' ', ' ', has_broker ? ' ' : 'n'};
	Offer	   *offers;
	bool		isnull;

	vp_execute(&call_offers, v, nulls, 0);
	*n = (int) SPI_processed;
	offers = palloc0(sizeof(Offer) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		offers[i].id = DatumGetInt64(vp_getdatum(i, OFFER_COL_ID, &isnull));
		offers[i].label = TextDatumGetCString(vp_getdatum(i, OFFER_COL_LABEL, &isnull));
		offers[i].parts.weekday = int_column(i, OFFER_COL_WEEKDAY);
		offers[i].parts.month = int_column(i, OFFER_COL_MONTH);
		offers[i].parts.day = int_column(i, OFFER_COL_DAY);
		offers[i].parts.hour = int_column(i, OFFER_COL_HOUR);
		offers[i].parts.minute = int_column(i, OFFER_COL_MINUTE);
		offers[i].parts.days_from_today = int_column(i, OFFER_COL_DAYS_FROM_TODAY);
		offers[i].parts.position = int_column(i, OFFER_COL_POSITION);
		offers[i].parts.last = DatumGetBool(vp_getdatum(i, OFFER_COL_LAST, &isnull));
	}
	return offers;
}

/* The labels of the offers picked (all when picked is NULL), joined by "; ". */
static char *
labels(const Offer *offers, int n, const bool *picked)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < n; i++)
		if (picked == NULL || picked[i])
			appendStringInfo(&s, "%s%s", s.len > 0 ? "; " : "", offers[i].label);
	return s.data;
}

int64
vp_offered_slot_id(Datum org, const char *call_id, const char *said, Datum broker, bool has_broker)
{
	int			n;
	Offer	   *offers = load_offers(org, call_id, broker, has_broker, &n);
	char	   *want = folded(said);
	VpSpokenChoice choice;
	bool	   *fits;
	int			count = 0,
				on_hour = 0,
				last = -1;

	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no times were offered in this call yet"),
				 errhint("Call check_availability_and_book with action check first, then pass one of the times it lists as start.")));
	for (int i = 0; i < n; i++)
		if (strcmp(folded(offers[i].label), want) == 0)
			return offers[i].id;
	if (!vp_spoken_choice_parse(said, &choice))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" does not name a time", said),
				 errdetail("The times offered in this call were: %s.", labels(offers, n, NULL)),
				 errhint("Ask the caller which of these they want, then pass it as start exactly as written.")));

	if (choice.conflict)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" names more than one time", said),
				 errdetail("The times offered in this call were: %s.", labels(offers, n, NULL)),
				 errhint("Ask the caller which one they want, then pass it as start exactly as written.")));

	fits = palloc0(sizeof(bool) * n);
	for (int i = 0; i < n; i++)
		if ((fits[i] = vp_spoken_choice_fits(&choice, &offers[i].parts)))
		{
			count++;
			last = i;
			on_hour += offers[i].parts.minute == 0;
		}
	/* "Tuesday at 9" is 9:00 when 9:00 was offered, not 9:30 too */
	if (count > 1 && choice.hour >= 0 && !vp_spoken_choice_says_minute(&choice) && on_hour > 0)
	{
		count = 0;
		for (int i = 0; i < n; i++)
		{
			fits[i] = fits[i] && offers[i].parts.minute == 0;
			if (fits[i])
				count++, last = i;
		}
	}
	if (count == 1)
		return offers[last].id;
	if (count > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" fits more than one offered time", said),
				 errdetail("It fits: %s.", labels(offers, n, fits)),
				 errhint("Ask the caller which one they mean, then pass it as start exactly as written.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" is not one of the times offered in this call", said),
			 errdetail("The times offered were: %s.", labels(offers, n, NULL)),
			 errhint("Offer one of these, or check again for other times.")));
	return 0;					/* keep the compiler quiet */
}

/*
 * SQL: offered_slot_id(org_id, vapi_call_id, said, broker_id DEFAULT NULL)
 * -> the id of the offered slot said names (see vp_offered_slot_id), on
 * the broker's calendar, or the organisation's own when broker_id is NULL.
 */
Datum
vapi_pool_offered_slot_id(PG_FUNCTION_ARGS)
{
	int64		id;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("offered_slot_id needs org_id, vapi_call_id and said")));
	vp_spi_connect();
	id = vp_offered_slot_id(PG_GETARG_DATUM(0), text_to_cstring(PG_GETARG_TEXT_PP(1)),
							text_to_cstring(PG_GETARG_TEXT_PP(2)),
							PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3), !PG_ARGISNULL(3));
	SPI_finish();
	PG_RETURN_INT64(id);
}
