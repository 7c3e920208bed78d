/*
 * privacy.h
 *	  Personal data at rest (release 0.7.0): what the retention purge
 *	  (compliance/retention.c) and the erasure of one contact
 *	  (compliance/erasure.c) leave of a job's payload.  docs/privacy.md
 *	  states what is kept, for how long and why.
 */
#ifndef VAPI_POOL_PRIVACY_H
#define VAPI_POOL_PRIVACY_H

/*
 * A SQL expression: the outbox payload payload without personal data.  Only
 * ids and counters stay (the lead's id, so the lead's jobs can still be
 * counted; the assignment, follow-up, hold, appointment and booking it
 * served; the attempt), with "purged": true, which marks a payload as done.  A whitelist,
 * so that a key added to a payload later is stripped too.
 */
#define VP_PAYLOAD_WITHOUT_PERSONAL_DATA(payload) \
	"pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('purged', true," \
	" 'lead_id', " payload " -> 'lead_id', 'assignment_id', " payload " -> 'assignment_id'," \
	" 'followup_id', " payload " -> 'followup_id', 'hold_id', " payload " -> 'hold_id'," \
	" 'booking_uid', " payload " -> 'booking_uid', 'attempt', " payload " -> 'attempt'," \
	" 'retry_of', " payload " -> 'retry_of', 'purpose', " payload " -> 'purpose'," \
	" 'appointment_id', " payload " -> 'appointment_id'," \
	" 'phone_number_id', " payload " -> 'phone_number_id'))"

/* The outbox kinds whose payloads name a person (a call lookup or a number purchase does not). */
#define VP_PERSONAL_JOB_KINDS "('vapi.create_call', 'vapi.sms', 'cal.create_booking', 'cal.cancel_booking')"

#endif							/* VAPI_POOL_PRIVACY_H */
