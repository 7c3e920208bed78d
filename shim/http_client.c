/*
 * http_client.c
 *	  Outbound HTTP for vapi-shim on libcurl's multi interface.
 *
 * One multi handle per client keeps the connections to each host alive
 * (HTTP/1.1 keep-alive, at most max_connections_per_host per host) so that a
 * busy dispatcher reuses them instead of connecting per request.  Finished
 * easy handles are kept and reset for the next request.
 *
 * A request's answer body is captured up to HTTP_BODY_MAX bytes (the rest is
 * read and dropped), its Retry-After header is kept, and any failure without
 * an HTTP answer (timeout, reset, refused) becomes status 0 with libcurl's
 * error text.  A transfer that failed after its status line (say, a timeout
 * while the body was arriving) is status 0 too: its answer is incomplete, and
 * whoever judges it must assume the request may have had its effect.
 *
 * Header values are never logged: the Authorization header carries an API key.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_client.h"

#define EASY_POOL_MAX 256		/* idle easy handles kept for reuse */

/* one request on its way */
typedef struct http_transfer
{
	http_client *client;
	CURL	   *easy;
	const http_request *req;
	http_done_cb done;
	struct curl_slist *headers;
	http_response resp;
	size_t		body_cap;		/* allocated size of resp.body */
	struct http_transfer *prev; /* the client's list of running transfers */
	struct http_transfer *next;
} http_transfer;

struct http_client
{
	CURLM	   *multi;
	int			running;		/* transfers started and not completed */
	http_transfer *transfers;	/* running transfers */
	CURL	   *idle[EASY_POOL_MAX];	/* finished easy handles for reuse */
	int			nidle;
};

/* A client keeping at most max_connections_per_host connections per host alive. */
http_client *
http_client_create(int max_connections_per_host)
{
	http_client *client = calloc(1, sizeof(*client));

	if (client == NULL)
		return NULL;
	if (max_connections_per_host < 1)
		max_connections_per_host = 1;
	client->multi = curl_multi_init();
	if (client->multi == NULL)
	{
		free(client);
		return NULL;
	}
	curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) max_connections_per_host);
	/* the connection cache holds every host's connections (Vapi and Cal.com) */
	curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, (long) max_connections_per_host * 2);
	return client;
}

/* Take an easy handle from the idle pool (reset) or make a new one. */
static CURL *
easy_get(http_client *client)
{
	if (client->nidle > 0)
	{
		CURL	   *easy = client->idle[--client->nidle];

		curl_easy_reset(easy);
		return easy;
	}
	return curl_easy_init();
}

/* Keep a finished easy handle for the next request, or free it. */
static void
easy_put(http_client *client, CURL *easy)
{
	if (client->nidle < EASY_POOL_MAX)
		client->idle[client->nidle++] = easy;
	else
		curl_easy_cleanup(easy);
}

/* Body callback: keep up to HTTP_BODY_MAX bytes, read and drop the rest. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	http_transfer *t = arg;
	size_t		len = size * nmemb;
	size_t		keep = len;

	if (t->resp.body_len + keep > HTTP_BODY_MAX)
		keep = HTTP_BODY_MAX - t->resp.body_len;
	if (keep == 0)
		return len;
	if (t->resp.body_len + keep + 1 > t->body_cap)
	{
		size_t		cap = t->body_cap < 1024 ? 1024 : t->body_cap;
		char	   *body;

		while (cap < t->resp.body_len + keep + 1)
			cap *= 2;
		if (cap > HTTP_BODY_MAX + 1)
			cap = HTTP_BODY_MAX + 1;
		body = realloc(t->resp.body, cap);
		if (body == NULL)
			return 0;			/* out of memory: the transfer fails */
		t->resp.body = body;
		t->body_cap = cap;
	}
	memcpy(t->resp.body + t->resp.body_len, data, keep);
	t->resp.body_len += keep;
	t->resp.body[t->resp.body_len] = '\0';
	return len;
}

/*
 * Header callback: remember Retry-After (name case-insensitive, value
 * trimmed).  A new status line (an interim 1xx answer before the final one)
 * forgets what the previous answer said.
 */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "retry-after:";
	http_transfer *t = arg;
	size_t		len = size * nmemb;
	const char *v;
	const char *end = data + len;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
	{
		free(t->resp.retry_after);
		t->resp.retry_after = NULL;
		return len;
	}
	if (len < sizeof(name) - 1 || strncasecmp(data, name, sizeof(name) - 1) != 0)
		return len;
	v = data + sizeof(name) - 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	free(t->resp.retry_after);
	t->resp.retry_after = strndup(v, (size_t) (end - v));
	return len;
}

/* Free what a transfer owns (not its easy handle) and the transfer itself. */
static void
transfer_free(http_transfer *t)
{
	curl_slist_free_all(t->headers);
	free(t->resp.body);
	free(t->resp.retry_after);
	free(t);
}

/*
 * Set the method and body of a request on its easy handle: a body (or a
 * POST, whose empty body is sent as such) goes as libcurl's POST fields, any
 * other method name replaces the one libcurl would send.
 */
static void
set_method(CURL *easy, const http_request *req)
{
	int			with_body = req->body != NULL || strcmp(req->method, "POST") == 0;

	if (with_body)
	{
		/* POSTFIELDS does not copy: the caller keeps req->body alive */
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) (req->body ? req->body_len : 0));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	}
	else
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	if (strcmp(req->method, with_body ? "POST" : "GET") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
}

/* Build the header list: the caller's, and no "Expect: 100-continue" wait. */
static int
set_headers(http_transfer *t)
{
	struct curl_slist *list = NULL;
	struct curl_slist *grown;

	if (t->req->headers != NULL)
	{
		for (const char *const *h = t->req->headers; *h != NULL; h++)
		{
			if ((grown = curl_slist_append(list, *h)) == NULL)
			{
				curl_slist_free_all(list);
				return -1;
			}
			list = grown;
		}
	}
	/* an empty Expect: stops libcurl from waiting for 100 Continue on large bodies */
	if ((grown = curl_slist_append(list, "Expect:")) == NULL)
	{
		curl_slist_free_all(list);
		return -1;
	}
	t->headers = grown;
	return 0;
}

/* Start a request; 0 on success, -1 if it could not be started (completion will not run). */
int
http_client_start(http_client *client, const http_request *req, http_done_cb done)
{
	http_transfer *t;

	if (req->method == NULL || req->url == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->client = client;
	t->req = req;
	t->done = done;
	t->body_cap = 1;
	if ((t->resp.body = calloc(1, 1)) == NULL ||
		set_headers(t) != 0 || (t->easy = easy_get(client)) == NULL)
	{
		transfer_free(t);
		return -1;
	}

	curl_easy_setopt(t->easy, CURLOPT_URL, req->url);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->easy, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
	curl_easy_setopt(t->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->resp.error);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	set_method(t->easy, req);

	if (curl_multi_add_handle(client->multi, t->easy) != CURLM_OK)
	{
		easy_put(client, t->easy);
		transfer_free(t);
		return -1;
	}
	t->next = client->transfers;
	if (t->next)
		t->next->prev = t;
	client->transfers = t;
	client->running++;
	return 0;
}

/* Unlink a transfer from the client's running list. */
static void
transfer_unlink(http_client *client, http_transfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		client->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	client->running--;
}

/* Fill a finished transfer's response from libcurl's verdict. */
static void
transfer_finish(http_transfer *t, CURLcode result)
{
	double		total = 0;

	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &total);
	t->resp.total_s = total;
	if (result == CURLE_OK)
	{
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->resp.status);
		t->resp.error[0] = '\0';
	}
	else
	{
		/* no (complete) answer: status 0 and why */
		t->resp.status = 0;
		if (t->resp.error[0] == '\0')
			snprintf(t->resp.error, sizeof(t->resp.error), "%s", curl_easy_strerror(result));
	}
}

/* Run the completion of every finished transfer; returns how many ran. */
static int
run_completions(http_client *client)
{
	CURLMsg    *msg;
	int			left;
	int			n = 0;

	while ((msg = curl_multi_info_read(client->multi, &left)) != NULL)
	{
		http_transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
		transfer_finish(t, msg->data.result);
		curl_multi_remove_handle(client->multi, t->easy);
		transfer_unlink(client, t);
		easy_put(client, t->easy);
		t->done(t->req, &t->resp);
		transfer_free(t);
		n++;
	}
	return n;
}

/*
 * Wait up to timeout_ms for network activity or for one of the extra file
 * descriptors, then run the completions of finished requests.  When
 * completions are ready already, they run without waiting.  Returns the
 * number of requests still running, or -1 on error.
 */
int
http_client_poll(http_client *client, struct curl_waitfd *extra, unsigned n_extra, int timeout_ms)
{
	int			still;

	for (unsigned i = 0; i < n_extra; i++)
		extra[i].revents = 0;
	if (curl_multi_perform(client->multi, &still) != CURLM_OK)
		return -1;
	if (run_completions(client) == 0 && timeout_ms > 0)
	{
		if (curl_multi_poll(client->multi, extra, n_extra, timeout_ms, NULL) != CURLM_OK)
			return -1;
		if (curl_multi_perform(client->multi, &still) != CURLM_OK)
			return -1;
		run_completions(client);
	}
	return client->running;
}

/* Requests started and not yet completed. */
int
http_client_running(const http_client *client)
{
	return client->running;
}

/* Wake a thread blocked in http_client_poll (any thread may call it). */
void
http_client_wakeup(http_client *client)
{
	curl_multi_wakeup(client->multi);
}

/* Abort what is running (no completions) and free the client. */
void
http_client_destroy(http_client *client)
{
	if (client == NULL)
		return;
	while (client->transfers != NULL)
	{
		http_transfer *t = client->transfers;

		curl_multi_remove_handle(client->multi, t->easy);
		curl_easy_cleanup(t->easy);
		transfer_unlink(client, t);
		transfer_free(t);
	}
	for (int i = 0; i < client->nidle; i++)
		curl_easy_cleanup(client->idle[i]);
	curl_multi_cleanup(client->multi);
	free(client);
}

/* Milliseconds on the monotonic clock. */
static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one slot of http_perform_all: where its answer goes */
typedef struct perform_slot
{
	http_response *out;
	int			filled;
} perform_slot;

/*
 * http_perform_all's completion: move the answer into the caller's slot.
 * The response is this file's own transfer, so its buffers are taken over
 * instead of copied (transfer_free then frees NULLs).
 */
static void
on_perform_done(const http_request *req, const http_response *resp)
{
	perform_slot *slot = req->user;
	http_response *owned = (http_response *) resp;

	*slot->out = *owned;
	owned->body = NULL;
	owned->retry_after = NULL;
	slot->filled = 1;
}

/* An answer without HTTP: status 0, an empty body and the reason. */
static void
no_answer(http_response *out, const char *why)
{
	memset(out, 0, sizeof(*out));
	out->body = calloc(1, 1);
	snprintf(out->error, sizeof(out->error), "%s", why);
}

/*
 * Send n requests at once and wait for all of them, or until deadline_ms
 * from now: a request still running then is aborted and answered with
 * status 0 and the error "deadline reached".
 */
void
http_perform_all(const http_request *reqs, http_response *out, size_t n, long deadline_ms)
{
	http_client *client = http_client_create((int) (n < 64 ? (n ? n : 1) : 64));
	http_request *copies = calloc(n ? n : 1, sizeof(*copies));
	perform_slot *slots = calloc(n ? n : 1, sizeof(*slots));
	long long	deadline = monotonic_ms() + deadline_ms;
	long long	left;

	for (size_t i = 0; i < n; i++)
	{
		if (client == NULL || copies == NULL || slots == NULL)
		{
			no_answer(&out[i], "out of memory");
			if (slots != NULL)
				slots[i].filled = 1;
			continue;
		}
		copies[i] = reqs[i];
		slots[i].out = &out[i];
		copies[i].user = &slots[i];
		if (http_client_start(client, &copies[i], on_perform_done) != 0)
		{
			no_answer(&out[i], "could not start the request");
			slots[i].filled = 1;
		}
	}
	while (client != NULL && http_client_running(client) > 0 &&
		   (left = deadline - monotonic_ms()) > 0)
	{
		if (http_client_poll(client, NULL, 0, (int) (left > 1000 ? 1000 : left)) < 0)
			break;
	}
	for (size_t i = 0; slots != NULL && i < n; i++)
		if (!slots[i].filled)
			no_answer(&out[i], "deadline reached");
	http_client_destroy(client);
	free(copies);
	free(slots);
}

/* Free what an answer of http_perform_all holds. */
void
http_response_free(http_response *resp)
{
	free(resp->body);
	free(resp->retry_after);
	resp->body = NULL;
	resp->retry_after = NULL;
}
