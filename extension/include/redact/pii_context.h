/*
 * pii_context.h
 *	  What the words around a number say it is (redact/pii_context.c): a
 *	  birth date's context, the turn a transcript line belongs to, and
 *	  whether a long run of digits is a reference number or a phone number.
 *
 * Plain C over bytes (no PostgreSQL header), so that test programs can link
 * it with redact_pii's matchers.
 */
#ifndef VAPI_POOL_PII_CONTEXT_H
#define VAPI_POOL_PII_CONTEXT_H

#include <stdbool.h>

/* How far back (characters) a context word may end before a number. */
#define VP_PII_CONTEXT_CHARS	40

/* The longest word (bytes) compared with a word list. */
#define VP_PII_MAX_WORD			15

/* How far back (bytes) the start of a turn, and of the turn before, is looked for. */
#define VP_PII_TURN_BYTES		600

/* The turn holding a position of a transcript and the turn before it. */
typedef struct PiiTurns
{
	int			current;		/* start of the turn holding the position */
	int			previous;		/* start of the turn before it */
} PiiTurns;

extern bool vp_pii_lower_word(const char *s, int p, int n, char *buf);
/* What the words around a number say it is. */
typedef enum PiiNumberKind
{
	PII_NUMBER_UNSAID,			/* nothing */
	PII_NUMBER_REFERENCE,		/* a loan, case, order ... number */
	PII_NUMBER_PHONE			/* a phone number ("call me at", "my number is") */
} PiiNumberKind;

extern int	vp_pii_window_start(const char *s, int pos, int chars, bool questions);
extern bool vp_pii_birth_words(const char *s, int from, int to, bool identity);
extern int	vp_pii_last_birth_word(const char *s, int from, int to, bool identity);
extern bool vp_pii_joins_dates(const char *s, int from, int to);
extern bool vp_pii_event_words(const char *s, int from, int to);
extern bool vp_pii_birth_word_after(const char *s, int len, int end);
extern bool vp_pii_event_word_after(const char *s, int len, int end);
extern bool vp_pii_turns(const char *s, int pos, PiiTurns *turns);
extern PiiNumberKind vp_pii_number_kind(const char *s, int len, int start, int end);
extern bool vp_pii_reference_number(const char *s, int len, int start, int end);

#endif							/* VAPI_POOL_PII_CONTEXT_H */
