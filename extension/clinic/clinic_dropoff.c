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
 * What the caller says is read with its context (0.7.5): a wish or a
 * question of care belongs to the procedure it speaks of (turn_phrase_for),
 * a part of the body is no procedure someone had, someone else's procedure
 * told as a story is the caller's interest only when they ask about nothing
 * else, and the assistant's turns say what a pick points at and what a
 * garbled or described request was (assistant_context.c; call_reading.c
 * reads the transcript once for all of them).  Since 0.10.1 a wish right
 * before a mention makes it asked about now (wished_for), a story keeps its
 * date ("my friend got a thread lift months ago" is not the caller's past),
 * and a drop-off's procedures start with what the caller asked for, the
 * care and appointments they told after it: the follow-up names the first.
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

#include "clinic/assistant_context.h"
#include "clinic/call_reading.h"
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
	"not happy", "unhappy", "retoque", "retocar", "retocarme", "otra vez", "revise", "revised",
	"topped up", "topped off", "top off", "touched up", "want to do my",
	"wanna do my", "now i want to do", "qualify for", "candidate for", "a candidate", "one more",
	"two more", "three more", "few more", "couple more", "another one", "volver a hacer",
	"volver a hacerme", "quiero hacer", "quiero hacerme", "me la quiero", "me lo quiero",
	"quisiera hacerme", "de nuevo", "otra sesi", "otra ronda", "come back in", "coming back in",
	"next time", "quiero volver a", "volver a poner", "volver a pon",
	"get back on", "get back into", "start again",
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
	"follow up", "followup", "check up", "checkup", "redness", "itchy", "itching",
	"numb", "numbness", "scar", "scarring", "bleeding", "fever", "wearing off", "worn off",
	"when can i", "is it okay to", "should i be worried", "sleep on", "surgical bra",
	"compression", "garment", "drain", "drains", "chipped", "chip", "cracked", "broke", "broken",
	"fell off", "came off", "retainer", "retainers", "need to come in", "bultito", "bulto",
	"sensitive", "sensitivity", "duele", "duelen", "sensibilidad", "molestia",
	"charged", "statement", "billing", "supposed to", "still peeling", "flaking", "flakes",
	"hinchaz n", "hinchada", "hinchado", "dolor", "moretones", "infecci n", "resultados",
	"higher than the", "lower than the", "lopsided", "doesnt look right", "loose", "clicking", "fell out",
};

/*
 * What a patient says of an appointment they have: the procedure is theirs
 * already, the call is care ("just confirming my botox appt").
 */
static const char *const appointment_care[] = {
	"confirming my", "confirm my", "reschedule my", "rescheduling my", "cancel my", "canceling my",
	"cancelling my", "move my", "my appt",
};

/*
 * What a patient says of a past procedure that went well or is not the
 * call's subject ("that was fine, no problems", "it came out great, I'm
 * not calling about that"): the call is not about its care.  ("I love
 * them, but the left side is lumpier" is care: love is no such phrase.)
 */
static const char *const went_well[] = {
	"was fine", "were fine", "went fine", "no problems", "no problem with", "no complaints",
	"came out great", "came out fine", "turned out great", "not calling about", "something else",
	"todo bien", "qued bien",
};

/*
 * What a caller says to want what someone else had ("she looks amazing, and
 * I want the same thing", "do you do that also?"): the story's procedure
 * is theirs too.
 */
static const char *const wants_the_same[] = {
	"same thing", "the same", "same one", "do that too", "that also", "that too", "those too",
	"do you do that", "do you do those", "you guys do that", "you guys do those", "lo mismo",
	"eso tambi", "myself", "my turn", "me too", "for me too", "want one too", "included in that",
};

/* What a job applicant, a vendor or a student says: not a patient. */
static const char *const not_a_patient[] = {
	"hiring", "job opening", "job openings", "apply for a job", "applying for", "job application",
	"looking for an injector", "commission based", "hourly", "careers page", "im an rn",
	"a position", "open position", "my resume", "my cv", "job interview", "sales rep", "a rep with",
	"i represent", "vendor", "supplier", "distributor", "partnership", "for my class",
	"school project", "class project", "not a patient", "grad student", "med student",
	"medical student", "to shadow",
	"shadowing", "my thesis", "my research",
	"medical director", "practice manager", "a demo", "our platform", "marketing agency",
	"marketing company", "digital marketing", "our marketing", "marketing services", "we help",
	"medical supply", "overdue invoice", "past due", "accounts payable", "shipment",
	"purchasing", "we distribute", "more leads", "pricing sheet",
	"our product", "empleo", "vacante", "mi curriculum", "dental student", "nursing student",
	"cosmetology student", "esthetics student", "a paper on", "research paper", "interview",
	"job posting", "posted a job", "for a job", "the job", "practicante", "practicantes",
	"horas de pr cticas", "horas de pr ctica", "estudiante de cosmetolog", "estudiante de enfermer",
	"estudiante de asistente", "soy estudiante", "externship", "representante de ventas",
	"distribuidora", "precios de mayoreo", "al por mayor", "la persona que hace las compras",
	"nurse position", "assistant position", "position i saw", "position you posted",
	"ugc", "social media manager", "who handles your", "my rates",
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
	"book online", "tanks", "tank you",
};

/*
 * What the assistant says when it ends a call because the caller went
 * silent: such an ending is the caller's silence.
 */
static const char *const silence_endings[] = {
	"still there", "are you there", "cant hear", "cannot hear", "havent heard", "didnt hear",
	"not hearing", "no response", "lost you", "lost the connection", "seem to be busy",
	"didnt catch", "trouble hearing", "hard to hear", "breaking up", "bad connection",
	"not able to hear", "unable to hear", "cant hear you", "end this call", "able to hear you",
	"end the call now", "ending the call", "ending this call",
	"sigue ah", "me escucha", "escucharle", "escucharla", "escucharlo", "o rle",
	"terminar la llamada", "terminar esta llamada",
};

static PhraseSet declines_set = PHRASE_SET(declines);
static PhraseSet wanted_set = PHRASE_SET(past_procedure_wanted);
static PhraseSet aftercare_set = PHRASE_SET(aftercare);
static PhraseSet not_a_patient_set = PHRASE_SET(not_a_patient);
static PhraseSet closings_set = PHRASE_SET(closings);
static PhraseSet silence_set = PHRASE_SET(silence_endings);
static PhraseSet appointment_set = PHRASE_SET(appointment_care);
static PhraseSet went_well_set = PHRASE_SET(went_well);
static PhraseSet same_set = PHRASE_SET(wants_the_same);

/* What a caller's turn says, read once per turn (-1: not read yet, 0, 1). */
typedef struct TurnMemo
{
	signed char aftercare;
	signed char went_well;
	signed char same;
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
				vp_sentence_has_any(&sentences[i], ps))
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

/* Words of a turn about breasts, and of one about body hair. */
static const char *const breast_words[] = {"breast", "breasts", "boob", "boobs", "chest", "senos", "busto", "pechos"};
static const char *const hair_words[] = {
	"hair", "hairs", "legs", "underarms", "underarm", "armpits", "armpit", "bikini", "upper lip",
	"vello", "vellos", "piernas", "axilas", "pelo", "bozo",
};

/*
 * Words that name a procedure in a context: a caller's words outside any
 * term (or the one word a term matched) mean the procedure when the
 * caller's turn or an earlier one has one of the context's words, or the
 * procedure (for the breast words, any breast procedure) was asked about
 * before.  "Implants" is the starter vocabulary's Dental implants, but
 * in a call about breasts it is Breast augmentation; "a lift" for the
 * breasts is a Breast lift (but "even though I lift" is the gym); "laser on
 * my legs" is Laser hair removal.  (Accented words are read as ASCII words:
 * "reducción" is "reducci" and "n".)
 */
static const struct
{
	const char *words;
	const char *const *context;
	int			ncontext;
	const char *procedure;
}			context_words[] = {
	{"implant", breast_words, lengthof(breast_words), "Breast augmentation"},
	{"implants", breast_words, lengthof(breast_words), "Breast augmentation"},
	{"implantes", breast_words, lengthof(breast_words), "Breast augmentation"},
	{"aumento", breast_words, lengthof(breast_words), "Breast augmentation"},
	{"silicone", breast_words, lengthof(breast_words), "Breast augmentation"},
	{"silicona", breast_words, lengthof(breast_words), "Breast augmentation"},
	{"a lift", breast_words, lengthof(breast_words), "Breast lift"},
	{"the lift", breast_words, lengthof(breast_words), "Breast lift"},
	{"lifted", breast_words, lengthof(breast_words), "Breast lift"},
	{"levantamiento", breast_words, lengthof(breast_words), "Breast lift"},
	{"reduction", breast_words, lengthof(breast_words), "Breast reduction"},
	{"reduced", breast_words, lengthof(breast_words), "Breast reduction"},
	{"reducci n", breast_words, lengthof(breast_words), "Breast reduction"},
	{"laser", hair_words, lengthof(hair_words), "Laser hair removal"},
	{"lasered", hair_words, lengthof(hair_words), "Laser hair removal"},
	{"l ser", hair_words, lengthof(hair_words), "Laser hair removal"},
};

/* The vocabulary's procedure of that name, or -1 (a clinic may have deleted it). */
static int
procedure_named(const TermSet *vocab, const char *name)
{
	for (int t = 0; t < vocab->nterms; t++)
		if (vocab->kinds[t] == TERM_PROCEDURE && strcmp(vocab->names[t], name) == 0)
			return t;
	return -1;
}

/*
 * The procedure a caller's words at w name in the call's context (see
 * context_words), when *used is 0 (no term there) or 1 (a one-word term,
 * term): *used becomes the number of words read.  Else term (-1 for no
 * term), *used unchanged.
 */
static int
procedure_in_context(const TermSet *vocab, const Dropoff *d, const Sentence *sentences, int n,
					 const Sentence *s, int w, int *used, int term)
{
	if (*used > 1)
		return term;
	for (int k = 0; k < lengthof(context_words); k++)
	{
		int			meant;
		bool		applies = false;

		if (s->words[w].text[0] != context_words[k].words[0] || !vp_words_are(s, w, context_words[k].words) ||
			(meant = procedure_named(vocab, context_words[k].procedure)) < 0 || meant == term)
			continue;
		for (int i = 0; i < d->nprocedures && !applies; i++)
			applies = strcmp(d->procedures[i], vocab->names[meant]) == 0 ||
				(context_words[k].context == breast_words && strncmp(d->procedures[i], "Breast ", 7) == 0);
		for (int i = 0; i < n && !applies; i++)
			if (sentences[i].turn <= s->turn && sentences[i].speaker == s->speaker)
				for (int c = 0; c < context_words[k].ncontext && !applies; c++)
					applies = vp_sentence_has(&sentences[i], context_words[k].context[c]);
		if (applies)
		{
			*used = vp_phrase_words(context_words[k].words);
			return meant;
		}
	}
	return term;
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
 * Does a caller's sentence close the call: 2 when a closing ends it ("I'll
 * think about it and call you back", "can I call you back?"), 1 when one
 * opens it ("Okay, thanks, bye"; "thanks, and how long is the recovery?" is
 * then a question), 0 when none does or one is said in passing ("...,
 * which, no thank you, I want it relaxing ...", "I take care of my mother").
 */
static int
sentence_closes(const Sentence *s)
{
	int			closes = 0;

	for (int at = 0; at < s->nwords; at++)
	{
		int			k = vp_phrase_at(s, at, &closings_set);

		if (k < 0)
			continue;
		if (strcmp(closings[k], "take care") == 0 && vp_words_are(s, at + 2, "of"))
			continue;			/* "I take care of my mother" */
		if (at + vp_phrase_words(closings[k]) >= s->nwords - 3)
			return 2;
		if (at <= OPENS_SENTENCE_WITHIN)
			closes = 1;
	}
	return closes;
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
		int			closes;

		if (s->speaker != SPEAKER_CALLER || s->turn != last)
			continue;
		closes = sentence_closes(s);
		if (closes != 2 && s->end > s->start && transcript[s->end - 1] == '?')
			closed = false;		/* "thanks, and how long is the recovery?" (not "can I call you back?") */
		else if (closes)
			closed = true;
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
		if (vp_sentence_has_any(&sentences[i], &silence_set))
			return true;
	return false;
}

/*
 * True if the mention at words [w, w + n) names a part of the body, not a
 * procedure someone has had ("my upper eyelids", "los labios"): it takes
 * no possessive as a patient's past, owns no phrase of care, and with care
 * in its turn is the care of the procedure the caller had ("I got Botox
 * Tuesday and my left eyelid is drooping").
 */
static bool
body_part_mention(const Sentence *s, int w, int n)
{
	static const char *const body[] = {
		"upper", "lower", "left", "right", "droopy", "eyelid", "eyelids", "lid", "lids", "lip", "lips",
		"labios", "parpados", "p", "rpados", "eye", "eyes", "bags", "under", "my", "her", "his",
	};

	for (int i = w; i < w + n; i++)
		if (!vp_word_is_one_of(s, i, body, lengthof(body)))
			return false;
	return true;
}

/*
 * True if the mention at word w is someone else's past, told as a story:
 * "my sister ... had her tummy tuck", "my friend had lipo", "he got that
 * laser hair removal", "my tita in Manila had the thread lift" (a past verb
 * at most two words before it, with her/his/their after it or a person
 * other than the caller at most four words before it).
 */
static bool
someone_elses_past(const Sentence *s, int w)
{
	static const char *const verbs[] = {
		"had", "got", "did", "tried", "brought", "suggested", "recommended", "mentioned",
		"tuvo", "hizo",
	};
	static const char *const theirs[] = {"her", "his", "their", "su", "sus"};
	static const char *const people[] = {
		"she", "he", "they", "friend", "friends", "sister", "brother", "mom", "mother", "mum", "dad",
		"father", "aunt", "auntie", "tita", "uncle", "cousin", "coworker", "buddy", "neighbor",
		"neighbour", "husband", "wife", "daughter", "son", "grandma", "grandmother", "boss",
		"girlfriend", "boyfriend", "bestie", "hermana", "madre", "mam", "prima", "primo", "amiga",
		"amigo", "t", "tia", "vecina", "esposo", "hija", "hijo", "doctor", "dentist", "dermatologist",
		"derm", "surgeon",
	};
	static const char *const me[] = {"i", "im", "ive", "id", "we", "yo"};

	static const char *const mine[] = {"my", "mi", "mis"};

	for (int v = w - 1; v >= 0 && v >= w - 3; v--)
		if (vp_word_is_one_of(s, v, verbs, lengthof(verbs)))
		{
			if (vp_word_is_one_of(s, v + 1, mine, lengthof(mine)))
				return false;	/* "my dentist did my veneers": the caller's own */
			if (vp_word_is_one_of(s, v + 1, theirs, lengthof(theirs)))
				return true;
			for (int p = v - 1; p >= 0 && p >= v - 4; p--)
			{
				if (vp_word_is_one_of(s, p, me, lengthof(me)))
					return false;
				if (vp_word_is_one_of(s, p, people, lengthof(people)))
					return true;
			}
			return false;
		}
	return false;
}

/*
 * True if a possessive stands right before the mention at word w ("one of
 * my veneers chipped", "her filler"): with a question of care, the
 * procedure is one someone has had.
 */
static bool
possessive_before(const Sentence *s, int w)
{
	static const char *const possessives[] = {"my", "her", "his", "mi", "mis", "su", "sus"};

	return vp_word_is_one_of(s, w - 1, possessives, lengthof(possessives));
}

/*
 * True if the mention at word w is dated by an event word right before it
 * ("after eyelid surgery", "since my botox"): of a procedure the caller told
 * as their past, it is that past again, not a new wish.
 */
static bool
event_before(const Sentence *s, int w)
{
	static const char *const events[] = {"after", "since", "post", "from", "despues", "desde"};
	static const char *const determiners[] = {"my", "the", "her", "his", "a", "an", "that", "mi", "la", "el"};
	int			i = w - 1;

	if (vp_word_is_one_of(s, i, determiners, lengthof(determiners)))
		i--;
	return vp_word_is_one_of(s, i, events, lengthof(events));
}

/*
 * True if a wish stands right before the mention at word w, past only
 * articles and prepositions ("I want to find out about a breast reduction",
 * "interested in Botox", "quiero unas carillas"): the procedure is asked
 * about now, whatever pain or past the sentence told before it ("I've had
 * back pain for years, and I want a breast reduction").
 */
static bool
wished_for(const Sentence *s, int w)
{
	static const char *const between[] = {
		"a", "an", "the", "some", "about", "into", "in", "on", "at", "for", "get", "getting", "un", "una",
		"unos", "unas", "el", "la", "los", "las", "de", "hacerme", "ponerme",
	};
	static const char *const wishes[] = {
		"want", "wanted", "wanna", "interested", "looking", "thinking", "considering", "out", "ask",
		"asking", "info", "information", "quiero", "quisiera", "interesa", "interesada", "interesado",
		"preguntar", "wondering", "curious",
	};
	int			i = w - 1;

	while (i >= 0 && i >= w - 3 && vp_word_is_one_of(s, i, between, lengthof(between)))
		i--;
	return vp_word_is_one_of(s, i, wishes, lengthof(wishes));
}

/*
 * The vocabulary's term at word w of the caller's sentence i, read in the
 * call's context (procedure_in_context), with *used the words it covers (0:
 * none, and -1 returned).
 */
static int
caller_term_at(Reading *r, const Dropoff *d, int i, int w, int *used)
{
	int			term = -1;

	*used = vp_match_at(r, i, w, &term);
	if (*used == 0 || r->vocab->kinds[term] == TERM_PROCEDURE)
		term = procedure_in_context(r->vocab, d, r->sentences, r->n, &r->sentences[i], w, used,
									*used ? term : -1);
	return term;
}

/*
 * True if the caller corrects the mention at words [w, w + used) of
 * sentence i at once with another procedure ("la lipo, no, perdón, la
 * abdominoplastia", "Botox, I mean filler"): a slip, not what they meant.
 */
static bool
corrected_at_once(Reading *r, const Dropoff *d, int i, int w, int used)
{
	static const char *const fillers[] = {"no", "um", "uh", "eh", "oh", "sorry"};
	static const char *const corrections[] = {
		"i mean", "perd n", "perdon", "quiero decir", "digo", "no wait", "or rather", "o sea",
	};
	const Sentence *s = &r->sentences[i];

	for (int at = w + used, skipped = 0; skipped <= 2; at++, skipped++)
	{
		for (int k = 0; k < lengthof(corrections); k++)
			if (vp_words_are(s, at, corrections[k]))
			{
				int			after = at + vp_phrase_words(corrections[k]);

				for (int t = after; t < s->nwords && t <= after + 2; t++)
				{
					int			n;
					int			term = caller_term_at(r, d, i, t, &n);

					if (n > 0 && r->vocab->kinds[term] == TERM_PROCEDURE)
						return true;
				}
				return false;
			}
		if (!vp_word_is_one_of(s, at, fillers, lengthof(fillers)))
			break;				/* only fillers stand between a slip and its correction */
	}
	return false;
}

/* A phrase is about a procedure named at most this many words after it ("want to do that CO2 laser"). */
#define PHRASE_OBJECT_WITHIN 3

/*
 * The procedure named right after the phrase of the set at word w of the
 * caller's sentence i (within PHRASE_OBJECT_WITHIN words), or -1.
 */
static int
procedure_right_after(Reading *r, const Dropoff *d, int i, int w, PhraseSet *ps)
{
	const Sentence *s = &r->sentences[i];
	int			after = w + vp_phrase_words(ps->phrases[vp_phrase_at(s, w, ps)]);

	for (int at = after; at < s->nwords && at <= after + PHRASE_OBJECT_WITHIN; at++)
	{
		int			used;
		int			named = caller_term_at(r, d, i, at, &used);

		if (used > 0 && r->vocab->kinds[named] == TERM_PROCEDURE && !body_part_mention(s, at, used))
			return named;
	}
	return -1;
}

/*
 * True if a phrase of the set in the caller's turn speaks of the procedure
 * term: a phrase belongs to the procedure named right after it ("now I
 * want to do that CO2 laser"), else to the one the turn named last before
 * it, or, when it named none yet, to the first one after it.  "I had my tummy
 * tuck two years ago, happy with it, and now I want to do my flanks with
 * lipo": the wish is the lipo's, not the tummy tuck's; "I got Botox last
 * year, fine. My eyelids are getting droopy": the care is the eyelids'.
 */
static bool
turn_phrase_for(Reading *r, const Dropoff *d, int turn, int term, PhraseSet *ps)
{
	const TermSet *vocab = r->vocab;
	const Sentence *sentences = r->sentences;
	int			n = r->n;
	int			owner = -1;		/* the procedure named last so far */
	bool		pending = false;	/* a wish before any procedure */

	for (int i = 0; i < n; i++)
	{
		const Sentence *s = &sentences[i];

		if (s->turn != turn || s->speaker != SPEAKER_CALLER)
			continue;
		for (int w = 0; w < s->nwords;)
		{
			int			used;
			int			named = caller_term_at(r, d, i, w, &used);

			if (used > 0 && vocab->kinds[named] == TERM_PROCEDURE && body_part_mention(s, w, used))
			{
				w += used;		/* "my eyelid is droopy": the care is not the eyelid's */
				continue;
			}
			if (used > 0 && vocab->kinds[named] == TERM_PROCEDURE)
			{
				if (pending && named == term)
					return true;
				pending = false;
				owner = named;
				w += used;
				continue;
			}
			if (vp_phrase_at(s, w, ps) >= 0)
			{
				int			next = procedure_right_after(r, d, i, w, ps);

				if (next >= 0 ? next == term : owner == term)
					return true;
				pending |= owner < 0 && next < 0;
			}
			w += Max(used, 1);
		}
	}
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
	bool	   *history;		/* per term: told as the caller's past, neither wanted nor cared for */
	bool	   *anecdote;		/* per term: wanted only as someone else's past, told as a story */
	bool	   *story_care;		/* per term: care read only in someone else's story */
	int			dental = procedure_named(vocab, "Dental implants");
	int			breast = procedure_named(vocab, "Breast augmentation");
	bool		dental_bare = false;	/* Dental implants read from the bare word "implants" */
	bool		dental_named = false;	/* and in other words */
	bool		turn_named = false; /* the caller's turn so far asked about a procedure */
	bool		turn_mentioned = false; /* the caller's turn so far named one, in any way */
	int			told = -1;		/* the procedure the caller told last as their past, none asked about since */
	Echo		echo = {.turn = -1};
	Reading		reading = {transcript, sentences, n, vocab, palloc0(sizeof(int *) * Max(n, 1))};
	Reading    *r = &reading;

	echo.variants = palloc(sizeof(int) * Max(vocab->nvariants, 1));
	for (int i = 0; i < n; i++)
		nturns = Max(nturns, sentences[i].turn + 1);
	memo = palloc(sizeof(TurnMemo) * Max(nturns, 1));
	memset(memo, -1, sizeof(TurnMemo) * Max(nturns, 1));
	rejected = palloc0(sizeof(bool) * Max(vocab->nterms, 1));
	wanted = palloc0(sizeof(bool) * Max(vocab->nterms, 1));
	history = palloc0(sizeof(bool) * Max(vocab->nterms, 1));
	anecdote = palloc0(sizeof(bool) * Max(vocab->nterms, 1));
	story_care = palloc0(sizeof(bool) * Max(vocab->nterms, 1));
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < n; i++)
	{
		const Sentence *s = &sentences[i];

		if (s->speaker != SPEAKER_CALLER)
			continue;
		if (vp_sentence_has_any(s, &not_a_patient_set))
			applicant = true;
		if (i == 0 || sentences[i - 1].turn != s->turn)
			turn_named = turn_mentioned = false;
		named = false;
		for (int w = 0; w < s->nwords;)
		{
			int			used;
			int			term = caller_term_at(r, d, i, w, &used);

			if (used == 0)
			{
				vp_echo_read(r, i, &echo);
				term = vp_echo_heard(vocab, &echo, s, w, &used);	/* "ryan oh plasty": "Rhinoplasty, of course." */
			}
			if (used == 0 || (used == 1 && w > 0 && vp_words_are(s, w, "peel") && vp_words_are(s, w - 1, "to")) ||
				(vocab->kinds[term] == TERM_PROCEDURE && corrected_at_once(r, d, i, w, used)))
			{
				w += Max(used, 1);	/* "I don't want to peel too much": a verb, not the chemical peel */
				continue;
			}
			if (vocab->kinds[term] == TERM_PROCEDURE)
				named = true;
			if (vocab->kinds[term] == TERM_PROCEDURE && vp_mention_negated(s, w, used))
				rejected[term] = true;	/* "I'm not interested in lipo", said after it */
			else if (vocab->kinds[term] == TERM_PROCEDURE)
			{
				const char *name = vocab->names[term];
				bool		body = body_part_mention(s, w, used);
				bool		asked = !body && wished_for(s, w) && !vp_past_in_clause(s, w, used);
				bool		care = !asked && turn_has_any(sentences, n, s->turn, &aftercare_set, &memo[s->turn].aftercare) &&
					(body || (turn_phrase_for(r, d, s->turn, term, &aftercare_set) &&
							  !(turn_has_any(sentences, n, s->turn, &went_well_set, &memo[s->turn].went_well) &&
								turn_phrase_for(r, d, s->turn, term, &went_well_set))));
				bool		others = someone_elses_past(s, w);	/* "my friend got a thread lift months ago" */
				bool		past = (!asked && !(others && !care) && vp_past_in_clause(s, w, used)) ||
					(care && (vp_past_in_sentence(s, w, used) || (!body && possessive_before(s, w)))) ||
					(history[term] && event_before(s, w));

				if (term == dental && used == 1 && strncmp(s->words[w].text, "implant", 7) == 0)
					dental_bare = true; /* "implants": dental or breast, the call will say */
				else if (term == dental)
					dental_named = true;

				if (!past && turn_has_any(sentences, n, s->turn, &appointment_set, &memo[s->turn].appointment))
				{
					add_procedure(d, name);		/* an appointment the caller has */
					last_mention = i;
				}
				else if (!past ||
						 (turn_has_any(sentences, n, s->turn, &wanted_set, &memo[s->turn].wanted) &&
						  turn_phrase_for(r, d, s->turn, term, &wanted_set)))
				{
					bool		story = !past && others &&
						!turn_has_any(sentences, n, s->turn, &same_set, &memo[s->turn].same) &&
						!(turn_has_any(sentences, n, s->turn, &wanted_set, &memo[s->turn].wanted) &&
						  turn_phrase_for(r, d, s->turn, term, &wanted_set));	/* "she wants another round" */

					anecdote[term] = story && (anecdote[term] || !wanted[term]);
					add_procedure(d, name);
					wanted[term] = true;
					rejected[term] = false;
					last_mention = i;
					turn_named = true;
					told = -1;	/* what the caller says next is about this one */
				}
				else if (care)
				{
					/* a story's care first in the call ("my brother had his nose done ... chipped") */
					story_care[term] = others && (story_care[term] || d->nprocedures == 0);
					add_procedure(d, name);
					last_mention = i;
				}
				else
				{
					history[term] = true;	/* "I had my eyelids done last spring" */
					told = term;
				}
			}
			w += used;
		}
		if (!named)
		{
			int			referred = vp_procedure_referred_to(r, i);
			int			k;

			if (referred >= 0)	/* "The laser one." after the assistant named laser resurfacing */
			{
				add_procedure(d, vocab->names[referred]);
				wanted[referred] = true;
				rejected[referred] = false;
				anecdote[referred] = false;
				last_mention = i;
				turn_named = true;
				told = -1;
			}
			/* a reply opens its sentence: "..., which, no thank you, I want" is not one */
			for (int at = 0; at < s->nwords && at <= OPENS_SENTENCE_WITHIN; at++)
				if ((k = vp_phrase_at(s, at, &declines_set)) >= 0 &&
					!vp_words_are(s, at + vp_phrase_words(declines[k]), "to"))	/* "I don't want it to look done" */
				{
					last_decline = i;
					break;
				}
		}
		turn_mentioned |= named;
		if (!turn_named && (i + 1 == n || sentences[i + 1].turn != s->turn))
		{
			int			meant;

			vp_echo_read(r, i, &echo);
			meant = vp_reply_takes_as(r, i, &echo);
			if (meant < 0 && !turn_mentioned && !(last_decline >= 0 && sentences[last_decline].turn == s->turn))
				meant = vp_short_answer_taken(r, i, &echo);	/* "smaller." "Then a breast reduction ..." */
			if (meant < 0)
			{
				meant = vp_suggestion_taken(r, i);	/* "... Is that what you're thinking?" "Yes, that one." */
				/* the caller's own past is no suggestion ("I see the peel on the fifth. Email the receipt?") */
				for (int k = 0; meant >= 0 && !wanted[meant] && k < d->nprocedures; k++)
					if (strcmp(d->procedures[k], vocab->names[meant]) == 0)
						meant = -1;
				if (meant >= 0 && history[meant] && !wanted[meant])
					meant = -1;
			}
			if (meant < 0 && told >= 0 && !turn_mentioned &&
				turn_has_any(sentences, n, s->turn, &wanted_set, &memo[s->turn].wanted))
				meant = told;	/* "I did laser on my legs last year." ... "Can I do a touch-up?" */
			if (meant >= 0)		/* "can you pin them back?" "Yes, we do otoplasty." */
			{
				add_procedure(d, vocab->names[meant]);
				wanted[meant] = true;
				rejected[meant] = false;
				anecdote[meant] = false;
				last_mention = i;
				told = -1;
			}
			else if (told >= 0 && !turn_mentioned &&
					 turn_has_any(sentences, n, s->turn, &aftercare_set, &memo[s->turn].aftercare))
			{
				add_procedure(d, vocab->names[told]);	/* "I had filler Monday." ... "There's a lump, is that normal?" */
				last_mention = i;
			}
		}
	}
	/*
	 * someone else's procedure told as a story is the caller's interest only
	 * when they asked about nothing else ("my buddy got laser hair removal
	 * on his back ... what's it run?"; not "my sister had her tummy tuck ...
	 * I'm thinking about the mommy makeover")
	 */
	for (int t = 0; t < vocab->nterms; t++)
		if (wanted[t] && !anecdote[t])
		{
			for (int u = 0; u < vocab->nterms; u++)
				if (anecdote[u] || (story_care[u] && !wanted[u]))
				{
					wanted[u] = false;
					rejected[u] = true; /* "my brother had his nose done ... my teeth are chipped": the teeth's care */
				}
			break;
		}
	/*
	 * "implants" the call later shows were breast implants ("I want to ask
	 * about implants." "Dental or breast?" "Breast, the boob job."): the
	 * breast procedure takes the place of the dental one
	 */
	if (dental_bare && !dental_named && breast >= 0 && wanted[breast] && !rejected[breast])
	{
		int			k = 0;
		bool		placed = false;

		for (int j = 0; j < d->nprocedures; j++)
		{
			char	   *p = d->procedures[j];

			if (strcmp(p, vocab->names[dental]) == 0)
				p = vocab->names[breast];
			if (strcmp(p, vocab->names[breast]) == 0)
			{
				if (placed)
					continue;	/* the breast procedure once, in the first place either had */
				placed = true;
			}
			d->procedures[k++] = p;
		}
		d->nprocedures = k;
		wanted[dental] = false;
		rejected[dental] = false;
	}
	/* a procedure the caller rejected after naming it is not theirs */
	for (int t = 0; t < vocab->nterms; t++)
		if (rejected[t])
		{
			int			k = 0;

			for (int j = 0; j < d->nprocedures; j++)
				if (strcmp(d->procedures[j], vocab->names[t]) != 0)
					d->procedures[k++] = d->procedures[j];
			d->nprocedures = k;
		}
		else if (wanted[t])
			interest = true;
	/*
	 * a caller lost as a lead is followed up about what they asked for: what
	 * the call told only as care (the filler bruise before "how much is
	 * Botox?") or as an appointment comes after it
	 */
	if (interest)
	{
		char	  **ordered = palloc(sizeof(char *) * Max(d->nprocedures, 1));
		int			k = 0;

		for (int pass = 0; pass < 2; pass++)
			for (int j = 0; j < d->nprocedures; j++)
			{
				int			t = procedure_named(vocab, d->procedures[j]);

				if ((t >= 0 && wanted[t]) == (pass == 0))
					ordered[k++] = d->procedures[j];
			}
		memcpy(d->procedures, ordered, sizeof(char *) * k);
	}
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
