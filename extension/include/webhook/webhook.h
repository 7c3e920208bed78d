/*
 * webhook.h
 *	  Shared pieces of receive_webhook: what handling an event produced, the
 *	  answer builders, and the senders' handlers it calls.
 */
#ifndef VAPI_POOL_WEBHOOK_H
#define VAPI_POOL_WEBHOOK_H

#include "core/json.h"
#include "core/saved_plans.h"

/*
 * What handling one event produced.  The answer and org_id live in the
 * memory context the handler was given (they survive SPI_finish).
 */
typedef struct WebhookAnswer
{
	int			http_status;
	Datum		answer;			/* jsonb */
	Datum		org_id;			/* uuid; valid when has_org */
	bool		has_org;
	bool		waiting;		/* a tool call waits for HTTP the shim makes (tool_booking.c) */
} WebhookAnswer;

/* ---- the answer (answers.c) ---- */

/*
 * The columns of a plan that answers an event: the organisation, then the
 * answer (jsonb).  A plan that returns only one of them has it as its
 * VP_SOLE_COLUMN.
 */
enum
{
	ANSWER_COL_ORG = 1,
	ANSWER_COL_BODY
};

/* Sets the answer from a JSON text, copied into cxt. */
extern void vp_answer_text(WebhookAnswer *a, MemoryContext cxt, int status, const char *json);
/* Sets the answer from a jsonb Datum, copied into cxt. */
extern void vp_answer_datum(WebhookAnswer *a, MemoryContext cxt, int status, Datum jsonb);
/* Sets the answer's organisation, copied into cxt. */
extern void vp_answer_org(WebhookAnswer *a, MemoryContext cxt, Datum org_id, bool isnull);
/* Sets the answer's organisation from column col of the last SPI result's first row. */
extern void vp_answer_org_column(WebhookAnswer *a, MemoryContext cxt, int col);

/* Appends a tool-calls result item {"name", "toolCallId", key: text} (key: result or error). */
extern void vp_tool_result(StringInfo buf, const char *name, const char *tool_call_id, const char *key,
						   const char *text);
/* An error as the sentences a tool answer gives the assistant: message, detail, hint. */
extern char *vp_error_sentences(const ErrorData *e);
/* A webhook_receipt row as the result of the SQL function called with fcinfo. */
extern Datum vp_webhook_receipt(FunctionCallInfo fcinfo, MemoryContext cxt, int64 id, int status,
								Datum answer, const char *state, bool duplicate);

/* ---- the senders (webhook_vapi.c, webhook_cal.c) ---- */

/* The dedupe key of a Vapi message of type type (palloc'd), NULL for "use a digest". */
extern char *vp_vapi_dedupe_key(Jsonb *message, const char *type);
/* Handles a Vapi message ({"message": {...}}'s inner object). */
extern void vp_vapi_handle(Jsonb *payload, Jsonb *message, const char *type, MemoryContext cxt,
						   WebhookAnswer *a);
/* The answer a Vapi message gets when handling it failed (the caller must not hang). */
extern void vp_vapi_failure_answer(Jsonb *message, const char *type, MemoryContext cxt,
								   const char *error, WebhookAnswer *a);
/* Starts check_availability_and_book; returns its answer item (JSON text), pending when *waiting. */
extern char *vp_booking_begin(const char *name, const char *tool_call_id, const char *call_id, Datum args, Datum org,
							  Datum broker, bool has_broker, Datum contact, bool has_contact, bool *waiting);

/* Handles a Cal.com booking event. */
extern void vp_cal_handle(Jsonb *payload, const char *trigger, MemoryContext cxt, WebhookAnswer *a);

#endif							/* VAPI_POOL_WEBHOOK_H */
