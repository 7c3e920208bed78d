/*
 * subtransaction.c
 *	  Running a step in a subtransaction: its error rolls back only the step
 *	  and comes back as a value, so one tool call, one outbox answer or one
 *	  parse attempt cannot lose the work around it.
 */
#include "core/subtransaction.h"
#include "core/saved_plans.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/*
 * Whether an error must end the statement instead of being handled as a
 * step's failure: a cancel, a shutdown, a server in trouble.
 */
bool
vp_error_must_propagate(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_QUERY_CANCELED ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_INSUFFICIENT_RESOURCES ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_SYSTEM_ERROR ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_INTERNAL_ERROR;
}

bool		vp_put_off_errors = false;

/* Is this error one a delivery of a group is put off for (see vp_put_off_errors)? */
bool
vp_error_puts_off(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_TRANSACTION_ROLLBACK;
}

static ErrorData *in_subtransaction(void (*step) (void *arg), void *arg, int also_catch, bool delivery);

/*
 * Runs step(arg) in a subtransaction, in the caller's memory context.
 * Returns NULL when it succeeded (its effects stay), else rolls it back and
 * returns its error, copied into the caller's memory context; errors that
 * must propagate (vp_error_must_propagate) are thrown again.
 */
ErrorData *
vp_in_subtransaction(void (*step) (void *arg), void *arg)
{
	return vp_in_subtransaction_catching(step, arg, 0);
}

/*
 * vp_in_subtransaction, but the error code also_catch (0: none) comes back
 * as a value although it is of a class that must propagate: a step's own
 * error that reuses such a code (assign_number's exhausted pool, 53000).
 */
ErrorData *
vp_in_subtransaction_catching(void (*step) (void *arg), void *arg, int also_catch)
{
	return in_subtransaction(step, arg, also_catch, false);
}

/*
 * Runs a delivery of a group (receive_webhooks) in a subtransaction: as
 * vp_in_subtransaction, but an error it is put off for comes back as a
 * value too, however deep the step that met it.
 */
ErrorData *
vp_in_delivery_subtransaction(void (*step) (void *arg), void *arg)
{
	return in_subtransaction(step, arg, 0, true);
}

/* The subtransaction of the functions above. */
static ErrorData *
in_subtransaction(void (*step) (void *arg), void *arg, int also_catch, bool delivery)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile failure = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		step(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (vp_error_must_propagate(edata->sqlerrcode) && edata->sqlerrcode != also_catch)
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		if (vp_put_off_errors && !delivery && vp_error_puts_off(edata->sqlerrcode))
		{
			/* this step's subtransaction is gone: the delivery's catches the error */
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
			ReThrowError(edata);
		}
		failure = edata;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return failure;
}

/* A plan with its arguments, run as a subtransaction's step. */
typedef struct PlanStep
{
	VpPlan	   *plan;
	Datum	   *values;
	const char *nulls;
} PlanStep;

static void
run_plan_step(void *arg)
{
	PlanStep   *p = arg;

	vp_execute(p->plan, p->values, p->nulls, 0);
}

/* Runs plan in a subtransaction; on error returns the message instead of throwing. */
char *
vp_try_execute(VpPlan *plan, Datum *values, const char *nulls)
{
	PlanStep	step = {plan, values, nulls};
	ErrorData  *failure = vp_in_subtransaction(run_plan_step, &step);

	return failure ? failure->message : NULL;
}

/* A type's input function, the text it reads and the value it made. */
typedef struct InputStep
{
	PGFunction	input;
	const char *text;
	Datum		value;
} InputStep;

static void
run_input_step(void *arg)
{
	InputStep  *i = arg;

	/* as InputFunctionCall calls it: the text, no type parameter, no typmod */
	i->value = DirectFunctionCall3(i->input, CStringGetDatum(i->text), ObjectIdGetDatum(InvalidOid),
								   Int32GetDatum(-1));
}

/*
 * Reads text with a type's input function (jsonb_in, timestamptz_in, ...) in
 * a subtransaction; returns false, with nothing changed, when the type
 * refuses the text.
 */
bool
vp_try_input(PGFunction input, const char *text, Datum *value)
{
	InputStep	step = {input, text, (Datum) 0};

	if (vp_in_subtransaction(run_input_step, &step) != NULL)
		return false;
	*value = step.value;
	return true;
}
