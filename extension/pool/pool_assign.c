/*
 * pool_assign.c
 *	  Lending pool numbers to leads (seed WF1 step 3), and the pool's
 *	  administration: adding and retiring numbers.
 *
 * assign_number locks the lead (FOR NO KEY UPDATE: one assignment per lead at
 * a time, and the second caller for a lead gets the first one's assignment),
 * then claims the broker's number released longest ago with FOR UPDATE SKIP
 * LOCKED, so no caller waits for a number another caller is taking.  The
 * claim, the assignment and the lead's link are one statement.  The partial
 * unique indexes on vapi_number_assignments stay the last line of defence.
 */
#include "core/saved_plans.h"
#include "pool/pool_engine.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_assign_number);
PG_FUNCTION_INFO_V1(vapi_pool_add_pool_number);
PG_FUNCTION_INFO_V1(vapi_pool_retire_pool_number);

/*
 * How many overdue assignments of the broker an assignment that found the
 * pool empty releases before it tries again.
 */
#define RELEASE_BATCH_WHEN_EMPTY 1000

static VpPlan lock_lead = {
	.sql = "SELECT l.org_id, l.broker_id, b.name, b.number_pool_active, b.number_pool_size"
	" FROM vapi_pool.leads l"
	" LEFT JOIN vapi_pool.brokers b ON b.org_id = l.org_id AND b.id = l.broker_id"
	" WHERE l.id = $1 FOR NO KEY UPDATE OF l",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The columns of lock_lead, counted from 1. */
enum
{
	LOCK_LEAD_COL_ORG_ID = 1,
	LOCK_LEAD_COL_BROKER_ID,
	LOCK_LEAD_COL_BROKER_NAME,
	LOCK_LEAD_COL_POOL_ACTIVE,
	LOCK_LEAD_COL_POOL_SIZE
};

/* A new request from a lead who holds a number: the hold starts again. */
static VpPlan current_assignment = {
	.sql = "UPDATE vapi_pool.vapi_number_assignments"
	" SET status = 'booked', release_at = NULL, booked_at = pg_catalog.now()"
	" WHERE org_id = $1 AND lead_id = $2 AND status <> 'released'"
	" RETURNING *",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan claim_number = {
	.sql = "WITH claimed AS ("
	"  UPDATE vapi_pool.vapi_number_pool p SET status = 'assigned', last_assigned_at = pg_catalog.now()"
	"  WHERE p.org_id = $1 AND p.id = ("
	"    SELECT c.id FROM vapi_pool.vapi_number_pool c"
	"    WHERE c.org_id = $1 AND c.broker_id = $2 AND c.status = 'available'"
	"    ORDER BY c.last_released_at NULLS FIRST, c.number LIMIT 1"
	"    FOR UPDATE SKIP LOCKED)"
	"  RETURNING p.org_id, p.id, p.broker_id),"
	" assigned AS ("
	"  INSERT INTO vapi_pool.vapi_number_assignments (org_id, pool_number_id, broker_id, lead_id)"
	"  SELECT org_id, id, broker_id, $3 FROM claimed"
	"  RETURNING *),"
	" linked AS ("
	"  UPDATE vapi_pool.leads l SET vapi_assignment_id = a.id FROM assigned a"
	"  WHERE l.org_id = a.org_id AND l.id = a.lead_id"
	"  RETURNING 1)"
	" SELECT * FROM assigned",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, UUIDOID}
};

static VpPlan pool_size = {
	.sql = "SELECT pg_catalog.count(*) FILTER (WHERE status <> 'retired'),"
	"       pg_catalog.count(*) FILTER (WHERE status = 'available')"
	" FROM vapi_pool.vapi_number_pool WHERE org_id = $1 AND broker_id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* The columns of pool_size, counted from 1. */
enum
{
	POOL_SIZE_COL_NUMBERS = 1,
	POOL_SIZE_COL_AVAILABLE
};

/* Claims a number for the lead; true if one was free. */
static bool
claim(Datum org_id, Datum broker_id, Datum lead_id)
{
	Datum		values[3] = {org_id, broker_id, lead_id};

	vp_execute(&claim_number, values, NULL, 0);
	return SPI_processed == 1;
}

/*
 * The error for a broker's pool with no free number even after its overdue
 * assignments were released: it has no numbers, or all are held.
 */
static void
pg_attribute_noreturn()
no_free_number(Datum org_id, Datum broker_id, const char *broker_name, int32 target_size)
{
	Datum		values[2] = {org_id, broker_id};
	int64		size,
				available;
	bool		isnull;

	vp_execute(&pool_size, values, NULL, 0);
	size = DatumGetInt64(vp_getdatum(0, POOL_SIZE_COL_NUMBERS, &isnull));
	available = DatumGetInt64(vp_getdatum(0, POOL_SIZE_COL_AVAILABLE, &isnull));
	if (size == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("broker \"%s\" has no numbers in its pool", broker_name),
				 errdetail("The broker's pool should hold %d numbers.", target_size),
				 errhint("Add numbers with vapi_pool.add_pool_number().")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
			 errmsg("number pool of broker \"%s\" is exhausted", broker_name),
			 errdetail_plural("The pool's %lld number is held by a lead%s; it is not past its release time.",
							  "All %lld numbers of the pool are held by leads%s; none is past its release time.",
							  (unsigned long) size, (long long) size,
							  available > 0 ? " or being taken by concurrent assignments" : ""),
			 errhint("Add numbers with vapi_pool.add_pool_number(), or shorten vapi_pool.hold_after_call.")));
	pg_unreachable();
}

/*
 * SQL: assign_number(lead_id) -> vapi_number_assignments.  The lead's
 * unreleased assignment if it has one, else a new one on the free number of
 * its broker's pool released longest ago; if none is free, the broker's
 * overdue assignments are released first.
 */
Datum
vapi_pool_assign_number(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		lead_id = PG_GETARG_DATUM(0);
	Datum		org_id,
				broker_id;
	bool		isnull,
				active_null;
	char	   *broker_name;
	int32		target_size;
	Datum		result;

	vp_spi_connect();

	vp_execute(&lock_lead, &lead_id, NULL, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("lead %s does not exist", vp_uuid_string(lead_id))));
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("lead id %s names leads of more than one organisation", vp_uuid_string(lead_id)),
				 errhint("Assign by a lead id that is unique in the database.")));
	org_id = vp_getdatum(0, LOCK_LEAD_COL_ORG_ID, &isnull);
	broker_id = vp_getdatum(0, LOCK_LEAD_COL_BROKER_ID, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead %s has no broker", vp_uuid_string(lead_id)),
				 errdetail("A lead is given a number from its broker's pool."),
				 errhint("Set the lead's broker_id, for example from the broker of its ZIP code's territory.")));
	broker_name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, LOCK_LEAD_COL_BROKER_NAME);
	target_size = DatumGetInt32(vp_getdatum(0, LOCK_LEAD_COL_POOL_SIZE, &isnull));

	if (!DatumGetBool(vp_getdatum(0, LOCK_LEAD_COL_POOL_ACTIVE, &active_null)) || active_null)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("number pool of broker \"%s\" is not active", broker_name),
				 errdetail("Broker %s has number_pool_active = false.", vp_uuid_string(broker_id)),
				 errhint("Add numbers with vapi_pool.add_pool_number() and set number_pool_active = true.")));

	/* a lead that holds a number gets it back */
	{
		Datum		values[2] = {org_id, lead_id};

		vp_execute(&current_assignment, values, NULL, 0);
		if (SPI_processed == 1)
		{
			result = vp_result_row(fcinfo, cxt, 0);
			SPI_finish();
			PG_RETURN_DATUM(result);
		}
	}

	if (!claim(org_id, broker_id, lead_id))
	{
		/* the pool is empty: free what is overdue, then try again */
		TimestampTz from = DT_NOBEGIN;

		vp_release_batch(GetCurrentTransactionStartTimestamp(), RELEASE_BATCH_WHEN_EMPTY, &from, org_id, broker_id,
						 true);
		if (!claim(org_id, broker_id, lead_id))
			no_free_number(org_id, broker_id, broker_name, target_size);
	}
	result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static VpPlan find_broker = {
	.sql = "SELECT org_id FROM vapi_pool.brokers WHERE id = $1",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The column of find_broker, counted from 1. */
enum
{
	FIND_BROKER_COL_ORG_ID = 1
};

static VpPlan insert_number = {
	.sql = "INSERT INTO vapi_pool.vapi_number_pool (org_id, broker_id, number, vapi_phone_number_id)"
	" VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (number) DO NOTHING RETURNING *",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, VP_E164_ARG, TEXTOID}
};

/*
 * A retired number comes back to the broker it was retired from (its past
 * assignments name that broker, so it cannot move to another).
 */
static VpPlan revive_number = {
	.sql = "UPDATE vapi_pool.vapi_number_pool"
	" SET status = 'available', retired_at = NULL,"
	"     vapi_phone_number_id = coalesce($4, vapi_phone_number_id)"
	" WHERE number = $3 AND org_id = $1 AND broker_id = $2 AND status = 'retired'"
	" RETURNING *",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, VP_E164_ARG, TEXTOID}
};

/* The whole row: the same number added again returns it. */
static VpPlan existing_number = {
	.sql = "SELECT * FROM vapi_pool.vapi_number_pool WHERE number = $1",
	.nargs = 1, .argtypes = {VP_E164_ARG}
};

/*
 * The columns of existing_number read here, counted from 1: the first ones
 * of vapi_number_pool (030_data_model.sql).
 */
enum
{
	EXISTING_NUMBER_COL_ORG_ID = 1,
	EXISTING_NUMBER_COL_ID,
	EXISTING_NUMBER_COL_BROKER_ID,
	EXISTING_NUMBER_COL_NUMBER,
	EXISTING_NUMBER_COL_VAPI_ID,
	EXISTING_NUMBER_COL_STATUS
};

/*
 * A number in another organisation's pool: say only that, whoever asks (a
 * member, who cannot see the row, or the service, who can).
 */
static void number_of_another_account(void) pg_attribute_noreturn();

static void
number_of_another_account(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("this number belongs to another account"),
			 errdetail("A phone number can be in one organisation's pool only."),
			 errhint("Use another number, or ask the operator of this deployment to move it.")));
}

/*
 * SQL: add_pool_number(broker_id, number, vapi_phone_number_id) ->
 * vapi_number_pool.  Idempotent for the same broker; a number retired from
 * the same broker's pool is brought back.
 */
Datum
vapi_pool_add_pool_number(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("broker_id and number must not be null")));
	values[1] = PG_GETARG_DATUM(0);
	values[2] = PG_GETARG_DATUM(1);
	values[3] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	if (PG_ARGISNULL(2))
		nulls[3] = 'n';

	vp_spi_connect();
	vp_execute(&find_broker, &values[1], NULL, 0);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("broker %s does not exist", vp_uuid_string(values[1]))));
	values[0] = vp_getdatum(0, FIND_BROKER_COL_ORG_ID, &isnull);

	vp_execute(&insert_number, values, nulls, 0);
	if (SPI_processed == 1)
		goto done;
	vp_execute(&revive_number, values, nulls, 0);
	if (SPI_processed == 1)
		goto done;
	vp_execute(&existing_number, &values[2], NULL, 0);
	if (SPI_processed == 1)
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		owner_org = vp_getdatum(0, EXISTING_NUMBER_COL_ORG_ID, &isnull);
		Datum		owner_broker = vp_getdatum(0, EXISTING_NUMBER_COL_BROKER_ID, &isnull);
		char	   *number = SPI_getvalue(row, desc, EXISTING_NUMBER_COL_NUMBER);
		char	   *vapi_id = SPI_getvalue(row, desc, EXISTING_NUMBER_COL_VAPI_ID);
		char	   *status = SPI_getvalue(row, desc, EXISTING_NUMBER_COL_STATUS);

		if (DatumGetBool(DirectFunctionCall2(uuid_eq, owner_org, values[0])) &&
			DatumGetBool(DirectFunctionCall2(uuid_eq, owner_broker, values[1])) &&
			(nulls[3] == 'n' || (vapi_id != NULL && strcmp(vapi_id, TextDatumGetCString(values[3])) == 0)))
			goto done;			/* the same number added again */
		if (strcmp(status, "retired") == 0 &&
			DatumGetBool(DirectFunctionCall2(uuid_eq, owner_org, values[0])))
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("number %s was retired from another broker's pool", number),
					 errdetail("Its past assignments name broker %s, so it can only return to that pool.",
							   vp_uuid_string(owner_broker)),
					 errhint("Add it back to broker %s, or use another number.",
							 vp_uuid_string(owner_broker))));
		if (!DatumGetBool(DirectFunctionCall2(uuid_eq, owner_org, values[0])))
			number_of_another_account();
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("number %s is already in a pool", number),
				 errdetail("A phone number can be in one pool only; it belongs to another broker of this "
						   "organisation, or has another Vapi id."),
				 errhint("Retire it from its pool first with vapi_pool.retire_pool_number().")));
	}
	/* not inserted, not found: a row we cannot see (row level security) */
	number_of_another_account();

done:
	result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static VpPlan retire_number = {
	.sql = "UPDATE vapi_pool.vapi_number_pool"
	" SET status = CASE status WHEN 'available' THEN 'retired' ELSE status END,"
	"     retired_at = CASE status WHEN 'available' THEN pg_catalog.now() ELSE retired_at END,"
	"     retire_requested_at = CASE status WHEN 'assigned' THEN coalesce(retire_requested_at, pg_catalog.now()) END"
	" WHERE number = $1"
	" RETURNING *",
	.nargs = 1, .argtypes = {VP_E164_ARG}
};

/*
 * SQL: retire_pool_number(number) -> vapi_number_pool.  A free number
 * retires now; a number a lead holds drains (takes no new lead, retires when
 * released).  Retiring a retired number changes nothing.
 */
Datum
vapi_pool_retire_pool_number(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		number = PG_GETARG_DATUM(0);
	Datum		result;

	vp_spi_connect();
	vp_execute(&retire_number, &number, NULL, 0);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("number %s is not in any pool", vp_e164_string(number))));
	result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
