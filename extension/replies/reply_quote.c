/*
 * reply_quote.c
 *	  Which lines of a reply are the lead's own words.
 *
 * A reply carries the thread it answers and often signatures.  Reading
 * stops at the first line that starts a quoted or forwarded message
 * ("On <date> <someone> wrote:", "-----Original Message-----", an Outlook
 * "From:/Sent:/To:" block, "Begin forwarded message:", "Sent from my
 * iPhone", a legal disclaimer); lines starting with ">" are dropped wherever
 * they are (inline replies).  What is left is split into the body and the
 * lead's signature (after a sign-off such as "Regards," or "--", or a final
 * block of short lines with contact details).  A signature block that names
 * a loan officer (NMLS, "Loan Officer", ...) is the sender's, left over
 * from a quote without markers: its numbers are not the lead's.
 */
#include "core/chars.h"
#include "replies/reply_internal.h"

#include <string.h>

/* Lines examined (own or not); a reply longer than this is cut. */
#define MAX_RAW_LINES (RW_MAX_LINES * 2)

typedef struct RawLine
{
	int32_t		start;			/* trimmed */
	int32_t		end;
} RawLine;

/* The reply's lines, split as far as they are needed (not into the quote). */
typedef struct RawLines
{
	RawLine		line[MAX_RAW_LINES];
	int			n;
	int32_t		pos;			/* where the next line starts */
} RawLines;

/* Splits lines until there are more than k, or the text ends. */
static void
split_until(const ReplyWork *w, RawLines *raw, int k)
{
	const char *t = w->text;

	while (raw->n <= k && raw->pos < w->len && raw->n < MAX_RAW_LINES)
	{
		int32_t		s = raw->pos,
					e;
		const char *nl = memchr(t + s, '\n', w->len - s);

		e = nl ? (int32_t) (nl - t) : w->len;
		raw->pos = e + 1;
		while (s < e && (t[s] == ' ' || t[s] == '\t' || t[s] == '\r'))
			s++;
		while (e > s && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\r'))
			e--;
		/* a non-breaking space (UTF-8 c2 a0) alone counts as empty */
		if (e - s == 2 && (unsigned char) t[s] == 0xc2 && (unsigned char) t[s + 1] == 0xa0)
			e = s;
		raw->line[raw->n].start = s;
		raw->line[raw->n].end = e;
		raw->n++;
	}
}

/* ASCII lower case of c, as a char: it is compared with the char patterns below (some not ASCII). */
static inline char
lower(char c)
{
	return (char) vp_to_lower((unsigned char) c);
}

/* Whether s[0..n) starts with the lower-case ASCII prefix p. */
static bool
starts_ci(const char *s, int n, const char *p)
{
	int			k;

	if (n == 0 || lower(s[0]) != p[0])
		return false;
	k = (int) strlen(p);
	if (n < k)
		return false;
	for (int i = 0; i < k; i++)
		if (lower(s[i]) != p[i])
			return false;
	return true;
}

/* Whether s[0..n) contains the lower-case ASCII string p. */
static bool
contains_ci(const char *s, int n, const char *p)
{
	int			k = (int) strlen(p);

	for (int i = 0; i + k <= n; i++)
	{
		int			j = 0;

		if (lower(s[i]) != p[0])
			continue;
		while (j < k && lower(s[i + j]) == p[j])
			j++;
		if (j == k)
			return true;
	}
	return false;
}

/* Whether s[0..n) ends with the lower-case ASCII suffix p (spaces before ':' allowed). */
static bool
ends_ci(const char *s, int n, const char *p)
{
	int			k,
				i = n - 1,
				j;

	if (n == 0 || s[n - 1] != ':')
		return false;
	k = (int) strlen(p);
	j = k - 1;

	while (j >= 0 && i >= 0)
	{
		if (p[j] == ':' && s[i] == ':')
		{
			i--;
			j--;
			while (i >= 0 && s[i] == ' ')
				i--;
			continue;
		}
		if (lower(s[i]) != p[j])
			return false;
		i--;
		j--;
	}
	return j < 0;
}

/*
 * Whether the line holds "original message", "forwarded message", "reply
 * message", "intended recipient" or "confidentiality notice" anywhere: one
 * pass looking for the second words, then the first word before them.
 */
static bool
has_marker(const char *s, int n)
{
	for (int i = 1; i + 6 <= n; i++)
	{
		char		c = lower(s[i]);

		if (c == 'm' && starts_ci(s + i, n - i, "message"))
		{
			if ((i >= 9 && starts_ci(s + i - 9, 9, "original ")) ||
				(i >= 10 && starts_ci(s + i - 10, 10, "forwarded ")) ||
				(i >= 6 && starts_ci(s + i - 6, 6, "reply ")))
				return true;
		}
		else if (c == 'r' && i >= 9 && starts_ci(s + i, n - i, "recipient") &&
				 starts_ci(s + i - 9, 9, "intended "))
			return true;
		else if (c == 'n' && i >= 16 && starts_ci(s + i, n - i, "notice") &&
				 starts_ci(s + i - 16, 16, "confidentiality "))
			return true;
	}
	return false;
}

/* Whether line i or one of the next two, without an empty line between, contains p (a header wrapped over lines). */
static bool
soon_contains(const char *t, const RawLine *raw, int nraw, int i, const char *p)
{
	for (int k = i; k < nraw && k <= i + 2; k++)
	{
		if (contains_ci(t + raw[k].start, raw[k].end - raw[k].start, p))
			return true;
		if (raw[k].start == raw[k].end)
			break;				/* a wrapped header has no empty line inside */
	}
	return false;
}

/* Whether one of the next four lines starts like an e-mail header line. */
static bool
header_follows(const char *t, const RawLine *raw, int nraw, int i)
{
	static const char *const heads[] = {"sent:", "date:", "to:", "subject:", "cc:", "gesendet:",
	"an:", "betreff:", "datum:", "enviado:", "para:", "asunto:", "fecha:", NULL};

	for (int k = i + 1; k < nraw && k <= i + 4; k++)
		for (int h = 0; heads[h]; h++)
			if (starts_ci(t + raw[k].start, raw[k].end - raw[k].start, heads[h]))
				return true;
	return false;
}

/* Whether line i starts the quoted or forwarded part, a device tag or a disclaimer. */
static bool
is_cut(const char *t, const RawLine *raw, int nraw, int i)
{
	const char *s = t + raw[i].start;
	int			n = raw[i].end - raw[i].start;
	static const char *const prefixes[] = {
		"begin forwarded message", "sent from my ", "sent from mail", "sent from outlook",
		"sent from yahoo", "sent from samsung", "sent via ", "get outlook for", "von meinem iphone",
		"von meinem smartphone", "envoy\xc3\xa9 de mon", "disclaimer:", "this e-mail and any",
		"this email and any", "this message and any", "enviado desde mi", "enviado desde outlook",
		"obtener outlook para", "the contents of this", "the information contained in this",
		"the information in this", "this email is intended", "this e-mail is intended",
		"this message is intended", "any tax advice", "nothing in this email", "nothing in this e-mail",
		"privileged and confidential", "confidential:", "this e-mail, including", "this email, including",
		"this message, including", NULL
	};

	if (n == 0)
		return false;
	/* the prefixes start with one of these letters */
	if (strchr("bsgvedtonapc", lower(s[0])) != NULL)
		for (int k = 0; prefixes[k]; k++)
			if (starts_ci(s, n, prefixes[k]))
				return true;
	if (has_marker(s, n))
		return true;
	/* "On Thu, Nov 20, 2026 at 9:02 AM Dana Lee <x@y> wrote:", possibly wrapped */
	if ((starts_ci(s, n, "on ") && soon_contains(t, raw, nraw, i, "wrote")) ||
		(starts_ci(s, n, "am ") && soon_contains(t, raw, nraw, i, "schrieb")) ||
		(starts_ci(s, n, "le ") && soon_contains(t, raw, nraw, i, "crit")) ||
		(starts_ci(s, n, "el ") && soon_contains(t, raw, nraw, i, "escribi")))
		return true;
	if (ends_ci(s, n, "wrote:") || ends_ci(s, n, "schrieb:") || ends_ci(s, n, "crit:") ||
		ends_ci(s, n, "escribi\xc3\xb3:"))
		return true;
	/* an Outlook header block, or its separator line */
	if ((starts_ci(s, n, "from:") || starts_ci(s, n, "von:") || starts_ci(s, n, "de:")) &&
		header_follows(t, raw, nraw, i))
		return true;
	if (n >= 8)
	{
		int			under = 0;

		while (under < n && s[under] == '_')
			under++;
		if (under >= 8)
			return true;
	}
	return false;
}

/* Number of words (runs of non-space bytes) in s[0..n). */
static int
word_count(const char *s, int n)
{
	int			words = 0;
	bool		in = false;

	for (int i = 0; i < n; i++)
	{
		bool		sp = s[i] == ' ' || s[i] == '\t';

		if (!sp && !in)
			words++;
		in = !sp;
	}
	return words;
}

/*
 * Whether the line is a closing alone: "Thanks,", "Best regards", "Cheers!".
 * A closing that ends with '*' in the table is a prefix (German closings
 * continue in non-ASCII letters).
 */
static bool
is_signoff(const char *s, int n)
{
	static const char *const closings[] = {
		"thanks", "thank you", "thx", "many thanks", "regards", "best regards", "kind regards",
		"warm regards", "warmest regards", "best", "best wishes", "all the best", "cheers",
		"sincerely", "yours sincerely", "yours truly", "respectfully", "take care", "rgds", "br",
		"talk soon", "mit freundlichen gr*", "viele gr*", "beste gr*", "gr*", "gracias", "muchas gracias",
		"saludos", "saludos cordiales", "un saludo", "atentamente", "cordialmente", "bendiciones", NULL
	};

	while (n > 0 && (s[n - 1] == ',' || s[n - 1] == '!' || s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	if (n == 0 || n > 24)
		return false;
	for (int k = 0; closings[k]; k++)
	{
		int			c;

		if (closings[k][0] != lower(s[0]))
			continue;
		c = (int) strlen(closings[k]);

		if (closings[k][c - 1] == '*')
		{
			char		prefix[32];

			memcpy(prefix, closings[k], c - 1);
			prefix[c - 1] = '\0';
			if (starts_ci(s, n, prefix) && n > c - 1 && (unsigned char) s[c - 1] >= 0x80 &&
				word_count(s, n) <= 3)
				return true;
		}
		else if (n == c && starts_ci(s, n, closings[k]))
			return true;
	}
	return false;
}

/* Whether the line looks like a name: one to four capitalised words, no digits. */
static bool
name_like(const char *s, int n)
{
	bool		word_start = true;
	int			words = word_count(s, n);

	if (words < 1 || words > 4)
		return false;
	for (int i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (vp_is_digit(c) || c == '@')
			return false;
		if (word_start && vp_is_lower(c))
			return false;
		word_start = c == ' ' || c == '-';
	}
	return true;
}

/* Whether the line names a loan officer: the sender's signature, not the lead's. */
static bool
names_loan_officer(const char *s, int n)
{
	static const char *const marks[] = {"nmls", "loan officer", "loan originator", "mortgage advisor",
	"mortgage consultant", "mortgage broker", "brokerage", "realtor", NULL};

	for (int k = 0; marks[k]; k++)
		if (contains_ci(s, n, marks[k]))
			return true;
	return false;
}

/* Whether a line ends like a sentence (so it is not a signature line). */
static bool
ends_sentence(const char *s, int n)
{
	return n > 0 && (s[n - 1] == '?' || s[n - 1] == '!' ||
					 (s[n - 1] == '.' && word_count(s, n) > 3));
}

/* Whether the line carries contact details: a digit, an @ or a | separator. */
static bool
has_contact(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (vp_is_digit((unsigned char) s[i]) || s[i] == '@' || s[i] == '|')
			return true;
	return false;
}

/*
 * Fills w->lines with the lead's own lines (empty lines kept as paragraph
 * breaks, start == end) and their zones.
 */
void
reply_own_lines(ReplyWork *w)
{
	RawLines	rl;
	const RawLine *raw = rl.line;
	int			own_end;
	int			signoff = -1,
				delimiter = -1;
	const char *t = w->text;

	/* own lines: up to the first cut, without quoted lines */
	rl.n = 0;
	rl.pos = 0;
	w->nlines = 0;
	w->quote_start = -1;
	for (int i = 0; w->nlines < RW_MAX_LINES; i++)
	{
		const char *s;
		int			n;

		/* the cut tests look four lines ahead */
		split_until(w, &rl, i + 4);
		if (i >= rl.n)
			break;
		s = t + raw[i].start;
		n = raw[i].end - raw[i].start;
		if (n > 0 && (s[0] == '>' || s[0] == '|'))
		{
			if (w->quote_start < 0)
				w->quote_start = raw[i].start;
			continue;
		}
		if (n > 0 && is_cut(t, raw, rl.n, i))
		{
			if (w->quote_start < 0)
				w->quote_start = raw[i].start;
			break;
		}
		if ((n == 2 && s[0] == '-' && s[1] == '-') ||
			(n == 3 && (unsigned char) s[0] == 0xe2 && (unsigned char) s[1] == 0x80 &&
			 (unsigned char) s[2] == 0x94))
		{
			if (delimiter < 0)
				delimiter = w->nlines;
			continue;
		}
		if (n > 0 && signoff < 0 && delimiter < 0 && w->nlines > 0 && is_signoff(s, n))
			signoff = w->nlines;
		w->lines[w->nlines].start = raw[i].start;
		w->lines[w->nlines].end = raw[i].end;
		w->lines[w->nlines].zone = ZONE_BODY;
		w->nlines++;
	}
	own_end = w->nlines;
	while (own_end > 0 && w->lines[own_end - 1].start == w->lines[own_end - 1].end)
		own_end--;

	/*
	 * A sign-off counts only if a name follows it and then nothing but short
	 * lines: "Thanks!" above "Please call me" is not one.
	 */
	if (signoff >= 0)
	{
		int			after = 0;

		for (int i = signoff + 1; i < own_end; i++)
		{
			const char *s = t + w->lines[i].start;
			int			n = w->lines[i].end - w->lines[i].start;

			if (n == 0)
				continue;
			if ((after == 0 && !name_like(s, n)) || word_count(s, n) > 8 ||
				starts_ci(s, n, "p.s") || starts_ci(s, n, "ps "))
			{
				signoff = -1;
				break;
			}
			after++;
		}
		if (after > 8)
			signoff = -1;
	}
	if (delimiter < 0 && signoff >= 0)
		delimiter = signoff;

	/* no sign-off: a last paragraph of short contact lines is a signature too */
	if (delimiter < 0)
	{
		int			first = own_end;
		int			lines = 0;
		bool		contact = false,
					plain = true;

		while (first > 0 && w->lines[first - 1].start != w->lines[first - 1].end)
			first--;
		for (int i = first; i < own_end; i++)
		{
			const char *s = t + w->lines[i].start;
			int			n = w->lines[i].end - w->lines[i].start;

			lines++;
			contact |= has_contact(s, n);
			if (word_count(s, n) > 6 || ends_sentence(s, n))
				plain = false;
		}
		if (first > 0 && lines >= 2 && contact && plain)
			delimiter = first;
	}

	if (delimiter >= 0)
	{
		bool		other = false;

		for (int i = delimiter; i < own_end; i++)
			other |= names_loan_officer(t + w->lines[i].start, w->lines[i].end - w->lines[i].start);
		for (int i = delimiter; i < w->nlines; i++)
			w->lines[i].zone = other ? ZONE_OTHER_SIG : ZONE_SIG;
	}
}

/* Whether the word s[0..n) is one of the words of list (space-separated, lower case). */
static bool
word_in(const char *s, int n, const char *list)
{
	for (const char *p = list; *p;)
	{
		const char *e = strchr(p, ' ');
		int			len = e ? (int) (e - p) : (int) strlen(p);

		int			i = 0;

		while (i < len && i < n && lower(s[i]) == p[i])
			i++;
		if (i == len && len == n && n > 0)
			return true;
		p += len + (e != NULL);
	}
	return false;
}

/*
 * What the message the reply answers offered the lead: a call, something in
 * writing, both ("a quick call, or a written quote?") or neither.  Reads the
 * first quoted message only, at most 40 lines, skipping header lines and
 * lines with a phone-length run of digits (its signature); a word counts as
 * written only as a verb of sending ("email you", "send over", "enviarle").
 * Lets a bare "yes" or "ok" be read as the answer to that offer.
 */
int
reply_quoted_offer(const ReplyWork *w)
{
	const char *t = w->text;
	int32_t		pos = w->quote_start;
	int			offer = 0;
	bool		content = false;

	for (int line = 0; pos >= 0 && pos < w->len && line < 40; line++)
	{
		const char *nl = memchr(t + pos, '\n', w->len - pos);
		int32_t		e = nl ? (int32_t) (nl - t) : w->len;
		int32_t		s = pos;
		int			digits = 0;
		const char *prev = NULL;
		int			prevn = 0;

		pos = e + 1;
		while (s < e && (t[s] == '>' || t[s] == ' ' || t[s] == '|' || t[s] == '\t'))
			s++;
		for (int32_t k = s; k < e; k++)
			digits += t[k] >= '0' && t[k] <= '9';
		if (e - s >= 5 && (ends_ci(t + s, e - s, "wrote:") || contains_ci(t + s, e - s, "escribi") ||
						   starts_ci(t + s, e - s, "from:") || starts_ci(t + s, e - s, "de:") ||
						   has_marker(t + s, e - s)))
		{
			if (content)
				break;			/* the next quoted message */
			continue;
		}
		if (s == e || digits >= 7 || starts_ci(t + s, e - s, "sent:") ||
			starts_ci(t + s, e - s, "to:") || starts_ci(t + s, e - s, "subject:"))
			continue;
		content = true;
		for (int32_t k = s; k < e;)
		{
			int32_t		b = k;
			int			n;

			while (k < e && (((unsigned char) t[k] >= 0x80) || (t[k] >= 'a' && t[k] <= 'z') ||
							 (t[k] >= 'A' && t[k] <= 'Z') || t[k] == '-'))
				k++;
			n = k - b;
			if (n == 0)
			{
				k++;
				continue;
			}
			if (word_in(t + b, n, "call chat talk phone llamar llamemos llame llamada llamarle hablar"))
				offer |= OFFER_CALL;
			else if (word_in(t + b, n, "send sending written sheet enviar enviarle mandar mandarle correo"))
				offer |= OFFER_WRITTEN;
			else if (prev != NULL && (word_in(prev, prevn, "email e-mail") &&
									  word_in(t + b, n, "you over it them the a your")))
				offer |= OFFER_WRITTEN;
			prev = t + b;
			prevn = n;
		}
	}
	return offer;
}
