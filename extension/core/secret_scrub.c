/*
 * secret_scrub.c
 *	  Takes credentials out of a vendor's error text before it is stored.
 *
 * outbox.last_error keeps why a job failed, and members of the organisation
 * read it; the text comes partly from the vendor's answer, which may echo the
 * request's Authorization header or name a key.  vp_scrub_secret() replaces
 * two things with "[redacted]": the value after a credential word
 * (authorization, bearer, api key, token, secret, password and their
 * spellings), and any long run of letters and digits that looks like a key
 * or a JWT (at least 32 characters with both letters and digits, dots
 * allowed; a canonical uuid is kept, since call and job ids are uuids and
 * are what an operator needs).  The result is capped at VP_SCRUB_MAX_LEN
 * bytes, cut on a UTF-8 boundary.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "core/secret_scrub.h"
#include "core/chars.h"

/* the words whose next value is a credential, lower case */
static const char *const credential_words[] = {
	"authorization", "bearer", "basic", "api_key", "api-key", "apikey", "x-api-key", "access_token",
	"refresh_token", "token", "secret", "password", "passwd", "x-vapi-secret", "signature", NULL
};

#define REDACTED "[redacted]"
#define MIN_KEY_LEN 32

/* A character of a key, token or JWT. */
static bool
token_char(char c)
{
	return vp_is_alnum((unsigned char) c) || c == '_' || c == '-' || c == '.' || c == '~' || c == '+' ||
		c == '/' || c == '=';
}

/* Whether s[0..len) looks like a key: long, with letters and digits, not a uuid. */
static bool
looks_like_key(const char *s, int len)
{
	bool		letter = false;
	bool		digit = false;

	if (len < MIN_KEY_LEN || vp_is_uuid_text(s, len))
		return false;
	for (int i = 0; i < len; i++)
	{
		letter |= vp_is_alpha((unsigned char) s[i]);
		digit |= vp_is_digit((unsigned char) s[i]);
	}
	return letter && digit;
}

/* The length of the credential word at s (not inside a longer word), or 0. */
static int
credential_word_at(const char *s, const char *start)
{
	if (s > start && (isalnum((unsigned char) s[-1]) || s[-1] == '_'))
		return 0;
	for (int w = 0; credential_words[w] != NULL; w++)
	{
		int			len = strlen(credential_words[w]);

		if (pg_strncasecmp(s, credential_words[w], len) == 0 &&
			!isalnum((unsigned char) s[len]) && s[len] != '_')
			return len;
	}
	return 0;
}

/* text with credentials replaced and its length capped (palloc'd); NULL stays NULL. */
char *
vp_scrub_secret(const char *text)
{
	StringInfoData out;
	const char *p;

	if (text == NULL)
		return NULL;
	initStringInfo(&out);
	p = text;
	while (*p != '\0')
	{
		int			word = credential_word_at(p, text);

		if (word > 0)
		{
			const char *v = p + word;
			const char *end;

			/* the word, its separators (": ", "=", quotes, "Bearer "), then the value */
			appendBinaryStringInfo(&out, p, word);
			while (*v == ' ' || *v == ':' || *v == '=' || *v == '"' || *v == '\'' || *v == '\\')
				appendStringInfoChar(&out, *v++);
			if (credential_word_at(v, text) > 0)
			{
				p = v;			/* "Authorization: Bearer x": the next word's value */
				continue;
			}
			for (end = v; token_char(*end); end++)
				;
			if (end - v >= 4)
				appendStringInfoString(&out, REDACTED);
			else
				appendBinaryStringInfo(&out, v, end - v);
			p = end;
			continue;
		}
		if (token_char(*p) && (p == text || !token_char(p[-1])))
		{
			const char *end;

			for (end = p; token_char(*end); end++)
				;
			if (looks_like_key(p, end - p))
				appendStringInfoString(&out, REDACTED);
			else
				appendBinaryStringInfo(&out, p, end - p);
			p = end;
			continue;
		}
		appendStringInfoChar(&out, *p++);
	}
	if (out.len > VP_SCRUB_MAX_LEN)
	{
		int			cut = pg_mbcliplen(out.data, out.len, VP_SCRUB_MAX_LEN - 3);

		out.data[cut] = '\0';
		out.len = cut;
		appendStringInfoString(&out, "...");
	}
	return out.data;
}
