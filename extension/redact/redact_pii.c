/*
 * redact_pii.c
 *	  redact_pii(text): replace personal data in call transcripts with typed
 *	  placeholders: [EMAIL], [PHONE], [SSN], [CARD] and [DOB].
 *
 * One left-to-right pass over the bytes.  Personal data can only start at a
 * few kinds of position: the first letter of a word (a month name, a spoken
 * digit, the "at" of a spoken e-mail address), the first digit of a number,
 * a '+' or '(' before a number, and the '@' of an e-mail address; every
 * other byte is skipped at once.  A matcher looks ahead a bounded distance
 * and some look back (an e-mail's local part, "the" before "14th of March",
 * a context word within 40 characters), never into a span already replaced,
 * so the result is the input with disjoint spans replaced.  Text between
 * replacements is copied lazily, and an input with nothing to redact is
 * returned as it came.
 *
 * Matching is on ASCII bytes only.  The bytes of a multibyte character are
 * neither letters nor digits, so a replaced span never starts or ends inside
 * one, and any valid text in any server encoding is safe to scan.  Every
 * matcher is bounded (groups, tokens, lengths), so the whole pass is linear
 * in the input.
 *
 * The rules, what is deliberately left alone and the known limits are in
 * docs/redaction.md.
 */
#include "redact/redact_pii.h"
#include "core/chars.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(vapi_pool_redact_pii);

#define MAX_GROUPS			8	/* digit groups read in one number */
#define MAX_GROUP_DIGITS	20	/* a longer run of digits matches nothing */
#define CONTEXT_CHARS		40	/* how far back a context word may end */
#define MAX_SPOKEN_TOKENS	32	/* tokens in one spoken digit sequence */
#define MAX_LOCAL_LENGTH	64	/* e-mail local part */
#define MAX_DOMAIN_LENGTH	253 /* e-mail domain */
#define MAX_LABEL_LENGTH	63	/* one label of a domain */
#define MAX_WORD_LENGTH		12	/* longest word compared with a word list */

/* Output under construction: the text copied so far and how far it got. */
typedef struct Redaction
{
	const char *src;			/* the input */
	int			len;			/* its length in bytes */
	int			copied;			/* input before this is in the output */
	bool		started;		/* out is initialised */
	StringInfoData out;			/* varlena header, then the text */
} Redaction;

/* A run of digits inside a number such as "(415) 555-0123". */
typedef struct DigitGroup
{
	int			off;			/* offset of the first digit */
	int			len;			/* number of digits (MAX_GROUP_DIGITS: longer) */
	int			end;			/* offset after the digits and any ')' */
	bool		paren;			/* written in parentheses */
	char		sep;			/* separator to the next group: ' ', '-', '.',
								 * '/', or ')' for none beside a parenthesis */
} DigitGroup;

/* A number read from its first character: up to MAX_GROUPS groups. */
typedef struct NumberRun
{
	bool		plus;			/* written with a leading '+' */
	int			ngroups;
	int			digits[MAX_GROUPS + 1]; /* digits[k]: digits in groups 0..k-1 */
	DigitGroup	g[MAX_GROUPS];
} NumberRun;

/* What a word means to the matchers. */
typedef enum WordKind
{
	WORD_OTHER,
	WORD_AT,
	WORD_MONTH,
	WORD_DIGIT,
	WORD_DOUBLE,
	WORD_TRIPLE
} WordKind;

static const char PH_EMAIL[] = "[EMAIL]";
static const char PH_PHONE[] = "[PHONE]";
static const char PH_SSN[] = "[SSN]";
static const char PH_CARD[] = "[CARD]";
static const char PH_DOB[] = "[DOB]";

/* Does s[p..] start with the lower-case ASCII word w, in any case? */
static bool
ci_prefix(const char *s, int len, int p, const char *w)
{
	int			n = strlen(w);

	if (p < 0 || n > len - p)
		return false;
	for (int i = 0; i < n; i++)
		if (vp_to_lower((unsigned char) s[p + i]) != (unsigned char) w[i])
			return false;
	return true;
}

/* Length of the run of letters at s[p], reading at most max + 1 of them. */
static int
alpha_run(const char *s, int len, int p, int max)
{
	int			q = p;

	while (q < len && q - p <= max && vp_is_alpha((unsigned char) s[q]))
		q++;
	return q - p;
}

/* Value of the digits s[p..p+n), n at most 9. */
static int
digits_value(const char *s, int p, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[p + i] - '0');
	return v;
}

/* Copy the lower-case form of a word of at most MAX_WORD_LENGTH letters. */
static bool
lower_word(const char *s, int p, int n, char *buf)
{
	if (n > MAX_WORD_LENGTH)
		return false;
	for (int i = 0; i < n; i++)
		buf[i] = vp_to_lower((unsigned char) s[p + i]);
	buf[n] = '\0';
	return true;
}

/* Is the lower-case word w of length n one of the NULL-terminated list? */
static bool
word_in(const char *w, int n, const char *const *list)
{
	for (; *list; list++)
		if ((int) strlen(*list) == n && memcmp(w, *list, n) == 0)
			return true;
	return false;
}

/*
 * Classify a lower-case word: "at", a month name (*value 1-12, *abbrev for
 * abbreviations that may take a period), a digit word (*value 0-9, "oh" is
 * 0 with *abbrev set), "double" or "triple".  Called for most words of the
 * input, so it switches on the first letter before comparing anything.
 */
static WordKind
classify_word(const char *w, int n, int *value, bool *abbrev)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(w, lit, sizeof(lit) - 1) == 0)
#define DIGIT(v) do { *value = (v); return WORD_DIGIT; } while (0)
#define MONTH(v) do { *value = (v); return WORD_MONTH; } while (0)
#define ABBREV(v) do { *value = (v); *abbrev = true; return WORD_MONTH; } while (0)

	*abbrev = false;
	switch (w[0])
	{
		case 'a':
			if (IS("at"))
				return WORD_AT;
			if (IS("april"))
				MONTH(4);
			if (IS("apr"))
				ABBREV(4);
			if (IS("august"))
				MONTH(8);
			if (IS("aug"))
				ABBREV(8);
			break;
		case 'd':
			if (IS("double"))
				return WORD_DOUBLE;
			if (IS("december"))
				MONTH(12);
			if (IS("dec"))
				ABBREV(12);
			break;
		case 'e':
			if (IS("eight"))
				DIGIT(8);
			break;
		case 'f':
			if (IS("four"))
				DIGIT(4);
			if (IS("five"))
				DIGIT(5);
			if (IS("february"))
				MONTH(2);
			if (IS("feb"))
				ABBREV(2);
			break;
		case 'j':
			if (IS("january"))
				MONTH(1);
			if (IS("jan"))
				ABBREV(1);
			if (IS("june"))
				MONTH(6);
			if (IS("jun"))
				ABBREV(6);
			if (IS("july"))
				MONTH(7);
			if (IS("jul"))
				ABBREV(7);
			break;
		case 'm':
			if (IS("march"))
				MONTH(3);
			if (IS("mar"))
				ABBREV(3);
			if (IS("may"))
				MONTH(5);
			break;
		case 'n':
			if (IS("nine"))
				DIGIT(9);
			if (IS("november"))
				MONTH(11);
			if (IS("nov"))
				ABBREV(11);
			break;
		case 'o':
			if (IS("one"))
				DIGIT(1);
			if (IS("oh"))
			{
				*abbrev = true;
				DIGIT(0);
			}
			if (IS("october"))
				MONTH(10);
			if (IS("oct"))
				ABBREV(10);
			break;
		case 's':
			if (IS("six"))
				DIGIT(6);
			if (IS("seven"))
				DIGIT(7);
			if (IS("september"))
				MONTH(9);
			if (IS("sep") || IS("sept"))
				ABBREV(9);
			break;
		case 't':
			if (IS("two"))
				DIGIT(2);
			if (IS("three"))
				DIGIT(3);
			if (IS("triple"))
				return WORD_TRIPLE;
			break;
		case 'z':
			if (IS("zero"))
				DIGIT(0);
			break;
	}
	return WORD_OTHER;

#undef IS
#undef DIGIT
#undef MONTH
#undef ABBREV
}

/* Can a word starting with the letter c be one that classify_word knows? */
static inline bool
starts_keyword(unsigned char c)
{
	switch (vp_to_lower(c))
	{
		case 'a':
		case 'd':
		case 'e':
		case 'f':
		case 'j':
		case 'm':
		case 'n':
		case 'o':
		case 's':
		case 't':
		case 'z':
			return true;
		default:
			return false;
	}
}

/* Classify the word of n letters at s[p] (WORD_OTHER if too long). */
static WordKind
word_at(const char *s, int p, int n, int *value, bool *abbrev)
{
	char		buf[MAX_WORD_LENGTH + 1];

	if (n < 2 || n > 9 || !lower_word(s, p, n, buf))
		return WORD_OTHER;
	return classify_word(buf, n, value, abbrev);
}

/*
 * Is there a context word ending within CONTEXT_CHARS characters before
 * pos?  For dates: born, birth*, DOB, D.O.B.; for social security numbers:
 * SSN, SS, social.
 */
static bool
has_context(const char *s, int pos, bool ssn)
{
	static const char *const ssn_words[] = {"ssn", "ssns", "ss", "social", NULL};
	int			w = pos;
	int			chars = 0;

	while (w > 0 && chars < CONTEXT_CHARS)
	{
		w--;
		if (((unsigned char) s[w] & 0xC0) != 0x80)
			chars++;
	}
	/* a word that ends inside the window counts */
	for (int n = 0; w > 0 && n < MAX_WORD_LENGTH && vp_is_alpha((unsigned char) s[w - 1]); n++)
		w--;
	for (int i = w; i < pos;)
	{
		int			j;
		char		buf[MAX_WORD_LENGTH + 1];

		if (!vp_is_alpha((unsigned char) s[i]) || (i > 0 && vp_is_alpha((unsigned char) s[i - 1])))
		{
			i++;
			continue;
		}
		for (j = i; j < pos && vp_is_alpha((unsigned char) s[j]); j++)
			;
		if (ssn)
		{
			if (lower_word(s, i, j - i, buf) && word_in(buf, j - i, ssn_words))
				return true;
		}
		else
		{
			if (ci_prefix(s, pos, i, "birth") ||
				(j - i == 4 && ci_prefix(s, pos, i, "born")) ||
				(j - i == 3 && ci_prefix(s, pos, i, "dob")) ||
				(j - i == 1 && ci_prefix(s, pos, i, "d.o.b")))
				return true;
		}
		i = j;
	}
	return false;
}

/*
 * May a number start at pos?  Not when glued to a word, a price sign, an
 * e-mail or the previous number ("10:30", "1,299", "3.14").
 */
static bool
num_start_ok(const char *s, int pos)
{
	unsigned char c;

	if (pos == 0)
		return true;
	c = (unsigned char) s[pos - 1];
	if (vp_is_alnum(c) || c == '_' || c == '@' || c == '$' || c == '+')
		return false;
	if ((c == '.' || c == ',' || c == '-' || c == '/' || c == ':') &&
		pos >= 2 && vp_is_digit((unsigned char) s[pos - 2]))
		return false;
	/* pound, yen (C2 A3, C2 A5) and euro (E2 82 AC) signs */
	if (pos >= 2 && (unsigned char) s[pos - 2] == 0xC2 && (c == 0xA3 || c == 0xA5))
		return false;
	if (pos >= 3 && c == 0xAC && (unsigned char) s[pos - 2] == 0x82 &&
		(unsigned char) s[pos - 3] == 0xE2)
		return false;
	return true;
}

/*
 * May a number end at pos?  Not when a letter, digit, '@' or '_' follows, or
 * punctuation that continues it with a digit ("-4", ".5", ",000", ":30").
 */
static bool
num_end_ok(const char *s, int len, int pos)
{
	unsigned char c;

	if (pos >= len)
		return true;
	c = (unsigned char) s[pos];
	if (vp_is_alnum(c) || c == '@' || c == '_')
		return false;
	if ((c == '.' || c == ',' || c == '-' || c == '/' || c == ':') &&
		pos + 1 < len && vp_is_digit((unsigned char) s[pos + 1]))
		return false;
	return true;
}

/*
 * Read the number starting at pos ('+', '(' or a digit): groups of digits,
 * each optionally in parentheses, separated by one space, dash, dot or slash
 * (or nothing beside a parenthesis).
 */
static void
read_number(const char *s, int len, int pos, NumberRun *run)
{
	int			p = pos;

	run->plus = false;
	run->ngroups = 0;
	run->digits[0] = 0;
	if (s[p] == '+')
	{
		run->plus = true;
		p++;
	}
	for (;;)
	{
		DigitGroup *g;
		bool		paren = false;
		int			start;
		int			q = p;
		char		sep;

		if (q < len && s[q] == '(')
		{
			paren = true;
			q++;
		}
		if (q >= len || !vp_is_digit((unsigned char) s[q]))
			break;
		start = q;
		while (q < len && vp_is_digit((unsigned char) s[q]) && q - start < MAX_GROUP_DIGITS)
			q++;
		if (paren && (q >= len || s[q] != ')'))
			break;
		g = &run->g[run->ngroups];
		g->off = start;
		g->len = q - start;
		g->paren = paren;
		g->sep = '\0';
		g->end = paren ? q + 1 : q;
		run->ngroups++;
		run->digits[run->ngroups] = run->digits[run->ngroups - 1] + g->len;
		if (run->ngroups == MAX_GROUPS || g->len >= MAX_GROUP_DIGITS)
			break;

		p = g->end;
		if (p < len && (s[p] == ' ' || s[p] == '-' || s[p] == '.' || s[p] == '/'))
		{
			sep = s[p];
			p++;
		}
		else if (paren || (p < len && s[p] == '('))
			sep = ')';
		else
			break;
		if (p < len && vp_is_digit((unsigned char) s[p]))
			g->sep = sep;
		else if (p + 1 < len && s[p] == '(' && vp_is_digit((unsigned char) s[p + 1]))
			g->sep = sep;
		else
			break;
	}
}

/* Is any of groups from..to-1 in parentheses? */
static bool
any_paren(const NumberRun *run, int from, int to)
{
	for (int i = from; i < to; i++)
		if (run->g[i].paren)
			return true;
	return false;
}

/* Valid month and day numbers? */
static bool
month_day_ok(int month, int day)
{
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* Four-digit year accepted in a date. */
static bool
year_ok(int year)
{
	return year >= 1900 && year <= 2099;
}

/*
 * A numeric date: M/D/Y or D/M/Y (separator '/', '-' or '.', the same
 * twice; a two-digit year not with '.'), Y-M-D with a four-digit year, or,
 * after a birth context word, M/D or D/M with '/' or '-'.  Returns the end
 * of the date or -1.
 */
static int
match_numeric_date(const char *s, int len, int pos, const NumberRun *run)
{
	const DigitGroup *g = run->g;
	char		sep;
	int			a,
				b;

	if (run->plus || run->ngroups < 2 || any_paren(run, 0, Min(run->ngroups, 3)))
		return -1;
	sep = g[0].sep;
	if (sep != '/' && sep != '-' && sep != '.')
		return -1;
	if (run->ngroups >= 3 && g[1].sep == sep)
	{
		if (g[0].len <= 2 && g[1].len <= 2 &&
			((g[2].len == 4 && year_ok(digits_value(s, g[2].off, 4))) ||
			 (g[2].len == 2 && sep != '.')))
		{
			a = digits_value(s, g[0].off, g[0].len);
			b = digits_value(s, g[1].off, g[1].len);
			if ((month_day_ok(a, b) || month_day_ok(b, a)) && num_end_ok(s, len, g[2].end))
				return g[2].end;
		}
		if (g[0].len == 4 && year_ok(digits_value(s, g[0].off, 4)) &&
			g[1].len <= 2 && g[2].len <= 2 &&
			month_day_ok(digits_value(s, g[1].off, g[1].len),
						 digits_value(s, g[2].off, g[2].len)) &&
			num_end_ok(s, len, g[2].end))
			return g[2].end;
	}
	if (sep != '.' && g[0].len <= 2 && g[1].len <= 2)
	{
		a = digits_value(s, g[0].off, g[0].len);
		b = digits_value(s, g[1].off, g[1].len);
		if ((month_day_ok(a, b) || month_day_ok(b, a)) &&
			num_end_ok(s, len, g[1].end) && has_context(s, pos, false))
			return g[1].end;
	}
	return -1;
}

/* Length of an ordinal suffix (st, nd, rd, th) at s[p] ending a word, or 0. */
static int
ordinal_suffix(const char *s, int len, int p)
{
	if (p + 2 > len || (p + 2 < len && vp_is_alnum((unsigned char) s[p + 2])))
		return 0;
	if (ci_prefix(s, len, p, "st") || ci_prefix(s, len, p, "nd") ||
		ci_prefix(s, len, p, "rd") || ci_prefix(s, len, p, "th"))
		return 2;
	return 0;
}

/*
 * The year after a month and day: optional '.' (after an abbreviated month),
 * then a comma and/or a space, then a four-digit year.  Returns the end of
 * the year or -1.
 */
static int
year_after(const char *s, int len, int p, bool abbrev)
{
	int			q = p;

	if (abbrev && q < len && s[q] == '.')
		q++;
	if (q < len && s[q] == ',')
		q++;
	if (q < len && s[q] == ' ')
		q++;
	if (q == p || (abbrev && q == p + 1 && s[p] == '.'))
		return -1;
	if (q + 4 > len)
		return -1;
	for (int i = 0; i < 4; i++)
		if (!vp_is_digit((unsigned char) s[q + i]))
			return -1;
	if (!year_ok(digits_value(s, q, 4)) || !num_end_ok(s, len, q + 4))
		return -1;
	return q + 4;
}

/*
 * The rest of a dashed date after "14-": "Mar-1985", "MAR-85", "March-1985".
 * Returns the end or -1.
 */
static int
match_day_month_dashed(const char *s, int len, int p)
{
	int			n = alpha_run(s, len, p, 9);
	int			month;
	int			q;
	bool		abbrev;

	if (word_at(s, p, n, &month, &abbrev) != WORD_MONTH)
		return -1;
	p += n;
	if (p >= len || s[p] != '-')
		return -1;
	for (q = ++p; q < len && vp_is_digit((unsigned char) s[q]) && q - p <= 4; q++)
		;
	if (!(q - p == 2 || (q - p == 4 && year_ok(digits_value(s, p, 4)))) ||
		!num_end_ok(s, len, q))
		return -1;
	return q;
}

/*
 * Day and month written with the month's name, day first: "14 March 1985",
 * "14th of March, 1985", "14 Mar. 1985", "14-Mar-1985"; without a year only
 * after a birth context word.  A "the" before an ordinal day or "of" is part
 * of the date.  Returns the end or -1; *start is the start of the date.
 */
static int
match_day_month(const char *s, int len, int pos, int lower, int *start)
{
	int			p = pos;
	int			day;
	int			n;
	int			month;
	bool		abbrev;
	bool		spelled = false;
	int			end;

	while (p < len && vp_is_digit((unsigned char) s[p]) && p - pos <= 2)
		p++;
	if (p - pos > 2)
		return -1;
	day = digits_value(s, pos, p - pos);
	if (day < 1 || day > 31)
		return -1;
	if ((n = ordinal_suffix(s, len, p)) > 0)
	{
		p += n;
		spelled = true;
	}
	else if (p < len && s[p] == '-')
	{
		*start = pos;
		return match_day_month_dashed(s, len, p + 1);
	}
	if (p >= len || s[p] != ' ')
		return -1;
	p++;
	if (ci_prefix(s, len, p, "of ") && p + 3 < len && vp_is_alpha((unsigned char) s[p + 3]))
	{
		p += 3;
		spelled = true;
	}
	n = alpha_run(s, len, p, 9);
	if (word_at(s, p, n, &month, &abbrev) != WORD_MONTH)
		return -1;
	p += n;
	if (p < len && vp_is_alnum((unsigned char) s[p]))
		return -1;
	if ((end = year_after(s, len, p, abbrev)) < 0)
	{
		if (!has_context(s, pos, false))
			return -1;
		end = p;
	}
	*start = pos;
	if (spelled && pos - 4 >= lower && ci_prefix(s, len, pos - 4, "the ") &&
		(pos - 4 == 0 || !vp_is_alnum((unsigned char) s[pos - 5])))
		*start = pos - 4;
	return end;
}

/*
 * Month name first: "March 14, 1985", "March 14th 1985", "Mar. 14 1985",
 * "March the 14th, 1985"; without a year only after a birth context word.
 * wordlen is the length of the month word at pos.  Returns the end or -1.
 */
static int
match_month_day(const char *s, int len, int pos, int wordlen, bool abbrev)
{
	int			p = pos + wordlen;
	int			q;
	int			day;
	int			end;

	if (abbrev && p < len && s[p] == '.')
		p++;
	if (p >= len || s[p] != ' ')
		return -1;
	p++;
	if (ci_prefix(s, len, p, "the "))
		p += 4;
	q = p;
	while (q < len && vp_is_digit((unsigned char) s[q]) && q - p <= 2)
		q++;
	if (q == p || q - p > 2)
		return -1;
	day = digits_value(s, p, q - p);
	if (day < 1 || day > 31)
		return -1;
	q += ordinal_suffix(s, len, q);
	if (q < len && vp_is_alnum((unsigned char) s[q]))
		return -1;
	if ((end = year_after(s, len, q, false)) >= 0)
		return end;
	if (num_end_ok(s, len, q) && has_context(s, pos, false))
		return q;
	return -1;
}

/* Valid social security number parts (area, group, serial)? */
static bool
ssn_valid(int area, int group, int serial)
{
	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

/*
 * A social security number: 123-45-6789 or 123 45 6789, or nine bare digits
 * after a context word.  Returns the end or -1.
 */
static int
match_ssn(const char *s, int len, int pos, const NumberRun *run)
{
	const DigitGroup *g = run->g;

	if (run->plus || g[0].paren)
		return -1;
	if (run->ngroups >= 3 && g[0].len == 3 && g[1].len == 2 && g[2].len == 4 &&
		!any_paren(run, 0, 3) && (g[0].sep == '-' || g[0].sep == ' ') &&
		g[1].sep == g[0].sep &&
		ssn_valid(digits_value(s, g[0].off, 3), digits_value(s, g[1].off, 2),
				  digits_value(s, g[2].off, 4)) &&
		num_end_ok(s, len, g[2].end))
		return g[2].end;
	if (g[0].len == 9 &&
		ssn_valid(digits_value(s, g[0].off, 3), digits_value(s, g[0].off + 3, 2),
				  digits_value(s, g[0].off + 5, 4)) &&
		num_end_ok(s, len, g[0].end) && has_context(s, pos, true))
		return g[0].end;
	return -1;
}

/* Luhn check over the digits of groups 0..k-1. */
static bool
luhn_ok(const char *s, const NumberRun *run, int k)
{
	int			sum = 0;
	bool		dbl = false;

	for (int i = k - 1; i >= 0; i--)
		for (int j = run->g[i].off + run->g[i].len - 1; j >= run->g[i].off; j--)
		{
			int			d = s[j] - '0';

			if (dbl)
			{
				d *= 2;
				if (d > 9)
					d -= 9;
			}
			sum += d;
			dbl = !dbl;
		}
	return sum % 10 == 0;
}

/* Are groups 0..k-1 written the way card numbers are? */
static bool
card_grouping(const NumberRun *run, int k)
{
	const DigitGroup *g = run->g;

	if (k == 1)
		return true;
	if (g[0].len != 4 || (g[0].sep != ' ' && g[0].sep != '-'))
		return false;
	for (int i = 1; i < k - 1; i++)
		if (g[i].sep != g[0].sep)
			return false;
	if (k == 3 && g[1].len == 6 && (g[2].len == 4 || g[2].len == 5))
		return true;			/* 4-6-5 (Amex), 4-6-4 (Diners) */
	for (int i = 1; i < k - 1; i++)
		if (g[i].len != 4)
			return false;
	return g[k - 1].len <= 5;
}

/*
 * A payment card number: 13 to 19 digits, not starting with 0, written
 * without '+' or parentheses, contiguous or in card groups, passing the Luhn
 * check.  The longest such prefix of the number wins.  Returns the end or -1.
 */
static int
match_card(const char *s, int len, const NumberRun *run)
{
	if (run->plus || s[run->g[0].off] == '0')
		return -1;
	for (int k = run->ngroups; k >= 1; k--)
	{
		int			total = run->digits[k];

		if (total < 13 || total > 19 || any_paren(run, 0, k))
			continue;
		if (card_grouping(run, k) && luhn_ok(s, run, k) &&
			num_end_ok(s, len, run->g[k - 1].end))
			return run->g[k - 1].end;
	}
	return -1;
}

/*
 * North American national number in groups from..k-1: area code (maybe in
 * parentheses), exchange, line as 3-3-4, 3-7 after a space or parenthesis,
 * or 10 contiguous digits after a country code or trunk 1.  Written with
 * spaces only, a 3-3-4 number also needs area code and exchange to start
 * with 2-9, as real ones do: "100 200 3000" is a list of numbers.
 */
static bool
nanp_groups(const char *s, const NumberRun *run, int from, int k)
{
	const DigitGroup *g = run->g + from;
	int			n = k - from;

	if (n <= 0 || any_paren(run, from + 1, k))
		return false;
	if (n == 3 && g[0].sep == ' ' && g[1].sep == ' ' &&
		(s[g[0].off] < '2' || s[g[1].off] < '2'))
		return false;			/* "100 200 3000" is not a phone number */
	if (n == 3)
		return g[0].len == 3 && g[1].len == 3 && g[2].len == 4;
	if (n == 2)
		return g[0].len == 3 && g[1].len == 7 && (g[0].sep == ' ' || g[0].sep == ')');
	return n == 1 && from > 0 && g[0].len == 10 && !g[0].paren;
}

/* Do groups 0..k-1 have the shape of a phone number? */
static bool
phone_grouping(const char *s, const NumberRun *run, int k)
{
	const DigitGroup *g = run->g;
	int			total = run->digits[k];
	bool		trunk_one = g[0].len == 1 && s[g[0].off] == '1' && !g[0].paren;

	for (int i = 0; i < k - 1; i++)
		if (g[i].sep == '/')
			return false;
	if (g[k - 1].paren && k > 1)
		return false;
	if (k == 1)
		return !g[0].paren && total >= 10 && total <= 15;

	if (run->plus)
	{
		if (g[0].paren || g[0].len > 3)
			return false;
		if (trunk_one)
			return nanp_groups(s, run, 1, k);
		return total >= 10 && total <= 15 && g[k - 1].len >= 2;
	}

	if (nanp_groups(s, run, 0, k))
		return true;
	if (trunk_one && nanp_groups(s, run, 1, k))
		return true;
	if (s[g[0].off] == '0' && g[0].len >= 2 && g[0].len <= 5 &&
		total >= 10 && total <= 15 && !any_paren(run, 1, k))
	{
		bool		ok = true;

		for (int i = 1; i < k; i++)
			if (g[i].len < 2 || g[i].len > 8)
				ok = false;
		if (ok)
			return true;
	}
	/*
	 * A one- or two-digit country code without '+': "44 20 7946 0958", with
	 * one kind of separator, space or dash (dots are IP addresses).
	 */
	if (k >= 3 && g[0].len <= 2 && s[g[0].off] != '0' && total >= 11 &&
		total <= 15 && g[k - 1].len == 4 && !any_paren(run, 0, k) &&
		(g[0].sep == ' ' || g[0].sep == '-'))
	{
		bool		ok = true;
		bool		long_group = false;

		for (int i = 0; i < k - 1; i++)
		{
			if (g[i].len > 4 || g[i].sep != g[0].sep)
				ok = false;
			if (g[i].len >= 3)
				long_group = true;
		}
		if (ok && long_group)
			return true;
	}
	return k == 2 && g[0].len == 3 && g[1].len == 4 && !any_paren(run, 0, 2) &&
		(g[0].sep == '-' || g[0].sep == '.') && s[g[0].off] >= '2';
}

/*
 * An extension after a phone number ending at e: optional comma and space,
 * "ext", "ext.", "extension" or "x", optional colon and space, 1 to 6
 * digits.  Returns the end or -1.
 */
static int
match_extension(const char *s, int len, int e)
{
	int			p = e;
	int			q;

	if (p < len && s[p] == ',')
		p++;
	if (p < len && s[p] == ' ')
		p++;
	if (ci_prefix(s, len, p, "extension"))
		p += 9;
	else if (ci_prefix(s, len, p, "ext"))
	{
		p += 3;
		if (p < len && s[p] == '.')
			p++;
	}
	else if (p < len && (s[p] == 'x' || s[p] == 'X'))
		p++;
	else
		return -1;
	if (p < len && vp_is_alpha((unsigned char) s[p]))
		return -1;
	if (p < len && s[p] == ':')
		p++;
	if (p < len && s[p] == ' ')
		p++;
	for (q = p; q < len && vp_is_digit((unsigned char) s[q]) && q - p <= 6; q++)
		;
	if (q == p || q - p > 6 || !num_end_ok(s, len, q))
		return -1;
	return q;
}

/*
 * A phone number: the longest prefix of the number that has a phone shape
 * and ends cleanly, with its extension if any.  Returns the end or -1.
 */
static int
match_phone(const char *s, int len, const NumberRun *run)
{
	for (int k = run->ngroups; k >= 1; k--)
	{
		int			e;
		int			ext;

		if (!phone_grouping(s, run, k))
			continue;
		e = run->g[k - 1].end;
		if ((ext = match_extension(s, len, e)) > 0)
			return ext;
		if (num_end_ok(s, len, e))
			return e;
	}
	return -1;
}

/*
 * Spoken digits: at least 7 digits read out one by one.  Either at least 3
 * digit words ("zero", "oh", "one" ... "nine", "double five", "triple
 * seven"; not all "oh") mixed with numerals of up to 4 digits, or at least 7
 * single-digit numerals ("4 1 5 5 5 5 0 1 2 3").  Tokens are separated by up
 * to three spaces, commas or dashes, or a period and a space.  Returns the
 * end or -1.
 */
static int
match_spoken_digits(const char *s, int len, int pos)
{
	int			p = pos;
	int			digits = 0;
	int			words = 0;
	int			not_oh = 0;
	int			tokens = 0;
	bool		single_digits = true;
	int			last = -1;

	while (tokens < MAX_SPOKEN_TOKENS && p < len)
	{
		int			q;

		if (vp_is_alpha((unsigned char) s[p]))
		{
			int			n = alpha_run(s, len, p, 9);
			int			value;
			bool		oh;
			WordKind	kind = word_at(s, p, n, &value, &oh);

			if (kind == WORD_DOUBLE || kind == WORD_TRIPLE)
			{
				int			r = p + n + 1;
				int			m;

				if (r >= len || s[r - 1] != ' ')
					break;
				m = alpha_run(s, len, r, 9);
				if (word_at(s, r, m, &value, &oh) != WORD_DIGIT)
					break;
				digits += kind == WORD_DOUBLE ? 2 : 3;
				p = r + m;
			}
			else if (kind == WORD_DIGIT)
			{
				digits++;
				p += n;
			}
			else
				break;
			words++;
			if (!oh)
				not_oh++;
		}
		else if (vp_is_digit((unsigned char) s[p]))
		{
			for (q = p; q < len && vp_is_digit((unsigned char) s[q]) && q - p <= 4; q++)
				;
			if (q - p > 4 || (q < len && (vp_is_alpha((unsigned char) s[q]) ||
										  s[q] == '@' || s[q] == '_')))
				break;
			if (q - p > 1)
				single_digits = false;
			digits += q - p;
			p = q;
		}
		else
			break;
		last = p;
		tokens++;
		for (q = p; q < len && q - p < 3; q++)
		{
			if (s[q] == '.' && q + 1 < len && s[q + 1] == ' ')
				continue;
			if (s[q] != ' ' && s[q] != ',' && s[q] != '-')
				break;
		}
		if (q == p)
			break;
		p = q;
	}
	if (digits >= 7 && words >= 3 && not_oh >= 1)
		return last;
	if (words == 0 && single_digits && tokens >= 7)
		return last;
	return -1;
}

/* Top-level domains a spoken e-mail address may end in. */
static bool
is_tld(const char *s, int p, int n)
{
	static const char *const tlds[] = {
		"com", "net", "org", "edu", "gov", "mil", "int", "io", "co", "us",
		"uk", "ca", "info", "biz", "me", "ai", "app", "dev", "tv", "ly",
		"au", "nz", "ie", "de", "fr", "es", "it", "nl", "eu", "in", "jp",
		"mx", "br", "ch", "se", "no", "dk", "fi", "pl", "be", "at", "cz",
		"xyz", "online", "site", "email", "health", "care", "law", "tech",
		"pro", "name", "mobi", "cloud", "store", NULL
	};
	char		buf[MAX_WORD_LENGTH + 1];

	return lower_word(s, p, n, buf) && word_in(buf, n, tlds);
}

/* End of a domain label ([A-Za-z0-9][A-Za-z0-9-]*, not ending in '-') at p. */
static int
label_end(const char *s, int len, int p)
{
	int			q = p;

	if (p >= len || !vp_is_alnum((unsigned char) s[p]))
		return p;
	while (q < len && q - p < MAX_LABEL_LENGTH &&
		   (vp_is_alnum((unsigned char) s[q]) || s[q] == '-'))
		q++;
	if (q < len && vp_is_alnum((unsigned char) s[q]))
		return p;				/* longer than a label can be */
	while (q > p && s[q - 1] == '-')
		q--;
	return q;
}

/* May c be part of an e-mail local part (an apostrophe only if written)? */
static inline bool
is_local_char(unsigned char c, bool written)
{
	return vp_is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
		c == '-' || (c == '\'' && written);
}

/*
 * Start of the local-part token ending at e (exclusive), not before lower:
 * local-part characters, trimmed to start and end with a letter or digit.
 * -1 if there is none or it is too long.
 */
static int
local_token_start(const char *s, int e, int lower, bool written)
{
	int			b = e;

	if (e <= lower || !vp_is_alnum((unsigned char) s[e - 1]))
		return -1;
	while (b > lower && is_local_char((unsigned char) s[b - 1], written))
	{
		if (e - b >= MAX_LOCAL_LENGTH)
			return -1;
		b--;
	}
	while (b < e && !vp_is_alnum((unsigned char) s[b]))
		b++;
	return b;
}

/*
 * A written e-mail address around the '@' at pos: a local part of up to 64
 * characters, a domain of two or more labels ending in an alphabetic label.
 * Returns the end or -1; *start is the start of the local part.
 */
static int
match_email(const char *s, int len, int pos, int lower, int *start)
{
	int			b = local_token_start(s, pos, lower, true);
	int			p = pos + 1;
	int			end = -1;
	int			labels = 0;

	if (b < 0)
		return -1;
	for (;;)
	{
		int			q = label_end(s, len, p);
		bool		alpha = q - p >= 2;

		if (q == p)
			break;
		for (int i = p; i < q && alpha; i++)
			alpha = vp_is_alpha((unsigned char) s[i]);
		if (++labels >= 2 && alpha)
			end = q;
		if (q + 1 < len && s[q] == '.' && q - pos < MAX_DOMAIN_LENGTH)
			p = q + 1;
		else
			break;
	}
	*start = b;
	return end;
}

/*
 * A spoken e-mail address around the word "at" at pos: "john dot smith at
 * gmail dot com".  The local part is words joined by "dot", "underscore",
 * "dash" or "hyphen" (or written . _ -), or letters spelled one by one; a
 * single common word ("us", "me", "look" ...) is not a local part.  The
 * domain is labels joined by "dot" or '.', ending in a known top-level
 * domain.  Returns the end or -1; *start is the start of the local part.
 */
static int
match_spoken_email(const char *s, int len, int pos, int lower, int *start)
{
	static const char *const joiners[] = {"dot", "underscore", "dash", "hyphen", NULL};
	static const char *const stop_words[] = {
		"a", "all", "an", "and", "any", "anytime", "apply", "are", "available",
		"back", "be", "been", "book", "booked", "bought", "buy", "check",
		"come", "details", "directly", "download", "email", "find", "found",
		"go", "here", "him", "her", "home", "i", "is", "it", "listed", "log",
		"look", "looking", "mail", "me", "meet", "more", "now", "online", "or",
		"order", "ordered", "out", "page", "posted", "registered", "saw",
		"seen", "shop", "sign", "signed", "site", "stay", "stuff", "that",
		"the", "them", "there", "they", "this", "up", "us", "visit", "was",
		"we", "web", "website", "were", "work", "worked", "working", "works",
		"you", NULL
	};
	int			p = pos + 3;
	int			q;
	int			end = -1;
	int			b;
	int			e = pos - 1;
	int			words = 1;
	char		buf[MAX_WORD_LENGTH + 1];

	/* the domain */
	if (p > len || s[p - 1] != ' ')
		return -1;
	q = label_end(s, len, p);
	if (q == p)
		return -1;
	for (int labels = 0; labels < 8; labels++)
	{
		int			r,
					t;

		if (ci_prefix(s, len, q, " dot "))
			r = q + 5;
		else if (q < len && s[q] == '.')
			r = q + 1;
		else
			break;
		t = label_end(s, len, r);
		if (t == r)
			break;
		if (is_tld(s, r, t - r))
			end = t;
		q = t;
	}
	if (end < 0)
		return -1;

	/* the local part, backwards from the space before "at" */
	if (e < 1 || s[e] != ' ' || (b = local_token_start(s, e, lower, false)) < 0)
		return -1;
	for (int joins = 0; joins < 8; joins++)
	{
		int			we = b - 1;
		int			ws = we;
		int			b2;

		if (we - 1 < lower || s[we] != ' ')
			break;
		while (ws > lower && we - ws <= 10 && vp_is_alpha((unsigned char) s[ws - 1]))
			ws--;
		if (ws - 1 >= lower && s[ws - 1] == ' ' &&
			lower_word(s, ws, we - ws, buf) && word_in(buf, we - ws, joiners) &&
			(b2 = local_token_start(s, ws - 1, lower, false)) >= 0)
		{
			b = b2;
			words++;
			continue;
		}
		/* letters spelled one by one: "j o h n" */
		if (e - b == 1 && we - 1 >= lower && vp_is_alnum((unsigned char) s[we - 1]) &&
			(we - 1 == 0 || s[we - 2] == ' '))
		{
			e = we;
			b = we - 1;
			words++;
			continue;
		}
		break;
	}
	if (b > 0)
	{
		unsigned char c = (unsigned char) s[b - 1];

		if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' ||
			  c == '(' || c == '<' || c == '[' || c == ':' || c == ';' || c == ','))
			return -1;
	}
	if (words == 1 && lower_word(s, b, pos - 1 - b, buf) &&
		word_in(buf, pos - 1 - b, stop_words))
		return -1;
	*start = b;
	return end;
}

/* Replace input[start..end) with placeholder, copying what comes before. */
static void
emit(Redaction *r, int start, int end, const char *placeholder)
{
	Assert(start >= r->copied && end > start && end <= r->len);
	if (!r->started)
	{
		initStringInfo(&r->out);
		/* room for the whole input: the output is rarely longer */
		if ((Size) r->len + VARHDRSZ + 64 < MaxAllocSize)
			enlargeStringInfo(&r->out, r->len + VARHDRSZ + 64);
		appendBinaryStringInfo(&r->out, "\0\0\0\0", VARHDRSZ);
		r->started = true;
	}
	appendBinaryStringInfo(&r->out, r->src + r->copied, start - r->copied);
	appendBinaryStringInfo(&r->out, placeholder, strlen(placeholder));
	r->copied = end;
}

/*
 * Try every matcher that can start at the digit at pos.  Returns the end of
 * the replaced span, or -1.
 */
static int
redact_at_digit(Redaction *r, int pos)
{
	const char *s = r->src;
	int			len = r->len;
	NumberRun	run;
	int			start = pos;
	int			end;

	read_number(s, len, pos, &run);
	if ((end = match_numeric_date(s, len, pos, &run)) > 0 ||
		(end = match_day_month(s, len, pos, r->copied, &start)) > 0)
	{
		emit(r, start, end, PH_DOB);
		return end;
	}
	if ((end = match_ssn(s, len, pos, &run)) > 0)
	{
		emit(r, pos, end, PH_SSN);
		return end;
	}
	if ((end = match_card(s, len, &run)) > 0)
	{
		emit(r, pos, end, PH_CARD);
		return end;
	}
	if ((end = match_phone(s, len, &run)) > 0 ||
		(end = match_spoken_digits(s, len, pos)) > 0)
	{
		emit(r, pos, end, PH_PHONE);
		return end;
	}
	return -1;
}

/*
 * Try the matchers that start at the word of n letters at pos.  Returns the
 * end of the replaced span, or -1.
 */
static int
redact_at_word(Redaction *r, int pos, int n)
{
	const char *s = r->src;
	int			len = r->len;
	int			value;
	bool		abbrev;
	int			start;
	int			end;

	switch (word_at(s, pos, n, &value, &abbrev))
	{
		case WORD_AT:
			if ((end = match_spoken_email(s, len, pos, r->copied, &start)) > 0)
			{
				emit(r, start, end, PH_EMAIL);
				return end;
			}
			break;
		case WORD_MONTH:
			if ((end = match_month_day(s, len, pos, n, abbrev)) > 0)
			{
				emit(r, pos, end, PH_DOB);
				return end;
			}
			break;
		case WORD_DIGIT:
		case WORD_DOUBLE:
		case WORD_TRIPLE:
			if ((end = match_spoken_digits(s, len, pos)) > 0)
			{
				emit(r, pos, end, PH_PHONE);
				return end;
			}
			break;
		case WORD_OTHER:
			break;
	}
	return -1;
}

/* Scan the whole input; true if anything was replaced. */
static bool
redact(Redaction *r)
{
	const char *s = r->src;
	int			len = r->len;
	int			i = 0;

	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];
		int			end = -1;

		if (vp_is_alpha(c))
		{
			int			n = 1;

			while (i + n < len && vp_is_alpha((unsigned char) s[i + n]))
				n++;
			if (n >= 2 && n <= 9 && starts_keyword(c) &&
				(i == 0 || !vp_is_digit((unsigned char) s[i - 1])) &&
				(end = redact_at_word(r, i, n)) > 0)
				i = end;
			else
				i += n;
		}
		else if (vp_is_digit(c))
		{
			if (num_start_ok(s, i) && (end = redact_at_digit(r, i)) > 0)
				i = end;
			else
				while (i < len && vp_is_digit((unsigned char) s[i]))
					i++;
		}
		else if (c == '+' || c == '(')
		{
			NumberRun	run;

			if (i + 1 < len && (vp_is_digit((unsigned char) s[i + 1]) || s[i + 1] == '(') &&
				num_start_ok(s, i))
			{
				read_number(s, len, i, &run);
				if (run.ngroups > 0 && (end = match_phone(s, len, &run)) > 0)
				{
					emit(r, i, end, PH_PHONE);
					i = end;
					continue;
				}
			}
			i++;
		}
		else if (c == '@')
		{
			int			start;

			if ((end = match_email(s, len, i, r->copied, &start)) > 0)
			{
				emit(r, start, end, PH_EMAIL);
				i = end;
			}
			else
				i++;
		}
		else
			i++;
	}
	return r->started;
}

/*
 * redact_pii(text) returns text: the input with personal data replaced by
 * placeholders; the input datum itself when there is nothing to replace.
 */
Datum
vapi_pool_redact_pii(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	Redaction	r;

	r.src = VARDATA_ANY(t);
	r.len = VARSIZE_ANY_EXHDR(t);
	r.copied = 0;
	r.started = false;

	if (!redact(&r))
	{
		PG_FREE_IF_COPY(t, 0);
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	appendBinaryStringInfo(&r.out, r.src + r.copied, r.len - r.copied);
	SET_VARSIZE(r.out.data, r.out.len);
	PG_FREE_IF_COPY(t, 0);
	PG_RETURN_TEXT_P((text *) r.out.data);
}
