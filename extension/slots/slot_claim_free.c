/*
 * slot_claim_free.c
 *	  free_slots: which candidate starts of a calendar nobody holds.
 *
 * The assistant's availability check asks Cal.com for free slots; Cal.com
 * knows nothing of the holds that other calls placed seconds ago and have
 * not booked yet.  free_slots drops the starts whose slot overlaps a booking
 * or a live hold of the calendar (expired holds do not count, as they do not
 * for claim_slot_atomic), and the starts already past, so the assistant does
 * not offer a slot another caller is about to take.  It is advice, not a
 * reservation: only claim_slot_atomic reserves.
 */
#include "core/saved_plans.h"
#include "slots/slot_claim.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_free_slots);

static VpPlan find_broker = {
	.sql = "SELECT org_id FROM vapi_pool.brokers WHERE id = $1 AND ($2::pg_catalog.uuid IS NULL OR org_id = $2)",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* The column of find_broker, counted from 1. */
enum
{
	FIND_BROKER_COL_ORG_ID = 1
};

static VpPlan find_org = {
	.sql = "SELECT org_id FROM vapi_pool.orgs WHERE org_id = coalesce($1, vapi_pool.auth_org_id())",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The column of find_org, counted from 1. */
enum
{
	FIND_ORG_COL_ORG_ID = 1
};

/*
 * Each free start once, in the order of its first appearance.  The lateral
 * LIMIT 1 makes every candidate one probe of the constraint's index with its
 * own range (a plain NOT EXISTS may read the calendar's every appointment).
 */
static VpPlan filter = {
	.sql = "SELECT coalesce(pg_catalog.array_agg(c.start ORDER BY c.n), '{}')"
	" FROM (SELECT DISTINCT ON (s.start) s.start, s.n"
	"       FROM pg_catalog.unnest($3::pg_catalog.timestamptz[]) WITH ORDINALITY AS s(start, n)"
	"       WHERE s.start >= pg_catalog.now()"
	"       ORDER BY s.start, s.n) c"
	" LEFT JOIN LATERAL ("
	"   SELECT true AS taken FROM vapi_pool.appointments a"
	"   WHERE " VP_SLOT_OVERLAPPING("a", "$1", "$2", "c.start", "$4")
	"     AND (a.status = 'booked' OR a.hold_expires_at > pg_catalog.now())"
	"   LIMIT 1) b ON true"
	" WHERE b.taken IS NULL",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZARRAYOID, INTERVALOID}
};

/* The column of filter, counted from 1. */
enum
{
	FILTER_COL_FREE_STARTS = 1
};

/*
 * The organisation of the calendar: the broker's (broker_id), which must be
 * org_id's when org_id is given; or with no broker, org_id or the caller's
 * organisation.  An error when the caller may not see it.
 */
static Datum
calendar_org(Datum broker_id, bool has_broker, Datum org_id, bool has_org)
{
	bool		isnull;

	if (has_broker)
	{
		Datum		broker_values[2] = {broker_id, has_org ? org_id : (Datum) 0};
		char		broker_nulls[2] = {' ', has_org ? ' ' : 'n'};

		vp_execute(&find_broker, broker_values, broker_nulls, 0);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 has_org ? errmsg("broker %s does not belong to organisation %s", vp_uuid_string(broker_id),
									  vp_uuid_string(org_id))
					 : errmsg("broker %s does not exist", vp_uuid_string(broker_id))));
		if (SPI_processed > 1)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("broker id %s names brokers of more than one organisation", vp_uuid_string(broker_id)),
					 errhint("Pass the broker's org_id as well.")));
		return vp_getdatum(0, FIND_BROKER_COL_ORG_ID, &isnull);
	}

	vp_execute(&find_org, &org_id, has_org ? NULL : "n", 0);
	if (SPI_processed == 0)
	{
		if (has_org)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("organisation %s does not exist", vp_uuid_string(org_id))));
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("org_id must not be null when broker_id is null"),
				 errdetail("The request names no organisation whose calendar this could be."),
				 errhint("Pass the organisation's id as org_id, or a broker_id.")));
	}
	return vp_getdatum(0, FIND_ORG_COL_ORG_ID, &isnull);
}

/*
 * SQL: free_slots(broker_id, candidate_starts, duration DEFAULT '30
 * minutes', org_id DEFAULT NULL) -> timestamptz[].  The calendar is the
 * broker's (org_id, if given, must be the broker's organisation), or with
 * broker_id NULL the organisation's own: org_id, or the caller's
 * organisation.  A calendar the caller may not see is an error, never "all
 * free".
 */
Datum
vapi_pool_free_slots(PG_FUNCTION_ARGS)
{
	bool		has_broker = !PG_ARGISNULL(0);
	bool		has_org = !PG_ARGISNULL(3);
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		result;

	vp_slot_require(fcinfo, 1, "candidate_starts");
	vp_slot_require(fcinfo, 2, "duration");
	vp_slot_check_interval("duration", PG_GETARG_INTERVAL_P(2), VP_SLOT_MAX_DURATION_USECS,
						   VP_SLOT_MAX_DURATION_TEXT);
	/* filter's $1 to $4 */
	values[1] = has_broker ? PG_GETARG_DATUM(0) : (Datum) 0;
	nulls[1] = has_broker ? ' ' : 'n';
	values[2] = PG_GETARG_DATUM(1);
	values[3] = PG_GETARG_DATUM(2);

	vp_spi_connect();
	values[0] = calendar_org(values[1], has_broker, has_org ? PG_GETARG_DATUM(3) : (Datum) 0, has_org);
	vp_execute(&filter, values, nulls, 0);
	result = SPI_datumTransfer(vp_getdatum(0, FILTER_COL_FREE_STARTS, &isnull), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
