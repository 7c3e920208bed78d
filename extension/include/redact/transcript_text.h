/*
 * transcript_text.h
 *	  Reading a call transcript: who speaks each line, its sentences and
 *	  their words, and matching an organisation's vocabulary against them.
 *	  Shared by the drop-off detector and the medical-history redactor.
 */
#ifndef VAPI_POOL_TRANSCRIPT_TEXT_H
#define VAPI_POOL_TRANSCRIPT_TEXT_H

#include "postgres.h"

/* Who said a line of a transcript. */
typedef enum Speaker
{
	SPEAKER_CALLER,				/* "User:", "Customer:", "Caller:", "Patient:" */
	SPEAKER_ASSISTANT,			/* "AI:", "Assistant:", "Bot:", "Agent:" */
} Speaker;

/* A word of a sentence: lower-case ASCII letters and digits, apostrophes dropped. */
#define VP_MAX_WORD 48
typedef struct Word
{
	char		text[VP_MAX_WORD];
	int			len;
	int			start;			/* byte offsets in the transcript */
	int			end;
	bool		clause_start;	/* a comma, semicolon, dash or "but" comes before it */
} Word;

/* A sentence of one speaker: its byte span and its words. */
typedef struct Sentence
{
	Speaker		speaker;
	int			start;
	int			end;
	int			turn;			/* index of the speaker's line, from 0 */
	Word	   *words;
	int			nwords;
} Sentence;

/* The kinds of vocabulary terms (clinic_terms.kind). */
typedef enum TermKind
{
	TERM_PROCEDURE,
	TERM_CONDITION,
	TERM_MEDICATION,
	TERM_ALLERGY,
	TERM_SURGERY,
} TermKind;

/* One way of saying a term, split into words. */
typedef struct TermVariant
{
	int			term;			/* index into TermSet.names */
	int			nwords;
	char		words[4][VP_MAX_WORD];
	int			lens[4];
	char		joined[VP_MAX_WORD * 4];	/* the words run together ("nosejob") */
	int			ljoined;
	char		key[VP_MAX_WORD * 2];	/* how the joined words sound (vp_phonetic_key); none when longer */
	int			lkey;
} TermVariant;

/* A vocabulary: canonical names and every variant of them. */
typedef struct TermSet
{
	char	  **names;
	TermKind   *kinds;
	int			nterms;
	TermVariant *variants;
	int			nvariants;
	int			cap_terms;
	int			cap_variants;
	/* variants sorted by their first byte; by_first[c] .. by_first[c + 1] start with c */
	bool		indexed;
	int			by_first[257];
	/* a lasting vocabulary's words seen so far: the variants a match at each could be */
	struct HTAB *words;
} TermSet;

extern Sentence *vp_split_transcript(const char *text, int len, int *nsentences);
extern void vp_termset_load(TermSet *set, Datum org_id);
extern const TermSet *vp_builtin_medical_terms(void);
extern int	vp_match_term(const TermSet *set, const Sentence *s, int at, int *term);
extern int	vp_match_term_spelt(const TermSet *set, const Sentence *s, int at, int *term);
extern bool vp_words_are(const Sentence *s, int at, const char *phrase);
extern bool vp_sentence_has(const Sentence *s, const char *phrase);
extern bool vp_mention_negated(const Sentence *s, int at, int nwords);
extern bool vp_personal_past(const Sentence *s, int at, int n);
extern bool vp_past_in_clause(const Sentence *s, int at, int n);
extern bool vp_past_in_sentence(const Sentence *s, int at, int n);

#endif							/* VAPI_POOL_TRANSCRIPT_TEXT_H */
