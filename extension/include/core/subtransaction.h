/*
 * subtransaction.h
 *	  Steps run in a subtransaction (core/subtransaction.c): an error rolls
 *	  back only the step and comes back as a value.
 */
#ifndef VAPI_POOL_SUBTRANSACTION_H
#define VAPI_POOL_SUBTRANSACTION_H

#include "core/saved_plans.h"

extern bool vp_error_must_propagate(int sqlerrcode);
extern ErrorData *vp_in_subtransaction(void (*step) (void *arg), void *arg);
/* The same, with one more error code returned as a value (0: none). */
extern ErrorData *vp_in_subtransaction_catching(void (*step) (void *arg), void *arg, int also_catch);
/* Executes a plan in a subtransaction; returns the error message, or NULL when it succeeded. */
extern char *vp_try_execute(VpPlan *plan, Datum *values, const char *nulls);
/* Reads text with a type's input function in a subtransaction; false when the type refuses it. */
extern bool vp_try_input(PGFunction input, const char *text, Datum *value);

#endif							/* VAPI_POOL_SUBTRANSACTION_H */
