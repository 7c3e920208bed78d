/*
 * outbox_claim.c
 *	  Handing outbox jobs to dispatchers: outbox_claim (a batch of due jobs
 *	  with a lease, each with the HTTP request to send), outbox_replay (a dead
 *	  job back to pending) and url_encode.
 *
 * A job is claimable when it is pending and due, or in flight with a lease
 * that ran out (its dispatcher died or hung).  The second kind may have
 * reached the vendor already, so the claim sets reconcile on it: the request
 * returned for it is the GET that finds the earlier attempt's effect
 * (outbox_request in 140_dispatcher.sql), never a second POST.  Rows are
 * taken FOR UPDATE SKIP LOCKED, so dispatchers claiming at once get
 * different jobs and never wait for each other.  A vapi.get_call job (a call
 * whose report never came, looked up: pool/stale_calls.c) is a GET of its
 * own, call_lookup_request in 182_number_leaks.sql.
 *
 * A create-call job the claim marks dead gives back the number lent for its
 * call, and outbox_replay of one sends it again only when that is safe
 * (dispatch/dead_calls.c).
 */
#include "core/compat.h"
#include "compliance/compliance.h"
#include "core/saved_plans.h"
#include "dispatch/dead_calls.h"
#include "outbox/outbox.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_outbox_claim);
PG_FUNCTION_INFO_V1(vapi_pool_outbox_replay);
PG_FUNCTION_INFO_V1(vapi_pool_url_encode);

/* The most jobs one claim takes. */
#define OUTBOX_BATCH_MAX 1000

/* The shortest and the longest lease (the error message says them in words). */
#define OUTBOX_LEASE_MIN_USECS USECS_PER_SEC
#define OUTBOX_LEASE_MAX_USECS USECS_PER_HOUR

/*
 * Claims the batch: expired leases first (they are the oldest work), then
 * pending jobs by due time.  Returns each job with its request and the reason
 * it cannot be sent, if any.
 */
static VpPlan claim_jobs = {
	.sql = "WITH expired AS ("
	"  SELECT org_id, id FROM vapi_pool.outbox"
	"  WHERE state = 'in_flight' AND lease_expires_at <= pg_catalog.now()"
	"  ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
	" fresh AS ("
	"  SELECT org_id, id FROM vapi_pool.outbox"
	"  WHERE state = 'pending' AND run_at <= pg_catalog.now()"
	"  ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
	" due AS (SELECT * FROM expired UNION ALL SELECT * FROM fresh LIMIT $2),"
	" claimed AS (UPDATE vapi_pool.outbox o SET state = 'in_flight', attempts = o.attempts + 1,"
	"   lease_expires_at = pg_catalog.now() + $3, claimed_by = $1,"
	"   reconcile = o.reconcile OR o.state = 'in_flight',"
	"   first_sent_at = coalesce(o.first_sent_at, pg_catalog.now())"
	"  FROM due WHERE o.org_id = due.org_id AND o.id = due.id"
	"  RETURNING o AS job)"
	/* the request once per job (OFFSET 0: not once per column it has) */
	" SELECT (x.job).org_id, (x.job).id, (x.job).attempts, (x.job).kind, (x.r).service, (x.r).method,"
	"   (x.r).path, (x.r).headers, (x.r).body, (x.r).timeout_ms, vapi_pool.outbox_problem(x.job),"
	"   NOT (x.job).reconcile, (x.job).payload"
	" FROM (SELECT c.job, CASE WHEN (c.job).kind = 'vapi.get_call' THEN vapi_pool.call_lookup_request(c.job)"
	"   ELSE vapi_pool.outbox_request(c.job) END AS r FROM claimed c OFFSET 0) x",
	.nargs = 3, .argtypes = {TEXTOID, INT4OID, INTERVALOID}
};

/*
 * The columns of claim_jobs, counted from 1: those of outbox_claim's result
 * (type outbox_request), then why the job cannot be sent, whether it was
 * pending (not a lease that ran out) and its payload.
 */
enum
{
	CLAIM_COL_ORG_ID = 1,
	CLAIM_COL_JOB_ID,
	CLAIM_COL_ATTEMPT,
	CLAIM_COL_KIND,
	CLAIM_COL_SERVICE,
	CLAIM_COL_METHOD,
	CLAIM_COL_PATH,
	CLAIM_COL_HEADERS,
	CLAIM_COL_BODY,
	CLAIM_COL_TIMEOUT_MS,
	CLAIM_COL_PROBLEM,
	CLAIM_COL_FRESH,
	CLAIM_COL_PAYLOAD
};

/* How many columns of claim_jobs are the result's. */
#define CLAIM_NREQUEST_COLUMNS CLAIM_COL_TIMEOUT_MS

/* A job that cannot be sent is dead at once, with the reason. */
static VpPlan bury_job = {
	.sql = "UPDATE vapi_pool.outbox SET state = 'dead', lease_expires_at = NULL, last_error = $3,"
	"   last_http_status = NULL, finished_at = pg_catalog.now()"
	" WHERE org_id = $1 AND id = $2",
	.nargs = 3, .argtypes = {UUIDOID, INT8OID, TEXTOID}
};

static VpPlan revive_job = {
	.sql = "UPDATE vapi_pool.outbox SET state = 'pending', run_at = pg_catalog.now(), attempts = 0,"
	"   reconcile = false, lease_expires_at = NULL, finished_at = NULL"
	" WHERE id = $1 AND state = 'dead' RETURNING *",
	.nargs = 1, .argtypes = {INT8OID}
};

static VpPlan job_state = {
	.sql = "SELECT state FROM vapi_pool.outbox WHERE id = $1",
	.nargs = 1, .argtypes = {INT8OID}
};

/* The column of job_state, counted from 1. */
enum
{
	JOB_STATE_COL_STATE = 1
};

/* Whether a claimed row is a create-call job. */
static bool
is_create_call(HeapTuple row, TupleDesc desc)
{
	bool		isnull;

	return strcmp(TextDatumGetCString(SPI_getbinval(row, desc, CLAIM_COL_KIND, &isnull)), "vapi.create_call") == 0;
}

/*
 * Whether a claimed call or text may go out now (compliance/outbound_checks.c):
 * one whose number was listed since it was queued ends suppressed (a
 * create-call job's number is released), one outside the person's calling
 * hours waits.  Other kinds, and jobs whose lease ran out, are not checked.
 */
static bool
may_send_now(HeapTuple row, TupleDesc desc)
{
	bool		isnull;
	Datum		org_id = SPI_getbinval(row, desc, CLAIM_COL_ORG_ID, &isnull);
	Datum		job_id = SPI_getbinval(row, desc, CLAIM_COL_JOB_ID, &isnull);
	char	   *kind = TextDatumGetCString(SPI_getbinval(row, desc, CLAIM_COL_KIND, &isnull));
	VpClaimVerdict verdict;

	if ((strcmp(kind, "vapi.create_call") != 0 && strcmp(kind, "vapi.sms") != 0) ||
		!DatumGetBool(SPI_getbinval(row, desc, CLAIM_COL_FRESH, &isnull)))
		return true;
	verdict = vp_check_claimed_job(org_id, job_id, SPI_getbinval(row, desc, CLAIM_COL_PAYLOAD, &isnull));
	if (verdict == VP_CLAIM_SUPPRESSED && strcmp(kind, "vapi.create_call") == 0)
		(void) vp_settle_dead_call(org_id, DatumGetInt64(job_id));
	return verdict == VP_CLAIM_SEND;
}

/*
 * outbox_claim(dispatcher, batch_size, lease): the claimed jobs' requests.
 * Jobs that cannot be sent (outbox_problem) are marked dead, calls and
 * texts that may not go out now (may_send_now) are suppressed or wait;
 * neither is returned.
 */
Datum
vapi_pool_outbox_claim(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		batch = PG_GETARG_INT32(1);
	Interval   *lease = PG_GETARG_INTERVAL_P(2);
	Datum		args[3] = {PG_GETARG_DATUM(0), Int32GetDatum(batch), IntervalPGetDatum(lease)};
	uint64		n;
	SPITupleTable *claimed;

	if (batch < 1 || batch > OUTBOX_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be between 1 and %d", OUTBOX_BATCH_MAX),
				 errdetail("batch_size was %d.", batch)));
	if (lease->month != 0 || lease->day != 0 ||
		lease->time < OUTBOX_LEASE_MIN_USECS || lease->time > OUTBOX_LEASE_MAX_USECS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lease must be between 1 second and 1 hour"),
				 errhint("A lease shorter than the slowest request lets a second dispatcher reconcile a job that is still being sent.")));

	vp_init_materialized_srf(fcinfo);
	vp_spi_connect();
	vp_execute(&claim_jobs, args, NULL, 0);
	n = SPI_processed;
	claimed = SPI_tuptable;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	row = claimed->vals[i];
		TupleDesc	desc = claimed->tupdesc;
		bool		isnull;
		Datum		problem = SPI_getbinval(row, desc, CLAIM_COL_PROBLEM, &isnull);

		if (!isnull)
		{
			bool		n1,
						n2;
			Datum		v[3];

			v[0] = SPI_getbinval(row, desc, CLAIM_COL_ORG_ID, &n1);
			v[1] = SPI_getbinval(row, desc, CLAIM_COL_JOB_ID, &n2);
			v[2] = problem;
			vp_execute(&bury_job, v, NULL, 0);
			if (is_create_call(row, desc))
				(void) vp_settle_dead_call(v[0], DatumGetInt64(v[1]));
			continue;
		}
		if (!may_send_now(row, desc))
			continue;
		{
			Datum		values[CLAIM_NREQUEST_COLUMNS];
			bool		nulls[CLAIM_NREQUEST_COLUMNS];

			/* the result's columns are claim_jobs' first ones, in order */
			for (int c = 0; c < CLAIM_NREQUEST_COLUMNS; c++)
				values[c] = SPI_getbinval(row, desc, c + 1, &nulls[c]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * outbox_replay(id): a dead job pending again, due now, with its attempts
 * reset and its last error kept until the next answer.  A create-call job is
 * made safe to send first (vp_prepare_call_replay), or refused.
 */
Datum
vapi_pool_outbox_replay(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		id = PG_GETARG_DATUM(0);
	Datum		result;
	bool		isnull;

	vp_spi_connect();
	vp_prepare_call_replay(id);
	vp_execute(&revive_job, &id, NULL, 0);
	if (SPI_processed == 0)
	{
		vp_execute(&job_state, &id, NULL, 0);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("outbox job %lld does not exist", (long long) DatumGetInt64(id))));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("outbox job %lld is not dead", (long long) DatumGetInt64(id)),
				 errdetail("Its state is %s.", TextDatumGetCString(vp_getdatum(0, JOB_STATE_COL_STATE, &isnull))),
				 errhint("Only a dead job can be replayed; a pending or in-flight one will be sent anyway.")));
	}
	result = vp_result_row(fcinfo, cxt, 0);
	vp_outbox_notify();
	SPI_finish();
	return result;
}

/* url_encode(text): RFC 3986 percent-encoding, unreserved characters kept. */
Datum
vapi_pool_url_encode(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	const unsigned char *s = (const unsigned char *) VARDATA_ANY(in);
	int			len = VARSIZE_ANY_EXHDR(in);
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~')
			appendStringInfoChar(&out, (char) c);
		else
			appendStringInfo(&out, "%%%02X", c);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
