/*
 * webhook_auth.h
 *	  Is a webhook really from Vapi, Instantly or Cal.com?  Checked on the raw
 *	  body bytes and headers, before any database work.
 *
 * Pure functions of (configuration, headers, body, clock): no I/O, no global
 * state, so the fuzz target and the unit tests drive them directly.
 */
#ifndef VAPI_SHIM_WEBHOOK_AUTH_H
#define VAPI_SHIM_WEBHOOK_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* who sent a webhook, decided by its path */
typedef enum webhook_source
{
	SOURCE_VAPI,
	SOURCE_INSTANTLY,
	SOURCE_CAL
} webhook_source;

/* one request header as received (not NUL-terminated) */
typedef struct auth_header
{
	const char *name;
	size_t		name_len;
	const char *value;
	size_t		value_len;
} auth_header;

typedef enum auth_result
{
	AUTH_OK,					/* the current or the previous secret matched */
	AUTH_MISSING,				/* a required header is absent */
	AUTH_INVALID,				/* present but wrong (bad secret or signature) */
	AUTH_STALE,					/* HMAC timestamp outside the tolerance */
	AUTH_NOT_CONFIGURED			/* no secret configured for this source */
} auth_result;

/*
 * Authenticate one request.  now_ms is the wall clock in epoch milliseconds
 * (a parameter so that tests can move time).  Header names compare
 * case-insensitively; secrets and signatures in constant time.
 */
extern auth_result webhook_authenticate(const shim_config *cfg, webhook_source source,
										const auth_header *headers, size_t nheaders,
										const char *body, size_t body_len, int64_t now_ms);

/* "ok", "missing", "invalid", "stale", "not_configured": metric labels */
extern const char *auth_result_name(auth_result r);

/* "vapi", "instantly", "cal": metric labels and receive_webhook's source */
extern const char *webhook_source_name(webhook_source s);

#endif							/* VAPI_SHIM_WEBHOOK_AUTH_H */
