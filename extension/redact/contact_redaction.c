/*
 * contact_redaction.c
 *	  A contact's own known details out of a text (release 0.7.0): the
 *	  pattern rules of redact_pii cannot know that "Pat Quinn" is a person,
 *	  that "pat dot quinn at harborline" is an address without its ending, or
 *	  that "415 5550 123" is a number, but the contact's lead row knows the
 *	  name, the e-mail address, the phone number and the ZIP code.
 *
 * The text has been through redact_pii first (vp_redact_text_for_contact),
 * so what is left to find is what only the contact's details reveal.  One
 * left-to-right pass over the bytes; at the start of every word:
 * - [EMAIL]: the contact's address, written or spoken ("dot", "underscore",
 *   "dash", "at"), its separators optional, up to at least the first label
 *   of its domain; or its local part alone when written in one piece, not
 *   just a name, and not what an ordinary word could be ("patquinn",
 *   "pat.quinn", "blong77"; never "info" or "contact" of a role address:
 *   "I need more info" stays).
 * - [PHONE]: the contact's number in any grouping of numerals and digit
 *   words ("double five"), with or without the country code or the trunk 0,
 *   or (North America) its last seven digits; [ZIP]: the ZIP code as one
 *   five-digit number (ZIP+4 included) or five digit words.
 * - [NAME]: a word of the first or last name, word-bounded, any case, or
 *   spelled out ("Q-U-I-N-N"); the words of the name in a row ("Pat Quinn",
 *   "Dubois-Martin") are one [NAME].  A name word that is also an ordinary
 *   word (common_words: "Will", "May", "Grace", "Bill", "Long") counts only
 *   written as a name (a capital, then small letters) where the ordinary
 *   word cannot be meant: inside a sentence but not as a month ("in May",
 *   "May 5th"); at a sentence's start only after a title or greeting ("Hi",
 *   "Mr."), with "'s", standing alone ("Will,", "Thanks,\nWill", "Will
 *   here") or before a verb of a person ("Will asked").  Next to a name word
 *   that is not common it counts in any case ("pat quinn").  So "Will you
 *   call me?", "I will" and "in May" stay; a name before a street word
 *   ("Hill Street") is the street's.
 * Matching compares ASCII letters in any case and other bytes exactly; a
 * UTF-8 letter is part of a word (a name never matches inside "Renée"),
 * while UTF-8 punctuation, symbols and emoji are not.  Every matcher is
 * bounded, so the pass is linear in the text.  docs/redaction.md has the
 * rules and what they leave.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "core/chars.h"
#include "core/saved_plans.h"
#include "e164/e164_parse.h"
#include "redact/contact_redaction.h"
#include "redact/redact_pii.h"

PG_FUNCTION_INFO_V1(vapi_pool_redact_personal);
PG_FUNCTION_INFO_V1(vapi_pool_redact_for_contact);

#define MAX_NUMBER_DIGITS	15	/* E.164's longest number */
#define MAX_SEPARATORS		3	/* between two groups of a number: ") ", ", " */
#define MAX_CUE_WORD		12

static const char PH_NAME[] = "[NAME]";
static const char PH_EMAIL[] = "[EMAIL]";
static const char PH_PHONE[] = "[PHONE]";
static const char PH_ZIP[] = "[ZIP]";

/*
 * Names that are also ordinary English words (lower case): such a name is
 * matched only capitalised and where the word could not be meant.  First
 * names, then surnames.
 */
static const char *const common_words[] = {
	"will", "may", "grace", "bill", "mark", "hope", "joy", "faith", "rose", "lily", "daisy", "iris",
	"ivy", "holly", "heather", "dawn", "eve", "june", "april", "august", "summer", "autumn", "winter",
	"sky", "rain", "storm", "river", "brook", "ray", "rob", "sue", "pat", "art", "jack", "frank", "drew",
	"gene", "hunter", "chase", "chance", "chip", "buck", "bud", "rusty", "sandy", "penny", "ginger",
	"amber", "ruby", "pearl", "crystal", "jewel", "candy", "honey", "sunny", "misty", "cliff", "dale",
	"glen", "rod", "wade", "miles", "lance", "don", "dick", "jay", "kit", "max", "mo", "nat", "sol",
	"norm", "guy", "major", "prince", "earl", "duke", "royal", "noble", "patience", "prudence",
	"charity", "constance", "harmony", "melody", "destiny", "trinity", "liberty", "angel", "star",
	"sage", "jade", "olive", "violet", "poppy", "fern", "hazel", "willow", "laurel", "page", "bob",
	"pierce", "carol", "ginny", "mercy", "sterling", "forest", "heath", "reed", "rich", "randy", "sunday",
	"long", "young", "white", "brown", "green", "black", "gray", "grey", "king", "hill", "wood", "woods",
	"stone", "bell", "cook", "baker", "miller", "smith", "carpenter", "mason", "turner", "porter",
	"fisher", "fowler", "walker", "rice", "price", "lane", "street", "field", "fields", "park", "little",
	"small", "short", "strong", "sharp", "swift", "love", "good", "best", "west", "north", "south",
	"east", "frost", "snow", "day", "knight", "bishop", "pope", "dean", "cash", "case", "banks", "bank",
	"burns", "marsh", "moore", "wolf", "fox", "bird", "crane", "drake", "finch", "hawk", "lamb", "bush",
	"bloom", "berry", "cross", "ford", "hall", "house", "power", "shepherd", "steel", "waters", "wells",
	"wise", "hardy", "free", "cannon", "bond", "law", "post", "sweet", "hart", "fair", "gold", "silver",
	"golden", "brooks", "battle", "ball", "beach", "bolt", "hood", "hook", "horn", "lord", "marks",
	"pike", "pool", "read", "rock", "root", "rush", "shore", "stamp", "story", "strange", "summers",
	"tanner", "trout", "wall", "ward", "warren", "weaver", "hope", "call", "book", "money", "rate",
	"means", "mann", "guest", "child", "early", "english", "french", "gross", "hunt", "kidd", "land",
	"light", "lowe", "mayo", "mills", "nash", "oakes", "paine", "parrish", "person", "pickens", "penn",
	"rhodes", "savage", "sellers", "shields", "spring", "stock", "temple", "tower", "vance", "wall",
	"worth", "yard", "coffee", "curry", "dash", "fry", "gay", "goode", "hay", "head", "judge", "key",
	"lake", "leach", "lee", "mills", "more", "nice", "oliver", "ritchie", "sell", "stephens",
};

/*
 * Local parts of role addresses and other ordinary words that an address
 * may begin with (lower case): such a local part alone is a word of the
 * text, not the address ("more info", "please contact me").
 */
static const char *const ordinary_local_parts[] = {
	"info", "contact", "sales", "office", "hello", "support", "team", "admin", "mail", "help", "service",
	"services", "billing", "booking", "bookings", "appointment", "appointments", "reception", "enquiries",
	"inquiries", "enquiry", "inquiry", "questions", "marketing", "jobs", "careers", "news", "press",
	"media", "accounts", "account", "finance", "orders", "care", "home", "smile", "smiles", "dental",
	"clinic", "loans", "mortgage", "mortgages", "welcome", "feedback", "general", "staff", "front",
	"desk", "schedule", "scheduling", "patients", "patient", "health", "legal", "security", "privacy",
	"data", "owner", "manager", "doctor", "dentist", "nurse", "family", "friends", "email", "hiring",
	"webmaster", "postmaster", "noreply", "reply", "hola", "about", "lending", "homes", "realty",
};

/* Months that are also names: such a name is not matched as a month ("in May", "May 5th"). */
static const char *const month_names[] = {"march", "april", "may", "june", "july", "august"};

/* Words before a name that show it is one ("Hi Will", "Mr. Long"). */
static const char *const name_cues[] = {
	"hi", "hey", "hello", "dear", "thanks", "bye", "goodbye", "morning", "afternoon", "evening",
	"cheers", "regards", "mr", "mrs", "ms", "miss", "mx", "dr", "this is", "i am", "im", "name is",
	"names", "call me", "ask for", "speak to", "speak with", "talk to", "talk with", "is this",
};

/* Words before a month name that make it the month ("in May", "since June"). */
static const char *const month_cues[] = {
	"in", "of", "since", "until", "till", "by", "early", "late", "mid", "next", "last", "this", "through",
	"from", "before", "after", "during", "around", "end", "beginning", "middle", "every",
};

/*
 * Verbs after a word at a sentence's start that make it a person: "Will
 * asked for a callback" (call summaries start so), never "Will you ...".
 */
static const char *const person_verbs[] = {
	"asked", "said", "says", "wants", "wanted", "called", "requested", "agreed", "booked", "confirmed",
	"needs", "needed", "prefers", "preferred", "mentioned", "declined", "replied", "scheduled",
	"expressed", "indicated", "stated", "explained", "lives", "works", "reported", "inquired",
	"provided", "gave", "shared", "noted", "answered", "hung", "left", "spoke", "verified",
};

/* Words after a name that make it a street's ("Hill Street", "Washington Ave"). */
static const char *const street_words[] = {
	"street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "boulevard", "blvd",
	"way", "court", "ct", "place", "pl", "terrace", "parkway", "highway", "hwy",
};

static const char *const digit_words[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
};

/* Output under construction, as in redact_pii.c: built only once something is replaced. */
typedef struct Output
{
	const char *src;
	int			len;
	int			copied;
	bool		started;
	StringInfoData out;
} Output;

/* ---------------------------------------------------------------- bytes */

/*
 * Whether the UTF-8 character whose first byte is at s[p] is a letter (part
 * of a word): not the Latin-1 symbols (C2), the general punctuation and
 * symbol blocks (E2) or a four-byte character (emoji).
 */
static bool
utf8_letter_at(const char *s, int p)
{
	unsigned char c = (unsigned char) s[p];

	return !(c == 0xC2 || c == 0xE2 || c >= 0xF0);
}

/* Whether the byte before p is part of a word (so no word starts at p). */
static bool
word_before(const char *s, int p)
{
	int			q = p - 1;

	if (q < 0)
		return false;
	if ((unsigned char) s[q] < 0x80)
		return vp_is_alnum((unsigned char) s[q]);
	while (q > 0 && ((unsigned char) s[q] & 0xC0) == 0x80)
		q--;
	return utf8_letter_at(s, q);
}

/* Whether a word goes on at p (so none ends before it). */
static bool
word_at(const char *s, int len, int p)
{
	if (p >= len)
		return false;
	if ((unsigned char) s[p] < 0x80)
		return vp_is_alnum((unsigned char) s[p]);
	if (((unsigned char) s[p] & 0xC0) == 0x80)
		return true;			/* inside a character */
	return utf8_letter_at(s, p);
}

/* End of the run of ASCII letters (alpha) or letters and digits from p. */
static int
run_end(const char *s, int len, int p, bool alpha)
{
	while (p < len && (alpha ? vp_is_alpha((unsigned char) s[p]) : vp_is_alnum((unsigned char) s[p])))
		p++;
	return p;
}

/* Whether s[p, p + n) is the lower-case ASCII word w, in any case. */
static bool
is_word(const char *s, int p, int n, const char *w)
{
	return (int) strlen(w) == n && pg_strncasecmp(s + p, w, n) == 0;
}

/* Index of the word s[p, p + n) in the list, any case, or -1. */
static int
word_index(const char *s, int p, int n, const char *const *list, int count)
{
	for (int i = 0; i < count; i++)
		if (is_word(s, p, n, list[i]))
			return i;
	return -1;
}

/* ---------------------------------------------------------------- details */

/* An empty set of details. */
void
vp_contact_init(ContactDetails *c)
{
	memset(c, 0, sizeof(*c));
}

/* Whether any detail is known. */
bool
vp_contact_known(const ContactDetails *c)
{
	return c->nnames > 0 || c->email_len > 0 || c->nnumbers > 0 || c->zip[0] != '\0';
}

/*
 * Adds the words of a stored name (a first or a last name: split at spaces,
 * hyphens and full stops; an initial is left out).
 */
void
vp_contact_add_name(ContactDetails *c, const char *name)
{
	const char *p = name;

	while (p != NULL && *p != '\0')
	{
		const char *e = p;
		ContactName *n;
		char		lower[VP_CONTACT_NAME_LEN];

		while (*e != '\0' && *e != ' ' && *e != '-' && *e != '.' && *e != '\t' && *e != ',')
			e++;
		if (e - p >= 2 && e - p < VP_CONTACT_NAME_LEN && c->nnames < VP_CONTACT_MAX_NAMES)
		{
			n = &c->names[c->nnames++];
			n->len = e - p;
			memcpy(n->text, p, n->len);
			n->text[n->len] = '\0';
			for (int i = 0; i <= n->len; i++)
				lower[i] = vp_to_lower((unsigned char) n->text[i]);
			n->common = n->len <= 2 ||
				word_index(lower, 0, n->len, common_words, lengthof(common_words)) >= 0;
			n->month = word_index(lower, 0, n->len, month_names, lengthof(month_names)) >= 0;
			n->common |= n->month;
		}
		p = *e != '\0' ? e + 1 : NULL;
	}
}

/* Sets the e-mail address (kept in lower case; one without '@' is ignored). */
void
vp_contact_set_email(ContactDetails *c, const char *email)
{
	int			len = email != NULL ? strlen(email) : 0;
	const char *at = email != NULL ? strchr(email, '@') : NULL;

	if (at == NULL || at == email || len > VP_CONTACT_EMAIL_LEN)
		return;
	for (int i = 0; i < len; i++)
		c->email[i] = vp_to_lower((unsigned char) email[i]);
	c->email[len] = '\0';
	c->email_len = len;
	c->local_len = at - email;
}

/* Adds one way of writing the number (digits only), when there is room. */
static void
add_number(ContactDetails *c, const char *digits, int n)
{
	if (n < 7 || n > MAX_NUMBER_DIGITS || c->nnumbers == VP_CONTACT_MAX_NUMBERS)
		return;
	memcpy(c->numbers[c->nnumbers], digits, n);
	c->numbers[c->nnumbers][n] = '\0';
	c->nnumbers++;
}

/*
 * Sets the phone number (an e164 Datum): its digits with the country code,
 * the national number, and the national number with a trunk 0 (outside
 * North America) or its last seven digits (inside).
 */
void
vp_contact_set_phone(ContactDetails *c, Datum e164)
{
	char		digits[16];
	char		trunk[24];
	E164Number	num;
	int			n = e164_unpack_digits(DatumGetInt64(e164), digits);

	c->nnumbers = 0;
	if (n <= 0 || !e164_unpack(DatumGetInt64(e164), &num))
		return;
	add_number(c, digits, n);
	add_number(c, num.nsn, num.nsn_length);
	if (num.country_code == 1 && num.nsn_length == 10)
		add_number(c, num.nsn + 3, 7);
	else if (num.nsn_length < (int) sizeof(trunk) - 1)
	{
		trunk[0] = '0';
		memcpy(trunk + 1, num.nsn, num.nsn_length);
		add_number(c, trunk, num.nsn_length + 1);
	}
}

/* Sets the ZIP code from its first five digits (ZIP+4 cut); anything else is ignored. */
void
vp_contact_set_zip(ContactDetails *c, const char *zip)
{
	c->zip[0] = '\0';
	if (zip == NULL || strlen(zip) < 5)
		return;
	for (int i = 0; i < 5; i++)
		if (!vp_is_digit((unsigned char) zip[i]))
			return;
	memcpy(c->zip, zip, 5);
	c->zip[5] = '\0';
}

#define LEAD_COLUMNS "SELECT first_name, last_name, email, primary_phone_e164, zip FROM vapi_pool.leads"

static VpPlan lead_by_id = {
	.sql = LEAD_COLUMNS " WHERE org_id = $1 AND id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* An address's lead (any case), the oldest as Instantly's flow takes it. */
static VpPlan lead_by_email = {
	.sql = LEAD_COLUMNS " WHERE org_id = $1 AND pg_catalog.lower(email) = pg_catalog.lower($2)"
	" ORDER BY created_at, id LIMIT 1",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

/* The columns of lead_by_id and lead_by_email, counted from 1. */
enum
{
	LEAD_COL_FIRST_NAME = 1,
	LEAD_COL_LAST_NAME,
	LEAD_COL_EMAIL,
	LEAD_COL_PHONE,
	LEAD_COL_ZIP
};

/*
 * Loads the details of the organisation's lead lead_id, or, when lead_id is
 * (Datum) 0, of the lead with the address email (SPI connected).  False
 * when there is no such lead.
 */
bool
vp_contact_load(ContactDetails *c, Datum org_id, Datum lead_id, const char *email)
{
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		phone;

	vp_contact_init(c);
	if (lead_id != (Datum) 0)
	{
		Datum		v[2] = {org_id, lead_id};

		vp_execute(&lead_by_id, v, NULL, 1);
	}
	else if (email != NULL)
	{
		Datum		v[2] = {org_id, CStringGetTextDatum(email)};

		vp_execute(&lead_by_email, v, NULL, 1);
	}
	else
		return false;
	if (SPI_processed != 1)
		return false;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	vp_contact_add_name(c, SPI_getvalue(row, desc, LEAD_COL_FIRST_NAME));
	vp_contact_add_name(c, SPI_getvalue(row, desc, LEAD_COL_LAST_NAME));
	vp_contact_set_email(c, SPI_getvalue(row, desc, LEAD_COL_EMAIL));
	phone = vp_getdatum(0, LEAD_COL_PHONE, &isnull);
	if (!isnull)
		vp_contact_set_phone(c, phone);
	vp_contact_set_zip(c, SPI_getvalue(row, desc, LEAD_COL_ZIP));
	return true;
}

/* ---------------------------------------------------------------- e-mail */

/* The separator a spoken word stands for in an address ('.', '_', '-', '@'), or 0. */
static char
spoken_separator(const char *s, int p, int n)
{
	if (is_word(s, p, n, "dot") || is_word(s, p, n, "period") || is_word(s, p, n, "point"))
		return '.';
	if (is_word(s, p, n, "underscore"))
		return '_';
	if (is_word(s, p, n, "dash") || is_word(s, p, n, "hyphen"))
		return '-';
	if (is_word(s, p, n, "at"))
		return '@';
	return 0;
}

/* Whether the local part is one word of the name (then the name rule reads it). */
static bool
local_is_name(const ContactDetails *c)
{
	for (int i = 0; i < c->nnames; i++)
		if (c->names[i].len == c->local_len &&
			pg_strncasecmp(c->email, c->names[i].text, c->local_len) == 0)
			return true;
	return false;
}

/*
 * Whether the local part, read alone, could be an ordinary word: it is
 * letters only (no separator, no digit) and a word of common_words or of
 * ordinary_local_parts.  Then it is matched only as part of the address.
 */
static bool
local_is_ordinary_word(const ContactDetails *c)
{
	for (int i = 0; i < c->local_len; i++)
		if (!vp_is_alpha((unsigned char) c->email[i]))
			return false;
	return word_index(c->email, 0, c->local_len, common_words, lengthof(common_words)) >= 0 ||
		word_index(c->email, 0, c->local_len, ordinary_local_parts, lengthof(ordinary_local_parts)) >= 0;
}

/*
 * The contact's address written or spoken from the word at p: its end, or
 * -1.  The text goes through the address a character at a time; a spoken
 * separator word stands for its character, the address's '.', '_' and '-'
 * may be left out, and spaces may be put in (then the address is spoken and
 * must go on to its domain).
 */
static int
match_email(const ContactDetails *c, const char *s, int len, int p)
{
	const char *t = c->email;
	int			tl = c->email_len;
	int			i = 0;			/* into the address */
	int			q = p;
	bool		spoken = false;
	bool		local_spoken = false;
	int			local_end = -1;
	int			domain_end = -1;

	if (tl == 0)
		return -1;
	while (i < tl && q < len)
	{
		unsigned char ch = (unsigned char) s[q];

		if (vp_is_alnum(ch))
		{
			int			w = run_end(s, len, q, false);
			char		sep = spoken_separator(s, q, w - q);

			if (sep != 0 && (q > p) && t[i] == sep)
			{
				i++;
				q = w;
				spoken = true;
			}
			else
			{
				int			k = q;

				while (k < w && i < tl)
				{
					if (vp_to_lower((unsigned char) s[k]) == (unsigned char) t[i])
						k++, i++;
					else if (i < c->local_len && (t[i] == '.' || t[i] == '_' || t[i] == '-'))
						i++;
					else
						break;
				}
				if (k < w)
					break;		/* the word goes on beyond the address */
				q = w;
			}
		}
		else if (ch == (unsigned char) t[i] && (ch == '.' || ch == '_' || ch == '-' || ch == '@' || ch == '+') &&
				 q + 1 < len && vp_is_alnum((unsigned char) s[q + 1]))
		{
			i++;
			q++;
			continue;
		}
		else if (ch == ' ' && q > p && q + 1 < len && vp_is_alnum((unsigned char) s[q + 1]))
		{
			q++;
			spoken = true;
			continue;
		}
		else if (ch == ' ' && q > p && i > 0 && i < c->local_len &&
				 len - q - 1 >= (int) strlen(PH_EMAIL) && strncmp(s + q + 1, PH_EMAIL, strlen(PH_EMAIL)) == 0)
			return q + 1 + strlen(PH_EMAIL);	/* "m [EMAIL]": redact_pii found the rest */
		else
			break;
		/* a word has been read: where could the address end? */
		if (i == c->local_len && !word_at(s, len, q))
		{
			local_end = q;
			local_spoken = spoken;
		}
		if (i > c->local_len + 1 && (i == tl || t[i] == '.') && !word_at(s, len, q))
			domain_end = q;
	}
	if (domain_end > 0)
		return domain_end;
	if (local_end > 0 && !local_spoken && c->local_len >= 4 && !local_is_name(c) &&
		!local_is_ordinary_word(c) && !(local_end < len && s[local_end] == '@'))
		return local_end;
	return -1;
}

/* ---------------------------------------------------------------- numbers */

/* The digit a word says ("oh" is 0), or -1. */
static int
digit_word(const char *s, int p, int n)
{
	if (is_word(s, p, n, "oh"))
		return 0;
	return word_index(s, p, n, digit_words, lengthof(digit_words));
}

/*
 * The contact's phone number or ZIP code from the numeral or digit word at
 * p: the end of the longest span whose digits are one of them (*placeholder
 * set), or -1.  Numerals and digit words ("double five") may be grouped in
 * any way; a ZIP code is one five-digit numeral (with its +4) or five digit
 * words, never a price.
 */
static int
match_number(const ContactDetails *c, const char *s, int len, int p, const char **placeholder)
{
	char		d[MAX_NUMBER_DIGITS + 1];
	int			nd = 0;
	int			q = p;
	int			best = -1;
	int			tokens = 0;
	bool		all_words = true;

	if (c->nnumbers == 0 && c->zip[0] == '\0')
		return -1;
	if (p > 0 && (s[p - 1] == '$' || s[p - 1] == '#'))
		return -1;
	while (q < len)
	{
		int			w;

		if (vp_is_digit((unsigned char) s[q]))
		{
			w = q;
			while (w < len && vp_is_digit((unsigned char) s[w]))
				w++;
			if (nd + (w - q) > MAX_NUMBER_DIGITS || (w < len && vp_is_alpha((unsigned char) s[w])))
				break;
			memcpy(d + nd, s + q, w - q);
			nd += w - q;
			all_words = false;
		}
		else if (vp_is_alpha((unsigned char) s[q]))
		{
			int			times = 1;
			int			v;

			w = run_end(s, len, q, true);
			if (is_word(s, q, w - q, "double") || is_word(s, q, w - q, "triple"))
			{
				times = (s[q] | 0x20) == 'd' ? 2 : 3;
				q = w;
				while (q < len && s[q] == ' ')
					q++;
				w = run_end(s, len, q, true);
			}
			v = digit_word(s, q, w - q);
			if (v < 0 || word_at(s, len, w) || nd + times > MAX_NUMBER_DIGITS)
				break;
			while (times-- > 0)
				d[nd++] = '0' + v;
		}
		else
			break;
		q = w;
		tokens++;
		for (int k = 0; k < c->nnumbers; k++)
			if ((int) strlen(c->numbers[k]) == nd && memcmp(d, c->numbers[k], nd) == 0)
			{
				best = q;
				*placeholder = PH_PHONE;
			}
		if (nd == 5 && c->zip[0] != '\0' && memcmp(d, c->zip, 5) == 0 && (tokens == 1 || all_words) &&
			!(q + 1 < len && (s[q] == ',' || s[q] == '.') && vp_is_digit((unsigned char) s[q + 1])))
		{
			best = q;
			*placeholder = PH_ZIP;
			if (tokens == 1 && q + 4 < len && s[q] == '-' && vp_is_digit((unsigned char) s[q + 1]) &&
				run_end(s, len, q + 1, false) == q + 5)
				best = q + 5;	/* ZIP+4 */
		}
		/* the separators before the next group */
		{
			int			k = q;

			while (k < len && k - q < MAX_SEPARATORS && strchr(" -.,/()", s[k]) != NULL && s[k] != '\0')
				k++;
			if (k == q || k >= len || !vp_is_alnum((unsigned char) s[k]))
				break;
			q = k;
		}
	}
	return best;
}

/* ---------------------------------------------------------------- names */

/* Whether s[p, e) is written as a name: a capital, then small letters. */
static bool
capitalised(const char *s, int p, int e)
{
	if (!vp_is_upper((unsigned char) s[p]))
		return false;
	for (int i = p + 1; i < e; i++)
		if (vp_is_upper((unsigned char) s[i]))
			return false;
	return true;
}

/*
 * The end of the name word n at p (any case; capitalised for a common word
 * unless relaxed), or -1.  An apostrophe of the name ("O'Connor") must be
 * in the text.
 */
static int
name_word_at(const ContactName *n, const char *s, int len, int p, bool relaxed)
{
	int			e = p + n->len;

	if (e > len || word_at(s, len, e))
		return -1;
	for (int i = 0; i < n->len; i++)
	{
		unsigned char a = (unsigned char) s[p + i];
		unsigned char b = (unsigned char) n->text[i];

		if (a != b && (a >= 0x80 || vp_to_lower(a) != vp_to_lower(b)))
			return -1;
	}
	if (n->common && !relaxed && !capitalised(s, p, e))
		return -1;
	return e;
}

/*
 * The end of the name word n spelled out letter by letter from p
 * ("Q-U-I-N-N", "T R A N", "O apostrophe C-O-N-N-O-R"), or -1.  Only a
 * name of three or more ASCII letters is read so.
 */
static int
spelled_name_at(const ContactName *n, const char *s, int len, int p)
{
	int			q = p;
	int			letters = 0;

	for (int i = 0; i < n->len; i++)
	{
		unsigned char b = (unsigned char) n->text[i];

		if (b == '\'' && i > 0)
		{
			/* the apostrophe said, or left out */
			int			k = q + 1;

			if (q < len && s[q] == ' ' && is_word(s, k, run_end(s, len, k, true) - k, "apostrophe"))
				q = run_end(s, len, k, true);
			continue;
		}
		if (!vp_is_alpha(b))
			return -1;
		if (letters > 0)
		{
			if (q < len && (s[q] == '-' || s[q] == ' ' || s[q] == '.'))
				q++;
			else
				return -1;
			if (q < len && s[q] == ' ' && s[q - 1] != ' ')
				q++;
		}
		if (q >= len || vp_to_lower((unsigned char) s[q]) != vp_to_lower(b) || word_at(s, len, q + 1))
			return -1;
		q++;
		letters++;
	}
	return letters >= 3 ? q : -1;
}

/*
 * A word of the name at p: its end, or -1; *which is the name word and
 * *plain whether it counts as a name wherever it is (not a common word, or
 * spelled out).
 */
static int
any_name_at(const ContactDetails *c, const char *s, int len, int p, bool relaxed, int *which, bool *plain)
{
	for (int i = 0; i < c->nnames; i++)
	{
		int			e = name_word_at(&c->names[i], s, len, p, relaxed);

		if (e > 0)
		{
			*which = i;
			*plain = !c->names[i].common;
			return e;
		}
	}
	for (int i = 0; i < c->nnames; i++)
	{
		int			e = spelled_name_at(&c->names[i], s, len, p);

		if (e > 0)
		{
			*which = i;
			*plain = true;
			return e;
		}
	}
	return -1;
}

/*
 * The words of the name in a row from p (separated by spaces or a hyphen):
 * their end, or -1; *first is the first one, *words how many, *plain
 * whether one of them counts as a name wherever it is.
 */
static int
name_run(const ContactDetails *c, const char *s, int len, int p, bool relaxed, int *first, int *words,
		 bool *plain)
{
	int			e = any_name_at(c, s, len, p, relaxed, first, plain);

	*words = e > 0 ? 1 : 0;
	while (e > 0)
	{
		int			q = e;
		int			next;
		int			which;
		bool		next_plain;

		while (q < len && q - e < 3 && (s[q] == ' ' || s[q] == '-'))
			q++;
		if (q == e || (next = any_name_at(c, s, len, q, relaxed, &which, &next_plain)) < 0)
			break;
		e = next;
		(*words)++;
		*plain |= next_plain;
	}
	return e;
}

/*
 * The lower-case word, or the last two ("this is"), ending before p (over
 * spaces and one comma), apostrophes left out; "" when there is none.
 */
static void
words_before(const char *s, int p, bool two, char *buf, int size)
{
	int			q = p;
	int			n = 0;
	char		w[2][MAX_CUE_WORD + 1];
	int			wl[2] = {0, 0};

	for (int k = 0; k < (two ? 2 : 1); k++)
	{
		int			e;

		while (q > 0 && (s[q - 1] == ' ' || s[q - 1] == '\t' || (k == 0 && s[q - 1] == ',')))
			q--;
		e = q;
		while (q > 0 && (vp_is_alpha((unsigned char) s[q - 1]) || s[q - 1] == '\''))
			q--;
		for (int i = q; i < e && wl[k] < MAX_CUE_WORD; i++)
			if (s[i] != '\'')
				w[k][wl[k]++] = vp_to_lower((unsigned char) s[i]);
		w[k][wl[k]] = '\0';
		if (wl[k] == 0)
			break;
	}
	buf[0] = '\0';
	if (two && wl[1] > 0)
		n = snprintf(buf, size, "%s %s", w[1], w[0]);
	else if (!two)
		n = snprintf(buf, size, "%s", w[0]);
	(void) n;
}

/* Whether a word of name_cues comes right before p ("Hi Will", "Mr. Long", "this is May"). */
static bool
cue_before(const char *s, int p)
{
	char		one[MAX_CUE_WORD + 1];
	char		two[2 * MAX_CUE_WORD + 2];
	int			q = p;

	/* a title's full stop: "Mr. Long" */
	while (q > 0 && s[q - 1] == ' ')
		q--;
	if (q > 0 && s[q - 1] == '.')
		q--;
	words_before(s, q, false, one, sizeof(one));
	words_before(s, q, true, two, sizeof(two));
	for (int i = 0; i < lengthof(name_cues); i++)
		if (strcmp(one, name_cues[i]) == 0 || strcmp(two, name_cues[i]) == 0)
			return true;
	return false;
}

/* Whether the word at p starts a sentence, a line or a turn ("User: Will ..."). */
static bool
sentence_start(const char *s, int p)
{
	int			q = p;

	while (q > 0 && strchr(" \t\"'(*>-", s[q - 1]) != NULL)
		q--;
	return q == 0 || strchr("\n\r.!?:", s[q - 1]) != NULL;
}

/* Whether the month-name word [p, e) is the month: "in May", "May 5th", "May 2026". */
static bool
month_context(const char *s, int len, int p, int e)
{
	char		one[MAX_CUE_WORD + 1];
	int			q = e;

	words_before(s, p, false, one, sizeof(one));
	for (int i = 0; i < lengthof(month_cues); i++)
		if (strcmp(one, month_cues[i]) == 0)
			return true;
	while (q < len && (s[q] == ' ' || s[q] == ','))
		q++;
	return q < len && vp_is_digit((unsigned char) s[q]);
}

/* Whether a street word follows the name ending at e ("Hill Street"). */
static bool
street_after(const char *s, int len, int e)
{
	int			q = e;

	while (q < len && s[q] == ' ')
		q++;
	return q > e && q < len && vp_is_upper((unsigned char) s[q]) &&
		word_index(s, q, run_end(s, len, q, true) - q, street_words, lengthof(street_words)) >= 0;
}

/*
 * Whether the word ending at e stands alone as a name: before a comma, a
 * line's end, "here" or "speaking", or a verb of person_verbs.
 */
static bool
stands_alone(const char *s, int len, int e)
{
	int			q = e;

	while (q < len && s[q] == ' ')
		q++;
	if (q >= len || s[q] == ',' || s[q] == '\n' || s[q] == '\r')
		return true;
	if (q > e && word_index(s, q, run_end(s, len, q, true) - q, person_verbs, lengthof(person_verbs)) >= 0)
		return true;
	if (s[q] == '.' || s[q] == '!')
	{
		q++;
		while (q < len && s[q] == ' ')
			q++;
		return q >= len || s[q] == '\n' || s[q] == '\r';
	}
	return is_word(s, q, run_end(s, len, q, true) - q, "here") ||
		is_word(s, q, run_end(s, len, q, true) - q, "speaking");
}

/*
 * The contact's name from the word at p: the end of the words of the name
 * in a row, or -1.  With a word that is not common among them, the common
 * ones count in any case ("pat quinn"); one common word alone counts only
 * where it must be the name.
 */
static int
match_name(const ContactDetails *c, const char *s, int len, int p)
{
	int			first;
	int			words;
	bool		plain;
	int			e = name_run(c, s, len, p, true, &first, &words, &plain);

	if (e > 0 && words > 1 && plain)
		return street_after(s, len, e) ? -1 : e;
	if ((e = name_run(c, s, len, p, false, &first, &words, &plain)) < 0 || street_after(s, len, e))
		return -1;
	if (words > 1 || plain)
		return e;
	if (cue_before(s, p) || (e + 2 <= len && s[e] == '\'' && s[e + 1] == 's' && !word_at(s, len, e + 2)))
		return e;
	if (c->names[first].month && month_context(s, len, p, e))
		return -1;
	if (!sentence_start(s, p))
		return e;
	return stands_alone(s, len, e) ? e : -1;
}

/* ---------------------------------------------------------------- the pass */

/* Replaces src[start, end) with placeholder, copying what comes before. */
static void
emit(Output *o, int start, int end, const char *placeholder)
{
	if (!o->started)
	{
		initStringInfo(&o->out);
		o->started = true;
	}
	appendBinaryStringInfo(&o->out, o->src + o->copied, start - o->copied);
	appendStringInfoString(&o->out, placeholder);
	o->copied = end;
}

/*
 * The text with the contact's details replaced (palloc'd, *out_len bytes),
 * or NULL when none of them is in it.
 */
char *
vp_redact_contact(const char *src, int len, const ContactDetails *c, int *out_len)
{
	Output		o = {.src = src, .len = len};
	int			p = 0;

	if (!vp_contact_known(c))
		return NULL;
	while (p < len)
	{
		unsigned char ch = (unsigned char) src[p];
		int			end = -1;
		const char *placeholder = NULL;
		int			start = p;

		if (!vp_is_alnum(ch) || word_before(src, p) || (p > 0 && src[p - 1] == '['))
		{
			p++;
			continue;
		}
		if ((end = match_email(c, src, len, p)) > 0)
			placeholder = PH_EMAIL;
		else if ((end = match_number(c, src, len, p, &placeholder)) > 0)
		{
			if (placeholder == PH_PHONE && p > 0 && src[p - 1] == '+')
				start = p - 1;
		}
		else if (vp_is_alpha(ch) && (end = match_name(c, src, len, p)) > 0)
			placeholder = PH_NAME;
		if (end > 0)
		{
			emit(&o, start, end, placeholder);
			p = end;
		}
		else
			p = run_end(src, len, p, false);
	}
	if (!o.started)
		return NULL;
	appendBinaryStringInfo(&o.out, src + o.copied, len - o.copied);
	*out_len = o.out.len;
	return o.out.data;
}

/* A text datum with the contact's details replaced; the datum itself when none is in it. */
Datum
vp_redact_contact_text(Datum value, const ContactDetails *c)
{
	text	   *t = DatumGetTextPP(value);
	int			out_len;
	char	   *out = vp_redact_contact(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), c, &out_len);

	return out != NULL ? PointerGetDatum(cstring_to_text_with_len(out, out_len)) : value;
}

/*
 * A text datum through redact_pii (read with the options) and then the
 * contact's details; the datum itself when neither changed it.
 */
Datum
vp_redact_text_for_contact(Datum value, const ContactDetails *c, const RedactOptions *o)
{
	return vp_redact_contact_text(vp_redact_pii_text(value, o), c);
}

/* An organisation's region, read by vp_org_redact_options. */
static VpPlan org_region = {
	.sql = "SELECT o.default_region FROM vapi_pool.orgs o WHERE o.org_id = $1",
	.nargs = 1, .argtypes = {UUIDOID}
};

/*
 * Sets the options' region to the organisation's default_region (SPI
 * connected).  An unknown organisation, or a region the phone-number
 * metadata does not know (orgs only checks its shape), leaves it as it
 * was: a text is never refused for its organisation's settings.
 */
void
vp_org_redact_options(RedactOptions *o, Datum org_id)
{
	bool		isnull;
	Datum		region;
	text	   *t;

	vp_execute(&org_region, &org_id, NULL, 1);
	if (SPI_processed != 1)
		return;
	region = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
	if (isnull)
		return;
	t = DatumGetTextPP(region);
	if (VARSIZE_ANY_EXHDR(t) == 2 && e164_region_by_code(VARDATA_ANY(t), 2) != NULL)
		vp_redact_options_set_region(o, VARDATA_ANY(t), 2);
}

/*
 * SQL: redact_personal(text, first_name, last_name, email, phone, zip):
 * redact_pii, then the given contact's details.
 */
Datum
vapi_pool_redact_personal(PG_FUNCTION_ARGS)
{
	ContactDetails c;
	RedactOptions o;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	vp_contact_init(&c);
	vp_redact_options_init(&o);
	if (!PG_ARGISNULL(1))
		vp_contact_add_name(&c, text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (!PG_ARGISNULL(2))
		vp_contact_add_name(&c, text_to_cstring(PG_GETARG_TEXT_PP(2)));
	if (!PG_ARGISNULL(3))
		vp_contact_set_email(&c, text_to_cstring(PG_GETARG_TEXT_PP(3)));
	if (!PG_ARGISNULL(4))
	{
		E164Number	num;
		const E164Region *region;

		vp_contact_set_phone(&c, PG_GETARG_DATUM(4));
		/* digits without '+' are read as dialled in the contact's country */
		if (e164_unpack(DatumGetInt64(PG_GETARG_DATUM(4)), &num) &&
			(region = e164_region_for_country_code(num.country_code)) != NULL &&
			strlen(region->code) == 2)
			vp_redact_options_set_region(&o, region->code, 2);
	}
	if (!PG_ARGISNULL(5))
		vp_contact_set_zip(&c, text_to_cstring(PG_GETARG_TEXT_PP(5)));
	PG_RETURN_DATUM(vp_redact_text_for_contact(PG_GETARG_DATUM(0), &c, &o));
}

/*
 * SQL: redact_for_contact(text, org_id, lead_id): redact_pii, then the
 * details of the organisation's lead (only redact_pii when there is none).
 */
Datum
vapi_pool_redact_for_contact(PG_FUNCTION_ARGS)
{
	ContactDetails c;
	RedactOptions o;
	Datum		result;
	MemoryContext upper = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	vp_contact_init(&c);
	vp_redact_options_init(&o);
	if (!PG_ARGISNULL(1))
	{
		MemoryContext spi;

		vp_spi_connect();
		vp_org_redact_options(&o, PG_GETARG_DATUM(1));
		if (!PG_ARGISNULL(2))
			vp_contact_load(&c, PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), NULL);
		spi = MemoryContextSwitchTo(upper);
		result = vp_redact_text_for_contact(PG_GETARG_DATUM(0), &c, &o);
		MemoryContextSwitchTo(spi);
		SPI_finish();
		PG_RETURN_DATUM(result);
	}
	PG_RETURN_DATUM(vp_redact_text_for_contact(PG_GETARG_DATUM(0), &c, &o));
}
