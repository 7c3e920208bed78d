/*
 * pool_engine.h
 *	  The number-pool engine's steps that other parts call: releasing
 *	  numbers (pool/pool_release.c), what a Vapi endedReason means
 *	  (pool/ended_reason.c).  When a person may be called is
 *	  compliance/'s (compliance/compliance.h).
 */
#ifndef VAPI_POOL_POOL_ENGINE_H
#define VAPI_POOL_POOL_ENGINE_H

#include "core/compat.h"

#include "utils/timestamp.h"

/*
 * SQL: whether assignment alias's lead has a booked appointment with the
 * assignment's broker that ended less than vapi_pool.hold_after_appointment
 * before now_expr: such a number is not released (release 0.8.0).  Read
 * through appointments_contact_idx.
 */
#define VP_APPOINTMENT_HOLDS_NUMBER(alias, now_expr) \
	"EXISTS (SELECT FROM vapi_pool.appointments ap" \
	"  WHERE ap.org_id = " alias ".org_id AND ap.contact_id = " alias ".lead_id" \
	"    AND ap.broker_id = " alias ".broker_id AND ap.status = 'booked'" \
	"    AND ap.ends_at > " now_expr " - pg_catalog.current_setting('vapi_pool.hold_after_appointment')::pg_catalog.interval)"

/* Releases one assignment now; false when it was already released. */
extern bool vp_release_assignment(Datum assignment_id);
/* Releases a booked assignment nothing live needs; NULL when it did, else why not. */
extern char *vp_release_idle_assignment(Datum org_id, Datum assignment_id, Datum except_call_log,
										bool has_except);
/* Holds an assignment until hold_after_appointment after an appointment ending at ends_at. */
extern void vp_hold_for_appointment(Datum org_id, Datum assignment_id, Datum ends_at, bool timed_only);
/* Releases up to batch_size expired assignments (of one broker when one_broker). */
extern uint64 vp_release_batch(TimestampTz now, int batch_size, TimestampTz *from, Datum org_id,
							   Datum broker_id, bool one_broker);
/* The class of a Vapi endedReason: answered, no_answer, voicemail or provider_error. */
extern const char *vp_classify_ended_reason(const char *reason);

#endif							/* VAPI_POOL_POOL_ENGINE_H */
