/*
 * clinic_dropoff.c
 *	  Drop-off detection for clinic calls (seed 004, "Voxanne"): a caller who
 *	  asked about a procedure and was lost before booking is flagged, once per
 *	  procedure within a window, and optionally texted by the SMS agent.
 *
 * A call is a drop-off when a prospective patient was lost (0.7.4, issue
 * 27; docs/clinic_followups.md has the rule and the table of endings): the
 * caller (not the assistant) asked about a procedure of the organisation's
 * vocabulary outside a negation and not as their own past in its clause
 * ("I had botox last year" counts only when they want it again; asked about
 * for its aftercare it is care, not interest), they are not a job
 * applicant, vendor or student, nothing was booked during the call, they
 * neither declined after their last mention nor closed the call themselves
 * ("I'll think about it, thanks, bye"), and the call ended by the caller
 * hanging up, silence (or the assistant ending it for silence), the time
 * limit, or a technical failure.  Calls the assistant ended after goodbyes
 * or forwarded to staff are not drop-offs.
 *
 * A hold is not a booking (since 0.6.0): the receptionist confirms a hold
 * during the call or not at all, so a hold the caller left unconfirmed
 * (live or expired) counts as nothing booked, and is released when the
 * call's report comes, freeing the time for others.  Only a hold whose
 * booking is under way in the outbox (a cal.create_booking job: Cal.com
 * did not answer in time) counts as booked, and stays.
 *
 * detect_dropoff() is the rule alone; vp_clinic_after_call() is what
 * record_call_ended runs for a clinic's calls: the follow-up record and the
 * SMS job (outbox, kind vapi.sms) at an allowed hour in the clinic's zone;
 * and when the caller booked, their earlier open follow-ups are booked too,
 * with an SMS not sent yet called off.  vp_clinic_caller() finds the
 * contact of a call that has none, before its report is logged, and makes
 * one for a new caller whose call was a drop-off, so that the follow-up
 * reaches them (call_contact.c).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "compliance/compliance.h"
#include "pool/call_contact.h"
#include "clinic/clinic_dropoff.h"
#include "core/saved_plans.h"
#include "pool/pool_engine.h"
#include "redact/transcript_text.h"

PG_FUNCTION_INFO_V1(vapi_pool_detect_dropoff);

/*
 * How long before the call's start and after its end a hold or booking of
 * the caller counts as made during the call (the tool's call and the report
 * do not share a clock).
 */
#define BOOKED_DURING_CALL_MARGIN "5 minutes"

/* A decline or a closing counts when it starts within this many words of its sentence's start. */
#define OPENS_SENTENCE_WITHIN 5

/* A result's procedures grow by this many at a time. */
#define PROCEDURES_CHUNK 8

/* The verdict on one call. */
typedef struct Dropoff
{
	char	  **procedures;		/* canonical names, in order of first mention */
	int			nprocedures;
	bool		is_dropoff;
	/*
	 * hung_up, silence, cut_off, technical_failure; or no_procedure,
	 * not_a_patient, booked, aftercare, declined, closed, ended_normally
	 */
	const char *reason;
} Dropoff;

/* What a caller says to decline, after which a silence is not a drop-off. */
static const char *const declines[] = {
	"no thanks", "no thank you", "not interested", "ill pass", "i will pass", "decided against",
	"changed my mind", "not for me", "ill skip", "dont need it", "dont want it", "im good thanks",
	"were good thanks", "no gracias", "no me interesa", "no estoy interesada", "no estoy interesado",
	"mejor no", "give it a miss", "youre alright",
};

/*
 * What makes a procedure of the caller's past wanted again: more of it or a
 * change (interest: the caller is a lead again).
 */
static const char *const past_procedure_wanted[] = {
	"revision", "revisions", "redo", "redone", "top up", "topup", "touch up", "touchup",
	"do it again", "get it again", "have it again", "done again", "another round",
	"another session", "another treatment", "more units", "some more", "a bit more",
	"replace", "replacing", "replacement", "bigger", "smaller", "fix", "fixed", "correct",
	"not happy", "unhappy", "retoque", "retocar", "retocarme", "otra vez",
};

/*
 * What makes a procedure of the caller's past a matter of care, not of
 * sales: aftercare, results, a problem after it, its paperwork.  Such a
 * call is about the procedure, but the caller is a patient, not a lead.
 */
static const char *const aftercare[] = {
	"normal", "swelling", "swollen", "blister", "blistering", "bruising", "bruise", "bruised",
	"pain", "painful", "hurts", "hurting", "sore", "infection", "infected", "droopy", "drooping",
	"lumpy", "lump", "lumps", "bump", "uneven", "asymmetrical", "reaction", "complication",
	"complications", "receipt", "invoice", "refund", "bill", "results", "result", "healing",
	"stitches", "sutures", "post op", "postop", "aftercare", "after care", "recovery from",
	"follow up", "followup", "check up", "checkup", "redness", "red", "itchy", "itching",
	"numb", "numbness", "scar", "scarring", "bleeding", "fever", "wearing off", "worn off",
	"when can i", "is it okay to", "should i be worried", "sleep on", "surgical bra",
	"compression", "garment", "drain", "drains", "chipped", "chip", "cracked", "broke", "broken",
	"fell off", "came off",
	"hinchaz n", "hinchada", "hinchado", "dolor", "moretones", "infecci n", "resultados",
};

/*
 * What a patient says of an appointment they have: the procedure is theirs
 * already, the call is care ("just confirming my botox appt").
 */
static const char *const appointment_care[] = {
	"confirming my", "confirm my", "reschedule my", "rescheduling my", "cancel my", "canceling my",
	"cancelling my", "move my", "my appt",
};

/* What a job applicant, a vendor or a student says: not a patient. */
static const char *const not_a_patient[] = {
	"hiring", "job opening", "job openings", "apply for a job", "applying for", "job application",
	"looking for an injector", "commission based", "hourly", "careers page", "im an rn",
	"a position", "open position", "my resume", "my cv", "job interview", "sales rep", "a rep with",
	"i represent", "vendor", "supplier", "distributor", "partnership", "for my class",
	"school project", "class project", "not a patient", "grad student", "med student",
	"medical student", "to shadow",
	"shadowing", "my thesis", "my research", "an interview",
	"medical director", "practice manager", "a demo", "our platform", "marketing", "we help",
	"medical supply", "overdue invoice", "past due", "accounts payable", "shipment",
	"purchasing", "we distribute", "more leads", "pricing sheet",
	"our product", "empleo", "vacante", "mi curriculum",
};

/*
 * What a caller says to close the conversation in their last turn: a
 * goodbye, thanks, or a promise to think or call back.  A caller who closed
 * the call was not lost, however it then ended.  (Transcripts are read as
 * ASCII words: "adiós" is the words "adi" and "s".)
 */
static const char *const closings[] = {
	"bye", "goodbye", "bye bye", "talk to you later", "talk soon", "have a good", "have a nice",
	"have a great", "take care", "thanks", "thank you", "think about it", "think it over",
	"have a think", "call back", "call you back", "ring back", "ring you back", "get back to you",
	"be in touch", "reach out", "gracias", "adios", "adi s", "hasta luego", "chao", "chau",
	"lo voy a pensar", "lo pienso", "lo pensar", "te llamo", "le llamo", "los llamo",
	"vuelvo a llamar", "cheers", "let you know", "ill figure it out", "look at the website",
	"book online",
};

/*
 * What the assistant says when it ends a call because the caller went
 * silent: such an ending is the caller's silence.
 */
static const char *const silence_endings[] = {
	"still there", "are you there", "cant hear", "cannot hear", "havent heard", "didnt hear",
	"not hearing", "no response", "lost you", "lost the connection", "seem to be busy",
	"didnt catch", "trouble hearing", "hard to hear", "breaking up", "bad connection",
	"not able to hear", "unable to hear", "cant hear you", "end this call",
	"sigue ah", "me escucha", "escucharle", "escucharla", "escucharlo", "o rle",
	"terminar la llamada", "terminar esta llamada",
};

/*
 * A list of phrases indexed by first letter, so that a sentence is read once
 * against the whole list: each word is compared only with the phrases that
 * start with its letter.  Built on first use; the lists are constants.
 */
typedef struct PhraseSet
{
	const char *const *phrases;
	int			n;
	bool		ready;
	int			by_first[257];	/* phrases by_first[c] .. by_first[c + 1] - 1 of order start with c */
	int			order[128];
} PhraseSet;

#define PHRASE_SET(list) {(list), lengthof(list), false, {0}, {0}}

/* Indexes a phrase set by first byte (a counting sort). */
static void
phrase_set_ready(PhraseSet *ps)
{
	int			count[257] = {0};

	Assert(ps->n <= lengthof(ps->order));
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
static int
phrase_at(const Sentence *s, int i, PhraseSet *ps)
{
	unsigned char c = (unsigned char) s->words[i].text[0];

	if (!ps->ready)
		phrase_set_ready(ps);
	for (int j = ps->by_first[c]; j < ps->by_first[c + 1]; j++)
		if (vp_words_are(s, i, ps->phrases[ps->order[j]]))
			return ps->order[j];
	return -1;
}

/* True if a phrase of the set is in the sentence. */
static bool
sentence_has_any(const Sentence *s, PhraseSet *ps)
{
	for (int i = 0; i < s->nwords; i++)
		if (phrase_at(s, i, ps) >= 0)
			return true;
	return false;
}

static PhraseSet declines_set = PHRASE_SET(declines);
static PhraseSet wanted_set = PHRASE_SET(past_procedure_wanted);
static PhraseSet aftercare_set = PHRASE_SET(aftercare);
static PhraseSet not_a_patient_set = PHRASE_SET(not_a_patient);
static PhraseSet closings_set = PHRASE_SET(closings);
static PhraseSet silence_set = PHRASE_SET(silence_endings);
static PhraseSet appointment_set = PHRASE_SET(appointment_care);

/* What a caller's turn says, read once per turn (-1: not read yet, 0, 1). */
typedef struct TurnMemo
{
	signed char aftercare;
	signed char wanted;
	signed char appointment;
} TurnMemo;

/*
 * True if a caller's turn has one of the phrases; *memo (-1: not read yet)
 * keeps the answer for the turn's other mentions.
 */
static bool
turn_has_any(const Sentence *sentences, int n, int turn, PhraseSet *ps, signed char *memo)
{
	if (*memo < 0)
	{
		*memo = 0;
		for (int i = 0; i < n && *memo == 0; i++)
			if (sentences[i].turn == turn && sentences[i].speaker == SPEAKER_CALLER &&
				sentence_has_any(&sentences[i], ps))
				*memo = 1;
	}
	return *memo == 1;
}

/*
 * How the call ended, for a drop-off (docs/clinic_followups.md has the
 * table): "hung_up", "silence", "cut_off" (the maximum duration) or
 * "technical_failure"; NULL when it ended another way.  An assistant that
 * ended the call saying it could not hear the caller (assistant_silence)
 * ended it for the caller's silence.
 */
static const char *
dropoff_ending(const char *ended_reason, bool assistant_silence)
{
	const char *class;

	if (ended_reason == NULL)
		return NULL;
	if (strncmp(ended_reason, "customer-ended-call", strlen("customer-ended-call")) == 0)
		return "hung_up";
	if (strcmp(ended_reason, "silence-timed-out") == 0)
		return "silence";
	if (strcmp(ended_reason, "exceeded-max-duration") == 0)
		return "cut_off";
	if (strncmp(ended_reason, "assistant-ended-call", strlen("assistant-ended-call")) == 0 ||
		strcmp(ended_reason, "assistant-said-end-call-phrase") == 0)
		return assistant_silence ? "silence" : NULL;
	class = vp_classify_ended_reason(ended_reason);
	if (class != NULL && strcmp(class, "provider_error") == 0)
		return "technical_failure";
	return NULL;
}

/*
 * The procedure a mention names, in the call's context: the bare word
 * "implant(s)" is the starter vocabulary's Dental implants, but in a call
 * about breasts (Breast augmentation asked about before, or the turn says
 * breast, boob, chest, senos) it is the breast implants of Breast
 * augmentation, when the vocabulary has that term.
 */
static const char *
procedure_in_context(const TermSet *vocab, const Dropoff *d, const Sentence *sentences, int n,
					 const Sentence *s, int w, int used, int term)
{
	static const char *const breast_words[] = {"breast", "breasts", "boob", "boobs", "chest", "senos", "busto"};
	int			breast = -1;

	if (used != 1 || strcmp(vocab->names[term], "Dental implants") != 0 ||
		(strcmp(s->words[w].text, "implant") != 0 && strcmp(s->words[w].text, "implants") != 0))
		return vocab->names[term];
	for (int t = 0; t < vocab->nterms; t++)
		if (vocab->kinds[t] == TERM_PROCEDURE && strcmp(vocab->names[t], "Breast augmentation") == 0)
			breast = t;
	if (breast < 0)
		return vocab->names[term];
	for (int i = 0; i < d->nprocedures; i++)
		if (strcmp(d->procedures[i], vocab->names[breast]) == 0)
			return vocab->names[breast];
	for (int i = 0; i < n; i++)
		if (sentences[i].turn == s->turn && sentences[i].speaker == s->speaker)
			for (int k = 0; k < lengthof(breast_words); k++)
				if (vp_sentence_has(&sentences[i], breast_words[k]))
					return vocab->names[breast];
	return vocab->names[term];
}

/* Adds a procedure name to the result once. */
static void
add_procedure(Dropoff *d, const char *name)
{
	for (int i = 0; i < d->nprocedures; i++)
		if (strcmp(d->procedures[i], name) == 0)
			return;
	if (d->nprocedures == 0)
		d->procedures = palloc(sizeof(char *) * PROCEDURES_CHUNK);
	else if (d->nprocedures % PROCEDURES_CHUNK == 0)
		d->procedures = repalloc(d->procedures, sizeof(char *) * (d->nprocedures + PROCEDURES_CHUNK));
	d->procedures[d->nprocedures++] = (char *) name;
}

/*
 * The procedure a caller's "the laser one" or "that filler option" points
 * at: one the assistant named in its turn just before the caller's sentence
 * i, with the caller's word among the words it was named by; -1 if none.
 */
static int
procedure_referred_to(const TermSet *vocab, const Sentence *sentences, int i)
{
	const Sentence *s = &sentences[i];

	for (int k = 2; k < s->nwords; k++)
	{
		const char *what = s->words[k - 1].text;

		if (!((strcmp(s->words[k].text, "one") == 0 || strcmp(s->words[k].text, "option") == 0) &&
			  (strcmp(s->words[k - 2].text, "the") == 0 || strcmp(s->words[k - 2].text, "that") == 0)))
			continue;
		for (int j = i - 1; j >= 0 && sentences[j].speaker == SPEAKER_ASSISTANT; j--)
		{
			const Sentence *a = &sentences[j];

			for (int w = 0; w < a->nwords;)
			{
				int			term;
				int			used = vp_match_term(vocab, a, w, &term);

				if (used == 0)
				{
					w++;
					continue;
				}
				if (vocab->kinds[term] == TERM_PROCEDURE)
					for (int u = w; u < w + used; u++)
						if (strcmp(a->words[u].text, what) == 0)
							return term;
				w += used;
			}
		}
	}
	return -1;
}

/*
 * Does a caller's sentence close the call: a closing that opens it or ends
 * it ("Okay, thanks, bye", "I'll think about it and call you back"), not
 * one said in passing ("..., which, no thank you, I want it relaxing ...")?
 */
static bool
sentence_closes(const Sentence *s)
{
	for (int at = 0; at < s->nwords; at++)
	{
		int			k = phrase_at(s, at, &closings_set);
		int			words = 1;

		if (k < 0)
			continue;
		for (const char *c = closings[k]; *c; c++)
			words += *c == ' ';
		if (at <= OPENS_SENTENCE_WITHIN || at + words >= s->nwords - 3)
			return true;
	}
	return false;
}

/*
 * Did the caller close the conversation in their last turn (a goodbye,
 * thanks, "I'll think about it", not a question)?
 */
static bool
caller_closed(const char *transcript, const Sentence *sentences, int n)
{
	int			last = -1;
	bool		closed = false;

	for (int i = n - 1; i >= 0; i--)
		if (sentences[i].speaker == SPEAKER_CALLER)
		{
			last = sentences[i].turn;
			break;
		}
	if (last < 0)
		return false;
	for (int i = 0; i < n; i++)
	{
		const Sentence *s = &sentences[i];

		if (s->speaker != SPEAKER_CALLER || s->turn != last)
			continue;
		if (sentence_closes(s))
			closed = true;
		else if (closed && s->end > s->start && transcript[s->end - 1] == '?')
			closed = false;		/* "thanks, and how long is the recovery?" */
	}
	return closed;
}

/*
 * Did the assistant end the call for the caller's silence: do its words
 * after the caller's last ones ("Are you still there?", "I can't hear you,
 * I'll end the call") say so?
 */
static bool
assistant_ended_for_silence(const Sentence *sentences, int n)
{
	for (int i = n - 1; i >= 0 && sentences[i].speaker == SPEAKER_ASSISTANT; i--)
		if (sentence_has_any(&sentences[i], &silence_set))
			return true;
	return false;
}

/* Applies the drop-off rule to a transcript (see the file's comment). */
static void
detect_dropoff(const char *transcript, int len, const char *ended_reason, bool booked,
			   const TermSet *vocab, Dropoff *d)
{
	int			n = 0;
	Sentence   *sentences = transcript ? vp_split_transcript(transcript, len, &n) : NULL;
	int			last_mention = -1;
	int			last_decline = -1;
	bool		interest = false;	/* a mention as a prospective patient */
	bool		applicant = false;
	const char *ending = dropoff_ending(ended_reason, assistant_ended_for_silence(sentences, n));
	int			nturns = 0;
	TurnMemo   *memo;			/* per turn: what its caller's words were found to say */
	bool		named;			/* the caller's sentence names a procedure, negated or not */
	bool	   *rejected;		/* per term: negated after its last wanted mention */
	bool	   *wanted;			/* per term: asked about as a prospective patient */

	for (int i = 0; i < n; i++)
		nturns = Max(nturns, sentences[i].turn + 1);
	memo = palloc(sizeof(TurnMemo) * Max(nturns, 1));
	memset(memo, -1, sizeof(TurnMemo) * Max(nturns, 1));
	rejected = palloc0(sizeof(bool) * Max(vocab->nterms, 1));
	wanted = palloc0(sizeof(bool) * Max(vocab->nterms, 1));
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < n; i++)
	{
		const Sentence *s = &sentences[i];

		if (s->speaker != SPEAKER_CALLER)
			continue;
		if (sentence_has_any(s, &not_a_patient_set))
			applicant = true;
		named = false;
		for (int w = 0; w < s->nwords;)
		{
			int			term;
			int			used = vp_match_term(vocab, s, w, &term);

			if (used == 0)
			{
				w++;
				continue;
			}
			if (vocab->kinds[term] == TERM_PROCEDURE)
				named = true;
			if (vocab->kinds[term] == TERM_PROCEDURE && vp_mention_negated(s, w, used))
				rejected[term] = true;	/* "I'm not interested in lipo", said after it */
			else if (vocab->kinds[term] == TERM_PROCEDURE)
			{
				const char *name = procedure_in_context(vocab, d, sentences, n, s, w, used, term);

				bool		care = turn_has_any(sentences, n, s->turn, &aftercare_set, &memo[s->turn].aftercare);
				bool		past = vp_past_in_clause(s, w, used) ||
					(care && vp_past_in_sentence(s, w, used));

				if (!past && turn_has_any(sentences, n, s->turn, &appointment_set, &memo[s->turn].appointment))
				{
					add_procedure(d, name);		/* an appointment the caller has */
					last_mention = i;
				}
				else if (!past || turn_has_any(sentences, n, s->turn, &wanted_set, &memo[s->turn].wanted))
				{
					add_procedure(d, name);
					wanted[term] = true;
					rejected[term] = false;
					last_mention = i;
				}
				else if (care)
				{
					add_procedure(d, name);
					last_mention = i;
				}
			}
			w += used;
		}
		if (!named)
		{
			int			referred = procedure_referred_to(vocab, sentences, i);

			if (referred >= 0)	/* "The laser one." after the assistant named laser resurfacing */
			{
				add_procedure(d, vocab->names[referred]);
				wanted[referred] = true;
				rejected[referred] = false;
				last_mention = i;
			}
			/* a reply opens its sentence: "..., which, no thank you, I want" is not one */
			for (int at = 0; at < s->nwords && at <= OPENS_SENTENCE_WITHIN; at++)
				if (phrase_at(s, at, &declines_set) >= 0)
				{
					last_decline = i;
					break;
				}
		}
	}
	/* a procedure the caller rejected after asking about it is not wanted */
	for (int t = 0; t < vocab->nterms; t++)
		if (wanted[t] && rejected[t])
		{
			int			k = 0;

			for (int j = 0; j < d->nprocedures; j++)
				if (strcmp(d->procedures[j], vocab->names[t]) != 0)
					d->procedures[k++] = d->procedures[j];
			d->nprocedures = k;
		}
		else if (wanted[t])
			interest = true;
	if (applicant)
	{
		d->nprocedures = 0;		/* what they perform or sell is not what they want */
		d->reason = "not_a_patient";
	}
	else if (d->nprocedures == 0)
		d->reason = "no_procedure";
	else if (booked)
		d->reason = "booked";
	else if (!interest)
		d->reason = "aftercare";
	else if (last_decline > last_mention)
		d->reason = "declined";
	else if (caller_closed(transcript, sentences, n))
		d->reason = "closed";
	else if (ending == NULL)
		d->reason = "ended_normally";
	else
	{
		d->is_dropoff = true;
		d->reason = ending;
	}
}

/* The procedures of a result as a text[] datum. */
static Datum
dropoff_procedures(const Dropoff *d)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(d->nprocedures, 1));

	for (int i = 0; i < d->nprocedures; i++)
		elems[i] = CStringGetTextDatum(d->procedures[i]);
	return PointerGetDatum(construct_array(elems, d->nprocedures, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The columns of detect_dropoff's result (type dropoff), counted from 0. */
enum
{
	DROPOFF_PROCEDURES,
	DROPOFF_IS_DROPOFF,
	DROPOFF_REASON,
	DROPOFF_NCOLUMNS
};

/*
 * SQL: detect_dropoff(transcript, ended_reason, booked, org_id) -> dropoff
 * (procedures, is_dropoff, reason), with the organisation's vocabulary.
 */
Datum
vapi_pool_detect_dropoff(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	text	   *transcript = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	char	   *reason = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		booked = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	TermSet		vocab;
	Dropoff		d;
	Datum		values[DROPOFF_NCOLUMNS];
	bool		nulls[DROPOFF_NCOLUMNS] = {0};
	Datum		result;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("org_id must not be null"),
				 errdetail("The procedures of interest are the organisation's vocabulary (clinic_terms).")));
	vp_spi_connect();
	vp_termset_load(&vocab, PG_GETARG_DATUM(3));
	detect_dropoff(transcript ? VARDATA_ANY(transcript) : NULL,
				   transcript ? VARSIZE_ANY_EXHDR(transcript) : 0, reason, booked, &vocab, &d);
	values[DROPOFF_PROCEDURES] = dropoff_procedures(&d);
	values[DROPOFF_IS_DROPOFF] = BoolGetDatum(d.is_dropoff);
	values[DROPOFF_REASON] = CStringGetTextDatum(d.reason);
	result = vp_result_values(fcinfo, cxt, values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* An appointment (alias) of the contact ($1, $2) made during the call ($3 to $4). */
#define MADE_DURING_CALL(alias) \
	alias ".org_id = $1 AND " alias ".contact_id = $2" \
	" AND " alias ".created_at >= $3 - interval '" BOOKED_DURING_CALL_MARGIN "'" \
	" AND " alias ".created_at <= $4 + interval '" BOOKED_DURING_CALL_MARGIN "'"

/* A held appointment (alias) whose booking is under way in the outbox (Cal.com did not answer in time). */
#define BOOKING_UNDER_WAY(alias) \
	"EXISTS (SELECT FROM vapi_pool.outbox o WHERE o.org_id = " alias ".org_id" \
	"  AND o.idempotency_key = 'booking:' || " alias ".hold_id AND o.state IN ('pending', 'in_flight'))"

static VpPlan booked_during_call = {
	.sql = "SELECT EXISTS (SELECT FROM vapi_pool.appointments a"
	"  WHERE " MADE_DURING_CALL("a")
	"    AND (a.status = 'booked' OR (a.status = 'held' AND " BOOKING_UNDER_WAY("a") ")))",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

/* The column of booked_during_call, counted from 1. */
enum
{
	BOOKED_DURING_CALL_COL_BOOKED = 1
};

/*
 * The holds the caller left unconfirmed when the call ended: released (an
 * expired one as expired), as no one can confirm them any more.
 */
static VpPlan release_unconfirmed = {
	.sql = "UPDATE vapi_pool.appointments a SET status = 'cancelled', cancelled_at = pg_catalog.now(),"
	"  cancel_reason = CASE WHEN a.hold_expires_at <= pg_catalog.now() THEN 'expired' ELSE 'caller_gave_up' END"
	" WHERE " MADE_DURING_CALL("a") " AND a.status = 'held' AND NOT " BOOKING_UNDER_WAY("a"),
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

/*
 * The caller booked: their follow-ups still open are booked, and an SMS of
 * theirs not sent yet is called off (a dead job with the reason).
 */
static VpPlan followups_booked = {
	.sql = "WITH f AS (UPDATE vapi_pool.dropoff_followups SET state = 'booked'"
	"   WHERE org_id = $1 AND lead_id = $2 AND state IN ('open', 'sms_queued')"
	"   RETURNING outbox_id)"
	" UPDATE vapi_pool.outbox o SET state = 'dead', last_error = 'not sent: the contact booked before the follow-up went out'"
	" FROM f WHERE o.org_id = $1 AND o.id = f.outbox_id AND o.state = 'pending'",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/*
 * The procedures already followed up for the lead within the window (any
 * state: a dismissed follow-up is not repeated either).  The lead is locked
 * first (lock_lead), so that two reports for one lead decide one after the
 * other and the second sees the first's follow-up.
 */
static VpPlan lock_lead = {
	.sql = "SELECT 1 FROM vapi_pool.leads WHERE org_id = $1 AND id = $2 FOR UPDATE",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan recent_followups = {
	.sql = "SELECT DISTINCT p FROM vapi_pool.dropoff_followups f, unnest(f.procedures) p"
	" WHERE f.org_id = $1 AND f.lead_id = $2"
	"   AND f.created_at > pg_catalog.now() - (SELECT followup_window FROM vapi_pool.orgs WHERE org_id = $1)",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* The column of recent_followups, counted from 1. */
enum
{
	RECENT_FOLLOWUPS_COL_PROCEDURE = 1
};

static VpPlan insert_followup = {
	.sql = "INSERT INTO vapi_pool.dropoff_followups (org_id, lead_id, call_log_id, vapi_call_id, procedures, ending)"
	" VALUES ($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT (org_id, vapi_call_id) DO NOTHING"
	" RETURNING id",
	.nargs = 6, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTARRAYOID, TEXTOID}
};

/* The column of insert_followup, counted from 1. */
enum
{
	INSERT_FOLLOWUP_COL_ID = 1
};

/*
 * The SMS job for a follow-up, when the clinic sends them and the lead has a
 * number: the text with {first_name} and {procedure} filled in, from the
 * pool number the call came in on when there is one.  A job the outbox's
 * check stored suppressed (a listed number, no allowed hour) makes the
 * follow-up suppressed too.
 */
static VpPlan queue_sms = {
	.sql = "WITH job AS ("
	"  INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, run_at)"
	"  SELECT o.org_id, 'vapi.sms',"
	"    pg_catalog.jsonb_build_object('lead_id', l.id, 'followup_id', $3::uuid, 'purpose', 'dropoff_followup',"
	"      'customer_number', l.primary_phone_e164, 'customer_name', l.name, 'procedures', $4::text[],"
	"      'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number,"
	"      'text', pg_catalog.replace(pg_catalog.replace(o.dropoff_sms_text, '{procedure}', $4[1]),"
	"                                '{first_name}', coalesce(l.first_name, '')))::jsonb,"
	"    'dropoff-sms:' || $3, $5"
	"  FROM vapi_pool.orgs o"
	"  JOIN vapi_pool.leads l ON l.org_id = o.org_id AND l.id = $2"
	"  LEFT JOIN vapi_pool.vapi_call_logs c ON c.org_id = o.org_id AND c.id = $6"
	"  LEFT JOIN vapi_pool.vapi_number_pool p ON p.number = CASE WHEN c.direction = 'outbound_to_lead'"
	"       THEN c.from_e164 ELSE c.to_e164 END"
	"  WHERE o.org_id = $1 AND o.dropoff_sms_enabled AND l.primary_phone_e164 IS NOT NULL"
	"    AND l.status <> 'do_not_call'"
	"  ON CONFLICT (org_id, idempotency_key) DO NOTHING"
	"  RETURNING org_id, id, state)"
	" UPDATE vapi_pool.dropoff_followups f"
	"   SET state = CASE WHEN job.state = 'suppressed' THEN 'suppressed' ELSE 'sms_queued' END, outbox_id = job.id"
	" FROM job WHERE f.org_id = job.org_id AND f.id = $3"
	" RETURNING f.id",
	.nargs = 6, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TEXTARRAYOID, TIMESTAMPTZOID, UUIDOID}
};

/*
 * The procedures of a drop-off not followed up for the call's lead within
 * the window, into *fresh.  Locks the lead first (lock_lead).
 */
static void
not_followed_up(const ClinicCall *call, const Dropoff *d, Dropoff *fresh)
{
	Datum		v[2] = {call->org_id, call->lead_id};
	uint64		n;

	vp_execute(&lock_lead, v, NULL, 0);
	vp_execute(&recent_followups, v, NULL, 0);
	n = SPI_processed;
	for (int i = 0; i < d->nprocedures; i++)
	{
		bool		seen = false;

		for (uint64 r = 0; r < n && !seen; r++)
			seen = strcmp(SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc,
									   RECENT_FOLLOWUPS_COL_PROCEDURE),
						  d->procedures[i]) == 0;
		if (!seen)
			add_procedure(fresh, d->procedures[i]);
	}
}

/*
 * The contact of a clinic's call that has none (SPI connected), before its
 * report is logged: the caller on file by their number, else, when the
 * call was a drop-off, a new contact with it; the call's log is linked to
 * it.  True and call->lead_id when there is one.
 */
bool
vp_clinic_caller(ClinicCall *call)
{
	Datum		contact;
	TermSet		vocab;
	Dropoff		d;
	char	   *call_id = TextDatumGetCString(call->vapi_call_id);

	if (!vp_call_contact(call->org_id, call_id, NULL, CALL_CONTACT_FIND, (Datum) 0, false, &contact))
	{
		/* nothing of a new caller's can have been booked: no contact held it */
		vp_termset_load(&vocab, call->org_id);
		detect_dropoff(call->transcript, call->transcript_len, call->ended_reason, false, &vocab, &d);
		if (!d.is_dropoff ||
			!vp_call_contact(call->org_id, call_id, NULL, CALL_CONTACT_MAKE, (Datum) 0, false, &contact))
			return false;
	}
	call->lead_id = datumCopy(contact, false, UUID_LEN);
	return true;
}

/*
 * What record_call_ended does for a clinic's call (SPI connected): releases
 * the holds the caller left unconfirmed; when the caller booked, books
 * their open follow-ups; else detects a drop-off in the reported transcript
 * and records its follow-up, with the procedures not followed up within the
 * window, and queues the SMS.  Returns true and the follow-up's id when one
 * was created.
 */
bool
vp_clinic_after_call(const ClinicCall *call, Datum *followup_id)
{
	TermSet		vocab;
	Dropoff		d;
	Datum		v[6];
	bool		isnull;
	bool		booked;
	Dropoff		fresh = {0};

	/* release_unconfirmed's and booked_during_call's $1 to $4 */
	v[0] = call->org_id;
	v[1] = call->lead_id;
	v[2] = TimestampTzGetDatum(call->started_at);
	v[3] = TimestampTzGetDatum(call->ended_at);
	vp_execute(&release_unconfirmed, v, NULL, 0);
	vp_execute(&booked_during_call, v, NULL, 0);
	booked = DatumGetBool(vp_getdatum(0, BOOKED_DURING_CALL_COL_BOOKED, &isnull));
	if (booked)
		vp_execute(&followups_booked, v, NULL, 0);

	vp_termset_load(&vocab, call->org_id);
	detect_dropoff(call->transcript, call->transcript_len, call->ended_reason, booked, &vocab, &d);
	if (!d.is_dropoff)
		return false;

	not_followed_up(call, &d, &fresh);
	if (fresh.nprocedures == 0)
		return false;

	/* insert_followup's $1 to $6 */
	v[2] = call->call_log_id;
	v[3] = call->vapi_call_id;
	v[4] = dropoff_procedures(&fresh);
	v[5] = CStringGetTextDatum(d.reason);
	vp_execute(&insert_followup, v, NULL, 0);
	if (SPI_processed != 1)
		return false;
	*followup_id = vp_getdatum(0, INSERT_FOLLOWUP_COL_ID, &isnull);

	{
		Datum		s[6] = {call->org_id, call->lead_id, *followup_id, v[4],
			TimestampTzGetDatum(vp_next_call_time(call->org_id, call->lead_id, (Datum) 0,
												  GetCurrentTransactionStartTimestamp(), NULL)),
		call->call_log_id};

		vp_execute(&queue_sms, s, NULL, 0);
	}
	return true;
}
