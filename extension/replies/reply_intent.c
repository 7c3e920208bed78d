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
 *	5. not interested, unsubscribe and wrong person weakly said, absence;
 *	   calls refused: interest in another way, else not interested.
 *	6. a bare "ok", "yes", "maybe" or "?": the answer to the quoted offer
 *	   (in writing: interest; a call, with a yes: a call request), else
 *	   unclear; then interest, then a question, then a bare yes; with no
 *	   recognised cue at all, unclear: nobody is called.
 */
#include "e164/e164_metadata.h"
#include "e164/e164_regex.h"
#include "replies/reply_classify.h"
#include "replies/reply_internal.h"

#include <math.h>
#include <string.h>


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
	bool		urgent_call;	/* the strongest call request is for emergencies ("if urgent, call ...") */
	bool		written_for_lead;	/* the lead asks for something in writing for themselves ("email me"), not for another */
} Summary;

/*
 * Whether the call at token t is for an emergency ("For emergencies please
 * call ...", "Call my husband at ... if it's urgent"; not "use the home
 * one, the cell is only for emergencies"): in an auto-reply, a number for
 * emergencies is not a wish to be called.
 */
static bool
urgent_sentence(const ReplyWork *w, int t)
{
	int			from = t,
				to = t;

	/* before the call in its sentence ("For emergencies please call"), after it in its clause ("... if urgent") */
	while (from > 0 && w->toks[from - 1].kind != TK_BOUND)
		from--;
	while (to < w->ntoks && w->toks[to].kind != TK_BOUND && (to <= t || w->toks[to].kind != TK_SOFT))
		to++;
	return reply_span_has(w, from, to, WC_URGENT);
}

/* Whether tokens [start, end) name someone else ("please email my wife"): a hand-off, as auto-replies make. */
static bool
names_someone_else(const ReplyWork *w, int start, int end)
{
	return reply_span_has(w, start, end, WC_PEOPLE);
}

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

		/* a request for something in writing, or the lead calling us, is also interest */
		for (int pass = 0; pass < (h->kind == CUE_WRITTEN || h->kind == CUE_WILL_CALL ? 2 : 1); pass++)
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
	if (s->ooo_score >= 2 && s->best[CUE_CALL] > 0)
		s->urgent_call = urgent_sentence(w, w->hits[s->hit[CUE_CALL]].start);
	for (int i = 0; i < w->nhits; i++)
		if (w->hits[i].kind == CUE_WRITTEN && !names_someone_else(w, w->hits[i].start, w->hits[i].end))
			s->written_for_lead = true;
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

/* conclude(), with the evidence of hit i. */
static void
conclude_hit(const ReplyWork *w, ReplyResult *out, ReplyIntent intent, double confidence, int i)
{
	conclude(out, intent, confidence);
	hit_evidence(w, i, out);
}

/* The first token of the clause token t is in (0 for t < 0). */
static int
clause_first_token(const ReplyWork *w, int t)
{
	while (t > 0 && w->toks[t - 1].kind != TK_BOUND)
		t--;
	return t < 0 ? 0 : t;
}

/*
 * Whether the lead asks to stop e-mails only, for a call ("Please stop
 * emailing my work address. If you want to talk just call me."): every
 * strong removal request is about e-mail, and a strong call request that
 * nothing refuses comes after it.
 */
static bool
call_instead_of_mail(const ReplyWork *w, const Summary *s)
{
	int			last_unsub = -1;

	if (s->best[CUE_CALL] < 3 || s->best[CUE_BLOCK] > 0)
		return false;
	for (int i = 0; i < w->nhits; i++)
	{
		const RHit *h = &w->hits[i];

		if (h->kind != CUE_UNSUB)
			continue;
		if (!reply_span_has(w, h->start, h->end, WC_MAIL))
			return false;
		last_unsub = h->start;
	}
	return last_unsub >= 0 && w->hits[s->hit[CUE_CALL]].start > last_unsub;
}

/*
 * Whether a strong call request, not one for emergencies, comes before
 * every absence cue ("Call me Monday on my cell. I'm at a conference and
 * won't be checking email."): the lead's own wish, not an auto-reply.
 */
static bool
call_before_absence(const ReplyWork *w, const Summary *s)
{
	int			call;

	if (s->best[CUE_CALL] < 3 || s->urgent_call)
		return false;
	call = w->hits[s->hit[CUE_CALL]].start;
	for (int i = 0; i < w->nhits; i++)
		if (w->hits[i].kind == CUE_OOO && w->hits[i].start <= call)
			return false;
	return true;
}

/* Steps 1 to 3: an absence or an auto-reply; a wrong person or an unsubscribe strongly said. */
static bool
decide_absence_or_strong_refusal(const ReplyWork *w, const Summary *s, ReplyResult *out)
{
	if ((s->ooo_marker && !call_before_absence(w, s)) || (s->ooo_score >= 2 && s->urgent_call) ||
		(s->best[CUE_WILL_CALL] == 0 && !s->written_for_lead &&
		 (s->ooo_score >= 4 || (s->ooo_score >= 3 && s->best[CUE_CALL] < 3))))
	{
		conclude_hit(w, out, REPLY_OUT_OF_OFFICE, s->ooo_marker || s->ooo_score >= 4 ? 0.95 : 0.85,
					 s->hit[CUE_OOO]);
		return true;
	}
	if (s->best[CUE_WRONG] == 3)
	{
		conclude_hit(w, out, REPLY_WRONG_PERSON, s->best[CUE_CALL] == 3 || s->best[CUE_INT] >= 2 ? 0.85 : 0.95,
					 s->hit[CUE_WRONG]);
		return true;
	}
	if (s->best[CUE_UNSUB] == 3 && !call_instead_of_mail(w, s))
	{
		conclude_hit(w, out, REPLY_UNSUBSCRIBE, 0.97, s->hit[CUE_UNSUB]);
		return true;
	}
	return false;
}

/* A call request as the hits and the callback number make it. */
typedef struct CallRequest
{
	int			strength;		/* 0 none, 1 weak .. 3 strong */
	int			hit;			/* the strongest call hit, or -1 */
	int			pos;			/* the token it starts at (the number's, when inferred) */
	bool		inferred;		/* no call phrase: a number given with a yes, an interest or alone */
} CallRequest;

/*
 * The reply's call request: its strongest call phrase, or the callback
 * number in the body given with a yes, an interest, a weak wish to talk,
 * or alone.  None when calls are refused; a weak one is none when e-mail,
 * a text or something in writing is asked for instead.
 */
static CallRequest
find_call_request(const ReplyWork *w, const Summary *s, int phone)
{
	CallRequest c = {.strength = 0, .hit = -1, .pos = -1, .inferred = false};
	bool		blocked = s->best[CUE_BLOCK] > 0;
	bool		body_phone = phone >= 0 && w->phones[phone].zone == ZONE_BODY;

	if (s->best[CUE_CALL] > 0 && !blocked)
	{
		c.strength = s->best[CUE_CALL];
		c.hit = s->hit[CUE_CALL];
		c.pos = w->hits[c.hit].start;
	}
	if (c.strength < 2 && !blocked && body_phone && s->best[CUE_OTHER_CHANNEL] == 0 && s->best[CUE_WILL_CALL] == 0 &&
		(s->best[CUE_AFFIRM] > 0 || s->best[CUE_INT] >= 2 || c.strength == 1 || s->words <= 2))
	{
		/* a number given with a yes, an interest, a wish to talk, or alone */
		c.inferred = c.strength == 0;
		c.strength = 2;
		c.pos = w->phones[phone].tok;
	}
	if (c.strength > 0 && c.strength <= 2 && (s->best[CUE_OTHER_CHANNEL] > 0 || s->best[CUE_WRITTEN] > 0))
		c.strength = 0;			/* e-mail, a text or something in writing is what is asked for */
	if (c.strength > 0 && c.strength <= 2 && s->best[CUE_WILL_CALL] > 0)
		c.strength = 0;			/* "I'll try you from my work phone, 646 555 0149": the lead calls */
	return c;
}

/*
 * Whether the call request c wins over the refusals said with it, and in
 * *penalty how many things said with it lower its confidence.  A strong
 * "no" (or a weak unsubscribe) wins unless a strong call request comes
 * after it and a "but"; a weak "not now" wins over a weak request that
 * comes before it; a weak "wrong person" over any but a strong one.
 */
static bool
call_request_wins(const ReplyWork *w, const Summary *s, const CallRequest *c, int *penalty)
{
	bool		call_wins = true;

	*penalty = 0;
	if (s->best[CUE_NI] == 3 || (s->best[CUE_UNSUB] == 1 && !call_instead_of_mail(w, s)))
	{
		int			npos = last_at(s, CUE_NI, 3);

		if (last_at(s, CUE_UNSUB, 1) > npos)
			npos = last_at(s, CUE_UNSUB, 1);
		call_wins = c->strength == 3 && c->pos > npos && contrast_between(w, npos, c->pos);
		(*penalty)++;
	}
	else if (s->best[CUE_NI] == 1)
	{
		call_wins = c->strength == 3 || c->pos > last_at(s, CUE_NI, 1);
		(*penalty)++;
	}
	if (s->best[CUE_WRONG] == 1)
	{
		call_wins = call_wins && c->strength == 3;
		(*penalty)++;
	}
	if (s->ooo_score > 0)
		(*penalty)++;
	return call_wins;
}

/*
 * Step 4: a call request that wins concludes call_requested, with the
 * callback number (phone, an index in w->phones, or -1) if there is one.
 */
static bool
decide_call_request(const ReplyWork *w, const Summary *s, int phone, ReplyResult *out)
{
	CallRequest c = find_call_request(w, s, phone);
	int			penalty;
	double		confidence;

	if (c.strength == 0 || !call_request_wins(w, s, &c, &penalty))
		return false;
	/*
	 * Asked for a call with no number in the body: the lead's own
	 * signature's; and of a signature's numbers, the line the body names.
	 */
	if ((phone < 0 && c.strength == 3 && !c.inferred) ||
		(phone >= 0 && w->phones[phone].zone == ZONE_SIG))
		phone = reply_signature_phone(w, phone, false);
	else if (phone < 0 && !c.inferred)
		phone = reply_signature_phone(w, phone, true);
	confidence = c.strength == 3 ? (phone >= 0 ? 0.97 : 0.95) :
		c.strength == 2 ? (s->best[CUE_AFFIRM] > 0 ? 0.88 : 0.85) : 0.75;
	conclude(out, REPLY_CALL_REQUESTED, confidence - 0.1 * penalty);
	out->explicit_call = c.strength == 3 && penalty == 0 && !c.inferred;
	if (phone >= 0)
	{
		out->has_phone = true;
		out->phone = w->phones[phone].num;
	}
	if (c.inferred)
	{
		/* the clause that gives the number: "Yes, 310 555 0124" */
		const RPhone *ph = &w->phones[phone];

		set_evidence(w, w->toks[clause_first_token(w, ph->tok)].start, ph->end, out);
	}
	else
		hit_evidence(w, c.hit, out);
	return true;
}

/*
 * Step 5: not interested (unless interest follows it after a "but"),
 * unsubscribe and wrong person weakly said, absence; then calls refused:
 * interested in another way, or not interested.
 */
static bool
decide_refusal(const ReplyWork *w, const Summary *s, ReplyResult *out)
{
	if (s->best[CUE_NI] == 3)
	{
		int			npos = last_at(s, CUE_NI, 3);
		int			ipos = last_at(s, CUE_INT, 2);

		if (ipos > npos && contrast_between(w, npos, ipos))
			conclude_hit(w, out, REPLY_INTERESTED, 0.75, s->hit[CUE_INT]);
		else
			conclude_hit(w, out, REPLY_NOT_INTERESTED, s->best[CUE_INT] >= 2 || s->best[CUE_CALL] > 0 ? 0.85 : 0.95,
						 s->hit[CUE_NI]);
		return true;
	}
	if (s->best[CUE_UNSUB] == 1)
	{
		conclude_hit(w, out, REPLY_UNSUBSCRIBE, 0.8, s->hit[CUE_UNSUB]);
		return true;
	}
	if (s->best[CUE_WRONG] == 1)
	{
		conclude_hit(w, out, REPLY_WRONG_PERSON, 0.7, s->hit[CUE_WRONG]);
		return true;
	}
	if (s->best[CUE_NI] == 1)
	{
		if (last_at(s, CUE_INT, 2) > last_at(s, CUE_NI, 1))
			conclude_hit(w, out, REPLY_INTERESTED, 0.7, s->hit[CUE_INT]);
		else
			conclude_hit(w, out, REPLY_NOT_INTERESTED, 0.75, s->hit[CUE_NI]);
		return true;
	}
	if (s->ooo_score >= 2 && s->best[CUE_WILL_CALL] == 0 && !s->written_for_lead)
	{
		conclude_hit(w, out, REPLY_OUT_OF_OFFICE, 0.7, s->hit[CUE_OOO]);
		return true;
	}
	if (s->best[CUE_BLOCK] > 0)
	{
		if (s->best[CUE_INT] >= 2 || s->best[CUE_OTHER_CHANNEL] > 0)
			conclude_hit(w, out, REPLY_INTERESTED, 0.8,
						 s->best[CUE_INT] >= 2 ? s->hit[CUE_INT] : s->hit[CUE_OTHER_CHANNEL]);
		else
			conclude_hit(w, out, REPLY_NOT_INTERESTED, 0.7, s->hit[CUE_BLOCK]);
		return true;
	}
	/* "Please don't call 412 555 0152 again": one line refused, nothing else wanted */
	if (s->best[CUE_LOCAL_BLOCK] > 0 && s->best[CUE_INT] < 2 && s->best[CUE_OTHER_CHANNEL] == 0)
	{
		conclude_hit(w, out, REPLY_NOT_INTERESTED, 0.6, s->hit[CUE_LOCAL_BLOCK]);
		return true;
	}
	return false;
}

/*
 * Step 6 first: a reply that only acknowledges, assents or hedges, in at
 * most five words ("ok", "Sí", "yes please", "maybe", "?"), answers what
 * the quoted message offered.  An offer of something in writing makes it
 * interest; an offer of a call and an assent ("yes", not "ok thanks") a
 * call request; a hedge, both offers, no offer or no words at all leave it
 * unclear: nobody can tell from it whether the lead wants a call.  Returns
 * false when the reply says more than that.
 */
static bool
decide_bare_answer(const ReplyWork *w, ReplyResult *out)
{
	int			words = 0,
				first = -1,
				last = -1,
				offer;
	bool		yes = false,
				hedge = false;

	for (int t = 0; t < w->ntoks; t++)
	{
		const RTok *k = &w->toks[t];
		uint32_t	cls;

		if (k->flags & TF_SIG || k->kind == TK_BOUND || k->kind == TK_SOFT)
			continue;
		if (k->kind != TK_WORD)
			return false;
		cls = reply_vocab_class(k->id);
		/* "not sure": a hedge */
		if ((cls & WC_NEGATOR) && t + 1 < w->ntoks && w->toks[t + 1].kind == TK_WORD &&
			w->toks[t + 1].id == reply_vocab_find("sure", 4))
			cls = WC_HEDGE;
		if (!(cls & (WC_ACK | WC_YES | WC_HEDGE)) || ++words > 5)
			return false;
		yes |= (cls & WC_YES) != 0;
		hedge |= (cls & WC_HEDGE) != 0;
		if (first < 0)
			first = t;
		last = t;
	}
	offer = hedge || words == 0 ? 0 : reply_quoted_offer(w);
	if (offer == OFFER_WRITTEN)
		conclude(out, REPLY_INTERESTED, 0.6);
	else if (offer == OFFER_CALL && yes)
	{
		int			phone = reply_signature_phone(w, -1, false);

		conclude(out, REPLY_CALL_REQUESTED, 0.6);
		if (phone >= 0)
		{
			out->has_phone = true;
			out->phone = w->phones[phone].num;
		}
	}
	else
		conclude(out, REPLY_UNCLEAR, 0.5);
	if (first >= 0)
		set_evidence(w, w->toks[first].start, w->toks[last].end, out);
	return true;
}

/*
 * Step 6: interest, then a question (the evidence: its phrase, or the
 * first sentence that ends with a question mark), then a bare yes; with no
 * recognised cue, unclear with a low confidence.
 */
static void
decide_interest_or_question(const ReplyWork *w, const Summary *s, ReplyResult *out)
{
	if (decide_bare_answer(w, out))
		return;
	if (s->best[CUE_INT] >= 2 || s->best[CUE_OTHER_CHANNEL] > 0)
	{
		conclude_hit(w, out, REPLY_INTERESTED, s->best[CUE_INT] == 3 ? 0.9 : 0.8,
					 s->best[CUE_INT] >= 2 ? s->hit[CUE_INT] : s->hit[CUE_OTHER_CHANNEL]);
		return;
	}
	if (s->best[CUE_QUEST] == 3 || s->qmarks > 0 || s->best[CUE_QUEST] > 0)
	{
		conclude(out, REPLY_QUESTION, s->best[CUE_QUEST] == 3 ? 0.9 : s->qmarks > 0 ? 0.8 : 0.6);
		if (s->hit[CUE_QUEST] >= 0)
			hit_evidence(w, s->hit[CUE_QUEST], out);
		else
		{
			int			q = 0;

			while (q < w->ntoks && !(w->toks[q].kind == TK_BOUND && (w->toks[q].flags & TF_QMARK)))
				q++;
			if (q < w->ntoks)
				set_evidence(w, w->toks[clause_first_token(w, q - 1)].start, w->toks[q].end, out);
		}
		return;
	}
	if (s->best[CUE_AFFIRM] > 0)
	{
		conclude_hit(w, out, REPLY_INTERESTED, 0.5, s->hit[CUE_AFFIRM]);
		return;
	}
	conclude(out, REPLY_UNCLEAR, 0.3);
}

/* Decides the intent of a tokenised, matched reply: the steps of the file's header, in order. */
static void
decide(ReplyWork *w, ReplyResult *out)
{
	int			phone = reply_choose_phone(w);
	Summary		s;

	summarise(w, &s);
	if (decide_absence_or_strong_refusal(w, &s, out) ||
		decide_call_request(w, &s, phone, out) ||
		decide_refusal(w, &s, out))
		return;
	decide_interest_or_question(w, &s, out);
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
		"wrong_person", "question", "unclear"
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
