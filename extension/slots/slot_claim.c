/*
 * slot_claim.c
 *	  claim_slot_atomic: a hold on a slot of a broker's or an organisation's
 *	  calendar that no concurrent caller can also get (seed 004, section 3).
 *
 * The seed's version locks the slot's rows with SELECT ... FOR UPDATE before
 * inserting; when nobody has booked the slot yet there is no row to lock, so
 * two callers both insert.  Here the decision is the exclusion constraint
 * appointments_no_overlap's: the hold is inserted with ON CONFLICT DO
 * NOTHING, which uses every unique and exclusion constraint of the table as
 * its arbiter.  An insert that meets a concurrent uncommitted overlapping
 * claim, or an appointment another transaction is changing (releasing,
 * confirming), waits for that transaction: it inserts if the slot is free
 * once that one ends, and does nothing if not.  No subtransaction is needed
 * to survive the conflict.
 *
 * Before inserting, the claim reads what its slot overlaps among committed
 * appointments, through the constraint's index, most telling first:
 *
 * - the contact's own live hold on exactly this slot: returned again
 *   (idempotent), its expiry pushed out to now() + hold; the contact's own
 *   booking of it: returned as it is;
 * - any other booking or live hold: the error "slot already booked"
 *   (SQLSTATE 23P01, exclusion_violation), naming the appointment in the
 *   calendar's zone, with nothing written;
 * - expired holds only: they are cancelled (cancel_reason 'expired').  They
 *   still satisfy the constraint's predicate (status 'held'), which cannot
 *   depend on the time, so they would block the insert.
 *
 * This look ahead only saves the insert where its outcome is certain: an
 * appointment that another transaction is changing or has locked (its xmax
 * is set) may be about to free the slot, so then the insert decides, waiting
 * as above.  An insert that does nothing lost to a concurrent claim: the
 * claim looks again (now deciding on what it sees) and reports the winner,
 * or, if the winner is already gone, tries again, up to CLAIM_TRIES inserts.
 */
#include "slots/slot_claim.h"
#include "core/saved_plans.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_claim_slot_atomic);

/* Inserts a claim tries when what they meet is gone by the time it looks. */
#define CLAIM_TRIES 4

/* The calendar's zone, and whether the contact and the broker are the org's. */
static VpPlan calendar = {
	.sql = "SELECT coalesce(b.timezone, o.timezone)::text, l.id IS NOT NULL, b.id IS NOT NULL"
	" FROM vapi_pool.orgs o"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = o.org_id AND l.id = $2"
	" LEFT JOIN vapi_pool.brokers b ON b.org_id = o.org_id AND b.id = $3"
	" WHERE o.org_id = $1",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, UUIDOID}
};

/* The columns of calendar, counted from 1. */
enum
{
	CALENDAR_COL_ZONE = 1,
	CALENDAR_COL_CONTACT_FOUND,
	CALENDAR_COL_BROKER_FOUND
};

static VpPlan cancel_expired = {
	.sql = VP_SLOT_CANCEL_EXPIRED("$1", "$2", "$3", "$4"),
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, INTERVALOID}
};

static VpPlan insert_hold = {
	.sql = "INSERT INTO vapi_pool.appointments"
	" (org_id, contact_id, broker_id, status, scheduled_at, duration, hold_expires_at)"
	" VALUES ($1, $2, $3, 'held', $4, $5, pg_catalog.now() + $6)"
	" ON CONFLICT DO NOTHING"
	" RETURNING hold_id",
	.nargs = 6, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TIMESTAMPTZOID, INTERVALOID, INTERVALOID}
};

/* The column of insert_hold, counted from 1. */
enum
{
	INSERT_HOLD_COL_HOLD_ID = 1
};

/*
 * What the slot overlaps, most telling first: anything live (the contact's
 * own on exactly this slot before others), then expired holds.  busy: a
 * transaction has locked or changed this version (it may be one in
 * progress).
 */
static VpPlan conflict = {
	.sql = "SELECT a.contact_id = $5 AND a.scheduled_at = $3 AND a.ends_at = " VP_SLOT_END("$3", "$4") " AS same,"
	"       a.status = 'booked' OR a.hold_expires_at > pg_catalog.now() AS live,"
	"       a.status, a.id, a.hold_id, a.scheduled_at, a.ends_at, a.xmax <> '0'::pg_catalog.xid AS busy"
	" FROM vapi_pool.appointments a"
	" WHERE " VP_SLOT_OVERLAPPING("a", "$1", "$2", "$3", "$4")
	" ORDER BY 2 DESC, 1 DESC, a.scheduled_at, a.id"
	" LIMIT 1",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, INTERVALOID, UUIDOID}
};

/* The columns of conflict, counted from 1. */
enum
{
	CONFLICT_COL_SAME = 1,
	CONFLICT_COL_LIVE,
	CONFLICT_COL_STATUS,
	CONFLICT_COL_ID,
	CONFLICT_COL_HOLD_ID,
	CONFLICT_COL_START,
	CONFLICT_COL_END,
	CONFLICT_COL_BUSY
};

/* The contact's live hold on this slot, claimed again: it lasts at least hold more. */
static VpPlan extend_hold = {
	.sql = "UPDATE vapi_pool.appointments"
	" SET hold_expires_at = GREATEST(hold_expires_at, pg_catalog.now() + $3)"
	" WHERE org_id = $1 AND id = $2 AND status = 'held' AND hold_expires_at > pg_catalog.now()"
	" RETURNING hold_id",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, INTERVALOID}
};

/* The column of extend_hold, counted from 1. */
enum
{
	EXTEND_HOLD_COL_HOLD_ID = 1
};

/* The end of a slot, computed in UTC as appointments.ends_at is. */
static TimestampTz
slot_end(Datum start, Datum duration)
{
	return DatumGetTimestampTz(DirectFunctionCall2(timestamp_pl_interval, start, duration));
}

/*
 * Checks that the organisation, the contact and the broker (if any) exist
 * and belong together, as far as the caller may see (row level security);
 * returns the calendar's time zone.
 */
static char *
calendar_zone(Datum org_id, Datum contact_id, Datum broker_id, bool has_broker)
{
	Datum		values[3] = {org_id, contact_id, broker_id};
	char		nulls[3] = {' ', ' ', has_broker ? ' ' : 'n'};
	bool		isnull;

	vp_execute(&calendar, values, nulls, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("organisation %s does not exist", vp_uuid_string(org_id))));
	if (!DatumGetBool(vp_getdatum(0, CALENDAR_COL_CONTACT_FOUND, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("contact %s does not belong to organisation %s",
						vp_uuid_string(contact_id), vp_uuid_string(org_id)),
				 errdetail("A slot is held for a contact (a lead) of the organisation whose calendar it is on.")));
	if (has_broker && !DatumGetBool(vp_getdatum(0, CALENDAR_COL_BROKER_FOUND, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("broker %s does not belong to organisation %s",
						vp_uuid_string(broker_id), vp_uuid_string(org_id)),
				 errhint("Pass broker_id NULL for the organisation's own calendar.")));
	return vp_slot_text(0, CALENDAR_COL_ZONE);
}

/* The error for a slot that overlaps the appointment the conflict plan found. */
static void
pg_attribute_noreturn()
slot_taken(Datum slot_time, Datum duration, const char *zone)
{
	bool		isnull;
	TimestampTz other_start = DatumGetTimestampTz(vp_getdatum(0, CONFLICT_COL_START, &isnull));
	TimestampTz other_end = DatumGetTimestampTz(vp_getdatum(0, CONFLICT_COL_END, &isnull));
	bool		booked = strcmp(vp_slot_text(0, CONFLICT_COL_STATUS), "booked") == 0;

	ereport(ERROR,
			(errcode(ERRCODE_EXCLUSION_VIOLATION),
			 errmsg("slot already booked"),
			 errdetail("The slot from %s overlaps %s from %s (%s).",
					   vp_slot_local_span(DatumGetTimestampTz(slot_time), slot_end(slot_time, duration), zone),
					   booked ? "a booking" : "a hold",
					   vp_slot_local_span(other_start, other_end, zone), zone),
			 errhint("Offer another time; vapi_pool.free_slots() tells which candidate starts are free.")));
	pg_unreachable();
}

/*
 * SQL: claim_slot_atomic(slot_time, contact_id, org_id, broker_id DEFAULT
 * NULL, duration DEFAULT '30 minutes', hold DEFAULT '5 minutes') -> uuid.
 * The hold id of a new hold on [slot_time, slot_time + duration) of the
 * calendar, lasting hold; see the file comment for conflicts.
 */
Datum
vapi_pool_claim_slot_atomic(PG_FUNCTION_ARGS)
{
	bool		has_broker = !PG_ARGISNULL(3);
	Datum		slot_time,
				duration,
				hold;
	Datum		org_id,
				contact_id,
				broker_id;
	char	   *zone;
	Datum		result = (Datum) 0;
	bool		isnull;

	vp_slot_require(fcinfo, 0, "slot_time");
	vp_slot_require(fcinfo, 1, "contact_id");
	vp_slot_require(fcinfo, 2, "org_id");
	vp_slot_require(fcinfo, 4, "duration");
	vp_slot_require(fcinfo, 5, "hold");
	slot_time = PG_GETARG_DATUM(0);
	contact_id = PG_GETARG_DATUM(1);
	org_id = PG_GETARG_DATUM(2);
	broker_id = has_broker ? PG_GETARG_DATUM(3) : (Datum) 0;
	duration = PG_GETARG_DATUM(4);
	hold = PG_GETARG_DATUM(5);
	vp_slot_check_interval("duration", DatumGetIntervalP(duration), VP_SLOT_MAX_DURATION_USECS,
						   VP_SLOT_MAX_DURATION_TEXT);
	vp_slot_check_interval("hold", DatumGetIntervalP(hold), VP_SLOT_MAX_HOLD_USECS, VP_SLOT_MAX_HOLD_TEXT);

	vp_spi_connect();
	zone = calendar_zone(org_id, contact_id, broker_id, has_broker);
	if (DatumGetTimestampTz(slot_time) < GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("slot is in the past"),
				 errdetail("The slot starts at %s (%s).",
						   vp_slot_local_time(DatumGetTimestampTz(slot_time), zone), zone)));

	for (int try = 1;; try++)
	{
		/* conflict's $1 to $5 (cancel_expired's: the first four) */
		Datum		slot[5] = {org_id, broker_id, slot_time, duration, contact_id};
		char		slot_nulls[5] = {' ', has_broker ? ' ' : 'n', ' ', ' ', ' '};
		/* insert_hold's $1 to $6 */
		Datum		row[6] = {org_id, contact_id, broker_id, slot_time, duration, hold};
		char		row_nulls[6] = {' ', ' ', has_broker ? ' ' : 'n', ' ', ' ', ' '};
		bool		live,
					busy;

		vp_execute(&conflict, slot, slot_nulls, 0);
		live = SPI_processed == 1 && DatumGetBool(vp_getdatum(0, CONFLICT_COL_LIVE, &isnull));
		busy = SPI_processed == 1 && DatumGetBool(vp_getdatum(0, CONFLICT_COL_BUSY, &isnull));
		if (SPI_processed == 1 && !live)
			vp_execute(&cancel_expired, slot, slot_nulls, 0);
		else if (live && (!busy || try > 1))
		{
			if (!DatumGetBool(vp_getdatum(0, CONFLICT_COL_SAME, &isnull)))
				slot_taken(slot_time, duration, zone);
			/* the contact's own, on exactly this slot */
			if (strcmp(vp_slot_text(0, CONFLICT_COL_STATUS), "booked") == 0)
			{
				result = vp_getdatum(0, CONFLICT_COL_HOLD_ID, &isnull);
				break;
			}
			else
			{
				Datum		extend[3] = {org_id, vp_getdatum(0, CONFLICT_COL_ID, &isnull), hold};

				vp_execute(&extend_hold, extend, NULL, 0);
				if (SPI_processed == 1)
				{
					result = vp_getdatum(0, EXTEND_HOLD_COL_HOLD_ID, &isnull);
					break;
				}
				/* booked or released meanwhile: the insert decides */
			}
		}

		vp_execute(&insert_hold, row, row_nulls, 0);
		if (SPI_processed == 1)
		{
			result = vp_getdatum(0, INSERT_HOLD_COL_HOLD_ID, &isnull);
			break;
		}
		if (try >= CLAIM_TRIES)
			ereport(ERROR,
					(errcode(ERRCODE_EXCLUSION_VIOLATION),
					 errmsg("slot already booked"),
					 errdetail("Concurrent claims kept taking and giving up an overlapping slot of this calendar."),
					 errhint("Try again, or offer another time.")));
		/* a concurrent claim won: the next look decides */
	}

	result = SPI_datumTransfer(result, false, UUID_LEN);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
