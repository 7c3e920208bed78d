/*
 * vendor_request.h
 *	  An HTTP request to a vendor (Vapi, Cal.com) built from the database's
 *	  description of it, for http_client.c: the dispatcher's outbox jobs
 *	  (dispatcher.c) and the requests of live tool calls (db_pool.c).
 */
#ifndef VAPI_SHIM_VENDOR_REQUEST_H
#define VAPI_SHIM_VENDOR_REQUEST_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "http_client.h"

/* who sends the request: each has its own checks and words (vendor_request.c) */
typedef enum vendor_caller
{
	VENDOR_DISPATCH,			/* the dispatcher's outbox jobs */
	VENDOR_LIVE_TOOL_CALL,		/* the requests a live tool call waits for */
	VENDOR_NUM_CALLERS
} vendor_caller;

/* a request as the database describes it; every pointer stays the caller's */
typedef struct vendor_call
{
	const char *service;		/* "vapi" or "cal": the base URL and API key */
	const char *method;
	const char *path;			/* after the base URL: starts with /, may hold a query */
	json_t	   *headers;		/* the request's own: an object of strings; NULL for none */
	int			malformed;		/* the body or the headers were not of their JSON type */
	const char *body;			/* NULL for none; must outlive the request */
	size_t		body_len;
	long		timeout_ms;
} vendor_call;

/* a built request; free it with vendor_request_free whatever the build said */
typedef struct vendor_request
{
	http_request req;			/* ready to send once vendor_request_build returned NULL */
	char	   *method;			/* set once the method and path passed their checks */
	char	   *url;
	char	  **headers;		/* "Name: value" lines, NULL-terminated */
} vendor_request;

/*
 * Build the request call describes, for caller (base URL and
 * "Authorization: Bearer" key of its service from cfg, our headers, then
 * its own).  NULL when vr->req can be sent (set its user field), else why
 * not, in the caller's words for the database.
 */
extern const char *vendor_request_build(vendor_request *vr, vendor_caller caller,
										const shim_config *cfg, const vendor_call *call);

/* Free what vendor_request_build allocated (the key's line is wiped first). */
extern void vendor_request_free(vendor_request *vr);

#endif							/* VAPI_SHIM_VENDOR_REQUEST_H */
