/*
 * offered_slots.h
 *	  The times offered in a call, and which one a caller chose (release
 *	  0.6.0).  See offered_slots.c.
 */
#ifndef VAPI_POOL_OFFERED_SLOTS_H
#define VAPI_POOL_OFFERED_SLOTS_H

#include "postgres.h"

/*
 * The offered slot (vapi_pool.offered_slots.id) of call call_id in
 * organisation org that said names: the label as offered, or words that fit
 * exactly one offered time ("Tuesday at 9", "the second one"), among the
 * times offered on broker's calendar (has_broker), else on the
 * organisation's own.  Errors (22023, 55000) with the
 * candidates, in sentences an assistant can act on, when it cannot tell.
 */
extern int64 vp_offered_slot_id(Datum org, const char *call_id, const char *said, Datum broker, bool has_broker);

#endif							/* VAPI_POOL_OFFERED_SLOTS_H */
