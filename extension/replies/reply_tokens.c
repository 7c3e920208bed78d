/*
 * reply_tokens.c
 *	  The lead's own lines as tokens: words (as vocabulary ids), clause
 *	  boundaries, soft separators, phone numbers, other numbers, e-mail
 *	  addresses and links.
 *
 * Sentence punctuation (. ! ? ;) and the end of a line that ends a sentence
 * are boundaries: no phrase and no negation reaches across them.  Commas,
 * colons and dashes are soft: phrases pass over them ("no, thanks"), a
 * negation does not ("No, call me").  A line break inside a sentence wrapped
 * by the mail client is soft too.  Digits, a "+" or "(" before digits, and
 * runs of spelled digits are handed to reply_phone.c.
 */
#include "core/chars.h"
#include "replies/reply_internal.h"

#include <string.h>

#define WORD_BUF 24

/*
 * Length of a UTF-8 punctuation sequence at p that is not part of a word,
 * and its meaning: 'q' quote or apostrophe, 'd' dash, 'e' ellipsis, 's'
 * space; 0 if none.
 */
static int
utf8_punct(const char *p, const char *end, char *what)
{
	const unsigned char *u = (const unsigned char *) p;

	/* a non-breaking space; Spanish opening marks (inverted ? and !) */
	if (end - p >= 2 && u[0] == 0xc2 && (u[1] == 0xa0 || u[1] == 0xbf || u[1] == 0xa1))
	{
		*what = 's';
		return 2;
	}
	/* guillemets */
	if (end - p >= 2 && u[0] == 0xc2 && (u[1] == 0xab || u[1] == 0xbb))
	{
		*what = 'q';
		return 2;
	}
	if (end - p >= 3 && u[0] == 0xe2 && u[1] == 0x80)
	{
		switch (u[2])
		{
			case 0x98:
			case 0x99:
			case 0x9c:
			case 0x9d:
				*what = 'q';
				return 3;
			case 0x93:
			case 0x94:
				*what = 'd';
				return 3;
			case 0xa6:
				*what = 'e';
				return 3;
		}
	}
	return 0;
}

/*
 * The ASCII letter an accented Latin letter of UTF-8 (two bytes, c3 80 to
 * c3 bf) is read as, or 0: "llámame" is "llamame", "dueño" is "dueno",
 * "Büro" is "buro".  Spanish and German replies are written with and
 * without accents, so the rules are written without them.
 */
static char
latin_fold(unsigned char lead, unsigned char c)
{
	static const char folds[] =
		"aaaaaaaceeeeiiiidnooooo\0ouuuuyts"	/* c3 80 .. c3 9f (upper case) */
		"aaaaaaaceeeeiiiidnooooo\0ouuuuyty";	/* c3 a0 .. c3 bf (lower case) */

	if (lead != 0xc3 || c < 0x80 || c > 0xbf)
		return 0;
	return folds[c - 0x80];
}

/* Appends a token; false when the array is full. */
static bool
push(ReplyWork *w, uint8_t kind, uint16_t id, int32_t start, int32_t end, uint8_t flags)
{
	RTok	   *t;

	if (w->ntoks >= RW_MAX_TOKENS)
		return false;
	t = &w->toks[w->ntoks++];
	t->kind = kind;
	t->id = id;
	t->start = start;
	t->end = end;
	t->flags = flags;
	return true;
}

/* Appends a boundary, merging it with a boundary just before. */
static void
push_bound(ReplyWork *w, int32_t start, int32_t end, uint8_t flags)
{
	if (w->ntoks > 0 && w->toks[w->ntoks - 1].kind == TK_BOUND)
	{
		w->toks[w->ntoks - 1].flags |= flags;
		w->toks[w->ntoks - 1].end = end;
		return;
	}
	push(w, TK_BOUND, 0, start, end, flags);
}

/* Appends a soft separator, unless one or a boundary is just before. */
static void
push_soft(ReplyWork *w, int32_t start, int32_t end, uint8_t flags)
{
	if (w->ntoks > 0 && (w->toks[w->ntoks - 1].kind == TK_BOUND || w->toks[w->ntoks - 1].kind == TK_SOFT))
		return;
	push(w, TK_SOFT, 0, start, end, flags);
}

/*
 * A word at p: its end, written into buf in lower case without hyphens and
 * with typographic apostrophes as '.  Sets *email when it has an '@'.
 */
static int32_t
scan_word(const char *t, int32_t p, int32_t end, char *buf, int *blen, bool *email)
{
	int			n = 0;

	*email = false;
	while (p < end)
	{
		unsigned char c = (unsigned char) t[p];
		char		what;
		int			k = utf8_punct(t + p, t + end, &what);

		if (k > 0)
		{
			/* a typographic apostrophe between letters belongs to the word */
			if (what == 'q' && k == 3 && (unsigned char) t[p + 2] == 0x99 && p + k < end &&
				vp_is_word_byte((unsigned char) t[p + k]) && n > 0)
			{
				if (n < WORD_BUF - 1)
					buf[n++] = '\'';
				p += k;
				continue;
			}
			break;
		}
		if (c == 0xc3 && p + 1 < end && latin_fold(c, (unsigned char) t[p + 1]) != 0)
		{
			if (n < WORD_BUF - 1)
				buf[n++] = latin_fold(c, (unsigned char) t[p + 1]);
			p += 2;
			continue;
		}
		if (vp_is_word_byte(c))
		{
			if (n < WORD_BUF - 1)
				buf[n++] = (char) vp_to_lower(c);
			p++;
			continue;
		}
		if ((c == '\'' || c == '-') && n > 0 && p + 1 < end && vp_is_word_byte((unsigned char) t[p + 1]))
		{
			if (c == '\'' && n < WORD_BUF - 1)
				buf[n++] = '\'';
			p++;
			continue;
		}
		if (c == '@' || ((c == '.' || c == '_' || c == '+') && *email && p + 1 < end &&
						 vp_is_word_byte((unsigned char) t[p + 1])))
		{
			*email = true;
			p++;
			continue;
		}
		if ((c == '.' || c == '_' || c == '+') && p + 1 < end && vp_is_word_byte((unsigned char) t[p + 1]))
		{
			/* a dot inside a word: an address still to come, or an abbreviation */
			int32_t		q = p + 1;

			while (q < end && (vp_is_word_byte((unsigned char) t[q]) || t[q] == '.' || t[q] == '_' ||
							   t[q] == '-' || t[q] == '+'))
				q++;
			if (q < end && t[q] == '@')
			{
				*email = true;
				p++;
				continue;
			}
			break;
		}
		break;
	}
	*blen = n;
	return p;
}

/* Whether the text at p starts a link. */
static bool
starts_link(const char *t, int32_t p, int32_t end)
{
	static const char *const prefixes[] = {"http://", "https://", "www.", NULL};

	if ((t[p] | 0x20) != 'h' && (t[p] | 0x20) != 'w')
		return false;
	for (int k = 0; prefixes[k]; k++)
	{
		int			n = (int) strlen(prefixes[k]);

		if (end - p >= n)
		{
			int			i = 0;

			while (i < n && (t[p + i] | 0x20) == prefixes[k][i])
				i++;
			if (i == n)
				return true;
		}
	}
	return false;
}

/* The flags of every token of a line: TF_SIG outside the body. */
static inline uint8_t
line_flags(const RLine *line)
{
	return line->zone == ZONE_BODY ? 0 : TF_SIG;
}

/* Appends the phone number w->phones[phone], read from line at [p, next). */
static void
push_phone(ReplyWork *w, const RLine *line, int phone, int32_t p, int32_t next)
{
	w->phones[phone].zone = line->zone;
	w->phones[phone].tok = w->ntoks;
	push(w, TK_PHONE, RV_PHONE, p, next, line_flags(line));
}

/* Whether a number starts at p: a digit, or a "+" or "(" before one ("+ 44" too). */
static bool
starts_number(const char *t, int32_t p, int32_t end)
{
	unsigned char c = (unsigned char) t[p];

	return vp_is_digit(c) || ((c == '+' || c == '(') && p + 1 < end && vp_is_digit((unsigned char) t[p + 1])) ||
		(c == '+' && p + 2 < end && t[p + 1] == ' ' && vp_is_digit((unsigned char) t[p + 2]));
}

/*
 * The number at p (starts_number): a phone number or another number.
 * Returns its end.  A number that is not a phone on its own line but runs
 * to the line's end may go on over the next lines up to spill_end ("call me
 * at (305) 555-" / "0174", "336" / "555" / "0170"); digits with spelled
 * ones after them ("417 555 oh one eight three") are read as one number.
 */
static int32_t
tokenise_number(ReplyWork *w, const RLine *line, int32_t p, int32_t spill_end)
{
	const char *t = w->text;
	int32_t		next,
				q;
	int			phone = reply_scan_number(w, p, line->end, &next);

	if (phone < 0 && spill_end > line->end)
	{
		for (q = next; q < line->end && (t[q] == ' ' || t[q] == '-' || t[q] == '.' || t[q] == ')'); q++)
			;
		if (q == line->end)
		{
			int32_t		next2;
			int			phone2 = reply_scan_number(w, p, spill_end, &next2);

			if (phone2 >= 0 && next2 > line->end)
			{
				push_phone(w, line, phone2, p, next2);
				return next2;
			}
		}
	}
	if (phone < 0 && next < line->end)
	{
		int32_t		next2;
		int			phone2 = reply_scan_spelled(w, p, line->end, &next2);

		if (phone2 >= 0 && next2 > next)
		{
			phone = phone2;
			next = next2;
		}
	}
	if (phone >= 0)
		push_phone(w, line, phone, p, next);
	else
		push(w, TK_NUM, RV_NUM, p, next, line_flags(line));
	return next;
}

/*
 * The word at p (a word byte): a link, an e-mail address, the first of
 * spelled digits of a phone number, or a word of one to four vocabulary ids
 * ("don't" is do not).  Returns the end of what it took.
 */
static int32_t
tokenise_word(ReplyWork *w, const RLine *line, int32_t p)
{
	const char *t = w->text;
	int32_t		end = line->end;
	uint8_t		zflag = line_flags(line);
	char		buf[WORD_BUF];
	int			blen;
	bool		email;
	int32_t		wend;
	uint16_t	ids[4];
	int			nids;

	if (starts_link(t, p, end))
	{
		wend = p;
		while (wend < end && t[wend] != ' ' && t[wend] != '\t' && t[wend] != '>' && t[wend] != ')')
			wend++;
		push(w, TK_URL, RV_URL, p, wend, zflag);
		return wend;
	}
	wend = scan_word(t, p, end, buf, &blen, &email);
	if (email)
	{
		while (wend > p && t[wend - 1] == '.')
			wend--;
		push(w, TK_EMAIL, RV_EMAIL, p, wend, zflag);
		return wend;
	}
	nids = reply_vocab_expand(buf, blen, ids, 4);
	if (nids == 1 && (reply_vocab_class(ids[0]) & WC_DIGIT) && ids[0] != reply_vocab_find("oh", 2))
	{
		int32_t		next;
		int			phone = reply_scan_spelled(w, p, end, &next);

		if (phone >= 0)
		{
			push_phone(w, line, phone, p, next);
			return next;
		}
	}
	for (int i = 0; i < nids; i++)
	{
		uint8_t		flags = zflag;

		if (nids == 1 && ids[0] == RV_UNKNOWN && vp_is_upper((unsigned char) t[p]))
			flags |= TF_CAP;
		push(w, TK_WORD, ids[i], p, wend, flags);
	}
	return wend;
}

/* The token of the ASCII punctuation at p, if any: a boundary, a soft separator, or "#" as a word. */
static void
tokenise_punct(ReplyWork *w, const RLine *line, int32_t p)
{
	const char *t = w->text;
	uint8_t		zflag = line_flags(line);

	switch (t[p])
	{
		case '.':
			/* a.m., e.g., 2.5: a dot inside a word ends nothing */
			if (p + 1 < line->end && vp_is_word_byte((unsigned char) t[p + 1]))
				break;
			push_bound(w, p, p + 1, zflag);
			break;
		case '!':
		case ';':
			push_bound(w, p, p + 1, zflag);
			break;
		case '?':
			push_bound(w, p, p + 1, zflag | TF_QMARK);
			break;
		case ',':
		case ':':
			push_soft(w, p, p + 1, zflag);
			break;
		case '-':
			if ((p + 1 >= line->end || t[p + 1] == ' ' || t[p + 1] == '-') && (p == line->start || t[p - 1] == ' '))
				push_soft(w, p, p + 1, zflag);
			break;
		case '#':
			/* "best # is", "cell #:": the word number (before digits it is an order mark) */
			if (p + 1 >= line->end || t[p + 1] == ' ' || t[p + 1] == ':')
			{
				uint16_t	number = reply_vocab_find("number", 6);

				push(w, TK_WORD, number, p, p + 1, zflag);
			}
			break;
		case '|':
		case '(':
		case ')':
			/*
			 * "home X (nobody answers it), cell Y", "Tel X | Fax Y": an aside
			 * or a field of a signature line is not its neighbours' clause
			 */
			push_soft(w, p, p + 1, zflag);
			if (w->toks[w->ntoks - 1].kind == TK_SOFT)
				w->toks[w->ntoks - 1].flags |= TF_PAREN;
			break;
		default:
			/* quotes, symbols: nothing */
			break;
	}
}

/*
 * Tokenises one line of the reply from start (past what a number of the
 * line before took); a number may go on up to spill_end.  Returns where
 * tokenising stopped: beyond the line's end when a number went on.
 */
static int32_t
tokenise_line(ReplyWork *w, const RLine *line, int32_t start, int32_t spill_end)
{
	const char *t = w->text;
	int32_t		p = start;
	int32_t		end = line->end;
	uint8_t		zflag = line_flags(line);

	while (p < end && w->ntoks < RW_MAX_TOKENS)
	{
		unsigned char c = (unsigned char) t[p];
		char		what;
		int			k = utf8_punct(t + p, t + end, &what);

		if (k > 0)
		{
			if (what == 'd')
				push_soft(w, p, p + k, zflag);
			else if (what == 'e')
				push_bound(w, p, p + k, zflag);
			p += k;
		}
		else if (c == ' ' || c == '\t' || c == '\r')
			p++;
		else if (starts_number(t, p, end))
			p = tokenise_number(w, line, p, spill_end);
		else if (vp_is_word_byte(c))
			p = tokenise_word(w, line, p);
		else
		{
			tokenise_punct(w, line, p);
			p++;
		}
	}
	return p;
}

/*
 * Whether the break after line i ends a sentence: the next own line is
 * empty, in another zone, or starts with a capital, a digit or a symbol.
 * A line ending in punctuation has already produced its token.
 */
static bool
line_break_is_boundary(const ReplyWork *w, int i)
{
	const RLine *next;
	unsigned char c;

	if (i + 1 >= w->nlines)
		return true;
	next = &w->lines[i + 1];
	if (next->start == next->end || next->zone != w->lines[i].zone ||
		w->lines[i].start == w->lines[i].end)
		return true;
	if (next->start != w->lines[i].end + 1 && next->start != w->lines[i].end + 2)
		return true;			/* quoted lines were between them */
	c = (unsigned char) w->text[next->start];
	return !vp_is_lower(c);
}

/* Fills w->toks from w->lines. */
void
reply_tokenise(ReplyWork *w)
{
	int32_t		taken = 0;		/* where a number that went over lines ended */

	w->ntoks = 0;
	w->nphones = 0;
	for (int i = 0; i < w->nlines && w->ntoks < RW_MAX_TOKENS; i++)
	{
		const RLine *line = &w->lines[i];
		uint8_t		zflag = line_flags(line);
		int32_t		spill_end = line->end;

		if (taken >= line->end && line->start < line->end)
			continue;			/* all of it was a number's */
		/* a number may go on over up to two more lines of the same paragraph */
		for (int k = i + 1; k < w->nlines && k <= i + 2; k++)
		{
			const RLine *next = &w->lines[k];

			if (next->start == next->end || next->zone != line->zone ||
				(next->start != w->lines[k - 1].end + 1 && next->start != w->lines[k - 1].end + 2))
				break;
			spill_end = next->end;
		}
		taken = tokenise_line(w, line, taken > line->start ? taken : line->start, spill_end);
		if (taken > line->end)
			continue;			/* the number goes on: no break between the lines */
		if (line_break_is_boundary(w, i))
			push_bound(w, line->end, line->end, zflag);
		else
			push_soft(w, line->end, line->end, zflag);
	}
}

/* See reply_internal.h: whether a word of tokens [start, end) has a class of wclass. */
bool
reply_span_has(const ReplyWork *w, int start, int end, uint32_t wclass)
{
	for (int k = start < 0 ? 0 : start; k < end && k < w->ntoks; k++)
		if (w->toks[k].kind == TK_WORD && (reply_vocab_class(w->toks[k].id) & wclass))
			return true;
	return false;
}
