/*
 * subtransaction.h
 *	  Steps run in a subtransaction (core/subtransaction.c): an error rolls
 *	  back only the step and comes back as a value.
 */
#ifndef VAPI_POOL_SUBTRANSACTION_H
#define VAPI_POOL_SUBTRANSACTION_H

#include "core/saved_plans.h"

extern bool vp_error_must_propagate(int sqlerrcode);
/*
 * Set while receive_webhooks runs a group: a lock wait put off (55P03) or a
 * deadlock or serialization failure (class 40) then propagates out of every
 * step to the delivery's own subtransaction (vp_in_delivery_subtransaction),
 * which puts the whole delivery off; caught by a tool's step it would have
 * become that tool's answer instead.
 */
extern bool vp_put_off_errors;
/* Is this error one a delivery of a group is put off for (see vp_put_off_errors)? */
extern bool vp_error_puts_off(int sqlerrcode);
/* A delivery of a group in a subtransaction: returns every error but those that must propagate. */
extern ErrorData *vp_in_delivery_subtransaction(void (*step) (void *arg), void *arg);
extern ErrorData *vp_in_subtransaction(void (*step) (void *arg), void *arg);
/* The same, with one more error code returned as a value (0: none). */
extern ErrorData *vp_in_subtransaction_catching(void (*step) (void *arg), void *arg, int also_catch);
/* Executes a plan in a subtransaction; returns the error message, or NULL when it succeeded. */
extern char *vp_try_execute(VpPlan *plan, Datum *values, const char *nulls);
/* Reads text with a type's input function in a subtransaction; false when the type refuses it. */
extern bool vp_try_input(PGFunction input, const char *text, Datum *value);

#endif							/* VAPI_POOL_SUBTRANSACTION_H */
