/*
 * call_lookup.h
 *	  What Vapi's answer to a vapi.get_call job (GET /call/{id}: a call
 *	  whose end-of-call report never came) means (dispatch/call_lookup.c).
 */
#ifndef VAPI_POOL_CALL_LOOKUP_H
#define VAPI_POOL_CALL_LOOKUP_H

#include "core/compat.h"

/* What becomes of a lookup job Vapi answered 2xx. */
typedef struct CallLookup
{
	const char *state;			/* done, or dead when Vapi's answer settles nothing */
	char	   *note;
	char	   *error;			/* last_error, NULL when none */
	Datum		result;			/* jsonb, or (Datum) 0 */
} CallLookup;

/*
 * Judges the call Vapi returned for the job's payload (call_id): an ended
 * call's outcome is recorded as its end-of-call report would be; strict: a
 * failure to record throws instead of being judged (SPI connected).
 */
extern void vp_judge_call_lookup(Datum payload, Datum call, bool strict, CallLookup *out);

#endif							/* VAPI_POOL_CALL_LOOKUP_H */
