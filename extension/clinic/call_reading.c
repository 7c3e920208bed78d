/*
 * call_reading.c
 *	  Reading a clinic call's transcript for the drop-off rule (0.7.5): the
 *	  pieces every rule about it reads with.
 *
 * A rule asks whether a sentence holds one of a list of phrases ("no
 * thanks", "swelling", "sounds like"): a PhraseSet indexes its list by
 * first letter once, so a sentence is read against the whole list in one
 * pass.  A rule asks what the vocabulary matches at a word: the caller's
 * words are read with the transcriber's slips, the assistant's as spelt,
 * and the answer is kept for the other rules that ask (Reading), since the
 * caller's turn, the assistant's lists and its replies are each read by
 * several of them (clinic_dropoff.c, assistant_context.c).
 */
#include "postgres.h"

#include "clinic/call_reading.h"

/* Indexes a phrase set by first byte (a counting sort). */
static void
phrase_set_ready(PhraseSet *ps)
{
	int			count[257] = {0};

	if (ps->n > lengthof(ps->order))
		elog(ERROR, "a phrase list has %d phrases, more than %d", ps->n, (int) lengthof(ps->order));
	for (int k = 0; k < ps->n; k++)
		count[(unsigned char) ps->phrases[k][0] + 1]++;
	for (int c = 0; c < 256; c++)
		count[c + 1] += count[c];
	memcpy(ps->by_first, count, sizeof(count));
	for (int k = 0; k < ps->n; k++)
		ps->order[count[(unsigned char) ps->phrases[k][0]]++] = k;
	ps->ready = true;
}

/* The phrase of the set that starts at word i of the sentence, or -1. */
int
vp_phrase_at(const Sentence *s, int i, PhraseSet *ps)
{
	unsigned char c = (unsigned char) s->words[i].text[0];

	if (!ps->ready)
		phrase_set_ready(ps);
	for (int j = ps->by_first[c]; j < ps->by_first[c + 1]; j++)
		if (vp_words_are(s, i, ps->phrases[ps->order[j]]))
			return ps->order[j];
	return -1;
}

/* The number of words of a phrase (lower case, single spaces). */
int
vp_phrase_words(const char *phrase)
{
	int			words = 1;

	for (const char *c = phrase; *c; c++)
		words += *c == ' ';
	return words;
}

/* True if a phrase of the set is in the sentence. */
bool
vp_sentence_has_any(const Sentence *s, PhraseSet *ps)
{
	for (int i = 0; i < s->nwords; i++)
		if (vp_phrase_at(s, i, ps) >= 0)
			return true;
	return false;
}


/*
 * The vocabulary's match at word w of sentence i, read once: the caller's
 * words as transcribed (vp_match_term, with the transcriber's slips), the
 * assistant's as spelt (vp_match_term_spelt: it wrote them).
 */
int
vp_match_at(Reading *r, int i, int w, int *term)
{
	int		   *m;

	if (r->match[i] == NULL)
	{
		r->match[i] = palloc(sizeof(int) * Max(r->sentences[i].nwords, 1));
		memset(r->match[i], -1, sizeof(int) * Max(r->sentences[i].nwords, 1));
	}
	m = &r->match[i][w];
	if (*m < 0)
	{
		int			t = 0;
		int			used = r->sentences[i].speaker == SPEAKER_ASSISTANT ?
			vp_match_term_spelt(r->vocab, &r->sentences[i], w, &t) :
			vp_match_term(r->vocab, &r->sentences[i], w, &t);

		*m = used == 0 ? 0 : t << 3 | used;
	}
	*term = *m >> 3;
	return *m & 7;
}

/* True if word i of the sentence is one of the n words of the list. */
bool
vp_word_is_one_of(const Sentence *s, int i, const char *const *list, int n)
{
	for (int k = 0; i >= 0 && i < s->nwords && k < n; k++)
		if (s->words[i].text[0] == list[k][0] && strcmp(s->words[i].text, list[k]) == 0)
			return true;
	return false;
}

/* The first sentence of the turn of sentence i. */
int
vp_turn_start(const Sentence *sentences, int i)
{
	while (i > 0 && sentences[i - 1].turn == sentences[i].turn)
		i--;
	return i;
}
