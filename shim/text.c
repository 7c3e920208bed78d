/*
 * text.c
 *	  Text made safe for where it goes: one printable log line, or UTF-8
 *	  that PostgreSQL's jsonb accepts.
 */
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
