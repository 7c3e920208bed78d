/*
 * log.h
 *	  One-line, timestamped log messages on stderr for vapi-shim, and the
 *	  plain "vapi-shim: ..." messages of its command-line errors.
 *
 * Every event is a single line: "2025-01-31T12:00:00.123Z [pid] LEVEL: text".
 * Lines are written with one write(2) so the event loop and the health
 * prober thread never interleave partial lines.  Never pass secrets here.
 */
#ifndef VAPI_SHIM_LOG_H
#define VAPI_SHIM_LOG_H

typedef enum shim_log_level
{
	SHIM_LOG_INFO,
	SHIM_LOG_WARNING,
	SHIM_LOG_ERROR
} shim_log_level;

extern void shim_log(shim_log_level level, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/*
 * Print "vapi-shim: <message>" and then tail (such as "\n") on stderr: a
 * message for whoever ran the command (a usage or configuration error),
 * not a log event.
 */
extern void shim_print_error(const char *tail, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#endif							/* VAPI_SHIM_LOG_H */
