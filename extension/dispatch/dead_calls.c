/*
 * dead_calls.c
 *	  The number lent for a call that will not be placed: a vapi.create_call
 *	  job that ends dead (Vapi refused it, its attempts ran out, the claim
 *	  found it could not be sent, its answer could not be applied) or
 *	  suppressed (its number was put on a do-not-call list after it was
 *	  queued: compliance/outbound_checks.c).
 *
 * Its assignment is released at once, unless something live still needs
 * it: another create-call job of the assignment queued or being sent, a call
 * on it that has not ended, or a completed call whose hold still runs
 * (pool/pool_release.c's vp_release_idle_assignment).  What became of it is
 * written on the job, result.assignment "released" or "not released: <why>",
 * and said in the note outbox_report returns; a lead left "calling" with
 * nothing calling it goes back to "call_requested".
 *
 * outbox_replay sends such a job again only when that is safe: never to a
 * lead who opted out, never as a second call to a lead (another create-call
 * job queued, or a call that has not ended), never from a released number.
 * A lead whose number was released is lent one again (assign_number: the
 * same number when it is still free), and the job is pointed at that
 * assignment, its pool number and the lead's number as it is now, so an
 * operator who fixed a bad number or synced a pool number's Vapi id
 * replays the job and it goes out right.
 */
#include "dispatch/dead_calls.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/subtransaction.h"
#include "pool/pool_engine.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

/* The assignment and lead of a create-call job that is dead or suppressed. */
static VpPlan dead_job = {
	.sql = "SELECT (payload ->> 'assignment_id')::uuid, (payload ->> 'lead_id')::uuid FROM vapi_pool.outbox"
	" WHERE org_id = $1 AND id = $2 AND kind = 'vapi.create_call' AND state IN ('dead', 'suppressed')",
	.nargs = 2, .argtypes = {UUIDOID, INT8OID}
};

/* The columns of dead_job, counted from 1. */
enum
{
	DEAD_JOB_COL_ASSIGNMENT_ID = 1,
	DEAD_JOB_COL_LEAD_ID
};

/* A lead left calling with no call queued, being sent or going on: it asked for a call that was not placed. */
static VpPlan lead_not_called = {
	.sql = "UPDATE vapi_pool.leads l SET status = 'call_requested'"
	" WHERE l.org_id = $1 AND l.id = $2 AND l.status = 'calling'"
	"   AND NOT EXISTS (SELECT FROM vapi_pool.outbox o WHERE o.org_id = $1 AND o.kind = 'vapi.create_call'"
	"     AND o.state IN ('pending', 'in_flight') AND (o.payload ->> 'lead_id') = $2::text)"
	"   AND NOT EXISTS (SELECT FROM vapi_pool.vapi_call_logs c"
	"     WHERE c.org_id = $1 AND c.lead_id = $2 AND c.status <> 'ended')",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* What became of the job's assignment, on the job. */
static VpPlan note_on_job = {
	.sql = "UPDATE vapi_pool.outbox"
	" SET result = coalesce(result, '{}') || pg_catalog.jsonb_build_object('assignment', $3::text)"
	" WHERE org_id = $1 AND id = $2",
	.nargs = 3, .argtypes = {UUIDOID, INT8OID, TEXTOID}
};

/* One dead job's settling, run as a subtransaction's step. */
typedef struct DeadCall
{
	Datum		org_id;
	int64		job_id;
	bool		found;			/* a dead create-call job */
	char	   *kept;			/* why the assignment was not released, NULL when it was */
} DeadCall;

static void
settle_step(void *arg)
{
	DeadCall   *d = arg;
	Datum		args[3] = {d->org_id, Int64GetDatum(d->job_id), (Datum) 0};
	Datum		assignment;
	Datum		lead;
	bool		no_assignment;
	bool		no_lead;

	vp_execute(&dead_job, args, NULL, 0);
	d->found = SPI_processed == 1;
	if (!d->found)
		return;
	assignment = vp_getdatum(0, DEAD_JOB_COL_ASSIGNMENT_ID, &no_assignment);
	lead = vp_getdatum(0, DEAD_JOB_COL_LEAD_ID, &no_lead);
	d->kept = no_assignment ? pstrdup("the job names no assignment") :
		vp_release_idle_assignment(d->org_id, assignment, (Datum) 0, false);
	if (d->kept == NULL && !no_lead)
	{
		Datum		v[2] = {d->org_id, lead};

		vp_execute(&lead_not_called, v, NULL, 0);
	}
	args[2] = CStringGetTextDatum(d->kept == NULL ? "released" : psprintf("not released: %s", d->kept));
	vp_execute(&note_on_job, args, NULL, 0);
}

/*
 * A vapi.create_call job that is now dead: releases its assignment unless
 * something live needs it, and says so on the job and in the returned note
 * (NULL when the job is not a dead create-call job).  A failure is a note,
 * never an error: the job's own verdict must not be lost over its number.
 */
char *
vp_settle_dead_call(Datum org_id, int64 job_id)
{
	DeadCall	d = {.org_id = org_id, .job_id = job_id};
	ErrorData  *failure = vp_in_subtransaction(settle_step, &d);

	if (failure != NULL)
	{
		char	   *why = psprintf("not released: %s", failure->message);
		Datum		args[3] = {org_id, Int64GetDatum(job_id), CStringGetTextDatum(why)};

		(void) vp_try_execute(&note_on_job, args, NULL);
		return psprintf("the number lent for the call was %s", why);
	}
	if (!d.found)
		return NULL;
	return d.kept == NULL ? pstrdup("the number lent for the call is released") :
		psprintf("the number lent for the call is not released: %s", d.kept);
}

/* ---------------------------------------------------------------- replay */

/* The dead create-call job to replay, locked, with its lead's and assignment's status. */
static VpPlan replay_job = {
	.sql = "SELECT o.org_id, (o.payload ->> 'lead_id')::uuid, (o.payload ->> 'assignment_id')::uuid,"
	"   l.status, a.status"
	" FROM vapi_pool.outbox o"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = o.org_id AND l.id = (o.payload ->> 'lead_id')::uuid"
	" LEFT JOIN vapi_pool.vapi_number_assignments a"
	"   ON a.org_id = o.org_id AND a.id = (o.payload ->> 'assignment_id')::uuid"
	" WHERE o.id = $1 AND o.kind = 'vapi.create_call' AND o.state = 'dead'"
	" FOR UPDATE OF o",
	.nargs = 1, .argtypes = {INT8OID}
};

/* The columns of replay_job, counted from 1. */
enum
{
	REPLAY_JOB_COL_ORG_ID = 1,
	REPLAY_JOB_COL_LEAD_ID,
	REPLAY_JOB_COL_ASSIGNMENT_ID,
	REPLAY_JOB_COL_LEAD_STATUS,
	REPLAY_JOB_COL_ASSIGNMENT_STATUS
};

/* Another create-call job of the lead that is queued or being sent. */
static VpPlan other_call_job = {
	.sql = "SELECT o.id, o.state FROM vapi_pool.outbox o"
	" WHERE o.org_id = $1 AND o.kind = 'vapi.create_call' AND o.state IN ('pending', 'in_flight')"
	"   AND (o.payload ->> 'lead_id') = $2::text AND o.id <> $3"
	" ORDER BY o.id LIMIT 1",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, INT8OID}
};

/* The columns of other_call_job, counted from 1. */
enum
{
	OTHER_CALL_JOB_COL_ID = 1,
	OTHER_CALL_JOB_COL_STATE
};

/* A call to the lead that has not ended. */
static VpPlan call_going_on = {
	.sql = "SELECT c.vapi_call_id FROM vapi_pool.vapi_call_logs c"
	" WHERE c.org_id = $1 AND c.lead_id = $2 AND c.status <> 'ended'"
	" ORDER BY c.created_at LIMIT 1",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan lend_again = {
	.sql = "SELECT a.id FROM vapi_pool.assign_number($1) a",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The job pointed at the assignment, its pool number and the lead's number and name now. */
static VpPlan repoint_job = {
	.sql = "UPDATE vapi_pool.outbox o SET payload = o.payload"
	"   || pg_catalog.jsonb_build_object('assignment_id', a.id, 'phone_number_id', p.vapi_phone_number_id,"
	"        'from_number', p.number)"
	"   || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('customer_number', l.primary_phone_e164,"
	"        'customer_name', l.name))"
	" FROM vapi_pool.vapi_number_assignments a"
	" JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id"
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id"
	" WHERE o.id = $1 AND a.org_id = o.org_id AND a.id = $2",
	.nargs = 2, .argtypes = {INT8OID, UUIDOID}
};

/* A lead its job's death left asking for a call is being called again. */
static VpPlan lead_calling = {
	.sql = "UPDATE vapi_pool.leads SET status = 'calling'"
	" WHERE org_id = $1 AND id = $2 AND status = 'call_requested'",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* The error context while the lead of a replayed job is lent a number again. */
static void
lend_again_context(void *arg)
{
	errcontext("lending the lead of outbox job %lld a number again: the job's number was released",
			   (long long) *(int64 *) arg);
}

/* Whether a lead's status says it asked not to be called. */
static bool
opted_out(const char *status)
{
	return strcmp(status, "do_not_call") == 0 || strcmp(status, "not_interested") == 0;
}

/* Errors unless the lead of job_id may be called now: it exists, did not opt out or book, is not being called. */
static void
check_callable(Datum org_id, Datum lead_id, const char *lead_status, int64 job_id)
{
	Datum		args[3] = {org_id, lead_id, Int64GetDatum(job_id)};
	bool		isnull;

	if (lead_status == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the lead of outbox job %lld no longer exists", (long long) job_id)));
	if (opted_out(lead_status))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead %s opted out: outbox job %lld is not sent again",
						vp_uuid_string(lead_id), (long long) job_id),
				 errdetail("The lead's status is %s.", lead_status),
				 errhint("A new request from the lead (an Instantly reply asking for a call) queues a new call.")));
	/*
	 * a lead who booked meanwhile has nothing left to be called for (one who
	 * was only reached may be called back: the broker may have promised it)
	 */
	if (strcmp(lead_status, "appointment_booked") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lead %s has booked an appointment already: outbox job %lld is not sent again",
						vp_uuid_string(lead_id), (long long) job_id),
				 errdetail("The lead's status is %s.", lead_status),
				 errhint("Set the lead's status back to call_requested first if they are to be called anyway.")));
	vp_execute(&other_call_job, args, NULL, 0);
	if (SPI_processed == 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a call to lead %s is already queued", vp_uuid_string(lead_id)),
				 errdetail("Outbox job %lld is %s.",
						   (long long) DatumGetInt64(vp_getdatum(0, OTHER_CALL_JOB_COL_ID, &isnull)),
						   TextDatumGetCString(vp_getdatum(0, OTHER_CALL_JOB_COL_STATE, &isnull))),
				 errhint("Replaying outbox job %lld as well would call the lead twice.", (long long) job_id)));
	vp_execute(&call_going_on, args, NULL, 0);
	if (SPI_processed == 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("call %s to lead %s has not ended",
						TextDatumGetCString(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)), vp_uuid_string(lead_id)),
				 errdetail("Replaying outbox job %lld now would call the lead a second time.", (long long) job_id),
				 errhint("Replay it once that call's end-of-call report has come, or reconcile_stale_calls() has "
						 "given up on it.")));
}

/*
 * Before outbox_replay sends a dead create-call job again (anything else is
 * left alone): the lead must be callable now; its number is the job's
 * assignment while that is unreleased, else a number lent again; the job is
 * pointed at it and at the lead's number now.
 */
void
vp_prepare_call_replay(Datum job_id)
{
	int64		job = DatumGetInt64(job_id);
	Datum		org_id;
	Datum		lead_id;
	Datum		assignment_id;
	char	   *lead_status;
	bool		no_lead;
	bool		no_assignment;
	bool		isnull;
	bool		released;

	vp_execute(&replay_job, &job_id, NULL, 0);
	if (SPI_processed == 0)
		return;
	org_id = vp_getdatum(0, REPLAY_JOB_COL_ORG_ID, &isnull);
	lead_id = vp_getdatum(0, REPLAY_JOB_COL_LEAD_ID, &no_lead);
	assignment_id = vp_getdatum(0, REPLAY_JOB_COL_ASSIGNMENT_ID, &no_assignment);
	lead_status = no_lead ? NULL : SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
												REPLAY_JOB_COL_LEAD_STATUS);
	{
		char	   *status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										  REPLAY_JOB_COL_ASSIGNMENT_STATUS);

		released = no_assignment || status == NULL || strcmp(status, "released") == 0;
	}

	check_callable(org_id, lead_id, lead_status, job);
	if (released)
	{
		ErrorContextCallback context = {.previous = error_context_stack,.callback = lend_again_context,.arg = &job};

		error_context_stack = &context;
		vp_execute(&lend_again, &lead_id, NULL, 0);
		error_context_stack = context.previous;
		assignment_id = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
	}
	{
		Datum		args[2] = {job_id, assignment_id};

		vp_execute(&repoint_job, args, NULL, 0);
	}
	{
		Datum		args[2] = {org_id, lead_id};

		vp_execute(&lead_calling, args, NULL, 0);
	}
}
