/*
 * reply_intent.c
 *	  Deciding what a reply wants from the rule hits, and reply_classify().
 *
 * The order of the decision (docs/replies.md has the reasons):
 *
 *	1. out of office: an auto-reply marker ("Automatic reply", "limited
 *	   access to email", "will not be forwarded"), or enough absence cues;
 *	   a first-person "call me" outweighs a lone "on vacation".
 *	2. wrong person (strongly said), 3. unsubscribe (strongly said).
 *	4. a call request: a call phrase, or a number given with a yes, an
 *	   interest or alone; not when calls are refused ("don't call me"), nor
 *	   a weak one when the lead asks for e-mail, a text or information
 *	   instead.  A strong "no" beats it unless the call comes after a "but";
 *	   a weak "not now" does not.
 *	5. not interested, unsubscribe and wrong person weakly said, absence.
 *	6. interest, then a question, then a bare yes; with no recognised cue at
 *	   all, question with a low confidence ("no clear wish yet").
 */
#include "reply_internal.h"

#include <math.h>
#include <string.h>

#include "e164_regex.h"

/* What the hits of one reply add up to. */
typedef struct Summary
{
	int			best[CUE_N_KINDS];	/* strongest hit of each kind, 0 if none */
	int			hit[CUE_N_KINDS];	/* first hit of that strength */
	int			last[CUE_N_KINDS][4];	/* start token of the last hit, by strength */
	int			ooo_score;		/* absence cues, overlapping ones counted once */
	bool		ooo_marker;		/* an auto-reply marker */
	int			qmarks;
	int			words;			/* word tokens of the body */
} Summary;

/* Adds up the hits. */
static void
summarise(const ReplyWork *w, Summary *s)
{
	int			ooo_until = -1;

	memset(s, 0, sizeof(*s));
	for (int k = 0; k < CUE_N_KINDS; k++)
	{
		s->hit[k] = -1;
		for (int st = 0; st < 4; st++)
			s->last[k][st] = -1;
	}
	for (int i = 0; i < w->nhits; i++)
	{
		const RHit *h = &w->hits[i];

		/* a request for something in writing is also interest */
		for (int pass = 0; pass < (h->kind == CUE_WRITTEN ? 2 : 1); pass++)
		{
			int			k = pass == 0 ? h->kind : CUE_INT;

			if (h->strength > s->best[k])
			{
				s->best[k] = h->strength;
				s->hit[k] = i;
			}
			s->last[k][h->strength] = h->start;
		}
		if (h->kind == CUE_OOO && h->start >= ooo_until)
		{
			s->ooo_score += h->strength;
			s->ooo_marker |= h->strength == 3;
			ooo_until = h->end;
		}
	}
	for (int t = 0; t < w->ntoks; t++)
	{
		if (w->toks[t].flags & TF_SIG)
			continue;
		if (w->toks[t].kind == TK_BOUND && (w->toks[t].flags & TF_QMARK))
			s->qmarks++;
		if (w->toks[t].kind == TK_WORD)
			s->words++;
	}
}

/* The start of the last hit of a kind at or above a strength, or -1. */
static int
last_at(const Summary *s, int kind, int min_strength)
{
	int			pos = -1;

	for (int st = min_strength; st <= 3; st++)
		if (s->last[kind][st] > pos)
			pos = s->last[kind][st];
	return pos;
}

/* Whether a contrast word (but, however) stands between tokens a and b. */
static bool
contrast_between(const ReplyWork *w, int a, int b)
{
	for (int t = a + 1; t < b && t < w->ntoks; t++)
		if (w->toks[t].kind == TK_WORD && (reply_vocab_class(w->toks[t].id) & WC_CONTRAST))
			return true;
	return false;
}

/* Copies text[a..b) as evidence: one line, at most REPLY_EVIDENCE_MAX bytes. */
static void
set_evidence(const ReplyWork *w, int32_t a, int32_t b, ReplyResult *out)
{
	int			n = 0;

	if (b - a > REPLY_EVIDENCE_MAX)
	{
		b = a + REPLY_EVIDENCE_MAX;
		/* do not cut a UTF-8 character */
		while (b > a && ((unsigned char) w->text[b] & 0xc0) == 0x80)
			b--;
	}
	for (int32_t i = a; i < b; i++)
	{
		char		c = w->text[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && (n == 0 || out->evidence[n - 1] == ' '))
			continue;
		out->evidence[n++] = c;
	}
	while (n > 0 && out->evidence[n - 1] == ' ')
		n--;
	out->evidence[n] = '\0';
}

/*
 * The evidence of hit i: the text its tokens cover, widened to the hits of
 * the same kind it overlaps ("Please call" and "call me" give "Please call
 * me"), to the negator of a negated phrase ("not interested"), and to the
 * verb before an object pronoun ("give me a call").
 */
static void
hit_evidence(const ReplyWork *w, int i, ReplyResult *out)
{
	const RHit *h = &w->hits[i];
	int			start = h->start,
				end = h->end;
	bool		grown = true;
	int			last;

	while (grown)
	{
		grown = false;
		for (int j = 0; j < w->nhits; j++)
		{
			const RHit *o = &w->hits[j];

			if (o->kind == h->kind && o->start < end && o->end > start &&
				(o->start < start || o->end > end))
			{
				start = o->start < start ? o->start : start;
				end = o->end > end ? o->end : end;
				grown = true;
			}
		}
	}
	if (h->negated)
	{
		for (int u = start - 1; u >= 0 && u >= h->start - 3; u--)
		{
			if (w->toks[u].kind != TK_WORD)
				break;
			if (reply_vocab_class(w->toks[u].id) & WC_NEGATOR)
			{
				start = u;
				break;
			}
		}
	}
	else if (start > 0 && w->toks[start].kind == TK_WORD && w->toks[start - 1].kind == TK_WORD &&
			 (reply_vocab_class(w->toks[start].id) & WC_OBJECT))
		start--;
	last = end - 1;
	while (last > start && w->toks[last].kind == TK_SOFT)
		last--;
	set_evidence(w, w->toks[start].start, w->toks[last].end, out);
}

/* Sets the result's intent and confidence (rounded to two decimals). */
static void
conclude(ReplyResult *out, ReplyIntent intent, double confidence)
{
	if (confidence < 0.05)
		confidence = 0.05;
	if (confidence > 1)
		confidence = 1;
	out->intent = intent;
	out->confidence = round(confidence * 100) / 100;
}

/* Decides the intent of a tokenised, matched reply. */
static void
decide(ReplyWork *w, ReplyResult *out)
{
	Summary		s;
	int			phone = reply_choose_phone(w);
	bool		body_phone = phone >= 0 && w->phones[phone].zone == ZONE_BODY;
	bool		blocked;
	int			cs = 0,
				chit = -1,
				cpos = -1;
	bool		inferred = false;

	summarise(w, &s);
	blocked = s.best[CUE_BLOCK] > 0;

	/* 1. absence and auto-replies */
	if (s.ooo_marker || s.ooo_score >= 4 || (s.ooo_score >= 3 && s.best[CUE_CALL] < 3))
	{
		conclude(out, REPLY_OUT_OF_OFFICE, s.ooo_marker || s.ooo_score >= 4 ? 0.95 : 0.85);
		hit_evidence(w, s.hit[CUE_OOO], out);
		return;
	}
	/* 2, 3. wrong person and unsubscribe, strongly said */
	if (s.best[CUE_WRONG] == 3)
	{
		conclude(out, REPLY_WRONG_PERSON, s.best[CUE_CALL] == 3 || s.best[CUE_INT] >= 2 ? 0.85 : 0.95);
		hit_evidence(w, s.hit[CUE_WRONG], out);
		return;
	}
	if (s.best[CUE_UNSUB] == 3)
	{
		conclude(out, REPLY_UNSUBSCRIBE, 0.97);
		hit_evidence(w, s.hit[CUE_UNSUB], out);
		return;
	}

	/* 4. a call request */
	if (s.best[CUE_CALL] > 0 && !blocked)
	{
		cs = s.best[CUE_CALL];
		chit = s.hit[CUE_CALL];
		cpos = w->hits[chit].start;
	}
	if (cs < 2 && !blocked && body_phone && s.best[CUE_OTHER_CHANNEL] == 0 &&
		(s.best[CUE_AFFIRM] > 0 || s.best[CUE_INT] >= 2 || cs == 1 || s.words <= 2))
	{
		/* a number given with a yes, an interest, a wish to talk, or alone */
		inferred = cs == 0;
		cs = 2;
		cpos = w->phones[phone].tok;
	}
	if (cs > 0 && cs <= 2 && (s.best[CUE_OTHER_CHANNEL] > 0 || s.best[CUE_WRITTEN] > 0))
		cs = 0;					/* e-mail, a text or something in writing is what is asked for */
	if (cs > 0)
	{
		int			penalty = 0;
		bool		call_wins = true;

		if (s.best[CUE_NI] == 3 || s.best[CUE_UNSUB] == 1)
		{
			int			npos = last_at(&s, CUE_NI, 3);

			if (last_at(&s, CUE_UNSUB, 1) > npos)
				npos = last_at(&s, CUE_UNSUB, 1);
			call_wins = cs == 3 && cpos > npos && contrast_between(w, npos, cpos);
			penalty++;
		}
		else if (s.best[CUE_NI] == 1)
		{
			call_wins = cs == 3 || cpos > last_at(&s, CUE_NI, 1);
			penalty++;
		}
		if (s.best[CUE_WRONG] == 1)
		{
			call_wins = call_wins && cs == 3;
			penalty++;
		}
		if (s.ooo_score > 0)
			penalty++;
		if (call_wins)
		{
			double		c = cs == 3 ? (phone >= 0 ? 0.97 : 0.95) :
				cs == 2 ? (s.best[CUE_AFFIRM] > 0 ? 0.88 : 0.85) : 0.75;

			conclude(out, REPLY_CALL_REQUESTED, c - 0.1 * penalty);
			out->explicit_call = cs == 3 && penalty == 0 && !inferred;
			if (phone >= 0)
			{
				out->has_phone = true;
				out->phone = w->phones[phone].num;
			}
			if (inferred)
			{
				/* the clause that gives the number: "Yes, 310 555 0124" */
				const RPhone *ph = &w->phones[phone];
				int			b = ph->tok;

				while (b > 0 && w->toks[b - 1].kind != TK_BOUND)
					b--;
				set_evidence(w, w->toks[b].start, ph->end, out);
			}
			else
				hit_evidence(w, chit, out);
			return;
		}
	}

	/* 5. not interested, and the weakly said refusals */
	if (s.best[CUE_NI] == 3)
	{
		int			npos = last_at(&s, CUE_NI, 3);
		int			ipos = last_at(&s, CUE_INT, 2);

		if (ipos > npos && contrast_between(w, npos, ipos))
		{
			conclude(out, REPLY_INTERESTED, 0.75);
			hit_evidence(w, s.hit[CUE_INT], out);
			return;
		}
		conclude(out, REPLY_NOT_INTERESTED, s.best[CUE_INT] >= 2 || s.best[CUE_CALL] > 0 ? 0.85 : 0.95);
		hit_evidence(w, s.hit[CUE_NI], out);
		return;
	}
	if (s.best[CUE_UNSUB] == 1)
	{
		conclude(out, REPLY_UNSUBSCRIBE, 0.8);
		hit_evidence(w, s.hit[CUE_UNSUB], out);
		return;
	}
	if (s.best[CUE_WRONG] == 1)
	{
		conclude(out, REPLY_WRONG_PERSON, 0.7);
		hit_evidence(w, s.hit[CUE_WRONG], out);
		return;
	}
	if (s.best[CUE_NI] == 1)
	{
		int			ipos = last_at(&s, CUE_INT, 2);

		if (ipos > last_at(&s, CUE_NI, 1))
		{
			conclude(out, REPLY_INTERESTED, 0.7);
			hit_evidence(w, s.hit[CUE_INT], out);
			return;
		}
		conclude(out, REPLY_NOT_INTERESTED, 0.75);
		hit_evidence(w, s.hit[CUE_NI], out);
		return;
	}
	if (s.ooo_score >= 2)
	{
		conclude(out, REPLY_OUT_OF_OFFICE, 0.7);
		hit_evidence(w, s.hit[CUE_OOO], out);
		return;
	}
	/* calls refused: interested in another way, or not at all */
	if (blocked)
	{
		if (s.best[CUE_INT] >= 2 || s.best[CUE_OTHER_CHANNEL] > 0)
		{
			conclude(out, REPLY_INTERESTED, 0.8);
			hit_evidence(w, s.best[CUE_INT] >= 2 ? s.hit[CUE_INT] : s.hit[CUE_OTHER_CHANNEL], out);
		}
		else
		{
			conclude(out, REPLY_NOT_INTERESTED, 0.7);
			hit_evidence(w, s.hit[CUE_BLOCK], out);
		}
		return;
	}

	/* 6. interest, questions, a bare yes */
	if (s.best[CUE_INT] >= 2 || s.best[CUE_OTHER_CHANNEL] > 0)
	{
		conclude(out, REPLY_INTERESTED, s.best[CUE_INT] == 3 ? 0.9 : 0.8);
		hit_evidence(w, s.best[CUE_INT] >= 2 ? s.hit[CUE_INT] : s.hit[CUE_OTHER_CHANNEL], out);
		return;
	}
	if (s.best[CUE_QUEST] == 3 || s.qmarks > 0 || s.best[CUE_QUEST] > 0)
	{
		conclude(out, REPLY_QUESTION, s.best[CUE_QUEST] == 3 ? 0.9 : s.qmarks > 0 ? 0.8 : 0.6);
		if (s.hit[CUE_QUEST] >= 0)
			hit_evidence(w, s.hit[CUE_QUEST], out);
		else
		{
			/* the first sentence that ends with a question mark */
			int			q = 0;

			while (q < w->ntoks && !(w->toks[q].kind == TK_BOUND && (w->toks[q].flags & TF_QMARK)))
				q++;
			if (q < w->ntoks)
			{
				int			b = q - 1;

				while (b > 0 && w->toks[b - 1].kind != TK_BOUND)
					b--;
				set_evidence(w, w->toks[b < 0 ? 0 : b].start, w->toks[q].end, out);
			}
		}
		return;
	}
	if (s.best[CUE_AFFIRM] > 0)
	{
		conclude(out, REPLY_INTERESTED, 0.5);
		hit_evidence(w, s.hit[CUE_AFFIRM], out);
		return;
	}
	conclude(out, REPLY_QUESTION, 0.3);
}

/* Whether national numbers of the region start with a trunk 0 (GB, DE, AU, ...). */
static bool
region_trunk_zero(const E164Region *md)
{
	if (md->country_code == 1 || md->national_prefix_for_parsing < 0)
		return false;
	return e164_regex_consume(md->national_prefix_for_parsing, "0123456789", 10, NULL) == 1;
}

/* See reply_classify.h. */
const char *
reply_intent_name(ReplyIntent intent)
{
	static const char *const names[REPLY_N_INTENTS] = {
		"call_requested", "interested", "not_interested", "unsubscribe", "out_of_office",
		"wrong_person", "question"
	};

	return intent < REPLY_N_INTENTS ? names[intent] : "question";
}

/* See reply_classify.h. */
bool
reply_classify(const char *text, size_t len, const char *region, int region_len, ReplyResult *out)
{
	ReplyWork	w;
	const E164Region *md = e164_region_by_code(region, region_len);

	if (md == NULL)
		return false;
	reply_rules_init();
	memset(out, 0, sizeof(*out));
	w.text = text;
	w.len = (int32_t) (len > REPLY_MAX_ANALYSED ? REPLY_MAX_ANALYSED : len);
	w.region = md;
	w.trunk_zero = region_trunk_zero(md);
	reply_own_lines(&w);
	reply_tokenise(&w);
	reply_match_rules(&w);
	decide(&w, out);
	return true;
}
