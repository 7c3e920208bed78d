/*
 * clinic_dropoff.h
 *	  Drop-off detection for clinic calls and the follow-up it records
 *	  (clinic_dropoff.c), called by record_call_ended (call_outcome.c).
 */
#ifndef VAPI_POOL_CLINIC_DROPOFF_H
#define VAPI_POOL_CLINIC_DROPOFF_H

#include "postgres.h"

#include "utils/timestamp.h"

/* The ended call of a clinic, as record_call_ended knows it. */
typedef struct ClinicCall
{
	Datum		org_id;
	Datum		lead_id;
	Datum		call_log_id;
	Datum		vapi_call_id;	/* text */
	const char *transcript;		/* as reported, before redaction; may be NULL */
	int			transcript_len;
	const char *ended_reason;
	TimestampTz started_at;
	TimestampTz ended_at;
} ClinicCall;

/*
 * The contact of a call that has none, before its report is logged: the
 * caller on file, or a new contact when the call was a drop-off; the call's
 * log linked to it.  True and call->lead_id when there is one.  The caller
 * is connected to SPI.
 */
extern bool vp_clinic_caller(ClinicCall *call);

/*
 * Releases the holds the caller left unconfirmed, books their follow-ups
 * when they booked, else detects a drop-off in the call and records its
 * follow-up (and SMS job); true and its id when one was created.  The
 * caller is connected to SPI.
 */
extern bool vp_clinic_after_call(const ClinicCall *call, Datum *followup_id);

#endif							/* VAPI_POOL_CLINIC_DROPOFF_H */
