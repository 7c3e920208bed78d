/*
 * pii_context.c
 *	  The context of a number in a transcript, for redact_pii: is a date a
 *	  birth date, is a long run of digits a phone number or a reference?
 *
 * A date is personal data when it is a date of birth, and the words say so:
 * a birth word ("born", "birthday", "date of birth", "DOB", Spanish
 * "nacimiento", "nací", "cumpleaños") shortly before it in the same
 * sentence, or a question about birth or identity in the turn just before
 * ("AI: And your date of birth? User: 3/14/85").  A turn starts at a line
 * or at a speaker's label ("User:", "AI:", "Assistant:" ...), so a line
 * that holds two turns is read as two.
 *
 * A bare run of 10 to 15 digits is a reference (loan, case, order, claim,
 * account ...) rather than a phone number when the nearest word that says
 * what a number is, before it in its sentence or else after it, names a
 * reference; "number", "no", "is", "my" and the like say nothing, and '#'
 * right before the digits is a reference.
 *
 * Every scan is bounded (VP_PII_CONTEXT_CHARS characters, VP_PII_TURN_BYTES
 * bytes), so the callers stay linear in their input.  ASCII letters only:
 * a byte of a multibyte character ends a word.
 */
#include "redact/pii_context.h"

#include <string.h>

#include "core/chars.h"

#define MAX_WORD VP_PII_MAX_WORD	/* longest word compared with a list, in bytes */

static int	birth_word(const char *s, int from, int to, bool identity, bool first);

/* A byte of a word: an ASCII letter or a byte of a multibyte character ("número"). */
static inline bool
word_byte(unsigned char c)
{
	return vp_is_alpha(c) || c >= 0x80;
}

/*
 * The lower-case copy of the word s[p..p+n) into buf (VP_PII_MAX_WORD + 1
 * bytes), false when it is longer.
 */
bool
vp_pii_lower_word(const char *s, int p, int n, char *buf)
{
	if (n > MAX_WORD)
		return false;
	for (int i = 0; i < n; i++)
		buf[i] = vp_to_lower((unsigned char) s[p + i]);
	buf[n] = '\0';
	return true;
}

/* Is s[i..i+2) the two-letter lower-case word w, in any case? */
static bool
ci_word(const char *s, int i, const char *w)
{
	return vp_to_lower((unsigned char) s[i]) == w[0] && vp_to_lower((unsigned char) s[i + 1]) == w[1];
}

/* Does an ordinal number ("40th", "1st", "92nd") end at s[k]? */
static bool
ordinal_end(const char *s, int k)
{
	char		a = vp_to_lower((unsigned char) s[k - 2]);
	char		b = vp_to_lower((unsigned char) s[k - 1]);

	return vp_is_digit((unsigned char) s[k - 3]) &&
		((a == 't' && b == 'h') || (a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd'));
}

/* Is the lower-case word w one of the NULL-terminated list? */
static bool
in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if ((*list)[0] == w[0] && strcmp(w, *list) == 0)
			return true;
	return false;
}

/* Does the word w start with one of the NULL-terminated prefixes? */
static bool
has_prefix(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strncmp(w, *list, strlen(*list)) == 0)
			return true;
	return false;
}

/* Words that end a sentence only when they are not abbreviations. */
static const char *const abbreviations[] = {
	"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "nr", "approx", "ext", "etc",
	"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", NULL
};

/*
 * Does a sentence end at s[i] ('.' or '!' before a space)?  Not after a
 * single letter (D.O.B.), an ellipsis or an abbreviation (Dr., Feb.).
 */
static bool
sentence_end(const char *s, int i)
{
	int			b = i;
	char		buf[MAX_WORD + 1];

	if (s[i] == '!')
		return true;
	if (s[i] != '.' || i == 0)
		return false;
	if (vp_is_digit((unsigned char) s[i - 1]))
		return true;
	while (b > 0 && vp_is_alpha((unsigned char) s[b - 1]))
		b--;
	if (i - b < 2)
		return false;
	return !vp_pii_lower_word(s, b, i - b, buf) || !in_list(buf, abbreviations);
}

static bool label_at(const char *s, int i);

/*
 * Where the context window before pos starts: chars characters back, but
 * not before the sentence, line or turn (a speaker's label) that holds pos,
 * and with questions not before a question either ("Date of birth?
 * 3/14/85" keeps its question, a reference number does not); a word that
 * ends inside the window is taken whole.
 */
int
vp_pii_window_start(const char *s, int pos, int chars, bool questions)
{
	int			w = pos;
	int			n = 0;

	while (w > 0 && n < chars)
	{
		unsigned char c = (unsigned char) s[w - 1];

		if (c == '\n' ||
			((c == ' ' || c == '\t') && w >= 2 &&
			 (sentence_end(s, w - 2) || (questions && s[w - 2] == '?'))))
			return w;
		if (c == ':' && w >= 2 && vp_is_alpha((unsigned char) s[w - 2]))
		{
			int			b = w - 1;

			while (b > 0 && vp_is_alpha((unsigned char) s[b - 1]))
				b--;
			if (label_at(s, b))
				return w;
		}
		w--;
		if ((c & 0xC0) != 0x80)
			n++;
	}
	for (int k = 0; w > 0 && k < MAX_WORD && vp_is_alpha((unsigned char) s[w - 1]); k++)
		w--;
	return w;
}

/* Words of the "and" between two birth dates ("his is ... and mine is ..."). */
static const char *const connectives[] = {
	"and", "or", "y", "o", "also", "too", "plus", "then", "both", "the", "a", "is", "was", "s",
	"es", "mine", "his", "hers", "her", "theirs", "their", "my", "our", "your", "mi", "su",
	"el", "la", "de", "del", "wife", "husband", "spouse", "partner", "son", "daughter", "mom",
	"mother", "dad", "father", "brother", "sister", "co", "borrower", "cosigner", "signer",
	"kid", "child", "one", "other", "second", "first", "he", "she", "it", "its", "uh", "um",
	"him", "me", "them", "us", "on", "we", "were",
	"sorry", "i", "mean", "actually", "wait", "no", "correction", "rather", "esposa",
	"esposo", "hijo", "hija", "mam", "pap", NULL
};

/* Words that name an event with a date: such a date is not the caller's birth. */
static const char *const event_words[] = {
	"appointment", "appt", "surgery", "consult", "consultation", "visit", "closing", "close",
	"procedure", "follow", "op", "meeting", "flight", "trip", "payment", "due", "lock",
	"funding", "deadline", "scheduled", "booked", "cita", "consulta", "pago", "vuelo",
	"reunion", NULL
};

/*
 * Does s[from..to), between a birth date (or a social security number) and
 * the next one, only join them ("1970 and mine is", "1991, sorry,", "and my
 * boyfriend's is")?  At most VP_PII_CONTEXT_CHARS bytes of connecting words,
 * names (a capital letter), owners ("boyfriend's"), commas and spaces.
 */
bool
vp_pii_joins_dates(const char *s, int from, int to)
{
	if (to - from > VP_PII_CONTEXT_CHARS)
		return false;
	for (int i = from; i < to;)
	{
		int			j;
		char		buf[MAX_WORD + 1];

		if (vp_is_digit((unsigned char) s[i]) || s[i] == '.' || s[i] == '?' || s[i] == '!' ||
			s[i] == '\n' || s[i] == ':')
			return false;
		if (!vp_is_alpha((unsigned char) s[i]))
		{
			i++;
			continue;
		}
		for (j = i; j < to && vp_is_alpha((unsigned char) s[j]); j++)
			;
		if (!vp_pii_lower_word(s, i, j - i, buf) || in_list(buf, event_words))
			return false;		/* "born 3/14/1985, Closing 6/1/2026" */
		if ((!vp_is_upper((unsigned char) s[i]) || j - i == 1) &&
			!(j + 1 < to && s[j] == '\'' && (s[j + 1] == 's' || s[j + 1] == 'S')) &&
			!in_list(buf, connectives))
			return false;
		i = j;
	}
	return true;
}

/* Words between a date and the birth word after it ("... is my date of birth"). */
static const char *const before_birth_word[] = {
	"is", "was", "that", "thats", "s", "my", "his", "her", "their", "our", "your", "the", "date",
	"of", "it", "its", "as", "for", "es", "mi", "su", "el", "la", "fecha", "de", "ng", "ay",
	"po", "ang", "ko", "đó", "là", "ngày", NULL
};

/*
 * Is the date ending at end followed, in its sentence, by a birth word
 * ("11-04-1952 is my date of birth", "3/2/61, that's my birthday")?  Only
 * the words above, commas and spaces may stand between, within
 * VP_PII_CONTEXT_CHARS bytes.
 */
bool
vp_pii_birth_word_after(const char *s, int len, int end)
{
	for (int i = end; i < len && i - end < VP_PII_CONTEXT_CHARS;)
	{
		int			j;
		char		buf[MAX_WORD + 1];

		if (s[i] == ' ' || s[i] == ',' || s[i] == '\'')
		{
			i++;
			continue;
		}
		if (!word_byte((unsigned char) s[i]))
			return false;
		for (j = i; j < len && word_byte((unsigned char) s[j]); j++)
			;
		if (birth_word(s, i, j, false, true) >= 0)
			return true;
		if (!vp_pii_lower_word(s, i, j - i, buf) || !in_list(buf, before_birth_word))
			return false;
		i = j;
	}
	return false;
}

/* Is the word right after the date ending at end an event's ("the 4/15 appointment")? */
bool
vp_pii_event_word_after(const char *s, int len, int end)
{
	int			i = end;
	int			j;

	while (i < len && s[i] == ' ')
		i++;
	if (i == end)
		return false;
	for (j = i; j < len && vp_is_alpha((unsigned char) s[j]); j++)
		;
	return j > i && vp_pii_event_words(s, i, j);
}

/* Is there a word naming an event with a date (surgery, closing ...) in s[from..to)? */
bool
vp_pii_event_words(const char *s, int from, int to)
{
	for (int i = from; i < to;)
	{
		int			j;
		char		buf[MAX_WORD + 1];

		if (!vp_is_alpha((unsigned char) s[i]) || (i > from && vp_is_alpha((unsigned char) s[i - 1])))
		{
			i++;
			continue;
		}
		for (j = i; j < to && vp_is_alpha((unsigned char) s[j]); j++)
			;
		if (vp_pii_lower_word(s, i, j - i, buf) && in_list(buf, event_words))
			return true;
		i = j;
	}
	return false;
}

/* Words that say a date is a birth date. */
static const char *const birth_words[] = {
	"born", "dob", "bday", "nacimiento", "naci", "nacio", "sinh", "kaarawan", "ipinanganak",
	"kapanganakan", NULL
};
static const char *const birth_prefixes[] = {"birth", "cumplea", NULL};

/*
 * Birth words of other scripts, matched as UTF-8 bytes inside a word (a
 * Korean particle may follow: "생년월일은"): Chinese 生日 (birthday), 出生
 * (birth); Korean 생일 (birthday), 생년월일 (date of birth); Russian
 * рожд... (рождения: of birth), родил... (родилась: was born).
 */
static const char *const birth_words_utf8[] = {
	"\xe7\x94\x9f\xe6\x97\xa5", "\xe5\x87\xba\xe7\x94\x9f",
	"\xec\x83\x9d\xec\x9d\xbc", "\xec\x83\x9d\xeb\x85\x84\xec\x9b\x94\xec\x9d\xbc",
	"\xd1\x80\xd0\xbe\xd0\xb6\xd0\xb4", "\xd1\x80\xd0\xbe\xd0\xb4\xd0\xb8\xd0\xbb",
	"\xd0\xa0\xd0\xbe\xd0\xb6\xd0\xb4", "\xd0\xa0\xd0\xbe\xd0\xb4\xd0\xb8\xd0\xbb", NULL
};

/* The length of a birth word of another script at s[i..to), or 0. */
static int
birth_word_utf8(const char *s, int i, int to)
{
	for (const char *const *w = birth_words_utf8; *w; w++)
	{
		int			n = strlen(*w);

		if (n <= to - i && memcmp(s + i, *w, n) == 0)
			return n;
	}
	return 0;
}

/* Words of a question about who the caller is (asked in the turn before). */
static const char *const identity_words[] = {"identity", "identify", "identification", "verification", NULL};

/* Nouns that make "birthday" before them an event ("birthday party"). */
static const char *const birthday_events[] = {
	"party", "parties", "weekend", "dinner", "lunch", "trip", "celebration", "present",
	"gift", "cake", "bash", "vacation", "getaway", "cruise", "fiesta", "sale", NULL
};

/*
 * Is the word s[i..j) used as a birth word?  Not glued to a word before it
 * by a hyphen ("first-born", "Boston-born"), and "birthday" not before an
 * event noun ("birthday party") nor after an ordinal ("my 40th
 * birthday", which is an anniversary to come).
 */
static bool
birth_word_used_so(const char *s, int i, int j, int to)
{
	char		buf[MAX_WORD + 1];
	int			k;

	if (i >= 2 && s[i - 1] == '-' && word_byte((unsigned char) s[i - 2]))
		return false;
	if (j - i < 8 || vp_to_lower((unsigned char) s[i]) != 'b' ||
		!vp_pii_lower_word(s, i, 8, buf) || strncmp(buf, "birthday", 8) != 0)
		return true;
	/* an ordinal before: "40th birthday", "sweet sixteen birthday" */
	for (k = i; k > 0 && s[k - 1] == ' '; k--)
		;
	if (k >= 3 && (ordinal_end(s, k) || (k >= 7 && strncmp(s + k - 7, "sixteen", 7) == 0)))
		return false;
	/* an event noun after */
	for (k = j; k < to && s[k] == ' '; k++)
		;
	for (j = k; j < to && vp_is_alpha((unsigned char) s[j]) && j - k < MAX_WORD; j++)
		;
	return !(j > k && vp_pii_lower_word(s, k, j - k, buf) && in_list(buf, birthday_events));
}

/*
 * Is there a birth word (or, when identity, a word of an identity
 * question) in s[from..to)?  A word must start inside the range.
 */
bool
vp_pii_birth_words(const char *s, int from, int to, bool identity)
{
	return birth_word(s, from, to, identity, true) >= 0;
}

/* The end of the last birth word in s[from..to), or -1. */
int
vp_pii_last_birth_word(const char *s, int from, int to, bool identity)
{
	return birth_word(s, from, to, identity, false);
}

/*
 * The end of the first (first) or last birth word, or word of an identity
 * question (identity), in s[from..to); -1 if none.
 */
static int
birth_word(const char *s, int from, int to, bool identity, bool first)
{
	int			last = -1;

	for (int i = from; i < to;)
	{
		int			j;
		char		buf[MAX_WORD + 1];

		if ((unsigned char) s[i] >= 0xC0 && (j = birth_word_utf8(s, i, to)) > 0)
		{
			last = i + j;
			if (first)
				break;
			i += j;
			continue;
		}
		if (!vp_is_alpha((unsigned char) s[i]) ||
			(i > from && vp_is_alpha((unsigned char) s[i - 1])))
		{
			i++;
			continue;
		}
		for (j = i; j < to && vp_is_alpha((unsigned char) s[j]); j++)
			;
		switch (vp_to_lower((unsigned char) s[i]))
		{
			case 'b':			/* born, birth..., bday */
			case 'c':			/* cumpleaños */
			case 'd':			/* DOB, D.O.B. */
			case 'i':			/* ipinanganak; identity ... */
			case 'k':			/* kaarawan, kapanganakan */
			case 'n':			/* nacimiento, nací */
			case 's':			/* Vietnamese sinh */
			case 'v':			/* verification */
				break;
			default:
				i = j;
				continue;
		}
		if (!birth_word_used_so(s, i, j, to))
		{
			i = j;
			continue;
		}
		if (j - i == 1 && (s[i] == 'd' || s[i] == 'D') && j + 3 < to &&
			s[j] == '.' && (s[j + 1] | 0x20) == 'o' && s[j + 2] == '.' && (s[j + 3] | 0x20) == 'b')
			last = j + 4;		/* D.O.B. */
		else if (vp_pii_lower_word(s, i, j - i, buf))
		{
			/* "nací": "nac" and a small i with an acute accent */
			if (strcmp(buf, "nac") == 0 && j + 1 < to &&
				(unsigned char) s[j] == 0xC3 && (unsigned char) s[j + 1] == 0xAD)
				last = j + 2;
			else if (in_list(buf, birth_words) || has_prefix(buf, birth_prefixes) ||
					 (identity && in_list(buf, identity_words)))
				last = j;
		}
		if (first && last >= 0)
			break;
		i = j;
	}
	return last;
}

/* Speakers' labels that start a turn when followed by ':'. */
static const char *const speaker_labels[] = {
	"ai", "assistant", "bot", "agent", "user", "caller", "customer", "human", "client",
	"patient", "lead", "speaker", "rep", "receptionist", "barbara", "voxanne", NULL
};

/*
 * Does a speaker's label ("User:") start at s[i]?  The caller has seen the
 * ':' that ends the word at s[i], so the scan stops inside the text.
 */
static bool
label_at(const char *s, int i)
{
	int			j = i;
	char		buf[MAX_WORD + 1];

	if (i > 0 && vp_is_alnum((unsigned char) s[i - 1]))
		return false;
	while (vp_is_alpha((unsigned char) s[j]) && j - i <= MAX_WORD)
		j++;
	return j > i && s[j] == ':' && vp_pii_lower_word(s, i, j - i, buf) && in_list(buf, speaker_labels);
}

/*
 * The nearest start of a turn before pos, not before limit; -1 if none.
 * Only a line break or a ':' can end what comes before a turn, so only
 * those are looked at.
 */
static int
turn_start_before(const char *s, int pos, int limit)
{
	for (int i = pos - 1; i >= limit; i--)
	{
		if (s[i] == '\n')
			return i + 1;
		if (s[i] == ':' && i > limit && vp_is_alpha((unsigned char) s[i - 1]))
		{
			int			b = i;

			while (b > limit && i - b <= MAX_WORD && vp_is_alpha((unsigned char) s[b - 1]))
				b--;
			if (b >= limit && b < i && label_at(s, b) && b < pos)
				return b;
		}
	}
	return -1;
}

/* Is s[from..to) only white space? */
static bool
blank(const char *s, int from, int to)
{
	for (int i = from; i < to; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/*
 * The turn that holds pos and the one before it; false when pos is not in a
 * second or later turn within VP_PII_TURN_BYTES bytes of each start.
 */
bool
vp_pii_turns(const char *s, int pos, PiiTurns *turns)
{
	int			limit = pos > VP_PII_TURN_BYTES ? pos - VP_PII_TURN_BYTES : 0;
	int			cur = turn_start_before(s, pos, limit);
	int			prev;

	if (cur <= 0)
		return false;
	limit = cur > VP_PII_TURN_BYTES ? cur - VP_PII_TURN_BYTES : 0;
	prev = turn_start_before(s, cur - 1, limit);
	/* an empty line between turns is not a turn */
	while (prev > limit && blank(s, prev, cur))
		prev = turn_start_before(s, prev - 1, limit);
	if (prev < 0)
	{
		if (limit > 0)
			return false;
		prev = 0;				/* the text's first turn, without a label */
	}
	turns->current = cur;
	turns->previous = prev;
	return true;
}

/* Words that name what a number is: references, and phones. */
static const char *const reference_words[] = {
	"account", "acct", "application", "apn", "approval", "auth", "authorization",
	"batch", "booking", "case", "certificate", "chart", "cheque", "claim", "code",
	"confirmation", "conf", "contract", "docket", "ein", "escrow", "file", "folio", "group",
	"iban", "id", "incident", "invoice", "item", "itin", "license", "licence", "loan", "lot",
	"member", "membership", "mls", "model", "mrn", "nmls", "npi", "order", "parcel", "part",
	"permit", "pin", "plan", "po", "policy", "prescription", "quote", "receipt", "record",
	"ref", "reference", "registration", "report", "reservation", "routing", "rx", "serial",
	"shipment", "sku", "statement", "subscriber", "tax", "ticket", "tracking", "transaction",
	"vin", "voucher", "wire", "expediente", "pedido", "cuenta", "reclamo", "caso",
	"referencia", "poliza", "póliza", "solicitud", "préstamo", "prestamo", "orden", "recibo",
	"factura", "confirmación", "confirmacion", "reservación", "reservacion", "cuenta",
	"autorización", "autorizacion", "seguimiento", "miembro", "afiliado", NULL
};
static const char *const phone_words[] = {
	"phone", "cell", "cellphone", "mobile", "call", "calling", "called", "reach", "reached",
	"text", "texting", "dial", "tel", "telephone", "landline", "fax", "whatsapp", "callback",
	"ring", "contact", "line", "hotline", "extension", "voicemail", "direct", "office",
	"celular", "llamar", "llame", "llamame", "llámame", "telefono", "teléfono", "móvil", "movil",
	NULL
};

/* Words between a reference's name and its digits after it ("... is the loan number"). */
static const char *const naming_words[] = {
	"number", "numbers", "no", "num", "nbr", "nr", "is", "was", "it", "its", "s", "id", "ending",
	"reads", "should", "be", "my", "your", "the", "our", "his", "her", "their", "a", "an", "of",
	"for", "under", "here", "that", "this", "de", "el", "la", "mi", "su", "es", "numero",
	"número", "new", "old", "full", NULL
};

/* Words that make "number" after them a phone number ("my number", "best number"). */
static const char *const phone_owners[] = {
	"my", "your", "his", "her", "our", "their", "best", "good", "contact", "callback", "mi",
	"su", "tu", "nuestro", NULL
};

/* Words of a number's own name ("number", "número"). */
static const char *const number_words[] = {"number", "numero", "número", NULL};

/* Words before "call" that make it a noun ("the call", "today's call"). */
static const char *const determiners[] = {
	"the", "a", "this", "that", "your", "my", "our", "his", "her", "their", "last", "next",
	"first", "each", "every", "per", "s", NULL
};

/*
 * Is the phone word w at s[i] the noun "call" ("the reference for this
 * call is ...")?  Then it says nothing about the number.
 */
static bool
call_noun(const char *s, int i, const char *w)
{
	char		buf[MAX_WORD + 1];
	int			e,
				b;

	if (strcmp(w, "call") != 0 && strcmp(w, "calls") != 0)
		return false;
	for (e = i; e > 0 && s[e - 1] == ' '; e--)
		;
	for (b = e; b > 0 && word_byte((unsigned char) s[b - 1]); b--)
		;
	return b < e && vp_pii_lower_word(s, b, e - b, buf) && in_list(buf, determiners);
}

/*
 * What the word s[i..j) says: 1 a reference, 2 a phone, 3 it may stand
 * between a reference's name and its digits, 0 nothing.  "case" after "in"
 * or "just" is not a case.
 */
static int
word_meaning(const char *s, int i, int j)
{
	char		buf[MAX_WORD + 1];

	if (!vp_pii_lower_word(s, i, j - i, buf))
		return 0;
	if (in_list(buf, reference_words))
	{
		if (strcmp(buf, "case") == 0 && i >= 3 &&
			(strncmp(s + i - 3, "in ", 3) == 0 || (i >= 5 && strncmp(s + i - 5, "just ", 5) == 0)))
			return 0;
		return 1;
	}
	if (in_list(buf, phone_words))
		return call_noun(s, i, buf) ? 0 : 2;
	if (in_list(buf, naming_words))
		return 3;
	return 0;
}

/* Is s[i..j) the word "number" owned as a phone's ("my number", "best number")? */
static bool
owned_number(const char *s, int lower, int i, int j)
{
	char		buf[MAX_WORD + 1];
	int			b;

	if (!vp_pii_lower_word(s, i, j - i, buf) || !in_list(buf, number_words))
		return false;
	for (j = i; j > lower && s[j - 1] == ' '; j--)
		;
	for (b = j; b > lower && word_byte((unsigned char) s[b - 1]); b--)
		;
	return b < j && vp_pii_lower_word(s, b, j - b, buf) && in_list(buf, phone_owners);
}

/*
 * What do the words say the run of digits s[start..end) is (a reference, a
 * phone, or nothing: PiiNumberKind)?  Read back from it
 * in its sentence and turn (within VP_PII_CONTEXT_CHARS characters), the
 * nearest word that says decides: a phone word ("cell", "call", "text") or
 * an owned "number" ("my number is") for a phone, a reference word
 * ("loan", "order", "claim") for a reference; but a number right after
 * "to" or "at" is where something goes ("text the confirmation to ..."),
 * so only a phone word decides there.  '#' right before the digits is a
 * reference.  When nothing decides, the words after the digits, up to the
 * first that is not a naming word ("..., that's my cell", "... is the loan
 * number").
 */
PiiNumberKind
vp_pii_number_kind(const char *s, int len, int start, int end)
{
	int			w = vp_pii_window_start(s, start, VP_PII_CONTEXT_CHARS, true);
	int			n = 0;
	bool		destination = false;
	bool		named = true;	/* only naming words so far */

	for (int i = start - 1; i >= w && i >= start - 2; i--)
		if (s[i] == '#')
			return PII_NUMBER_REFERENCE;
	for (int j = start; j > w;)
	{
		int			i;
		int			m;

		if (!word_byte((unsigned char) s[j - 1]))
		{
			j--;
			continue;
		}
		for (i = j; i > w && word_byte((unsigned char) s[i - 1]); i--)
			;
		if (j - i == 2 && (ci_word(s, i, "to") || ci_word(s, i, "at")) &&
			start - j <= 2)
			destination = true;
		if (owned_number(s, w, i, j))
			return PII_NUMBER_PHONE;
		m = word_meaning(s, i, j);
		if (m == 2)
			return PII_NUMBER_PHONE;
		if (m == 1 && !destination)
			return PII_NUMBER_REFERENCE;
		j = i;
	}
	for (int i = end; i < len && n < VP_PII_CONTEXT_CHARS; n++)
	{
		int			j;
		int			m;

		if (s[i] == '\n' || ((s[i] == '.' || s[i] == '!' || s[i] == '?') &&
							 (i + 1 == len || s[i + 1] == ' ')))
			break;
		if (!word_byte((unsigned char) s[i]))
		{
			i++;
			continue;
		}
		for (j = i; j < len && word_byte((unsigned char) s[j]); j++)
			;
		m = word_meaning(s, i, j);
		if (m == 2)
			return PII_NUMBER_PHONE;
		if (m == 1 && named)
			return PII_NUMBER_REFERENCE;
		if (m != 3)
			named = false;
		n += j - i;
		i = j;
	}
	return PII_NUMBER_UNSAID;
}

/* Do the words call the run of digits s[start..end) a reference number? */
bool
vp_pii_reference_number(const char *s, int len, int start, int end)
{
	return vp_pii_number_kind(s, len, start, end) == PII_NUMBER_REFERENCE;
}
