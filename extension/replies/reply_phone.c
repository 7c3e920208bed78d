/*
 * reply_phone.c
 *	  Phone numbers in a reply: finding them in the forms people write,
 *	  telling them from the other numbers of a reply, validating them with
 *	  e164_parse, and choosing the one the lead wants to be called on.
 *
 * A number is a run of digit groups joined by spaces, dashes, dots,
 * parentheses or a slash ("(415) 555-0123", "415.555.0123", "+1 415 555
 * 0123", "4155550123", "07700 900123", "030/1234567"), or of spelled digits
 * ("six two six, five five five ..."); an extension after it ("ext. 14",
 * "x 3", "#2") is dropped.  It is not a phone number when it looks like a
 * date (11/20/2026, 05.12.2026), touches letters (1Z999AA10123456784,
 * 5pm), follows #, $, EUR or GBP, or follows a word such as loan, order,
 * tracking or zip; nor when it has more digits than any phone number.
 * Written without a country code, it must have the shape of a national
 * number of the region: ten digits in North America (or eleven starting
 * with 1), a leading 0 where the region dials one.  Then e164_parse decides.
 *
 * Choosing: numbers in the body beat numbers in the lead's signature, which
 * are kept only when labelled (cell, mobile, phone); a signature of someone
 * else gives none.  Words around a number raise it (call, cell, number,
 * better, new) or lower it (old, disconnected, assistant, fax, text).
 */
#include "core/chars.h"
#include "e164/e164_parse.h"
#include "replies/reply_internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NUMBER_DIGITS 20	/* more digits: a tracking or card number */
#define MAX_GROUPS 16

/* Whether the digit string has the shape of a number written in the region. */
static bool
plausible(const ReplyWork *w, const char *d, int nd, bool plus)
{
	if (plus)
		return nd >= 8;
	/* an international prefix: the parser knows the region's */
	if ((nd >= 10 && d[0] == '0' && d[1] == '0') ||
		(w->region->country_code == 1 && nd >= 11 && memcmp(d, "011", 3) == 0))
		return true;
	if (w->region->country_code == 1)
		return nd == 10 || (nd == 11 && d[0] == '1');
	if (w->trunk_zero)
		return d[0] == '0' && nd >= 8;
	return nd >= 8;
}

/* Validates and records a phone number; its index in w->phones, or -1. */
static int
add_phone(ReplyWork *w, const char *d, int nd, bool plus, int32_t start, int32_t end)
{
	char		buf[MAX_NUMBER_DIGITS + 2];
	int			n = 0;
	RPhone	   *ph;

	if (nd < 7 || nd > MAX_NUMBER_DIGITS || !plausible(w, d, nd, plus) || w->nphones >= RW_MAX_PHONES)
		return -1;
	if (plus)
		buf[n++] = '+';
	memcpy(buf + n, d, nd);
	n += nd;
	ph = &w->phones[w->nphones];
	if (e164_parse(buf, n, w->region->code, (int) strlen(w->region->code), &ph->num) != E164_OK)
		return -1;
	ph->start = start;
	ph->end = end;
	ph->score = 0;
	ph->tok = -1;
	ph->zone = ZONE_BODY;
	return w->nphones++;
}

/*
 * Whether the tokens just before the number name what it is: "loan # ...",
 * "order number is ...", "zip ...".
 */
static bool
after_number_context(const ReplyWork *w)
{
	static uint16_t skip[6];
	static bool ready = false;
	int			seen = 0;

	if (!ready)
	{
		static const char *const words[] = {"number", "no", "num", "nr", "is", "was"};

		for (int i = 0; i < 6; i++)
			skip[i] = reply_vocab_find(words[i], (int) strlen(words[i]));
		ready = true;
	}
	for (int i = w->ntoks - 1; i >= 0 && seen < 3; i--)
	{
		const RTok *tok = &w->toks[i];
		bool		skippable = false;

		if (tok->kind == TK_SOFT)
			continue;
		if (tok->kind != TK_WORD)
			return false;
		if (reply_vocab_class(tok->id) & WC_NUM_CONTEXT)
			return true;
		for (int k = 0; k < 6; k++)
			skippable |= tok->id == skip[k] && skip[k] != RV_UNKNOWN;
		if (!skippable)
			return false;
		seen++;
	}
	return false;
}

/* Whether s[0..n) is the lower-case word w, in any case. */
static bool
starts_word(const char *s, int n, const char *w)
{
	if ((int) strlen(w) != n)
		return false;
	for (int i = 0; i < n; i++)
		if ((s[i] | 0x20) != w[i])
			return false;
	return true;
}

/* Whether the text before pos is a currency sign or an order mark '#' (one space allowed). */
static bool
after_symbol(const char *t, int32_t line_start, int32_t pos)
{
	int32_t		p = pos - 1;

	if (p >= line_start && t[p] == ' ')
		p--;
	if (p < line_start)
		return false;
	if (t[p] == '#')
	{
		/* "call me on this # 248 555 0165", "cell # 248 ...": a number sign, not an order mark */
		int32_t		q = p - 1,
					e;

		while (q >= line_start && t[q] == ' ')
			q--;
		e = q + 1;
		while (q >= line_start && ((t[q] >= 'a' && t[q] <= 'z') || (t[q] >= 'A' && t[q] <= 'Z')))
			q--;
		return !(e - q - 1 >= 2 && e - q - 1 <= 6 &&
				 (starts_word(t + q + 1, e - q - 1, "this") || starts_word(t + q + 1, e - q - 1, "my") ||
				  starts_word(t + q + 1, e - q - 1, "cell") || starts_word(t + q + 1, e - q - 1, "phone") ||
				  starts_word(t + q + 1, e - q - 1, "best") || starts_word(t + q + 1, e - q - 1, "mobile") ||
				  starts_word(t + q + 1, e - q - 1, "home") || starts_word(t + q + 1, e - q - 1, "work")));
	}
	if (t[p] == '$' || t[p] == '%')
		return true;
	if (p >= line_start + 1 && (unsigned char) t[p - 1] == 0xc2 && (unsigned char) t[p] == 0xa3)
		return true;			/* pound sign */
	if (p >= line_start + 2 && (unsigned char) t[p - 2] == 0xe2 && (unsigned char) t[p - 1] == 0x82 &&
		(unsigned char) t[p] == 0xac)
		return true;			/* euro sign */
	return false;
}

/* Whether the groups read as a date: 11/20/2026, 2026-11-20, 05.12.2026. */
static bool
date_shaped(const int *glen, const char *gsep, int ng)
{
	if (ng != 3 || gsep[1] != gsep[2] || (gsep[1] != '/' && gsep[1] != '.' && gsep[1] != '-'))
		return false;
	return (glen[0] <= 2 && glen[1] <= 2 && (glen[2] == 2 || glen[2] == 4)) ||
		(glen[0] == 4 && glen[1] <= 2 && glen[2] <= 2);
}

/*
 * Length of an extension marker at p ("ext.", "extension", "x", "#") with
 * its digits, or 0.
 */
static int32_t
extension_length(const char *t, int32_t p, int32_t end)
{
	int32_t		q = p;
	static const char *const marks[] = {"extension", "ext", "ex", "x", "#", NULL};
	bool		found = false;

	while (q < end && q - p < 2 && t[q] == ' ')
		q++;
	if (q >= end || ((t[q] | 0x20) != 'e' && (t[q] | 0x20) != 'x' && t[q] != '#'))
		return 0;
	for (int k = 0; marks[k] && !found; k++)
	{
		int			n = (int) strlen(marks[k]);
		int			i = 0;

		while (i < n && q + i < end && (t[q + i] | 0x20) == marks[k][i])
			i++;
		if (i == n && !(q + n < end && vp_is_alpha((unsigned char) t[q + n])))
		{
			q += n;
			found = true;
		}
	}
	if (!found)
		return 0;
	while (q < end && (t[q] == '.' || t[q] == ':' || t[q] == ' '))
		q++;
	if (q >= end || !vp_is_digit((unsigned char) t[q]))
		return 0;
	while (q < end && vp_is_digit((unsigned char) t[q]))
		q++;
	return q - p;
}

/*
 * The separator run after the digit group that ends at p: up to four bytes
 * of spaces (no-break spaces too), dashes, dots, parentheses or a slash,
 * then a digit.  Returns where the next group starts and sets *sep to the
 * run's kind (its first dash, dot or slash, if it has one); -1 when the
 * number ends at p: no digit after the run, two dots, a slash after a
 * space, or ". " (the end of a sentence).
 */
static int32_t
separator_run(const char *t, int32_t p, int32_t end, char *sep)
{
	int32_t		q = p;
	char		kind = 0;
	int			dots = 0;
	bool		space_before_slash = false,
				ok = true;

	while (q < end && q - p < 4)
	{
		char		c = t[q];

		if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\n' || c == '\r')
		{
			if (c == '\n' || c == '\r')
				c = ' ';		/* a number broken over lines (reply_tokenise) */
			if (c == '.')
				dots++;
			if (c == '/' && q > p && t[q - 1] == ' ')
				space_before_slash = true;
			if (c == ' ' && q > p && t[q - 1] == '.')
				ok = false;		/* ". " ends a sentence */
			if (kind == 0 || kind == ' ' || kind == '(' || kind == ')')
				kind = c;
			q++;
		}
		else if ((unsigned char) c == 0xc2 && q + 1 < end && (unsigned char) t[q + 1] == 0xa0)
		{
			if (kind == 0)
				kind = ' ';
			q += 2;
		}
		else
			break;
	}
	if (q == p || q >= end || !vp_is_digit((unsigned char) t[q]) || dots > 1 || space_before_slash || !ok)
		return -1;
	*sep = kind;
	return q;
}

/*
 * A number starting at pos (a digit, '+' or '(').  Sets *next to its end
 * (with any extension) and returns its index in w->phones when it is a
 * valid phone number, else -1 (an ordinary number).
 */
int
reply_scan_number(ReplyWork *w, int32_t pos, int32_t end, int32_t *next)
{
	const char *t = w->text;
	char		d[MAX_NUMBER_DIGITS + 8];
	int			nd = 0;
	bool		plus = false,
				too_long = false;
	int			glen[MAX_GROUPS];
	char		gsep[MAX_GROUPS];
	int			ng = 0;
	int32_t		p = pos,
				last;
	int32_t		line_start = pos;
	char		sep = 0;

	while (line_start > 0 && t[line_start - 1] != '\n')
		line_start--;
	if (t[p] == '+')
	{
		plus = true;
		p++;
		if (p < end && t[p] == ' ')
			p++;
	}
	if (p < end && t[p] == '(')
		p++;
	last = p;
	while (p < end && vp_is_digit((unsigned char) t[p]))
	{
		int			len = 0;

		while (p < end && vp_is_digit((unsigned char) t[p]))
		{
			if (nd < MAX_NUMBER_DIGITS + 4)
				d[nd++] = t[p];
			else
				too_long = true;
			len++;
			p++;
		}
		if (ng < MAX_GROUPS)
		{
			glen[ng] = len;
			gsep[ng] = sep;
			ng++;
		}
		last = p;
		p = separator_run(t, p, end, &sep);
		if (p < 0)
			break;
	}
	p = last;
	if (p < end && t[p] == ')')
		p++;
	*next = p;

	/* letters right after the digits: an order code, a time (1Z999AA1..., 5pm) */
	if (p < end && vp_is_alnum((unsigned char) t[p]))
	{
		int32_t		ext = extension_length(t, p, end);

		if (ext == 0)
		{
			while (*next < end && vp_is_alnum((unsigned char) t[*next]))
				(*next)++;
			return -1;
		}
	}
	*next += extension_length(t, *next, end);

	if (too_long || nd > MAX_NUMBER_DIGITS)
		return -1;
	if (pos > line_start && vp_is_alnum((unsigned char) t[pos - 1]))
		return -1;
	if (after_symbol(t, line_start, pos) || date_shaped(glen, gsep, ng) || after_number_context(w))
		return -1;
	return add_phone(w, d, nd, plus, pos, p);
}

/* A word of letters at p, lower case, into buf; its end, or p if none. */
static int32_t
letters_at(const char *t, int32_t p, int32_t end, char *buf, int *len)
{
	int			n = 0;

	while (p < end && vp_is_alpha((unsigned char) t[p]))
	{
		if (n < 15)
			buf[n++] = (char) vp_to_lower((unsigned char) t[p]);
		p++;
	}
	*len = n;
	return p;
}

/*
 * Spelled digits starting at pos: "six two six, five five five, zero one
 * five zero", "double five", digits mixed in.  Sets *next after the last
 * digit; returns the index in w->phones, or -1.
 */
int
reply_scan_spelled(ReplyWork *w, int32_t pos, int32_t end, int32_t *next)
{
	const char *t = w->text;
	char		d[MAX_NUMBER_DIGITS + 8];
	int			nd = 0;
	int32_t		p = pos,
				last = pos;
	int			repeat = 1;

	while (p < end && nd <= MAX_NUMBER_DIGITS)
	{
		char		buf[16];
		int			len;
		int32_t		e;

		if (vp_is_digit((unsigned char) t[p]))
		{
			while (p < end && vp_is_digit((unsigned char) t[p]) && nd <= MAX_NUMBER_DIGITS)
				d[nd++] = t[p++];
			last = p;
		}
		else
		{
			int			digit;

			e = letters_at(t, p, end, buf, &len);
			if (e == p)
				break;
			digit = reply_vocab_digit(reply_vocab_find(buf, len));
			if (digit < 0 && nd > 0 && len == 1 && buf[0] == 'o')
				digit = 0;
			if (digit < 0 && ((len == 6 && memcmp(buf, "double", 6) == 0) ||
							  (len == 6 && memcmp(buf, "triple", 6) == 0)))
			{
				repeat = buf[0] == 'd' ? 2 : 3;
				p = e;
				while (p < end && t[p] == ' ')
					p++;
				continue;
			}
			if (digit < 0 || (digit == 0 && nd == 0 && buf[0] == 'o'))
				break;
			for (int r = 0; r < repeat && nd <= MAX_NUMBER_DIGITS; r++)
				d[nd++] = (char) ('0' + digit);
			repeat = 1;
			p = last = e;
		}
		/* separators between digits: spaces, commas, dashes, a dot before more */
		while (p < end && (t[p] == ' ' || t[p] == ',' || t[p] == '-' ||
						   (t[p] == '.' && p + 1 < end && t[p + 1] == ' ')))
			p++;
	}
	*next = last;
	if (nd < 7 || nd > MAX_NUMBER_DIGITS)
		return -1;
	return add_phone(w, d, nd, false, pos, last);
}

/* What the words on one side of a number are worth when choosing it. */
typedef struct SideWeights
{
	int			limit;			/* words looked at, in the number's clause */
	int			call_word;		/* the first call/ring/phone word */
	int			mobile;			/* cell, mobile */
	int			prefer;			/* best, better, prefer */
	uint32_t	doubt_classes;	/* old, no longer, not ... */
	int			doubt;
	int			other_person;	/* my wife's, his */
	int			phone_bad;
} SideWeights;

static const SideWeights before_number = {6, 3, 2, 2, WC_OLD | WC_NEGATOR, -8, -6, -2};
static const SideWeights after_number = {5, 2, 0, 2, WC_OLD, -8, -3, 0};

/*
 * What the words on one side of token tok add to its number's score (step
 * -1: the words before it, +1: after it), in its clause; *fax when one of
 * them says it is a fax.
 */
static int
side_score(const ReplyWork *w, int tok, int step, const SideWeights *sw, bool *fax)
{
	int			score = 0;
	int			seen = 0;
	bool		call_word = false,
				crossed_soft = false;

	*fax = false;
	for (int i = tok + step; i >= 0 && i < w->ntoks && seen < sw->limit; i += step)
	{
		const RTok *t = &w->toks[i];
		uint32_t	wc;

		if (t->kind == TK_SOFT && (t->flags & TF_PAREN) && (seen > 0 || w->text[t->start] == '|'))
			break;
		if (t->kind == TK_SOFT)
		{
			crossed_soft = true;
			continue;
		}
		if (t->kind != TK_WORD)
			break;
		wc = reply_vocab_class(t->id);
		if (wc & WC_CONTRAST)
		{
			/* "my cell is X but I never pick up": a number taken back at once */
			if (step > 0 && seen < 2)
				score -= 3;
			break;
		}
		seen++;
		if ((wc & WC_CALL_WORD) && !call_word)
		{
			score += sw->call_word;
			call_word = true;
		}
		if (wc & WC_MOBILE)
			score += sw->mobile;
		if (wc & WC_PREFER)
			score += sw->prefer;
		if (wc & sw->doubt_classes)
			score += sw->doubt;
		if (wc & WC_OTHER_PERSON)
			score += sw->other_person;
		if (wc & WC_PHONE_BAD)
			score += sw->phone_bad;
		if (wc & WC_FAX)
		{
			/* "Direct line X, fax Y": after a comma, the fax is the next number's */
			if (step > 0 && crossed_soft)
				break;
			*fax = true;
			return 0;
		}
	}
	return score;
}

/* Whether a rule hit refuses calls, all of them or some. */
static inline bool
is_refusal(const RHit *h)
{
	return h->kind == CUE_LOCAL_BLOCK || h->kind == CUE_BLOCK;
}

/* Score of one phone number from its zone and the words around it. */
static int
score_phone(const ReplyWork *w, const RPhone *ph)
{
	int			score;
	bool		fax;

	if (ph->zone == ZONE_OTHER_SIG)
		return -100;
	/* the number of a refusal: "do not call my work number 213 555 0150" */
	for (int i = 0; i < w->nhits; i++)
		if (is_refusal(&w->hits[i]) && w->hits[i].end <= ph->tok && ph->tok - w->hits[i].end <= 3)
		{
			bool		same_clause = true;

			for (int k = w->hits[i].end; k < ph->tok; k++)
				if (w->toks[k].kind == TK_BOUND || (w->toks[k].flags & TF_PAREN))
					same_clause = false;
			if (same_clause)
				return -100;
		}
	score = ph->zone == ZONE_BODY ? 10 : 5;
	score += side_score(w, ph->tok, -1, &before_number, &fax);
	if (fax)
		return -100;
	score += side_score(w, ph->tok, +1, &after_number, &fax);
	if (fax)
		return -100;
	/* a signature's number counts only with a label */
	if (ph->zone == ZONE_SIG && score <= 5)
		return -1;
	return score;
}

/*
 * The kind of line a word names: 'o' an office or work line (office, work,
 * desk, direct, and a signature's "O:", "W:", "D:"), 'x' a main line or
 * switchboard, 'm' a mobile (cell, mobile, "M:", "C:"), 'h' a home line
 * (home, landline, house, "H:"); 0 for any other word.
 */
static char
line_kind(const ReplyWork *w, const RTok *t, bool letters)
{
	static const char *const words[][2] = {
		{"office", "o"}, {"work", "o"}, {"desk", "o"}, {"direct", "o"}, {"main", "x"}, {"o", "o"},
		{"w", "o"}, {"d", "o"}, {"cell", "m"}, {"mobile", "m"}, {"m", "m"}, {"c", "m"},
		{"home", "h"}, {"landline", "h"}, {"house", "h"}, {"h", "h"},
	};
	static uint16_t ids[(sizeof(words) / sizeof(words[0]))];
	static bool ready = false;

	if (!ready)
	{
		for (int i = 0; i < (int) (sizeof(words) / sizeof(words[0])); i++)
			ids[i] = reply_vocab_find(words[i][0], (int) strlen(words[i][0]));
		ready = true;
	}
	if (t->kind != TK_WORD || t->id == RV_UNKNOWN)
		return 0;
	/* "the land line" */
	if (t->id == reply_vocab_find("land", 4) && t + 1 < w->toks + w->ntoks && (t + 1)->id == reply_vocab_find("line", 4))
		return 'h';
	for (int i = 0; i < (int) (sizeof(words) / sizeof(words[0])); i++)
		if (ids[i] == t->id && (letters || words[i][0][1] != '\0'))
			return words[i][1][0];
	return 0;
}

/*
 * Whether the (up to three) words before token tok in its clause name the
 * kind of line wanted ("Direct/cell:" is both); "front desk" is a main line.
 */
static bool
labelled_as(const ReplyWork *w, int tok, char wanted)
{
	uint16_t	id_front = reply_vocab_find("front", 5);
	int			seen = 0;

	for (int i = tok - 1; i >= 0 && seen < 3; i--)
	{
		const RTok *t = &w->toks[i];
		char		kind;

		if (t->kind == TK_SOFT && !(t->flags & TF_PAREN))
			continue;
		if (t->kind != TK_WORD)
			break;
		seen++;
		kind = line_kind(w, t, true);
		if (kind == 'o' && i > 0 && w->toks[i - 1].kind == TK_WORD && w->toks[i - 1].id == id_front)
			kind = 'x';
		if (kind == wanted)
			return true;
	}
	return false;
}

/*
 * The kind of line the body names (line_kind): the first line word that a
 * call verb leads to ("use my cell", "reach me on my mobile") or that "is
 * better" follows ("cell is better"), else the
 * first one; not a single letter ("o" is Spanish "or"), nor "after/from
 * work", nor one a negator leads to ("not the office"); 0 if none.  *led:
 * a call word led to it.
 */
static char
named_line(const ReplyWork *w, bool *led)
{
	uint16_t	id_after = reply_vocab_find("after", 5),
				id_from = reply_vocab_find("from", 4),
				id_use = reply_vocab_find("use", 3),
				id_try = reply_vocab_find("try", 3),
				id_call = reply_vocab_find("call", 4),
				id_ring = reply_vocab_find("ring", 4),
				id_reach = reply_vocab_find("reach", 5),
				id_reached = reply_vocab_find("reached", 7),
				id_dial = reply_vocab_find("dial", 4),
				id_contact = reply_vocab_find("contact", 7),
				id_is = reply_vocab_find("is", 2);
	char		wanted = 0;

	for (int pass = 0; pass < 2 && wanted == 0; pass++)
		for (int i = 0; i < w->ntoks && wanted == 0; i++)
		{
			char		kind;
			bool		called = false,
						negated = false;

			if (w->toks[i].flags & TF_SIG)
				continue;
			kind = line_kind(w, &w->toks[i], false);
			if (kind == 0 || (i > 0 && w->toks[i - 1].kind == TK_WORD &&
							  (w->toks[i - 1].id == id_after || w->toks[i - 1].id == id_from)))
				continue;
			/*
			 * a call verb among the four words before it ("use my cell",
			 * "call the landline"), or "is better/best" right after it ("cell
			 * is better"); a negator anywhere before it in its clause
			 */
			for (int k = i - 1; k >= 0 && k >= i - 8 && w->toks[k].kind != TK_BOUND; k--)
			{
				uint32_t	wc = w->toks[k].kind == TK_WORD ? reply_vocab_class(w->toks[k].id) : 0;

				negated |= (wc & WC_NEGATOR) != 0;
				if (k >= i - 4 && w->toks[k].kind == TK_WORD &&
					(w->toks[k].id == id_use || w->toks[k].id == id_try || w->toks[k].id == id_call ||
					 w->toks[k].id == id_ring || w->toks[k].id == id_reach || w->toks[k].id == id_dial ||
					 w->toks[k].id == id_reached ||
					 w->toks[k].id == id_contact))
					called = true;
			}
			if (i + 2 < w->ntoks && w->toks[i + 1].kind == TK_WORD && w->toks[i + 1].id == id_is &&
				(reply_vocab_class(w->toks[i + 2].id) & WC_PREFER))
				called = true;
			if (!negated && (called || pass == 1))
			{
				wanted = kind;
				*led = called;
			}
		}
	return wanted;
}

/*
 * Where the body keeps the lead's signature numbers out of it (the token, or -1): the words
 * "signature" or "below" with a negator or "only" at most four words from
 * them in their clause ("not the numbers below", "my signature numbers are
 * work only"; not "call the number below, only after 5pm").
 */
static int
signature_refused_at(const ReplyWork *w)
{
	uint16_t	id_signature = reply_vocab_find("signature", 9),
				id_below = reply_vocab_find("below", 5),
				id_only = reply_vocab_find("only", 4);
	int			names = -100,
				refuses = -100,
				words = 0;

	for (int i = 0; i < w->ntoks; i++)
	{
		const RTok *t = &w->toks[i];

		if (t->flags & TF_SIG)
			break;
		if (t->kind == TK_BOUND || t->kind == TK_SOFT)
		{
			names = refuses = -100;	/* not "my cell is in the signature, please call that, not the main line" */
			continue;
		}
		if (t->kind != TK_WORD)
			continue;
		words++;
		if (t->id == RV_UNKNOWN)
			continue;
		if (t->id == id_signature || t->id == id_below)
			names = words;
		if (t->id == id_only || (reply_vocab_class(t->id) & WC_NEGATOR))
			refuses = words;
		if (names > 0 && refuses > 0 && abs(names - refuses) <= 4)
			return i;
	}
	return -1;
}

/*
 * Where the body says to use the number the broker already has ("the
 * number you have on file", "you have my number", "the one you have"), or
 * -1: then no number after it (a signature's) is the callback one.
 */
static int
stored_number_named(const ReplyWork *w)
{
	uint16_t	id_you = reply_vocab_find("you", 3),
				id_have = reply_vocab_find("have", 4),
				id_got = reply_vocab_find("got", 3),
				id_file = reply_vocab_find("file", 4),
				id_on = reply_vocab_find("on", 2),
				id_number = reply_vocab_find("number", 6),
				id_one = reply_vocab_find("one", 3);

	for (int i = 1; i + 1 < w->ntoks; i++)
	{
		const RTok *t = &w->toks[i];
		bool		named = false,
					negated = false;

		if (t->kind != TK_WORD || (t->flags & TF_SIG) || t->id == RV_UNKNOWN)
			continue;

		/* "on file" */
		if (t->id == id_file && w->toks[i - 1].id == id_on)
			named = true;
		/* "you have my number", "the one you have", "number you've got" */
		if (t->id == id_you && (w->toks[i + 1].id == id_have || w->toks[i + 1].id == id_got))
			for (int k = i - 2; k <= i + 4 && k < w->ntoks; k++)
				if (k >= 0 && k != i && (w->toks[k].id == id_number || w->toks[k].id == id_one))
					named = true;
		if (!named)
			continue;
		/* not "don't use the number you have on file", "not the one you have" */
		for (int k = i - 1; k >= 0 && k >= i - 8 && w->toks[k].kind != TK_BOUND; k--)
			negated |= w->toks[k].kind == TK_WORD && (reply_vocab_class(w->toks[k].id) & WC_NEGATOR);
		/* nor "the number you have is old", "... is no longer in service" */
		for (int k = i + 1; k < w->ntoks && k <= i + 8 && w->toks[k].kind != TK_BOUND; k++)
			negated |= w->toks[k].kind == TK_WORD &&
				((reply_vocab_class(w->toks[k].id) & WC_OLD) ||
				 ((reply_vocab_class(w->toks[k].id) & WC_NEGATOR) && k + 1 < w->ntoks &&
				  w->toks[k + 1].id == reply_vocab_find("longer", 6)));
		if (!negated)
			return i;
	}
	return -1;
}

/*
 * The number to call when the chosen one (index in w->phones, or -1) is not
 * the body's: a call request whose body gives no number takes the lead's
 * own signature's ("Call me Thursday." over "Phone 505-555-0131"), and of a
 * signature's numbers the one labelled as the line the body names first
 * ("call me at the office", "try my cell").  That is the signature's one
 * number that is not a fax, or the labelled one; otherwise the chosen
 * number stays.  None when the body keeps its signature out ("not the
 * numbers below", "my signature numbers are work only").  named_only: only
 * the labelled one (a weaker request that names its line: "Mobile is
 * best").  Call after reply_choose_phone.
 */
int
reply_signature_phone(const ReplyWork *w, int chosen, bool named_only)
{
	char		wanted;
	int			only = -1,
				labelled = -1,
				candidates = 0;
	bool		led = false;

	if (signature_refused_at(w) >= 0 || stored_number_named(w) >= 0)
		return -1;
	for (int i = 0; i < w->nhits; i++)
		if (is_refusal(&w->hits[i]))
			return chosen;
	wanted = named_line(w, &led);
	for (int i = 0; i < w->nphones; i++)
	{
		const RPhone *ph = &w->phones[i];

		if (ph->tok < 0 || ph->zone != ZONE_SIG || ph->score <= -100)
			continue;
		candidates++;
		only = i;
		if (wanted != 0 && labelled_as(w, ph->tok, wanted) && labelled < 0)
			labelled = i;
	}
	if (labelled >= 0)
		return labelled;
	return candidates == 1 && !named_only ? only : chosen;
}

/*
 * The body number an ordinal names ("use the second one", "call the
 * first number"): its position among the body's numbers, 1-based, or 0.
 */
static int
ordinal_named(const ReplyWork *w)
{
	static const char *const ordinals[] = {"first", "second", "third"};
	uint16_t	id_use = reply_vocab_find("use", 3),
				id_try = reply_vocab_find("try", 3),
				id_the = reply_vocab_find("the", 3);

	for (int i = 1; i + 1 < w->ntoks; i++)
	{
		const RTok *t = &w->toks[i];

		if (t->kind != TK_WORD || (t->flags & TF_SIG) || t->id == RV_UNKNOWN || w->toks[i - 1].id != id_the)
			continue;
		for (int o = 0; o < 3; o++)
			if (t->id == reply_vocab_find(ordinals[o], (int) strlen(ordinals[o])))
			{
				const RTok *verb = i >= 2 ? &w->toks[i - 2] : NULL;

				if (verb != NULL && verb->kind == TK_WORD &&
					(verb->id == id_use || verb->id == id_try || (reply_vocab_class(verb->id) & WC_CALL_WORD)))
					return o + 1;
			}
	}
	return 0;
}

/* The callback number: index in w->phones of the best-scored one, or -1. */
int
reply_choose_phone(ReplyWork *w)
{
	int			best = -1,
				nth = ordinal_named(w),
				body = 0,
				refused_from = signature_refused_at(w),
				stored_from = stored_number_named(w);
	bool		led = false;
	char		wanted = named_line(w, &led);

	for (int i = 0; i < w->nphones; i++)
	{
		RPhone	   *ph = &w->phones[i];

		if (ph->tok < 0)
			continue;
		ph->score = score_phone(w, ph);
		/* "Please call the number you have, NOT the numbers below" */
		if ((refused_from >= 0 && ph->tok > refused_from) || (stored_from >= 0 && ph->tok > stored_from))
			ph->score = -100;
		/* the line the body names: "Call my direct" over a "Cell:" beside it */
		if (ph->score > 0 && ph->zone == ZONE_BODY && led && labelled_as(w, ph->tok, wanted))
			ph->score += 4;
		/* "404 555 0121 or 404 555 0156. Use the second one" */
		if (ph->zone == ZONE_BODY && ++body == nth && ph->score > 0)
			ph->score += 6;
		if (ph->score > 0 && (best < 0 || ph->score > w->phones[best].score))
			best = i;
	}
	return best;
}
