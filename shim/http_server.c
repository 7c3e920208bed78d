/*
 * http_server.c
 *	  The h2o HTTP/1.1 server of vapi-shim: listener, routing, JSON answers.
 *
 * One handler on "/" routes every request by exact path: /healthz, /metrics
 * and the webhook endpoints.  Every answer but /metrics, including errors
 * produced by h2o itself (such as 413), is JSON.  The access logger also
 * feeds the request counters and the duration histogram of /metrics.
 *
 * Request framing: h2o 2.2.5 delimits a body by the first of several
 * Content-Length headers, prefers Transfer-Encoding: chunked over a
 * Content-Length, and keeps the connection open afterwards.  A proxy in
 * front that delimits the same bytes otherwise would see another request
 * boundary, and a request hidden in a body would be answered (request
 * smuggling).  So before routing, a request with more than one
 * Content-Length, more than one Transfer-Encoding, or both is refused with
 * 400 and its connection closed: nothing after it is read as a request.
 * h2o keeps neither header in req->headers; the check reads the request
 * head where h2o parsed it, at the start of the connection's input buffer
 * (h2o consumes a request's bytes only once its answer is sent).  A head
 * that cannot be found there is refused the same way.
 *
 * /healthz is ok only when the database answers the prober and at least
 * one webhook worker holds a connection (db_pool_serving): a webhook sent
 * right after an ok does not meet a pool that is still reconnecting.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <h2o.h>
#include <jansson.h>

#include "health.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "webhooks.h"

/* the request handler: h2o_handler_t plus what routing needs */
typedef struct shim_handler
{
	h2o_handler_t super;
	shim_server *srv;
} shim_handler;

/* the access logger: h2o_logger_t plus the server, to name routes */
typedef struct shim_logger
{
	h2o_logger_t super;
	shim_server *srv;
} shim_logger;

/* turns h2o's own plain-text error answers into JSON */
typedef struct json_error_filter
{
	h2o_filter_t super;
} json_error_filter;

/* output stream replacing a plain-text error body by a JSON one */
typedef struct json_error_ostream
{
	h2o_ostream_t super;
	h2o_iovec_t body;
} json_error_ostream;

#define METHOD_GET	0x1
#define METHOD_HEAD 0x2
#define METHOD_POST 0x4

/* Which METHOD_* bit a request method is (0 for any other method). */
static int
method_bit(h2o_iovec_t method)
{
	if (h2o_memis(method.base, method.len, H2O_STRLIT("GET")))
		return METHOD_GET;
	if (h2o_memis(method.base, method.len, H2O_STRLIT("HEAD")))
		return METHOD_HEAD;
	if (h2o_memis(method.base, method.len, H2O_STRLIT("POST")))
		return METHOD_POST;
	return 0;
}

/* The reason phrase of a status code ("" for one this table lacks). */
const char *
http_status_reason(int status)
{
	switch (status)
	{
		case 200:
			return "OK";
		case 201:
			return "Created";
		case 202:
			return "Accepted";
		case 204:
			return "No Content";
		case 400:
			return "Bad Request";
		case 401:
			return "Unauthorized";
		case 403:
			return "Forbidden";
		case 404:
			return "Not Found";
		case 405:
			return "Method Not Allowed";
		case 409:
			return "Conflict";
		case 410:
			return "Gone";
		case 413:
			return "Payload Too Large";
		case 415:
			return "Unsupported Media Type";
		case 422:
			return "Unprocessable Entity";
		case 429:
			return "Too Many Requests";
		case 500:
			return "Internal Server Error";
		case 502:
			return "Bad Gateway";
		case 503:
			return "Service Unavailable";
		case 504:
			return "Gateway Timeout";
	}
	return "";
}

/* Send text (copied) as the body with the given status and content type. */
static int
send_text(h2o_req_t *req, int status, const char *reason, const char *content_type,
		  const char *text, size_t len)
{
	req->res.status = status;
	req->res.reason = reason;
	if (status == 204)
	{
		/* no body, whatever the text */
		h2o_send_inline(req, "", 0);
		return 0;
	}
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
				   content_type, strlen(content_type));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
				   H2O_STRLIT("no-store"));
	req->res.content_length = len;
	h2o_send_inline(req, text, len);
	return 0;
}

/* Send body (which is consumed) as the JSON answer with the given status. */
int
http_send_json(h2o_req_t *req, int status, const char *reason, json_t *body)
{
	char	   *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int			rc;

	json_decref(body);
	if (text == NULL)
		return send_text(req, 500, "Internal Server Error", "application/json",
						 H2O_STRLIT("{\"error\":\"internal error: could not encode the answer\"}"));
	rc = send_text(req, status, reason, "application/json", text, strlen(text));
	free(text);
	return rc;
}

/* Send JSON text as it is (copied) with the given status. */
int
http_send_json_text(h2o_req_t *req, int status, const char *text, size_t len)
{
	return send_text(req, status, http_status_reason(status), "application/json", text, len);
}

/* Send {"error": message} with the given status. */
int
http_send_error(h2o_req_t *req, int status, const char *reason, const char *message)
{
	return http_send_json(req, status, reason, json_pack("{s:s}", "error", message));
}

/* Is the header line's name (up to its colon, trailing blanks cut) name? */
static int
header_line_is(const char *line, size_t len, const char *name)
{
	const char *colon = memchr(line, ':', len);
	size_t		n;

	if (colon == NULL)
		return 0;
	n = (size_t) (colon - line);
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	return n == strlen(name) && strncasecmp(line, name, n) == 0;
}

/*
 * Why the request's framing is ambiguous (a message for the 400), or NULL
 * when it is not: counts the Content-Length and Transfer-Encoding lines of
 * the raw request head (see the file header).
 */
static const char *
ambiguous_framing(h2o_req_t *req)
{
	h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ?
		req->conn->callbacks->get_socket(req->conn) : NULL;
	const char *p,
			   *end;
	int			content_length = 0,
				transfer_encoding = 0,
				first = 1;

	if (sock == NULL || sock->input == NULL)
		return "request framing could not be checked";
	p = sock->input->bytes;
	end = p + sock->input->size;
	/* the request line, after the empty line h2o skips as some clients send one */
	if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
		p += 2;
	else if (end - p >= 1 && p[0] == '\n')
		p++;
	if (req->input.method.len == 0 || (size_t) (end - p) <= req->input.method.len ||
		memcmp(p, req->input.method.base, req->input.method.len) != 0 || p[req->input.method.len] != ' ')
		return "request framing could not be checked";

	for (;;)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t		len;

		if (nl == NULL)
			return "request framing could not be checked";
		len = (size_t) (nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0)
			break;				/* the end of the head */
		/* the request line, and continuation lines, name no header */
		if (!first && p[0] != ' ' && p[0] != '\t')
		{
			content_length += header_line_is(p, len, "content-length");
			transfer_encoding += header_line_is(p, len, "transfer-encoding");
		}
		first = 0;
		p = nl + 1;
	}
	if (content_length > 1)
		return "ambiguous request framing: more than one Content-Length";
	if (transfer_encoding > 1)
		return "ambiguous request framing: more than one Transfer-Encoding";
	if (content_length > 0 && transfer_encoding > 0)
		return "ambiguous request framing: both Content-Length and Transfer-Encoding";
	return NULL;
}

/* Refuse a request whose framing is ambiguous: 400, and close the connection. */
static int
refuse_framing(h2o_req_t *req, const char *why)
{
	shim_log(SHIM_LOG_WARNING, "refused a request and closed its connection: %s", why);
	req->http1_is_persistent = 0;
	return http_send_error(req, 400, "Bad Request", why);
}

/*
 * GET /healthz: 200 when the database answers the prober and a webhook
 * worker holds a connection; 503 saying why when not.
 */
static int
on_healthz(shim_handler *self, h2o_req_t *req)
{
	health_status st;
	db_pool_stats stats;
	char		why[HEALTH_ERROR_MAX + DB_POOL_ERROR_MAX];
	int			serving;
	int			ok;
	json_t	   *body;

	health_snapshot(&st);
	serving = db_pool_serving(self->srv->pool, why, sizeof(why));
	db_pool_get_stats(self->srv->pool, &stats);
	ok = st.reachable && serving;
	body = json_pack("{s:s, s:s, s:s, s:s?, s:{s:i, s:i}}",
					 "status", ok ? "ok" : "degraded",
					 "version", SHIM_VERSION,
					 "database", st.reachable ? "reachable" : "unreachable",
					 "extension", st.has_extension ? st.extension : NULL,
					 "workers", "connected", stats.idle + stats.busy,
					 "total", stats.idle + stats.busy + stats.broken);
	/* the prober's error first: an unreachable database explains the workers too */
	if (body != NULL && !ok)
		json_object_set_new(body, "error", json_string(!st.reachable ? st.error : why));

	if (ok)
		return http_send_json(req, 200, "OK", body);
	return http_send_json(req, 503, "Service Unavailable", body);
}

/* GET /metrics: the Prometheus text exposition. */
static int
on_metrics(shim_handler *self, h2o_req_t *req)
{
	size_t		len = 0;
	char	   *text = metrics_render(self->srv->pool, &len);
	int			rc;

	if (text == NULL)
		return http_send_error(req, 500, "Internal Server Error", "internal error: could not render the metrics");
	rc = send_text(req, 200, "OK", METRICS_CONTENT_TYPE, text, len);
	free(text);
	return rc;
}

/* Answer 405 with an Allow header listing what the path accepts. */
static int
method_not_allowed(h2o_req_t *req, const char *allow)
{
	char		msg[160];

	snprintf(msg, sizeof(msg), "method not allowed: use %s", allow);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
	return http_send_error(req, 405, "Method Not Allowed", msg);
}

/* Check the request's framing, route it by exact path, then check its method. */
static int
on_req(h2o_handler_t *_self, h2o_req_t *req)
{
	shim_handler *self = (shim_handler *) _self;
	h2o_iovec_t path = req->path_normalized;
	int			method = method_bit(req->method);
	const webhook_route *webhook;
	const char *ambiguous;

	if ((ambiguous = ambiguous_framing(req)) != NULL)
		return refuse_framing(req, ambiguous);

	if (h2o_memis(path.base, path.len, H2O_STRLIT("/healthz")))
	{
		if ((method & (METHOD_GET | METHOD_HEAD)) == 0)
			return method_not_allowed(req, "GET, HEAD");
		return on_healthz(self, req);
	}

	if (h2o_memis(path.base, path.len, H2O_STRLIT("/metrics")))
	{
		if ((method & (METHOD_GET | METHOD_HEAD)) == 0)
			return method_not_allowed(req, "GET, HEAD");
		return on_metrics(self, req);
	}

	if ((webhook = webhook_lookup(self->srv->webhooks, path)) != NULL)
	{
		if (method != METHOD_POST)
			return method_not_allowed(req, "POST");
		return webhook_handle(self->srv->webhooks, webhook, req);
	}

	return http_send_error(req, 404, "Not Found", "not found");
}

/* Pass everything on except the body, which is replaced by the JSON one. */
static void
json_error_do_send(h2o_ostream_t *_self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
				   h2o_send_state_t state)
{
	json_error_ostream *self = (json_error_ostream *) _self;

	if (h2o_send_state_is_in_progress(state))
	{
		h2o_ostream_send_next(&self->super, req, NULL, 0, state);
		return;
	}
	h2o_ostream_send_next(&self->super, req, &self->body, state == H2O_SEND_STATE_FINAL ? 1 : 0, state);
}

/*
 * For answers h2o generated itself (an error status that is not JSON, e.g.
 * 413 for a body over --max-body), swap the text body for {"error": ...}.
 */
static void
json_error_on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
	ssize_t		ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);

	if (req->res.status >= 400 &&
		(ct == -1 || !h2o_memis(req->res.headers.entries[ct].value.base, req->res.headers.entries[ct].value.len,
								H2O_STRLIT("application/json"))))
	{
		json_error_ostream *os;
		char		msg[128];
		json_t	   *json;
		char	   *text;

		/* h2o's reason phrase, lower-cased, is the message */
		snprintf(msg, sizeof(msg), "%s", req->res.reason ? req->res.reason : "error");
		for (size_t i = 0; msg[i]; i++)
			msg[i] = (char) tolower((unsigned char) msg[i]);
		json = json_pack("{s:s}", "error", msg);
		text = json ? json_dumps(json, JSON_COMPACT) : NULL;
		json_decref(json);

		os = (json_error_ostream *) h2o_add_ostream(req, sizeof(*os), slot);
		os->super.do_send = json_error_do_send;
		os->body = text ? h2o_strdup(&req->pool, text, strlen(text))
			: h2o_iovec_init(H2O_STRLIT("{\"error\":\"error\"}"));
		free(text);

		h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, H2O_STRLIT("application/json"), 1);
		req->res.content_length = os->body.len;
		slot = &os->super.next;
	}
	h2o_setup_next_ostream(req, slot);
}

/* The metrics route of a request, by its path without the query. */
static metrics_route
route_of(shim_server *srv, h2o_req_t *req)
{
	h2o_iovec_t path = req->path_normalized;
	const webhook_route *webhook;

	if (path.base == NULL)
		path = h2o_iovec_init(req->input.path.base,
							  req->input.query_at != SIZE_MAX ? req->input.query_at : req->input.path.len);
	if (h2o_memis(path.base, path.len, H2O_STRLIT("/healthz")))
		return METRICS_ROUTE_HEALTHZ;
	if (h2o_memis(path.base, path.len, H2O_STRLIT("/metrics")))
		return METRICS_ROUTE_METRICS;
	if ((webhook = webhook_lookup(srv->webhooks, path)) != NULL)
		return webhook_route_metrics(webhook);
	return METRICS_ROUTE_OTHER;
}

/*
 * Access log: one line per request (method, path without query, status and
 * microseconds from reading the request to now, when the answer is done),
 * counted in the request metrics too.
 */
static void
log_access(h2o_logger_t *_self, h2o_req_t *req)
{
	shim_logger *self = (shim_logger *) _self;
	char		path[256];
	char		peer[NI_MAXHOST] = "-";
	struct sockaddr_storage ss;
	socklen_t	sslen;
	size_t		len = req->input.query_at != SIZE_MAX ? req->input.query_at : req->input.path.len;
	struct timeval now;
	long long	usec = -1;

	/* the query string is left out: it may carry credentials */
	if (len >= sizeof(path))
		len = sizeof(path) - 1;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) req->input.path.base[i];

		path[i] = (c > 0x20 && c < 0x7f) ? (char) c : '?';
	}
	path[len] = '\0';

	if ((sslen = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *) &ss)) != 0 &&
		h2o_socket_getnumerichost((struct sockaddr *) &ss, sslen, peer) == SIZE_MAX)
		strcpy(peer, "-");

	/* h2o's own timestamps are cached per loop turn; measure to real now */
	gettimeofday(&now, NULL);
	if (!h2o_timeval_is_null(&req->timestamps.request_begin_at))
		usec = (long long) h2o_timeval_subtract(&req->timestamps.request_begin_at, &now);
	shim_log(SHIM_LOG_INFO, "access: %.*s %s %d %lldus from %s",
			 (int) (req->input.method.len > 16 ? 16 : req->input.method.len), req->input.method.base,
			 path, req->res.status, usec, peer);
	metrics_count_request(route_of(self->srv, req), req->res.status, usec > 0 ? usec / 1e6 : 0.0);
}

/* Register the access logger and the JSON error filter on a path. */
static void
setup_pathconf(shim_server *srv, h2o_pathconf_t *pathconf)
{
	json_error_filter *filter = (json_error_filter *) h2o_create_filter(pathconf, sizeof(*filter));
	shim_logger *logger = (shim_logger *) h2o_create_logger(pathconf, sizeof(*logger));

	filter->super.on_setup_ostream = json_error_on_setup_ostream;
	logger->super.log_access = log_access;
	logger->srv = srv;
}

/* Accept a new connection on the listener and hand it to h2o. */
static void
on_accept(h2o_socket_t *listener, const char *err)
{
	h2o_socket_t *sock;

	if (err != NULL)
		return;
	if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	h2o_accept(&((shim_server *) listener->data)->accept_ctx, sock);
}

/* Open the listening socket for host:port; -1 (logged) on failure. */
static int
open_listener(const shim_config *cfg)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	.ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	char		port[8];
	int			fd = -1,
				rc,
				one = 1;

	snprintf(port, sizeof(port), "%d", cfg->listen_port);
	rc = getaddrinfo(cfg->listen_host[0] ? cfg->listen_host : NULL, port, &hints, &res);
	if (rc != 0)
	{
		shim_log(SHIM_LOG_ERROR, "could not resolve listen address \"%s\": %s", cfg->listen, gai_strerror(rc));
		return -1;
	}

	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
	{
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
			bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
			listen(fd, SOMAXCONN) == 0 &&
			fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	if (fd == -1)
		shim_log(SHIM_LOG_ERROR, "could not listen on %s: %s", cfg->listen, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/*
 * Configure h2o (one host, HTTP/1.1 only, --max-body), open the listener and
 * start accepting on loop; webhooks go to pool.  Returns -1 (logged) on
 * failure.
 */
int
http_server_start(shim_server *srv, const shim_config *cfg, h2o_evloop_t *loop, db_pool *pool)
{
	h2o_hostconf_t *hostconf;
	h2o_pathconf_t *pathconf;
	shim_handler *handler;
	int			fd;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = cfg;
	srv->pool = pool;
	if ((srv->webhooks = webhooks_create(cfg, loop, pool)) == NULL)
	{
		shim_log(SHIM_LOG_ERROR, "out of memory");
		return -1;
	}

	h2o_config_init(&srv->globalconf);
	srv->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("vapi-shim/" SHIM_VERSION));
	srv->globalconf.max_request_entity_size = cfg->max_body;
	srv->globalconf.http1.upgrade_to_http2 = 0;

	hostconf = h2o_config_register_host(&srv->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	pathconf = h2o_config_register_path(hostconf, "/", 0);
	handler = (shim_handler *) h2o_create_handler(pathconf, sizeof(*handler));
	handler->super.on_req = on_req;
	handler->srv = srv;
	setup_pathconf(srv, pathconf);
	/* errors h2o raises before routing (e.g. 413) use the fallback path */
	setup_pathconf(srv, &hostconf->fallback_path);

	h2o_context_init(&srv->ctx, loop, &srv->globalconf);
	srv->accept_ctx.ctx = &srv->ctx;
	srv->accept_ctx.hosts = srv->globalconf.hosts;

	if ((fd = open_listener(cfg)) == -1)
		return -1;
	srv->listener = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	srv->listener->data = srv;
	h2o_socket_read_start(srv->listener, on_accept);
	shim_log(SHIM_LOG_INFO, "listening on %s (HTTP/1.1)", cfg->listen);
	return 0;
}

/* How many webhooks still wait for their answer. */
size_t
http_server_pending(const shim_server *srv)
{
	return srv->webhooks != NULL ? webhooks_pending(srv->webhooks) : 0;
}

/* Stop accepting new connections. */
void
http_server_stop_listening(shim_server *srv)
{
	if (srv->listener != NULL)
	{
		h2o_socket_read_stop(srv->listener);
		h2o_socket_close(srv->listener);
		srv->listener = NULL;
	}
}
