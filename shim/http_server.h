/*
 * http_server.h
 *	  The h2o HTTP/1.1 server of vapi-shim: listener, routing, JSON answers.
 */
#ifndef VAPI_SHIM_HTTP_SERVER_H
#define VAPI_SHIM_HTTP_SERVER_H

#include <h2o.h>
#include <jansson.h>

#include "config.h"
#include "db_pool.h"
#include "webhooks.h"

typedef struct shim_server
{
	h2o_globalconf_t globalconf;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept_ctx;
	h2o_socket_t *listener;
	const shim_config *cfg;
	db_pool    *pool;			/* where webhooks go; /metrics reads it */
	webhooks   *webhooks;
} shim_server;

extern int	http_server_start(shim_server *srv, const shim_config *cfg, h2o_evloop_t *loop,
							  db_pool *pool);
extern void http_server_stop_listening(shim_server *srv);
extern size_t http_server_pending(const shim_server *srv);

extern const char *http_status_reason(int status);
extern int	http_send_json(h2o_req_t *req, int status, const char *reason, json_t *body);
extern int	http_send_json_text(h2o_req_t *req, int status, const char *text, size_t len);
extern int	http_send_error(h2o_req_t *req, int status, const char *reason, const char *message);

#endif							/* VAPI_SHIM_HTTP_SERVER_H */
