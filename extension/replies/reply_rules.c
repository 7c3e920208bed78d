/*
 * reply_rules.c
 *	  The phrase rules of the reply classifier and their matcher.
 *
 * A rule is a phrase pattern over tokens, the cue it signals (a call
 * request, a refusal of calls, unsubscribe, ...), its strength, and what it
 * becomes when negated ("interested" after "not" is not interested; "call
 * me" after "don't" refuses calls).  Patterns are written as text and
 * compiled once per process:
 *
 *	 word|word   alternatives          @PHONE @NUM @EMAIL @URL @CAP  token classes
 *	 elem?       optional              ~N    up to N tokens of anything
 *	 !word       not followed by it    ^ $   start / end of the clause
 *
 * Words are written as the vocabulary reads them: contractions split
 * ("don't" is "not" after "do"), aliases resolved ("pls" is "please").
 * Commas, colons and dashes are transparent to patterns.  Rules are
 * language rules, not examples: each names a way of saying something
 * (docs/replies.md).
 *
 * A rule that may be negated is checked for a negator ("not", "no",
 * "never", "without") among the three words before it in its clause;
 * "not only", "no problem" and the like do not negate.  Call requests are
 * also dropped after "if", "why", "did", "keep" (a complaint or a
 * condition, not a request; "if you could call me" still asks), and when
 * the lead is the one who will call ("I'll call you back").
 */
#include "replies/reply_internal.h"

#include <string.h>

#define MAX_ELEMS 10
#define MAX_ALTS 32

/* Rule flags. */
#define R_NONEG		0x01		/* never negated (the phrase carries its own polarity) */
#define R_VERB		0x02		/* starts with a call verb: the lead must not be its subject */
#define R_BLOCKERS	0x04		/* dropped after if/why/did/keep in its clause */
#define R_SCOPE		0x08		/* a refusal that is local when "my X", "before/after" follows */

typedef struct RuleDef
{
	uint8_t		kind;
	uint8_t		strength;
	uint8_t		negkind;		/* what a negated hit becomes; CUE_NONE: dropped */
	uint8_t		flags;
	const char *pattern;
} RuleDef;

typedef struct PElem
{
	uint16_t	ids[MAX_ALTS];
	uint8_t		nids;
	bool		optional;
	bool		not_ahead;
	uint8_t		gap;			/* ~N */
} PElem;

typedef struct Rule
{
	PElem		el[MAX_ELEMS];
	uint8_t		nel;
	bool		anchor_start;
	bool		anchor_end;
	/*
	 * Starts with a negator: commas are not transparent ("no phone calls"
	 * refuses calls, "No, call me" asks for one).
	 */
	bool		tight;
} Rule;

#define CALL_VERB "call|phone|ring|buzz|dial|telephone"
#define CALL_NOUN "call|ring|buzz|bell|shout|holler|callback"
#define QUICK "quick|brief|short|phone|quick|little"
#define PEOPLE "wife|husband|son|daughter|partner|spouse|dad|mom|mum|mother|father|sister|brother"
#define OWN_LINES "cell|mobile|home|landline|number|phone|house|line|office|work|direct|personal|private"

static const RuleDef rule_defs[] = {
	/* ---------------------------------------------------------------- asking to be phoned */
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, CALL_VERB " me|us|him|her|them"},
	{CUE_CALL, 3, CUE_LOCAL_BLOCK, R_VERB | R_BLOCKERS, CALL_VERB " my|our " OWN_LINES "|" PEOPLE},
	{CUE_CALL, 3, CUE_BLOCK, R_BLOCKERS, "me|us|him|her a|an " QUICK "? " CALL_NOUN},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, "please " CALL_VERB},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " at|on? @PHONE"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " back"},
	{CUE_CALL, 3, CUE_NONE, 0, "or " CALL_VERB " at|on? @PHONE"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " after|before|anytime|any|tomorrow|today|tonight|between|around|"
	 "this|next|mornings|evenings|afternoons|weekdays|weekends|whenever|asap|now|when|during"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " monday|tuesday|wednesday|thursday|friday|saturday|sunday"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " $"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ yes|sure|ok|please please? " CALL_VERB " me? $"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " me? please $"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "go ahead and " CALL_VERB},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, "give|gimme my|the cell|mobile|landline|home|office|direct|work ~1 a|an ring|call|buzz|shout"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "then|and " CALL_VERB " me? $"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "someone|somebody|anyone who|that can|could " CALL_VERB " me|us"},
	{CUE_CALL, 2, CUE_NONE, 0, "can|could we talk|chat|speak"},
	{CUE_CALL, 2, CUE_NONE, 0, "talk|speak to|with my|our " PEOPLE "|assistant|accountant|partner ~5 @PHONE"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, "^ " CALL_VERB " or text me? at|on? @PHONE"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, "@PHONE " CALL_VERB},
	{CUE_CALL, 2, CUE_NONE, 0, "use|try @PHONE"},
	{CUE_CALL, 3, CUE_BLOCK, R_BLOCKERS, "like|love|appreciate|prefer|want|need|welcome|request|schedule|arrange|book a|an " QUICK " " QUICK " call"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "set up a|an " QUICK " " QUICK " call"},
	{CUE_CALL, 2, CUE_NONE, 0, "@PHONE ~3 ask for"},
	/* when the lead can take the call: "after 6pm is best", "Tues between 2 and 4 works" */
	{CUE_CALL, 2, CUE_NONE, 0, "mornings|evenings|afternoons|weekends|weekdays|anytime|after|before|between ~4 "
	 "is|are|works|work best|better|good|fine|great|ideal|easiest"},
	{CUE_CALL, 2, CUE_NONE, 0, "mornings|evenings|afternoons|weekends|weekdays|anytime|after|before|between ~4 works|work $"},
	{CUE_CALL, 3, CUE_BLOCK, R_BLOCKERS, "can|could|would|will you|someone|somebody|anyone|one " CALL_VERB " $"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, "can " CALL_VERB " anytime|whenever|back|any"},
	{CUE_CALL, 3, CUE_BLOCK, R_BLOCKERS, "like|love|appreciate|prefer|want|need|get|welcome|request a|an|the? " QUICK "? call|callback|calls"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "prefer|preferably phone|calls|calling"},
	{CUE_CALL, 3, CUE_NONE, 0, "call|calling|phone would|will be? best|better|great|good|fine|easier|ideal|helpful|perfect|preferable|easiest|nice"},
	{CUE_CALL, 3, CUE_NONE, 0, "call|calling|phone is|works|sounds best|better|great|good|fine|easier|ideal|preferable|easiest|preferred"},
	{CUE_CALL, 3, CUE_NONE, 0, "call works|work"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "phone|calls only"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "only by|via|over phone"},
	{CUE_CALL, 3, CUE_BLOCK, R_BLOCKERS, "talk|speak|chat|discuss|do|handle|explain|walk|talking|speaking|chatting|reach|contact|go ~3 by|over|on|via the|a? phone"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "open|available|free to|for a " QUICK "? call|chat"},
	{CUE_CALL, 3, CUE_BLOCK, R_BLOCKERS, "free|welcome to " CALL_VERB},
	{CUE_CALL, 3, CUE_NONE, 0, "rather|prefer|want|like|need you|someone|somebody to? " CALL_VERB},
	{CUE_CALL, 3, CUE_BLOCK, 0, "hop|jump|get on a|the " QUICK "? call"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "schedule|arrange|book|have|do|setup a|an " QUICK "? call"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "set up a|an " QUICK "? call"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "phone consultation|appointment|meeting|conversation|chat|interview"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "someone|somebody " CALL_VERB},
	{CUE_CALL, 3, CUE_BLOCK, 0, "rufen sie mich"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "ruf mich an"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "anrufen"},
	{CUE_CALL, 2, CUE_NONE, 0, "like|love|prefer|want|rather to? talk|speak|chat to|with someone|somebody|a|you"},
	{CUE_CALL, 2, CUE_NONE, 0, "try me at|on|after|before"},
	{CUE_CALL, 2, CUE_NONE, 0, "telefonisch"},
	/* Spanish (accents folded: "llamame" for the accented form); the
	 * vocabulary reads "mi", "celular", "telefono", "numero", "correo",
	 * "casa" as "my", "cell", "phone", "number", "email", "home", and
	 * Spanish "ya" as "you" (the English text-speak alias), so the rules
	 * below write those words in English */
	{CUE_CALL, 3, CUE_BLOCK, R_SCOPE, "llamame|llameme|llamenme|llamarme|llamanos|llamenos|marcame|marqueme|marquenme|marcarme|"
	 "hablame|hableme|hablenme|hablarme|comuniquese|comunicate|comuniquense"},
	{CUE_CALL, 3, CUE_BLOCK, R_SCOPE, "me|nos llamen|llame|llames|marquen|marque|marques|hablen|hable"},
	{CUE_CALL, 3, CUE_LOCAL_BLOCK, 0, "llamen|llame|marquen|marque al|my"},
	{CUE_CALL, 3, CUE_LOCAL_BLOCK, 0, "llamen|llame|marquen|marque a al|my"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "regresame|regreseme|regresenme|devuelveme|devuelvame|devuelvanme la llamada"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "me|nos llamara|hablara|marcara|llamaran|hablaran|marcaran|llamaria|hablaria|llamarian"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "me|nos puede|pueden|puedes|podria|podrian|podrias|podra|podran llamar|marcar"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "quiero|quisiera|prefiero|prefeririamos|preferimos|necesito|necesitamos|deseo|queremos|gustaria|agradeceria "
	 "~2 llamada|llamen|llame|marquen"},
	{CUE_CALL, 2, CUE_NONE, 0, "quiero|quisiera|prefiero|necesito|necesitamos|deseo|queremos|gustaria ~1 hablar|platicar|conversar "
	 "con alguien|usted|ustedes|un|una|ud"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "hablar|platicar|conversar|hablemos|platiquemos por phone"},
	{CUE_CALL, 2, CUE_NONE, 0, "al|este @PHONE"},
	/* a number given with a label, or as where the lead can be reached */
	{CUE_CALL, 2, CUE_NONE, 0, "my|our|her|his ~2 cell|mobile|number|phone|line|landline|digits ~3 @PHONE"},
	{CUE_CALL, 2, CUE_NONE, 0, "cell|mobile|number|phone|line|landline|direct|contact|home ~1 @PHONE"},
	{CUE_CALL, 2, CUE_NONE, 0, "reach|reached|reachable|catch|find me? ~3 @PHONE"},
	{CUE_CALL, 2, CUE_NONE, 0, "i|we am|are at|on @PHONE"},
	{CUE_CALL, 2, CUE_NONE, 0, "@PHONE is|being my|the|our ~1 cell|mobile|number|phone|line|landline"},
	{CUE_CALL, 2, CUE_NONE, 0, "available|free|reachable ~2 at|on @PHONE"},
	{CUE_CALL, 2, CUE_NONE, 0, "use the|my mobile|cell|number|phone"},
	{CUE_CALL, 2, CUE_NONE, 0, "try my|the cell|mobile|landline|home|office|direct|line"},
	{CUE_CALL, 2, CUE_NONE, 0, "same number|phone|cell|one as before"},
	{CUE_CALL, 2, CUE_NONE, 0, "number|phone|cell|one on file is|works fine|good|best|ok|great"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "comunique|comuniquen|comunicarse|comunicar conmigo por phone"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "mejor|prefiero|preferimos por phone"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "me|nos puede|pueden|podria|podrian hablar"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "what|which time|day|times|days works|work for a|the " QUICK "? call"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "what|which time|day|times|days is good|best|better for a|the " QUICK "? call"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ just " CALL_VERB " me? $"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " @CAP at|on @PHONE"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "rather talk|speak|chat than email|text|write|emailing|texting"},
	{CUE_CALL, 3, CUE_BLOCK, 0, CALL_VERB " me? anyway|regardless"},
	{CUE_CALL, 2, CUE_NONE, 0, "best|good time to reach|call|catch|get me"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "easier|better|best if you " CALL_VERB " me|us"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "let me know when|what time you can " CALL_VERB},
	{CUE_CALL, 2, CUE_NONE, 0, "hit me up by|on the? phone"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB, "^ " CALL_VERB " me? then $"},
	{CUE_CALL, 2, CUE_NONE, 0, "you have|got my|the number|cell|phone|info"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, "reach|contact|catch|ring me on|at my|the cell|mobile|landline|home|office|direct|work"},
	{CUE_CALL, 3, CUE_LOCAL_BLOCK, R_VERB | R_BLOCKERS, CALL_VERB " my|our assistant|secretary|partner|accountant|colleague"},
	{CUE_CALL, 3, CUE_BLOCK, R_VERB | R_BLOCKERS, CALL_VERB "|use|try the new|cell|mobile|second|first|other|house|home|landline|office|number one|number?"},
	{CUE_CALL, 3, CUE_NONE, 0, "call|calling|phone|telephone would|will suit me|us"},
	{CUE_CALL, 2, CUE_NONE, R_BLOCKERS, "^ llamar|llamarme|marcar|marcarme por|en|despues|antes|manana|temprano|tarde|al"},
	{CUE_CALL, 3, CUE_BLOCK, 0, "best|easiest|quickest way to reach|contact|get me is|would be ~1 call|phone"},
	{CUE_CALL, 2, CUE_NONE, 0, "best|easiest to reach|call|get|catch me on|at my ~1 cell|mobile|landline|phone|line|number"},
	{CUE_CALL, 3, CUE_LOCAL_BLOCK, R_VERB, CALL_VERB " the main|office|home|landline|cell|mobile|direct|work number|line"},
	/* wishing to talk: a call in this setting, but weakly said */
	{CUE_CALL, 1, CUE_NONE, 0, "happy|glad|willing|open|keen|free|available|ready to talk|chat|speak|discuss|connect"},
	{CUE_CALL, 1, CUE_NONE, 0, "let us talk|chat|speak|connect|discuss"},
	{CUE_CALL, 1, CUE_NONE, 0, "like|love to discuss|talk|chat|speak|connect"},
	{CUE_CALL, 1, CUE_NONE, 0, "have a|an " QUICK "? chat"},

	/* ---------------------------------------------------------------- refusing calls */
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG | R_SCOPE, "not|never call|phone|ring|calling|dial|calls"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "no phone? call|calls|calling|phone|phones"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG | R_SCOPE, "not take|answer|do|handle|accept|return|pick|get ~1 calls|call|phone|phones"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "hard of hearing"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "deaf"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "not a phone person"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "hate ~2 phone|phones|calls|calling"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "stop|quit calling|phoning|ringing"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "not want|need ~3 call|calls|calling|phone"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "not by|over|via phone"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG, "no need to call|phone|ring"},
	{CUE_BLOCK, 3, CUE_NONE, R_NONEG | R_SCOPE, "no ~2 llamadas|llamen|llames"},

	/* ---------------------------------------------------------------- e-mail or text instead */
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "email|mail|text|write|texts|writing only"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "email|text|texts|mail please|pls|instead"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "^ text|txt @PHONE"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "mandar|enviar|mandarme|enviarme un|una? mensaje|text|texto|whatsapp|sms"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "only ~1 email|text|writing|mail|texts"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "prefer|preferably ~2 email|text|writing|texting|emailing"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "email|text|texting|writing is|would be? best|better|preferred|easier|fine|ideal|easiest"},
	{CUE_OTHER_CHANNEL, 1, CUE_NONE, R_NONEG, "by|via|over|through email|text|writing"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, 0, "in writing"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "keep|stick ~2 to|on email|text|writing"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, 0, "text|sms|whatsapp|message me|us"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "solo|solamente|unicamente ~1 por? email|escrito|text|mensaje|mensajes|whatsapp"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "nada mas por? email|escrito|text|mensaje|mensajes|whatsapp"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, 0, "prefiero|preferimos|prefiere que me|nos escriban|escribas|escriba|manden|envien"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, R_NONEG, "prefiero|preferimos|mejor ~2 email|escrito|text|mensaje|whatsapp"},
	{CUE_OTHER_CHANNEL, 1, CUE_NONE, R_NONEG, "por email|escrito|text|mensaje|whatsapp"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, 0, "escribeme|escribame|escribanme|texteame|textearme|mensajeame"},
	{CUE_OTHER_CHANNEL, 2, CUE_NONE, 0, "mandame|mandeme|mandenme|enviame|envieme|envienme un|una? text|mensaje|whatsapp|sms"},

	/* ---------------------------------------------------------------- unsubscribe */
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "unsubscribe|unsubscribed|unsubscribing|abmelden|austragen|abbestellen"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "remove|delete|erase me|us"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "remove|delete|erase my|our|this ~1 email|address|name|info|information|details|data|number|record|records|account|contact"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "take me|us off"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "remove|delete|take ~3 from|off your|the|this|all|these|ur ~1 list|lists|database|records"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "remove|delete|take ~2 from|off list|lists"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "take my|our|this email|address|name|info|information|number|contact ~1 off"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "remove|delete from ~2 distro|distribution|list|mailing"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "remove|delete it|this now|immediately|asap|please? $"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "off your|the|this|all|these ~1 list|lists"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "opt|opted me|us? out"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "stop|quit|cease emailing|sending|messaging|contacting|spamming|writing|mailing|texting|calling|bugging|harassing|bothering|email|pestering"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "^ stop it|this|now? $"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "^ remove|delete|unsubscribe $"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "^ please stop it|this|now? $"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "^ please remove|delete|unsubscribe me|us? $"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "lose|drop|delete|forget my|this email|address"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "no more email|messages|mail|contact"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "cease|stop|end|halt ~2 communication|communications|correspondence|contact|outreach"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "report|reporting ~3 spam|ftc|authorities|fcc|attorney"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "report|reporting you|this|them|your"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "this|that|it is spam"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "mark|marking|marked|reported|flagged ~2 spam"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "cease and desist"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "quitenme|quiteme|quitame|sacame|saquenme|sacarme|borrenme|borreme|borrarme|eliminenme|elimineme|eliminarme"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "quiten|saquen|borren|eliminen|quitar|sacar|borrar|eliminar ~4 lista|listas|base"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "quiten|borren|eliminen|quitar|borrar|eliminar my ~1 email|informacion|datos|number|nombre"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "no me|nos escriban|escribas|escriba|manden|mandes|envien|envies|contacten|contactes"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "^ baja $"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "^ baja por favor $"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "dar|darme|denme|den|doy|darnos de baja"},
	{CUE_UNSUB, 1, CUE_NONE, R_NONEG, "no ~1 vuelvan|vuelva|vuelvas a ~1 contactar|contactarme|molestar|llamar"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "no ~1 vuelvan|vuelva|vuelvas a ~1 escribir|escribirme|enviar|mandar"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "deje|dejen|dejar|deja de ~1 escribirme|enviarme|mandarme|contactarme|molestarme|llamarme|escribir|enviar|mandar|molestar|contactar"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "no mas email|mensajes|mails"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "es spam"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "eliminada|eliminado|borrada|borrado|removida|removido|dada|dado de su|la|sus base|lista|listas"},
	{CUE_UNSUB, 3, CUE_NONE, R_NONEG, "no se me|nos envien|manden mas"},
	{CUE_UNSUB, 1, CUE_NONE, R_NONEG, "not|never contact|email|message|mail|write|bother|text me|us"},
	{CUE_UNSUB, 1, CUE_NONE, R_NONEG, "not ~3 email|contact|message|mail|write|bother|call|phone|ring me|us again|anymore"},

	/* ---------------------------------------------------------------- wrong person */
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "wrong person|guy|lady|woman|man|individual|contact|recipient|people|household|family|@CAP|party"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "wrong email|address|inbox|mailbox"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "wrong number"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "not the right|correct|intended person|contact|recipient|owner|homeowner|one"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "not a|the? homeowner|owner|property"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "i|this am|is not the? owner|homeowner|person|@CAP"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no @CAP ~1 here"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "nobody|one ~1 by|named|called|with that|this? name"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "nobody|one here ~1 by|named|called"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "not know anyone|anybody|any|a named|called|by"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no such person"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "passed away"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "deceased|died"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "he|she|they|husband|wife|father|mother|dad|mom|owner|@CAP is|was dead"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no longer ~1 works|work|working|employed|with|at|lives|live|living|here|there"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "left the|our? company|firm|organization|organisation|business|agency"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "left us"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "this is a|my|our|the company|business|work|shared|general|office email|address|inbox|account"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "not|never live|lives|lived|work|works|worked here|there|at"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "never lived ~2 in|at"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "not|never own|owned ~2 home|house|property|properties|condo|place|estate"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "confused ~4 with|for someone|somebody"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "mixed up|mistaken identity"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "i|we rent|lease|renting !out"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "i|we am|are ~2 renter|tenant|renters|tenants"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "new owner|owners|homeowner|homeowners"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "contact|talk|speak|reach|email the|my property? owner|landlord|homeowner|owners"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "moved to"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "power of attorney"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "nursing|care home"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "assisted living"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "bought|purchased the|this|that|our house|home|property|place ~2 from"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "persona equivocada|incorrecta"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "email es|era de my hijo|hija|esposo|esposa|papa|mama|padre|madre|hermano|hermana|abuelo|abuela|nieto|nieta"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no soy @CAP"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no vive|vivo|viven|vivimos en esa|esta|la home|propiedad|direccion"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "nunca estuve|estuvo|estuvimos en las|la escrituras|escritura"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "not|never on the deed|title|mortgage"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no tengo|tenemos home|propiedad"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "buscan|busca|buscaban a my papa|hijo|hija|esposo|esposa|mama|padre|madre"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "you mean|want|need my|our son|daughter|father|mother|dad|mom|husband|wife|brother|sister"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "in the|a same? rental"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "i|we check|read|answer|manage|handle his|her|their email|emails|mail|inbox"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "make|handle ~2 financial decisions|matters"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "handle|manage ~2 own affairs|finances"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "son|daughter handles|manages ~3 finances|affairs"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "my|our mother|father|mom|dad|grandmother|grandfather owns|owned the|this house|home|property"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "in memory care"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "property manager"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "it is his|her|their loan|house|home now"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "check|read this email|inbox|account for him|her|them"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "the owner lives|is|lived"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "i am his|her|their roommate|tenant|neighbor|neighbour|exhusband|exwife|ex"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "she|he got the house|home"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "health aide"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "mixed up ~2 with someone|somebody|another"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "am|are|im off the deed|title|loan|mortgage"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "i am using her|his|their|my email|account|computer"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "this|that|it is|was my|our son|daughter|husband|wife|mother|father|mom|dad ~2 old? email|address|account"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "@CAP|he|she left the practice|clinic|office|firm|company|practise"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "never owned @NUM"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "@CAP|he|she retired in|last|from|and|years|this|a|recently|over|back"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "he|she passed $|in|last|on"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "that|this is my|our late"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "you want|mean|need a|the different|another @CAP|person|one"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no a la persona"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "this|i is|am the caregiver|caretaker|aide|carer|nurse for|of"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "i|this am|is her|his|their son|daughter|grandson|granddaughter|caregiver|caretaker $"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "email|direccion pertenece|pertenecen a la? empresa|compania|oficina|negocio"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "my|our late father|mother|husband|wife|dad|mom|brother|sister|son|daughter|uncle|aunt ~2 email|account|address|inbox"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "executor|executrix|administrator of the|his|her estate"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "live|living|lives with my|our parents|mom|dad|mother|father"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "email no es de @CAP"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "nobody|one of that|this name"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "i am the ~1 assistant|secretary|caregiver|receptionist|aide"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "email|direccion equivocado|equivocada|incorrecto|incorrecta"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no vive|vivo|viven|vivimos|trabaja|trabajo aqui|alli|aca|ahi"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "you no vive|trabaja|esta"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "equivocaron|equivoco|equivocado|equivocada|equivocados de persona|email|direccion"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "soy|somos su|la|el hija|hijo|esposa|esposo|cuidadora|cuidador|nieta|nieto|sobrina|sobrino|asistente|secretaria"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "soy|somos la|el hija|hijo|nieta|nieto|cuidadora|cuidador|sobrina|sobrino de"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "fallecio|murio|fallecido|fallecida|difunto|difunta|finado|finada"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no soy|somos ~1 dueno|duena|duenos|propietario|propietaria|propietarios"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "no conozco|conocemos a? nadie|ninguna|ninguno"},
	{CUE_WRONG, 3, CUE_NONE, R_NONEG, "rento|rentamos|alquilo|alquilamos|inquilino|inquilina|inquilinos"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "vendi|vendimos|vendieron la|esa|esta home|propiedad"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "sold the|this|that|our|my house|home|property|place"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "moved out|away"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "update your records"},
	{CUE_WRONG, 1, CUE_NONE, R_NONEG, "i|this am|is his|her|their|@CAP? daughter|son|wife|husband|caregiver|caretaker|"
	 "mother|mom|father|dad|assistant|secretary|executor|attorney|guardian|sister|brother|niece|nephew|grandson|granddaughter"},

	/* ---------------------------------------------------------------- not interested */
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no thanks|thank"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "thanks but no"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not for me|us"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "all set"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "i|we am|are all? good|fine|ok|okay|set $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "already have|got|refinanced|refinance|closed|done|work|working|sold|paid|did|took|signed|using|with|own|"
	 "taken|handled|sorted|covered|decided|approved|found|went|started|bought|locked"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not|no need !to"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not be needing|requiring|pursuing|interested"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not in a|the position"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "absolutely|definitely|certainly|course|hell not $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not|no need to refinance|sell|borrow|move|change|switch|apply|do|talk|hear"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not looking|considering|selling|refinance|planning|borrowing|shopping|moving|buying|pursuing"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not in the market"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no interest"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "kein interesse"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "nicht interessiert"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "uninterested|disinterested"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "will pass"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "going to pass"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "^ pass $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "pass for now"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "hard pass"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not want !to|a|any"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not want a|any|another new? loan|refi|refinance|mortgage|heloc|debt|reverse"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not want to sell|refinance|borrow|move|take|get|be|deal|hear|talk|do|discuss|pursue|risk"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "happy|satisfied|content|fine|good with my|our|the current"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "happy|satisfied|content with my|our"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "stay|staying|stick|sticking with my|our|the"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "paid off"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "owe nothing"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "free and clear"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "own ~2 outright"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not comfortable"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "i|we am|are all? set|sorted|covered|good|fine for|thanks|thank"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "just closed|refinanced|bought|sold"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not for sale"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "leave me|us alone"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "rather not $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "decline|declining"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no way $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not happening|worth"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not a good? fit"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not at this|the time|moment|point|stage"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "hold|holding off"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not ready $"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not ready to sell|refinance|move|commit|decide|do|borrow|make|take"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not in need"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "prefer|rather not to? $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not something|anything ~4 looking|interested|need|want|considering|pursue|pursuing"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not what ~3 looking|need|want|considering"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not right now"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not now|yet|today"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not at present"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not a good time"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "maybe|perhaps later|another|someday|eventually"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "maybe|perhaps next|in year|month|time|future|years|months|while|a|the"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "^ no|nope|never $"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "thanks anyway"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "all good $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "i|we went|go|going|are|decided ~2 with another|a|our|rocket|someone|somebody|them|him|her"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "with another company|lender|broker|bank|credit"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "^ going|went with them|another|our|my"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "so|just no $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "^ nah|no we|i good|fine|ok|set|straight $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "wait for|until rates|rate ~2 drop|come|go|fall"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "never put|risk my|our house|home"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "says|said no $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no refi|refinance|loan for us|me"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "keeping|keep the|our|my loan|mortgage|rate"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not do business with"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not borrow against"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no more debt|loans|loan"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not taking on|out"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "it is still|a no $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "stay|staying put"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "selling|sold the|our|my house|home|place|property"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "why would i|we ~2 refinance|sell|refi"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no gracias"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "gracias pero no"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "ni loco|loca"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no estamos|estoy considerando|pensando|buscando"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "rates|rate|tasas|tasa are|is|son|estan still? too|muy high|altas|alta"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no way i|we would"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no reason ~2 to refinance|refi|change|switch|move"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "fine|happy|good|set as we|i are|am|is"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "thank you but no"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "i|we sold $|and|last|it|already|the|our|in"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "paid the|our|my|it house|home|mortgage|loan? off"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "why ~2 would|should i|we ~2 refinance|refi|sell|move|switch"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "timing|time is not right|good|great|ideal"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not doing that|it|this again"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "i|we have a|my|our lender|broker|banker|bank|guy|person"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "not taking|getting out|on? a|another|any new? loan|mortgage|debt"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "^ lol|haha|lmao|nah no|nope $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "^ no sir|maam|thanks|thank $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "stay out of debt"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "i|we have|owe no mortgage|loan|debt|balance"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not do anything|nothing like that"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "chapter 7|13|seven|thirteen"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "not the time"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "you refinancie|refinanciamos|vendi|vendimos|cerre|cerramos|pague|pagamos|compre|compramos"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "you tengo|tenemos un|una|otro|otra|quien|alguien|con|prestamo|broker|agente|hipoteca|credito|asesor|banco"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "you tengo|tenemos my prestamo|broker|agente|hipoteca|credito|asesor|banco|refinanciamiento"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "no necesito|necesitamos|busco|buscamos|pienso|pensamos|planeamos|planeo !llamada|hablar|que|informacion|info|mas"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "estoy|estamos bien|contento|contenta|contentos|satisfecho|satisfecha|satisfechos con"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "estoy|estamos bien asi|gracias"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "dejenme|dejeme|dejennos|dejanos en paz"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "no por ahora|ahorita"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "no por el momento"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "ahorita|ahora no"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "vez|quizas|quiza mas adelante"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "vez|quizas|quiza despues|luego|pronto"},
	{CUE_NI, 1, CUE_NONE, R_NONEG, "vez|quizas|quiza el proximo"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "^ nel|nop $"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "planning|plan|going to sell"},
	{CUE_NI, 3, CUE_NONE, R_NONEG, "planeamos|vamos|pensamos a? vender|mudarnos"},

	/* ---------------------------------------------------------------- out of office, auto-replies */
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "automatic|automated|auto reply|response|message|email|notification|answer|reponse"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "automatische antwort"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "out of the? office|classroom|country|state|town|district"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "^ auto|autoreply|autoresponse|autoresponder $"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if this is regarding|about|concerning"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if this concerns|regards"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if you need assistance|help|anything"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "expect a delay|delays in my? response|responses|reply|replies"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "should be directed|forwarded|sent to"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "check|checks|checked this? mailbox|email|inbox|emails ~2 occasionally|rarely|once|weekly"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "^ back january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "ooo"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "on|in annual|maternity|paternity|medical|sick|parental|bereavement|family|extended|personal|study? leave"},
		{CUE_OOO, 2, CUE_NONE, R_NONEG, "on my? vacation|holiday|pto|sabbatical|honeymoon|furlough|break"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "limited|no access to ~1 email|internet|e|emails|my|this|account"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "limited|spotty|intermittent|sporadic|reduced|patchy connectivity|access|availability|reception"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "limited|spotty|intermittent|sporadic|reduced|patchy email|internet|wifi ~1 access|connectivity"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "checking|check|reading email|emails|messages ~1 sporadically|intermittently|periodically|occasionally|rarely|infrequently"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "jury duty"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "traveling|travelling|travel ~2 through|until|till|on business"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "will respond|reply|get back|answer ~3 next|monday|tuesday|wednesday|thursday|friday|then|later|when"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "upon|on my return"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "when|after|once|until i get|am back"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "when|after|once|until i return"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "will|shall be? back|returning|return on|in|monday|tuesday|wednesday|thursday|friday|the|next|after"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "^ back on? monday|tuesday|wednesday|thursday|friday|tomorrow|next|soon"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "returning|return to the? office"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "will not be forwarded|monitored|read|checked"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "not monitored"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "no longer monitored"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "in my absence"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "for|if|any|anything urgent|immediate|pressing|timesensitive"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "for|if|any|anything time sensitive|critical"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if it|this is time sensitive"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if it|this is timesensitive|urgent"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if your matter|question|request is timesensitive|urgent"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "slow|delayed|late to|in reply|respond|replying|responding"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "thank|thanks you? for contacting|reaching|writing"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "not be checking|monitoring|reading email|emails|e|my|messages"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "not be responding|answering|replying to|my? email|emails|e|messages"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "store|business|opening hours"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "we are closed"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "office|offices is|are closed"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "office|offices will be closed"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "for|in emergencies|emergency|urgencies|urgent"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "contact|reach my|our colleague|colleagues|assistant|team|partner|office|backup"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "contact|reach|call the front desk|reception|receptionist|main|office"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "please contact|reach @CAP"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "out|home sick"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "sick today|leave"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "on a mission|business|work trip"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "when i|we am|are home|back"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "limited|spotty|no internet|wifi|signal|reception"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "within @NUM hours|business|working"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "you|respond|reply within @NUM days"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "responses|replies|response|reply may|might|will be delayed|slow|slower"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "out showing homes|houses|properties|property"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "need me sooner|urgently|faster"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "when we|i reopen|return"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "immediate assistance"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if ~3 emergency|emergencies"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "i am ~1 away"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "will be ~1 away"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "i am ~1 on leave|vacation|holiday"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "will be ~1 on leave|vacation|holiday"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "if it can not wait"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "currently away|out|travelling|traveling|unavailable"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "away from ~2 office|desk|email|computer"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "away|out|leave until|till|through"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "received your email|message|e|inquiry|enquiry"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "has|have been received"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "high|heavy volume"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "up to ~1 hours|days|business|working"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "thank|thanks you? for your email|message|e|note"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "respond|reply|back ~3 as soon as possible"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "respond|reply|back ~3 asap|shortly"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "within ~1 business|working days|hours|day"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "nicht i am buro|buero"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "abwesend|abwesenheit"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "urlaub"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "respuesta|mensaje|contestacion automatica|automatico"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "autorespuesta"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "auto respuesta"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "fuera de la? oficina"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "de vacaciones|viaje|licencia|incapacidad"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "ausente|ausencia"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "acceso limitado"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "en caso de urgencia|emergencia"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "para asuntos|algo|casos urgentes|urgente"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "regresare|volvere|regresaremos|volveremos"},
	{CUE_OOO, 1, CUE_NONE, R_NONEG, "estare|estaremos de vuelta|regreso"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "estare|estaremos fuera|ausente|ausentes"},
	{CUE_OOO, 3, CUE_NONE, R_NONEG, "sin acceso ~1 email|internet"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "para cualquier urgencia|emergencia|asunto"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "hemos|he recibido su|tu mensaje|email"},
	{CUE_OOO, 2, CUE_NONE, R_NONEG, "in dringenden fallen|faellen"},

	/* ---------------------------------------------------------------- interested */
	{CUE_INT, 2, CUE_NI, 0, "interested|intrigued|curious|interessiert|interesa|interesan|interesado|interesada|interesados|interesadas"},
	{CUE_INT, 2, CUE_NONE, 0, "suena|parece bien|interesante|genial|perfecto|excelente"},
	{CUE_INT, 2, CUE_NONE, 0, "se oye bien|interesante"},
	{CUE_INT, 3, CUE_NONE, 0, "mas informacion|info|detalles"},
	{CUE_INT, 2, CUE_NONE, 0, "quiero|quisiera|gustaria|queremos saber|conocer|informacion|info|aplicar|empezar"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "mandame|mandeme|mandenme|enviame|envieme|envienme|mandar|enviar ~3 informacion|info|detalles|tasas|"
	 "cotizacion|opciones|algo|email|link|enlace|eso|todo|documentos|papeles"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "mandame|mandeme|mandenme|enviame|envieme|envienme"},
	{CUE_INT, 2, CUE_NI, 0, "interesting"},
	{CUE_INT, 2, CUE_NI, 0, "sounds|looks|seems good|great|interesting|nice|promising|fine|ok|perfect|amazing|awesome|intriguing"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "send|email|mail|forward|shoot|drop ~3 info|information|details|brochure|rates|rate|quote|quotes|"
	 "more|something|link|options|figures|numbers|documents|paperwork|materials|proposal|terms|offer"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "send|email|mail|forward|shoot|drop ~3 invite|invitation|sheet|whatever|everything|pricing|"
	 "breakdown|packet|pdf|calendar|availability|it|them|that|this|anything|summary|website|overview"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "send|email|mail|forward me|us|over"},
	{CUE_INT, 3, CUE_NONE, 0, "more info|information|details"},
	{CUE_INT, 3, CUE_NONE, 0, "learn|know|hear|understand|see|read ~2 more"},
	{CUE_INT, 3, CUE_NONE, 0, "find out more"},
	{CUE_INT, 3, CUE_NONE, 0, "tell me ~3 more|about"},
	{CUE_INT, 2, CUE_NONE, 0, "need ~1 from me|us"},
	{CUE_INT, 3, CUE_NONE, 0, "like|love|want|need|request|welcome an|a appointment|meeting|consultation"},
	{CUE_INT, 2, CUE_NONE, 0, "what times|slots|days ~2 available|have|free|open"},
	{CUE_INT, 3, CUE_NONE, 0, "next step|steps"},
	{CUE_INT, 3, CUE_NONE, 0, "sign me|us up"},
	{CUE_INT, 3, CUE_NONE, 0, "sign up"},
	{CUE_INT, 3, CUE_NONE, 0, "count me|us in"},
	{CUE_INT, 3, CUE_NONE, 0, "where|how do i|we sign|start|apply|begin|proceed"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "calendar|calendly|booking|scheduling|meeting link|invite|invitation"},
	{CUE_INT, 3, CUE_NONE, 0, "book|schedule|setup a|an time|slot|meeting|appointment|consultation|zoom|video|demo|visit"},
	{CUE_INT, 3, CUE_NONE, 0, "set up a|an time|slot|meeting|appointment|consultation|zoom|video|demo|visit"},
	{CUE_INT, 3, CUE_NONE, 0, "zoom|teams|meet|video|facetime|skype meeting|call|chat|conference"},
	{CUE_INT, 2, CUE_NONE, 0, "fill out|in"},
	{CUE_INT, 2, CUE_NONE, 0, "like|love|want to know|learn|hear|see|get|understand|find|explore|apply|proceed|move"},
	{CUE_INT, 2, CUE_NONE, 0, "let me|us know"},
	{CUE_INT, 2, CUE_NONE, 0, "stop|come|drop|swing by your|the office"},
	{CUE_INT, 3, CUE_NONE, 0, "what is next $"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "hiciera|haga|hagan|hicieran llegar"},
	{CUE_INT, 2, CUE_NONE, 0, "go ahead"},
	{CUE_INT, 2, CUE_NONE, 0, "please do !not"},
	{CUE_INT, 2, CUE_NONE, 0, "yes please"},
	{CUE_INT, 2, CUE_NONE, 0, "let us do it|this"},
	{CUE_INT, 2, CUE_NONE, 0, "^ i|we am|are in $"},
	{CUE_INT, 2, CUE_NI, 0, "open to it|this|that|hearing|learning|discussing|the|options|suggestions|ideas"},
	{CUE_INT, 2, CUE_NONE, 0, "get back to you"},
	{CUE_INT, 2, CUE_NONE, 0, "will review|consider|look"},
	{CUE_INT, 2, CUE_NONE, 0, "your number|phone|cell|contact|direct"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "i|we will|would|can|could|shall|might|may give you a call|ring|buzz"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "i|we will|would|can|could|shall|might|may call|phone|ring you"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "can|could|may|should i|we call|phone|ring you"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "i|we will|would|can|shall|might call|phone|ring your|the office|number|line|desk"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "i|we will|would|shall reach out|touch base"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "yo le|te|les llamo|llamare|marco|marcare"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "le|te|les voy a llamar|marcar"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "i|we am|are calling|ringing|phoning you"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "i|we tried calling|phoning|ringing"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "will try you|again"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "have my|our ea|assistant|secretary|husband|wife|partner call|contact|reach you|your"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "he|she|they will reach out|call"},
	{CUE_WILL_CALL, 2, CUE_NONE, 0, "i|we will|would try calling|ringing|phoning you"},
	{CUE_WRITTEN, 3, CUE_NONE, 0, "email|send|write ~1 my|our husband|wife|partner|accountant|spouse|son|daughter"},
	{CUE_AFFIRM, 1, CUE_NONE, 0, "yes|sure|absolutely|definitely|certainly|ok|alright|perfect|great|ja|please|gladly|happy"},
	{CUE_AFFIRM, 1, CUE_NONE, 0, "of course"},
	{CUE_AFFIRM, 1, CUE_NONE, 0, "why not"},
	{CUE_AFFIRM, 1, CUE_NONE, 0, "sounds good"},
	{CUE_AFFIRM, 1, CUE_NONE, 0, "^ si|claro|dale|vale|orale|okey|sale"},
	{CUE_AFFIRM, 1, CUE_NONE, 0, "por supuesto|con gusto|esta bien|de acuerdo"},

	/* ---------------------------------------------------------------- questions */
	{CUE_QUEST, 3, CUE_NONE, R_NONEG, "how|where did|do you get|find|obtain|have my|this|our"},
	{CUE_QUEST, 3, CUE_NONE, R_NONEG, "who gave|sold|sent|told|gives you"},
	{CUE_QUEST, 3, CUE_NONE, R_NONEG, "who is this|are you"},
	{CUE_QUEST, 3, CUE_NONE, R_NONEG, "is this legit|real|a|legal|legitimate"},
	{CUE_QUEST, 3, CUE_NONE, R_NONEG, "do i know you"},
	{CUE_QUEST, 2, CUE_NONE, R_NONEG, "what is this|it about"},
	{CUE_QUEST, 1, CUE_NONE, R_NONEG, "^ what|how|who|why|when|where|which|whose|is|are|do|does|did|can|could|would|will|should|may|am|was"},
	{CUE_QUEST, 3, CUE_NONE, R_NONEG, "como|donde consiguieron|obtuvieron|sacaron|tienen my"},
	{CUE_QUEST, 3, CUE_NONE, R_NONEG, "quien es|eres|son|habla"},
	{CUE_QUEST, 1, CUE_NONE, R_NONEG, "^ que|como|cuanto|cuanta|cuantos|cuando|donde|cual|cuales|hay|tienen|cobran"},
};

#define NRULES ((int) (sizeof(rule_defs) / sizeof(rule_defs[0])))

static Rule rules[NRULES];
/* rules by the id of their first element's words: CSR index */
static uint16_t first_start[RV_MAX + 1];
static uint16_t first_rules[NRULES * MAX_ALTS];
static bool rules_ready = false;
static int	rules_failed = -1;	/* index of the first malformed rule, -1 if none */

static uint16_t id_if, id_you, id_could, id_can, id_would, id_let, id_me, id_us, id_him, id_her,
			id_them, id_again, id_anymore, id_ever, id_my, id_our, id_before, id_after, id_until,
			id_between, id_during, id_at, id_on, id_in, id_the, id_mind, id_have, id_get,
			id_going, id_am, id_to, id_work, id_office, id_this, id_that, id_al, id_there, id_here, id_probably,
			id_out, id_while, id_so, id_yes, id_all, id_any, id_keep, id_kept, id_serious;

/* Compiles one pattern; false if it does not fit the limits. */
static bool
compile(const char *src, Rule *r)
{
	const char *p = src;

	memset(r, 0, sizeof(*r));
	while (*p)
	{
		const char *e = p;
		PElem	   *el;

		while (*e && *e != ' ')
			e++;
		if (e - p == 1 && *p == '^')
			r->anchor_start = true;
		else if (e - p == 1 && *p == '$')
			r->anchor_end = true;
		else
		{
			const char *q = p;
			const char *stop = e;

			if (r->nel >= MAX_ELEMS)
				return false;
			el = &r->el[r->nel++];
			if (*q == '~')
			{
				el->gap = (uint8_t) (q[1] - '0');
				p = *e ? e + 1 : e;
				continue;
			}
			if (*q == '!')
			{
				el->not_ahead = true;
				q++;
			}
			if (stop[-1] == '?')
			{
				el->optional = true;
				stop--;
			}
			while (q < stop)
			{
				const char *a = q;
				uint16_t	id;

				while (a < stop && *a != '|')
					a++;
				if (el->nids >= MAX_ALTS)
					return false;
				if (*q == '@')
				{
					if (a - q == 6 && memcmp(q, "@PHONE", 6) == 0)
						id = RV_PHONE;
					else if (a - q == 4 && memcmp(q, "@NUM", 4) == 0)
						id = RV_NUM;
					else if (a - q == 6 && memcmp(q, "@EMAIL", 6) == 0)
						id = RV_EMAIL;
					else if (a - q == 4 && memcmp(q, "@URL", 4) == 0)
						id = RV_URL;
					else if (a - q == 4 && memcmp(q, "@CAP", 4) == 0)
						id = RV_CAP;
					else
						return false;
				}
				else
					id = reply_vocab_intern(q, (int) (a - q));
				if (id == RV_UNKNOWN)
					return false;
				el->ids[el->nids++] = id;
				q = a < stop ? a + 1 : a;
			}
		}
		p = *e ? e + 1 : e;
	}
	r->tight = r->nel > 0;
	for (int k = 0; k < r->el[0].nids; k++)
		r->tight &= (reply_vocab_class(r->el[0].ids[k]) & WC_NEGATOR) != 0;
	/* the first element is what the index looks up: no gap, look-ahead or option */
	return r->nel > 0 && r->el[0].gap == 0 && !r->el[0].not_ahead && !r->el[0].optional;
}

/* Builds the vocabulary and compiles the rules, once per process. */
void
reply_rules_init(void)
{
	uint16_t	counts[RV_MAX + 1];
	uint16_t	fill[RV_MAX + 1];

	if (rules_ready)
		return;
	reply_vocab_init();
	for (int i = 0; i < NRULES; i++)
		if (!compile(rule_defs[i].pattern, &rules[i]))
		{
			rules[i].nel = 0;	/* matches nothing; reply_rules_broken() names it */
			if (rules_failed < 0)
				rules_failed = i;
		}

	memset(counts, 0, sizeof(counts));
	for (int i = 0; i < NRULES; i++)
		for (int k = 0; rules[i].nel > 0 && k < rules[i].el[0].nids; k++)
			counts[rules[i].el[0].ids[k]]++;
	first_start[0] = 0;
	for (int id = 0; id < RV_MAX; id++)
		first_start[id + 1] = first_start[id] + counts[id];
	memcpy(fill, first_start, sizeof(fill));
	for (int i = 0; i < NRULES; i++)
		for (int k = 0; rules[i].nel > 0 && k < rules[i].el[0].nids; k++)
			first_rules[fill[rules[i].el[0].ids[k]]++] = (uint16_t) i;

#define ID(v, s) v = reply_vocab_intern(s, (int) strlen(s))
	ID(id_if, "if");
	ID(id_you, "you");
	ID(id_could, "could");
	ID(id_can, "can");
	ID(id_would, "would");
	ID(id_let, "let");
	ID(id_me, "me");
	ID(id_us, "us");
	ID(id_him, "him");
	ID(id_her, "her");
	ID(id_them, "them");
	ID(id_again, "again");
	ID(id_anymore, "anymore");
	ID(id_ever, "ever");
	ID(id_my, "my");
	ID(id_our, "our");
	ID(id_before, "before");
	ID(id_after, "after");
	ID(id_until, "until");
	ID(id_between, "between");
	ID(id_during, "during");
	ID(id_at, "at");
	ID(id_on, "on");
	ID(id_in, "in");
	ID(id_the, "the");
	ID(id_work, "work");
	ID(id_office, "office");
	ID(id_this, "this");
	ID(id_that, "that");
	ID(id_al, "al");
	ID(id_there, "there");
	ID(id_here, "here");
	ID(id_probably, "probably");
	ID(id_out, "out");
	ID(id_while, "while");
	ID(id_all, "all");
	ID(id_keep, "keep");
	ID(id_serious, "serious");
	ID(id_kept, "kept");
	ID(id_any, "any");
	ID(id_so, "so");
	ID(id_yes, "yes");
	ID(id_mind, "mind");
	ID(id_have, "have");
	ID(id_get, "get");
	ID(id_going, "going");
	ID(id_am, "am");
	ID(id_to, "to");
#undef ID
	rules_ready = true;
}

/*
 * The pattern of the first rule that did not compile (too many words or
 * alternatives, an unknown class), or NULL when all did.
 */
const char *
reply_rules_broken(void)
{
	reply_rules_init();
	return rules_failed >= 0 ? rule_defs[rules_failed].pattern : NULL;
}

/* Whether token t can take part in a phrase in the body. */
static inline bool
phrase_token(const ReplyWork *w, int t)
{
	return t < w->ntoks && w->toks[t].kind != TK_BOUND && !(w->toks[t].flags & TF_SIG);
}

/* The next token from t that is not soft (t itself for a tight rule). */
static inline int
skip_soft(const ReplyWork *w, const Rule *r, int t)
{
	if (r != NULL && r->tight)
		return t;
	while (t < w->ntoks && w->toks[t].kind == TK_SOFT && !(w->toks[t].flags & TF_SIG))
		t++;
	return t;
}

/* Whether token t is one of the element's alternatives. */
static bool
elem_matches(const PElem *el, const RTok *tok)
{
	for (int k = 0; k < el->nids; k++)
	{
		uint16_t	id = el->ids[k];

		if (id == tok->id && (tok->kind != TK_WORD || id != RV_UNKNOWN))
			return true;
		if (id == RV_CAP && tok->kind == TK_WORD && (tok->flags & TF_CAP))
			return true;
	}
	return false;
}

/* Whether t is at the end of a clause (a boundary, a soft separator or the end). */
static bool
at_clause_end(const ReplyWork *w, int t)
{
	return t >= w->ntoks || w->toks[t].kind == TK_BOUND || w->toks[t].kind == TK_SOFT ||
		(w->toks[t].flags & TF_SIG);
}

/* Matches elements e.. of rule r from token t; the end token, or -1. */
static int
match_from(const ReplyWork *w, const Rule *r, int e, int t)
{
	const PElem *el;
	int			u;

	if (e == r->nel)
	{
		if (r->anchor_end && !at_clause_end(w, t))
			return -1;
		return t;
	}
	el = &r->el[e];
	if (el->gap > 0)
	{
		u = t;
		for (int k = 0; k <= el->gap; k++)
		{
			int			m = match_from(w, r, e + 1, u);

			if (m >= 0)
				return m;
			u = skip_soft(w, r, u);
			if (!phrase_token(w, u) || w->toks[u].kind == TK_SOFT)
				return -1;
			u++;
		}
		return -1;
	}
	u = skip_soft(w, r, t);
	if (el->not_ahead)
	{
		if (phrase_token(w, u) && elem_matches(el, &w->toks[u]))
			return -1;
		return match_from(w, r, e + 1, t);
	}
	if (phrase_token(w, u) && elem_matches(el, &w->toks[u]))
	{
		int			m = match_from(w, r, e + 1, u + 1);

		if (m >= 0)
			return m;
	}
	if (el->optional)
		return match_from(w, r, e + 1, t);
	return -1;
}

/* Whether token t starts a clause (after a boundary or a soft separator). */
static bool
clause_start(const ReplyWork *w, int t)
{
	int			u = t - 1;

	return u < 0 || w->toks[u].kind == TK_BOUND || w->toks[u].kind == TK_SOFT ||
		((w->toks[u].flags & TF_SIG) != 0);
}

/*
 * The nearest of the max words before token start, in its clause, with a
 * word class of mask, or -1: the walk back stops at anything but a word
 * and at a contrast word ("but", "however").
 */
static int
word_before(const ReplyWork *w, int start, int max, uint32_t mask)
{
	int			seen = 0;

	for (int u = start - 1; u >= 0 && seen < max; u--)
	{
		const RTok *tok = &w->toks[u];
		uint32_t	wc;

		if (tok->kind != TK_WORD)
			return -1;
		wc = reply_vocab_class(tok->id);
		if (wc & WC_CONTRAST)
			return -1;
		if (wc & mask)
			return u;
		seen++;
	}
	return -1;
}

/*
 * Whether a negator stands among the three words before token start, in
 * its clause: "not interested", "don't call me", "never really wanted".
 */
static bool
token_negated(const ReplyWork *w, int start)
{
	int			u = word_before(w, start, 3, WC_NEGATOR);

	if (u < 0)
		return false;
	/* "not only", "no problem", "not sure": no negation of what follows */
	return !(u + 1 < w->ntoks && w->toks[u + 1].kind == TK_WORD &&
			 (reply_vocab_class(w->toks[u + 1].id) & WC_NEG_EXCEPT));
}

/*
 * Whether a call request at token start is not one: a condition or
 * complaint among the five words before it in its clause ("if you call me
 * again", "why did you call me", "keep calling me"), except a polite "if
 * you could" or "if you have/get".
 */
static bool
call_blocked(const ReplyWork *w, int start)
{
	int			u = word_before(w, start, 5, WC_CALL_BLOCKER);

	if (u < 0)
		return false;
	/* "you keep emailing, so call me": "keep" blocks only "keep calling" */
	if ((w->toks[u].id == id_keep || w->toks[u].id == id_kept) && u + 1 < start &&
		!(reply_vocab_class(w->toks[u + 1].id) & WC_CALL_WORD))
		return false;
	/* "If you're serious, call me", "it's easier if you call me" */
	if (w->toks[u].id == id_if && ((u + 3 < start && w->toks[u + 1].id == id_you &&
									w->toks[u + 3].id == id_serious) ||
								   (u > 0 && (reply_vocab_class(w->toks[u - 1].id) & WC_PREFER))))
		return false;
	/* "If so, call me", "if yes call" */
	if (w->toks[u].id == id_if && u + 1 < start && (w->toks[u + 1].id == id_so || w->toks[u + 1].id == id_yes))
		return false;
	if (w->toks[u].id == id_if && u + 2 < start && w->toks[u + 1].id == id_you &&
		((reply_vocab_class(w->toks[u + 2].id) & WC_MODAL) ||
		 w->toks[u + 2].id == id_have || w->toks[u + 2].id == id_get))
		return false;
	return true;
}

/*
 * Whether the lead is the subject of the call verb at start: "I'll call
 * you", "we can call back", "let me call", "I'm going to call".
 */
static bool
lead_calls(const ReplyWork *w, int start)
{
	int			u = start - 1;

	if (u >= 0 && w->toks[u].kind == TK_WORD && w->toks[u].id == id_let)
		return true;
	if (u >= 0 && w->toks[u].kind == TK_WORD && (reply_vocab_class(w->toks[u].id) & WC_MODAL))
		return u >= 1 && (reply_vocab_class(w->toks[u - 1].id) & WC_SUBJECT);
	if (u >= 1 && w->toks[u].id == id_to && w->toks[u - 1].id == id_going)
		return u >= 3 && w->toks[u - 2].id == id_am;
	return u >= 0 && w->toks[u].kind == TK_WORD && (reply_vocab_class(w->toks[u].id) & WC_SUBJECT);
}

/* Whether the phrase at token t is said of a phone or a line ("the cell doesn't work out here"). */
static bool
said_of_device(const ReplyWork *w, int t)
{
	int			first = t;

	/* the up to three words just before it */
	while (first > 0 && first > t - 3 && w->toks[first - 1].kind == TK_WORD)
		first--;
	return reply_span_has(w, first, t, WC_DEVICE);
}

/*
 * Whether the phrase at token t is said of the reader ("you should already
 * have it", "you probably already have my number"): "you" just before it,
 * a modal or an adverb between.
 */
static bool
said_of_you(const ReplyWork *w, int t)
{
	for (int k = t - 1; k >= 0 && k >= t - 3 && w->toks[k].kind == TK_WORD; k--)
	{
		if (w->toks[k].id == id_you)
			return true;
		if (!(reply_vocab_class(w->toks[k].id) & WC_MODAL) && w->toks[k].id != id_probably)
			return false;
	}
	return false;
}

/* Whether a negator stands among tokens [start, end). */
static bool
negator_inside(const ReplyWork *w, int start, int end)
{
	for (int k = start; k < end; k++)
		if (w->toks[k].kind == TK_WORD && (reply_vocab_class(w->toks[k].id) & WC_NEGATOR) &&
			!(k + 1 < w->ntoks && (reply_vocab_class(w->toks[k + 1].id) & WC_NEG_EXCEPT)))
			return true;
	return false;
}

/* Whether tokens [start, end) name a line ("don't use the cell number"): a refusal of that line only. */
static bool
names_line(const ReplyWork *w, int start, int end)
{
	return reply_span_has(w, start, end, WC_LINE);
}

/* Whether token t and the next read "at all", "at any time", "on any ...": every call, not some. */
static bool
at_all(const ReplyWork *w, int t)
{
	return (w->toks[t].id == id_at || w->toks[t].id == id_on) && t + 1 < w->ntoks &&
		w->toks[t + 1].kind == TK_WORD && (w->toks[t + 1].id == id_all || w->toks[t + 1].id == id_any);
}

/* Whether a refusal of calls ending before token t names only some calls. */
static bool
refusal_is_local(const ReplyWork *w, int t)
{
	t = skip_soft(w, NULL, t);
	/* "don't call 480-555-0119": that number */
	if (phrase_token(w, t) && w->toks[t].kind == TK_PHONE)
		return true;
	if (!phrase_token(w, t) || w->toks[t].kind != TK_WORD)
		return false;
	if (w->toks[t].id == id_there || w->toks[t].id == id_here || w->toks[t].id == id_out ||
		w->toks[t].id == id_while || w->toks[t].id == id_during)
		return true;
	/* "please don't call me there", "... me at work": a place or a line */
	if ((w->toks[t].id == id_me || w->toks[t].id == id_us) && t + 1 < w->ntoks && phrase_token(w, t + 1) &&
		w->toks[t + 1].kind == TK_WORD &&
		(w->toks[t + 1].id == id_there || w->toks[t + 1].id == id_here || w->toks[t + 1].id == id_at ||
		 w->toks[t + 1].id == id_on || w->toks[t + 1].id == id_before || w->toks[t + 1].id == id_after) &&
		!at_all(w, t + 1))
		return true;
	if (at_all(w, t))
		return false;			/* "don't call at all", "on any line" */
	return w->toks[t].id == id_my || w->toks[t].id == id_our || w->toks[t].id == id_before ||
		w->toks[t].id == id_after || w->toks[t].id == id_until || w->toks[t].id == id_between ||
		w->toks[t].id == id_during || w->toks[t].id == id_at || w->toks[t].id == id_on ||
		w->toks[t].id == id_in || w->toks[t].id == id_the || w->toks[t].id == id_work ||
		w->toks[t].id == id_office || w->toks[t].id == id_this || w->toks[t].id == id_that ||
		w->toks[t].id == id_al ||
		(reply_vocab_class(w->toks[t].id) & WC_CALL_WORD) != 0;
}

/* Records a hit. */
static void
add_hit(ReplyWork *w, uint8_t kind, uint8_t strength, int start, int end, bool negated)
{
	RHit	   *h;

	if (w->nhits >= RW_MAX_HITS)
		return;
	h = &w->hits[w->nhits++];
	h->kind = kind;
	h->strength = strength;
	h->start = (int16_t) start;
	h->end = (int16_t) end;
	h->negated = negated;
}

/* Runs rule ri from token t: records a hit if it matches there. */
static void
match_rule(ReplyWork *w, int ri, int t)
{
	const Rule *r = &rules[ri];
	const RuleDef *d = &rule_defs[ri];
	int			end;
	uint8_t		kind = d->kind;

	if (r->anchor_start && !clause_start(w, t))
		return;
	end = match_from(w, r, 1, t + 1);
	if (end < 0)
		return;
	/* "Phone: (202) 555 0127" is a label, not "Phone!" */
	if (d->kind == CUE_CALL && end == t + 1 && end < w->ntoks && w->toks[end].kind == TK_SOFT &&
		w->text[w->toks[end].start] == ':')
		return;
	if ((d->flags & R_VERB) && lead_calls(w, t))
		return;
	if ((d->flags & R_BLOCKERS) && call_blocked(w, t))
		return;
	if (d->kind == CUE_NI && said_of_you(w, t))
		return;
	if (d->kind == CUE_WRONG && said_of_device(w, t))
		return;				/* "the cell doesn't work at our place" */
	if (!(d->flags & R_NONEG) && token_negated(w, t))
	{
		if (d->negkind == CUE_NONE)
			return;
		kind = d->negkind;
	}
	else if (d->kind == CUE_CALL && negator_inside(w, t + 1, end))
	{
		/* "don't reach me by phone" matched from "do": the negator inside makes it a refusal */
		if (d->negkind == CUE_NONE)
			return;
		kind = d->negkind;
	}
	if (kind == CUE_BLOCK && ((d->flags & R_SCOPE) || d->kind == CUE_CALL) &&
		(refusal_is_local(w, end) || (d->kind == CUE_CALL && names_line(w, t, end))))
		kind = CUE_LOCAL_BLOCK;
	add_hit(w, kind, kind == d->kind ? d->strength : 3, t, end, kind != d->kind);
}

/* Runs every rule over the body's tokens into w->hits. */
void
reply_match_rules(ReplyWork *w)
{
	w->nhits = 0;
	for (int t = 0; t < w->ntoks; t++)
	{
		const RTok *tok = &w->toks[t];
		uint16_t	id = tok->id;
		bool		cap = tok->kind == TK_WORD && (tok->flags & TF_CAP);

		if (tok->kind == TK_BOUND || tok->kind == TK_SOFT || (tok->flags & TF_SIG) || id >= RV_MAX ||
			(tok->kind == TK_WORD && id == RV_UNKNOWN && !cap))
			continue;
		/* the rules that start with the word, then (a name) those that start with @CAP */
		for (int pass = 0; pass < (cap ? 2 : 1); pass++)
		{
			uint16_t	key = pass == 0 ? id : RV_CAP;

			if (pass == 0 && tok->kind == TK_WORD && id == RV_UNKNOWN)
				continue;
			for (int k = first_start[key]; k < first_start[key + 1]; k++)
				match_rule(w, first_rules[k], t);
		}
	}
}
