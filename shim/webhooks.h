/*
 * webhooks.h
 *	  The webhook endpoints vapi-shim answers (Vapi, Instantly, Cal.com).
 *
 * In this release every endpoint is a placeholder that answers 501: none of
 * them pretends to accept an event.  An endpoint whose secret is not
 * configured refuses every request with 401 instead.
 */
#ifndef VAPI_SHIM_WEBHOOKS_H
#define VAPI_SHIM_WEBHOOKS_H

#include <h2o.h>

#include "config.h"

typedef struct webhook_route webhook_route;

extern const webhook_route *webhook_lookup(h2o_iovec_t path);
extern int	webhook_handle(const webhook_route *route, const shim_config *cfg, h2o_req_t *req);

#endif							/* VAPI_SHIM_WEBHOOKS_H */
