/*
 * assistant_context.h
 *	  What the assistant's turns tell about a clinic caller's words: the
 *	  procedure a pick points at, a suggestion the caller takes, and the
 *	  assistant's reply as what it heard (assistant_context.c).
 */
#ifndef VAPI_POOL_ASSISTANT_CONTEXT_H
#define VAPI_POOL_ASSISTANT_CONTEXT_H

#include "clinic/call_reading.h"

/* At most this many procedures of an assistant's reply are read as what it heard. */
#define ECHO_MAX 4

/* The fewest sounds a caller's words must share with a procedure heard through the reply. */
#define ECHO_MIN_SOUNDS 4

/*
 * What the assistant's reply to a caller's turn shows it understood: the
 * procedures the reply names, and their variants that sound like something
 * (a phonetic key of ECHO_MIN_SOUNDS or more), as indexes into the
 * vocabulary's variants.
 */
typedef struct Echo
{
	int			turn;			/* the caller's turn read; -1: none yet */
	int			reply;			/* the reply's first sentence, or -1 */
	int			nterms;
	int			terms[ECHO_MAX];
	bool		heard[ECHO_MAX];	/* the transcript has the caller name it too */
	int			nvariants;
	int		   *variants;
} Echo;

extern int	vp_procedure_referred_to(Reading *r, int i);
extern void vp_echo_read(Reading *r, int i, Echo *e);
extern int	vp_echo_heard(const TermSet *vocab, const Echo *e, const Sentence *s, int w, int *used);
extern int	vp_reply_takes_as(Reading *r, int i, const Echo *e);
extern int	vp_suggestion_taken(Reading *r, int i);
extern int	vp_short_answer_taken(Reading *r, int i, const Echo *e);

#endif							/* VAPI_POOL_ASSISTANT_CONTEXT_H */
