/*
 * reply_vocab.c
 *	  The classifier's vocabulary: every word a rule names gets a small id,
 *	  so that matching compares integers.  Contractions are split the way
 *	  the rules are written ("don't" -> do not, "I'd" -> i would), common
 *	  spellings without the apostrophe and text-speak map to the same ids
 *	  ("dont", "pls", "u"), and a few long words that people misspell
 *	  ("intrested", "unsubcribe") are recognised within one or two edits.
 *	  Words of no rule are unknown (id 0).
 *
 * Built once per process (reply_vocab_init, called by reply_rules_init), then
 * read only.
 */
#include "core/chars.h"
#include "core/text_distance.h"
#include "replies/reply_internal.h"

#include <string.h>

#define HASH_SIZE 4096			/* power of two, at least 2 * RV_MAX */
#define WORD_MAX 24
#define MAX_EXPANSION 3

typedef struct VocabWord
{
	char		word[WORD_MAX];
	uint8_t		len;
	int8_t		digit;			/* value of a digit word, else -1 */
	uint8_t		nexp;			/* alias: the ids it stands for */
	uint16_t	exp[MAX_EXPANSION];
	uint32_t	wclass;
} VocabWord;

static VocabWord vocab[RV_MAX];
static int	nvocab = RV_FIRST_WORD;
static uint16_t slots[HASH_SIZE];
static bool vocab_ready = false;

/* Surface forms that stand for other words. */
static const char *const aliases[][2] = {
	{"dont", "do not"}, {"cant", "can not"}, {"cannot", "can not"}, {"wont", "will not"},
	{"isnt", "is not"}, {"doesnt", "does not"}, {"didnt", "did not"}, {"arent", "are not"},
	{"wasnt", "was not"}, {"havent", "have not"}, {"hasnt", "has not"}, {"wouldnt", "would not"},
	{"couldnt", "could not"}, {"shouldnt", "should not"}, {"aint", "is not"},
	{"im", "i am"}, {"ive", "i have"}, {"youre", "you are"}, {"thats", "that is"},
	{"whats", "what is"}, {"theres", "there is"}, {"lets", "let us"}, {"hows", "how is"},
	{"pls", "please"}, {"plz", "please"}, {"plse", "please"}, {"pleae", "please"},
	{"thx", "thanks"}, {"thnx", "thanks"}, {"tnx", "thanks"}, {"thankyou", "thank you"},
	{"ty", "thanks"}, {"u", "you"}, {"ur", "your"}, {"ya", "you"},
	{"cel", "cell"}, {"cellphone", "cell"}, {"mob", "mobile"}, {"fone", "phone"},
	{"telephone", "phone"}, {"ph", "phone"}, {"tel", "phone"},
	{"tmrw", "tomorrow"}, {"tmr", "tomorrow"}, {"tomorow", "tomorrow"}, {"tonite", "tonight"},
	{"emails", "email"}, {"mails", "email"},
	{"unsub", "unsubscribe"}, {"optout", "opt out"}, {"autoreply", "auto reply"},
	{"noone", "no one"}, {"holidays", "holiday"}, {"okay", "ok"}, {"k", "ok"},
	{"yeah", "yes"}, {"yep", "yes"}, {"yup", "yes"}, {"yea", "yes"},
	{"nah", "nope"}, {"thru", "through"}, {"refi", "refinance"}, {"refinancing", "refinance"},
	{"gonna", "going to"}, {"wanna", "want to"}, {"gimme", "give me"}, {"lmk", "let me know"}, {"hmu", "hit me up"},
	/* Spanish words that mean what an English rule names (accents folded) */
	{"mi", "my"}, {"mis", "my"}, {"celular", "cell"}, {"movil", "mobile"}, {"telefono", "phone"},
	{"numero", "number"}, {"correo", "email"}, {"correos", "email"}, {"texto", "text"},
	{"textos", "text"}, {"porfa", "please"}, {"porfavor", "please"}, {"xfa", "please"},
	{"xfavor", "please"}, {"nunca", "never"},
	{"txt", "text"}, {"cal", "call"}, {"plese", "please"}, {"pleas", "please"}, {"casa", "home"},
	{NULL, NULL}
};

/* Long words often misspelt, and the word they are. */
static const char *const fuzzy_words[] = {
	"interested", "interesting", "unsubscribe", "information", "vacation", "office",
	"number", "please", "automatic", "maternity", "refinanced", "mortgage", "contact",
	"emailing", "calendar", "available", "tomorrow", "remove", "thanks", "absolutely",
	"definitely", "appreciate", "currently", "returning", "deceased", NULL
};

static const char *const digit_words[] = {"zero", "one", "two", "three", "four", "five", "six",
"seven", "eight", "nine", NULL};

/* The same in Spanish (accents folded: "cero" .. "nueve"). */
static const char *const digit_words_es[] = {"cero", "uno", "dos", "tres", "cuatro", "cinco", "seis",
"siete", "ocho", "nueve", NULL};

/* FNV-1a of word[0..len). */
static uint32_t
hash_word(const char *word, int len)
{
	uint32_t	h = 2166136261u;

	for (int i = 0; i < len; i++)
	{
		h ^= (unsigned char) word[i];
		h *= 16777619u;
	}
	return h;
}

/* The id of word[0..len), or 0. */
uint16_t
reply_vocab_find(const char *word, int len)
{
	uint32_t	h;

	if (len <= 0 || len >= WORD_MAX)
		return RV_UNKNOWN;
	h = hash_word(word, len) & (HASH_SIZE - 1);
	while (slots[h] != 0)
	{
		const VocabWord *v = &vocab[slots[h]];

		if (v->len == len && memcmp(v->word, word, len) == 0)
			return slots[h];
		h = (h + 1) & (HASH_SIZE - 1);
	}
	return RV_UNKNOWN;
}

/* The id of word[0..len), added if new (only while the rules are built). */
uint16_t
reply_vocab_intern(const char *word, int len)
{
	uint16_t	id = reply_vocab_find(word, len);
	uint32_t	h;

	if (id != RV_UNKNOWN || len <= 0 || len >= WORD_MAX || nvocab >= RV_MAX)
		return id;
	id = (uint16_t) nvocab++;
	memcpy(vocab[id].word, word, len);
	vocab[id].word[len] = '\0';
	vocab[id].len = (uint8_t) len;
	vocab[id].digit = -1;
	h = hash_word(word, len) & (HASH_SIZE - 1);
	while (slots[h] != 0)
		h = (h + 1) & (HASH_SIZE - 1);
	slots[h] = id;
	return id;
}

/* The classes of a word id. */
uint32_t
reply_vocab_class(uint16_t id)
{
	return id < nvocab ? vocab[id].wclass : 0;
}

/* The value of a digit word (zero .. nine, oh), else -1. */
int
reply_vocab_digit(uint16_t id)
{
	return id >= RV_FIRST_WORD && id < nvocab ? vocab[id].digit : -1;
}

/* Sets up aliases, digit words and word classes; idempotent. */
void
reply_vocab_init(void)
{
	static const struct
	{
		uint32_t	wclass;
		const char *words;
	}			classes[] = {
		{WC_NEGATOR, "not no never nobody nothing without neither nor hardly ni tampoco nadie nunca jamas"},
		{WC_NEG_EXCEPT, "only problem problems worries worry sure matter just doubt dude duden dudes olvide olvides olviden"},
		{WC_CONTRAST, "but however though although except otherwise aber pero sino"},
		{WC_CALL_WORD, "call calls calling phone ring reach reached cell mobile number line direct llame llamen llamar "
		 "dial bell landline home cellphone whatsapp contact"},
		{WC_MOBILE, "cell mobile"},
		{WC_PREFER, "better best prefer preferred instead new correct updated current easiest mejor prefiero nuevo "
		 "easier anytime use"},
		{WC_OLD, "old former previous disconnected wrong viejo vieja anterior antiguo equivocado"},
		{WC_FAX, "fax"},
		{WC_OTHER_PERSON, "assistant colleague secretary receptionist reception manager main "
		 "urgent emergency switchboard team"},
		{WC_PHONE_BAD, "text sms whatsapp mensaje mensajes"},
		{WC_NUM_CONTEXT, "loan account acct order invoice ref reference tracking confirmation "
		 "case ticket policy claim id ssn social routing zip postcode code pin file application "
		 "member customer prestamo cuenta orden caso codigo postal cliente poliza"},
		{WC_CALL_BLOCKER, "if why did who keep kept whenever unless stop quit hard difficult"},
		{WC_SUBJECT, "i we"},
		{WC_MODAL, "will would can could shall should may might"},
		{WC_OBJECT, "me us him her them"},
		{WC_ACK, "ok alright fine cool thanks thank you thx ty gracias bueno vale okey hmm hmmm mmm mm "
		 "a ver got it noted great perfect"},
		{WC_YES, "yes sure si claro absolutely definitely certainly please of course"},
		{WC_HEDGE, "maybe perhaps depends depending depende quizas quiza tal vez possibly unsure thinking yet still interesting"},
		{WC_URGENT, "emergency emergencies urgent urgently urgencia emergencia urgente urgencias emergencias sensitive "
		 "timesensitive important"},
		{WC_PEOPLE, "wife husband son daughter spouse partner assistant colleague secretary office team accountant"},
		{WC_MAIL, "email emailing emails mail mailing writing messages message sending text texts texting"},
		{WC_DEVICE, "cell phone number line signal mobile landline internet wifi cellphone"},
		{WC_LINE, "cell mobile number line direct landline home office work desk house cellphone"},
	};

	if (vocab_ready)
		return;
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++)
	{
		const char *p = classes[c].words;

		while (*p)
		{
			const char *e = p;
			uint16_t	id;

			while (*e && *e != ' ')
				e++;
			id = reply_vocab_intern(p, (int) (e - p));
			if (id != RV_UNKNOWN)
				vocab[id].wclass |= classes[c].wclass;
			p = *e ? e + 1 : e;
		}
	}
	/* words reply_phone.c looks up: the lines a signature labels, and its own name */
	{
		static const char *const words[] = {"o", "w", "d", "m", "c", "h", "desk", "main", "house",
		"office", "work", "home", "direct", "signature", "below", "only", NULL};

		for (int k = 0; words[k]; k++)
			reply_vocab_intern(words[k], (int) strlen(words[k]));
	}
	for (int d = 0; digit_words[d]; d++)
	{
		uint16_t	id = reply_vocab_intern(digit_words[d], (int) strlen(digit_words[d]));
		uint16_t	es = reply_vocab_intern(digit_words_es[d], (int) strlen(digit_words_es[d]));

		vocab[id].digit = (int8_t) d;
		vocab[id].wclass |= WC_DIGIT;
		vocab[es].digit = (int8_t) d;
		vocab[es].wclass |= WC_DIGIT;
	}
	{
		uint16_t	oh = reply_vocab_intern("oh", 2);

		vocab[oh].digit = 0;
		vocab[oh].wclass |= WC_DIGIT;
	}
	for (int a = 0; aliases[a][0]; a++)
	{
		uint16_t	id = reply_vocab_intern(aliases[a][0], (int) strlen(aliases[a][0]));
		const char *p = aliases[a][1];

		if (id == RV_UNKNOWN || vocab[id].nexp > 0)
			continue;
		while (*p && vocab[id].nexp < MAX_EXPANSION)
		{
			const char *e = p;

			while (*e && *e != ' ')
				e++;
			vocab[id].exp[vocab[id].nexp++] = reply_vocab_intern(p, (int) (e - p));
			p = *e ? e + 1 : e;
		}
		/* an alias of itself just keeps its own id */
		if (vocab[id].nexp == 1 && vocab[id].exp[0] == id)
			vocab[id].nexp = 0;
	}
	for (int f = 0; fuzzy_words[f]; f++)
		reply_vocab_intern(fuzzy_words[f], (int) strlen(fuzzy_words[f]));
	vocab_ready = true;
}

/* The set of letters of a word, one bit per letter a..z. */
static uint32_t
letter_set(const char *word, int len)
{
	uint32_t	set = 0;

	for (int i = 0; i < len; i++)
		set |= UINT32_C(1) << (word[i] - 'a');
	return set;
}

/* every word fits vp_edit_distance */
_Static_assert(WORD_MAX <= VP_EDIT_DISTANCE_MAX_LEN, "words too long for vp_edit_distance");

/* A misspelt long word: the id of the word it is within one or two edits, or 0. */
static uint16_t
fuzzy_find(const char *word, int len)
{
	int			max = len >= 9 ? 2 : 1;
	uint32_t	set;

	if (len < 6 || len >= WORD_MAX)
		return RV_UNKNOWN;
	for (int i = 0; i < len; i++)
		if (!vp_is_lower((unsigned char) word[i]))
			return RV_UNKNOWN;
	set = letter_set(word, len);
	for (int f = 0; fuzzy_words[f]; f++)
	{
		const char *c = fuzzy_words[f];
		int			lc = (int) strlen(c);
		uint32_t	cset;

		if (c[0] != word[0] || lc - len > max || len - lc > max)
			continue;
		/* each edit adds or removes at most one letter of the set */
		cset = letter_set(c, lc);
		if (__builtin_popcount(set & ~cset) > max || __builtin_popcount(cset & ~set) > max)
			continue;
		if (vp_edit_distance(word, len, c, lc, max, true) <= max)
			return reply_vocab_find(c, lc);
	}
	return RV_UNKNOWN;
}

/* Appends id, or its alias expansion, to ids; returns the new count. */
static int
emit(uint16_t id, uint16_t *ids, int n, int max)
{
	if (id >= RV_FIRST_WORD && vocab[id].nexp > 0)
	{
		for (int k = 0; k < vocab[id].nexp && n < max; k++)
			ids[n++] = vocab[id].exp[k];
		return n;
	}
	if (n < max)
		ids[n++] = id;
	return n;
}

/*
 * The ids of one written word (lower case, apostrophes as ', no hyphens):
 * one id, or several for a contraction or an alias ("don't" -> do, not).
 * Returns how many were written to ids (at least one; 0 is unknown).
 */
int
reply_vocab_expand(const char *word, int len, uint16_t *ids, int max)
{
	const char *apos = memchr(word, '\'', len);
	uint16_t	id;

	if (apos != NULL)
	{
		int			base = (int) (apos - word);
		const char *suffix = apos + 1;
		int			slen = len - base - 1;
		int			n = 0;

		if (base > 1 && word[base - 1] == 'n' && slen == 1 && suffix[0] == 't')
		{
			/* don't, can't, won't, isn't */
			int			b = base - 1;

			if (b == 2 && memcmp(word, "ca", 2) == 0)
				n = emit(reply_vocab_find("can", 3), ids, n, max);
			else if (b == 2 && memcmp(word, "wo", 2) == 0)
				n = emit(reply_vocab_find("will", 4), ids, n, max);
			else if (b == 2 && memcmp(word, "ai", 2) == 0)
				n = emit(reply_vocab_find("is", 2), ids, n, max);
			else
				n = emit(reply_vocab_find(word, b), ids, n, max);
			return emit(reply_vocab_find("not", 3), ids, n, max);
		}
		if (slen >= 1 && slen <= 2)
		{
			const char *full = NULL;

			if (slen == 1 && suffix[0] == 'm')
				full = "am";
			else if (slen == 2 && memcmp(suffix, "re", 2) == 0)
				full = "are";
			else if (slen == 2 && memcmp(suffix, "ve", 2) == 0)
				full = "have";
			else if (slen == 2 && memcmp(suffix, "ll", 2) == 0)
				full = "will";
			else if (slen == 1 && suffix[0] == 'd')
				full = "would";
			else if (slen == 1 && suffix[0] == 's')
			{
				static const char *const is_words[] = {"it", "that", "what", "there", "he", "she",
				"who", "here", "where", "how", "this", "everything", "nothing", NULL};

				if (base == 3 && memcmp(word, "let", 3) == 0)
					full = "us";
				for (int k = 0; is_words[k] && full == NULL; k++)
					if ((int) strlen(is_words[k]) == base && memcmp(word, is_words[k], base) == 0)
						full = "is";
				/* otherwise a possessive: the word alone */
			}
			if (full != NULL || (slen == 1 && suffix[0] == 's'))
			{
				n = emit(reply_vocab_find(word, base), ids, n, max);
				if (full != NULL)
					n = emit(reply_vocab_find(full, (int) strlen(full)), ids, n, max);
				return n;
			}
		}
		/* g'day, o'clock: the word without its apostrophes */
		{
			char		buf[WORD_MAX];
			int			k = 0;

			for (int i = 0; i < len && k < WORD_MAX - 1; i++)
				if (word[i] != '\'')
					buf[k++] = word[i];
			return emit(reply_vocab_find(buf, k), ids, 0, max);
		}
	}
	id = reply_vocab_find(word, len);
	if (id == RV_UNKNOWN)
		id = fuzzy_find(word, len);
	return emit(id, ids, 0, max);
}
