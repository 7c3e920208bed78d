/*
 * tool_appointment.h
 *	  Barbara's update_appointment tool (tool_appointment.c): on the call
 *	  that confirms an appointment, the lead confirms or cancels it.
 */
#ifndef VAPI_POOL_TOOL_APPOINTMENT_H
#define VAPI_POOL_TOOL_APPOINTMENT_H

#include "postgres.h"

/* the tool's name, as assistants/intake.json calls it */
#define VP_APPOINTMENT_TOOL "update_appointment"

/*
 * Runs update_appointment for the call's lead (lead, of organisation org):
 * args is the tool's arguments (jsonb object: action confirm or cancel, an
 * optional appointment_id).  Returns the sentences the assistant says and
 * acts on; errors with what to do instead when there is no such
 * appointment.
 */
extern char *vp_appointment_tool(Datum org, Datum lead, bool has_lead, Datum args);

#endif							/* VAPI_POOL_TOOL_APPOINTMENT_H */
