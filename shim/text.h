/*
 * text.h
 *	  Text made safe for where it goes: one printable log line, UTF-8 that
 *	  PostgreSQL's jsonb accepts, or what HTTP lets into a header; and the
 *	  monotonic clock in ms; a whole number read from an argument.
 */
#ifndef VAPI_SHIM_TEXT_H
#define VAPI_SHIM_TEXT_H

#include <stddef.h>
#include <time.h>

/* src as one printable ASCII line (whitespace runs become one space), at most dstlen - 1 bytes. */
extern const char *shim_one_line(char *dst, size_t dstlen, const char *src);

/*
 * A malloc'd, NUL-terminated copy of text (len bytes) that jsonb accepts:
 * invalid UTF-8 and NUL bytes become U+FFFD, so a body cut at a byte limit
 * does not end inside a character.  NULL when out of memory.
 */
extern char *shim_clean_utf8(const char *text, size_t len);

/* A malloc'd copy of src as one printable line (shim_one_line); NULL when out of memory. */
extern char *shim_one_line_dup(const char *src);

/* text as a whole decimal number from min to max (min >= 0); -1 if it is not one. */
extern int	shim_parse_whole(const char *text, int min, int max);

/* Whether text holds a control character (no header value or URL may). */
extern int	shim_has_control_char(const char *text);

/*
 * Is url an absolute http:// or https:// URL with a host, no control
 * character and none of the characters in refused?
 */
extern int	shim_is_http_url(const char *url, const char *refused);

/* Is s an RFC 9110 token (a header name or a method)?  NULL is not. */
extern int	shim_is_http_token(const char *s);

/*
 * Can s be sent as a header value?  strict: printable ASCII only (spaces
 * included); else any byte but a control character, a tab allowed.  NULL
 * cannot.
 */
extern int	shim_is_http_field_value(const char *s, int strict);

/* Milliseconds on the monotonic clock. */
static inline long long
shim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif							/* VAPI_SHIM_TEXT_H */
