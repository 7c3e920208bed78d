/*
 * e164_parse.h
 *	  Parsing telephone numbers into E.164, the way libphonenumber does.
 *
 * Pure C with no PostgreSQL dependency: the extension wraps it (e164.c), and
 * the differential test and the benchmark link it directly.
 */
#ifndef E164_PARSE_H
#define E164_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e164/e164_metadata.h"

/* E.164 (ITU-T) caps a number at 15 digits, country code included. */
#define E164_MAX_DIGITS 15

typedef enum E164Status
{
	E164_OK = 0,
	E164_ERR_BAD_CHARACTER,		/* a character other than digits, +, separators */
	E164_ERR_NO_PLUS,			/* no leading + and no default region */
	E164_ERR_NOT_A_NUMBER,		/* fewer than two digits, or a misplaced + */
	E164_ERR_UNKNOWN_REGION,	/* default region is not a supported code */
	E164_ERR_INVALID_COUNTRY_CODE,	/* calling code not assigned */
	E164_ERR_TOO_SHORT_AFTER_IDD,	/* nothing after the international prefix */
	E164_ERR_TOO_SHORT_NSN,		/* national number under 2 digits */
	E164_ERR_TOO_LONG_NSN,		/* national number over 17 digits */
	E164_ERR_LENGTH,			/* length impossible for the country */
	E164_ERR_LOCAL_ONLY,		/* length only dialable locally (no area code) */
	E164_ERR_OVER_15_DIGITS,	/* over E.164's 15 digits */
	E164_ERR_NANP_AREA_CODE,	/* +1 area code starting with 0 or 1 */
	E164_ERR_NANP_EXCHANGE		/* +1 exchange code starting with 0 or 1 */
} E164Status;

typedef struct E164Number
{
	int			country_code;	/* 1..999 */
	int			nsn_length;		/* digits in nsn */
	char		nsn[24];		/* national significant number, NUL-terminated */
	const E164Region *region;	/* main region of the calling code, if known */
	char		bad_char;		/* E164_ERR_BAD_CHARACTER: the offender */
	int			bad_country_code;	/* E164_ERR_INVALID_COUNTRY_CODE: digits tried */
} E164Number;

/*
 * Parse what a person typed.  default_region (ISO 3166-1 alpha-2, length
 * region_len) is used for numbers without a leading +; pass NULL to require
 * the + form (the type's input function).  On E164_OK, out holds the number.
 */
extern E164Status e164_parse(const char *input, size_t len,
							 const char *default_region, int region_len,
							 E164Number *out);

/* Check a (country code, national number) pair as the parser's last step. */
extern E164Status e164_validate(E164Number *num);

/*
 * The 8-byte packed form.  Digits (country code then national number) are
 * left-aligned in 15 decimal places, times 16, plus the digit count: integer
 * order equals the order of the canonical text, so int8's btree and hash
 * support serve the type.
 */
extern int64_t e164_pack(const E164Number *num);

/* Canonical digits of a packed value (no +) into buf[16]; returns count, or -1. */
extern int	e164_unpack_digits(int64_t packed, char *buf);

/* Split packed digits into country code and national number; false if invalid. */
extern bool e164_unpack(int64_t packed, E164Number *out);

/* Human-readable message detail for a status, written into buf. */
extern void e164_status_detail(E164Status status, const E164Number *num,
							   char *buf, size_t buflen);

#endif							/* E164_PARSE_H */
