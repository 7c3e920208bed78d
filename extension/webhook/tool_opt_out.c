/*
 * tool_opt_out.c
 *	  Opt-outs said on the phone (release 0.7.0, issue 20): a caller who asks
 *	  Barbara or Voxanne not to be called or texted again is taken off the
 *	  organisation's list by either of two ways, so that one the model missed
 *	  is caught by the other.
 *
 *	 record_opt_out   the assistants' tool, called while the caller is on
 *	                  the line; it answers sentences the model says and acts
 *	                  on (tell the caller, end the call)
 *	 doNotCall        analysis.structuredData.doNotCall of the end-of-call
 *	                  report: the assistants' analysisPlan asks Vapi's model
 *	                  after every call whether the caller asked not to be
 *	                  contacted; true records the opt-out too
 *
 * Whose number: always the call's other party -- Vapi's call.customer.number
 * (the caller of an inbound call, the lead an outbound call rang), else the
 * other party on the call's log -- never a number the model passes, so a
 * caller can take only themselves off the list.  A call the log says is
 * the broker calling a pool number (inbound_from_broker: the Call
 * Connector, whose customer is the broker) has no such party: neither way
 * lists anybody, and the tool tells the model so.  Both ways go through
 * vp_record_opt_out (compliance/opt_out.c), sources 'assistant' and
 * 'call_report': the number on the organisation's do_not_call list, its
 * leads do_not_call, what was queued for it cancelled and its pool numbers
 * released.  Recording it twice changes nothing.
 *
 * The reason stored is where the opt-out was said (the call), and for the
 * tool the model's own words about it, redacted (redact_pii): the list is
 * read by operators, and the model may repeat what the caller said.
 */
#include "compliance/compliance.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "webhook/tool_opt_out.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

/* the longest reason the model may add, in characters */
#define REASON_MAX_CHARS "200"

/* what the model is told to do when nothing could be recorded */
#define WHEN_NOT_RECORDED \
	"Tell the caller their request is noted and that the office will take them off the list, " \
	"then end the call politely."

/*
 * The organisation's name, the call's other party (Vapi's customer number
 * $2, read in the organisation's region, else the call's log: the lead an
 * outbound call rang, the caller of an inbound one; none when the log says
 * the broker called), that number as it is said (spoken_phone_number:
 * 415-555-0123), the reason to store: where it was said ($4), then the
 * model's words ($5), trimmed, cut and redacted; and whether the log says
 * the broker called (inbound_from_broker).
 */
static VpPlan call_party = {
	.sql = "SELECT o.name, n.phone, vapi_pool.spoken_phone_number(n.phone),"
	"   pg_catalog.concat_ws(': ', $4,"
	"     vapi_pool.redact_pii(pg_catalog.left(nullif(pg_catalog.btrim($5), ''), " REASON_MAX_CHARS "))),"
	"   coalesce(l.direction = 'inbound_from_broker', false)"
	" FROM vapi_pool.orgs o"
	" LEFT JOIN vapi_pool.vapi_call_logs l ON l.org_id = o.org_id AND l.vapi_call_id = $3"
	" CROSS JOIN LATERAL (SELECT CASE WHEN l.direction IS DISTINCT FROM 'inbound_from_broker' THEN"
	"   coalesce(vapi_pool.e164_try_parse($2, o.default_region),"
	"     CASE WHEN l.direction = 'outbound_to_lead' THEN l.to_e164 ELSE l.from_e164 END) END AS phone) n"
	" WHERE o.org_id = $1",
	.nargs = 5, .argtypes = {UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

/* the columns of call_party */
enum
{
	PARTY_COL_ORG_NAME = 1,
	PARTY_COL_PHONE,
	PARTY_COL_SPOKEN,
	PARTY_COL_REASON,
	PARTY_COL_BROKER_CALL
};

/* The call's other party, as call_party reads it. */
typedef struct CallParty
{
	char	   *org_name;		/* NULL: no such organisation */
	bool		broker_call;	/* the broker called (inbound_from_broker): no party */
	bool		has_phone;
	Datum		phone;			/* e164 */
	char	   *spoken;
	char	   *reason;
} CallParty;

/*
 * Reads the call's other party (call_party) into *p: where (said) and why
 * (words: the model's, or NULL) make the reason.
 */
static void
read_party(Datum org, const char *call_id, const char *customer, const char *said, const char *words,
		   CallParty *p)
{
	Datum		v[5];
	char		n[5] = "     ";
	bool		isnull;

	memset(p, 0, sizeof(*p));
	v[0] = org;
	v[1] = vp_text_arg(customer, &n[1]);
	v[2] = vp_text_arg(call_id, &n[2]);
	v[3] = CStringGetTextDatum(said);
	v[4] = vp_text_arg(words, &n[4]);
	vp_execute(&call_party, v, n, 1);
	if (SPI_processed == 0)
		return;
	p->org_name = TextDatumGetCString(vp_getdatum(0, PARTY_COL_ORG_NAME, &isnull));
	p->broker_call = DatumGetBool(vp_getdatum(0, PARTY_COL_BROKER_CALL, &isnull));
	p->phone = vp_getdatum(0, PARTY_COL_PHONE, &isnull);
	p->has_phone = !isnull;
	if (!p->has_phone)
		return;
	/* an e164 is an int64: copied out of the result, which later statements may free */
	p->phone = Int64GetDatum(DatumGetInt64(p->phone));
	p->spoken = TextDatumGetCString(vp_getdatum(0, PARTY_COL_SPOKEN, &isnull));
	p->reason = TextDatumGetCString(vp_getdatum(0, PARTY_COL_REASON, &isnull));
}

/* Where an opt-out was said, for its stored reason. */
static char *
said_on(const char *how, const char *call_id)
{
	return call_id ? psprintf("%s on call %s", how, call_id) : pstrdup(how);
}

/*
 * record_opt_out: the caller on the line asked not to be contacted again.
 * Answers what to say; errors, with what to tell the caller, when the
 * call's organisation or number is unknown, and with what to do instead
 * when the broker is on the line (the Call Connector: no caller to take
 * off).
 */
char *
vp_opt_out_tool(Datum org, bool has_org, const char *call_id, const char *customer, Datum args)
{
	CallParty	party = {0};
	VpOptOut	out;

	if (has_org)
		read_party(org, call_id, customer, said_on("asked the assistant", call_id),
				   vp_json_text(DatumGetJsonbP(args), (const char *[]) {"reason", NULL}), &party);
	if (party.org_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the opt-out could not be recorded"),
				 errdetail("This call is not logged and its phone number is in no organisation's pool."),
				 errhint(WHEN_NOT_RECORDED)));
	if (party.broker_call)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("there is no caller to opt out on this call"),
				 errdetail("This call is the broker calling the Call Connector: the number on the line is the broker's own, not a contact's, and nothing was recorded."),
				 errhint("Do not call record_opt_out again on this call. If the broker asks for a contact to be taken off the list, "
						 "tell them the office takes that contact off, then go on with the call.")));
	if (!party.has_phone)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the opt-out could not be recorded"),
				 errdetail("This call carries no phone number of the caller."),
				 errhint(WHEN_NOT_RECORDED)));

	vp_record_opt_out(org, party.phone, "assistant", call_id, party.reason, &out);
	return psprintf("Done. %s will not call or text %s again. "
					"Tell the caller they have been removed and end the call politely.",
					party.org_name, party.spoken);
}

/*
 * An end-of-call report whose analysis says doNotCall (true, or the text
 * "true"): the call's other party opted out.  A report without a number to
 * take off, or of the broker calling (inbound_from_broker), is left as it
 * is.
 */
bool
vp_opt_out_reported(Jsonb *message, Datum org, const char *call_id, const char *customer)
{
	char	   *flag = vp_json_text(message, (const char *[]) {"analysis", "structuredData", "doNotCall", NULL});
	CallParty	party;
	VpOptOut	out;

	if (flag == NULL || pg_strcasecmp(flag, "true") != 0)
		return false;
	read_party(org, call_id, customer,
			   said_on("the end-of-call analysis says the caller asked not to be contacted", call_id), NULL, &party);
	if (party.org_name == NULL || party.broker_call || !party.has_phone)
		return false;
	vp_record_opt_out(org, party.phone, "call_report", call_id, party.reason, &out);
	return true;
}
