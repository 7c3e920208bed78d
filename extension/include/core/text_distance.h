/*
 * text_distance.h
 *	  How many edits apart two short words are (core/text_distance.c): the
 *	  tolerance for a transcriber's slips (redact/transcript_text.c) and for
 *	  misspelt words of a reply (replies/reply_vocab.c).
 *
 * Plain C (no PostgreSQL header), so that the classifier's benchmark can
 * compile it.
 */
#ifndef VAPI_POOL_TEXT_DISTANCE_H
#define VAPI_POOL_TEXT_DISTANCE_H

#include <stdbool.h>

/* The longest word vp_edit_distance compares, in bytes. */
#define VP_EDIT_DISTANCE_MAX_LEN 48

extern int	vp_edit_distance(const char *a, int la, const char *b, int lb, int max, bool transpositions);
extern int	vp_phonetic_key(const char *s, int len, char *key);

#endif							/* VAPI_POOL_TEXT_DISTANCE_H */
