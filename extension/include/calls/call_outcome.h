/*
 * call_outcome.h
 *	  What the rest of the extension calls of calls/call_outcome.c.
 */
#ifndef VAPI_POOL_CALL_OUTCOME_H
#define VAPI_POOL_CALL_OUTCOME_H

#include "core/compat.h"

/* record_call_placed for n calls in one statement; errors if any cannot be logged. */
extern void vp_record_calls_placed(Datum *assignment_ids, Datum *call_ids, Datum *attempts, int n);

#endif							/* VAPI_POOL_CALL_OUTCOME_H */
