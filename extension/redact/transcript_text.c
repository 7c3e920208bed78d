/*
 * transcript_text.c
 *	  Reading a call transcript: who speaks each line, its sentences and
 *	  their words, and matching an organisation's vocabulary against them.
 *
 * A Vapi transcript has one turn a line, "AI: ..." for the assistant and
 * "User: ..." for the caller; a line without a known prefix continues the
 * turn before it.  Words are runs of ASCII letters and digits, lower-cased,
 * with apostrophes dropped ("Don't" is "dont"), so matching is on whole
 * words and never inside one.  Terms match with the transcriber's usual
 * slips tolerated: a plural, a word split in two ("rhino plasty") or two
 * run together ("nosejob"), and one wrong letter in a long word (two in a
 * very long one), never the first.  Variants are indexed by their first
 * letter, so a word is compared with the few that could match it.
 * Negation is read in the clause of the mention only.
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/uuid.h"

#include "redact/transcript_text.h"
#include "core/chars.h"
#include "core/saved_plans.h"
#include "core/text_distance.h"

static const char *const caller_prefixes[] = {"user", "customer", "caller", "patient", "human"};
static const char *const assistant_prefixes[] = {"ai", "assistant", "bot", "agent", "voxanne", "barbara"};

/* Words that negate what follows them in their clause. */
static const char *const negations[] = {
	"not", "no", "dont", "never", "nothing", "neither", "nor", "without", "doesnt", "didnt",
	"wont", "isnt", "arent", "wasnt", "against", "avoid", "instead", "sin", "nada",
};

/* Words after a negation that undo it: "not sure", "no idea", "never had". */
static const char *const negation_undoers[] = {
	"sure", "certain", "only", "idea", "problem", "mind", "know", "had", "tried", "done", "worry",
};

/* Phrases before a mention, in its clause, that negate it: "I'm done with the Botox". */
static const char *const negating_heads[] = {"done with", "through with", "sick of", "tired of", "over with", "im past"};

/* Phrases after a mention, in its clause, that negate it. */
static const char *const negating_tails[] = {
	"not for me", "no thanks", "no thank you", "isnt for me", "no es lo m", "no es para m",
};

/* Conditions, medications and allergies every organisation's redactor knows. */
static const struct
{
	TermKind	kind;
	const char *phrase;
}			builtin_medical[] = {
	{TERM_CONDITION, "diabetes"}, {TERM_CONDITION, "diabetic"}, {TERM_CONDITION, "asthma"},
	{TERM_CONDITION, "asthmatic"}, {TERM_CONDITION, "hypertension"},
	{TERM_CONDITION, "high blood pressure"}, {TERM_CONDITION, "low blood pressure"},
	{TERM_CONDITION, "heart disease"}, {TERM_CONDITION, "heart condition"},
	{TERM_CONDITION, "heart attack"}, {TERM_CONDITION, "heart murmur"}, {TERM_CONDITION, "stroke"},
	{TERM_CONDITION, "cancer"}, {TERM_CONDITION, "chemotherapy"}, {TERM_CONDITION, "chemo"},
	{TERM_CONDITION, "hiv"}, {TERM_CONDITION, "hepatitis"}, {TERM_CONDITION, "epilepsy"},
	{TERM_CONDITION, "seizures"}, {TERM_CONDITION, "depression"}, {TERM_CONDITION, "bipolar"},
	{TERM_CONDITION, "anxiety disorder"}, {TERM_CONDITION, "arthritis"}, {TERM_CONDITION, "thyroid"},
	{TERM_CONDITION, "hypothyroidism"}, {TERM_CONDITION, "kidney disease"},
	{TERM_CONDITION, "liver disease"}, {TERM_CONDITION, "copd"}, {TERM_CONDITION, "pregnant"},
	{TERM_CONDITION, "pregnancy"}, {TERM_CONDITION, "breastfeeding"}, {TERM_CONDITION, "sleep apnea"},
	{TERM_CONDITION, "migraines"}, {TERM_CONDITION, "lupus"}, {TERM_CONDITION, "autoimmune"},
	{TERM_CONDITION, "blood clots"}, {TERM_CONDITION, "bleeding disorder"},
	{TERM_CONDITION, "hemophilia"}, {TERM_CONDITION, "herpes"}, {TERM_CONDITION, "cold sores"},
	{TERM_CONDITION, "keloids"}, {TERM_CONDITION, "psoriasis"}, {TERM_CONDITION, "eczema"},
	{TERM_CONDITION, "rosacea"}, {TERM_CONDITION, "glaucoma"}, {TERM_CONDITION, "osteoporosis"},
	{TERM_CONDITION, "multiple sclerosis"}, {TERM_CONDITION, "dementia"},
	{TERM_CONDITION, "medical history"}, {TERM_CONDITION, "diagnosed"}, {TERM_CONDITION, "diagnosis"},
	{TERM_MEDICATION, "blood thinners"}, {TERM_MEDICATION, "blood thinner"},
	{TERM_MEDICATION, "insulin"}, {TERM_MEDICATION, "metformin"}, {TERM_MEDICATION, "warfarin"},
	{TERM_MEDICATION, "coumadin"}, {TERM_MEDICATION, "eliquis"}, {TERM_MEDICATION, "lisinopril"},
	{TERM_MEDICATION, "statins"}, {TERM_MEDICATION, "antidepressants"},
	{TERM_MEDICATION, "antibiotics"}, {TERM_MEDICATION, "accutane"}, {TERM_MEDICATION, "isotretinoin"},
	{TERM_MEDICATION, "prednisone"}, {TERM_MEDICATION, "steroids"}, {TERM_MEDICATION, "ozempic"},
	{TERM_MEDICATION, "semaglutide"}, {TERM_MEDICATION, "medication"}, {TERM_MEDICATION, "medications"},
	{TERM_MEDICATION, "prescribed"}, {TERM_MEDICATION, "prescription"},
	{TERM_ALLERGY, "allergic"}, {TERM_ALLERGY, "allergy"}, {TERM_ALLERGY, "allergies"},
	{TERM_ALLERGY, "penicillin"}, {TERM_ALLERGY, "latex"}, {TERM_ALLERGY, "lidocaine"},
	{TERM_ALLERGY, "anaphylaxis"},
};

/* Words of a personal past, before a procedure or surgery. */
static const char *const past_before[] = {
	"i had", "ive had", "i have had", "i got", "i underwent", "ive undergone", "i already had",
	"my last", "my previous", "my first", "i used to", "had my",
};

/*
 * More of them, read in a procedure's clause (vp_past_in_clause) and
 * sentence (vp_past_in_sentence) on top of past_before: what a patient says
 * of a past treatment and its care.
 */
static const char *const past_before_more[] = {
	"i did", "since my", "after my", "from my", "i finished", "finished my", "i completed",
	"completed my", "i just had", "me hice", "me puse", "tuve", "me operaron", "me oper",
	"me hicieron", "me pusieron", "me hizo", "got my", "got it done", "got them done",
	"had it done", "had them done", "ive done", "i have done", "ive been doing", "ive been getting",
	"did my", "i came in", "came in for", "i was in for", "i went in", "i bought", "i paid for",
	"i purchased",
};

/*
 * Someone else's past, read only with a question of care ("she had her
 * facelift on Friday and a stitch came loose"); without one it is an
 * anecdote ("my buddy Earl got it on his back"), and the caller's interest.
 */
static const char *const past_before_care[] = {
	"she had", "he had", "she got", "he got", "had her", "had his", "they had",
};

/* Words of a past, after a procedure or surgery. */
static const char *const past_after[] = {
	"years ago", "year ago", "last year", "in the past", "done before", "weeks ago", "week ago",
	"days ago", "months ago", "month ago", "last week", "last month", "la semana pasada",
	"el mes pasado", "el a o pasado", "years back", "year back", "a while back", "a while ago",
	"last monday", "last tuesday", "last wednesday", "last thursday", "last friday", "last saturday",
	"last sunday", "yesterday", "the other day",
};

static const char *const kind_names[] = {"procedure", "condition", "medication", "allergy", "surgery"};

/* True if the string is one of the n words of the list. */
static bool
word_in(const char *w, const char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (w[0] == list[i][0] && strcmp(w, list[i]) == 0)
			return true;
	return false;
}

/* Length of an apostrophe at p inside a word ("'" or U+2019), else 0. */
static inline int
apostrophe_at(const char *s, int p, int end)
{
	if (s[p] == '\'')
		return 1;
	if (p + 2 < end && (unsigned char) s[p] == 0xE2 && (unsigned char) s[p + 1] == 0x80 &&
		(unsigned char) s[p + 2] == 0x99)
		return 3;
	return 0;
}

/* The speaker named by a line's "Name:" prefix, and where its text starts. */
static bool
line_speaker(const char *s, int start, int end, Speaker *speaker, int *text_start)
{
	int			p = start;
	char		name[16];
	int			n = 0;

	while (p < end && (s[p] == ' ' || s[p] == '\t'))
		p++;
	while (p < end && n < (int) sizeof(name) - 1 && (vp_is_alnum((unsigned char) s[p]) || s[p] == ' '))
		name[n++] = pg_ascii_tolower((unsigned char) s[p++]);
	if (p >= end || s[p] != ':')
		return false;
	while (n > 0 && name[n - 1] == ' ')
		n--;
	name[n] = '\0';
	if (word_in(name, caller_prefixes, lengthof(caller_prefixes)))
		*speaker = SPEAKER_CALLER;
	else if (word_in(name, assistant_prefixes, lengthof(assistant_prefixes)))
		*speaker = SPEAKER_ASSISTANT;
	else
		return false;
	*text_start = p + 1;
	return true;
}

/* Splits s[start, end) into words (room for cap at first); returns how many. */
static int
split_words(const char *s, int start, int end, Word **out, int cap)
{
	int			n = 0;
	Word	   *words = palloc(sizeof(Word) * cap);
	bool		clause = true;

	for (int p = start; p < end;)
	{
		unsigned char c = s[p];

		if (!vp_is_alnum(c))
		{
			if (c == ',' || c == ';' || c == ':' || c == '(' || c == ')' ||
				(c == '-' && p > start && s[p - 1] == ' '))
				clause = true;
			p++;
			continue;
		}
		if (n == cap)
		{
			cap *= 2;
			words = repalloc(words, sizeof(Word) * cap);
		}
		words[n].start = p;
		words[n].len = 0;
		while (p < end)
		{
			int			a;

			if (vp_is_alnum((unsigned char) s[p]))
			{
				if (words[n].len < VP_MAX_WORD - 1)
					words[n].text[words[n].len++] = pg_ascii_tolower((unsigned char) s[p]);
				p++;
			}
			else if ((a = apostrophe_at(s, p, end)) > 0 && p + a < end && vp_is_alnum((unsigned char) s[p + a]))
				p += a;
			else
				break;
		}
		words[n].text[words[n].len] = '\0';
		words[n].end = p;
		if ((words[n].text[0] == 'b' && strcmp(words[n].text, "but") == 0) ||
			(words[n].text[0] == 'a' && strcmp(words[n].text, "although") == 0) ||
			(words[n].text[0] == 't' && strcmp(words[n].text, "though") == 0))
			clause = true;
		words[n].clause_start = clause;
		clause = false;
		n++;
	}
	*out = words;
	return n;
}

/* Titles and initials whose full stop does not end a sentence ("Dr. Ray"). */
static const char *const abbreviations[] = {"dr", "mr", "mrs", "ms", "st", "jr", "sr", "prof", "vs", "etc", "approx"};

/* True if the '.' at dot ends an abbreviation or an initial, not a sentence. */
static bool
abbreviation_before(const char *s, int start, int dot)
{
	char		w[8];
	int			b = dot;
	int			n;

	while (b > start && vp_is_alnum((unsigned char) s[b - 1]))
		b--;
	n = dot - b;
	if (n == 1 && vp_is_upper((unsigned char) s[b]))
		return true;			/* an initial: "J. Smith" */
	if (n == 0 || n >= (int) sizeof(w))
		return false;
	for (int i = 0; i < n; i++)
		w[i] = pg_ascii_tolower((unsigned char) s[b + i]);
	w[n] = '\0';
	return word_in(w, abbreviations, lengthof(abbreviations));
}

/*
 * Splits a transcript into sentences with their speaker and words.  A
 * sentence ends at '.', '!' or '?' followed by a space or the line's end,
 * and at every line's end.
 */
Sentence *
vp_split_transcript(const char *s, int len, int *nsentences)
{
	int			cap = 16,
				n = 0;
	Sentence   *out = palloc(sizeof(Sentence) * cap);
	Speaker		speaker = SPEAKER_CALLER;
	int			turn = -1;

	for (int line = 0; line < len;)
	{
		int			eol = line;
		int			p;
		bool		prefixed;

		while (eol < len && s[eol] != '\n')
			eol++;
		prefixed = line_speaker(s, line, eol, &speaker, &p);
		if (!prefixed)
			p = line;
		if (prefixed || turn < 0)
			turn++;
		while (p < eol)
		{
			int			q = p;

			while (q < eol && !((s[q] == '.' || s[q] == '!' || s[q] == '?') &&
								(q + 1 == eol || s[q + 1] == ' ' || s[q + 1] == '\r') &&
								!(s[q] == '.' && abbreviation_before(s, p, q))))
				q++;
			if (q < eol)
				q++;
			if (n == cap)
			{
				cap *= 2;
				out = repalloc(out, sizeof(Sentence) * cap);
			}
			out[n].speaker = speaker;
			out[n].turn = turn;
			out[n].start = p;
			out[n].end = q;
			out[n].nwords = split_words(s, p, q, &out[n].words, 16);
			while (out[n].start < q && s[out[n].start] == ' ')
				out[n].start++;
			if (out[n].nwords > 0)
				n++;
			p = q;
		}
		line = eol + 1;
	}
	*nsentences = n;
	return out;
}

/* Prepares an empty vocabulary. */
static void
termset_init(TermSet *set)
{
	memset(set, 0, sizeof(*set));
	set->cap_terms = 16;
	set->cap_variants = 32;
	set->names = palloc(sizeof(char *) * set->cap_terms);
	set->kinds = palloc(sizeof(TermKind) * set->cap_terms);
	set->variants = palloc(sizeof(TermVariant) * set->cap_variants);
}

/* Adds one way of saying a term; a phrase of more than four words is ignored. */
static void
termset_add_variant(TermSet *set, int term, const char *phrase)
{
	Word	   *words;
	int			n = split_words(phrase, 0, strlen(phrase), &words, 4);
	TermVariant *v;

	if (n == 0 || n > 4)
		return;
	if (set->nvariants == set->cap_variants)
	{
		set->cap_variants *= 2;
		set->variants = repalloc(set->variants, sizeof(TermVariant) * set->cap_variants);
	}
	v = &set->variants[set->nvariants++];
	set->indexed = false;
	v->term = term;
	v->nwords = n;
	v->ljoined = 0;
	for (int i = 0; i < n; i++)
	{
		memcpy(v->words[i], words[i].text, words[i].len + 1);
		v->lens[i] = words[i].len;
		memcpy(v->joined + v->ljoined, words[i].text, words[i].len);
		v->ljoined += words[i].len;
	}
	v->lkey = v->ljoined <= VP_MAX_WORD ? vp_phonetic_key(v->joined, v->ljoined, v->key) : 0;
	pfree(words);
}

/* Adds a term (its name is also its first variant); returns its index. */
static int
termset_add(TermSet *set, const char *name, TermKind kind)
{
	if (set->nterms == set->cap_terms)
	{
		set->cap_terms *= 2;
		set->names = repalloc(set->names, sizeof(char *) * set->cap_terms);
		set->kinds = repalloc(set->kinds, sizeof(TermKind) * set->cap_terms);
	}
	set->names[set->nterms] = pstrdup(name);
	set->kinds[set->nterms] = kind;
	termset_add_variant(set, set->nterms, name);
	return set->nterms++;
}

/* Orders the variants by first byte (a counting sort) and builds the index vp_match_term uses. */
static void
termset_index(TermSet *set)
{
	int			count[257] = {0};
	TermVariant *sorted = palloc(sizeof(TermVariant) * Max(set->nvariants, 1));

	for (int v = 0; v < set->nvariants; v++)
		count[(unsigned char) set->variants[v].words[0][0] + 1]++;
	for (int c = 1; c <= 256; c++)
		count[c] += count[c - 1];
	memcpy(set->by_first, count, sizeof(count));
	for (int v = 0; v < set->nvariants; v++)
		sorted[count[(unsigned char) set->variants[v].words[0][0]]++] = set->variants[v];
	pfree(set->variants);
	set->variants = sorted;
	set->cap_variants = Max(set->nvariants, 1);
	set->indexed = true;
}

/* The kind named by clinic_terms.kind; false for an unknown name. */
static bool
term_kind_from_name(const char *name, TermKind *kind)
{
	for (int i = 0; i < lengthof(kind_names); i++)
		if (strcmp(name, kind_names[i]) == 0)
		{
			*kind = (TermKind) i;
			return true;
		}
	return false;
}

static VpPlan org_terms = {
	.sql = "SELECT name, kind, variants FROM vapi_pool.clinic_terms WHERE org_id = $1 ORDER BY name",
	.nargs = 1, .argtypes = {UUIDOID}
};

/*
 * The row versions of an organisation's vocabulary: any insert, update or
 * delete changes them (an updated row is a new version, with its writer's
 * xid, command and a new place), and the table's file changes when it is
 * truncated or rewritten in another transaction (TRUNCATE, VACUUM FULL,
 * CLUSTER: places start again; a table truncated again in the transaction
 * that truncated it keeps its file, and its new rows have later commands), so
 * they tell whether a remembered vocabulary still holds without reading,
 * sorting and hashing every variant.
 */
static VpPlan org_term_versions = {
	.sql = "SELECT t.xmin, t.ctid, t.tableoid, t.cmin FROM vapi_pool.clinic_terms t WHERE t.org_id = $1",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The columns of org_term_versions, counted from 1. */
enum
{
	TERM_VERSIONS_COL_XMIN = 1,
	TERM_VERSIONS_COL_CTID,
	TERM_VERSIONS_COL_TABLE,
	TERM_VERSIONS_COL_CMIN
};

/* The columns of org_terms, counted from 1. */
enum
{
	TERMS_COL_NAME = 1,
	TERMS_COL_KIND,
	TERMS_COL_VARIANTS
};

/*
 * The last vocabulary built in this backend, with what it was built from:
 * an organisation's rows as the caller could read them, fingerprinted.  A
 * call that reads the same rows reuses it instead of splitting every
 * variant again (most calls: vocabularies change rarely).
 */
/* A word remembers at most this many candidate variants; a word with more reads them all. */
#define WORD_CANDIDATES_MAX 24

/* A lasting vocabulary remembers at most this many words. */
#define WORDS_REMEMBERED_MAX 20000

/*
 * What a lasting vocabulary has for a word it has seen: the variants a
 * match at the word could be (vp_match_term), each as index << 1 | 1 when
 * its first word is this word (misheard or not), | 0 when the two could
 * only run together ("in" of "in visible line").  Most words ("the",
 * "about") have none, and a transcript is read by a hash lookup a word.
 */
typedef struct WordCandidates
{
	char		word[VP_MAX_WORD];	/* the key */
	int			n;				/* -1: more than WORD_CANDIDATES_MAX */
	int			candidates[WORD_CANDIDATES_MAX];
} WordCandidates;

/* The empty table of a lasting vocabulary's words, in cxt. */
static struct HTAB *
termset_words_create(MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = VP_MAX_WORD;
	ctl.entrysize = sizeof(WordCandidates);
	ctl.hcxt = cxt;
	return hash_create("vapi_pool vocabulary words", 1024, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

static struct
{
	bool		valid;
	pg_uuid_t	org;
	uint64		rows;
	uint64		hash;
	TermSet		set;
	MemoryContext cxt;
}			termset_cache;

/*
 * A 64-bit fingerprint of org_term_versions' rows, whatever their order: a
 * sum of a hash of each row's version (its writer and command, its place,
 * the file).
 */
static uint64
terms_fingerprint(uint64 rows)
{
	uint64		hash = hash_bytes_uint32_extended((uint32) rows, 0);
	Oid			file = InvalidOid;

	for (uint64 r = 0; r < rows; r++)
	{
		HeapTuple	row = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		TransactionId xmin = DatumGetTransactionId(SPI_getbinval(row, desc, TERM_VERSIONS_COL_XMIN, &isnull));
		ItemPointer ctid = (ItemPointer) DatumGetPointer(SPI_getbinval(row, desc, TERM_VERSIONS_COL_CTID, &isnull));
		CommandId	cmin = DatumGetCommandId(SPI_getbinval(row, desc, TERM_VERSIONS_COL_CMIN, &isnull));
		uint64		place = (uint64) ItemPointerGetBlockNumberNoCheck(ctid) << 16 |
			ItemPointerGetOffsetNumberNoCheck(ctid);

		if (r == 0)
		{
			/* the table's file (pg_class.relfilenode), once */
			Oid			table = DatumGetObjectId(SPI_getbinval(row, desc, TERM_VERSIONS_COL_TABLE, &isnull));
			HeapTuple	class = SearchSysCache1(RELOID, ObjectIdGetDatum(table));

			if (HeapTupleIsValid(class))
			{
				file = ((Form_pg_class) GETSTRUCT(class))->relfilenode;
				ReleaseSysCache(class);
			}
		}
		hash += hash_combine64(hash_bytes_uint32_extended(xmin, place), hash_bytes_uint32_extended(cmin, file));
	}
	return hash;
}

/* Keeps a copy of a built vocabulary as the backend's last one. */
static void
termset_remember(const TermSet *set, Datum org_id, uint64 rows, uint64 hash)
{
	MemoryContext old;
	TermSet    *c = &termset_cache.set;

	if (termset_cache.cxt == NULL)
		termset_cache.cxt = AllocSetContextCreate(TopMemoryContext, "vapi_pool vocabulary",
												  ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(termset_cache.cxt);
	termset_cache.valid = false;
	old = MemoryContextSwitchTo(termset_cache.cxt);
	*c = *set;
	c->names = palloc(sizeof(char *) * Max(set->nterms, 1));
	c->kinds = palloc(sizeof(TermKind) * Max(set->nterms, 1));
	c->variants = palloc(sizeof(TermVariant) * Max(set->nvariants, 1));
	c->cap_terms = Max(set->nterms, 1);
	c->cap_variants = Max(set->nvariants, 1);
	for (int i = 0; i < set->nterms; i++)
		c->names[i] = pstrdup(set->names[i]);
	memcpy(c->kinds, set->kinds, sizeof(TermKind) * set->nterms);
	memcpy(c->variants, set->variants, sizeof(TermVariant) * set->nvariants);
	c->words = termset_words_create(termset_cache.cxt);
	MemoryContextSwitchTo(old);
	memcpy(&termset_cache.org, DatumGetUUIDP(org_id), sizeof(pg_uuid_t));
	termset_cache.rows = rows;
	termset_cache.hash = hash;
	termset_cache.valid = true;
}

/* Loads an organisation's vocabulary (SPI must be connected). */
void
vp_termset_load(TermSet *set, Datum org_id)
{
	uint64		rows;
	uint64		hash;

	vp_execute(&org_term_versions, &org_id, NULL, 0);
	rows = SPI_processed;
	hash = terms_fingerprint(rows);
	if (termset_cache.valid && termset_cache.rows == rows && termset_cache.hash == hash &&
		memcmp(&termset_cache.org, DatumGetUUIDP(org_id), sizeof(pg_uuid_t)) == 0)
	{
		*set = termset_cache.set;
		return;
	}
	vp_execute(&org_terms, &org_id, NULL, 0);
	termset_init(set);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = SPI_getvalue(tuple, desc, TERMS_COL_NAME);
		char	   *kind_name = SPI_getvalue(tuple, desc, TERMS_COL_KIND);
		bool		isnull;
		Datum		variants = SPI_getbinval(tuple, desc, TERMS_COL_VARIANTS, &isnull);
		TermKind	kind;
		int			term;

		if (name == NULL || kind_name == NULL || !term_kind_from_name(kind_name, &kind))
			continue;
		term = termset_add(set, name, kind);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			nelems;

			deconstruct_array(DatumGetArrayTypeP(variants), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &nelems);
			for (int i = 0; i < nelems; i++)
				if (!nulls[i])
					termset_add_variant(set, term, TextDatumGetCString(elems[i]));
		}
	}
	termset_index(set);
	termset_remember(set, org_id, rows, hash);
	*set = termset_cache.set;	/* the lasting copy, which remembers the words it has seen */
}

/*
 * The built-in conditions, medications and allergies, made once per backend
 * (in TopMemoryContext) and indexed.
 */
const TermSet *
vp_builtin_medical_terms(void)
{
	static TermSet builtin;
	static bool made = false;

	if (!made)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		termset_init(&builtin);
		for (int i = 0; i < lengthof(builtin_medical); i++)
			termset_add(&builtin, builtin_medical[i].phrase, builtin_medical[i].kind);
		termset_index(&builtin);
		builtin.words = termset_words_create(TopMemoryContext);
		MemoryContextSwitchTo(old);
		made = true;
	}
	return &builtin;
}

/* True if the word w is the term word t, or its plural. */
static bool
same_or_plural(const char *w, int lw, const char *t, int lt)
{
	if (lw == lt)
		return memcmp(w, t, lt) == 0;
	if (lw == lt + 1 && w[lt] == 's')
		return memcmp(w, t, lt) == 0;
	if (lw == lt + 2 && w[lt] == 'e' && w[lt + 1] == 's')
		return memcmp(w, t, lt) == 0;
	return false;
}

/* every word fits vp_edit_distance */
StaticAssertDecl(VP_MAX_WORD <= VP_EDIT_DISTANCE_MAX_LEN, "words too long for vp_edit_distance");

/* True if w is t, its plural, or t misheard by a letter (two for long words). */
static bool
word_matches(const char *w, int lw, const char *t, int lt)
{
	int			limit;

	if (same_or_plural(w, lw, t, lt))
		return true;
	limit = lt >= 10 ? 2 : lt >= 7 ? 1 : 0;
	return limit > 0 && vp_edit_distance(w, lw, t, lt, limit, false) <= limit;
}

/* The sentence's words from a position run together, up to four of them. */
typedef struct HeardRun
{
	char		text[VP_MAX_WORD * 4];
	int			ends[4];		/* the run's length after each word */
	int			nwords;
} HeardRun;

/* Runs the words from `at` together into run. */
static void
heard_run(const Sentence *s, int at, HeardRun *run)
{
	int			len = 0;

	run->nwords = 0;
	for (int k = 0; k < 4 && at + k < s->nwords; k++)
	{
		memcpy(run->text + len, s->words[at + k].text, s->words[at + k].len);
		len += s->words[at + k].len;
		run->ends[run->nwords++] = len;
	}
}

/*
 * The number of the run's words that, run together, are the variant's
 * words run together: a term heard as one word ("nosejob"), or split
 * another way ("in visible line", "rino plastia"), misheard by a letter
 * when that makes nine letters or more and by two from fourteen ("lie po
 * suction", "teeth whiting"), the run agreeing with the variant in its
 * first two letters and in its first or last three; 0 if none.  A word
 * alone against a one-word variant is word_matches' case, not this one.
 */
static int
heard_together(const TermVariant *tv, const HeardRun *run)
{
	const char *joined = tv->joined;
	int			lj = tv->ljoined;
	int			limit = lj >= 14 ? 2 : lj >= 9 ? 1 : 0;

	if (run->ends[run->nwords - 1] < 2 || run->text[1] != joined[1])
		return 0;
	for (int k = 0; k < run->nwords; k++)
	{
		int			lh = run->ends[k];

		if (lh > lj + Max(limit, 2))
			break;				/* too long (2: a plural) */
		if (k == 0 ? tv->nwords == 1 : lh < 6)
			continue;
		if (same_or_plural(run->text, lh, joined, lj))
			return k + 1;
		if (limit > 0 && abs(lh - lj) <= limit && lh >= 3 && lj >= 3 &&
			(memcmp(run->text, joined, 3) == 0 || memcmp(run->text + lh - 3, joined + lj - 3, 3) == 0) &&
			vp_edit_distance(run->text, lh, joined, lj, limit, false) <= limit)
			return k + 1;
	}
	return 0;
}

/*
 * Matches the vocabulary at word `at` of a sentence as it is spelt: the
 * variant's words, the last one plural or not; for text that was written,
 * not transcribed (the assistant's).  Returns what vp_match_term does.
 */
int
vp_match_term_spelt(const TermSet *set, const Sentence *s, int at, int *term)
{
	int			best = 0;
	unsigned char first = (unsigned char) s->words[at].text[0];

	Assert(set->indexed);
	for (int v = set->by_first[first]; v < set->by_first[first + 1]; v++)
	{
		const TermVariant *tv = &set->variants[v];
		int			i;

		if (tv->nwords > s->nwords - at || tv->nwords <= best ||
			s->words[at].text[1] != tv->words[0][1])
			continue;				/* (both end in a NUL: a one-letter word compares its NUL) */
		for (i = 0; i < tv->nwords; i++)
		{
			const Word *w = &s->words[at + i];

			if (i + 1 < tv->nwords ? !(w->len == tv->lens[i] && memcmp(w->text, tv->words[i], w->len) == 0)
				: !same_or_plural(w->text, w->len, tv->words[i], tv->lens[i]))
				break;
		}
		if (i == tv->nwords)
		{
			best = tv->nwords;
			*term = tv->term;
		}
	}
	return best;
}

/*
 * How many of the sentence's words from `at` the variant matches (0: none):
 * its words, the last one misheard (word_matches), when first (its first
 * word matches the word at `at`, known already) or a one-word variant;
 * else, or failing that, its words run together (heard_together), when the
 * word's second letter is the variant's.  run holds the words from `at` run
 * together once read (nwords -1 before).
 */
static int
variant_at(const TermVariant *tv, const Sentence *s, int at, bool first, HeardRun *run)
{
	const Word *w0 = &s->words[at];

	if (first && tv->nwords <= s->nwords - at)
	{
		int			i;

		for (i = 1; i < tv->nwords; i++)
		{
			const Word *w = &s->words[at + i];

			if (i + 1 < tv->nwords ? !(w->len == tv->lens[i] && memcmp(w->text, tv->words[i], w->len) == 0)
				: !word_matches(w->text, w->len, tv->words[i], tv->lens[i]))
				break;
		}
		if (i == tv->nwords)
			return tv->nwords;
	}
	if (w0->len < 2 || w0->text[1] == tv->joined[1])
	{
		if (run->nwords < 0)
			heard_run(s, at, run);
		return heard_together(tv, run);
	}
	return 0;
}

/* True if a word is the first word of a variant (the only one misheard, for a one-word variant). */
static bool
first_word_matches(const TermVariant *tv, const Word *w)
{
	return tv->nwords > 1 ? w->len == tv->lens[0] && memcmp(w->text, tv->words[0], w->len) == 0
		: word_matches(w->text, w->len, tv->words[0], tv->lens[0]);
}

/*
 * The candidates a lasting vocabulary remembers for a word, found on the
 * word's first sight; NULL when the vocabulary does not last or remembers
 * enough words already.
 */
static const WordCandidates *
word_candidates(const TermSet *set, const Word *w)
{
	unsigned char first = (unsigned char) w->text[0];
	WordCandidates *wc;
	bool		found;

	if (set->words == NULL)
		return NULL;
	wc = hash_search(set->words, w->text, HASH_FIND, NULL);
	if (wc != NULL || hash_get_num_entries(set->words) >= WORDS_REMEMBERED_MAX)
		return wc;
	wc = hash_search(set->words, w->text, HASH_ENTER, &found);
	wc->n = 0;
	for (int v = set->by_first[first]; v < set->by_first[first + 1]; v++)
	{
		const TermVariant *tv = &set->variants[v];
		bool		matches = first_word_matches(tv, w);

		if (!matches && !(w->len < 2 || w->text[1] == tv->joined[1]))
			continue;
		if (wc->n == WORD_CANDIDATES_MAX)
		{
			wc->n = -1;
			break;
		}
		wc->candidates[wc->n++] = v << 1 | matches;
	}
	return wc;
}

/*
 * Matches the vocabulary at word `at` of a sentence.  Returns the number of
 * the sentence's words the longest match covers (0: none) and its term.
 */
int
vp_match_term(const TermSet *set, const Sentence *s, int at, int *term)
{
	int			best = 0;
	unsigned char first = (unsigned char) s->words[at].text[0];
	const WordCandidates *wc = word_candidates(set, &s->words[at]);
	HeardRun	run;

	Assert(set->indexed);
	run.nwords = -1;			/* not run together yet */
	if (wc != NULL && wc->n >= 0)
	{
		for (int c = 0; c < wc->n; c++)
		{
			const TermVariant *tv = &set->variants[wc->candidates[c] >> 1];
			int			used = variant_at(tv, s, at, wc->candidates[c] & 1, &run);

			if (used > best)
			{
				best = used;
				*term = tv->term;
			}
		}
		return best;
	}
	for (int v = set->by_first[first]; v < set->by_first[first + 1]; v++)
	{
		const TermVariant *tv = &set->variants[v];
		int			used = variant_at(tv, s, at, first_word_matches(tv, &s->words[at]), &run);

		if (used > best)
		{
			best = used;
			*term = tv->term;
		}
	}
	return best;
}

/*
 * True if the sentence's words from `at` are the words of the phrase
 * (lower case, single spaces).  Compares as it walks, so a phrase whose
 * first letter differs costs one comparison: callers try long lists.
 */
bool
vp_words_are(const Sentence *s, int at, const char *phrase)
{
	const char *p = phrase;

	for (int i = at;; i++)
	{
		const Word *w;
		int			k;

		if (i >= s->nwords)
			return false;
		w = &s->words[i];
		for (k = 0; k < w->len && p[k] == w->text[k]; k++)
			;
		if (k < w->len)
			return false;
		if (p[k] == '\0')
			return true;
		if (p[k] != ' ')
			return false;
		p += k + 1;
	}
}

/* True if the phrase occurs anywhere in the sentence. */
bool
vp_sentence_has(const Sentence *s, const char *phrase)
{
	for (int i = 0; i < s->nwords; i++)
		if (vp_words_are(s, i, phrase))
			return true;
	return false;
}

/*
 * True if the mention at words [at, at + nwords) is negated in its clause:
 * a negation at most six words before it ("not interested in", "don't want
 * a", "done with the") that no undoing word follows ("not sure", "never had"), or a
 * negating tail right after it ("lipo is not for me"; Spanish "no" closing
 * its clause before another, "la lipo no, eso no es lo mío").
 */
bool
vp_mention_negated(const Sentence *s, int at, int nwords)
{
	for (int i = at - 1; i >= 0 && i >= at - 6 && !s->words[at].clause_start; i--)
	{
		if (word_in(s->words[i].text, negations, lengthof(negations)) &&
			!(i + 1 < s->nwords && word_in(s->words[i + 1].text, negation_undoers, lengthof(negation_undoers))))
			return true;
		for (int t = 0; t < lengthof(negating_heads); t++)
			if (vp_words_are(s, i, negating_heads[t]))
				return true;
		if (s->words[i].clause_start)
			break;
	}
	if (vp_words_are(s, at + nwords, "no") && at + nwords + 1 < s->nwords &&
		s->words[at + nwords + 1].clause_start)
		return true;			/* Spanish: "el botox no, a mí no me interesa" (not "el botox, no?") */
	for (int i = at + nwords; i < s->nwords && i <= at + nwords + 3; i++)
	{
		if (s->words[i].clause_start && i > at + nwords)
			break;
		for (int t = 0; t < lengthof(negating_tails); t++)
			if (vp_words_are(s, i, negating_tails[t]))
				return true;
	}
	return false;
}

/* True if a phrase of past_before (and, with more, of past_before_more) starts at word i. */
static bool
past_words_at(const Sentence *s, int i, bool more)
{
	for (int k = 0; k < lengthof(past_before); k++)
		if (vp_words_are(s, i, past_before[k]))
			return true;
	for (int k = 0; more && k < lengthof(past_before_more); k++)
		if (vp_words_are(s, i, past_before_more[k]))
			return true;
	return false;
}

/* What a past is about when it stands between the past and a procedure: the procedure is not past. */
static const char *const past_of_another_thing[] = {"consultation", "consult", "consultations", "quote", "consulta"};

/* Subjects that start a new statement: a past phrase before one is not about what follows it. */
static const char *const subjects[] = {"i", "im", "id", "ill", "we"};

/*
 * True if words [from, at) hold a phrase of past_before ("I had", "my last";
 * with more, past_before_more too) with no new subject after it,
 * or words [at + n, to) a year or a phrase of past_after ("years ago"); never
 * when a consultation or quote stands before the words (the past is the
 * consultation's: "I did a consultation for a mommy makeover last week").
 */
static bool
past_around(const Sentence *s, int from, int at, int n, int to, bool more)
{
	for (int i = at - 1; i >= from; i--)
	{
		if (past_words_at(s, i, more))
			return true;
		if (word_in(s->words[i].text, subjects, lengthof(subjects)))
			break;				/* "I had three kids and I was looking at the mommy makeover" */
		if (word_in(s->words[i].text, past_of_another_thing, lengthof(past_of_another_thing)))
			return false;		/* "I did a consultation for a mummy makeover last week" */
	}
	for (int i = at + n; i < to; i++)
	{
		const char *w = s->words[i].text;

		if (s->words[i].len == 4 && (strncmp(w, "19", 2) == 0 || strncmp(w, "20", 2) == 0) &&
			vp_is_digit((unsigned char) w[2]) && vp_is_digit((unsigned char) w[3]))
			return true;		/* a year (not "20th") */
		for (int k = 0; k < lengthof(past_after); k++)
			if (vp_words_are(s, i, past_after[k]))
				return true;
	}
	return false;
}

/*
 * True if the words at [at, at + n) are a procedure of the speaker's past:
 * "I had", "my last" before them, or "years ago", "last year" or a year
 * after them, in the sentence.
 */
bool
vp_personal_past(const Sentence *s, int at, int n)
{
	return past_around(s, 0, at, n, s->nwords, false);
}

/* Words that start the present in a sentence about the past ("I had botox, now I want fillers"). */
static const char *const present_starts[] = {"now", "also", "instead", "currently", "today", "ahora", "tambien"};

/*
 * True if the words at [at, at + n) are a procedure of the speaker's past in
 * their own clause: "I had", "my last" before them since the clause's start
 * (a comma, "but", or "now", "also", "instead" ...), or "years ago", "last
 * year" or a year after them before the next clause.  "I had botox last
 * year and now I'm asking about fillers": the fillers are not past.
 */
bool
vp_past_in_clause(const Sentence *s, int at, int n)
{
	int			from = at;
	int			to = at + n;

	while (from > 0 && !s->words[from].clause_start &&
		   !word_in(s->words[from - 1].text, present_starts, lengthof(present_starts)))
		from--;
	while (to < s->nwords && !s->words[to].clause_start &&
		   !word_in(s->words[to].text, present_starts, lengthof(present_starts)))
		to++;
	return past_around(s, from, at, n, to, true);
}

/*
 * True if the sentence around the words at [at, at + n) speaks of the
 * speaker's past anywhere ("me operaron de la nariz hace cinco días, la
 * rinoplastia"): what vp_past_in_clause reads, in the whole sentence, and
 * Spanish "hace" (ago).  Used with a question of care, where the past may sit
 * in another clause than the procedure.
 */
bool
vp_past_in_sentence(const Sentence *s, int at, int n)
{
	for (int i = 0; i < s->nwords; i++)
	{
		if (i >= at && i < at + n)
			continue;
		if (strcmp(s->words[i].text, "hace") == 0)
			return true;
		if (past_words_at(s, i, true))
			return true;
		for (int k = 0; k < lengthof(past_before_care); k++)
			if (vp_words_are(s, i, past_before_care[k]))
				return true;
		for (int k = 0; k < lengthof(past_after); k++)
			if (vp_words_are(s, i, past_after[k]))
				return true;	/* "Last week I come there, the doctor put the veneer" */
	}
	return false;
}
