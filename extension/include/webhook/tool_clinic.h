/*
 * tool_clinic.h
 *	  The clinic receptionist's tools (tool_clinic.c), called by the
 *	  tool-calls handler (webhook_vapi.c) and, for the steps that wait for
 *	  Cal.com, by continue_webhook (tool_booking.c).
 */
#ifndef VAPI_POOL_TOOL_CLINIC_H
#define VAPI_POOL_TOOL_CLINIC_H

#include "postgres.h"

/* One call of a receptionist's tool, and what the tool learnt of the caller. */
typedef struct ClinicTool
{
	const char *name;
	const char *tool_call_id;
	Datum		args;			/* jsonb object */
	Datum		org;			/* uuid: the call's organisation */
	const char *call_id;		/* Vapi's id of the call, or NULL */
	const char *caller;			/* the caller's number as Vapi sent it, or NULL */
	/* in: the call's contact (its log's lead), if any; out: the contact the tool used or made */
	Datum		contact;
	bool		has_contact;
} ClinicTool;

/* Whether name is one of the receptionist's tools. */
extern bool vp_clinic_tool_known(const char *name);
/*
 * Runs one receptionist tool; returns its whole answer item (JSON text):
 * final, or pending (*waiting) while it waits for Cal.com.  Never errors for
 * what the caller or the model did: an error becomes the item's "error".
 */
extern char *vp_clinic_tool(ClinicTool *t, bool *waiting);
/* Whether a pending item's step is one of the receptionist's (clinic_...). */
extern bool vp_clinic_step(const char *step);
/* The next item of a pending receptionist step, given Cal.com's response. */
extern char *vp_clinic_finish_step(const char *name, const char *tool_call_id, const char *step, Datum context,
								   int status, const char *body, const char *error, bool *waiting);

#endif							/* VAPI_POOL_TOOL_CLINIC_H */
