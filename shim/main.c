/*
 * main.c
 *	  vapi-shim: start-up, signals and the event loop.
 *
 * vapi-shim receives Vapi, Instantly and Cal.com webhooks over HTTP/1.1 for
 * the vapi_pool PostgreSQL extension.  This file wires the pieces together:
 * configuration, the database worker pool, the health prober thread and the
 * h2o event loop.
 *
 * Shutdown (SIGTERM or SIGINT): stop accepting connections, keep running the
 * loop until every webhook in flight has its answer (each has a deadline of
 * db_timeout_ms, so this ends), stop the database workers (a running
 * statement is finished, connections closed), stop the prober, exit 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <h2o.h>

#include "config.h"
#include "db_pool.h"
#include "dispatcher.h"
#include "health.h"
#include "http_server.h"
#include "json_alloc.h"
#include "log.h"
#include "operator.h"
#include "provision.h"
#include "signals.h"
#include "webhooks.h"

/* Drain the wake-up pipe; the loop condition then sees the stop signal. */
static void
on_signal_pipe(h2o_socket_t *sock, const char *err)
{
	h2o_buffer_consume(&sock->input, sock->input->size);
}

/* Route SIGINT/SIGTERM through their self-pipe (signals.c) into the loop. */
static int
setup_signals(h2o_evloop_t *loop)
{
	h2o_socket_t *sock;

	if (shim_signals_setup() != 0)
		return -1;
	sock = h2o_evloop_socket_create(loop, shim_signal_fd(), H2O_SOCKET_FLAG_DONT_READ);
	h2o_socket_read_start(sock, on_signal_pipe);
	return 0;
}

/*
 * After the listener closed: run the loop until no webhook waits for its
 * answer, bounded by one deadline plus a second for the answers to go out.
 */
static void
drain(shim_server *server, h2o_evloop_t *loop, int timeout_ms)
{
	uint64_t	until = h2o_now(loop) + (uint64_t) timeout_ms + 1000;
	size_t		pending = http_server_pending(server);

	if (pending > 0)
		shim_log(SHIM_LOG_INFO, "waiting for %zu webhook answers", pending);
	while (http_server_pending(server) > 0 && h2o_now(loop) < until)
	{
		if (h2o_evloop_run(loop, (int32_t) (until - h2o_now(loop))) != 0 && errno != EINTR)
			break;
	}
	/* let the last answers be written */
	h2o_evloop_run(loop, 0);
}

/*
 * Run a subcommand (dispatch, pool, assistants, status, dead-letters), or
 * parse options, start the pool, the prober and the server, and run until
 * signalled.
 */
int
main(int argc, char **argv)
{
	shim_config cfg;
	shim_server server;
	h2o_evloop_t *loop;
	db_pool    *pool;
	int			status = EXIT_SUCCESS;

	/* jansson must never see a failed allocation (json_alloc.c); before any use of it */
	shim_json_alloc_install();

	/* libcurl's global state, once, before any thread uses it */
	curl_global_init(CURL_GLOBAL_DEFAULT);

	/* subcommands: the dispatcher, the one-shot provisioning tools, the operator's commands */
	if (argc > 1 && strcmp(argv[1], "dispatch") == 0)
		return dispatcher_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "pool") == 0 || strcmp(argv[1], "assistants") == 0))
		return provision_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "status") == 0 || strcmp(argv[1], "dead-letters") == 0))
		return operator_main(argc - 1, argv + 1);

	switch (config_load(&cfg, argc, argv))
	{
		case CONFIG_OK:
			break;
		case CONFIG_EXIT_SUCCESS:
			return EXIT_SUCCESS;
		case CONFIG_EXIT_USAGE:
			return SHIM_EXIT_USAGE;
	}

	shim_log(SHIM_LOG_INFO, "vapi-shim %s starting", SHIM_VERSION);
	config_log_summary(&cfg);

	loop = h2o_evloop_create();
	if (setup_signals(loop) != 0 ||
		(pool = db_pool_start(&cfg, loop)) == NULL ||
		http_server_start(&server, &cfg, loop, pool) != 0 ||
		health_start(cfg.database_url) != 0)
		return EXIT_FAILURE;

	while (shim_stop_signals() == 0)
	{
		if (h2o_evloop_run(loop, INT32_MAX) != 0 && errno != EINTR)
		{
			shim_log(SHIM_LOG_ERROR, "event loop failed: %s", strerror(errno));
			status = EXIT_FAILURE;
			break;
		}
	}

	if (shim_stop_signals() > 0)
		shim_log(SHIM_LOG_INFO, "shutting down (%s)", shim_last_signal_name());
	http_server_stop_listening(&server);
	drain(&server, loop, WEBHOOK_TOOL_TIMEOUT_MS);
	db_pool_stop(pool);
	/* receive the jobs the pool gave back while stopping */
	h2o_evloop_run(loop, 0);
	health_stop();
	shim_log(SHIM_LOG_INFO, "stopped");
	return status;
}
