/*
 * webhooks.c
 *	  The webhook endpoints vapi-shim answers (Vapi, Instantly, Cal.com).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "http_server.h"
#include "webhooks.h"

struct webhook_route
{
	const char *path;
	size_t		secret_offset;	/* shim_config field holding its secret */
};

static const webhook_route routes[] = {
	{"/webhook/vapi", offsetof(shim_config, vapi_secret)},
	{"/webhook/vapi-inbound", offsetof(shim_config, vapi_secret)},
	{"/webhook/vapi-tools", offsetof(shim_config, vapi_secret)},
	{"/webhook/vapi-supabase-tool", offsetof(shim_config, vapi_secret)},
	{"/webhook/instantly-reply", offsetof(shim_config, instantly_secret)},
	{"/webhook/cal", offsetof(shim_config, cal_webhook_secret)},
};

/* Find the webhook endpoint for an exact (normalized) path, or NULL. */
const webhook_route *
webhook_lookup(h2o_iovec_t path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (h2o_memis(path.base, path.len, routes[i].path, strlen(routes[i].path)))
			return &routes[i];
	return NULL;
}

/* Answer a POST to a webhook: 401 without a configured secret, else 501. */
int
webhook_handle(const webhook_route *route, const shim_config *cfg, h2o_req_t *req)
{
	const char *secret = *(const char *const *) ((const char *) cfg + route->secret_offset);
	char		msg[128];

	if (secret == NULL)
		return http_send_error(req, 401, "Unauthorized", "unauthorized");

	snprintf(msg, sizeof(msg), "not implemented yet: %s is built in a later release", route->path);
	return http_send_error(req, 501, "Not Implemented", msg);
}
