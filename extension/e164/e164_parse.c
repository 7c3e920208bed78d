/*
 * e164_parse.c
 *	  Parsing telephone numbers into E.164, the way libphonenumber does.
 *
 * The steps mirror libphonenumber's PhoneNumberUtil::ParseHelper followed by
 * IsPossibleNumber and Format(E164): find a leading + or an international
 * (IDD) prefix, extract the country calling code, strip the national prefix
 * (with its viability checks), then test the length against the country's
 * possible lengths.  Where the product deliberately differs (local-only
 * lengths, more than 15 digits, NANP area and exchange codes, characters
 * beyond digits and common separators) the difference is documented in
 * docs/e164.md and checked by t/010_e164_differential.pl.
 *
 * No PostgreSQL dependency: this file links into the extension, the
 * differential test and the benchmark alike.
 */
#include "e164/e164_parse.h"
#include "e164/e164_metadata.h"
#include "e164/e164_regex.h"

#include <stdio.h>
#include <string.h>


#define MIN_LENGTH_FOR_NSN	2
#define MAX_LENGTH_FOR_NSN	17
#define MAX_DIGITS_READ		250		/* more digits never make a possible number */
#define MAX_COUNTRY_CODE_LENGTH 3

/* Result of comparing a length with a region's possible lengths. */
typedef enum LengthResult
{
	LEN_POSSIBLE,
	LEN_LOCAL_ONLY,
	LEN_TOO_SHORT,
	LEN_TOO_LONG,
	LEN_INVALID
} LengthResult;

/* A bounded digit string being worked on. */
typedef struct Digits
{
	char		d[MAX_DIGITS_READ + 1];
	int			len;
} Digits;

/* Characters people type between digits that carry no meaning. */
static inline bool
is_separator(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
}

/* White space allowed around a number (not inside it). */
static inline bool
is_outer_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* libphonenumber's TestNumberLength for the general description. */
static LengthResult
test_number_length(int length, const E164Region *md)
{
	uint32_t	possible = md->possible_lengths;
	int			min_len,
				max_len;

	if (possible == 0)
		return LEN_INVALID;
	if (length < 32 && (md->local_only_lengths & (UINT32_C(1) << length)))
		return LEN_LOCAL_ONLY;
	min_len = __builtin_ctz(possible);
	max_len = 31 - __builtin_clz(possible);
	if (length == min_len)
		return LEN_POSSIBLE;
	if (length < min_len)
		return LEN_TOO_SHORT;
	if (length > max_len)
		return LEN_TOO_LONG;
	return (possible & (UINT32_C(1) << length)) ? LEN_POSSIBLE : LEN_INVALID;
}

/* Whether digits match the region's general national-number pattern. */
static bool
matches_national_pattern(const E164Region *md, const char *d, int len)
{
	if (md->national_number_pattern < 0)
		return false;
	return e164_regex_full_match(md->national_number_pattern, d, len);
}

/* Write transform rule ("9$1") with groups taken from src into out. */
static int
expand_transform(const char *rule, const char *src, const int *caps,
				 int ngroups, char *out, int outsize)
{
	int			n = 0;

	for (const char *r = rule; *r; r++)
	{
		if (r[0] == '$' && r[1] >= '0' && r[1] <= '9')
		{
			int			g = r[1] - '0';

			r++;
			if (g <= ngroups && caps[2 * g] >= 0)
			{
				int			glen = caps[2 * g + 1] - caps[2 * g];

				if (n + glen >= outsize)
					return -1;
				memcpy(out + n, src + caps[2 * g], glen);
				n += glen;
			}
			continue;
		}
		if (n + 1 >= outsize)
			return -1;
		out[n++] = *r;
	}
	return n;
}

/*
 * libphonenumber's MaybeStripNationalPrefixAndCarrierCode: strip (or
 * transform) a national prefix such as 0, 1 or 8, unless the number was a
 * viable national number before and would not be one after.
 */
static bool
strip_national_prefix(const E164Region *md, Digits *num)
{
	int			caps[2 * (E164_REGEX_MAX_GROUPS + 1)];
	int			matched;

	if (num->len == 0 || md->national_prefix_for_parsing < 0)
		return false;

	matched = e164_regex_consume(md->national_prefix_for_parsing,
								 num->d, num->len, caps);
	if (matched < 0)
		return false;

	if (md->national_prefix_transform_rule != NULL)
	{
		int			ngroups = e164_regex_programs[md->national_prefix_for_parsing].ngroups;
		int			g = ngroups >= 2 ? 2 : ngroups;

		/* the captured part of the prefix decides whether to transform */
		if (g > 0 && caps[2 * g] >= 0 && caps[2 * g + 1] > caps[2 * g])
		{
			Digits		out;
			int			n;

			n = expand_transform(md->national_prefix_transform_rule, num->d,
								 caps, ngroups, out.d, (int) sizeof(out.d));
			if (n < 0 || n + (num->len - matched) > MAX_DIGITS_READ)
				return false;
			memcpy(out.d + n, num->d + matched, num->len - matched);
			out.len = n + num->len - matched;
			if (matches_national_pattern(md, num->d, num->len) &&
				!matches_national_pattern(md, out.d, out.len))
				return false;
			memcpy(num->d, out.d, out.len);
			num->len = out.len;
			return true;
		}
	}

	if (matches_national_pattern(md, num->d, num->len) &&
		!matches_national_pattern(md, num->d + matched, num->len - matched))
		return false;
	memmove(num->d, num->d + matched, num->len - matched);
	num->len -= matched;
	return true;
}

/* libphonenumber's ExtractCountryCode: 1-3 leading digits naming a code. */
static int
extract_country_code(Digits *num, int *tried)
{
	int			value = 0;

	*tried = 0;
	if (num->len == 0 || num->d[0] == '0')
		return 0;
	for (int i = 1; i <= MAX_COUNTRY_CODE_LENGTH && i <= num->len; i++)
	{
		value = value * 10 + (num->d[i - 1] - '0');
		*tried = value;
		if (e164_region_for_country_code(value) != NULL)
		{
			memmove(num->d, num->d + i, num->len - i);
			num->len -= i;
			return value;
		}
	}
	return 0;
}

/*
 * Strip an international (IDD) prefix such as 011 or 00, as libphonenumber's
 * ParsePrefixAsIdd does: not when the digit after it is 0, since no country
 * calling code starts with 0.
 */
static bool
strip_idd(const E164Region *md, Digits *num)
{
	int			matched;

	if (md->international_prefix < 0)
		return false;
	matched = e164_regex_consume(md->international_prefix, num->d, num->len, NULL);
	if (matched <= 0)
		return false;
	if (matched < num->len && num->d[matched] == '0')
		return false;
	memmove(num->d, num->d + matched, num->len - matched);
	num->len -= matched;
	return true;
}

/*
 * For a number without + or IDD: if it starts with the default region's own
 * calling code and reads better without it, take the code off
 * (libphonenumber's MaybeExtractCountryCode, last branch).
 */
static int
strip_own_country_code(const E164Region *md, Digits *num)
{
	char		cc[8];
	int			cclen = snprintf(cc, sizeof(cc), "%d", md->country_code);
	Digits		potential;

	if (num->len < cclen || memcmp(num->d, cc, cclen) != 0)
		return 0;
	potential.len = num->len - cclen;
	memcpy(potential.d, num->d + cclen, potential.len);
	strip_national_prefix(md, &potential);
	if ((!matches_national_pattern(md, num->d, num->len) &&
		 matches_national_pattern(md, potential.d, potential.len)) ||
		test_number_length(num->len, md) == LEN_TOO_LONG)
	{
		*num = potential;
		return md->country_code;
	}
	return 0;
}

/*
 * Read input into digits: surrounding white space, an optional run of
 * leading + signs, then digits and separators.  As libphonenumber's
 * ExtractPossibleNumber does, separators before the first + or digit and
 * anything but digits after the last digit (such as a stray "+") are
 * dropped.  Returns E164_OK or the character error.
 */
static E164Status
read_digits(const char *input, size_t len, Digits *num, bool *has_plus,
			E164Number *out)
{
	size_t		i = 0;

	num->len = 0;
	*has_plus = false;
	while (len > 0 && is_outer_space(input[len - 1]))
		len--;
	while (i < len && (is_outer_space(input[i]) || is_separator(input[i])))
		i++;
	while (i < len && input[i] == '+')
	{
		*has_plus = true;
		i++;
	}
	for (; i < len; i++)
	{
		char		c = input[i];

		if (c >= '0' && c <= '9')
		{
			if (num->len == MAX_DIGITS_READ)
				return E164_ERR_TOO_LONG_NSN;
			num->d[num->len++] = c;
		}
		else if (c == '+')
		{
			/* a + after the digits is trailing junk only if nothing follows */
			size_t		j = i;

			while (j < len && (input[j] == '+' || is_separator(input[j])))
				j++;
			if (j < len || num->len == 0)
				return E164_ERR_NOT_A_NUMBER;
			break;
		}
		else if (!is_separator(c))
		{
			out->bad_char = c;
			return E164_ERR_BAD_CHARACTER;
		}
	}
	num->d[num->len] = '\0';
	if (num->len < MIN_LENGTH_FOR_NSN)
		return E164_ERR_NOT_A_NUMBER;
	return E164_OK;
}

/*
 * The calling code after a + or an international prefix (libphonenumber's
 * MaybeExtractCountryCode when the number is not from the default country).
 * On failure num is left as it was.
 */
static E164Status
country_code_after_prefix(Digits *num, E164Number *out, int *country_code)
{
	if (num->len <= MIN_LENGTH_FOR_NSN)
		return E164_ERR_TOO_SHORT_AFTER_IDD;
	*country_code = extract_country_code(num, &out->bad_country_code);
	return *country_code != 0 ? E164_OK : E164_ERR_INVALID_COUNTRY_CODE;
}

/*
 * libphonenumber's MaybeExtractCountryCode for a number read without a +:
 * an IDD prefix then a calling code, or the region's own calling code, or
 * (*country_code = 0) nothing.
 */
static E164Status
country_code_without_plus(const E164Region *region_md, Digits *num,
						  E164Number *out, int *country_code)
{
	*country_code = 0;
	if (strip_idd(region_md, num))
		return country_code_after_prefix(num, out, country_code);
	*country_code = strip_own_country_code(region_md, num);
	return E164_OK;
}

/* See e164_parse.h. */
E164Status
e164_parse(const char *input, size_t len, const char *default_region,
		   int region_len, E164Number *out)
{
	Digits		num;
	bool		has_plus;
	const E164Region *region_md = NULL;
	const E164Region *md;
	int			country_code = 0;
	E164Status	status;

	memset(out, 0, sizeof(*out));
	if (default_region != NULL)
	{
		region_md = e164_region_by_code(default_region, region_len);
		if (region_md == NULL)
			return E164_ERR_UNKNOWN_REGION;
	}

	status = read_digits(input, len, &num, &has_plus, out);
	if (status != E164_OK)
		return status;
	if (!has_plus && region_md == NULL)
		return E164_ERR_NO_PLUS;

	/* country calling code: after +, after an IDD prefix, or implied */
	if (!has_plus)
		status = country_code_without_plus(region_md, &num, out, &country_code);
	else
	{
		status = country_code_after_prefix(&num, out, &country_code);
		if (status == E164_ERR_INVALID_COUNTRY_CODE && region_md != NULL)
		{
			int			tried = out->bad_country_code;

			/*
			 * Like libphonenumber, read "+00 44 ..." once more without the +:
			 * people put a + before their own international prefix.
			 */
			country_code_without_plus(region_md, &num, out, &country_code);
			out->bad_country_code = tried;
			if (country_code != 0)
				status = E164_OK;
		}
	}
	if (status != E164_OK)
		return status;
	if (country_code != 0)
		md = e164_region_for_country_code(country_code);
	else
	{
		md = region_md;
		country_code = region_md->country_code;
	}

	if (num.len < MIN_LENGTH_FOR_NSN)
		return E164_ERR_TOO_SHORT_NSN;

	/* national prefix, kept only if what remains has a possible length */
	{
		Digits		potential = num;
		LengthResult r;

		strip_national_prefix(md, &potential);
		r = test_number_length(potential.len, md);
		if (r != LEN_TOO_SHORT && r != LEN_LOCAL_ONLY && r != LEN_INVALID)
			num = potential;
	}

	if (num.len < MIN_LENGTH_FOR_NSN)
		return E164_ERR_TOO_SHORT_NSN;
	if (num.len > MAX_LENGTH_FOR_NSN)
		return E164_ERR_TOO_LONG_NSN;

	out->country_code = country_code;
	out->nsn_length = num.len;
	memcpy(out->nsn, num.d, num.len);
	out->nsn[num.len] = '\0';
	return e164_validate(out);
}

/* Number of decimal digits of a country calling code. */
static int
country_code_digits(int cc)
{
	return cc >= 100 ? 3 : cc >= 10 ? 2 : 1;
}

/* See e164_parse.h. */
E164Status
e164_validate(E164Number *num)
{
	const E164Region *md = e164_region_for_country_code(num->country_code);

	num->region = md;
	if (md == NULL)
	{
		num->bad_country_code = num->country_code;
		return E164_ERR_INVALID_COUNTRY_CODE;
	}
	switch (test_number_length(num->nsn_length, md))
	{
		case LEN_POSSIBLE:
			break;
		case LEN_LOCAL_ONLY:
			return E164_ERR_LOCAL_ONLY;
		default:
			return E164_ERR_LENGTH;
	}
	if (country_code_digits(num->country_code) + num->nsn_length > E164_MAX_DIGITS)
		return E164_ERR_OVER_15_DIGITS;
	if (num->country_code == 1 && num->nsn_length == 10)
	{
		if (num->nsn[0] < '2')
			return E164_ERR_NANP_AREA_CODE;
		if (num->nsn[3] < '2')
			return E164_ERR_NANP_EXCHANGE;
	}
	return E164_OK;
}

/* 10^n for n in 0..15. */
static int64_t
pow10_i64(int n)
{
	int64_t		v = 1;

	while (n-- > 0)
		v *= 10;
	return v;
}

/* See e164_parse.h. */
int64_t
e164_pack(const E164Number *num)
{
	char		digits[E164_MAX_DIGITS + 8];
	int			n = snprintf(digits, sizeof(digits), "%d%s",
							 num->country_code, num->nsn);
	int64_t		v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (digits[i] - '0');
	v *= pow10_i64(E164_MAX_DIGITS - n);
	return v * 16 + n;
}

/* See e164_parse.h. */
int
e164_unpack_digits(int64_t packed, char *buf)
{
	int			n = (int) (packed & 15);
	int64_t		v = packed >> 4;

	if (packed < 0 || n < 3 || v >= pow10_i64(E164_MAX_DIGITS) ||
		v % pow10_i64(E164_MAX_DIGITS - n) != 0)
		return -1;
	v /= pow10_i64(E164_MAX_DIGITS - n);
	for (int i = n - 1; i >= 0; i--)
	{
		buf[i] = (char) ('0' + v % 10);
		v /= 10;
	}
	buf[n] = '\0';
	return n;
}

/* See e164_parse.h. */
bool
e164_unpack(int64_t packed, E164Number *out)
{
	char		digits[E164_MAX_DIGITS + 1];
	int			n = e164_unpack_digits(packed, digits);
	int			cc = 0;

	memset(out, 0, sizeof(*out));
	if (n < 0 || digits[0] == '0')
		return false;
	for (int i = 1; i <= MAX_COUNTRY_CODE_LENGTH && i < n; i++)
	{
		cc = cc * 10 + (digits[i - 1] - '0');
		if (e164_region_for_country_code(cc) != NULL)
		{
			out->country_code = cc;
			out->nsn_length = n - i;
			memcpy(out->nsn, digits + i, n - i);
			out->nsn[n - i] = '\0';
			out->region = e164_region_for_country_code(cc);
			return true;
		}
	}
	return false;
}

/* Write lengths as "7, 9 or 10" (runs of three or more as "4 to 15") into buf. */
static void
describe_lengths(uint32_t mask, char *buf, size_t buflen)
{
	char		items[32][16];
	int			nitems = 0;
	size_t		used = 0;

	for (int i = 0; i < 32; i++)
	{
		int			j = i;

		if (!(mask & (UINT32_C(1) << i)))
			continue;
		while (j + 1 < 32 && (mask & (UINT32_C(1) << (j + 1))))
			j++;
		if (j - i >= 2)
			snprintf(items[nitems++], sizeof(items[0]), "%d to %d", i, j);
		else
			for (int k = i; k <= j; k++)
				snprintf(items[nitems++], sizeof(items[0]), "%d", k);
		i = j;
	}
	buf[0] = '\0';
	for (int k = 0; k < nitems && used < buflen; k++)
	{
		int			w = snprintf(buf + used, buflen - used, "%s%s",
								 k == 0 ? "" : (k == nitems - 1 ? " or " : ", "),
								 items[k]);

		if (w < 0)
			break;
		used += (size_t) w;
	}
}

/* Name of the numbering area for messages: "region GB" or "code +800". */
static void
describe_area(const E164Number *num, char *buf, size_t buflen)
{
	if (num->region != NULL && num->region->code[0] >= 'A')
		snprintf(buf, buflen, "region %s", num->region->code);
	else
		snprintf(buf, buflen, "country calling code %d", num->country_code);
}

/* See e164_parse.h. */
void
e164_status_detail(E164Status status, const E164Number *num,
				   char *buf, size_t buflen)
{
	char		area[48];
	char		lengths[128];

	switch (status)
	{
		case E164_OK:
			snprintf(buf, buflen, "The number is valid.");
			break;
		case E164_ERR_BAD_CHARACTER:
			if (num->bad_char >= 0x20 && num->bad_char < 0x7f)
				snprintf(buf, buflen, "The character \"%c\" is not allowed in a phone number.",
						 num->bad_char);
			else
				snprintf(buf, buflen, "The byte 0x%02x is not allowed in a phone number.",
						 (unsigned char) num->bad_char);
			break;
		case E164_ERR_NO_PLUS:
			snprintf(buf, buflen, "An E.164 number starts with + and its country calling code.");
			break;
		case E164_ERR_NOT_A_NUMBER:
			snprintf(buf, buflen, "A phone number has at least two digits, and + may appear only at its start.");
			break;
		case E164_ERR_UNKNOWN_REGION:
			snprintf(buf, buflen, "The region is not a supported ISO 3166-1 alpha-2 code.");
			break;
		case E164_ERR_INVALID_COUNTRY_CODE:
			if (num->bad_country_code == 0)
				snprintf(buf, buflen, "A country calling code cannot start with 0.");
			else
				snprintf(buf, buflen, "Country calling code %d is not assigned.",
						 num->bad_country_code);
			break;
		case E164_ERR_TOO_SHORT_AFTER_IDD:
			snprintf(buf, buflen, "Too few digits follow the international prefix.");
			break;
		case E164_ERR_TOO_SHORT_NSN:
			snprintf(buf, buflen, "The national number has fewer than %d digits.",
					 MIN_LENGTH_FOR_NSN);
			break;
		case E164_ERR_TOO_LONG_NSN:
			snprintf(buf, buflen, "The number has too many digits.");
			break;
		case E164_ERR_LENGTH:
		case E164_ERR_LOCAL_ONLY:
			describe_area(num, area, sizeof(area));
			describe_lengths(num->region ? num->region->possible_lengths : 0,
							 lengths, sizeof(lengths));
			snprintf(buf, buflen, "Numbers in %s have %s digits after the country code; this one has %d%s.",
					 area, lengths, num->nsn_length,
					 status == E164_ERR_LOCAL_ONLY ? ", which can only be dialled locally" : "");
			break;
		case E164_ERR_OVER_15_DIGITS:
			snprintf(buf, buflen, "E.164 numbers have at most %d digits; this one has %d.",
					 E164_MAX_DIGITS,
					 country_code_digits(num->country_code) + num->nsn_length);
			break;
		case E164_ERR_NANP_AREA_CODE:
			snprintf(buf, buflen, "North American area codes cannot start with 0 or 1; this one is %.3s.",
					 num->nsn);
			break;
		case E164_ERR_NANP_EXCHANGE:
			snprintf(buf, buflen, "North American exchange codes cannot start with 0 or 1; this one is %.3s.",
					 num->nsn + 3);
			break;
	}
}
