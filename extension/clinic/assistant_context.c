/*
 * assistant_context.c
 *	  What the assistant's turns tell about a clinic caller's words, for the
 *	  drop-off rule (0.7.4, 0.7.5; issue 27).
 *
 * The assistant is a language model that heard the audio and wrote its own
 * words, so its turns are the context of the caller's.  A caller picks from
 * what it listed: "the laser one", "the freezing one", "the second one",
 * "number two" point at a procedure it named (vp_procedure_referred_to),
 * and a caller who agrees to what it suggested ("A breast reduction ... Is
 * that what you're thinking?" "Yes, that one.") takes it
 * (vp_suggestion_taken).
 * Its reply shows what it understood (vp_echo_read): words of the caller's
 * turn that sound like a procedure the reply names are that procedure
 * ("ryan oh plasty": "Rhinoplasty, of course", by phonetic key,
 * vp_echo_heard), and a turn that named nothing is about the procedure the
 * reply confirms as a pick, names as what was described ("That sounds like
 * dermal fillers"), says it does when asked ("Yes, we do otoplasty"), or
 * acknowledges in a few words (vp_reply_takes_as).  An offer the caller
 * did not take up is not the caller's interest: the reply is read only for
 * a caller's turn, and only in these ways.
 */
#include "postgres.h"

#include "clinic/assistant_context.h"
#include "core/text_distance.h"

/* At most this many procedures of an assistant's list are told apart by their place. */
#define LISTED_MAX 8

/*
 * The procedures the assistant named in its turn just before the caller's
 * turn of sentence i, in the order it named them, into listed (at most
 * LISTED_MAX); returns how many.
 */
static int
assistant_listed(Reading *r, int i, int *listed)
{
	const TermSet *vocab = r->vocab;
	const Sentence *sentences = r->sentences;
	int			to = vp_turn_start(sentences, i);
	int			from = to;
	int			nlisted = 0;

	while (from > 0 && sentences[from - 1].speaker == SPEAKER_ASSISTANT)
		from--;
	for (int j = from; j < to; j++)
	{
		const Sentence *a = &sentences[j];

		for (int w = 0; w < a->nwords;)
		{
			int			term;
			int			used = vp_match_at(r, j, w, &term);
			bool		seen = false;

			if (used == 0)
			{
				w++;
				continue;
			}
			for (int k = 0; k < nlisted && !seen; k++)
				seen = listed[k] == term;
			if (vocab->kinds[term] == TERM_PROCEDURE && !seen && nlisted < LISTED_MAX)
				listed[nlisted++] = term;
			w += used;
		}
	}
	return nlisted;
}

/* Places in a list beyond its numbers: its last, its middle. */
#define PLACE_LAST (LISTED_MAX + 1)
#define PLACE_MIDDLE (LISTED_MAX + 2)

/*
 * The place in a list a caller's word k picks ("the second one", "the
 * first option", "the middle one", "number two", "la segunda"): 1, 2, 3,
 * PLACE_LAST or PLACE_MIDDLE; 0 when the word is no such pick ("the first
 * time").
 */
static int
place_picked(const Sentence *s, int k)
{
	static const struct
	{
		const char *word;
		int			place;
	}			places[] = {
		{"first", 1}, {"second", 2}, {"third", 3}, {"last", PLACE_LAST}, {"latter", PLACE_LAST},
		{"former", 1}, {"middle", PLACE_MIDDLE}, {"primero", 1}, {"primera", 1}, {"segundo", 2},
		{"segunda", 2}, {"tercero", 3}, {"tercera", 3}, {"ltimo", PLACE_LAST}, {"ltima", PLACE_LAST},
	}, numbers[] = {
		{"one", 1}, {"two", 2}, {"three", 3}, {"1", 1}, {"2", 2}, {"3", 3}, {"uno", 1}, {"dos", 2},
		{"tres", 3},
	};
	static const char *const the[] = {"the", "that", "el", "la", "lo"};
	static const char *const numbered[] = {"number", "option", "opci", "n", "numero", "mero"};
	static const char *const picks[] = {"one", "option", "choice", "opci"};
	bool		pick;

	if (vp_word_is_one_of(s, k - 1, numbered, lengthof(numbered)))
		for (int p = 0; p < lengthof(numbers); p++)
			if (strcmp(s->words[k].text, numbers[p].word) == 0)
				return numbers[p].place;	/* "number two", "option 2", "opción dos" */
	if (!vp_word_is_one_of(s, k - 1, the, lengthof(the)))
		return 0;
	pick = k + 1 == s->nwords || s->words[k + 1].clause_start ||
		vp_word_is_one_of(s, k + 1, picks, lengthof(picks));
	for (int p = 0; pick && p < lengthof(places); p++)
		if (strcmp(s->words[k].text, places[p].word) == 0)
			return places[p].place;
	return 0;
}

/* The procedure at a place of a list of nlisted, or -1. */
static int
listed_at(const int *listed, int nlisted, int place)
{
	if (place == PLACE_LAST)
		return nlisted > 0 ? listed[nlisted - 1] : -1;
	if (place == PLACE_MIDDLE)
		return nlisted >= 3 && nlisted % 2 == 1 ? listed[nlisted / 2] : -1;
	return place <= nlisted ? listed[place - 1] : -1;
}

/* Words that share this many first letters are one word to a caller's pick ("freezing", "freezes"). */
#define PICK_STEM 5

/* True if two words are one, or share their first PICK_STEM letters. */
static bool
same_stem(const Word *a, const Word *b)
{
	return strcmp(a->text, b->text) == 0 ||
		(a->len >= PICK_STEM && b->len >= PICK_STEM && memcmp(a->text, b->text, PICK_STEM) == 0);
}

/*
 * True if the caller's word names the procedure term the assistant's
 * sentence a mentions at words [from, to) (the mention and what the
 * sentence says of it before the next procedure: "laser" of "laser
 * resurfacing", "freezes" of "CoolSculpting, which freezes fat cells",
 * "inyecciones" of "Kybella, que son inyecciones") or one of the term's
 * variants ("freezing" of "fat freezing").
 */
static bool
pick_names(const TermSet *vocab, const Sentence *a, int from, int to, int term, const Word *word)
{
	for (int u = from; u < to; u++)
		if (same_stem(&a->words[u], word))
			return true;
	for (int v = 0; v < vocab->nvariants; v++)
		if (vocab->variants[v].term == term)
			for (int k = 0; k < vocab->variants[v].nwords; k++)
				if (strcmp(vocab->variants[v].words[k], word->text) == 0)
					return true;
	return false;
}

/* The first procedure of the assistant's sentence j that the caller's word names (pick_names), or -1. */
static int
sentence_pick(Reading *r, int j, const Word *word)
{
	const Sentence *a = &r->sentences[j];
	int			named = -1;		/* the procedure whose words are being read */
	int			from = 0;

	for (int w = 0; w <= a->nwords;)
	{
		int			term = -1;
		int			used = w < a->nwords ? vp_match_at(r, j, w, &term) : 1;

		if (w == a->nwords || (used > 0 && r->vocab->kinds[term] == TERM_PROCEDURE))
		{
			if (named >= 0 && pick_names(r->vocab, a, from, w, named, word))
				return named;
			named = term;
			from = w;
		}
		w += Max(used, 1);
	}
	return -1;
}

/*
 * The procedure a caller's words point at in what the assistant said:
 * "the laser one", "that filler option", "the freezing one", one it named
 * in its turn before (or in the reply, which takes up the pick: "The
 * resurfacing one." "Laser skin resurfacing is great for ...") with the
 * caller's word among the words it said it with; "the second one", the one
 * it named in that place.  -1 if none.
 */
int
vp_procedure_referred_to(Reading *r, int i)
{
	const Sentence *sentences = r->sentences;
	const Sentence *s = &sentences[i];
	int			listed[LISTED_MAX];
	int			nlisted = -1;	/* not read yet */

	for (int k = 1; k < s->nwords; k++)
	{
		int			place = place_picked(s, k);
		int			reply;

		if (place > 0)
		{
			if (nlisted < 0)
				nlisted = assistant_listed(r, i, listed);
			if (listed_at(listed, nlisted, place) >= 0)
				return listed_at(listed, nlisted, place);
		}
		if (k < 2 || !((strcmp(s->words[k].text, "one") == 0 || strcmp(s->words[k].text, "option") == 0) &&
					   (strcmp(s->words[k - 2].text, "the") == 0 || strcmp(s->words[k - 2].text, "that") == 0)))
			continue;
		for (int j = vp_turn_start(sentences, i) - 1; j >= 0 && sentences[j].speaker == SPEAKER_ASSISTANT; j--)
		{
			int			term = sentence_pick(r, j, &s->words[k - 1]);

			if (term >= 0)
				return term;
		}
		reply = i + 1;
		while (reply < r->n && sentences[reply].turn == s->turn)
			reply++;
		for (int j = reply; j < r->n && sentences[j].speaker == SPEAKER_ASSISTANT &&
			 sentences[j].turn == sentences[reply].turn; j++)
		{
			int			term = sentence_pick(r, j, &s->words[k - 1]);

			if (term >= 0)
				return term;
		}
	}
	return -1;
}


/* Reads the assistant's reply to the caller's turn of sentence i into e, once a turn. */
void
vp_echo_read(Reading *r, int i, Echo *e)
{
	const TermSet *vocab = r->vocab;
	const Sentence *sentences = r->sentences;
	int			n = r->n;
	int			turn = sentences[i].turn;
	int			j = i;
	bool	   *heard = e->heard;

	if (e->turn == turn)
		return;
	e->turn = turn;
	e->reply = -1;
	e->nterms = 0;
	e->nvariants = 0;
	while (j < n && sentences[j].turn == turn)
		j++;
	if (j == n || sentences[j].speaker != SPEAKER_ASSISTANT)
		return;
	e->reply = j;
	for (int a = j; a < n && sentences[a].turn == sentences[j].turn; a++)
		for (int w = 0; w < sentences[a].nwords;)
		{
			int			term;
			int			used = vp_match_at(r, a, w, &term);
			bool		seen = false;

			if (used == 0)
			{
				w++;
				continue;
			}
			for (int k = 0; k < e->nterms && !seen; k++)
				seen = e->terms[k] == term;
			if (vocab->kinds[term] == TERM_PROCEDURE && !seen && e->nterms < ECHO_MAX)
				e->terms[e->nterms++] = term;
			w += used;
		}
	for (int k = 0; k < e->nterms; k++)
		heard[k] = false;
	for (int c = vp_turn_start(sentences, i); c < j; c++)
		for (int w = 0; w < sentences[c].nwords;)
		{
			int			term;
			int			used = vp_match_at(r, c, w, &term);

			for (int k = 0; k < e->nterms && used > 0; k++)
				heard[k] |= e->terms[k] == term;
			w += Max(used, 1);
		}
	/* what the transcript has the caller name already needs no hearing */
	for (int v = 0; v < vocab->nvariants && e->nterms > 0; v++)
		for (int k = 0; k < e->nterms; k++)
			if (!heard[k] && vocab->variants[v].term == e->terms[k] &&
				vocab->variants[v].lkey >= ECHO_MIN_SOUNDS)
				e->variants[e->nvariants++] = v;
}

/*
 * The procedure of the assistant's reply that the caller's words from w
 * sound like ("ryan oh plasty" when the reply says "Rhinoplasty, of
 * course"), with *used set to the number of words (up to four); -1 if
 * none.  Only what the reply names is heard so: the assistant understood
 * the audio, the transcript did not.
 */
int
vp_echo_heard(const TermSet *vocab, const Echo *e, const Sentence *s, int w, int *used)
{
	char		joined[VP_MAX_WORD * 4];
	char		key[VP_MAX_WORD * 8];
	int			lj = 0;

	for (int k = 0; k < 4 && w + k < s->nwords && e->nvariants > 0; k++)
	{
		int			lk;

		memcpy(joined + lj, s->words[w + k].text, s->words[w + k].len);
		lj += s->words[w + k].len;
		lk = vp_phonetic_key(joined, lj, key);
		if (k == 0)
		{
			bool		starts = false;	/* the first word sounds like the start of a variant */

			for (int v = 0; v < e->nvariants && !starts; v++)
			{
				const TermVariant *tv = &vocab->variants[e->variants[v]];

				starts = lk > 0 && lk <= tv->lkey && memcmp(tv->key, key, lk) == 0;
			}
			if (!starts)
				return -1;
		}
		for (int v = 0; v < e->nvariants; v++)
		{
			const TermVariant *tv = &vocab->variants[e->variants[v]];

			if (tv->lkey == lk && memcmp(tv->key, key, lk) == 0)
			{
				*used = k + 1;
				return tv->term;
			}
		}
	}
	return -1;
}

/* True if a caller's turn picks from a list ("the cheaper one", "that option", "number two"). */
static bool
turn_picks(const Sentence *sentences, int n, int turn)
{
	static const char *const the[] = {"the", "that", "this"};
	static const char *const picks[] = {"one", "option", "choice"};

	for (int i = 0; i < n; i++)
		if (sentences[i].turn == turn && sentences[i].speaker == SPEAKER_CALLER)
			for (int k = 1; k < sentences[i].nwords; k++)
				if (place_picked(&sentences[i], k) > 0 ||
					(vp_word_is_one_of(&sentences[i], k, picks, lengthof(picks)) &&
					 (vp_word_is_one_of(&sentences[i], k - 1, the, lengthof(the)) ||
					  vp_word_is_one_of(&sentences[i], k - 2, the, lengthof(the)))))
					return true;
	return false;
}

/*
 * What the assistant says to name what a caller described ("That sounds
 * like dermal fillers", "you may be thinking of a thread lift"), before
 * the procedure in a sentence that is not a question.
 */
static const char *const naming_what_was_described[] = {
	"sounds like", "describing", "thinking of", "referring to", "you mean", "called", "thats",
	"that is", "so a", "so an", "so you want", "so youre", "so you are", "suena a", "se refiere a",
	"refiriendo a", "se llama", "se trata de", "eso es",
};

/* What the assistant says to say it does what a caller asked for ("Yes, we do otoplasty"). */
static const char *const doing_what_was_asked[] = {
	"we do", "we offer", "we perform", "we can do", "hacemos", "ofrecemos", "realizamos",
};

/* What a caller says to ask whether the clinic does something. */
static const char *const asking_whether_done[] = {
	"do you", "can you", "you guys do", "you do", "do yall", "y all do", "hacen", "ofrecen",
	"pueden", "you offer",
};

static PhraseSet naming_set = PHRASE_SET(naming_what_was_described);
static PhraseSet doing_set = PHRASE_SET(doing_what_was_asked);
static PhraseSet asking_set = PHRASE_SET(asking_whether_done);

/* True if a phrase of the set ends at most two words before word w ("sounds like dermal fillers"). */
static bool
said_before(const Sentence *a, int w, PhraseSet *ps)
{
	for (int at = Max(w - 5, 0); at < w; at++)
	{
		int			k = vp_phrase_at(a, at, ps);
		int			end;

		if (k < 0)
			continue;
		end = at + vp_phrase_words(ps->phrases[k]);
		if (end <= w && end >= w - 2)
			return true;
	}
	return false;
}

/*
 * The procedure the assistant's reply takes a caller's turn that named
 * none to be about: the one it confirms a pick as ("the cheaper one" ->
 * "For the IPL photofacial, ..."), among those it listed before; the one it
 * names what the caller described as ("That sounds like dermal fillers");
 * the one it says it does when asked ("can you pin them back?" -> "Yes, we
 * do otoplasty"); or the one it acknowledges in a few words ("Rhinoplasty,
 * of course.").  -1 if none.
 */
int
vp_reply_takes_as(Reading *r, int i, const Echo *e)
{
	const TermSet *vocab = r->vocab;
	const Sentence *sentences = r->sentences;
	int			n = r->n;
	int			turn = sentences[i].turn;
	bool		asked = false;

	if (e->reply < 0 || e->nterms == 0)
		return -1;
	if (turn_picks(sentences, n, turn))
	{
		int			listed[LISTED_MAX];
		int			nlisted = assistant_listed(r, i, listed);

		for (int k = 0; k < nlisted; k++)
			if (listed[k] == e->terms[0])
				return e->terms[0];
	}
	for (int j = 0; j < n && !asked; j++)
		if (sentences[j].turn == turn && sentences[j].speaker == SPEAKER_CALLER)
			asked = vp_sentence_has_any(&sentences[j], &asking_set);
	for (int j = e->reply; j < n && sentences[j].turn == sentences[e->reply].turn; j++)
	{
		const Sentence *a = &sentences[j];
		bool		question = a->end > a->start && r->transcript[a->end - 1] == '?';

		for (int w = 0; w < a->nwords;)
		{
			int			term;
			int			used = vp_match_at(r, j, w, &term);
			bool		heard = false;

			if (used == 0)
			{
				w++;
				continue;
			}
			for (int k = 0; k < e->nterms; k++)
				heard |= e->terms[k] == term && e->heard[k];
			if (vocab->kinds[term] == TERM_PROCEDURE && !heard &&
				((!question && said_before(a, w, &naming_set)) || (asked && said_before(a, w, &doing_set)) ||
				 (j == e->reply && w == 0 && a->nwords <= 4)))
				return term;
			w += used;
		}
	}
	return -1;
}

/* A short answer is at most this many words ("smaller, definitely smaller", "the clear ones"). */
#define SHORT_ANSWER_WORDS 8

/* What the assistant asks to make a caller choose ("Which area bothers you most?", "smaller, or more lifted?"). */
static const char *const choosing[] = {"which", "or", "cu l", "cual", "o"};
static PhraseSet choosing_set = PHRASE_SET(choosing);

/*
 * The procedure a short answer to the assistant's question of choice is
 * about, by the reply: the caller's turn named none and is short, the
 * assistant's turn before it ended asking which or what ("Are you hoping to
 * make your breasts smaller, or more lifted?"), and the first sentence of
 * the reply, not a question, names one procedure and no other ("Then a
 * breast reduction is what we'd discuss.", "Invisalign here typically runs
 * ...").  -1 if none.
 */
int
vp_short_answer_taken(Reading *r, int i, const Echo *e)
{
	const TermSet *vocab = r->vocab;
	const Sentence *sentences = r->sentences;
	int			first = vp_turn_start(sentences, i);
	int			words = 0;
	int			named = -1;
	const Sentence *asked;
	const Sentence *reply;

	if (e->reply < 0 || first == 0 || sentences[first - 1].speaker != SPEAKER_ASSISTANT)
		return -1;
	for (int j = first; j <= i; j++)
		words += sentences[j].nwords;
	asked = &sentences[first - 1];
	reply = &sentences[e->reply];
	if (words > SHORT_ANSWER_WORDS || asked->end <= asked->start || r->transcript[asked->end - 1] != '?' ||
		!vp_sentence_has_any(asked, &choosing_set) ||
		(reply->end > reply->start && r->transcript[reply->end - 1] == '?'))
		return -1;
	for (int w = 0; w < reply->nwords;)
	{
		int			term;
		int			used = vp_match_at(r, e->reply, w, &term);

		if (used > 0 && vocab->kinds[term] == TERM_PROCEDURE)
		{
			if (named >= 0 && named != term)
				return -1;		/* "two main options: blepharoplasty ... or a Botox brow lift" */
			named = term;
		}
		w += Max(used, 1);
	}
	for (int k = 0; named >= 0 && k < e->nterms; k++)
		if (e->terms[k] == named && e->heard[k])
			return -1;			/* the caller named it (and negated or told it as past) */
	return named;
}

/*
 * What the assistant asks when it suggests a procedure ("Does that sound
 * like what you're after?", "¿Es lo que busca?", "¿Le interesa?").
 */
static const char *const suggesting[] = {
	"sound", "sounds", "what you", "interested", "interesa", "is that", "es lo que", "would that",
	"does that", "would you like", "le gustar", "want to", "quiere", "busca", "looking for", "thinking",
};

/* What a caller says to take a suggestion, first in their turn ("Yes, that one", "Sí, eso mismo"). */
static const char *const agreeing[] = {
	"yes", "yeah", "yep", "yup", "sure", "exactly", "correct", "right", "definitely", "absolutely",
	"that one", "that sounds", "sounds right", "sounds good", "s", "si", "claro", "exacto", "eso",
	"esa", "ese", "aj",
};

/* What a caller says to point at one of several suggestions ("la de las inyecciones, esa"). */
static const char *const pointing[] = {"that one", "this one", "esa", "ese", "eso", "esta", "este"};

static PhraseSet suggesting_set = PHRASE_SET(suggesting);
static PhraseSet agreeing_set = PHRASE_SET(agreeing);
static PhraseSet pointing_set = PHRASE_SET(pointing);

/*
 * The procedure a caller's turn that named none takes from the assistant's
 * suggestion just before it: the assistant's turn ended asking whether it
 * suggested what the caller wants ("A breast reduction ... Is that what
 * you're thinking?") and the caller agrees ("Yes, that one.") or points
 * ("La de las inyecciones, esa."); of several procedures suggested, the
 * one the caller's words name (pick_names), else, agreed to, the first
 * (the proposal: "a mommy makeover, which combines a tummy tuck with a
 * breast lift").  -1 if none.
 */
int
vp_suggestion_taken(Reading *r, int i)
{
	const Sentence *sentences = r->sentences;
	int			start = vp_turn_start(sentences, i);
	int			last = start - 1;	/* the assistant's last sentence before the turn */
	int			listed[LISTED_MAX];
	int			nlisted;
	bool		agrees = false;
	bool		points = false;

	if (last < 0 || sentences[last].speaker != SPEAKER_ASSISTANT ||
		sentences[last].end <= sentences[last].start || r->transcript[sentences[last].end - 1] != '?' ||
		!vp_sentence_has_any(&sentences[last], &suggesting_set))
		return -1;
	for (int at = 0; at < sentences[start].nwords && at < 3 && !agrees; at++)
		agrees = vp_phrase_at(&sentences[start], at, &agreeing_set) >= 0;
	for (int j = start; j <= i && !points; j++)
		points = vp_sentence_has_any(&sentences[j], &pointing_set);
	if (!agrees && !points)
		return -1;
	nlisted = assistant_listed(r, i, listed);
	if (nlisted == 1)
		return listed[0];
	for (int j = start; j <= i; j++)
		for (int k = 0; k < sentences[j].nwords; k++)
		{
			if (sentences[j].words[k].len < 4)
				continue;
			for (int a = last; a >= 0 && sentences[a].speaker == SPEAKER_ASSISTANT &&
				 sentences[a].turn == sentences[last].turn; a--)
			{
				int			term = sentence_pick(r, a, &sentences[j].words[k]);

				if (term >= 0)
					return term;
			}
		}
	/* agreed to, the first is the proposal ("un aumento de senos con implantes") */
	return agrees && nlisted > 0 ? listed[0] : -1;
}
