/*
 * tool_opt_out.h
 *	  Opt-outs said on the phone (tool_opt_out.c): the assistants'
 *	  record_opt_out tool, called by the tool-calls handler, and the
 *	  end-of-call report's doNotCall, read by the report's handler
 *	  (webhook_vapi.c).
 */
#ifndef VAPI_POOL_TOOL_OPT_OUT_H
#define VAPI_POOL_TOOL_OPT_OUT_H

#include "postgres.h"

#include "utils/jsonb.h"

/* the tool's name, as the assistants' definitions (assistants/ROLE.json) call it */
#define VP_OPT_OUT_TOOL "record_opt_out"

/*
 * Runs record_opt_out for the call call_id of organisation org (has_org:
 * the call's organisation is known) whose other party Vapi names customer
 * (NULL: none; the call's log is asked then); args: the tool's arguments
 * (jsonb object: an optional reason).  Returns the sentences the assistant
 * says and acts on; errors (with a hint saying what to tell the caller)
 * when no opt-out could be recorded.
 */
extern char *vp_opt_out_tool(Datum org, bool has_org, const char *call_id, const char *customer, Datum args);

/*
 * For an end-of-call report (message: its inner object) of a call of
 * organisation org: when its analysis.structuredData.doNotCall is true,
 * records the opt-out of the call's other party (customer, else the call's
 * log).  Returns whether one was recorded.
 */
extern bool vp_opt_out_reported(Jsonb *message, Datum org, const char *call_id, const char *customer);

#endif							/* VAPI_POOL_TOOL_OPT_OUT_H */
