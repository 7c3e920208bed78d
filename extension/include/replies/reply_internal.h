/*
 * reply_internal.h
 *	  What the parts of the reply classifier share: the working state of one
 *	  reply (its own lines, tokens, phone numbers and rule hits), the
 *	  vocabulary, and each part's entry point.  No PostgreSQL dependency.
 *
 *	  reply_quote.c   the lead's own lines: quoted thread and signatures
 *	  reply_vocab.c   words: vocabulary, contractions, spelling slips
 *	  reply_tokens.c  the own lines as tokens
 *	  reply_phone.c   phone numbers: finding, validating, choosing one
 *	  reply_rules.c   the phrase rules and their matcher
 *	  reply_intent.c  deciding the intent; reply_classify()
 */
#ifndef REPLY_INTERNAL_H
#define REPLY_INTERNAL_H

#include <stdint.h>

#include "replies/reply_classify.h"

#define RW_MAX_LINES	512
#define RW_MAX_TOKENS	1536
#define RW_MAX_PHONES	24
#define RW_MAX_HITS		384

/* ---------------------------------------------------------------- lines */

typedef enum LineZone
{
	ZONE_BODY,					/* the lead's own words */
	ZONE_SIG,					/* the lead's signature */
	ZONE_OTHER_SIG				/* a signature of someone else (the sender's) */
} LineZone;

typedef struct RLine
{
	int32_t		start;			/* byte offsets into the reply, end exclusive */
	int32_t		end;
	uint8_t		zone;
} RLine;

/* ---------------------------------------------------------------- tokens */

typedef enum TokKind
{
	TK_WORD,
	TK_BOUND,					/* end of a clause: . ! ? ; or a line end */
	TK_SOFT,					/* , : dashes: transparent to phrases, a limit for negation */
	TK_PHONE,					/* a valid phone number (the RPhone whose tok it is) */
	TK_NUM,						/* any other number */
	TK_EMAIL,
	TK_URL
} TokKind;

#define TF_CAP		0x01		/* word not in the vocabulary, written with a capital */
#define TF_SIG		0x02		/* in a signature */
#define TF_QMARK	0x04		/* the boundary is a question mark */
#define TF_PAREN	0x08		/* the soft separator is a bracket: an aside starts or ends */

typedef struct RTok
{
	uint16_t	id;				/* vocabulary id; 0 unknown; RV_* for the other kinds */
	uint8_t		kind;
	uint8_t		flags;
	int32_t		start;			/* byte offsets into the reply */
	int32_t		end;
} RTok;

/* ---------------------------------------------------------------- phones */

typedef struct RPhone
{
	E164Number	num;
	int32_t		start;
	int32_t		end;
	int			tok;
	uint8_t		zone;
	int			score;
} RPhone;

/* ---------------------------------------------------------------- rule hits */

typedef enum CueKind
{
	CUE_CALL,					/* asks to be phoned */
	CUE_BLOCK,					/* refuses calls (all of them) */
	CUE_LOCAL_BLOCK,			/* refuses some calls: a line, an hour */
	CUE_OTHER_CHANNEL,			/* wants e-mail or text instead */
	CUE_UNSUB,
	CUE_WRONG,
	CUE_NI,						/* not interested */
	CUE_OOO,					/* out of office, auto-reply */
	CUE_INT,					/* interested */
	CUE_WRITTEN,				/* asks for something in writing: send me, email me, a link */
	CUE_AFFIRM,					/* yes, sure, ok */
	CUE_QUEST,					/* a question */
	CUE_WILL_CALL,				/* the lead will call us ("I'll ring your office"): interest, not a request */
	CUE_N_KINDS,
	CUE_NONE = 255
} CueKind;

typedef struct RHit
{
	uint8_t		kind;
	uint8_t		strength;		/* 1 weak, 2 medium, 3 strong */
	int16_t		start;			/* token range, end exclusive */
	int16_t		end;
	bool		negated;		/* the rule's phrase after a negator ("not interested") */
} RHit;

/* ---------------------------------------------------------------- one reply */

typedef struct ReplyWork
{
	const char *text;
	int32_t		len;
	const E164Region *region;
	bool		trunk_zero;		/* national numbers of the region start with 0 */

	RLine		lines[RW_MAX_LINES];
	int			nlines;
	int32_t		quote_start;	/* where the quoted or forwarded part starts, -1 if none */
	RTok		toks[RW_MAX_TOKENS];
	int			ntoks;
	RPhone		phones[RW_MAX_PHONES];
	int			nphones;
	RHit		hits[RW_MAX_HITS];
	int			nhits;
} ReplyWork;

/* ---------------------------------------------------------------- vocabulary */

/* Ids below RV_FIRST_WORD stand for token kinds and classes in rules. */
#define RV_UNKNOWN	0
#define RV_PHONE	1
#define RV_NUM		2
#define RV_EMAIL	3
#define RV_URL		4
#define RV_CAP		5			/* a capitalised unknown word (a name) */
#define RV_FIRST_WORD 8
#define RV_MAX		2048

/* Word classes, a bit mask per vocabulary id. */
#define WC_NEGATOR		0x0001	/* not, no, never ... */
#define WC_CONTRAST		0x0002	/* but, however ... */
#define WC_CALL_WORD	0x0004	/* words that tie a number to calling */
#define WC_PHONE_BAD	0x0008	/* words that make a number not the callback one */
#define WC_NUM_CONTEXT	0x0010	/* loan, order, tracking: a number that is not a phone */
#define WC_CALL_BLOCKER 0x0020	/* if, why, did, keep: not a request */
#define WC_SUBJECT		0x0040	/* i, we */
#define WC_MODAL		0x0080	/* will, would, can ... */
#define WC_DIGIT		0x0100	/* zero .. nine, oh */
#define WC_PREFER		0x0200	/* better, best, new, instead */
#define WC_MOBILE		0x0400	/* cell, mobile */
#define WC_FAX			0x0800
#define WC_OTHER_PERSON 0x1000	/* assistant, colleague, receptionist */
#define WC_NEG_EXCEPT	0x2000	/* "not only", "no problem": no negation */
#define WC_OLD			0x4000	/* old, former, disconnected */
#define WC_OBJECT		0x8000	/* me, us, him, her: the object of a call verb */
#define WC_ACK			0x10000 /* ok, thanks, gracias: an acknowledgement */
#define WC_YES			0x20000 /* yes, sure, si: an assent */
#define WC_HEDGE		0x40000 /* maybe, depends, quizas */
#define WC_URGENT		0x80000 /* emergency, urgent: a call only for emergencies */
#define WC_PEOPLE		0x100000	/* wife, assistant, office: someone else to contact */
#define WC_MAIL			0x200000	/* email, texting: a channel other than calls */
#define WC_DEVICE		0x400000	/* cell, signal, wifi: a phone or its reception */
#define WC_LINE			0x800000	/* cell, office, landline: a line one may be called on */

extern void reply_vocab_init(void);
extern uint16_t reply_vocab_intern(const char *word, int len);
extern uint16_t reply_vocab_find(const char *word, int len);
extern uint32_t reply_vocab_class(uint16_t id);
extern int	reply_vocab_digit(uint16_t id);
extern int	reply_vocab_expand(const char *word, int len, uint16_t *ids, int max);
extern bool reply_span_has(const ReplyWork *w, int start, int end, uint32_t wclass);

/* ---------------------------------------------------------------- the parts */

extern void reply_own_lines(ReplyWork *w);

/* What the message the reply answers offered, in reply_quoted_offer()'s result. */
#define OFFER_CALL		0x01		/* a call ("want a quick call?") */
#define OFFER_WRITTEN	0x02		/* something in writing ("email you a quote") */
extern int	reply_quoted_offer(const ReplyWork *w);
extern void reply_tokenise(ReplyWork *w);
extern int	reply_scan_number(ReplyWork *w, int32_t pos, int32_t end, int32_t *next);
extern int	reply_scan_spelled(ReplyWork *w, int32_t pos, int32_t end, int32_t *next);
extern int	reply_choose_phone(ReplyWork *w);
extern int	reply_signature_phone(const ReplyWork *w, int chosen, bool named_only);
extern void reply_rules_init(void);
extern void reply_match_rules(ReplyWork *w);
extern const char *reply_rules_broken(void);

#endif							/* REPLY_INTERNAL_H */
