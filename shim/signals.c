/*
 * signals.c
 *	  SIGINT and SIGTERM as a count and a self-pipe; SIGPIPE ignored.
 *
 * The handler only counts the signal, remembers which one it was and
 * writes a byte to a pipe; the webhook server's event loop and the
 * dispatcher's poll watch the pipe's read end and look at the count when
 * they wake.  A first signal asks for a clean stop; the dispatcher takes a
 * second one as "abandon what is in flight".
 */
#define _GNU_SOURCE				/* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"

static volatile sig_atomic_t stop_signals;	/* SIGINT/SIGTERM received */
static volatile sig_atomic_t last_signal;
static int	signal_pipe[2] = {-1, -1};	/* wakes the poll on a signal */

/* SIGINT/SIGTERM: count the signal and wake the poll. */
static void
on_stop_signal(int signo)
{
	int			saved_errno = errno;

	stop_signals++;
	last_signal = signo;
	(void) !write(signal_pipe[1], "", 1);
	errno = saved_errno;
}

/* Ignore SIGPIPE; SIGINT/SIGTERM write to a pipe the poll watches. */
int
shim_signals_setup(void)
{
	struct sigaction sa;

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
	{
		shim_log(SHIM_LOG_ERROR, "could not create the signal pipe: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

/* The pipe's read end, for a poll to watch. */
int
shim_signal_fd(void)
{
	return signal_pipe[0];
}

/* Empty the signal pipe (the counter says what happened). */
void
shim_signal_drain(void)
{
	char		buf[64];

	while (read(signal_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/* How many SIGINT/SIGTERM came. */
int
shim_stop_signals(void)
{
	return stop_signals;
}

/* The last stop signal's name. */
const char *
shim_last_signal_name(void)
{
	return last_signal == SIGINT ? "SIGINT" : "SIGTERM";
}
