/*
 * number_health.c
 *	  Burned numbers: when a pool number's calls stop being answered, and
 *	  the hourly rotation that retires it and buys its replacement.
 *
 * Carriers label a number that makes many calls "Spam Likely", and the
 * share of its calls that people answer collapses.  A number is judged
 * against its siblings (the same broker's other numbers, in the window
 * vapi_pool.number_health_window): they call the same list at the same
 * hours, so a number far below them is suspect, while a whole pool that is
 * low is a list or timing problem that no rotation fixes.
 *
 * The view number_health (260_operations.sql) counts each number's calls;
 * number_health_state() decides, with two one-sided Wilson score bounds of
 * the number's answered share, so that a few unlucky calls do not condemn a
 * number:
 *	 burned		even the 95% upper bound is below number_burned_ratio (0.5) of
 *				the siblings' answered share;
 *	 watch		the bound one standard error up is below number_watch_ratio
 *				(0.75) of it;
 *	 healthy	otherwise, and whenever the number or its siblings have fewer
 *				than number_health_min_calls calls with a known outcome, or
 *				the number would answer fewer than MIN_EXPECTED_ANSWERS calls
 *				at its siblings' share (a pool answered rarely, or too few
 *				calls: nothing to tell).
 * The siblings' share is taken as exact (they have many more calls).
 *
 * rotate_burned_numbers(), run hourly by pg_cron, retires every burned
 * number of an organisation that set orgs.rotate_burned_numbers (a free
 * number retires now and is never lent again; a held one drains: no new
 * lead, retired when its hold ends) and queues its replacement through
 * pool_fill, in the same area code, logging each in number_rotations.
 */
#include "core/saved_plans.h"
#include "core/settings.h"
#include "core/subtransaction.h"
#include "pool/pool_engine.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_number_health_window);
PG_FUNCTION_INFO_V1(vapi_pool_number_health_state);
PG_FUNCTION_INFO_V1(vapi_pool_rotate_burned_numbers);

/* One-sided normal quantiles of the two bounds: 95% (burned), one standard error (watch). */
#define BURNED_Z 1.6449
#define WATCH_Z 1.0

/*
 * Below this many answered calls expected at the siblings' share (calls x
 * their share), a difference says nothing: a pool that is answered rarely
 * is not judged number by number.
 */
#define MIN_EXPECTED_ANSWERS 5

/* Serialises rotations, so two runs never rotate one number twice. */
#define ROTATION_LOCK_SQL \
	"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vapi_pool.rotate_burned_numbers', 0))"

/*
 * SQL: number_health_window() -> (since, early_hangup_seconds): the start of
 * the window number health reads, and what an early hang-up is.
 */
Datum
vapi_pool_number_health_window(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "number_health_window must return a record");
	values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp() -
									(TimestampTz) vp_number_health_window_s * USECS_PER_SEC);
	values[1] = Int32GetDatum(vp_early_hangup_s);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* The one-sided Wilson score upper bound of k successes in n trials (n > 0). */
static double
wilson_upper(double k, double n, double z)
{
	double		p = k / n;
	double		z2 = z * z;
	double		centre = p + z2 / (2 * n);
	double		spread = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n));

	return (centre + spread) / (1 + z2 / n);
}

/* A share as a whole percentage, for the reasons. */
static int
percent(double share)
{
	return (int) rint(share * 100);
}

/*
 * SQL: number_health_state(attempts, answered, sibling_attempts,
 * sibling_answered) -> (state, reason).  The reason is a sentence an
 * operator can act on.
 */
Datum
vapi_pool_number_health_state(PG_FUNCTION_ARGS)
{
	int64		n = PG_GETARG_INT64(0);
	int64		k = PG_GETARG_INT64(1);
	int64		sn = PG_GETARG_INT64(2);
	int64		sk = PG_GETARG_INT64(3);
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	const char *state = "healthy";
	char	   *reason;

	if (n < 0 || k < 0 || sn < 0 || sk < 0 || k > n || sk > sn)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("answered calls must be between 0 and the calls made"),
				 errdetail("The number answered " INT64_FORMAT " of " INT64_FORMAT
						   " calls, its siblings " INT64_FORMAT " of " INT64_FORMAT ".", k, n, sk, sn)));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "number_health_state must return a record");

	if (n < vp_number_health_min_calls)
		reason = psprintf(INT64_FORMAT " calls with a known outcome in the window; a number is judged from %d",
						  n, vp_number_health_min_calls);
	else if (sn < vp_number_health_min_calls)
		reason = psprintf("answered " INT64_FORMAT " of " INT64_FORMAT " calls; the broker's other numbers made "
						  INT64_FORMAT ", too few to compare with", k, n, sn);
	else if (sk == 0)
		reason = psprintf("answered " INT64_FORMAT " of " INT64_FORMAT " calls; none of the " INT64_FORMAT
						  " calls of the broker's other numbers was answered either: the list or the calling "
						  "hours, not this number", k, n, sn);
	else
	{
		double		q = (double) sk / sn;
		double		p = (double) k / n;

		if (n * q < MIN_EXPECTED_ANSWERS)
			reason = psprintf("answered " INT64_FORMAT " of " INT64_FORMAT " calls; at the %d%% of the broker's "
							  "other numbers it would answer %.1f, too few to tell the number from the list",
							  k, n, percent(q), n * q);
		else
		{
			if (wilson_upper(k, n, BURNED_Z) < vp_number_burned_ratio * q)
				state = "burned";
			else if (wilson_upper(k, n, WATCH_Z) < vp_number_watch_ratio * q)
				state = "watch";
			reason = psprintf("answered " INT64_FORMAT " of " INT64_FORMAT " calls (%d%%) against %d%% of "
							  INT64_FORMAT " on the broker's other numbers%s", k, n, percent(p), percent(q), sn,
							  strcmp(state, "burned") == 0 ? "; likely labelled as spam" :
							  strcmp(state, "watch") == 0 ? "; watch it" : "");
		}
	}
	values[0] = CStringGetTextDatum(state);
	values[1] = CStringGetTextDatum(reason);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/*
 * The burned numbers to rotate: of organisations that asked, of pools in
 * use (an inactive pool lends nothing: nothing to buy for it), not already
 * leaving; and whether the organisation has a server URL to point the
 * replacement at.
 */
static VpPlan burned_numbers = {
	.sql = "SELECT h.org_id, h.broker_id, h.pool_number_id, h.number, h.attempts, h.answered,"
	"       h.sibling_answer_rate, h.reason, o.number_server_url IS NOT NULL"
	" FROM vapi_pool.number_health h"
	" JOIN vapi_pool.orgs o ON o.org_id = h.org_id"
	" JOIN vapi_pool.brokers b ON b.org_id = h.org_id AND b.id = h.broker_id"
	" WHERE o.rotate_burned_numbers AND b.number_pool_active AND h.state = 'burned' AND NOT h.draining"
	" ORDER BY h.org_id, h.broker_id, h.number",
	.nargs = 0
};

/* The columns of burned_numbers, counted from 1. */
enum
{
	BURNED_COL_ORG_ID = 1,
	BURNED_COL_BROKER_ID,
	BURNED_COL_POOL_NUMBER_ID,
	BURNED_COL_NUMBER,
	BURNED_COL_ATTEMPTS,
	BURNED_COL_ANSWERED,
	BURNED_COL_SIBLING_RATE,
	BURNED_COL_REASON,
	BURNED_COL_HAS_SERVER_URL,
	BURNED_NCOLS = BURNED_COL_HAS_SERVER_URL
};

static VpPlan retire_number = {
	.sql = "SELECT r.status FROM vapi_pool.retire_pool_number($1) r",
	.nargs = 1, .argtypes = {VP_E164_ARG}
};

/*
 * The replacement, through pool_fill ($1 broker, $2 area code or NULL): it
 * points the number at the organisation's recorded server URL
 * (orgs.number_server_url, as the operator's `vapi-shim pool fill` set it).
 */
static VpPlan fill_pool = {
	.sql = "SELECT f.job_ids FROM vapi_pool.pool_fill($1, $2) f",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

static VpPlan log_rotation = {
	.sql = "INSERT INTO vapi_pool.number_rotations (org_id, broker_id, pool_number_id, number, attempts, answered,"
	"  sibling_answer_rate, reason, retirement, replacement_job_ids)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10, '{}'))"
	" RETURNING *",
	.nargs = 10, .argtypes = {UUIDOID, UUIDOID, UUIDOID, VP_E164_ARG, INT8OID, INT8OID, NUMERICOID, TEXTOID,
	TEXTOID, INT8ARRAYOID}
};

/* The area code of a North American number (+1NPA...), else NULL. */
static Datum
area_code(const char *number, bool *isnull)
{
	*isnull = !(strlen(number) == 12 && strncmp(number, "+1", 2) == 0);
	return *isnull ? (Datum) 0 : PointerGetDatum(cstring_to_text_with_len(number + 2, 3));
}

/* One rotation: the burned number's row of burned_numbers, and the log row made. */
typedef struct Rotation
{
	Datum	   *row;			/* BURNED_NCOLS values */
	bool	   *nulls;
	HeapTuple	logged;			/* the number_rotations row, in the caller's memory */
} Rotation;

/*
 * Retire one burned number, queue its replacement and log both (run in a
 * subtransaction: a failure undoes all three).
 */
static void
rotate_one(void *arg)
{
	Rotation   *r = arg;
	Datum		args[10];
	char		nulls[10];
	bool		isnull;
	Datum		retirement;
	Datum		jobs = (Datum) 0;
	bool		no_jobs = true;

	vp_execute(&retire_number, &r->row[BURNED_COL_NUMBER - 1], NULL, 1);
	retirement = CStringGetTextDatum(SPI_processed == 1 &&
									 strcmp(TextDatumGetCString(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)),
											"retired") == 0 ? "retired" : "draining");

	args[0] = r->row[BURNED_COL_BROKER_ID - 1];
	args[1] = area_code(vp_e164_string(r->row[BURNED_COL_NUMBER - 1]), &isnull);
	nulls[0] = ' ';
	nulls[1] = isnull ? 'n' : ' ';
	vp_execute(&fill_pool, args, nulls, 1);
	if (SPI_processed == 1)
	{
		jobs = vp_getdatum(0, VP_SOLE_COLUMN, &no_jobs);
		if (!no_jobs)
			jobs = datumCopy(jobs, false, -1);
	}

	for (int c = 0; c < BURNED_COL_REASON; c++)
	{
		args[c] = r->row[c];
		nulls[c] = r->nulls[c] ? 'n' : ' ';
	}
	args[8] = retirement;
	nulls[8] = ' ';
	args[9] = jobs;
	nulls[9] = no_jobs ? 'n' : ' ';
	vp_execute(&log_rotation, args, nulls, 1);
	r->logged = heap_copytuple(SPI_tuptable->vals[0]);
}

/*
 * SQL: rotate_burned_numbers() -> SETOF number_rotations.  One rotation at a
 * time (a transaction-scoped advisory lock); each burned number is retired,
 * its replacement queued and the rotation logged and returned, in a
 * subtransaction of its own: a number that cannot be rotated (its pool_fill
 * fails, say) is a warning, and the others are still rotated.
 */
Datum
vapi_pool_rotate_burned_numbers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext cxt = CurrentMemoryContext;
	Datum	  (*rows)[BURNED_NCOLS];
	bool	  (*row_nulls)[BURNED_NCOLS];
	uint64		n;

	vp_init_materialized_srf(fcinfo);
	vp_spi_connect();
	if (SPI_execute(ROTATION_LOCK_SQL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not take the rotation lock");
	vp_execute(&burned_numbers, NULL, NULL, 0);
	n = SPI_processed;
	rows = MemoryContextAllocZero(cxt, sizeof(*rows) * Max(n, 1));
	row_nulls = MemoryContextAllocZero(cxt, sizeof(*row_nulls) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
		for (int c = 0; c < BURNED_NCOLS; c++)
		{
			Form_pg_attribute att = TupleDescAttr(SPI_tuptable->tupdesc, c);
			Datum		v = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &row_nulls[i][c]);

			if (!row_nulls[i][c])
			{
				MemoryContext old = MemoryContextSwitchTo(cxt);

				rows[i][c] = datumCopy(v, att->attbyval, att->attlen);
				MemoryContextSwitchTo(old);
			}
		}

	for (uint64 i = 0; i < n; i++)
	{
		Rotation	r = {.row = rows[i], .nulls = row_nulls[i]};
		ErrorData  *failure;

		/* a replacement nobody's calls would reach is worse than the burned number */
		if (!DatumGetBool(rows[i][BURNED_COL_HAS_SERVER_URL - 1]))
		{
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("burned number %s was not rotated: its organisation has no server URL for new numbers",
							vp_e164_string(rows[i][BURNED_COL_NUMBER - 1])),
					 errhint("Run vapi-shim pool fill --public-url once (it records orgs.number_server_url), "
							 "or set orgs.number_server_url.")));
			continue;
		}
		failure = vp_in_subtransaction(rotate_one, &r);
		if (failure != NULL)
			ereport(WARNING,
					(errcode(failure->sqlerrcode),
					 errmsg("burned number %s was not rotated: %s",
							vp_e164_string(rows[i][BURNED_COL_NUMBER - 1]), failure->message),
					 errhint("The number stays in the pool as it was; fix the cause and run vapi_pool.rotate_burned_numbers() again.")));
		else
			tuplestore_puttuple(rsinfo->setResult, r.logged);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	return (Datum) 0;
}
