/*
 * medical_history.c
 *	  Medical history kept out of stored transcripts (seed 004): a caller's
 *	  sentence that states a condition, a medication, an allergy or a past
 *	  procedure is replaced by [MEDICAL], and moved (the caller's trigger
 *	  appends it, PII-redacted, to the lead's redacted_medical_history).
 *
 * A sentence states medical history when it names a condition, medication
 * or allergy (the organisation's vocabulary plus a built-in list, whether
 * affirmed or denied: "no allergies" is history too), or a procedure or
 * surgery with a personal past ("I had a nose job in 2015", "my last
 * surgery").  Asking about a procedure ("how much is rhinoplasty?") is
 * interest, not history, and stays.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "redact/medical_history.h"
#include "redact/transcript_text.h"

/* Generic words of an operation, read with a personal past. */
static const char *const operations[] = {"surgery", "surgeries", "operation", "operations"};

/* The longest match at word w in either vocabulary, with its kind. */
static int
match_either(const TermSet *org, const TermSet *builtin, const Sentence *s, int w, TermKind *kind)
{
	int			term,
				used = 0,
				n;

	if (org != NULL && (n = vp_match_term(org, s, w, &term)) > used)
	{
		used = n;
		*kind = org->kinds[term];
	}
	if ((n = vp_match_term(builtin, s, w, &term)) > used)
	{
		used = n;
		*kind = builtin->kinds[term];
	}
	return used;
}

/* True if the sentence states medical history (see the file's comment). */
static bool
medical_sentence(const TermSet *org, const TermSet *builtin, const Sentence *s)
{
	for (int w = 0; w < s->nwords;)
	{
		TermKind	kind;
		int			used = match_either(org, builtin, s, w, &kind);

		if (used > 0)
		{
			if (kind == TERM_CONDITION || kind == TERM_MEDICATION || kind == TERM_ALLERGY)
				return true;
			if (vp_personal_past(s, w, used))
				return true;
			w += used;
			continue;
		}
		for (int k = 0; k < lengthof(operations); k++)
			if (strcmp(s->words[w].text, operations[k]) == 0 && vp_personal_past(s, w, 1))
				return true;
		w++;
	}
	return false;
}

/*
 * Replaces the medical-history sentences of text (the caller's only, with
 * callers_only; org_vocab NULL: the built-in list alone) by "[MEDICAL]", consecutive ones of a turn by one, and
 * appends each to moved (when not NULL), separated by spaces.  Returns the
 * new text, or NULL when nothing was found.
 */
char *
vp_redact_medical(const char *src, int len, const TermSet *org_vocab, bool callers_only,
				  StringInfo moved, int *out_len)
{
	int			n;
	Sentence   *sentences = vp_split_transcript(src, len, &n);
	const TermSet *builtin = vp_builtin_medical_terms();
	StringInfoData out;
	int			copied = 0;
	int			last_turn = -1;
	int			last_end = -1;
	bool		found = false;

	initStringInfo(&out);
	for (int i = 0; i < n; i++)
	{
		const Sentence *s = &sentences[i];
		bool		joined;

		if ((callers_only && s->speaker != SPEAKER_CALLER) || !medical_sentence(org_vocab, builtin, s))
			continue;
		found = true;
		if (moved != NULL)
		{
			if (moved->len > 0)
				appendStringInfoChar(moved, ' ');
			appendBinaryStringInfo(moved, src + s->start, s->end - s->start);
		}
		/* a run of medical sentences in one turn becomes one [MEDICAL] */
		joined = s->turn == last_turn && last_end >= 0;
		for (int p = last_end; joined && p < s->start; p++)
			if (src[p] != ' ')
				joined = false;
		if (!joined)
		{
			appendBinaryStringInfo(&out, src + copied, s->start - copied);
			appendStringInfoString(&out, "[MEDICAL]");
		}
		copied = s->end;
		last_turn = s->turn;
		last_end = s->end;
	}
	if (!found)
		return NULL;
	appendBinaryStringInfo(&out, src + copied, len - copied);
	*out_len = out.len;
	return out.data;
}
