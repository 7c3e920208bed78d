/*
 * http_client.h
 *	  Outbound HTTP for vapi-shim (libcurl multi): the dispatcher's deliveries
 *	  and the Cal.com requests a tool call needs while Vapi waits.
 *
 * The client only moves bytes: which request to send, and what its answer
 * means, is decided by the database (vapi_pool.outbox_claim/outbox_report,
 * vapi_pool.receive_webhook/continue_webhook).  A client belongs to one
 * thread; use one per thread.
 */
#ifndef VAPI_SHIM_HTTP_CLIENT_H
#define VAPI_SHIM_HTTP_CLIENT_H

#include <stddef.h>

#include <curl/curl.h>

/* answer bodies are kept up to this many bytes (the rest is dropped) */
#define HTTP_BODY_MAX (64 * 1024)

/* one request; every pointer must stay valid until its completion ran */
typedef struct http_request
{
	const char *method;			/* GET, POST, PATCH... */
	const char *url;			/* absolute URL */
	const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
	const char *body;			/* NULL: no body */
	size_t		body_len;
	long		timeout_ms;		/* whole exchange, connect included */
	void	   *user;			/* the caller's, handed back */
} http_request;

/* what came back */
typedef struct http_response
{
	long		status;			/* HTTP status; 0 = no HTTP answer (see error) */
	char	   *body;			/* NUL-terminated, at most HTTP_BODY_MAX bytes; never NULL */
	size_t		body_len;
	char	   *retry_after;	/* the Retry-After header's value, or NULL */
	char		error[CURL_ERROR_SIZE];	/* why there is no answer; "" when status > 0 */
	double		total_s;		/* time from start to completion */
} http_response;

/* called once per request, from http_client_poll(); the response is freed after it returns */
typedef void (*http_done_cb) (const http_request *req, const http_response *resp);

typedef struct http_client http_client;

/* A client keeping at most max_connections connections per host alive. */
extern http_client *http_client_create(int max_connections_per_host);
/* Start a request; 0 on success, -1 if it could not be started (completion will not run). */
extern int	http_client_start(http_client *client, const http_request *req, http_done_cb done);
/*
 * Wait up to timeout_ms for network activity or for one of the extra file
 * descriptors (e.g. a libpq socket), then run the completions of finished
 * requests.  Returns the number of requests still running, or -1 on error.
 */
extern int	http_client_poll(http_client *client, struct curl_waitfd *extra, unsigned n_extra, int timeout_ms);
/* Requests started and not yet completed. */
extern int	http_client_running(const http_client *client);
/* Wake a thread blocked in http_client_poll (any thread may call it). */
extern void http_client_wakeup(http_client *client);
/* Abort what is running (no completions) and free the client. */
extern void http_client_destroy(http_client *client);

/*
 * Send n requests at once and wait for all of them, or until deadline_ms
 * from now: a request still running then is aborted and answered with
 * status 0 and the error "deadline reached".  Fills out[0..n-1] (free each
 * with http_response_free).  For a thread that has no client of its own.
 */
extern void http_perform_all(const http_request *reqs, http_response *out, size_t n, long deadline_ms);
extern void http_response_free(http_response *resp);

#endif							/* VAPI_SHIM_HTTP_CLIENT_H */
