/*
 * answers.c
 *	  Building what handling a webhook answers (WebhookAnswer): the HTTP
 *	  status and JSON body the shim sends back, and the organisation the
 *	  event belongs to.
 *
 * The answer is built in the SPI procedure's memory but must outlive
 * SPI_finish, so every builder copies what it keeps into the context the
 * handler was given.
 */
#include "core/json.h"
#include "core/saved_plans.h"
#include "webhook/webhook.h"

#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/uuid.h"

/* the columns of webhook_receipt (receive_webhook, replay_event, continue_webhook) */
enum
{
	RECEIPT_INBOX_ID,
	RECEIPT_HTTP_STATUS,
	RECEIPT_ANSWER,
	RECEIPT_STATE,
	RECEIPT_DUPLICATE,
	RECEIPT_NATTS
};

/* Sets the answer from a JSON text, copied into cxt. */
void
vp_answer_text(WebhookAnswer *a, MemoryContext cxt, int status, const char *json)
{
	vp_answer_datum(a, cxt, status, vp_jsonb_from_text(json));
}

/* Sets the answer from a jsonb Datum, copied into cxt. */
void
vp_answer_datum(WebhookAnswer *a, MemoryContext cxt, int status, Datum jsonb)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);

	a->http_status = status;
	a->answer = PointerGetDatum(PG_DETOAST_DATUM_COPY(jsonb));
	MemoryContextSwitchTo(old);
}

/* Sets the answer's organisation, copied into cxt. */
void
vp_answer_org(WebhookAnswer *a, MemoryContext cxt, Datum org_id, bool isnull)
{
	MemoryContext old;

	if (isnull)
		return;
	old = MemoryContextSwitchTo(cxt);
	a->org_id = datumCopy(org_id, false, UUID_LEN);
	MemoryContextSwitchTo(old);
	a->has_org = true;
}

/* Sets the answer's organisation from column col of the last result's first row, when not NULL. */
void
vp_answer_org_column(WebhookAnswer *a, MemoryContext cxt, int col)
{
	bool		isnull;
	Datum		org = vp_getdatum(0, col, &isnull);

	vp_answer_org(a, cxt, org, isnull);
}

/*
 * Appends one result item of a Vapi tool-calls answer:
 * {"name": name, "toolCallId": tool_call_id, key: text}, key being "result"
 * or "error".  Vapi wants them single-line strings: line breaks become spaces.
 */
void
vp_tool_result(StringInfo buf, const char *name, const char *tool_call_id, const char *key, const char *text)
{
	char	   *line = pstrdup(text);

	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	appendStringInfoString(buf, "{\"name\": ");
	vp_json_string(buf, name);
	appendStringInfoString(buf, ", \"toolCallId\": ");
	vp_json_string(buf, tool_call_id);
	appendStringInfo(buf, ", \"%s\": ", key);
	vp_json_string(buf, line);
	appendStringInfoChar(buf, '}');
}

/*
 * An error as a tool answer the assistant reads: its message, then its
 * detail ("message: detail"), then its hint, which says what to do next.
 */
char *
vp_error_sentences(const ErrorData *e)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, e->message ? e->message : "the tool failed");
	if (e->detail)
		appendStringInfo(&s, ": %s", e->detail);
	if (e->hint)
		appendStringInfo(&s, "%s%s", e->detail ? " " : ". ", e->hint);
	return s.data;
}

/* A webhook_receipt row as the result of the SQL function called with fcinfo. */
Datum
vp_webhook_receipt(FunctionCallInfo fcinfo, MemoryContext cxt, int64 id, int status, Datum answer,
				   const char *state, bool duplicate)
{
	Datum		values[RECEIPT_NATTS];
	bool		nulls[RECEIPT_NATTS] = {false};

	values[RECEIPT_INBOX_ID] = Int64GetDatum(id);
	values[RECEIPT_HTTP_STATUS] = Int32GetDatum(status);
	values[RECEIPT_ANSWER] = answer;
	values[RECEIPT_STATE] = CStringGetTextDatum(state);
	values[RECEIPT_DUPLICATE] = BoolGetDatum(duplicate);
	return vp_result_values(fcinfo, cxt, values, nulls);
}
