/*
 * test_http_client.c
 *	  Unit tests of http_client.c against a small HTTP/1.1 server in a thread:
 *	  answers and bodies, the HTTP_BODY_MAX cap, Retry-After in any case,
 *	  connections kept alive and reused, timeouts and refused connections as
 *	  status 0 with a reason, methods and headers as sent, extra file
 *	  descriptors and wake-ups in http_client_poll, http_perform_all's
 *	  deadline, and destroying a client with requests still running.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"
#include "text.h"
#include "tap.h"

#define BIG_BODY (100 * 1024)	/* larger than HTTP_BODY_MAX */

static int	listen_fd;
static int	port;
static atomic_int accepted;		/* connections the server accepted */
static char last_request[8192];	/* the last request the server read (headers and body) */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;


/* Write all of buf (the test server's answers are small). */
static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t) n;
	}
}

/* Send one answer with a body. */
static void
answer(int fd, const char *status, const char *extra_headers, const char *body, size_t len)
{
	char		head[512];
	int			n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s\r\n",
							 status, len, extra_headers);

	write_all(fd, head, (size_t) n);
	write_all(fd, body, len);
}

/*
 * Serve one connection: read requests (headers, then Content-Length bytes)
 * and answer by path until the client closes.
 */
static void *
serve(void *arg)
{
	int			fd = (int) (intptr_t) arg;
	char		buf[16384];
	size_t		have = 0;

	for (;;)
	{
		char	   *end;
		size_t		head_len,
					body_len = 0;
		char	   *cl;
		char		path[256] = "";
		ssize_t		n;

		while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL)
		{
			if (have == sizeof(buf) || (n = read(fd, buf + have, sizeof(buf) - have)) <= 0)
				goto done;
			have += (size_t) n;
		}
		head_len = (size_t) (end - buf) + 4;
		if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL && cl < end)
			body_len = strtoul(cl + 17, NULL, 10);
		while (have < head_len + body_len)
		{
			if ((n = read(fd, buf + have, sizeof(buf) - have)) <= 0)
				goto done;
			have += (size_t) n;
		}
		sscanf(buf, "%*s %255s", path);
		pthread_mutex_lock(&last_lock);
		snprintf(last_request, sizeof(last_request), "%.*s", (int) (head_len + body_len), buf);
		pthread_mutex_unlock(&last_lock);

		if (strcmp(path, "/ok") == 0)
			answer(fd, "200 OK", "", "hello", 5);
		else if (strcmp(path, "/big") == 0)
		{
			char	   *big = malloc(BIG_BODY);

			memset(big, 'x', BIG_BODY);
			answer(fd, "200 OK", "", big, BIG_BODY);
			free(big);
		}
		else if (strcmp(path, "/retry") == 0)
			answer(fd, "429 Too Many Requests", "rEtRy-AfTeR:   7  \r\n", "{}", 2);
		else if (strcmp(path, "/slow") == 0)
		{
			usleep(1500 * 1000);
			answer(fd, "200 OK", "", "late", 4);
		}
		else if (strcmp(path, "/reset") == 0)
		{
			struct linger lg = {1, 0};

			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			goto done;
		}
		else
			answer(fd, "201 Created", "", "{\"id\": \"x\"}", 11);

		memmove(buf, buf + head_len + body_len, have - head_len - body_len);
		have -= head_len + body_len;
	}
done:
	close(fd);
	return NULL;
}

/* Accept connections, one thread each. */
static void *
accept_loop(void *arg)
{
	for (;;)
	{
		int			fd = accept(listen_fd, NULL, NULL);
		pthread_t	t;

		if (fd < 0)
			return NULL;
		atomic_fetch_add(&accepted, 1);
		pthread_create(&t, NULL, serve, (void *) (intptr_t) fd);
		pthread_detach(t);
	}
}

/* Listen on a free port of 127.0.0.1 and start accepting. */
static void
start_server(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t	len = sizeof(sa);
	pthread_t	t;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) != 0 ||
		listen(listen_fd, 64) != 0 || getsockname(listen_fd, (struct sockaddr *) &sa, &len) != 0)
		abort();
	port = ntohs(sa.sin_port);
	pthread_create(&t, NULL, accept_loop, NULL);
	pthread_detach(t);
}

/* A free port nobody listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t	len = sizeof(sa);
	int			fd = socket(AF_INET, SOCK_STREAM, 0);
	int			p;

	if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0 ||
		getsockname(fd, (struct sockaddr *) &sa, &len) != 0)
		abort();
	p = ntohs(sa.sin_port);
	close(fd);
	return p;
}

/* what a completion saw */
typedef struct seen
{
	int			done;
	long		status;
	size_t		body_len;
	char		body[64];
	char		body_tail_nul;	/* the byte after the body (must be NUL) */
	char	   *retry_after;
	char		error[CURL_ERROR_SIZE];
} seen;

/* Completion: copy what the response said into the request's seen. */
static void
on_done(const http_request *req, const http_response *resp)
{
	seen	   *s = req->user;

	s->done++;
	s->status = resp->status;
	s->body_len = resp->body_len;
	snprintf(s->body, sizeof(s->body), "%s", resp->body);
	s->body_tail_nul = resp->body[resp->body_len];
	s->retry_after = resp->retry_after ? strdup(resp->retry_after) : NULL;
	snprintf(s->error, sizeof(s->error), "%s", resp->error);
}

/* Run one request on a client to its completion (at most 10 s). */
static void
run_one(http_client *client, const char *method, const char *path, const char *body,
		const char *const *headers, long timeout_ms, seen *out)
{
	char		url[128];
	http_request req = {.method = method, .url = url, .headers = headers, .body = body,
	.body_len = body ? strlen(body) : 0, .timeout_ms = timeout_ms, .user = out};
	long long	end = shim_now_ms() + 10000;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	if (http_client_start(client, &req, on_done) != 0)
		return;
	while (!out->done && shim_now_ms() < end)
		http_client_poll(client, NULL, 0, 200);
}

/* The request line and headers the server read last contain text? */
static int
server_saw(const char *text)
{
	int			found;

	pthread_mutex_lock(&last_lock);
	found = strstr(last_request, text) != NULL;
	pthread_mutex_unlock(&last_lock);
	return found;
}

/* Answers, bodies, Retry-After and keep-alive. */
static void
test_answers(void)
{
	http_client *client = http_client_create(4);
	seen		s;
	int			before;

	run_one(client, "GET", "/ok", NULL, NULL, 5000, &s);
	is_int(s.done, 1, "GET /ok: one completion");
	is_int(s.status, 200, "GET /ok: 200");
	is_str(s.body, "hello", "GET /ok: the body");
	is_int(s.body_len, 5, "GET /ok: its length");
	is_str(s.error, "", "GET /ok: no error");
	ok(s.retry_after == NULL, "GET /ok: no Retry-After");
	is_int(http_client_running(client), 0, "nothing running after the completion");

	before = atomic_load(&accepted);
	for (int i = 0; i < 5; i++)
		run_one(client, "GET", "/ok", NULL, NULL, 5000, &s);
	is_int(atomic_load(&accepted) - before, 0, "five more requests reuse the kept-alive connection");

	run_one(client, "GET", "/big", NULL, NULL, 5000, &s);
	is_int(s.status, 200, "a body larger than HTTP_BODY_MAX: 200");
	is_int(s.body_len, HTTP_BODY_MAX, "... kept up to HTTP_BODY_MAX bytes");
	is_int(s.body_tail_nul, 0, "... NUL-terminated");

	run_one(client, "GET", "/retry", NULL, NULL, 5000, &s);
	is_int(s.status, 429, "429: its status");
	is_str(s.retry_after, "7", "Retry-After found in any case, trimmed");
	free(s.retry_after);

	run_one(client, "GET", "/reset", NULL, NULL, 5000, &s);
	is_int(s.status, 0, "a reset connection: status 0");
	ok(s.error[0] != '\0', "... with a reason (%s)", s.error);
	http_client_destroy(client);
}

/* Methods, bodies and headers as sent. */
static void
test_requests(void)
{
	http_client *client = http_client_create(2);
	const char *const headers[] = {"Authorization: Bearer k-123", "X-Test: yes", NULL};
	seen		s;

	run_one(client, "POST", "/call", "{\"a\":1}", headers, 5000, &s);
	is_int(s.status, 201, "POST with a body: 201");
	ok(server_saw("POST /call HTTP/1.1\r\n"), "... sent as POST over HTTP/1.1");
	ok(server_saw("\r\n\r\n{\"a\":1}"), "... with its body");
	ok(server_saw("\r\nAuthorization: Bearer k-123\r\n") && server_saw("\r\nX-Test: yes\r\n"),
	   "... and the caller's headers");

	run_one(client, "PATCH", "/phone-number/1", "{\"server\":{}}", NULL, 5000, &s);
	ok(server_saw("PATCH /phone-number/1 HTTP/1.1\r\n") && server_saw("{\"server\":{}}"), "PATCH with a body");

	run_one(client, "GET", "/call?x=1", NULL, NULL, 5000, &s);
	ok(server_saw("GET /call?x=1 HTTP/1.1\r\n") && !server_saw("Content-Length"), "GET without a body");

	run_one(client, "DELETE", "/assistant/9", NULL, NULL, 5000, &s);
	ok(server_saw("DELETE /assistant/9 HTTP/1.1\r\n") && !server_saw("Content-Length"), "DELETE without a body");

	run_one(client, "GET", "/call", "{\"q\":1}", NULL, 5000, &s);
	ok(server_saw("GET /call HTTP/1.1\r\n") && server_saw("{\"q\":1}"), "GET with a body stays a GET");

	run_one(client, "POST", "/call", NULL, NULL, 5000, &s);
	ok(server_saw("POST /call HTTP/1.1\r\n") && server_saw("Content-Length: 0\r\n"), "POST without a body: empty");
	http_client_destroy(client);
}

/* Failures without an answer: timeouts and refused connections. */
static void
test_failures(void)
{
	http_client *client = http_client_create(2);
	seen		s;
	char		url[64];
	http_request req = {.method = "GET", .url = url, .timeout_ms = 5000, .user = &s};
	long long	start = shim_now_ms();

	run_one(client, "GET", "/slow", NULL, NULL, 300, &s);
	is_int(s.status, 0, "past its timeout: status 0");
	ok(strstr(s.error, "imed out") != NULL, "... the reason says it timed out (%s)", s.error);
	ok(shim_now_ms() - start < 1400, "... given up at the timeout, not the answer");

	memset(&s, 0, sizeof(s));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
	is_int(http_client_start(client, &req, on_done), 0, "a refused connection still starts");
	while (!s.done)
		http_client_poll(client, NULL, 0, 200);
	is_int(s.status, 0, "refused: status 0");
	ok(s.error[0] != '\0', "... with a reason (%s)", s.error);
	http_client_destroy(client);
}

/* A thread that wakes the client after a while. */
static void *
wake_later(void *arg)
{
	usleep(200 * 1000);
	http_client_wakeup(arg);
	return NULL;
}

/* Extra file descriptors, wake-ups, many requests at once, and destroy with requests running. */
static void
test_poll(void)
{
	http_client *client = http_client_create(8);
	int			p[2];
	struct curl_waitfd extra = {.events = CURL_WAIT_POLLIN};
	long long	start;
	pthread_t	t;
	seen		s[20];
	char		url[64];
	http_request reqs[20];
	int			all = 1;

	if (pipe(p) != 0)
		abort();
	extra.fd = p[0];
	(void) !write(p[1], "x", 1);
	start = shim_now_ms();
	http_client_poll(client, &extra, 1, 5000);
	ok(shim_now_ms() - start < 1000 && (extra.revents & CURL_WAIT_POLLIN), "a readable extra fd ends the poll, revents set");

	start = shim_now_ms();
	pthread_create(&t, NULL, wake_later, client);
	http_client_poll(client, NULL, 0, 5000);
	pthread_join(t, NULL);
	ok(shim_now_ms() - start < 2000, "http_client_wakeup from another thread ends the poll");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", port);
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 20; i++)
	{
		reqs[i] = (http_request) {.method = "GET", .url = url, .timeout_ms = 5000, .user = &s[i]};
		http_client_start(client, &reqs[i], on_done);
	}
	is_int(http_client_running(client), 20, "twenty requests running at once");
	start = shim_now_ms();
	while (http_client_running(client) > 0 && shim_now_ms() - start < 10000)
		http_client_poll(client, NULL, 0, 200);
	for (int i = 0; i < 20; i++)
		all &= s[i].done == 1 && s[i].status == 200;
	ok(all, "... each completed once with 200 (at most 8 connections)");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", port);
	memset(s, 0, sizeof(s));
	reqs[0] = (http_request) {.method = "GET", .url = url, .timeout_ms = 5000, .user = &s[0]};
	http_client_start(client, &reqs[0], on_done);
	http_client_poll(client, NULL, 0, 50);
	http_client_destroy(client);
	is_int(s[0].done, 0, "destroy with a request running: no completion");
	close(p[0]);
	close(p[1]);
}

/* http_perform_all: everything at once, with a deadline. */
static void
test_perform_all(void)
{
	char		ok_url[64],
				slow_url[64],
				retry_url[64];
	http_request reqs[3] = {
		{.method = "GET", .url = ok_url, .timeout_ms = 5000},
		{.method = "GET", .url = slow_url, .timeout_ms = 5000},
		{.method = "POST", .url = retry_url, .body = "{}", .body_len = 2, .timeout_ms = 5000},
	};
	http_response out[3];
	long long	start = shim_now_ms();

	snprintf(ok_url, sizeof(ok_url), "http://127.0.0.1:%d/ok", port);
	snprintf(slow_url, sizeof(slow_url), "http://127.0.0.1:%d/slow", port);
	snprintf(retry_url, sizeof(retry_url), "http://127.0.0.1:%d/retry", port);
	http_perform_all(reqs, out, 3, 600);
	ok(shim_now_ms() - start < 1400, "http_perform_all returns at its deadline");
	is_int(out[0].status, 200, "... the quick one: 200");
	is_str(out[0].body, "hello", "... with its body");
	is_int(out[1].status, 0, "... the slow one: status 0");
	is_str(out[1].error, "deadline reached", "... \"deadline reached\"");
	ok(out[1].body != NULL && out[1].body[0] == '\0', "... and an empty body, never NULL");
	is_int(out[2].status, 429, "... the third: 429");
	is_str(out[2].retry_after, "7", "... with its Retry-After");
	for (int i = 0; i < 3; i++)
		http_response_free(&out[i]);
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	start_server();
	test_answers();
	test_requests();
	test_failures();
	test_poll();
	test_perform_all();
	curl_global_cleanup();
	return done_testing();
}
