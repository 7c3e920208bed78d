/*
 * e164_timezones_lookup.c
 *	  The time zones of a number, from the generated tables of
 *	  e164_timezones.c.
 *
 * A lookup finds the calling code (codes are prefix-free, so the first of
 * the number's 1-, 2- and 3-digit prefixes that is assigned is the one),
 * walks the calling code's classifier over the national number (at most 14
 * digits), and then either answers the calling code's list, or
 * binary-searches the prefix map for the longest prefix of the number
 * (at most E164_TZ_LONGEST_PREFIX searches), or answers nothing.  What the
 * classifier encodes, and why that is libphonenumber's
 * time_zones_for_number() exactly, is in gen_e164_timezones.py.
 *
 * Plain C99, no PostgreSQL dependency.
 */
#include <stddef.h>
#include <string.h>

#include "e164/e164_timezones.h"

/* Entry of a calling code, or NULL if the code is not assigned. */
static const E164TzCallingCode *
tz_calling_code(int code)
{
	int			lo = 0;
	int			hi = e164_tz_code_count - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (e164_tz_codes[mid].code == code)
			return &e164_tz_codes[mid];
		if (e164_tz_codes[mid].code < code)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Entry of exactly this prefix (NUL-terminated), or NULL. */
static const E164TzPrefix *
tz_prefix(const char *prefix)
{
	int			lo = 0;
	int			hi = e164_tz_prefix_count - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			cmp = strcmp(e164_tz_prefixes[mid].digits, prefix);

		if (cmp == 0)
			return &e164_tz_prefixes[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* How the zones of a national number are found: the classifier's walk. */
static E164TzKind
tz_kind(int32_t node, const char *nsn, int len)
{
	for (int i = 0; i < len && node >= 0; i++)
	{
		const E164TzNode *n = &e164_tz_nodes[node];
		uint16_t	bit = (uint16_t) (1u << (nsn[i] - '0'));
		int32_t		next = -1;

		for (int e = n->first; e < n->first + n->nedges; e++)
		{
			if (e164_tz_edges[e].digits & bit)
			{
				next = e164_tz_edges[e].node;
				break;
			}
		}
		node = next;
	}
	return node < 0 ? E164TZ_INVALID : (E164TzKind) e164_tz_nodes[node].kind;
}

/* The zones of an e164_tz_lists entry, into *zones; returns their count. */
static int
tz_list(int list, const char *const **zones)
{
	const E164TzList *l = &e164_tz_lists[list];

	*zones = l->count > 0 ? &e164_tz_list_zones[l->first] : NULL;
	return l->count;
}

/* See e164_timezones.h. */
int
e164_timezones(const char *digits, int ndigits, const char *const **zones)
{
	const E164TzCallingCode *cc = NULL;
	int			cclen = 0;
	int			code = 0;
	char		prefix[E164_TZ_LONGEST_PREFIX + 1];

	*zones = NULL;
	if (digits == NULL || ndigits < 2 || ndigits > E164_TIMEZONES_MAX_DIGITS)
		return 0;
	for (int i = 0; i < ndigits; i++)
		if (digits[i] < '0' || digits[i] > '9')
			return 0;
	if (digits[0] == '0')
		return 0;
	while (cc == NULL && cclen < 3 && cclen + 1 < ndigits)
	{
		code = code * 10 + (digits[cclen++] - '0');
		cc = tz_calling_code(code);
	}
	if (cc == NULL)
		return 0;
	switch (tz_kind(cc->root, digits + cclen, ndigits - cclen))
	{
		case E164TZ_INVALID:
			return 0;
		case E164TZ_CALLING_CODE:
			return tz_list(cc->list, zones);
		case E164TZ_GEOGRAPHICAL:
			break;
	}
	for (int len = ndigits < E164_TZ_LONGEST_PREFIX ? ndigits : E164_TZ_LONGEST_PREFIX;
		 len > 0; len--)
	{
		const E164TzPrefix *p;

		memcpy(prefix, digits, len);
		prefix[len] = '\0';
		p = tz_prefix(prefix);
		if (p != NULL)
			return tz_list(p->list, zones);
	}
	return 0;
}

/* See e164_timezones.h. */
int
e164_timezone_count(void)
{
	return e164_tz_zone_count;
}

/* See e164_timezones.h. */
const char *
e164_timezone_name(int i)
{
	return i >= 0 && i < e164_tz_zone_count ? e164_tz_zones[i] : NULL;
}
