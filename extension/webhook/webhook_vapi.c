/*
 * webhook_vapi.c
 *	  Vapi server messages: each type read into a call of the typed SQL
 *	  functions, and the answer Vapi expects built from the result
 *	  (../shared/reference/vapi.md).
 *
 *	  assistant-request             route_inbound -> the Call Connector
 *	                                (known caller) or the intake assistant;
 *	                                a clinic's callers the receptionist;
 *	                                the organisation's recording disclosure
 *	                                as the first message (assistant_opening)
 *	  transfer-destination-request  next_transfer_destination -> destination,
 *	                                or an error the assistant can say (the
 *	                                numbers from phoneNumber/customer, else
 *	                                the call object, else the call's log)
 *	  tool-calls                    supabase_query, check_availability_and_book,
 *	                                the clinic receptionist's (tool_clinic.c),
 *	                                record_opt_out (tool_opt_out.c),
 *	                                update_appointment (tool_appointment.c); one
 *	                                result or error per call, in order
 *	  end-of-call-report            record_call_ended (one without call.id as
 *	                                an unknown call, under its body's digest);
 *	                                then an opt-out when its analysis says
 *	                                doNotCall (tool_opt_out.c)
 *	  status-update                 the call log's status (never "ended":
 *	                                the report records the end)
 *	  knowledge-base-request,       stored; the neutral answer of the type
 *	  handoff-destination-request,  (@vapi-ai/server-sdk ServerMessageResponse*:
 *	  call.endpointing.request,     no documents, no handoff, the SDK's example
 *	  campaign.predial,             timeout, no dial, no audio), because Vapi
 *	  voice-request                 waits on an answer of that shape
 *	  anything else                 stored only (Vapi ignores the body)
 */
#include "core/auth.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/settings.h"
#include "core/subtransaction.h"
#include "pool/call_contact.h"
#include "webhook/tool_clinic.h"
#include "webhook/tool_appointment.h"
#include "webhook/tool_opt_out.h"
#include "webhook/webhook.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

/* what a caller hears when no one can take the call */
#define NO_ONE_AVAILABLE "I'm sorry, no one is available to take your call right now. We will call you back shortly."
#define LINE_UNAVAILABLE "Sorry, this line cannot take your call right now. Please try again later."

/* ---------------------------------------------------------------- plans */

/*
 * The called number of a message: phoneNumber.number (number_param), else
 * the pool number whose Vapi id (id_param: call.phoneNumberId or
 * phoneNumber.id) names it, when exactly one organisation has that id.  Vapi's
 * SDK lets a message carry only the call object.
 */
#define CALLED_NUMBER(number_param, id_param) \
	"coalesce(vapi_pool.e164_try_parse(" number_param ")," \
	" (SELECT (pg_catalog.array_agg(p.number))[1] FROM vapi_pool.vapi_number_pool p" \
	"  WHERE p.vapi_phone_number_id = " id_param " HAVING pg_catalog.count(*) = 1))"

static VpPlan assistant_request = {
	.sql = "SELECT r.org_id, CASE"
	/* a clinic's caller: the receptionist, with the contact of a patient on file (unless the clinic forwards them) */
	" WHEN o.is_clinic AND coalesce(o.receptionist_assistant_id, g.receptionist) IS NOT NULL"
	"  AND (r.direction = 'inbound_unknown'"
	"   OR (r.direction = 'inbound_from_lead' AND o.known_patient_answer = 'receptionist')) THEN"
	"  pg_catalog.jsonb_build_object('assistantId', coalesce(o.receptionist_assistant_id, g.receptionist),"
	"   'assistantOverrides', pg_catalog.jsonb_build_object('variableValues', pg_catalog.jsonb_strip_nulls("
	"    pg_catalog.jsonb_build_object('contact_id', r.lead_id, 'contact_name', l.name, 'first_name', l.first_name,"
	"     'clinic_name', o.name, 'called_number', c.called::text,"
	"     'caller_number', vapi_pool.e164_try_parse($2)::text)))"
	/* the organisation's recording disclosure, said first (194_assistants.sql) */
	"   || vapi_pool.assistant_opening(r.org_id, coalesce(o.receptionist_assistant_id, g.receptionist),"
	"    'clinic_receptionist'))"
	" WHEN r.action <> 'assistant' AND r.destinations[1] IS NOT NULL"
	"  AND ($4 = 1 OR coalesce(o.connector_assistant_id, g.connector) IS NULL) THEN"
	"  pg_catalog.jsonb_build_object('destination', pg_catalog.jsonb_build_object('type', 'number',"
	"   'number', r.destinations[1]::text, 'message', ''))"
	" WHEN r.action <> 'assistant' AND r.destinations[1] IS NOT NULL THEN"
	"  pg_catalog.jsonb_build_object('assistantId', coalesce(o.connector_assistant_id, g.connector),"
	"   'assistantOverrides', pg_catalog.jsonb_build_object('variableValues', pg_catalog.jsonb_strip_nulls("
	"    pg_catalog.jsonb_build_object('lead_id', r.lead_id, 'broker_id', r.broker_id,"
	"     'forward_to_number', r.destinations[1]::text, 'secondary_number', r.destinations[2]::text,"
	"     'lead_name', l.name, 'broker_name', b.name, 'direction', r.direction)))"
	"   || vapi_pool.assistant_opening(r.org_id, coalesce(o.connector_assistant_id, g.connector), 'connector'))"
	/* a person called: intake.json's voicemail detection (for the calls Barbara places) is off */
	" WHEN coalesce(o.intake_assistant_id, g.intake) IS NOT NULL THEN"
	"  pg_catalog.jsonb_build_object('assistantId', coalesce(o.intake_assistant_id, g.intake),"
	"   'assistantOverrides', pg_catalog.jsonb_build_object('voicemailDetection', 'off',"
	"    'variableValues', pg_catalog.jsonb_strip_nulls("
	"    pg_catalog.jsonb_build_object('called_number', c.called::text,"
	"     'caller_number', vapi_pool.e164_try_parse($2)::text)))"
	"   || vapi_pool.assistant_opening(r.org_id, coalesce(o.intake_assistant_id, g.intake), 'intake'))"
	" ELSE pg_catalog.jsonb_build_object('error', '" LINE_UNAVAILABLE "') END"
	" FROM (SELECT " CALLED_NUMBER("$1", "$7") " AS called) c"
	" CROSS JOIN LATERAL vapi_pool.route_inbound(c.called, vapi_pool.e164_try_parse($2), $3) r"
	" LEFT JOIN vapi_pool.orgs o ON o.org_id = r.org_id"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = r.org_id AND l.id = r.lead_id"
	" LEFT JOIN vapi_pool.brokers b ON b.org_id = r.org_id AND b.id = r.broker_id"
	/* the configured assistants, else the ones vapi-shim assistants push created */
	" CROSS JOIN LATERAL (SELECT"
	"  coalesce($5, (SELECT a.vapi_assistant_id FROM vapi_pool.vapi_assistants a WHERE a.role = 'intake')) AS intake,"
	"  coalesce($6, (SELECT a.vapi_assistant_id FROM vapi_pool.vapi_assistants a WHERE a.role = 'connector')) AS connector,"
	"  coalesce(nullif(pg_catalog.current_setting('vapi_pool.receptionist_assistant_id', true), ''),"
	"   (SELECT a.vapi_assistant_id FROM vapi_pool.vapi_assistants a WHERE a.role = 'clinic_receptionist'))"
	"   AS receptionist) g",
	.nargs = 7, .argtypes = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID},
	/* the configured assistant ids ($5, $6) fold the sub-selects away: custom plans look cheaper forever */
	.generic = true
};

/* the organisation, lead and broker of a call: its log, else its pool number */
static VpPlan call_context = {
	.sql = "SELECT org_id, lead_id, broker_id FROM ("
	" SELECT l.org_id, l.lead_id, l.broker_id, 1 AS rank FROM vapi_pool.vapi_call_logs l WHERE l.vapi_call_id = $1"
	" UNION ALL SELECT p.org_id, NULL::uuid, p.broker_id, 2 FROM vapi_pool.vapi_number_pool p"
	"  WHERE p.vapi_phone_number_id = $2"
	" UNION ALL SELECT p.org_id, NULL::uuid, p.broker_id, 3 FROM vapi_pool.vapi_number_pool p"
	"  WHERE p.number = vapi_pool.e164_try_parse($3)) c ORDER BY rank LIMIT 1",
	.nargs = 3, .argtypes = {TEXTOID, TEXTOID, TEXTOID}
};

/* the columns of call_context */
enum
{
	CONTEXT_COL_ORG = 1,
	CONTEXT_COL_LEAD,
	CONTEXT_COL_BROKER
};

static VpPlan transfer_destination = {
	.sql = "SELECT CASE WHEN d IS NULL THEN pg_catalog.jsonb_build_object('error', $4)"
	" ELSE pg_catalog.jsonb_build_object('destination', pg_catalog.jsonb_build_object('type', 'number',"
	"  'number', d::text, 'message', '',"
	/* a transfer nobody answers returns to the assistant, which asks for the next number */
	"  'transferPlan', pg_catalog.jsonb_build_object('mode', 'blind-transfer', 'fallbackPlan',"
	"   pg_catalog.jsonb_build_object('message', 'They did not pick up. Let me try another number.',"
	"    'endCallEnabled', false))),"
	"  'message', pg_catalog.jsonb_build_object('type', 'request-start',"
	"  'content', 'Connecting you now.')) END"
	" FROM vapi_pool.next_transfer_destination($1, " CALLED_NUMBER("$2", "$5") ", vapi_pool.e164_try_parse($3)) d",
	.nargs = 5, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

static VpPlan call_ended = {
	.sql = "SELECT r.org_id, pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('ok', true,"
	" 'call_log_id', r.call_log_id, 'outcome', r.outcome, 'next_attempt_at', r.next_attempt_at,"
	" 'lead_status', r.lead_status, 'review_reason', r.review_reason, 'followup_id', r.followup_id,"
	" 'duplicate', r.duplicate))"
	/* a report without call.id (the SDK allows it) is filed under its inbox key's digest: an unknown call */
	" FROM (SELECT $2 -> 'message' AS m) s, LATERAL vapi_pool.record_call_ended(coalesce(nullif($1, ''),"
	"  pg_catalog.concat('sha256:', pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to($2::text, 'UTF8')), 'hex'))),"
	"  s.m ->> 'endedReason',"
	"  (s.m ->> 'startedAt')::timestamptz, (s.m ->> 'endedAt')::timestamptz,"
	"  coalesce((s.m ->> 'durationSeconds')::numeric, pg_catalog.date_part('epoch',"
	"   (s.m ->> 'endedAt')::timestamptz - (s.m ->> 'startedAt')::timestamptz)::numeric),"
	"  coalesce(s.m #>> '{artifact,recordingUrl}', s.m ->> 'recordingUrl'),"
	"  coalesce(s.m #>> '{artifact,transcript}', s.m ->> 'transcript'),"
	"  coalesce(s.m #>> '{analysis,summary}', s.m ->> 'summary'),"
	"  (s.m ->> 'cost')::numeric, $2) r",
	.nargs = 2, .argtypes = {TEXTOID, JSONBOID}
};

/* Vapi statuses in the order a call goes through them */
#define CALL_STATUSES "ARRAY['scheduled', 'queued', 'ringing', 'in-progress', 'forwarding', 'ended']"

static VpPlan status_update = {
	.sql = "UPDATE vapi_pool.vapi_call_logs l SET status = $2 WHERE l.vapi_call_id = $1"
	" AND $2 IN ('scheduled', 'queued', 'ringing', 'in-progress', 'forwarding')"
	" AND pg_catalog.array_position(" CALL_STATUSES ", l.status) < pg_catalog.array_position(" CALL_STATUSES ", $2)"
	" RETURNING l.org_id",
	.nargs = 2, .argtypes = {TEXTOID, TEXTOID}
};

static VpPlan supabase_query = {
	.sql = "SELECT vapi_pool.supabase_query($1 ->> 'query_type',"
	" coalesce($1 ->> 'identifier', $1 ->> 'id', $1 ->> 'phone', $1 ->> 'zip'))::text",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* ---------------------------------------------------------------- reading the message */

static const char *const CALL_ID[] = {"call", "id", NULL};
static const char *const PHONE_NUMBER_ID[] = {"call", "phoneNumberId", NULL};
static const char *const PHONE_NUMBER_ID2[] = {"phoneNumber", "id", NULL};
static const char *const CALLED[] = {"phoneNumber", "number", NULL};
static const char *const CALLER[] = {"customer", "number", NULL};
static const char *const CALL_CALLER[] = {"call", "customer", "number", NULL};

/* The first of two paths that has a text value. */
static char *
text_or(Jsonb *m, const char *const *a, const char *const *b)
{
	char	   *v = vp_json_text(m, a);

	return v ? v : vp_json_text(m, b);
}

/* One function call of a tool-calls message. */
typedef struct ToolCall
{
	char	   *id;
	char	   *name;
	JsonbValue	args;			/* jbvNull when absent */
} ToolCall;

/* The first path of paths (a {NULL}-terminated list of lists) that has a value. */
static JsonbValue *
first_value(Jsonb *item, const char *const *const *paths, JsonbValue *buf)
{
	for (int i = 0; paths[i] != NULL; i++)
	{
		JsonbValue *v = vp_json_get(item, paths[i], buf);

		if (v != NULL)
			return v;
	}
	return NULL;
}

/*
 * The calls of a tool-calls message, in order: toolCallList items
 * ({id, function: {name, arguments}}, or flattened {id, name, arguments |
 * parameters}), else toolWithToolCallList items ({toolCall: {...}}).
 */
static ToolCall *
tool_calls(Jsonb *m, int *n)
{
	const char *const *const id_paths[] = {
		(const char *[]) {"id", NULL}, (const char *[]) {"toolCall", "id", NULL}, NULL};
	const char *const *const name_paths[] = {
		(const char *[]) {"function", "name", NULL}, (const char *[]) {"name", NULL},
		(const char *[]) {"toolCall", "function", "name", NULL}, NULL};
	const char *const *const arg_paths[] = {
		(const char *[]) {"function", "arguments", NULL}, (const char *[]) {"arguments", NULL},
		(const char *[]) {"parameters", NULL}, (const char *[]) {"function", "parameters", NULL},
		(const char *[]) {"toolCall", "function", "arguments", NULL},
		(const char *[]) {"toolCall", "function", "parameters", NULL}, NULL};
	JsonbValue	buf;
	JsonbValue *list = vp_json_get(m, (const char *[]) {"toolCallList", NULL}, &buf);
	ToolCall   *calls;
	int			count;

	if (list == NULL || list->type != jbvBinary || !JsonContainerIsArray(list->val.binary.data))
		list = vp_json_get(m, (const char *[]) {"toolWithToolCallList", NULL}, &buf);
	if (list == NULL || list->type != jbvBinary || !JsonContainerIsArray(list->val.binary.data))
	{
		*n = 0;
		return NULL;
	}
	count = JsonContainerSize(list->val.binary.data);
	calls = palloc0(sizeof(ToolCall) * Max(count, 1));
	for (int i = 0; i < count; i++)
	{
		JsonbValue *el = getIthJsonbValueFromContainer(list->val.binary.data, i);
		Jsonb	   *item;
		JsonbValue	vbuf;
		JsonbValue *v;

		calls[i].args.type = jbvNull;
		if (el == NULL || el->type != jbvBinary || !JsonContainerIsObject(el->val.binary.data))
			continue;
		item = JsonbValueToJsonb(el);
		if ((v = first_value(item, id_paths, &vbuf)) != NULL && v->type == jbvString)
			calls[i].id = pnstrdup(v->val.string.val, v->val.string.len);
		if ((v = first_value(item, name_paths, &vbuf)) != NULL && v->type == jbvString)
			calls[i].name = pnstrdup(v->val.string.val, v->val.string.len);
		if ((v = first_value(item, arg_paths, &vbuf)) != NULL)
			calls[i].args = *v;
	}
	*n = count;
	return calls;
}

/* ---------------------------------------------------------------- keys */

/*
 * The dedupe key of a Vapi message, NULL when the message lacks what it
 * needs (the caller then uses a digest of the body).
 */
char *
vp_vapi_dedupe_key(Jsonb *m, const char *type)
{
	char	   *call_id = vp_json_text(m, CALL_ID);
	char	   *extra = NULL;

	if (call_id == NULL || call_id[0] == '\0')
		return NULL;
	if (strcmp(type, "assistant-request") == 0 || strcmp(type, "end-of-call-report") == 0)
		extra = NULL;
	else if (strcmp(type, "status-update") == 0)
	{
		extra = vp_json_text(m, (const char *[]) {"status", NULL});
		if (extra == NULL)
			return NULL;
	}
	else if (strcmp(type, "tool-calls") == 0)
	{
		int			n;
		ToolCall   *calls = tool_calls(m, &n);
		StringInfoData ids;

		initStringInfo(&ids);
		for (int i = 0; i < n; i++)
		{
			if (calls[i].id == NULL)
				return NULL;
			appendStringInfo(&ids, "%s%s", i ? "," : "", calls[i].id);
		}
		if (n == 0)
			return NULL;
		extra = ids.data;
	}
	else
	{
		extra = vp_json_text(m, (const char *[]) {"timestamp", NULL});
		if (extra == NULL)
			return NULL;
	}
	return extra ? psprintf("%s:%s:%s", type, call_id, extra) : psprintf("%s:%s", type, call_id);
}

/* ---------------------------------------------------------------- answers */

/* The organisation (and lead, broker) of the message's call; false when unknown. */
static bool
context_of(Jsonb *m, Datum *org, Datum *lead, bool *has_lead, Datum *broker, bool *has_broker)
{
	char		n[3];
	Datum		v[3];
	bool		isnull;

	v[0] = vp_text_arg(vp_json_text(m, CALL_ID), &n[0]);
	v[1] = vp_text_arg(text_or(m, PHONE_NUMBER_ID, PHONE_NUMBER_ID2), &n[1]);
	v[2] = vp_text_arg(vp_json_text(m, CALLED), &n[2]);
	vp_execute(&call_context, v, n, 1);
	if (SPI_processed == 0)
		return false;
	*org = vp_getdatum(0, CONTEXT_COL_ORG, &isnull);
	*lead = vp_getdatum(0, CONTEXT_COL_LEAD, has_lead);
	*has_lead = !*has_lead;
	*broker = vp_getdatum(0, CONTEXT_COL_BROKER, has_broker);
	*has_broker = !*has_broker;
	return true;
}

/* The arguments of a call as a jsonb object (a JSON string is parsed); errors if they are not one. */
static Datum
call_arguments(const ToolCall *c)
{
	Jsonb	   *j;

	if (c->args.type == jbvString)
		j = DatumGetJsonbP(vp_jsonb_from_text(pnstrdup(c->args.val.string.val, c->args.val.string.len)));
	else if (c->args.type == jbvBinary)
		j = JsonbValueToJsonb((JsonbValue *) &c->args);
	else if (c->args.type == jbvNull)
		j = DatumGetJsonbP(vp_jsonb_from_text("{}"));
	else
		j = NULL;
	if (j == NULL || !JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the arguments of %s must be a JSON object", c->name)));
	return JsonbPGetDatum(j);
}

/* The context a tool needs to know whose data it reads or writes. */
typedef struct ToolContext
{
	Jsonb	   *message;
	bool		has_org;
	Datum		org;
	Datum		lead;
	bool		has_lead;
	Datum		broker;
	bool		has_broker;
	bool		waiting;		/* an answer item waits for Cal.com */
} ToolContext;

/* Errors out when the call's organisation is unknown. */
static void
require_org(const ToolContext *t, const char *tool)
{
	if (!t->has_org)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%s cannot tell which organisation this call belongs to", tool),
				 errdetail("The call is not logged and its phone number is not in any pool.")));
}

/* The call's lead, or the caller found or created as a contact; false when the caller's number is unknown. */
static bool
caller_as_contact(ToolContext *t)
{
	Datum		contact;

	if (t->has_lead)
		return true;
	if (!vp_call_contact(t->org, vp_json_text(t->message, CALL_ID), text_or(t->message, CALLER, CALL_CALLER),
						 CALL_CONTACT_MAKE, t->broker, t->has_broker, &contact))
		return false;
	t->lead = contact;
	t->has_lead = true;
	return true;
}

/*
 * Runs one tool call; returns its result text (single-line JSON) or errors.
 * check_availability_and_book and the receptionist's tools return their
 * whole answer item in *item instead (pending while it waits for Cal.com:
 * *waiting).
 */
static char *
run_tool(const ToolCall *c, ToolContext *t, char **item, bool *waiting)
{
	Datum		args;
	bool		isnull;

	if (c->name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the tool call has no function name")));
	if (strcmp(c->name, "supabase_query") == 0)
	{
		require_org(t, c->name);
		args = call_arguments(c);
		vp_execute(&supabase_query, &args, NULL, 1);
		return TextDatumGetCString(vp_getdatum(0, VP_SOLE_COLUMN, &isnull));
	}
	if (vp_clinic_tool_known(c->name))
	{
		/* the clinic receptionist's tools (tool_clinic.c): whole answer items */
		ClinicTool	ct = {.name = c->name, .tool_call_id = c->id ? c->id : "", .org = t->org,
			.call_id = vp_json_text(t->message, CALL_ID), .caller = text_or(t->message, CALLER, CALL_CALLER),
		.contact = t->lead, .has_contact = t->has_lead};

		require_org(t, c->name);
		ct.args = call_arguments(c);
		*item = vp_clinic_tool(&ct, waiting);
		t->lead = ct.contact;
		t->has_lead = ct.has_contact;
		return NULL;
	}
	if (strcmp(c->name, VP_OPT_OUT_TOOL) == 0)
	{
		/* the call's own number (its customer, else its log), never one the model passes */
		args = call_arguments(c);
		return vp_opt_out_tool(t->org, t->has_org, vp_json_text(t->message, CALL_ID),
							   text_or(t->message, CALL_CALLER, CALLER), args);
	}
	if (strcmp(c->name, VP_APPOINTMENT_TOOL) == 0)
	{
		/* the call's own lead's appointment, never one another contact holds */
		require_org(t, c->name);
		args = call_arguments(c);
		return vp_appointment_tool(t->org, t->lead, t->has_lead, args);
	}
	if (strcmp(c->name, "check_availability_and_book") == 0)
	{
		bool		contact;

		require_org(t, c->name);
		args = call_arguments(c);
		contact = caller_as_contact(t);
		*item = vp_booking_begin(c->name, c->id ? c->id : "", vp_json_text(t->message, CALL_ID), args,
								 t->org, t->broker, t->has_broker,
								 t->lead, contact, waiting);
		return NULL;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_FUNCTION),
			 errmsg("unknown tool \"%s\"", c->name),
			 errhint("The tools are supabase_query, check_availability_and_book, update_appointment, record_opt_out and the clinic "
					 "receptionist's: save_caller_details, check_availability, claim_slot_atomic, confirm_booking, "
					 "reschedule_appointment, list_appointments, cancel_appointment.")));
	return NULL;				/* keep the compiler quiet */
}

/* One tool call to run, and what it answered. */
typedef struct ToolStep
{
	const ToolCall *call;
	ToolContext *context;
	char	   *result;			/* a result text, or */
	char	   *item;			/* a whole answer item (check_availability_and_book) */
	bool		waiting;
} ToolStep;

static void
run_tool_step(void *arg)
{
	ToolStep   *t = arg;

	t->result = run_tool(t->call, t->context, &t->item, &t->waiting);
	if (t->context->has_lead)
		t->context->lead = datumCopy(t->context->lead, false, UUID_LEN);
}

/* Runs one tool call in a subtransaction and appends its result or error. */
static void
answer_tool_call(StringInfo buf, const ToolCall *c, ToolContext *t)
{
	bool		had_lead = t->has_lead;
	Datum		lead = t->lead;
	ToolStep	step = {c, t, NULL, NULL, false};
	ErrorData  *failure = vp_in_subtransaction(run_tool_step, &step);

	if (failure == NULL)
	{
		if (step.item != NULL)
			appendStringInfoString(buf, step.item);
		else
			vp_tool_result(buf, c->name, c->id, "result", step.result);
		t->waiting |= step.waiting;
		return;
	}
	/* a contact created by the failed call is gone with it */
	t->has_lead = had_lead;
	t->lead = lead;
	vp_tool_result(buf, c->name, c->id, "error", vp_error_sentences(failure));
}

/* tool-calls: one answer item per call, in order. */
static void
handle_tool_calls(Jsonb *m, MemoryContext cxt, WebhookAnswer *a)
{
	ToolContext t = {.message = m};
	StringInfoData buf;
	int			n;
	ToolCall   *calls = tool_calls(m, &n);

	t.has_org = context_of(m, &t.org, &t.lead, &t.has_lead, &t.broker, &t.has_broker);
	if (t.has_org)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		t.org = datumCopy(t.org, false, UUID_LEN);
		t.lead = t.has_lead ? datumCopy(t.lead, false, UUID_LEN) : 0;
		t.broker = t.has_broker ? datumCopy(t.broker, false, UUID_LEN) : 0;
		MemoryContextSwitchTo(old);
		vp_set_org_claims(t.org);
		vp_answer_org(a, cxt, t.org, false);
	}
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"results\": [");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		answer_tool_call(&buf, &calls[i], &t);
	}
	appendStringInfoString(&buf, "]}");
	vp_answer_text(a, cxt, 200, buf.data);
	a->waiting = t.waiting;
}

/* Sets the answer's organisation from the message's call, when known. */
static void
org_from_context(Jsonb *m, MemoryContext cxt, WebhookAnswer *a)
{
	Datum		org,
				lead,
				broker;
	bool		has_lead,
				has_broker;

	if (context_of(m, &org, &lead, &has_lead, &broker, &has_broker))
		vp_answer_org(a, cxt, org, false);
}

/* A message type the product does not act on, and the answer Vapi waits for. */
typedef struct NeutralAnswer
{
	const char *type;
	int			http_status;
	const char *answer;			/* stored; a 204 sends no body */
} NeutralAnswer;

/* The types of the SDK's ServerMessageResponse union that vapi_pool does not act on (docs/webhooks.md). */
static const NeutralAnswer NEUTRAL_ANSWERS[] = {
	{"knowledge-base-request", 200, "{\"documents\": []}"},
	{"handoff-destination-request", 200,
	"{\"destination\": {}, \"error\": \"There is no one to hand this conversation to.\"}"},
	{"call.endpointing.request", 200, "{\"timeoutSeconds\": 0.5}"},
	{"campaign.predial", 200, "{\"eligible\": false}"},
	/* Vapi reads the body as raw PCM audio: no body, no sound */
	{"voice-request", 204, "{}"},
	{NULL, 0, NULL}
};

/* The neutral answer of a message type, NULL when Vapi ignores the body of that type. */
static const NeutralAnswer *
neutral_answer(const char *type)
{
	for (const NeutralAnswer *n = NEUTRAL_ANSWERS; n->type != NULL; n++)
		if (strcmp(n->type, type) == 0)
			return n;
	return NULL;
}

/* Handles a Vapi message ({"message": {...}}'s inner object). */
void
vp_vapi_handle(Jsonb *payload, Jsonb *m, const char *type, MemoryContext cxt, WebhookAnswer *a)
{
	bool		isnull;
	char		n[7] = "       ";
	Datum		v[7];

	if (strcmp(type, "assistant-request") == 0)
	{
		v[0] = vp_text_arg(vp_json_text(m, CALLED), &n[0]);
		v[1] = vp_text_arg(text_or(m, CALLER, CALL_CALLER), &n[1]);
		v[2] = vp_text_arg(vp_json_text(m, CALL_ID), &n[2]);
		v[3] = Int32GetDatum(vp_vapi_known_caller_answer);
		v[4] = vp_text_arg(vp_vapi_intake_assistant_id && vp_vapi_intake_assistant_id[0]
						? vp_vapi_intake_assistant_id : NULL, &n[4]);
		v[5] = vp_text_arg(vp_vapi_connector_assistant_id && vp_vapi_connector_assistant_id[0]
						? vp_vapi_connector_assistant_id : NULL, &n[5]);
		v[6] = vp_text_arg(text_or(m, PHONE_NUMBER_ID, PHONE_NUMBER_ID2), &n[6]);
		vp_execute(&assistant_request, v, n, 1);
		vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		vp_answer_datum(a, cxt, 200, vp_getdatum(0, ANSWER_COL_BODY, &isnull));
	}
	else if (strcmp(type, "transfer-destination-request") == 0)
	{
		v[0] = vp_text_arg(vp_json_text(m, CALL_ID), &n[0]);
		v[1] = vp_text_arg(vp_json_text(m, CALLED), &n[1]);
		v[2] = vp_text_arg(text_or(m, CALLER, CALL_CALLER), &n[2]);
		v[3] = CStringGetTextDatum(NO_ONE_AVAILABLE);
		v[4] = vp_text_arg(text_or(m, PHONE_NUMBER_ID, PHONE_NUMBER_ID2), &n[4]);
		vp_execute(&transfer_destination, v, n, 1);
		vp_answer_datum(a, cxt, 200, vp_getdatum(0, VP_SOLE_COLUMN, &isnull));
		org_from_context(m, cxt, a);
	}
	else if (strcmp(type, "tool-calls") == 0)
		handle_tool_calls(m, cxt, a);
	else if (strcmp(type, "end-of-call-report") == 0)
	{
		v[0] = vp_text_arg(vp_json_text(m, CALL_ID), &n[0]);
		v[1] = JsonbPGetDatum(payload);
		vp_execute(&call_ended, v, n, 1);
		vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		vp_answer_datum(a, cxt, 200, vp_getdatum(0, ANSWER_COL_BODY, &isnull));
		/* the caller asked not to be contacted (the analysis' doNotCall): after the end, it cancels what it queued */
		if (a->has_org && vp_opt_out_reported(m, a->org_id, vp_json_text(m, CALL_ID), text_or(m, CALL_CALLER, CALLER)))
			vp_answer_datum(a, cxt, 200, DirectFunctionCall2(jsonb_concat, a->answer,
															 vp_jsonb_from_text("{\"opted_out\": true}")));
	}
	else if (strcmp(type, "status-update") == 0)
	{
		char	   *status = vp_json_text(m, (const char *[]) {"status", NULL});
		StringInfoData buf;

		if (status == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a status-update needs a \"status\"")));
		v[0] = vp_text_arg(vp_json_text(m, CALL_ID), &n[0]);
		v[1] = CStringGetTextDatum(status);
		vp_execute(&status_update, v, n, 1);
		initStringInfo(&buf);
		appendStringInfo(&buf, "{\"ok\": true, \"status\": ");
		vp_json_string(&buf, status);
		appendStringInfo(&buf, ", \"updated\": %s}", SPI_processed > 0 ? "true" : "false");
		if (SPI_processed > 0)
			vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		else
			org_from_context(m, cxt, a);
		vp_answer_text(a, cxt, 200, buf.data);
	}
	else
	{
		const NeutralAnswer *neutral = neutral_answer(type);

		org_from_context(m, cxt, a);
		if (neutral != NULL)
			vp_answer_text(a, cxt, neutral->http_status, neutral->answer);
		else
			vp_answer_text(a, cxt, 200, "{\"ok\": true, \"stored\": true}");
	}
}

/*
 * The answer a Vapi message gets when handling it failed: the messages a
 * caller is waiting on still get one they can act on (intake assistant, a
 * sentence to say, one error per tool call, the neutral answer of the types
 * the product does not act on); others get http_status 0 (the caller of this
 * function answers with the error).
 */
void
vp_vapi_failure_answer(Jsonb *m, const char *type, MemoryContext cxt, const char *error, WebhookAnswer *a)
{
	StringInfoData buf;
	const NeutralAnswer *neutral;
	int			status = 200;

	initStringInfo(&buf);
	a->http_status = 0;
	if (strcmp(type, "assistant-request") == 0)
	{
		if (vp_vapi_intake_assistant_id && vp_vapi_intake_assistant_id[0])
		{
			appendStringInfoString(&buf, "{\"assistantId\": ");
			vp_json_string(&buf, vp_vapi_intake_assistant_id);
			appendStringInfoChar(&buf, '}');
		}
		else
			appendStringInfoString(&buf, "{\"error\": \"" LINE_UNAVAILABLE "\"}");
	}
	else if (strcmp(type, "transfer-destination-request") == 0)
		appendStringInfoString(&buf, "{\"error\": \"" NO_ONE_AVAILABLE "\"}");
	else if (strcmp(type, "tool-calls") == 0)
	{
		int			n;
		ToolCall   *calls = tool_calls(m, &n);

		appendStringInfoString(&buf, "{\"results\": [");
		for (int i = 0; i < n; i++)
		{
			if (i > 0)
				appendStringInfoString(&buf, ", ");
			vp_tool_result(&buf, calls[i].name, calls[i].id, "error", error);
		}
		appendStringInfoString(&buf, "]}");
	}
	else if ((neutral = neutral_answer(type)) != NULL)
	{
		appendStringInfoString(&buf, neutral->answer);
		status = neutral->http_status;
	}
	else
		return;
	vp_answer_text(a, cxt, status, buf.data);
}
