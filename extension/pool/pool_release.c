/*
 * pool_release.c
 *	  Releasing assignments whose hold has passed (seed WF5): the assignment
 *	  becomes released, its number available again (a draining number
 *	  retires instead: trigger vapi_number_pool_retire_drained), and its lead
 *	  no longer points at it.
 *
 * release_assignment() releases one assignment at once, whatever its hold
 * (a call that will never be placed: the lead opted out, the job died).
 * vp_release_idle_assignment() is the engine's own way to do it, for a
 * create-call job that died and a call given up on (dispatch/dead_calls.c,
 * pool/stale_calls.c): it keeps a number something still needs.
 *
 * What is due: an unreleased assignment whose release_at has passed (set
 * by the end of its last call, or, for a number lent for a Cal.com booking,
 * by the end of the appointment), unless its lead has a booked appointment
 * with its broker that ended less than vapi_pool.hold_after_appointment
 * ago (VP_APPOINTMENT_HOLDS_NUMBER): a lead keeps the number of the broker
 * they are to meet, whoever booked the meeting.
 *
 * A batch is one statement.  It locks the assignments and their leads with
 * SKIP LOCKED, so it never waits for an assign_number that holds a lead, and
 * takes at most batch_size rows, so a backlog is released in bounded steps
 * (release_expired_in_batches commits after each).
 */
#include "core/saved_plans.h"
#include "pool/pool_engine.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(vapi_pool_release_expired);
PG_FUNCTION_INFO_V1(vapi_pool_release_assignment);

/*
 * Releasing the assignments of CTE "due" (org_id, id, pool_number_id,
 * lead_id, locked with their leads): the assignment, its number, its lead.
 */
#define RELEASE_DUE \
	" released AS (" \
	"  UPDATE vapi_pool.vapi_number_assignments a SET status = 'released', released_at = pg_catalog.now()" \
	"  FROM due WHERE a.org_id = due.org_id AND a.id = due.id" \
	"  RETURNING a.org_id, a.id, a.pool_number_id, a.lead_id, a.release_at)," \
	" freed AS (" \
	"  UPDATE vapi_pool.vapi_number_pool p SET status = 'available', last_released_at = pg_catalog.now()" \
	"  FROM released r WHERE p.org_id = r.org_id AND p.id = r.pool_number_id AND p.status = 'assigned'" \
	"  RETURNING 1)," \
	" unlinked AS (" \
	"  UPDATE vapi_pool.leads l SET vapi_assignment_id = NULL FROM released r" \
	"  WHERE l.org_id = r.org_id AND l.id = r.lead_id AND l.vapi_assignment_id = r.id" \
	"  RETURNING 1)"

#define RELEASE_CTES(filter) \
	"WITH due AS (" \
	"  SELECT a.org_id, a.id, a.pool_number_id, a.lead_id" \
	"  FROM vapi_pool.vapi_number_assignments a" \
	"  JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id" \
	"  WHERE a.status <> 'released' AND a.release_at IS NOT NULL" \
	"    AND a.release_at < $1 AND a.release_at >= $3 " filter \
	"    AND NOT " VP_APPOINTMENT_HOLDS_NUMBER("a", "$1") \
	"  ORDER BY a.release_at LIMIT $2" \
	"  FOR NO KEY UPDATE OF a, l SKIP LOCKED)," \
	RELEASE_DUE \
	" SELECT pg_catalog.count(*), pg_catalog.max(release_at) FROM released"

static VpPlan release_all = {
	.sql = RELEASE_CTES(""),
	.nargs = 3, .argtypes = {TIMESTAMPTZOID, INT4OID, TIMESTAMPTZOID}
};

static VpPlan release_one_broker = {
	.sql = RELEASE_CTES("AND a.org_id = $4 AND a.broker_id = $5"),
	.nargs = 5, .argtypes = {TIMESTAMPTZOID, INT4OID, TIMESTAMPTZOID, UUIDOID, UUIDOID}
};

/* The columns of release_all and release_one_broker, counted from 1. */
enum
{
	RELEASE_COL_RELEASED = 1,
	RELEASE_COL_LAST_RELEASE_AT
};

/*
 * Releases up to batch_size overdue assignments whose release_at is at or
 * after *from (of one broker when one_broker); returns how many, and moves
 * *from to the last release_at released.  Batches walk forward in release_at
 * order: the index entries of rows released earlier in the same transaction
 * cannot be pruned yet, and starting each batch from the beginning would
 * step over all of them again.  The caller is connected to SPI.
 */
uint64
vp_release_batch(TimestampTz now, int batch_size, TimestampTz *from, Datum org_id, Datum broker_id,
				 bool one_broker)
{
	Datum		values[5] = {TimestampTzGetDatum(now), Int32GetDatum(batch_size), TimestampTzGetDatum(*from),
	org_id, broker_id};
	bool		isnull;
	uint64		released;

	vp_execute(one_broker ? &release_one_broker : &release_all, values, NULL, 0);
	released = (uint64) DatumGetInt64(vp_getdatum(0, RELEASE_COL_RELEASED, &isnull));
	if (released > 0)
		*from = DatumGetTimestampTz(vp_getdatum(0, RELEASE_COL_LAST_RELEASE_AT, &isnull));
	return released;
}

/*
 * SQL: release_expired(now, batch_size, max_batches) -> integer.  Releases
 * batch after batch until one comes back short (or max_batches ran).
 */
Datum
vapi_pool_release_expired(PG_FUNCTION_ARGS)
{
	TimestampTz now;
	int			batch_size;
	int			max_batches;
	int64		total = 0;
	TimestampTz from = DT_NOBEGIN;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("now and batch_size must not be null")));
	now = PG_GETARG_TIMESTAMPTZ(0);
	batch_size = PG_GETARG_INT32(1);
	max_batches = PG_ARGISNULL(2) ? -1 : PG_GETARG_INT32(2);
	if (batch_size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be at least 1"),
				 errdetail("batch_size was %d.", batch_size)));
	if (max_batches == 0 || max_batches < -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_batches must be at least 1, or null for no limit"),
				 errdetail("max_batches was %d.", max_batches)));

	vp_spi_connect();
	for (int batch = 0; max_batches < 0 || batch < max_batches; batch++)
	{
		uint64		released = vp_release_batch(now, batch_size, &from, (Datum) 0, (Datum) 0, false);

		total += released;
		if (released < (uint64) batch_size)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	if (total > PG_INT32_MAX)
		total = PG_INT32_MAX;
	PG_RETURN_INT32((int32) total);
}

/* One unreleased assignment, released now (waiting for its locks, not skipping them). */
static VpPlan release_one = {
	.sql = "WITH due AS ("
	"  SELECT a.org_id, a.id, a.pool_number_id, a.lead_id"
	"  FROM vapi_pool.vapi_number_assignments a"
	"  JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id"
	"  WHERE a.id = $1 AND a.status IS DISTINCT FROM 'released'"
	"  FOR NO KEY UPDATE OF a, l),"
	RELEASE_DUE
	" SELECT pg_catalog.count(*) FROM released",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The column of release_one, counted from 1. */
enum
{
	RELEASE_ONE_COL_RELEASED = 1
};

static VpPlan assignment_row = {
	.sql = "SELECT * FROM vapi_pool.vapi_number_assignments WHERE id = $1",
	.nargs = 1, .argtypes = {UUIDOID}
};

/*
 * Releases one assignment (SPI connected); true if it was unreleased.  An
 * unknown id releases nothing.
 */
bool
vp_release_assignment(Datum assignment_id)
{
	bool		isnull;

	vp_execute(&release_one, &assignment_id, NULL, 0);
	return DatumGetInt64(vp_getdatum(0, RELEASE_ONE_COL_RELEASED, &isnull)) > 0;
}

/*
 * SQL: release_assignment(assignment_id) -> vapi_number_assignments.  The
 * assignment released now, its number free again and its lead unlinked;
 * an assignment already released is returned as it is.
 */
Datum
vapi_pool_release_assignment(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		id;
	Datum		result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("assignment_id must not be null")));
	id = PG_GETARG_DATUM(0);
	vp_spi_connect();
	vp_release_assignment(id);
	vp_execute(&assignment_row, &id, NULL, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("assignment %s does not exist", vp_uuid_string(id))));
	result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* ---------------------------------------------------------------- numbers of calls that will not happen */

/*
 * What still needs an assignment, read with the assignment and its lead
 * locked: its status, a create-call job of it still queued or being sent,
 * and a call on it that has not ended (but the one given as $3).  The lead's
 * call logs are read by the lead (their index), the jobs through the partial
 * indexes of live jobs.
 */
static VpPlan idle_check = {
	.sql = "SELECT a.status,"
	"  (SELECT o.id FROM vapi_pool.outbox o"
	"   WHERE o.org_id = a.org_id AND o.kind = 'vapi.create_call' AND o.state IN ('pending', 'in_flight')"
	"     AND (o.payload ->> 'assignment_id') = a.id::text ORDER BY o.id LIMIT 1),"
	"  (SELECT c.vapi_call_id FROM vapi_pool.vapi_call_logs c"
	"   WHERE c.org_id = a.org_id AND c.lead_id = a.lead_id AND c.assignment_id = a.id"
	"     AND c.status <> 'ended' AND c.id IS DISTINCT FROM $3 ORDER BY c.created_at LIMIT 1),"
	"  (SELECT pg_catalog.max(ap.ends_at) FROM vapi_pool.appointments ap"
	"   WHERE ap.org_id = a.org_id AND ap.contact_id = a.lead_id AND ap.broker_id = a.broker_id"
	"     AND ap.status = 'booked' AND ap.ends_at > pg_catalog.now()"
	"       - pg_catalog.current_setting('vapi_pool.hold_after_appointment')::pg_catalog.interval)"
	" FROM vapi_pool.vapi_number_assignments a"
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id"
	" WHERE a.org_id = $1 AND a.id = $2"
	" FOR NO KEY UPDATE OF a, l",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, UUIDOID}
};

/* The columns of idle_check, counted from 1. */
enum
{
	IDLE_CHECK_COL_STATUS = 1,
	IDLE_CHECK_COL_LIVE_JOB,
	IDLE_CHECK_COL_LIVE_CALL,
	IDLE_CHECK_COL_APPOINTMENT_END
};

/*
 * An assignment kept for its lead's appointment is released after it: its
 * release_at becomes at least hold_after_appointment after the appointment's
 * end ($3).  Unless $4, one waiting for its call (release_at NULL) is left
 * to that call's end.
 */
static VpPlan hold_for_appointment = {
	.sql = "UPDATE vapi_pool.vapi_number_assignments"
	" SET release_at = greatest(release_at,"
	"   $3 + pg_catalog.current_setting('vapi_pool.hold_after_appointment')::pg_catalog.interval)"
	" WHERE org_id = $1 AND id = $2 AND (release_at IS NOT NULL OR $4)",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, BOOLOID}
};

/*
 * Holds an assignment until hold_after_appointment after an appointment
 * ending at ends_at (a later release time is kept); with timed_only, only
 * an assignment that already has a release time.  SPI connected.
 */
void
vp_hold_for_appointment(Datum org_id, Datum assignment_id, Datum ends_at, bool timed_only)
{
	Datum		v[4] = {org_id, assignment_id, ends_at, BoolGetDatum(!timed_only)};

	vp_execute(&hold_for_appointment, v, NULL, 0);
}

/*
 * Releases an assignment lent for a call that will not happen (its
 * create-call job died; its call never reported and Vapi does not know it),
 * unless something still needs it (a live job or call, or an appointment of
 * the lead with the broker, which holds it until after the appointment):
 * returns NULL when it released it, else why it did not (a phrase that
 * follows "not released: ").  Only a booked assignment is released: after a completed
 * call the number is held for the lead's call back until release_at
 * (release_expired frees it then).  except_call_log is the call log being
 * given up on (ignored when has_except is false).  SPI connected.
 */
char *
vp_release_idle_assignment(Datum org_id, Datum assignment_id, Datum except_call_log, bool has_except)
{
	Datum		args[3] = {org_id, assignment_id, except_call_log};
	char		nulls[3] = {' ', ' ', has_except ? ' ' : 'n'};
	char	   *status;
	bool		isnull;
	Datum		live;

	vp_execute(&idle_check, args, nulls, 0);
	if (SPI_processed == 0)
		return pstrdup("it no longer exists");
	status = TextDatumGetCString(vp_getdatum(0, IDLE_CHECK_COL_STATUS, &isnull));
	if (strcmp(status, "released") == 0)
		return pstrdup("it was released before");
	if (strcmp(status, "booked") != 0)
		return pstrdup("a call on it was completed: the number is held for the lead until its release time");
	live = vp_getdatum(0, IDLE_CHECK_COL_LIVE_JOB, &isnull);
	if (!isnull)
		return psprintf("create-call job %lld for it is queued or being sent", (long long) DatumGetInt64(live));
	live = vp_getdatum(0, IDLE_CHECK_COL_LIVE_CALL, &isnull);
	if (!isnull)
		return psprintf("call %s on it has not ended", TextDatumGetCString(live));
	live = vp_getdatum(0, IDLE_CHECK_COL_APPOINTMENT_END, &isnull);
	if (!isnull)
	{
		vp_hold_for_appointment(org_id, assignment_id, live, false);
		return pstrdup("the lead has an appointment with the broker: the number is held until after it");
	}
	vp_release_assignment(assignment_id);
	return NULL;
}
