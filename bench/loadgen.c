/*
 * loadgen.c - an open-loop HTTP/1.1 load generator for bench/shim_bench.sh.
 *
 * wrk is closed-loop: each connection sends its next request when the
 * previous answer arrives, so a slow server slows the load down and the
 * requests it delays are never sent ("coordinated omission"); its p99 is the
 * latency at saturation.  This generator offers a fixed rate instead, as
 * senders of webhooks do: request i is due at start + i/R whatever happened
 * before it, for --warmup + --seconds seconds.
 *
 * - Schedule: due times come from the request index alone (CLOCK_MONOTONIC,
 *   nanoseconds); a timerfd wakes the loop at the next due time.
 * - Connections: --connections keep-alive connections, opened before the
 *   start, each carrying one request at a time (no pipelining).  A request
 *   that falls due while every connection is busy waits in a FIFO queue.
 * - Coordinated omission: a request's latency runs from its SCHEDULED send
 *   time to the last byte of its answer, so time spent in the queue, behind
 *   a slow answer, counts.  A request that falls due while more than
 *   --max-queue requests already wait is counted as late (and still sent):
 *   the offered rate was then beyond what the server, or this generator,
 *   kept up with, and the output says so.
 * - Warm-up: requests due in the first --warmup seconds are sent but not
 *   counted.  After the last due time, answers are awaited for --drain
 *   seconds; measured requests still unanswered then count as errors
 *   ("unfinished").
 * - Answers: the status line, then Content-Length or chunked framing (a
 *   body framed by the connection's end is refused as an error); 2xx counts
 *   as success, other statuses as non2xx, broken connections and malformed
 *   answers as errors.  A request that fails on a reused connection before
 *   any byte of its answer arrived (the server closed an idle connection) is
 *   sent once more on a new connection.
 * - Bodies (--body-kind): the JSON bench/shim/assistant_request.lua and
 *   end_of_call_report.lua build, byte for byte, as one wrk thread (thread
 *   id 0) would: request i (0-based) is the script's n = i + 1, its call id
 *   "<run>-0-<n>" ("<prefix><run>-0-<n>" for end-of-call reports, prefix
 *   "eocr-" unless SHIM_BENCH_CALL_PREFIX or --call-prefix says otherwise).
 *   (wrk itself starts its thread 0 at n = 2: it spends one request() call
 *   checking the script.)  Nothing is random: the run id alone tells runs
 *   apart.
 *
 * Output, one line on stdout:
 *   offered=R achieved=A sent=N completed=N errors=E non2xx=X late=L
 *   p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=.. max_ms=.. unfinished=U max_queue=Q
 * counting measured requests only: sent and completed (answered, any
 * status) requests, errors (unfinished included), achieved = completed /
 * the longer of --seconds and the time from the first measured due time to
 * the last measured answer.  Percentiles are nearest-rank over every answered
 * measured request (2xx or not), at microsecond resolution, shown in ms.
 *
 * Build (bench/shim_bench.sh does, into its work directory):
 *   cc -O2 -Wall -Wextra -o bench/loadgen bench/loadgen.c     (Linux: epoll, timerfd)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL
#define TIMER_TAG UINT64_MAX

enum body_kind
{
	BODY_NONE, BODY_ASSISTANT_REQUEST, BODY_END_OF_CALL_REPORT, BODY_STATIC
};

enum conn_state
{
	C_CLOSED, C_CONNECTING, C_IDLE, C_WRITING, C_READING
};

/* One keep-alive connection and the request it carries. */
struct conn
{
	int			fd;
	uint32_t	gen;			/* socket generation: tells stale events apart */
	enum conn_state st;
	long		req;			/* request index, -1 when none */
	bool		reused;			/* served an answer before this request */
	bool		retried;		/* this request was already sent once more */
	char	   *wbuf;
	size_t		wlen,
				woff;
	char	   *rbuf;
	size_t		rlen,
				rcap;
	size_t		hdr_end;		/* 0 until the answer's header is complete */
	int			status;
	bool		chunked;
	long long	content_length; /* -1: none */
	bool		close_after;	/* the server asked to close */
};

/* Settings, from the command line. */
static struct
{
	char	   *host,
			   *port,
			   *path,
			   *hostport;
	const char *method;
	double		rate,
				seconds,
				warmup,
				drain;
	int			connections;
	long		max_queue;
	char	  **headers;
	int			nheaders;
	bool		has_content_type;
	enum body_kind kind;
	char	   *static_body;
	size_t		static_len;
	const char *run_id;
	const char *call_prefix;
	long		print_body;
}			opt;

static struct sockaddr_storage server_addr;
static socklen_t server_addrlen;
static int	epfd;
static struct conn *conns;
static int *idle_stack,
		   *closed_stack;
static int	nidle,
			nclosed;

/* The run's schedule and counters (measured requests only, but warm-up errors). */
static long long t0;			/* start, ns */
static long total,				/* requests in the schedule */
			first_measured;		/* index of the first measured request */
static long next_due,			/* first request not yet due */
			next_send;			/* first due request not yet sent */
static long inflight;
static long n_sent,
			n_completed,
			n_errors,
			n_non2xx,
			n_late,
			n_warmup_errors;
static long max_queue_seen;
static long long *latencies;	/* ns, measured answers */
static long nlat;
static long long last_done;		/* time of the last measured answer */
static unsigned char *finished; /* per request: answered or failed */

/* Monotonic clock in nanoseconds. */
static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Offset of request i's due time from the start, in nanoseconds. */
static long long
sched_off(long i)
{
	return (long long) ((double) i * (double) NS_PER_S / opt.rate);
}

/* Prints a message and exits with status 2. */
static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "loadgen: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* malloc or die. */
static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		die("%s", "out of memory");
	return p;
}

/*
 * Builds the body of request i (0-based; the .lua scripts' n is i + 1) into
 * buf, as assistant_request.lua or end_of_call_report.lua would for wrk
 * thread 0.  Returns its length.
 */
static size_t
make_body(long i, char *buf, size_t cap)
{
	long		n = i + 1;
	int			len = 0;

	if (opt.kind == BODY_ASSISTANT_REQUEST)
	{
		long		k = (n % 50) + 1;
		char		caller[32];

		if (n % 2 == 0)
			snprintf(caller, sizeof caller, "+1415555%ld", 1000 + k);
		else
			snprintf(caller, sizeof caller, "+1212555%04ld", n % 10000);
		len = snprintf(buf, cap,
					   "{\"message\": {\"type\": \"assistant-request\", \"timestamp\": %lld, \"call\": {\"id\": \"%s-%d-%ld\", "
					   "\"type\": \"inboundPhoneCall\", \"phoneNumberId\": \"pn_bench_%ld\", \"customer\": {\"number\": \"%s\"}}, "
					   "\"phoneNumber\": {\"id\": \"pn_bench_%ld\", \"number\": \"+1310555%ld\"}, \"customer\": {\"number\": \"%s\"}}}",
					   1763740800000LL + n, opt.run_id, 0, n, k, caller, k, 1000 + k, caller);
	}
	else if (opt.kind == BODY_END_OF_CALL_REPORT)
	{
		len = snprintf(buf, cap,
					   "{\"message\": {\"type\": \"end-of-call-report\", \"endedReason\": \"customer-ended-call\", "
					   "\"startedAt\": \"2026-11-21T17:00:00Z\", \"endedAt\": \"2026-11-21T17:01:30Z\", \"cost\": 0.12, "
					   "\"call\": {\"id\": \"%s%s-%d-%ld\"}, \"artifact\": {\"transcript\": \"AI: Hello, how can I help? "
					   "User: Please call me back on 415 555 %04ld, my email is caller%ld@example.com.\", "
					   "\"recordingUrl\": \"https://storage.vapi.ai/%ld.wav\"}, \"analysis\": {\"summary\": \"Callback requested.\"}}}",
					   opt.call_prefix, opt.run_id, 0, n, n % 10000, n, n);
	}
	if (len < 0 || (size_t) len >= cap)
		die("%s", "request body too long (run id or call prefix too long?)");
	return (size_t) len;
}

/* Writes request i's bytes (head and body) into c's write buffer. */
static void
build_request(struct conn *c, long i)
{
	char		gen[2048];
	const char *body = NULL;
	size_t		blen = 0,
				cap,
				off;
	int			w;

	if (opt.kind == BODY_STATIC)
	{
		body = opt.static_body;
		blen = opt.static_len;
	}
	else if (opt.kind != BODY_NONE)
	{
		blen = make_body(i, gen, sizeof gen);
		body = gen;
	}
	cap = 512 + strlen(opt.path) + strlen(opt.hostport) + blen;
	for (int h = 0; h < opt.nheaders; h++)
		cap += strlen(opt.headers[h]) + 2;
	free(c->wbuf);
	c->wbuf = xmalloc(cap);
	w = snprintf(c->wbuf, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n", opt.method, opt.path, opt.hostport);
	off = (size_t) w;
	if (body != NULL && !opt.has_content_type)
		off += (size_t) snprintf(c->wbuf + off, cap - off, "Content-Type: application/json\r\n");
	for (int h = 0; h < opt.nheaders; h++)
		off += (size_t) snprintf(c->wbuf + off, cap - off, "%s\r\n", opt.headers[h]);
	if (body != NULL)
		off += (size_t) snprintf(c->wbuf + off, cap - off, "Content-Length: %zu\r\n", blen);
	off += (size_t) snprintf(c->wbuf + off, cap - off, "\r\n");
	if (blen > 0)
		memcpy(c->wbuf + off, body, blen);
	c->wlen = off + blen;
	c->woff = 0;
}

/* Resets c's answer parser for a new request. */
static void
reset_answer(struct conn *c)
{
	c->rlen = 0;
	c->hdr_end = 0;
	c->status = 0;
	c->chunked = false;
	c->content_length = -1;
	c->close_after = false;
}

/* Closes c's socket; c becomes a closed connection (not yet on a stack). */
static void
close_conn(struct conn *c)
{
	if (c->fd >= 0)
	{
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = C_CLOSED;
	c->reused = false;
}

/* Starts a non-blocking connect on c.  Returns false when it failed at once. */
static bool
start_connect(struct conn *c)
{
	int			one = 1;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};

	c->fd = socket(server_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return false;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->gen++;
	ev.data.u64 = ((uint64_t) c->gen << 32) | (uint64_t) (c - conns);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
	{
		close(c->fd);
		c->fd = -1;
		return false;
	}
	c->st = C_CONNECTING;
	c->reused = false;
	if (connect(c->fd, (struct sockaddr *) &server_addr, server_addrlen) == 0 || errno == EINPROGRESS)
		return true;
	close_conn(c);
	return false;
}

/* Records the end of c's request (answered, or failed when status is 0). */
static void
finish_request(struct conn *c, int status)
{
	long		i = c->req;
	long long	t = now_ns();

	c->req = -1;
	inflight--;
	finished[i] = 1;
	if (i < first_measured)
	{
		if (status == 0)
			n_warmup_errors++;
		return;
	}
	if (status == 0)
	{
		n_errors++;
		return;
	}
	n_completed++;
	if (status < 200 || status > 299)
		n_non2xx++;
	latencies[nlat++] = t - (t0 + sched_off(i));
	last_done = t;
}

/*
 * c's request failed (connection refused or broken, malformed answer):
 * sends it once more on a new connection when a reused connection broke
 * before any byte of the answer came, else counts an error.  c ends closed
 * or connecting.
 */
static void
fail_request(struct conn *c)
{
	bool		retry = c->reused && !c->retried && c->rlen == 0 && c->st != C_CONNECTING;

	close_conn(c);
	if (retry)
	{
		c->retried = true;
		c->woff = 0;
		reset_answer(c);
		if (start_connect(c))
			return;
	}
	finish_request(c, 0);
	closed_stack[nclosed++] = (int) (c - conns);
}

/* Writes what remains of c's request; moves c to reading when all is sent. */
static void
do_write(struct conn *c)
{
	while (c->woff < c->wlen)
	{
		ssize_t		w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			fail_request(c);
			return;
		}
		c->woff += (size_t) w;
	}
	c->st = C_READING;
}

/* Finds "\r\n" in buf[from, len); returns its offset or -1. */
static long
find_crlf(const char *buf, size_t from, size_t len)
{
	for (size_t p = from; p + 1 < len; p++)
		if (buf[p] == '\r' && buf[p + 1] == '\n')
			return (long) p;
	return -1;
}

/* Parses the answer's status line and header fields.  Returns false if malformed. */
static bool
parse_head(struct conn *c)
{
	char	   *p = c->rbuf,
			   *end = c->rbuf + c->hdr_end;
	bool		http10;
	char	   *eol;

	if (c->hdr_end < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
		return false;
	http10 = p[7] == '0';
	c->close_after = http10;
	c->status = atoi(p + 9);
	if (c->status < 100 || c->status > 999)
		return false;
	eol = strstr(p, "\r\n");
	p = eol + 2;
	while (p < end - 2)
	{
		char	   *colon,
				   *v;
		size_t		nlen;

		eol = strstr(p, "\r\n");
		*eol = '\0';
		colon = strchr(p, ':');
		if (colon == NULL)
			return false;
		nlen = (size_t) (colon - p);
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (nlen == 14 && strncasecmp(p, "content-length", 14) == 0)
		{
			char	   *e;

			errno = 0;
			c->content_length = strtoll(v, &e, 10);
			if (errno != 0 || e == v || c->content_length < 0)
				return false;
		}
		else if (nlen == 17 && strncasecmp(p, "transfer-encoding", 17) == 0)
		{
			if (strcasestr(v, "chunked") == NULL)
				return false;
			c->chunked = true;
		}
		else if (nlen == 10 && strncasecmp(p, "connection", 10) == 0)
		{
			if (strcasestr(v, "close") != NULL)
				c->close_after = true;
			else if (strcasestr(v, "keep-alive") != NULL)
				c->close_after = false;
		}
		*eol = '\r';
		p = eol + 2;
	}
	return true;
}

/*
 * Where the chunked body starting at c->hdr_end ends: 1 and *end when
 * complete, 0 when more bytes are needed, -1 when malformed.
 */
static int
chunked_end(struct conn *c, size_t *end)
{
	size_t		p = c->hdr_end;

	for (;;)
	{
		long		eol = find_crlf(c->rbuf, p, c->rlen);
		unsigned long long size;
		char	   *e;

		if (eol < 0)
			return 0;
		errno = 0;
		size = strtoull(c->rbuf + p, &e, 16);
		if (errno != 0 || e == c->rbuf + p || (*e != ';' && *e != '\r' && *e != ' '))
			return -1;
		p = (size_t) eol + 2;
		if (size == 0)
		{
			/* trailer fields, up to an empty line */
			for (;;)
			{
				eol = find_crlf(c->rbuf, p, c->rlen);
				if (eol < 0)
					return 0;
				if ((size_t) eol == p)
				{
					*end = p + 2;
					return 1;
				}
				p = (size_t) eol + 2;
			}
		}
		if (c->rlen < p + size + 2)
			return 0;
		if (c->rbuf[p + size] != '\r' || c->rbuf[p + size + 1] != '\n')
			return -1;
		p += size + 2;
	}
}

/*
 * Whether c's answer is complete: 1 yes, 0 not yet, -1 malformed (no
 * framing, or bytes beyond the answer: no pipelining here).
 */
static int
answer_complete(struct conn *c)
{
	size_t		end;

	if (c->hdr_end == 0)
	{
		char	   *h = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);

		if (h == NULL)
			return c->rlen > 65536 ? -1 : 0;
		c->hdr_end = (size_t) (h - c->rbuf) + 4;
		c->rbuf[c->hdr_end - 1] = '\0'; /* parse_head's strstr stops here */
		if (!parse_head(c))
			return -1;
		c->rbuf[c->hdr_end - 1] = '\n';
		if (c->status < 200)
			return -1;			/* 1xx: never asked for (no Expect) */
	}
	if (c->status == 204 || c->status == 304)
		end = c->hdr_end;
	else if (c->chunked)
	{
		int			r = chunked_end(c, &end);

		if (r <= 0)
			return r;
	}
	else if (c->content_length >= 0)
	{
		end = c->hdr_end + (size_t) c->content_length;
		if (c->rlen < end)
			return 0;
	}
	else
	{
		static bool said;

		if (!said)
			fprintf(stderr, "loadgen: an answer without Content-Length or chunked encoding (not supported: an error)\n");
		said = true;
		return -1;
	}
	return c->rlen == end ? 1 : -1;
}

/* Reads what the server sent on c and handles a complete answer. */
static void
do_read(struct conn *c)
{
	for (;;)
	{
		ssize_t		r;

		if (c->rcap - c->rlen < 4096)
		{
			c->rcap = c->rcap ? c->rcap * 2 : 16384;
			c->rbuf = realloc(c->rbuf, c->rcap);
			if (c->rbuf == NULL)
				die("%s", "out of memory");
		}
		r = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (c->st == C_IDLE)
		{
			/* the server closed an idle connection (or talked out of turn) */
			close_conn(c);
			for (int k = 0; k < nidle; k++)
				if (idle_stack[k] == (int) (c - conns))
				{
					idle_stack[k] = idle_stack[--nidle];
					break;
				}
			closed_stack[nclosed++] = (int) (c - conns);
			return;
		}
		if (r <= 0)
		{
			fail_request(c);
			return;
		}
		c->rlen += (size_t) r;
		switch (answer_complete(c))
		{
			case 0:
				continue;
			case -1:
				fail_request(c);
				return;
			default:
				finish_request(c, c->status);
				c->retried = false;
				if (c->close_after)
				{
					close_conn(c);
					closed_stack[nclosed++] = (int) (c - conns);
				}
				else
				{
					c->st = C_IDLE;
					c->reused = true;
					reset_answer(c);
					idle_stack[nidle++] = (int) (c - conns);
				}
				return;
		}
	}
}

/* Handles epoll events on c according to its state. */
static void
on_event(struct conn *c, uint32_t events)
{
	if (c->st == C_CONNECTING)
	{
		int			err = 0;
		socklen_t	len = sizeof err;

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
		{
			fail_request(c);
			return;
		}
		c->st = C_WRITING;
	}
	if (c->st == C_WRITING)
		do_write(c);
	if (c->st == C_READING || c->st == C_IDLE)
		do_read(c);
}

/*
 * Sends the oldest due request on an idle connection, else on a new one in
 * place of a closed connection.  Returns false when every connection is busy.
 */
static bool
dispatch_one(void)
{
	struct conn *c;
	long		i = next_send;

	if (nidle > 0)
		c = &conns[idle_stack[--nidle]];
	else if (nclosed > 0)
		c = &conns[closed_stack[--nclosed]];
	else
		return false;
	next_send++;
	inflight++;
	if (i >= first_measured)
		n_sent++;
	c->req = i;
	c->retried = false;
	reset_answer(c);
	build_request(c, i);
	if (c->st == C_CLOSED)
	{
		if (!start_connect(c))
		{
			finish_request(c, 0);
			closed_stack[nclosed++] = (int) (c - conns);
		}
		return true;
	}
	c->st = C_WRITING;
	do_write(c);
	return true;
}

/* Opens every connection before the start (blocking); exits if one fails. */
static void
open_connections(void)
{
	for (int k = 0; k < opt.connections; k++)
	{
		struct conn *c = &conns[k];
		long long	deadline = now_ns() + 5 * NS_PER_S;

		c->req = -1;
		if (!start_connect(c))
			die("cannot connect to %s", opt.hostport);
		while (c->st == C_CONNECTING)
		{
			struct epoll_event ev;
			int			n = epoll_wait(epfd, &ev, 1, 100);

			if (n == 1 && (uint32_t) ev.data.u64 == (uint32_t) k)
			{
				int			err = 0;
				socklen_t	len = sizeof err;

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err != 0)
					die("cannot connect to %s", opt.hostport);
				c->st = C_IDLE;
			}
			if (now_ns() > deadline)
				die("timed out connecting to %s", opt.hostport);
		}
		idle_stack[nidle++] = k;
	}
}

/* Arms the timer (absolute, monotonic) for time t in ns. */
static void
arm_timer(int tfd, long long t)
{
	struct itimerspec its = {0};

	its.it_value.tv_sec = t / NS_PER_S;
	its.it_value.tv_nsec = t % NS_PER_S;
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Runs the schedule, then waits for the last answers (or --drain). */
static void
run(void)
{
	int			tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TIMER_TAG};
	struct epoll_event events[256];
	long long	dur = (long long) ((opt.warmup + opt.seconds) * NS_PER_S);
	long long	deadline;

	if (tfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) < 0)
		die("%s", "timerfd");
	t0 = now_ns() + NS_PER_S / 100;
	deadline = t0 + dur + (long long) (opt.drain * NS_PER_S);
	for (;;)
	{
		long long	t = now_ns();
		int			n;

		/* requests falling due, one at a time, each sent at once if it can be */
		while (next_due < total && t0 + sched_off(next_due) <= t)
		{
			long		i = next_due++;
			long		queued;

			while (next_send < next_due && dispatch_one())
				;
			queued = next_due - next_send;
			if (queued > max_queue_seen)
				max_queue_seen = queued;
			if (queued > opt.max_queue && i >= first_measured)
				n_late++;
		}
		while (next_send < next_due && dispatch_one())
			;
		if (next_send == total && inflight == 0)
			break;
		if (t >= deadline)
			break;
		arm_timer(tfd, next_due < total ? t0 + sched_off(next_due) : deadline);
		n = epoll_wait(epfd, events, 256, -1);
		if (n < 0 && errno != EINTR)
			die("%s", "epoll_wait");
		for (int k = 0; k < n; k++)
		{
			uint64_t	tag = events[k].data.u64;
			struct conn *c;

			if (tag == TIMER_TAG)
			{
				uint64_t	expirations;

				if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
					die("%s", "timerfd read");
				continue;
			}
			/* an event of a socket closed earlier in this batch is stale */
			c = &conns[(uint32_t) tag];
			if (c->fd >= 0 && c->gen == (uint32_t) (tag >> 32))
				on_event(c, events[k].events);
		}
	}
	close(tfd);
}

/* Comparison of two latencies for qsort. */
static int
cmp_ll(const void *a, const void *b)
{
	long long	x = *(const long long *) a,
				y = *(const long long *) b;

	return (x > y) - (x < y);
}

/*
 * The nearest-rank percentile of the sorted latencies, in ms: the smallest
 * latency with at least permille/1000 of them at or below it.
 */
static double
percentile_ms(long permille)
{
	long		rank = (long) (((long long) permille * nlat + 999) / 1000);

	if (rank < 1)
		rank = 1;
	/* latencies are kept in ns; reported at microsecond resolution */
	return (double) (latencies[rank - 1] / 1000) / 1000.0;
}

/* Splits http://host[:port][/path] into opt's host, port, path and Host value. */
static void
parse_url(const char *url)
{
	const char *p,
			   *slash,
			   *hend,
			   *colon;

	if (strncmp(url, "http://", 7) != 0)
		die("only http:// URLs: %s", url);
	p = url + 7;
	slash = strchr(p, '/');
	hend = slash ? slash : p + strlen(p);
	opt.hostport = strndup(p, (size_t) (hend - p));
	opt.path = strdup(slash ? slash : "/");
	if (*p == '[')
	{
		const char *rb = memchr(p, ']', (size_t) (hend - p));

		if (rb == NULL)
			die("bad URL: %s", url);
		opt.host = strndup(p + 1, (size_t) (rb - p - 1));
		colon = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
	}
	else
	{
		colon = memchr(p, ':', (size_t) (hend - p));
		opt.host = strndup(p, (size_t) ((colon ? colon : hend) - p));
	}
	opt.port = colon ? strndup(colon + 1, (size_t) (hend - colon - 1)) : strdup("80");
	if (*opt.host == '\0' || *opt.port == '\0')
		die("bad URL: %s", url);
}

/* Reads a whole file for --body-file. */
static void
read_body_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	size_t		cap = 65536;

	if (f == NULL)
		die("cannot open %s", path);
	opt.static_body = xmalloc(cap);
	for (;;)
	{
		size_t		r = fread(opt.static_body + opt.static_len, 1, cap - opt.static_len, f);

		opt.static_len += r;
		if (opt.static_len < cap)
			break;
		cap *= 2;
		opt.static_body = realloc(opt.static_body, cap);
		if (opt.static_body == NULL)
			die("%s", "out of memory");
	}
	if (ferror(f))
		die("cannot read %s", path);
	fclose(f);
}

/* Prints the usage and exits with status. */
static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
			"usage: loadgen --url http://HOST:PORT/PATH --rate R [options]\n"
			"  --rate R               requests offered per second (request i due at start + i/R)\n"
			"  --seconds S            measured seconds (default 10)\n"
			"  --warmup W             seconds sent first and not measured (default 0)\n"
			"  --connections C        keep-alive connections (default 64)\n"
			"  --header 'Name: value' an extra request header (repeatable)\n"
			"  --method M             default GET, or POST with a body\n"
			"  --body-kind K          assistant-request | end-of-call-report (bench/shim/*.lua) | static\n"
			"  --body-file FILE       the body of every request (implies --body-kind static)\n"
			"  --run-id ID            call ids' run part (default $SHIM_BENCH_RUN, else \"run\")\n"
			"  --call-prefix P        end-of-call-report call id prefix (default $SHIM_BENCH_CALL_PREFIX, else \"eocr-\")\n"
			"  --max-queue Q          requests waiting for a connection beyond which one is late (default 1000)\n"
			"  --drain D              seconds to wait for answers after the last due time (default 10)\n"
			"  --print-body N         print request N's body (N from 1, the scripts' n) and exit\n");
	exit(status);
}

/* Parses a positive number option or dies. */
static double
positive(const char *name, const char *v, bool zero_ok)
{
	char	   *e;
	double		d = strtod(v, &e);

	if (e == v || *e != '\0' || !isfinite(d) || d < 0 || (d == 0 && !zero_ok))
		die("bad value for %s", name);
	return d;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"rate", required_argument, NULL, 'r'},
		{"seconds", required_argument, NULL, 's'},
		{"warmup", required_argument, NULL, 'w'},
		{"connections", required_argument, NULL, 'c'},
		{"header", required_argument, NULL, 'H'},
		{"method", required_argument, NULL, 'm'},
		{"body-kind", required_argument, NULL, 'k'},
		{"body-file", required_argument, NULL, 'f'},
		{"run-id", required_argument, NULL, 'i'},
		{"call-prefix", required_argument, NULL, 'p'},
		{"max-queue", required_argument, NULL, 'q'},
		{"drain", required_argument, NULL, 'd'},
		{"print-body", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *url = NULL;
	const char *body_file = NULL;
	int			ch;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM},
			   *ai;
	long		measured;
	double		elapsed;

	opt.seconds = 10;
	opt.connections = 64;
	opt.max_queue = 1000;
	opt.drain = 10;
	opt.print_body = 0;
	opt.run_id = getenv("SHIM_BENCH_RUN") ? getenv("SHIM_BENCH_RUN") : "run";
	opt.call_prefix = getenv("SHIM_BENCH_CALL_PREFIX") ? getenv("SHIM_BENCH_CALL_PREFIX") : "eocr-";
	opt.headers = xmalloc(sizeof(char *) * (size_t) argc);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (ch)
		{
			case 'u':
				url = optarg;
				break;
			case 'r':
				opt.rate = positive("--rate", optarg, false);
				break;
			case 's':
				opt.seconds = positive("--seconds", optarg, false);
				break;
			case 'w':
				opt.warmup = positive("--warmup", optarg, true);
				break;
			case 'c':
				opt.connections = (int) positive("--connections", optarg, false);
				break;
			case 'H':
				if (strchr(optarg, ':') == NULL || strpbrk(optarg, "\r\n") != NULL)
					die("bad header: %s", optarg);
				if (strncasecmp(optarg, "content-type:", 13) == 0)
					opt.has_content_type = true;
				opt.headers[opt.nheaders++] = optarg;
				break;
			case 'm':
				opt.method = optarg;
				break;
			case 'k':
				if (strcmp(optarg, "assistant-request") == 0)
					opt.kind = BODY_ASSISTANT_REQUEST;
				else if (strcmp(optarg, "end-of-call-report") == 0)
					opt.kind = BODY_END_OF_CALL_REPORT;
				else if (strcmp(optarg, "static") == 0)
					opt.kind = BODY_STATIC;
				else
					die("unknown body kind: %s", optarg);
				break;
			case 'f':
				body_file = optarg;
				opt.kind = BODY_STATIC;
				break;
			case 'i':
				opt.run_id = optarg;
				break;
			case 'p':
				opt.call_prefix = optarg;
				break;
			case 'q':
				opt.max_queue = (long) positive("--max-queue", optarg, true);
				break;
			case 'd':
				opt.drain = positive("--drain", optarg, true);
				break;
			case 'b':
				opt.print_body = (long) positive("--print-body", optarg, false);
				break;
			case 'h':
				usage(0);
				break;
			default:
				usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (opt.kind == BODY_STATIC)
	{
		if (body_file == NULL)
			die("%s", "--body-kind static needs --body-file FILE");
		read_body_file(body_file);
	}
	if (opt.print_body > 0)
	{
		char		buf[2048];

		if (opt.kind != BODY_ASSISTANT_REQUEST && opt.kind != BODY_END_OF_CALL_REPORT)
			die("%s", "--print-body needs --body-kind assistant-request or end-of-call-report");
		fwrite(buf, 1, make_body(opt.print_body - 1, buf, sizeof buf), stdout);
		putchar('\n');
		return 0;
	}
	if (url == NULL || opt.rate <= 0)
		usage(2);
	if (opt.connections < 1)
		die("%s", "--connections must be at least 1");
	if (opt.method == NULL)
		opt.method = opt.kind == BODY_NONE ? "GET" : "POST";
	parse_url(url);
	if (getaddrinfo(opt.host, opt.port, &hints, &ai) != 0)
		die("cannot resolve %s", opt.host);
	memcpy(&server_addr, ai->ai_addr, ai->ai_addrlen);
	server_addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	signal(SIGPIPE, SIG_IGN);

	/* the schedule: request i is due at sched_off(i) < warmup + seconds */
	{
		long long	dur = (long long) ((opt.warmup + opt.seconds) * NS_PER_S);
		long long	wu = (long long) (opt.warmup * NS_PER_S);

		total = (long) ((opt.warmup + opt.seconds) * opt.rate);
		while (sched_off(total) < dur)
			total++;
		while (total > 0 && sched_off(total - 1) >= dur)
			total--;
		first_measured = (long) (opt.warmup * opt.rate);
		while (first_measured > 0 && sched_off(first_measured - 1) >= wu)
			first_measured--;
		while (first_measured < total && sched_off(first_measured) < wu)
			first_measured++;
	}
	measured = total - first_measured;
	latencies = xmalloc(sizeof(long long) * (size_t) (measured > 0 ? measured : 1));
	finished = calloc((size_t) total + 1, 1);
	conns = calloc((size_t) opt.connections, sizeof *conns);
	idle_stack = xmalloc(sizeof(int) * (size_t) opt.connections);
	closed_stack = xmalloc(sizeof(int) * (size_t) opt.connections);
	if (finished == NULL || conns == NULL)
		die("%s", "out of memory");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("%s", "epoll_create1");
	for (int k = 0; k < opt.connections; k++)
		conns[k].fd = -1;
	open_connections();
	run();

	/* measured requests neither answered nor failed by the end of --drain */
	{
		long		unfinished = 0;

		for (long i = first_measured; i < total; i++)
			if (!finished[i])
				unfinished++;
		n_errors += unfinished;
		if (unfinished > 0)
			fprintf(stderr, "loadgen: %ld measured requests unanswered %.1f s after the last was due (counted as errors)\n",
					unfinished, opt.drain);
		if (n_late > 0)
			fprintf(stderr, "loadgen: the queue of due requests passed %ld (at most %ld): %ld late requests; "
					"the offered rate was not kept up with\n", opt.max_queue, max_queue_seen, n_late);
		if (n_warmup_errors > 0)
			fprintf(stderr, "loadgen: %ld errors during the warm-up (not counted)\n", n_warmup_errors);
		qsort(latencies, (size_t) nlat, sizeof(long long), cmp_ll);
		elapsed = opt.seconds;
		if (nlat > 0 && (double) (last_done - t0 - sched_off(first_measured)) / NS_PER_S > elapsed)
			elapsed = (double) (last_done - t0 - sched_off(first_measured)) / NS_PER_S;
		printf("offered=%g achieved=%.1f sent=%ld completed=%ld errors=%ld non2xx=%ld late=%ld",
			   opt.rate, (double) n_completed / elapsed, n_sent, n_completed, n_errors, n_non2xx, n_late);
		if (nlat > 0)
			printf(" p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f",
				   percentile_ms(500), percentile_ms(900), percentile_ms(990), percentile_ms(999),
				   percentile_ms(1000));
		else
			printf(" p50_ms=nan p90_ms=nan p99_ms=nan p999_ms=nan max_ms=nan");
		printf(" unfinished=%ld max_queue=%ld\n", unfinished, max_queue_seen);
	}
	return 0;
}
