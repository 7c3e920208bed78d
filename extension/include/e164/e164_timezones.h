/*
 * e164_timezones.h
 *	  The IANA time zones of a telephone number, as libphonenumber says.
 *
 * The tables behind this header live in e164_timezones.c, which is GENERATED
 * by extension/e164/gen_e164_timezones.py from the python3-phonenumbers
 * release the e164 metadata comes from (e164_metadata_version).  Do not edit
 * e164_timezones.c by hand; `make regenerate` rewrites it and
 * `make check-generated` fails when it is stale.  The lookup is
 * e164_timezones_lookup.c.
 *
 * The answer is exactly libphonenumber's time_zones_for_number() (Java:
 * PhoneNumberToTimeZonesMapper.getTimeZonesForNumber) for the number:
 *
 *	 - an invalid number (libphonenumber's type UNKNOWN: no pattern of its
 *	   region matches) has no zone;
 *	 - a fixed-line number (and a mobile one in Mexico, Argentina, Brazil,
 *	   Indonesia and China, whose mobile numbers are geographical) has the
 *	   zones of the longest prefix of its digits in libphonenumber's prefix
 *	   map (up to 8 digits, calling code included; e.g. 1212 -> New York);
 *	 - any other valid number (most countries' mobiles, toll-free, premium
 *	   rate, VoIP, personal numbers, ...) has the zones of its calling code:
 *	   every zone of the country (all of Australia's for a +614 mobile) or,
 *	   for +1, of the whole NANP.
 *
 * libphonenumber's "Etc/Unknown" is never returned (it is "no zone").  Every
 * name is an IANA zone that PostgreSQL knows (pg_timezone_names; the regress
 * test number_timezones checks it).  Several zones mean the number may be in
 * any of them: a caller that must respect local hours has to respect them in
 * every one.
 *
 * Plain C, no PostgreSQL dependency; the returned strings are static.
 */
#ifndef E164_TIMEZONES_H
#define E164_TIMEZONES_H

#include <stdint.h>

/* Longest input e164_timezones() answers for (E.164's cap). */
#define E164_TIMEZONES_MAX_DIGITS 15

/*
 * The time zones of a number.  digits: its E.164 digits without '+'
 * (calling code first, e.g. "12125551234"), ndigits of them, not
 * NUL-terminated.  Returns the number of zones and points *zones at that many
 * static zone names (sorted); returns 0 with *zones = NULL when the zone is
 * unknown (invalid number, no data, not all digits, over 15 digits).
 */
extern int	e164_timezones(const char *digits, int ndigits, const char *const **zones);

/* Every zone the table can return: count, and the i-th name in name order. */
extern int	e164_timezone_count(void);
extern const char *e164_timezone_name(int i);

/* libphonenumber release the table was generated from, e.g. "8.12.57". */
extern const char e164_timezones_version[];

/*
 * The generated tables, for e164_timezones_lookup.c (callers use the
 * functions above).
 *
 * Zone lists are runs of e164_tz_list_zones (zone names stored once).  The
 * prefix map is sorted by strcmp().  The classifier is, per calling code,
 * an acyclic automaton over the national number's digits: from the code's
 * root, each digit follows the edge whose mask has its bit (no edge: the
 * number is invalid); the state reached after the last digit says how the
 * zones are found.
 */

/* Longest prefix in the map, calling code included. */
#define E164_TZ_LONGEST_PREFIX 8

typedef enum E164TzKind
{
	E164TZ_INVALID,				/* libphonenumber's type UNKNOWN: no zone */
	E164TZ_GEOGRAPHICAL,		/* the zones of the longest prefix */
	E164TZ_CALLING_CODE			/* the zones of the calling code */
} E164TzKind;

typedef struct E164TzList
{
	uint16_t	first;			/* index in e164_tz_list_zones */
	uint16_t	count;
} E164TzList;

typedef struct E164TzPrefix
{
	char		digits[E164_TZ_LONGEST_PREFIX + 1];
	uint16_t	list;			/* e164_tz_lists index */
} E164TzPrefix;

typedef struct E164TzNode
{
	uint8_t		kind;			/* E164TzKind if the number ends here */
	uint8_t		nedges;
	uint16_t	first;			/* index in e164_tz_edges */
} E164TzNode;

typedef struct E164TzEdge
{
	uint16_t	digits;			/* bit d: digit d takes this edge */
	uint16_t	node;			/* e164_tz_nodes index */
} E164TzEdge;

typedef struct E164TzCallingCode
{
	uint16_t	code;
	int32_t		root;			/* e164_tz_nodes index; -1: no number is valid */
	uint16_t	list;			/* e164_tz_lists index: the calling code's zones */
} E164TzCallingCode;

extern const char *const e164_tz_zones[];	/* every zone, by name */
extern const int e164_tz_zone_count;
extern const char *const e164_tz_list_zones[];
extern const E164TzList e164_tz_lists[];
extern const E164TzPrefix e164_tz_prefixes[];
extern const int e164_tz_prefix_count;
extern const E164TzNode e164_tz_nodes[];
extern const E164TzEdge e164_tz_edges[];
extern const E164TzCallingCode e164_tz_codes[];	/* ascending */
extern const int e164_tz_code_count;

#endif							/* E164_TIMEZONES_H */
