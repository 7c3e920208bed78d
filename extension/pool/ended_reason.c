/*
 * ended_reason.c
 *	  What a Vapi endedReason means for the lead: answered, did not answer,
 *	  reached by voicemail (a machine answered), or a failure that is not the
 *	  lead's (the provider's, or our quota).
 *
 * Vapi's endedReason enum has hundreds of values and grows; the reference
 * (../shared/reference/vapi.md) names the no-answer reasons and the prefixes
 * of connection failures.  Classification is by those names, SIP codes and
 * prefixes, and the raw value is always kept beside the class.
 *
 * A machine is only ever reported as "voicemail": of the 597 values of
 * CallEndedReason in @vapi-ai/server-sdk 2.0.1 it is the one that means
 * voicemail detection found a machine (with a voicemailMessage, Vapi spoke
 * it first).  Without voicemail detection a machine ends like a person who
 * hung up (customer-ended-call, silence-timed-out), which is why every
 * create-call configures detection (docs/pool_engine.md, "Voicemail").  A
 * voicemail counts as an attempt exactly as no answer does; it is its own
 * class so that the call log says a message may have been left.
 */
#include "pool/pool_engine.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(vapi_pool_classify_ended_reason);

/* The lead did not pick up: these count as a call attempt. */
static const char *const no_answer_reasons[] = {
	"customer-did-not-answer",
	"customer-busy",
	"call.forwarding.no-answer",
	"call.forwarding.operator-busy",
};

/* Voicemail detection found a machine: an attempt, and maybe a message left. */
static const char *const voicemail_reasons[] = {
	"voicemail",
};

/*
 * SIP answers that mean the callee's phone did not take the call: request
 * timeout, temporarily unavailable, busy here, request terminated, decline.
 */
static const char *const no_answer_sip_codes[] = {
	"sip-408-", "sip-480-", "sip-486-", "sip-487-", "sip-603-",
};

/* The call failed on our or the provider's side: retried without counting. */
static const char *const provider_prefixes[] = {
	"twilio-failed-to-connect-call",
	"vonage-",
	"telnyx-failed-to-connect-call",
	"call.start.error-",
	"call.in-progress.error-",
	"pipeline-error-",
	"phone-call-provider-",
};

static const char *const provider_infixes[] = {
	"providerfault", "vapifault",
};

/* The class of an endedReason, or NULL for an empty one. */
const char *
vp_classify_ended_reason(const char *reason)
{
	if (reason[0] == '\0')
		return NULL;
	for (int i = 0; i < lengthof(voicemail_reasons); i++)
		if (strcmp(reason, voicemail_reasons[i]) == 0)
			return "voicemail";
	for (int i = 0; i < lengthof(no_answer_reasons); i++)
		if (strcmp(reason, no_answer_reasons[i]) == 0)
			return "no_answer";
	for (int i = 0; i < lengthof(no_answer_sip_codes); i++)
		if (strstr(reason, no_answer_sip_codes[i]) != NULL)
			return "no_answer";
	for (int i = 0; i < lengthof(provider_prefixes); i++)
		if (strncmp(reason, provider_prefixes[i], strlen(provider_prefixes[i])) == 0)
			return "provider_error";
	for (int i = 0; i < lengthof(provider_infixes); i++)
		if (strstr(reason, provider_infixes[i]) != NULL)
			return "provider_error";
	return "answered";
}

/* SQL: classify_ended_reason(text) -> answered | no_answer | voicemail | provider_error. */
Datum
vapi_pool_classify_ended_reason(PG_FUNCTION_ARGS)
{
	char	   *reason = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *cls = vp_classify_ended_reason(reason);

	if (cls == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(cls));
}
