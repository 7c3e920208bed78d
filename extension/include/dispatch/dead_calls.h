/*
 * dead_calls.h
 *	  What a create-call job that ends dead does to the number lent for its
 *	  call, and how such a job is replayed (dispatch/dead_calls.c).
 */
#ifndef VAPI_POOL_DEAD_CALLS_H
#define VAPI_POOL_DEAD_CALLS_H

#include "core/compat.h"

/*
 * A vapi.create_call job that is now dead: releases its assignment unless
 * something live needs it, writes what became of it on the job (result
 * "assignment") and returns the same as a note.  Never throws (SPI connected).
 */
extern char *vp_settle_dead_call(Datum org_id, int64 job_id);

/*
 * Before outbox_replay sends a dead create-call job again: refuses what
 * must not be called, lends the lead a number again when the job's was
 * released, and points the job at the lead's number now (SPI connected).
 */
extern void vp_prepare_call_replay(Datum job_id);

#endif							/* VAPI_POOL_DEAD_CALLS_H */
