/*
 * signals.h
 *	  SIGINT and SIGTERM as a count and a self-pipe, for the webhook server
 *	  (main.c) and the dispatcher (dispatcher.c); SIGPIPE ignored.
 */
#ifndef VAPI_SHIM_SIGNALS_H
#define VAPI_SHIM_SIGNALS_H

/*
 * Ignore SIGPIPE; count SIGINT/SIGTERM and write a byte to a non-blocking
 * pipe for each, so that a poll can wake on it.  0, or -1 (logged).
 */
extern int	shim_signals_setup(void);

/* The read end of the pipe (-1 before shim_signals_setup). */
extern int	shim_signal_fd(void);

/* Empty the pipe (the count says what happened). */
extern void shim_signal_drain(void);

/* SIGINT/SIGTERM received so far. */
extern int	shim_stop_signals(void);

/* The last of them, as "SIGINT" or "SIGTERM". */
extern const char *shim_last_signal_name(void);

#endif							/* VAPI_SHIM_SIGNALS_H */
