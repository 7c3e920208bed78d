/*
 * webhook.h
 *	  Shared pieces of receive_webhook: what handling an event produced, and
 *	  reading the JSON body.
 */
#ifndef VAPI_POOL_WEBHOOK_H
#define VAPI_POOL_WEBHOOK_H

#include "pool_engine.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

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

/* ---- reading the body (webhook_receive.c) ---- */

/* The value at a path of object keys (NULL-terminated list), or NULL. */
extern JsonbValue *vp_json_get(Jsonb *j, const char *const *path, JsonbValue *buf);
/* The scalar at a path as text (strings as they are, numbers and booleans as written), or NULL. */
extern char *vp_json_text(Jsonb *j, const char *const *path);
/* The sub-document at a path as jsonb (objects and arrays only), or NULL. */
extern Jsonb *vp_json_object(Jsonb *j, const char *const *path);
/* Appends s as a JSON string literal. */
extern void vp_json_string(StringInfo buf, const char *s);
/* A JSON text as a jsonb Datum. */
extern Datum vp_jsonb_from_text(const char *json);
/* A text argument for vp_execute, or its NULL marker when s is NULL. */
extern Datum vp_text_arg(const char *s, char *null);
/* Sets the answer from a JSON text, copied into cxt. */
extern void vp_answer_text(WebhookAnswer *a, MemoryContext cxt, int status, const char *json);
/* Sets the answer from a jsonb Datum, copied into cxt. */
extern void vp_answer_datum(WebhookAnswer *a, MemoryContext cxt, int status, Datum jsonb);
/* Sets the answer's organisation, copied into cxt. */
extern void vp_answer_org(WebhookAnswer *a, MemoryContext cxt, Datum org_id, bool isnull);
/* Sets the answer's organisation from column col of the last SPI result's first row. */
extern void vp_answer_org_column(WebhookAnswer *a, MemoryContext cxt, int col);

/* ---- the senders (webhook_vapi.c, webhook_cal.c) ---- */

extern char *vp_vapi_intake_assistant_id;	/* vapi_pool.intake_assistant_id */
extern char *vp_vapi_connector_assistant_id;	/* vapi_pool.connector_assistant_id */
extern int	vp_vapi_known_caller_answer;	/* vapi_pool.known_caller_answer */
extern bool vp_vapi_async_routing_commit;	/* vapi_pool.async_routing_commit */

#define VP_KNOWN_CALLER_ASSISTANT 0
#define VP_KNOWN_CALLER_FORWARD 1

extern void vp_define_webhook_settings(void);

/* The dedupe key of a Vapi message of type type (palloc'd), NULL for "use a digest". */
extern char *vp_vapi_dedupe_key(Jsonb *message, const char *type);
/* Per-transaction settings for a Vapi message about to run (asynchronous commit of routing). */
extern void vp_vapi_before(const char *type);
/* Handles a Vapi message ({"message": {...}}'s inner object). */
extern void vp_vapi_handle(Jsonb *payload, Jsonb *message, const char *type, MemoryContext cxt,
						   WebhookAnswer *a);
/* The answer a Vapi message gets when handling it failed (the caller must not hang). */
extern void vp_vapi_failure_answer(Jsonb *message, const char *type, MemoryContext cxt,
								   const char *error, WebhookAnswer *a);
/* Runs the rest of the transaction as the organisation's service (request.jwt.claims). */
extern void vp_vapi_set_org_claims(Datum org_id);

/* Starts check_availability_and_book; returns its answer item (JSON text), pending when *waiting. */
extern char *vp_booking_begin(const char *name, const char *tool_call_id, Datum args, Datum org,
							  Datum broker, bool has_broker, Datum contact, bool has_contact, bool *waiting);

/* Handles a Cal.com booking event. */
extern void vp_cal_handle(Jsonb *payload, const char *trigger, MemoryContext cxt, WebhookAnswer *a);

#endif							/* VAPI_POOL_WEBHOOK_H */
