/*
 * redact_pii.c
 *	  redact_pii(text), redact_pii_at(text, region, as_of): replace personal
 *	  data in call transcripts with typed placeholders: [EMAIL], [PHONE],
 *	  [SSN], [CARD] and [DOB].
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
 * Since 0.7.3 a date, a long run of digits and a few unusual phone shapes
 * are replaced only when the words around them say they are personal data
 * (pii_context.c): a birth word in the sentence, a question about birth or
 * identity in the turn before, a list of other personal data, a phone word
 * rather than a reference word ("loan", "case").  The options say in which
 * region a number without '+' is dialled and on which day the text was said.
 *
 * Matching is on ASCII bytes (and a few birth words of other scripts as
 * whole UTF-8 sequences).  The bytes of a multibyte character are neither
 * letters nor digits, so a replaced span never starts or ends inside one,
 * and any valid text in any server encoding is safe to scan.  Every matcher
 * and every look at the context is bounded (groups, tokens, lengths, 40
 * characters, 600 bytes of turns), so the whole pass is linear in the
 * input.
 *
 * The rules, what is deliberately left alone and the known limits are in
 * docs/redaction.md.
 */
#include "redact/redact_pii.h"
#include "core/chars.h"
#include "e164/e164_parse.h"
#include "e164/e164_regex.h"
#include "redact/pii_context.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_redact_pii);
PG_FUNCTION_INFO_V1(vapi_pool_redact_pii_at);

#define MAX_GROUPS			8	/* digit groups read in one number */
#define MAX_GROUP_DIGITS	20	/* a longer run of digits matches nothing */
#define CONTEXT_CHARS		VP_PII_CONTEXT_CHARS	/* how far back a context word may end */
#define MAX_AGE_YEARS		120 /* a birth date is at most this long before as_of */
#define MAX_SPOKEN_TOKENS	32	/* tokens in one spoken digit sequence */
#define MAX_LOCAL_LENGTH	64	/* e-mail local part */
#define MAX_DOMAIN_LENGTH	253 /* e-mail domain */
#define MAX_LABEL_LENGTH	63	/* one label of a domain */
#define MAX_WORD_LENGTH		12	/* longest word compared with a word list */
#define MAX_MONTH_LENGTH	10	/* "septiembre" */

/* Output under construction: the text copied so far and how far it got. */
typedef struct Redaction
{
	const char *src;			/* the input */
	int			len;			/* its length in bytes */
	int			copied;			/* input before this is in the output */
	bool		started;		/* out is initialised */
	StringInfoData out;			/* varlena header, then the text */
	const RedactOptions *opts;	/* region and day of the text */
	int			last_date_end;	/* end of the last date read (-1: none yet) */
	int			last_emit_end;	/* end of the last span replaced (-1: none) */
	int			last_dob_start; /* the last date of birth replaced (-1: none) */
	int			last_dob_end;
	const char *last_placeholder;	/* what replaced it */
} Redaction;

/* A date read from the text. */
typedef struct DateParts
{
	int			year;			/* four digits; 0 without a year, -1 a year of
								 * an unknown century */
	int			month;			/* 1-12, 0 when the order is unknown */
	int			day;
} DateParts;

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
static inline bool
lower_word(const char *s, int p, int n, char *buf)
{
	return n <= MAX_WORD_LENGTH && vp_pii_lower_word(s, p, n, buf);
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
 * Classify a lower-case word: "at", a month name in English or Spanish
 * (*value 1-12, *abbrev for abbreviations that may take a period), a digit word (*value 0-9, "oh" is
 * 0 with *abbrev set), "double" or "triple".  Called for most words of the
 * input, so it switches on the first letter before comparing anything.
 */
static WordKind
classify_word(const char *w, int n, int *value, bool *abbrev)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(w, lit, sizeof(lit) - 1) == 0)
#define DIGIT(v) do { *value = (v); return WORD_DIGIT; } while (0)
#define IS_MONTH(v) do { *value = (v); return WORD_MONTH; } while (0)
#define ABBREV(v) do { *value = (v); *abbrev = true; return WORD_MONTH; } while (0)

	*abbrev = false;
	switch (w[0])
	{
		case 'a':
			if (IS("at") || IS("arroba"))
				return WORD_AT;
			if (IS("april"))
				IS_MONTH(4);
			if (IS("apr"))
				ABBREV(4);
			if (IS("august"))
				IS_MONTH(8);
			if (IS("abril"))
				IS_MONTH(4);
			if (IS("agosto"))
				IS_MONTH(8);
			if (IS("aug"))
				ABBREV(8);
			break;
		case 'c':
			if (IS("cero"))
				DIGIT(0);
			if (IS("cinco"))
				DIGIT(5);
			if (IS("cuatro"))
				DIGIT(4);
			break;
		case 'd':
			if (IS("double"))
				return WORD_DOUBLE;
			if (IS("dos"))
				DIGIT(2);
			if (IS("december"))
				IS_MONTH(12);
			if (IS("dec"))
				ABBREV(12);
			if (IS("diciembre"))
				IS_MONTH(12);
			break;
		case 'e':
			if (IS("eight"))
				DIGIT(8);
			if (IS("enero"))
				IS_MONTH(1);
			break;
		case 'f':
			if (IS("four"))
				DIGIT(4);
			if (IS("five"))
				DIGIT(5);
			if (IS("february"))
				IS_MONTH(2);
			if (IS("feb"))
				ABBREV(2);
			if (IS("febrero"))
				IS_MONTH(2);
			break;
		case 'j':
			if (IS("january"))
				IS_MONTH(1);
			if (IS("jan"))
				ABBREV(1);
			if (IS("june"))
				IS_MONTH(6);
			if (IS("jun"))
				ABBREV(6);
			if (IS("july"))
				IS_MONTH(7);
			if (IS("jul"))
				ABBREV(7);
			if (IS("junio"))
				IS_MONTH(6);
			if (IS("julio"))
				IS_MONTH(7);
			break;
		case 'm':
			if (IS("march"))
				IS_MONTH(3);
			if (IS("mar"))
				ABBREV(3);
			if (IS("may"))
				IS_MONTH(5);
			if (IS("marzo"))
				IS_MONTH(3);
			if (IS("mayo"))
				IS_MONTH(5);
			break;
		case 'n':
			if (IS("nine"))
				DIGIT(9);
			if (IS("nueve"))
				DIGIT(9);
			if (IS("november"))
				IS_MONTH(11);
			if (IS("nov"))
				ABBREV(11);
			if (IS("noviembre"))
				IS_MONTH(11);
			break;
		case 'o':
			if (IS("one"))
				DIGIT(1);
			if (IS("ocho"))
				DIGIT(8);
			if (IS("oh"))
			{
				*abbrev = true;
				DIGIT(0);
			}
			if (IS("october"))
				IS_MONTH(10);
			if (IS("oct"))
				ABBREV(10);
			if (IS("octubre"))
				IS_MONTH(10);
			break;
		case 's':
			if (IS("six"))
				DIGIT(6);
			if (IS("seven"))
				DIGIT(7);
			if (IS("seis"))
				DIGIT(6);
			if (IS("siete"))
				DIGIT(7);
			if (IS("september"))
				IS_MONTH(9);
			if (IS("sep") || IS("sept"))
				ABBREV(9);
			if (IS("septiembre") || IS("setiembre"))
				IS_MONTH(9);
			break;
		case 't':
			if (IS("two"))
				DIGIT(2);
			if (IS("three"))
				DIGIT(3);
			if (IS("tres"))
				DIGIT(3);
			if (IS("triple"))
				return WORD_TRIPLE;
			break;
		case 'u':
			if (IS("uno"))
				DIGIT(1);
			break;
		case 'z':
			if (IS("zero"))
				DIGIT(0);
			break;
	}
	return WORD_OTHER;

#undef IS
#undef DIGIT
#undef IS_MONTH
#undef ABBREV
}

/* Can a word starting with the letter c be one that classify_word knows? */
static inline bool
starts_keyword(unsigned char c)
{
	switch (vp_to_lower(c))
	{
		case 'a':
		case 'c':
		case 'd':
		case 'e':
		case 'f':
		case 'j':
		case 'm':
		case 'n':
		case 'o':
		case 's':
		case 't':
		case 'u':
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

	if (n < 2 || n > MAX_MONTH_LENGTH || !lower_word(s, p, n, buf))
		return WORD_OTHER;
	return classify_word(buf, n, value, abbrev);
}

/*
 * Is there a word of a social security number (SSN, SS, social) ending
 * within CONTEXT_CHARS characters before pos?
 */
static bool
ssn_context(const char *s, int pos)
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
		if (lower_word(s, i, j - i, buf) && word_in(buf, j - i, ssn_words))
			return true;
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

/*
 * Do the words say that a date at pos is a birth date (pii_context.c)?
 * - Not when the word right after it names an event ("the 4/15
 *   appointment");
 * - a birth word right after it ("11-04-1952 is my date of birth");
 * - a birth word before it in its sentence (born, birth*, DOB, D.O.B.,
 *   nacimiento, nací, cumpleaños ...), after any date read before it
 *   ("born 3/14/85, closing 6/1/2026": the birth word is the first date's)
 *   and with no event named between ("before my 40th birthday, so the
 *   consult on 4/9/2026");
 * - the birth date before it, joined to it by "and", a name, "mine is" or a
 *   correction ("his birthday is 6/21/1970 and mine is 7/1/1972");
 * - for the first date of a turn, a birth word or a question about
 *   identity in the turn before, unless its own turn names an event before
 *   it ("AI: Your date of birth? User: Is my surgery still on April 9th?").
 */
static bool
birth_context(const Redaction *r, int pos, int end)
{
	const char *s = r->src;
	PiiTurns	turns;
	int			birth;

	if (vp_pii_event_word_after(s, r->len, end))
		return false;
	if (vp_pii_birth_word_after(s, r->len, end))
		return true;
	birth = vp_pii_last_birth_word(s, Max(vp_pii_window_start(s, pos, CONTEXT_CHARS, false),
										  r->last_date_end), pos, false);
	if (birth >= 0 && !vp_pii_event_words(s, birth, pos))
		return true;
	if (r->last_dob_end > 0 && r->last_dob_end == r->last_date_end &&
		vp_pii_joins_dates(s, r->last_dob_end, pos))
		return true;
	return vp_pii_turns(s, pos, &turns) && r->last_date_end <= turns.current &&
		vp_pii_birth_words(s, turns.previous, turns.current, true) &&
		!vp_pii_event_words(s, turns.current, pos);
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
 * A two-digit year as four digits, the century read from the text's day;
 * -1 (a year, not known) without it.
 */
static int
full_year(const Redaction *r, int yy)
{
	if (!r->opts->has_as_of)
		return -1;
	return yy <= r->opts->as_of_year % 100 ? r->opts->as_of_year / 100 * 100 + yy :
		r->opts->as_of_year / 100 * 100 - 100 + yy;
}

/*
 * A numeric date: M/D/Y or D/M/Y (separator '/', '-' or '.', the same
 * twice; a two-digit year not with '.'), Y-M-D with a four-digit year, or,
 * in a birth context, M/D or D/M with '/' or '-'.  Returns the end of the
 * date or -1; *d is what it says (month 0 when day and month may be
 * swapped).
 */
static int
match_numeric_date(const Redaction *r, int pos, const NumberRun *run, DateParts *d)
{
	const char *s = r->src;
	int			len = r->len;
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
			{
				d->year = g[2].len == 4 ? digits_value(s, g[2].off, 4) :
					full_year(r, digits_value(s, g[2].off, 2));
				d->month = month_day_ok(a, b) && month_day_ok(b, a) && a != b ? 0 :
					month_day_ok(a, b) ? a : b;
				d->day = d->month == a ? b : a;
				return g[2].end;
			}
		}
		if (g[0].len == 4 && year_ok(digits_value(s, g[0].off, 4)) &&
			g[1].len <= 2 && g[2].len <= 2 &&
			month_day_ok(digits_value(s, g[1].off, g[1].len),
						 digits_value(s, g[2].off, g[2].len)) &&
			num_end_ok(s, len, g[2].end))
		{
			d->year = digits_value(s, g[0].off, 4);
			d->month = digits_value(s, g[1].off, g[1].len);
			d->day = digits_value(s, g[2].off, g[2].len);
			return g[2].end;
		}
	}
	if (sep != '.' && g[0].len <= 2 && g[1].len <= 2)
	{
		a = digits_value(s, g[0].off, g[0].len);
		b = digits_value(s, g[1].off, g[1].len);
		if ((month_day_ok(a, b) || month_day_ok(b, a)) &&
			num_end_ok(s, len, g[1].end) && birth_context(r, pos, g[1].end))
		{
			d->year = 0;
			return g[1].end;
		}
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
year_after(const char *s, int len, int p, bool abbrev, int *year)
{
	int			q = p;

	if (abbrev && q < len && s[q] == '.')
		q++;
	if (q < len && s[q] == ',')
		q++;
	if (q < len && s[q] == ' ')
		q++;
	if (q > p && ci_prefix(s, len, q, "de "))
		q += 3;					/* "14 de marzo de 1985" */
	if (q == p || (abbrev && q == p + 1 && s[p] == '.'))
		return -1;
	if (q + 4 > len)
		return -1;
	for (int i = 0; i < 4; i++)
		if (!vp_is_digit((unsigned char) s[q + i]))
			return -1;
	if (!year_ok(digits_value(s, q, 4)) || !num_end_ok(s, len, q + 4))
		return -1;
	*year = digits_value(s, q, 4);
	return q + 4;
}

/*
 * The rest of a dashed date after "14-": "Mar-1985", "MAR-85", "March-1985".
 * Returns the end or -1.
 */
static int
match_day_month_dashed(const char *s, int len, int p, DateParts *d)
{
	int			n = alpha_run(s, len, p, MAX_MONTH_LENGTH);
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
	d->month = month;
	d->year = q - p == 4 ? digits_value(s, p, 4) : -100 - digits_value(s, p, 2);
	return q;
}

/*
 * Day and month written with the month's name, day first: "14 March 1985",
 * "14th of March, 1985", "14 Mar. 1985", "14-Mar-1985"; without a year only
 * in a birth context.  A "the" before an ordinal day or "of" is part of the
 * date.  Returns the end or -1; *start is the start of the date, *d what it
 * says.
 */
static int
match_day_month(const Redaction *r, int pos, int *start, DateParts *d)
{
	const char *s = r->src;
	int			len = r->len;
	int			lower = r->copied;
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
		d->day = day;
		if ((end = match_day_month_dashed(s, len, p + 1, d)) > 0 && d->year < 0)
			d->year = full_year(r, -d->year - 100);
		return end;
	}
	if (p >= len || s[p] != ' ')
		return -1;
	p++;
	if ((ci_prefix(s, len, p, "of ") || ci_prefix(s, len, p, "de ")) &&
		p + 3 < len && vp_is_alpha((unsigned char) s[p + 3]))
	{
		p += 3;
		spelled = true;
	}
	n = alpha_run(s, len, p, MAX_MONTH_LENGTH);
	if (word_at(s, p, n, &month, &abbrev) != WORD_MONTH)
		return -1;
	p += n;
	if (p < len && vp_is_alnum((unsigned char) s[p]))
		return -1;
	d->year = 0;
	d->month = month;
	d->day = day;
	if ((end = year_after(s, len, p, abbrev, &d->year)) < 0)
	{
		if (!birth_context(r, pos, p))
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
 * "March the 14th, 1985"; without a year only in a birth context.  wordlen
 * is the length of the month word at pos, month its number.  Returns the
 * end or -1; *d is what the date says.
 */
static int
match_month_day(const Redaction *r, int pos, int wordlen, int month, bool abbrev, DateParts *d)
{
	const char *s = r->src;
	int			len = r->len;
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
	d->year = 0;
	d->month = month;
	d->day = day;
	if ((end = year_after(s, len, q, false, &d->year)) >= 0)
		return end;
	if (num_end_ok(s, len, q) && birth_context(r, pos, q))
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
 * after a context word.  Without a context word the number must be one the
 * SSA could issue; after one ("my social is 987-65-4321") it need not be:
 * the caller says it is theirs.  Returns the end or -1.
 */
static int
match_ssn(const char *s, int len, int pos, const NumberRun *run)
{
	const DigitGroup *g = run->g;

	if (run->plus || g[0].paren)
		return -1;
	if (run->ngroups >= 3 && g[0].len == 3 && g[1].len == 2 && g[2].len == 4 &&
		!any_paren(run, 0, 3) && (g[0].sep == '-' || g[0].sep == ' ') &&
		g[1].sep == g[0].sep && num_end_ok(s, len, g[2].end) &&
		(ssn_valid(digits_value(s, g[0].off, 3), digits_value(s, g[1].off, 2),
				   digits_value(s, g[2].off, 4)) || ssn_context(s, pos)))
		return g[2].end;
	if (g[0].len == 9 && num_end_ok(s, len, g[0].end) && ssn_context(s, pos))
		return g[0].end;
	return -1;
}

/*
 * A social security number joined to the one replaced before it ("SSN is
 * 987-65-4323, and my wife's is 987-65-4327"): the first one's context word
 * counts for it.  Returns the end or -1.
 */
static int
joined_ssn(const Redaction *r, int pos, const NumberRun *run)
{
	const DigitGroup *g = run->g;

	if (r->last_placeholder != PH_SSN || r->last_emit_end <= 0 ||
		!vp_pii_joins_dates(r->src, r->last_emit_end, pos) ||
		run->plus || g[0].paren)
		return -1;
	if (run->ngroups >= 3 && g[0].len == 3 && g[1].len == 2 && g[2].len == 4 &&
		!any_paren(run, 0, 3) && (g[0].sep == '-' || g[0].sep == ' ') && g[1].sep == g[0].sep &&
		num_end_ok(r->src, r->len, g[2].end))
		return g[2].end;
	if (g[0].len == 9 && num_end_ok(r->src, r->len, g[0].end))
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
 * A payment card number: 13 to 19 digits, starting with 2 to 6 (the major
 * industry identifiers of payment cards), written without '+' or
 * parentheses, contiguous or in card groups, passing the Luhn
 * check.  The longest such prefix of the number wins.  Returns the end or -1.
 */
static int
match_card(const char *s, int len, const NumberRun *run)
{
	if (run->plus || s[run->g[0].off] < '2' || s[run->g[0].off] > '6')
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

/*
 * Is a run of 10 to 15 digits written without '+' or separators a phone
 * number?  Only when, dialled from the text's region, it parses
 * (e164_parse) to a number its country's numbering plan has (the general
 * national-number pattern of libphonenumber's metadata), and the words
 * around it do not name a reference (pii_context.c).
 */
static bool
bare_digits_phone(const Redaction *r, const DigitGroup *g)
{
	E164Number	num;
	const E164Region *country;

	if (e164_parse(r->src + g->off, g->len, r->opts->region, 2, &num) != E164_OK)
		return false;
	country = e164_region_for_country_code(num.country_code);
	if (country != NULL && country->national_number_pattern >= 0 &&
		!e164_regex_full_match(country->national_number_pattern, num.nsn, num.nsn_length))
		return false;
	return !vp_pii_reference_number(r->src, r->len, g->off, g->end);
}

/*
 * Are groups 0..k-1, read after a '+', a number of a country's numbering
 * plan ("44 20 7946 0958", not a parcel number "14-21-307-019-0000")?
 */
static bool
valid_international(const Redaction *r, const NumberRun *run, int k)
{
	char		buf[E164_MAX_DIGITS + 2];
	int			n = 0;
	E164Number	num;
	const E164Region *country;

	if (run->digits[k] > E164_MAX_DIGITS)
		return false;
	buf[n++] = '+';
	for (int i = 0; i < k; i++)
	{
		memcpy(buf + n, r->src + run->g[i].off, run->g[i].len);
		n += run->g[i].len;
	}
	if (e164_parse(buf, n, NULL, 0, &num) != E164_OK)
		return false;
	country = e164_region_for_country_code(num.country_code);
	return country == NULL || country->national_number_pattern < 0 ||
		e164_regex_full_match(country->national_number_pattern, num.nsn, num.nsn_length);
}

/* Do the words around groups 0..k-1 call them a reference (pii_context.c)? */
static bool
named_reference(const Redaction *r, const NumberRun *run, int k)
{
	return vp_pii_reference_number(r->src, r->len, run->g[0].off, run->g[k - 1].end);
}

/*
 * Do groups 0..k-1 have the shape of a phone number?  The shapes that are
 * not North American ones (a trunk 0, a country code without '+') also
 * need words that do not call them a reference, and a country code one a
 * number of that country's plan.
 */
static bool
phone_grouping(const Redaction *r, const NumberRun *run, int k)
{
	const char *s = r->src;
	const DigitGroup *g = run->g;
	int			total = run->digits[k];
	bool		trunk_one = g[0].len == 1 && s[g[0].off] == '1' && !g[0].paren;

	for (int i = 0; i < k - 1; i++)
		if (g[i].sep == '/')
			return false;
	if (g[k - 1].paren && k > 1)
		return false;
	if (k == 1)
		return !g[0].paren && total >= 10 && total <= 15 &&
			(run->plus || bare_digits_phone(r, &g[0]));

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
		if (ok && !named_reference(r, run, k))
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
		if (ok && long_group && valid_international(r, run, k) && !named_reference(r, run, k))
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
match_phone(const Redaction *r, const NumberRun *run)
{
	const char *s = r->src;
	int			len = r->len;

	for (int k = run->ngroups; k >= 1; k--)
	{
		int			e;
		int			ext;

		if (!phone_grouping(r, run, k))
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
			int			n = alpha_run(s, len, p, MAX_MONTH_LENGTH);
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
 * Is s[b..e) a number said in words, joined by hyphens ("seven",
 * "ninety-two", "twenty"), or written in numerals ("82")?
 */
static bool
number_words(const char *s, int b, int e)
{
	static const char *const words[] = {
		"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
		"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
		"eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
		"eighty", "ninety", "hundred", "thousand", NULL
	};
	char		buf[MAX_WORD_LENGTH + 1];

	for (int p = b; p < e;)
	{
		int			q = p;

		while (q < e && vp_is_digit((unsigned char) s[q]))
			q++;
		if (q > p && q == e)
			return true;		/* numerals as written by the transcriber: "tran 82" */
		q = p;
		while (q < e && vp_is_alpha((unsigned char) s[q]))
			q++;
		if (q == p || !lower_word(s, p, q - p, buf) || !word_in(buf, q - p, words) ||
			(q < e && s[q] != '-'))
			return false;
		p = q < e ? q + 1 : q;
	}
	return e > b;
}

/*
 * A spoken e-mail address around the word "at" (Spanish "arroba", atlen
 * letters) at pos: "john dot smith at gmail dot com", "gaby punto torres
 * arroba example punto com".  The local part is words joined by "dot",
 * "underscore", "dash", "hyphen", "punto" or "guion" (or written . _ -), or
 * letters spelled one by one; a single common word ("us", "me", "look"
 * ...) is not a local part.  The domain is labels joined by "dot", "punto"
 * or '.', ending in a known top-level domain.  Returns the end or -1;
 * *start is the start of the local part.
 */
static int
match_spoken_email(const char *s, int len, int pos, int atlen, int lower, int *start)
{
	static const char *const joiners[] = {"dot", "underscore", "dash", "hyphen", "punto", "guion", NULL};
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
	int			p = pos + atlen + 1;
	int			q;
	int			end = -1;
	int			b;
	int			e = pos - 1;
	int			words = 1;
	char		buf[MAX_WORD_LENGTH + 1];
	bool		spoken_digit;

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
		else if (ci_prefix(s, len, q, " punto "))
			r = q + 7;
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
	spoken_digit = number_words(s, b, e);
	for (int joins = 0; joins < 8; joins++)
	{
		int			we = b - 1;
		int			ws = we;
		int			b2;

		if (we - 1 < lower || s[we] != ' ')
			break;
		while (ws > lower && we - ws <= 10 && vp_is_alpha((unsigned char) s[ws - 1]))
			ws--;
		/*
		 * A number said in words at the end of the local part joins the word
		 * before it without a joiner ("ortega seven seven": ortega77,
		 * "nguyen ninety-two": nguyen92).
		 */
		if (spoken_digit && (b2 = local_token_start(s, we, lower, false)) >= 0 &&
			(b2 == lower || s[b2 - 1] == ' ') &&
			!(lower_word(s, b2, we - b2, buf) && word_in(buf, we - b2, joiners)))
		{
			spoken_digit = number_words(s, b2, we);
			b = b2;
			words++;
			continue;
		}
		/* Spanish "guion bajo" (or "guión bajo"): an underscore in two words */
		if (we - ws == 4 && ci_prefix(s, len, ws, "bajo"))
		{
			if (ws - 6 >= lower && ci_prefix(s, len, ws - 6, "guion "))
				ws -= 6;
			else if (ws - 7 >= lower && ci_prefix(s, len, ws - 7, "gui\xc3\xb3n "))
				ws -= 7;
		}
		if (ws - 1 >= lower && s[ws - 1] == ' ' &&
			((lower_word(s, ws, we - ws, buf) && word_in(buf, we - ws, joiners)) ||
			 ci_prefix(s, len, ws, "guion bajo") || ci_prefix(s, len, ws, "gui\xc3\xb3n bajo")) &&
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
	r->last_emit_end = end;
	r->last_placeholder = placeholder;
}

/*
 * Could a person born on date d be alive on the text's day?  Not after it,
 * not more than MAX_AGE_YEARS years before it; always when the day or the
 * year is unknown.
 */
static bool
plausible_birth(const Redaction *r, const DateParts *d)
{
	const RedactOptions *o = r->opts;

	if (!o->has_as_of || d->year <= 0)
		return true;
	if (d->year < o->as_of_year - MAX_AGE_YEARS || d->year > o->as_of_year)
		return false;
	if (d->year < o->as_of_year || d->month == 0)
		return true;
	return d->month < o->as_of_month || (d->month == o->as_of_month && d->day <= o->as_of_day);
}

/*
 * Length of a list's separator at s[p]: spaces, commas, semicolons, "and"
 * and Spanish "y" (", ", "; ", " and ", " y ", " "); 0 if none.
 */
static int
list_separator(const char *s, int len, int p)
{
	int			q = p;

	while (q < len && q - p < 8)
	{
		if (s[q] == ',' || s[q] == ';' || s[q] == ' ')
			q++;
		else if (q > p && s[q - 1] == ' ' && ci_prefix(s, len, q, "and "))
			q += 4;
		else if (q > p && s[q - 1] == ' ' && ci_prefix(s, len, q, "y "))
			q += 2;
		else
			break;
	}
	return q - p;
}

/*
 * Is the date s[start..end) an item of a list of the caller's personal data
 * ("jo@example.com, (212) 555-0147, 4/2/1961")?  Only a list's separator
 * stands between it and an e-mail address, phone, social security or card
 * number, replaced before it or matched right after it.
 */
static bool
listed_with_personal_data(const Redaction *r, int start, int end)
{
	const char *s = r->src;
	int			len = r->len;
	int			p;
	NumberRun	run;

	if (r->last_emit_end > 0 && r->last_emit_end < start && r->last_placeholder != PH_DOB &&
		list_separator(s, len, r->last_emit_end) == start - r->last_emit_end)
		return true;
	if ((p = list_separator(s, len, end)) == 0)
		return false;
	p += end;
	if (p < len && (vp_is_digit((unsigned char) s[p]) || s[p] == '+' || s[p] == '('))
	{
		read_number(s, len, p, &run);
		return run.ngroups > 0 &&
			((vp_is_digit((unsigned char) s[p]) &&
			  (match_ssn(s, len, p, &run) > 0 || match_card(s, len, &run) > 0)) ||
			 match_phone(r, &run) > 0);
	}
	for (int q = p; q < len && q - p <= MAX_LOCAL_LENGTH; q++)
	{
		int			at_start;

		if (s[q] == '@')
			return match_email(s, len, q, p, &at_start) > 0;
		if (!is_local_char((unsigned char) s[q], true))
			break;
	}
	return false;
}

/*
 * Is the date s[start..end), which says d, a date of birth?  A date without
 * a year was read only in a birth context; one with a year is when the
 * words say so or it is listed with other personal data, and a person born
 * then could be alive on the text's day.  Every date read counts as the
 * turn's first date for the next one.
 */
static bool
date_of_birth(Redaction *r, int start, int end, const DateParts *d)
{
	bool		dob;

	if (r->last_dob_end > 0 && end - start == r->last_dob_end - r->last_dob_start &&
		memcmp(r->src + start, r->src + r->last_dob_start, end - start) == 0)
		dob = true;				/* the same date again ("October 10th, 1991, sorry, October 10th, 1991") */
	else
		dob = d->year == 0 ||
			(!vp_pii_event_word_after(r->src, r->len, end) &&
			 (birth_context(r, start, end) || listed_with_personal_data(r, start, end)) &&
			 plausible_birth(r, d));
	r->last_date_end = end;
	if (dob)
	{
		r->last_dob_start = start;
		r->last_dob_end = end;
	}
	return dob;
}

/*
 * A North American number given in pieces with commas ("my number, 617,
 * 555, 0144"): 3, 3 and 4 digits, area code and exchange starting with 2-9,
 * which the words say is a phone (pii_context.c).  Returns the end or -1.
 */
static int
match_phone_in_pieces(const Redaction *r, int pos)
{
	const char *s = r->src;
	static const int pieces[] = {3, 3, 4};
	int			p = pos;

	for (int k = 0; k < 3; k++)
	{
		if (k > 0)
		{
			if (p + 2 > r->len || s[p] != ',' || s[p + 1] != ' ')
				return -1;
			p += 2;
		}
		if (p + pieces[k] > r->len || (k < 2 && s[p] < '2'))
			return -1;
		for (int i = 0; i < pieces[k]; i++)
			if (!vp_is_digit((unsigned char) s[p + i]))
				return -1;
		p += pieces[k];
		if (p < r->len && vp_is_digit((unsigned char) s[p]))
			return -1;
	}
	if (!num_end_ok(s, r->len, p) ||
		vp_pii_number_kind(s, r->len, pos, p) != PII_NUMBER_PHONE)
		return -1;
	return p;
}

/*
 * Digits read out one by one from pos: a phone number, unless the words
 * call them a reference ("my confirmation is 4 8 2 9 1 7 3").  Returns the
 * end of the span read, or -1.
 */
static int
redact_spoken_digits(Redaction *r, int pos)
{
	int			end = match_spoken_digits(r->src, r->len, pos);

	if (end > 0 && !vp_pii_reference_number(r->src, r->len, pos, end))
		emit(r, pos, end, PH_PHONE);
	return end;
}

/*
 * Try every matcher that can start at the digit at pos.  Returns the end of
 * the span read (replaced, or a date that is not a birth date), or -1.
 */
static int
redact_at_digit(Redaction *r, int pos)
{
	const char *s = r->src;
	int			len = r->len;
	NumberRun	run;
	int			start = pos;
	int			end;
	DateParts	d;

	read_number(s, len, pos, &run);
	if ((end = match_numeric_date(r, pos, &run, &d)) > 0 ||
		(end = match_day_month(r, pos, &start, &d)) > 0)
	{
		if (date_of_birth(r, start, end, &d))
			emit(r, start, end, PH_DOB);
		return end;
	}
	if ((end = match_ssn(s, len, pos, &run)) > 0 || (end = joined_ssn(r, pos, &run)) > 0)
	{
		emit(r, pos, end, PH_SSN);
		return end;
	}
	if ((end = match_card(s, len, &run)) > 0)
	{
		emit(r, pos, end, PH_CARD);
		return end;
	}
	if ((end = match_phone(r, &run)) > 0 || (end = match_phone_in_pieces(r, pos)) > 0)
	{
		emit(r, pos, end, PH_PHONE);
		return end;
	}
	return redact_spoken_digits(r, pos);
}

/*
 * Try the matchers that start at the word of n letters at pos.  Returns the
 * end of the span read, or -1.
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
	DateParts	d;

	switch (word_at(s, pos, n, &value, &abbrev))
	{
		case WORD_AT:
			if ((end = match_spoken_email(s, len, pos, n, r->copied, &start)) > 0)
			{
				emit(r, start, end, PH_EMAIL);
				return end;
			}
			break;
		case WORD_MONTH:
			if ((end = match_month_day(r, pos, n, value, abbrev, &d)) > 0)
			{
				if (date_of_birth(r, pos, end, &d))
					emit(r, pos, end, PH_DOB);
				return end;
			}
			break;
		case WORD_DIGIT:
		case WORD_DOUBLE:
		case WORD_TRIPLE:
			return redact_spoken_digits(r, pos);
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
			if (n >= 2 && n <= MAX_MONTH_LENGTH && starts_keyword(c) &&
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
				if (run.ngroups > 0 && (end = match_phone(r, &run)) > 0)
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

/* Options for text of an organisation in the US, of an unknown day. */
void
vp_redact_options_init(RedactOptions *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->region, "US");
}

/*
 * The region that digits without '+' are read in: an ISO 3166-1 alpha-2
 * code the phone-number metadata knows, in either case.
 */
void
vp_redact_options_set_region(RedactOptions *o, const char *region, int len)
{
	char		code[3];

	if (len == 2)
	{
		code[0] = pg_ascii_toupper((unsigned char) region[0]);
		code[1] = pg_ascii_toupper((unsigned char) region[1]);
		code[2] = '\0';
	}
	if (len != 2 || e164_region_by_code(code, 2) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown region \"%.*s\"", pg_mbcliplen(region, len, 16), region),
				 errdetail("The region is how a phone number written without + is dialled: an ISO 3166-1 alpha-2 code such as US, CA or GB."),
				 errhint("Pass the organisation's default_region.")));
	memcpy(o->region, code, 3);
}

/* The day the text was said (a birth date is not after it). */
void
vp_redact_options_set_date(RedactOptions *o, DateADT day)
{
	if (DATE_NOT_FINITE(day))
		return;
	j2date(day + POSTGRES_EPOCH_JDATE, &o->as_of_year, &o->as_of_month, &o->as_of_day);
	o->has_as_of = true;
}

/* The day, in UTC, of the time the text was said. */
void
vp_redact_options_set_time(RedactOptions *o, TimestampTz at)
{
	if (TIMESTAMP_NOT_FINITE(at))
		return;
	vp_redact_options_set_date(o, (DateADT) (at / USECS_PER_DAY +
											 (at % USECS_PER_DAY < 0 ? -1 : 0)));
}

/*
 * A text datum with its personal data replaced, read with the options; the
 * datum itself when there is none.
 */
Datum
vp_redact_pii_text(Datum value, const RedactOptions *o)
{
	text	   *t = DatumGetTextPP(value);
	Redaction	r;

	r.src = VARDATA_ANY(t);
	r.len = VARSIZE_ANY_EXHDR(t);
	r.copied = 0;
	r.started = false;
	r.opts = o;
	r.last_date_end = -1;
	r.last_emit_end = -1;
	r.last_placeholder = NULL;
	r.last_dob_start = -1;
	r.last_dob_end = -1;

	if (!redact(&r))
		return value;
	appendBinaryStringInfo(&r.out, r.src + r.copied, r.len - r.copied);
	SET_VARSIZE(r.out.data, r.out.len);
	return PointerGetDatum(r.out.data);
}

/*
 * redact_pii(text) returns text: the input with personal data replaced by
 * placeholders, read as said in the US on an unknown day; the input datum
 * itself when there is nothing to replace.
 */
Datum
vapi_pool_redact_pii(PG_FUNCTION_ARGS)
{
	RedactOptions o;

	vp_redact_options_init(&o);
	PG_RETURN_DATUM(vp_redact_pii_text(PG_GETARG_DATUM(0), &o));
}

/*
 * redact_pii_at(text, region text, as_of date) returns text: the same, read
 * in the organisation's region (NULL: US) on the day the text was said
 * (NULL: unknown).
 */
Datum
vapi_pool_redact_pii_at(PG_FUNCTION_ARGS)
{
	RedactOptions o;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	vp_redact_options_init(&o);
	if (!PG_ARGISNULL(1))
	{
		text	   *region = PG_GETARG_TEXT_PP(1);

		vp_redact_options_set_region(&o, VARDATA_ANY(region), VARSIZE_ANY_EXHDR(region));
	}
	if (!PG_ARGISNULL(2))
		vp_redact_options_set_date(&o, PG_GETARG_DATEADT(2));
	PG_RETURN_DATUM(vp_redact_pii_text(PG_GETARG_DATUM(0), &o));
}
