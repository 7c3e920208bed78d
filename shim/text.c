/*
 * text.c
 *	  Text made safe for where it goes: one printable log line, UTF-8 that
 *	  PostgreSQL's jsonb accepts, or what HTTP lets into a header.
 *
 * The HTTP checks follow RFC 9110: a header name or a method is a token
 * (letters, digits and !#$%&'*+-.^_`|~); a header value is any byte but a
 * control character, a tab allowed (obs-text, bytes 0x80 and up, included),
 * or for a strict caller printable ASCII only.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* src as one printable ASCII line (whitespace runs become one space), at most dstlen - 1 bytes. */
const char *
shim_one_line(char *dst, size_t dstlen, const char *src)
{
	size_t		len = 0;

	for (; src && *src && len + 1 < dstlen; src++)
	{
		unsigned char c = (unsigned char) *src;

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && (len == 0 || dst[len - 1] == ' '))
			continue;
		dst[len++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
	}
	while (len > 0 && dst[len - 1] == ' ')
		len--;
	dst[len] = '\0';
	return dst;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t		len;
	unsigned char lo = 0x80,
				hi = 0xBF;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;			/* no UTF-16 surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;				/* NUL, a continuation byte, or never valid */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/*
 * A copy of text that jsonb accepts: invalid UTF-8 and NUL bytes become
 * U+FFFD, and a body cut at HTTP_BODY_MAX does not end inside a character.
 */
char *
shim_clean_utf8(const char *text, size_t len)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	char	   *out = malloc(len * 3 + 1);
	size_t		o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;)
	{
		size_t		seq = utf8_sequence((const unsigned char *) text + i, len - i);

		if (seq == 0)
		{
			memcpy(out + o, replacement, 3);
			o += 3;
			i++;
		}
		else
		{
			memcpy(out + o, text + i, seq);
			o += seq;
			i += seq;
		}
	}
	out[o] = '\0';
	return out;
}

/* Whether text holds a control character (no header value or URL may). */
int
shim_has_control_char(const char *text)
{
	for (const unsigned char *p = (const unsigned char *) text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/*
 * Is url an absolute http:// or https:// URL with a host, no control
 * character and none of the characters in refused?
 */
int
shim_is_http_url(const char *url, const char *refused)
{
	const char *host;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return 0;
	return host[0] != '\0' && host[0] != '/' && !shim_has_control_char(url) && strpbrk(url, refused) == NULL;
}

/* Is s an RFC 9110 token (a header name or a method): non-empty, tchar only? */
int
shim_is_http_token(const char *s)
{
	static const char tchar_punct[] = "!#$%&'*+-.^_`|~";

	if (s == NULL || s[0] == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			  strchr(tchar_punct, *p) != NULL))
			return 0;
	return 1;
}

/*
 * Can s be sent as a header value?  strict: printable ASCII only (spaces
 * included); else any byte but a control character, a tab allowed.
 */
int
shim_is_http_field_value(const char *s, int strict)
{
	if (s == NULL)
		return 0;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (strict ? (*p < 0x20 || *p > 0x7e) : ((*p < 0x20 && *p != '\t') || *p == 0x7f))
			return 0;
	return 1;
}

/* text as a whole decimal number from min to max (min >= 0); -1 if it is not one. */
int
shim_parse_whole(const char *text, int min, int max)
{
	char	   *end;
	long		v;

	if (!isdigit((unsigned char) text[0]))
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	return (int) v;
}

/* A malloc'd copy of src as one printable line (shim_one_line); NULL when out of memory. */
char *
shim_one_line_dup(const char *src)
{
	size_t		len = strlen(src);
	char	   *copy = malloc(len + 1);

	if (copy == NULL)
		return NULL;
	return (char *) shim_one_line(copy, len + 1, src);
}
