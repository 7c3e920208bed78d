/*
 * webhook_body.h
 *	  The little the shim reads of a webhook body: is it JSON, which Vapi
 *	  message type is it, and what to answer when the database cannot.
 *
 * Every decision about an event is the database's (vapi_pool.receive_webhook).
 * The shim parses a body only to refuse malformed JSON with 400 before any
 * database work, to label metrics, and to build the answers Vapi needs when
 * the database is down or too slow: a caller must never be left to a timeout.
 */
#ifndef VAPI_SHIM_WEBHOOK_BODY_H
#define VAPI_SHIM_WEBHOOK_BODY_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "webhook_auth.h"

typedef enum body_result
{
	BODY_OK,
	BODY_MALFORMED,				/* not JSON (or not UTF-8, or has \u0000) */
	BODY_NOT_OBJECT				/* JSON, but the top level is not an object */
} body_result;

typedef struct webhook_body
{
	json_t	   *root;			/* the parsed body; owned, webhook_body_free() */
	/* Vapi only: message.type, or NULL when absent or not a string */
	const char *vapi_type;
	char		error[160];		/* why it is not BODY_OK, for the 400 answer */
} webhook_body;

/* Parse body; fills b (b->root NULL unless BODY_OK). */
extern body_result webhook_body_parse(webhook_body *b, webhook_source source,
									  const char *body, size_t len);
extern void webhook_body_free(webhook_body *b);

/*
 * The answer to send when the database is unreachable or past its deadline,
 * or NULL when the sender should get 503 instead (it can retry, or nothing
 * is waiting on the answer).  Vapi only:
 *   assistant-request            -> {"assistantId": <intake assistant>}
 *                                   (or NULL when none is configured)
 *   transfer-destination-request -> {"error": "<sentence the assistant can say>"}
 *   tool-calls                   -> {"results": [{"name", "toolCallId",
 *                                   "error": "..."}]}, one per call, in order,
 *                                   accepting every toolCallList item form
 */
extern json_t *webhook_fallback_answer(const webhook_body *b, const shim_config *cfg);

#endif							/* VAPI_SHIM_WEBHOOK_BODY_H */
