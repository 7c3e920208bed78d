/*
 * ended_reason.c
 *	  What a Vapi endedReason means for the lead: answered, did not answer, or
 *	  a failure that is not the lead's (the provider's, or our quota).
 *
 * Vapi's endedReason enum has hundreds of values and grows; the reference
 * (../shared/reference/vapi.md) names the no-answer reasons and the prefixes
 * of connection failures.  Classification is by those names, SIP codes and
 * prefixes, and the raw value is always kept beside the class.
 */
#include "pool/pool_engine.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(vapi_pool_classify_ended_reason);

/* The lead did not pick up: these count as a call attempt. */
static const char *const no_answer_reasons[] = {
	"customer-did-not-answer",
	"customer-busy",
	"voicemail",
	"call.forwarding.no-answer",
	"call.forwarding.operator-busy",
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

/* SQL: classify_ended_reason(text) -> answered | no_answer | provider_error. */
Datum
vapi_pool_classify_ended_reason(PG_FUNCTION_ARGS)
{
	char	   *reason = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *cls = vp_classify_ended_reason(reason);

	if (cls == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(cls));
}
