/*
 * log.c
 *	  One-line, timestamped log messages on stderr for vapi-shim, and the
 *	  plain "vapi-shim: ..." messages of its command-line errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define SHIM_LOG_LINE_MAX 2048

static const char *const level_names[] = {"LOG", "WARNING", "ERROR"};

/* Format one message with a UTC timestamp and write it to stderr as one line. */
void
shim_log(shim_log_level level, const char *fmt,...)
{
	char		line[SHIM_LOG_LINE_MAX];
	struct timeval tv;
	struct tm	tm;
	size_t		len;
	int			n;
	va_list		ap;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + len, sizeof(line) - len, ".%03dZ [%d] %s: ",
				 (int) (tv.tv_usec / 1000), (int) getpid(), level_names[level]);
	if (n > 0)
		len += (size_t) n;

	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t) n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;

	/* keep it one line, whatever the message contained */
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';

	(void) !write(STDERR_FILENO, line, len);
}

/* Print "vapi-shim: <message>" and then tail on stderr (no timestamp: not a log event). */
void
shim_print_error(const char *tail, const char *fmt,...)
{
	va_list		ap;

	fputs("vapi-shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(tail, stderr);
}
