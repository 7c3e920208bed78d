/*
 * call_reading.h
 *	  Reading a clinic call's transcript for the drop-off rule: lists of
 *	  phrases indexed by first letter, and a transcript's sentences with the
 *	  vocabulary's match at each word found once (call_reading.c).
 */
#ifndef VAPI_POOL_CALL_READING_H
#define VAPI_POOL_CALL_READING_H

#include "postgres.h"

#include "redact/transcript_text.h"

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

/*
 * A transcript being read: its sentences and the organisation's
 * vocabulary, with the vocabulary's match at each word found once and kept
 * (the caller's words, the assistant's replies and its lists are read by
 * several rules).
 */
typedef struct Reading
{
	const char *transcript;
	Sentence   *sentences;
	int			n;
	const TermSet *vocab;
	int		  **match;			/* per sentence, once read: per word, term << 3 | words covered; -1 not read */
} Reading;

extern int	vp_phrase_at(const Sentence *s, int i, PhraseSet *ps);
extern bool vp_sentence_has_any(const Sentence *s, PhraseSet *ps);
extern int	vp_phrase_words(const char *phrase);
extern int	vp_match_at(Reading *r, int i, int w, int *term);
extern bool vp_word_is_one_of(const Sentence *s, int i, const char *const *list, int n);
extern int	vp_turn_start(const Sentence *sentences, int i);

#endif							/* VAPI_POOL_CALL_READING_H */
