/*
 * subtransaction.c
 *	  Running a step in a subtransaction: its error rolls back only the step
 *	  and comes back as a value, so one tool call, one outbox answer or one
 *	  parse attempt cannot lose the work around it.
 */
#include "pool_engine.h"

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

/*
 * Runs step(arg) in a subtransaction, in the caller's memory context.
 * Returns NULL when it succeeded (its effects stay), else rolls it back and
 * returns its error, copied into the caller's memory context; errors that
 * must propagate (vp_error_must_propagate) are thrown again.
 */
ErrorData *
vp_in_subtransaction(void (*step) (void *arg), void *arg)
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
		if (vp_error_must_propagate(edata->sqlerrcode))
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		failure = edata;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return failure;
}
