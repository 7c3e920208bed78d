/*
 * clinic_dropoff.h
 *	  Drop-off detection for clinic calls and the follow-up it records
 *	  (clinic_dropoff.c), called by record_call_ended (call_outcome.c).
 */
#ifndef VAPI_POOL_CLINIC_DROPOFF_H
#define VAPI_POOL_CLINIC_DROPOFF_H

#include "postgres.h"

#include "utils/timestamp.h"

#include "transcript_text.h"

/* The verdict on one call. */
typedef struct Dropoff
{
	char	  **procedures;		/* canonical names, in order of first mention */
	int			nprocedures;
	bool		is_dropoff;
	/* hung_up, silence, technical_failure; or no_procedure, booked, declined, ended_normally */
	const char *reason;
} Dropoff;

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
	const char *timezone;		/* the clinic's */
} ClinicCall;

extern void vp_detect_dropoff(const char *transcript, int len, const char *ended_reason, bool booked,
							  const TermSet *vocab, Dropoff *d);
extern Datum vp_dropoff_procedures(const Dropoff *d);
extern bool vp_clinic_after_call(const ClinicCall *call, Datum *followup_id);

#endif							/* VAPI_POOL_CLINIC_DROPOFF_H */
