/*
 * reply_classify.h
 *	  Reading an e-mail reply to a cold e-mail: what the lead wants (intent),
 *	  the number they ask to be called on, how sure the rules are, and the
 *	  phrase that decided it.
 *
 * Pure C with no PostgreSQL dependency, like the e164 parser it uses: the
 * extension wraps it (reply_sql.c), and the benchmark driver links it
 * directly.  Deterministic: the same text and region always give the same
 * result.  See docs/replies.md for the rules.
 */
#ifndef REPLY_CLASSIFY_H
#define REPLY_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "e164/e164_parse.h"

typedef enum ReplyIntent
{
	REPLY_CALL_REQUESTED = 0,	/* the lead asks to be phoned */
	REPLY_INTERESTED,			/* positive, asks for something other than a call */
	REPLY_NOT_INTERESTED,
	REPLY_UNSUBSCRIBE,
	REPLY_OUT_OF_OFFICE,		/* auto-replies and absence notices */
	REPLY_WRONG_PERSON,
	REPLY_QUESTION,				/* asks something without a wish yet */
	REPLY_UNCLEAR,				/* no telling whether a call is wanted: nobody is called */
	REPLY_N_INTENTS
} ReplyIntent;

/* Longest evidence phrase, in bytes (cut at a UTF-8 character boundary). */
#define REPLY_EVIDENCE_MAX 160

/*
 * Only the first REPLY_MAX_ANALYSED bytes of a reply are read: the lead's
 * own words come first, and the quoted thread after them is dropped anyway.
 */
#define REPLY_MAX_ANALYSED 65536

typedef struct ReplyResult
{
	ReplyIntent intent;
	bool		has_phone;		/* phone holds the callback number */
	E164Number	phone;			/* only for REPLY_CALL_REQUESTED */
	double		confidence;		/* 0..1, two decimals */
	/*
	 * A first-person request to be phoned ("call me", "I'd like a call")
	 * that nothing else in the reply contradicts: what the flow accepts as a
	 * new opt-in from a lead who opted out.
	 */
	bool		explicit_call;
	char		evidence[REPLY_EVIDENCE_MAX + 1];
} ReplyResult;

/* The SQL name of an intent ("call_requested", ...). */
extern const char *reply_intent_name(ReplyIntent intent);

/*
 * Classify one reply.  region (ISO 3166-1 alpha-2, length region_len) is
 * where numbers written without a country code are assumed to be.  Returns
 * false, leaving out untouched, when the region is not supported.
 */
extern bool reply_classify(const char *text, size_t len, const char *region, int region_len,
						   ReplyResult *out);

#endif							/* REPLY_CLASSIFY_H */
