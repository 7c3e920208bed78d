/*
 * chars.h
 *	  Byte classes of text, one definition each, for the C that reads text:
 *	  redaction, transcripts, replies, vendor ids.
 *
 * Plain C (no PostgreSQL header), so that the classifier's benchmark and the
 * e164 test programs can include it.  ASCII only: a byte of a multibyte
 * UTF-8 character is none of these but a word byte (vp_is_word_byte), and
 * vp_to_lower leaves it as it is.  The functions take unsigned char: a
 * caller holding a char casts it, so that a byte >= 0x80 is never negative.
 */
#ifndef VAPI_POOL_CHARS_H
#define VAPI_POOL_CHARS_H

#include <stdbool.h>

/* An ASCII digit. */
static inline bool
vp_is_digit(unsigned char c)
{
	return (unsigned char) (c - '0') < 10;
}

/* An ASCII letter. */
static inline bool
vp_is_alpha(unsigned char c)
{
	return (unsigned char) ((c | 0x20) - 'a') < 26;
}

/* An ASCII capital letter. */
static inline bool
vp_is_upper(unsigned char c)
{
	return (unsigned char) (c - 'A') < 26;
}

/* An ASCII small letter. */
static inline bool
vp_is_lower(unsigned char c)
{
	return (unsigned char) (c - 'a') < 26;
}

/* An ASCII letter or digit. */
static inline bool
vp_is_alnum(unsigned char c)
{
	return vp_is_alpha(c) || vp_is_digit(c);
}

/* An ASCII hexadecimal digit, either case. */
static inline bool
vp_is_xdigit(unsigned char c)
{
	return vp_is_digit(c) || (unsigned char) ((c | 0x20) - 'a') < 6;
}

/* The value of an ASCII hexadecimal digit (either case), or -1. */
static inline int
vp_hex_value(unsigned char c)
{
	if (vp_is_digit(c))
		return c - '0';
	if ((unsigned char) ((c | 0x20) - 'a') < 6)
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* The ASCII small letter of a capital; any other byte unchanged. */
static inline unsigned char
vp_to_lower(unsigned char c)
{
	return vp_is_upper(c) ? c + ('a' - 'A') : c;
}

/* A byte that can be part of a word of a reply: an ASCII letter or digit, or any byte of a UTF-8 character. */
static inline bool
vp_is_word_byte(unsigned char c)
{
	return vp_is_alnum(c) || c >= 0x80;
}

/* Whether s[0..len) is a UUID written 8-4-4-4-12 with hexadecimal digits (either case). */
static inline bool
vp_is_uuid_text(const char *s, int len)
{
	if (len != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool		dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : !vp_is_xdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

#endif							/* VAPI_POOL_CHARS_H */
