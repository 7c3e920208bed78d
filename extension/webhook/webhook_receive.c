/*
 * webhook_receive.c
 *	  SQL: receive_webhook(source, payload) and replay_event(id), both
 *	  returning webhook_receipt; the inbox and its dedupe keys.
 *
 * One call stores one authenticated webhook and acts on it in the caller's
 * transaction:
 * 1. The dedupe key is worked out from the body: Vapi (type, call.id, and
 *    what tells two messages of one call apart: the status of a
 *    status-update, the tool call ids of tool-calls, the timestamp of a
 *    transfer-destination-request and of every other type), Instantly
 *    (event_type, email_id), Cal.com (triggerEvent, payload.uid, and
 *    payload.startTime and createdAt: a booking moved twice under one uid
 *    is two events, a redelivery one); a body
 *    without them (Vapi's SDK allows a message without call.id) is keyed by
 *    a digest of its content, the digest webhook_vapi.c also files an
 *    end-of-call report without call.id under.
 * 2. A transaction-scoped advisory lock on the key serialises deliveries of
 *    one event.  An event already processed returns its first answer
 *    (duplicate = true) and changes nothing but the duplicates counter; one
 *    that failed is run again.
 * 3. The event runs in a subtransaction: on error its effects are rolled
 *    back and the event is kept with the error, state failed (the
 *    dead-letter queue), answered 422 for a payload the functions refused,
 *    503 when a retry may succeed, 500 otherwise -- except Vapi messages
 *    whose caller is waiting on the answer (webhook_vapi.c answers them).
 *    A cancelled statement or a shutdown is not caught: nothing is stored
 *    and the shim answers 503.
 * 4. The inbox row gets the answer; once processed, transcripts and reply
 *    texts are dropped from the stored payload (they live redacted in their
 *    own tables).
 */
#include "core/compat.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/settings.h"
#include "core/subtransaction.h"
#include "webhook/webhook.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_receive_webhook);
PG_FUNCTION_INFO_V1(vapi_pool_replay_event);
PG_FUNCTION_INFO_V1(vapi_pool_receive_webhooks);

/* advisory lock class of inbox keys (first key of the two-int form) */
#define INBOX_LOCK_CLASS 0x76617069	/* "vapi" */

/* the columns of find_event and find_event_by_id: the same four, then their own */
enum
{
	EVENT_COL_ID = 1,
	EVENT_COL_STATE,
	EVENT_COL_HTTP_STATUS,
	EVENT_COL_ANSWER,
	EVENT_COL_ABANDONED,		/* find_event: waiting past the tool budget */
	EVENT_COL_SOURCE = EVENT_COL_ABANDONED,	/* find_event_by_id */
	EVENT_COL_PAYLOAD			/* find_event_by_id */
};

static VpPlan find_event = {
	.sql = "SELECT id, state, http_status, answer,"
	"   processed_at < pg_catalog.now() - (pg_catalog.current_setting('vapi_pool.tool_budget_ms')::integer + 10000)"
	"     * interval '1 millisecond'"
	" FROM vapi_pool.webhook_inbox WHERE source = $1 AND dedupe_key = $2",
	.nargs = 2, .argtypes = {TEXTOID, TEXTOID}
};

static VpPlan find_event_by_id = {
	.sql = "SELECT id, state, http_status, answer, source, payload FROM vapi_pool.webhook_inbox"
	" WHERE id = $1 FOR UPDATE",
	.nargs = 1, .argtypes = {INT8OID}
};

static VpPlan count_duplicate = {
	.sql = "UPDATE vapi_pool.webhook_inbox SET duplicates = duplicates + 1 WHERE id = $1",
	.nargs = 1, .argtypes = {INT8OID}
};

/* what stays of a processed event's payload */
#define STRIPPED_PAYLOAD(state, source, payload) \
	"CASE WHEN " state " = 'failed' THEN " payload \
	" WHEN " source " = 'vapi' THEN " payload " #- '{message,artifact,transcript}' #- '{message,artifact,messages}'" \
	"   #- '{message,artifact,messagesOpenAIFormatted}' #- '{message,transcript}' #- '{message,messages}'" \
	"   #- '{message,summary}' #- '{message,analysis,summary}'" \
	" WHEN " source " = 'instantly' THEN " payload " - 'reply_text' - 'reply_html' - 'reply_text_snippet'" \
	" ELSE " payload " END"

static VpPlan insert_event = {
	.sql = "INSERT INTO vapi_pool.webhook_inbox (org_id, source, event_type, dedupe_key, state, http_status,"
	" answer, error, error_sqlstate, payload)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, " STRIPPED_PAYLOAD("$5", "$2", "$10") ") RETURNING id",
	.nargs = 10, .argtypes = {UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, JSONBOID, TEXTOID,
	TEXTOID, JSONBOID}
};

static VpPlan update_event = {
	.sql = "UPDATE vapi_pool.webhook_inbox SET org_id = coalesce($1, org_id), state = $2, http_status = $3,"
	" answer = $4, error = $5, error_sqlstate = $6, attempts = attempts + 1, processed_at = pg_catalog.now(),"
	" payload = " STRIPPED_PAYLOAD("$2", "source", "payload") " WHERE id = $7",
	.nargs = 7, .argtypes = {UUIDOID, TEXTOID, INT4OID, JSONBOID, TEXTOID, TEXTOID, INT8OID}
};

static VpPlan digest = {
	.sql = "SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to($1::text, 'UTF8')), 'hex')",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* ---------------------------------------------------------------- keys */

/* What an event is and how deliveries of it are recognised. */
typedef struct EventKey
{
	const char *source;
	char	   *event_type;		/* never NULL; "" when the body has none */
	char	   *dedupe_key;		/* never NULL */
	Jsonb	   *message;		/* Vapi: the message object, or NULL */
} EventKey;

/* A key from its parts, NULL parts left out; NULL when a required one is missing. */
static char *
join_key(const char *type, const char *id, const char *extra)
{
	if (type == NULL || type[0] == '\0' || id == NULL || id[0] == '\0')
		return NULL;
	return extra ? psprintf("%s:%s:%s", type, id, extra) : psprintf("%s:%s", type, id);
}

/* The event type and dedupe key of a body from source. */
static void
event_key(const char *source, Jsonb *payload, EventKey *k)
{
	char	   *key = NULL;

	k->source = source;
	k->message = NULL;
	if (strcmp(source, "vapi") == 0)
	{
		k->message = vp_json_object(payload, (const char *[]) {"message", NULL});
		if (k->message != NULL && !JB_ROOT_IS_OBJECT(k->message))
			k->message = NULL;
		k->event_type = k->message ? vp_json_text(k->message, (const char *[]) {"type", NULL}) : NULL;
		if (k->event_type != NULL)
			key = vp_vapi_dedupe_key(k->message, k->event_type);
	}
	else if (strcmp(source, "instantly") == 0)
	{
		k->event_type = vp_json_text(payload, (const char *[]) {"event_type", NULL});
		key = join_key(k->event_type, vp_json_text(payload, (const char *[]) {"email_id", NULL}), NULL);
	}
	else if (strcmp(source, "cal") == 0)
	{
		char	   *start = vp_json_text(payload, (const char *[]) {"payload", "startTime", NULL});
		char	   *created = vp_json_text(payload, (const char *[]) {"createdAt", NULL});

		k->event_type = vp_json_text(payload, (const char *[]) {"triggerEvent", NULL});
		key = join_key(k->event_type, vp_json_text(payload, (const char *[]) {"payload", "uid", NULL}),
					   start || created ? psprintf("%s@%s", start ? start : "", created ? created : "") : NULL);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown webhook source \"%s\"", source),
				 errhint("The sources are vapi, instantly and cal.")));

	if (k->event_type == NULL)
		k->event_type = "";
	if (key == NULL)
	{
		Datum		arg = JsonbPGetDatum(payload);
		bool		isnull;

		vp_execute(&digest, &arg, NULL, 1);
		key = psprintf("%s:sha256:%s", k->event_type[0] ? k->event_type : "untyped",
					   TextDatumGetCString(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)));
	}
	k->dedupe_key = key;
}

/* ---------------------------------------------------------------- handling */

/* The HTTP status of an event whose handling failed with sqlerrcode. */
static int
failure_status(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_DATA_EXCEPTION:
		case ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION:
			return 422;
		case ERRCODE_TRANSACTION_ROLLBACK:
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
			return 503;
		default:
			break;
	}
	if (sqlerrcode == ERRCODE_NO_DATA_FOUND)
		return 422;
	return 500;
}

/* Dispatches one event to its sender's handler. */
static void
handle_event(EventKey *k, Jsonb *payload, MemoryContext cxt, WebhookAnswer *a)
{
	if (strcmp(k->source, "vapi") == 0)
	{
		if (k->message == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a Vapi webhook body needs a \"message\" object")));
		if (k->event_type[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a Vapi message needs a \"type\"")));
		vp_vapi_handle(payload, k->message, k->event_type, cxt, a);
	}
	else if (strcmp(k->source, "instantly") == 0)
	{
		static VpPlan instantly = {
			.sql = "SELECT d.org_id, pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('ok', true,"
			" 'event_id', d.event_id, 'event_type', d.event_type, 'intent', d.intent, 'decision', d.decision,"
			" 'duplicate', d.duplicate)) FROM vapi_pool.handle_instantly_event($1) d",
			.nargs = 1, .argtypes = {JSONBOID}
		};
		Datum		arg = JsonbPGetDatum(payload);
		bool		isnull;

		vp_execute(&instantly, &arg, NULL, 1);
		vp_answer_org_column(a, cxt, ANSWER_COL_ORG);
		vp_answer_datum(a, cxt, 200, vp_getdatum(0, ANSWER_COL_BODY, &isnull));
	}
	else
		vp_cal_handle(payload, k->event_type, cxt, a);
}

/* An event to handle, as a subtransaction's step. */
typedef struct EventStep
{
	EventKey   *key;
	Jsonb	   *payload;
	MemoryContext cxt;
	WebhookAnswer *answer;
} EventStep;

static void
run_event_step(void *arg)
{
	EventStep  *e = arg;

	handle_event(e->key, e->payload, e->cxt, e->answer);
}

/*
 * Runs the event in a subtransaction; on error rolls its effects back and
 * fills the failure (error message and SQLSTATE in cxt) and the answer the
 * sender gets.  Returns whether it succeeded.
 */
static bool
run_event(EventKey *k, Jsonb *payload, MemoryContext cxt, WebhookAnswer *a, char **error,
		  char **sqlstate)
{
	EventStep	step = {k, payload, cxt, a};
	ErrorData  *edata = vp_in_subtransaction(run_event_step, &step);
	MemoryContext spicxt;
	StringInfoData msg;

	if (edata == NULL)
		return true;
	spicxt = MemoryContextSwitchTo(cxt);
	initStringInfo(&msg);
	appendStringInfoString(&msg, edata->message);
	if (edata->detail)
		appendStringInfo(&msg, " (%s)", edata->detail);
	*error = msg.data;
	*sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
	a->has_org = false;
	if (k->message != NULL)
		vp_vapi_failure_answer(k->message, k->event_type, cxt, *error, a);
	else
		a->http_status = 0;
	if (a->http_status == 0)
	{
		StringInfoData ans;

		initStringInfo(&ans);
		appendStringInfoString(&ans, "{\"error\": ");
		vp_json_string(&ans, *error);
		appendStringInfo(&ans, ", \"sqlstate\": \"%s\", \"stored\": true}", *sqlstate);
		vp_answer_text(a, cxt, failure_status(edata->sqlerrcode), ans.data);
	}
	MemoryContextSwitchTo(spicxt);
	return false;
}

/* What became of one delivery: the columns of webhook_receipt. */
typedef struct Receipt
{
	int64		inbox_id;
	int			http_status;
	Datum		answer;			/* jsonb, in the caller's memory context */
	const char *state;			/* processed, waiting or failed */
	bool		duplicate;
} Receipt;

/* Fills a receipt (the answer already lives in the caller's context). */
static void
set_receipt(Receipt *r, int64 id, int status, Datum answer, const char *state, bool duplicate)
{
	r->inbox_id = id;
	r->http_status = status;
	r->answer = answer;
	r->state = state;
	r->duplicate = duplicate;
}

/* What the shim fetches for a waiting event. */
static VpPlan waiting_requests = {
	.sql = "SELECT vapi_pool.waiting_requests($1)",
	.nargs = 1, .argtypes = {JSONBOID}
};

/* The answer a repeated delivery gets while the first still waits for Cal.com. */
static VpPlan interim_answer = {
	.sql = "SELECT vapi_pool.waiting_interim_answer($1, $2)",
	.nargs = 2, .argtypes = {JSONBOID, BOOLOID}
};

/* A waiting event whose shim is gone, closed with its interim answer. */
static VpPlan close_abandoned = {
	.sql = "UPDATE vapi_pool.webhook_inbox SET state = 'processed', answer = $2, http_status = 200,"
	"   duplicates = duplicates + 1, processed_at = pg_catalog.now() WHERE id = $1",
	.nargs = 2, .argtypes = {INT8OID, JSONBOID}
};

/*
 * Runs the event and stores the outcome: a new inbox row, or the existing
 * row id (a failed event run again) updated.  Fills the receipt.
 */
static void
run_and_store(MemoryContext cxt, EventKey *k, Jsonb *payload, int64 existing, Receipt *r)
{
	WebhookAnswer a = {0};
	char	   *error = NULL;
	char	   *sqlstate = NULL;
	bool		ok;
	bool		isnull;
	int64		id = existing;
	const char *state;

	ok = run_event(k, payload, cxt, &a, &error, &sqlstate);
	state = !ok ? "failed" : a.waiting ? "waiting" : "processed";
	if (existing == 0)
	{
		Datum		v[10] = {a.org_id, CStringGetTextDatum(k->source), CStringGetTextDatum(k->event_type),
		CStringGetTextDatum(k->dedupe_key), CStringGetTextDatum(state), Int32GetDatum(a.http_status),
		a.answer, error ? CStringGetTextDatum(error) : 0, sqlstate ? CStringGetTextDatum(sqlstate) : 0,
		JsonbPGetDatum(payload)};
		char		n[11] = "          ";

		n[0] = a.has_org ? ' ' : 'n';
		n[7] = error ? ' ' : 'n';
		n[8] = sqlstate ? ' ' : 'n';
		vp_execute(&insert_event, v, n, 1);
		id = DatumGetInt64(vp_getdatum(0, VP_SOLE_COLUMN, &isnull));
	}
	else
	{
		Datum		v[7] = {a.org_id, CStringGetTextDatum(state), Int32GetDatum(a.http_status), a.answer,
		error ? CStringGetTextDatum(error) : 0, sqlstate ? CStringGetTextDatum(sqlstate) : 0,
		Int64GetDatum(existing)};
		char		n[8] = "       ";

		n[0] = a.has_org ? ' ' : 'n';
		n[4] = error ? ' ' : 'n';
		n[5] = sqlstate ? ' ' : 'n';
		vp_execute(&update_event, v, n, 0);
	}
	if (!ok)
		ereport(WARNING,
				(errmsg("webhook %s %s stored as failed (inbox id " INT64_FORMAT ")", k->source,
						k->event_type[0] ? k->event_type : "without a type", id),
				 errdetail("%s", error),
				 errhint("Fix the cause, then run SELECT vapi_pool.replay_event(" INT64_FORMAT ").", id)));
	if (ok && a.waiting)
	{
		/* the shim fetches what the waiting tool calls asked for, then calls continue_webhook */
		MemoryContext old;

		vp_execute(&waiting_requests, &a.answer, NULL, 1);
		old = MemoryContextSwitchTo(cxt);
		a.answer = PointerGetDatum(PG_DETOAST_DATUM_COPY(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)));
		MemoryContextSwitchTo(old);
	}
	set_receipt(r, id, a.http_status, a.answer, state, false);
}

/*
 * Stores one delivery and acts on it, in the caller's transaction: the
 * receipt's answer is allocated in cxt.  Errors outside the event's own
 * handling (an unknown source, the inbox row) are thrown.
 */
static void
receive_one(MemoryContext cxt, const char *source, Jsonb *payload, Receipt *r)
{
	EventKey	k;
	Datum		args[2];
	bool		isnull;

	if (!JB_ROOT_IS_OBJECT(payload))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a webhook body must be a JSON object")));

	vp_spi_connect();
	event_key(source, payload, &k);

	/* one delivery of an event at a time */
	DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(INBOX_LOCK_CLASS),
						Int32GetDatum((int32) hash_bytes((const unsigned char *) k.dedupe_key,
														 strlen(k.dedupe_key)) ^
									  (int32) k.source[0]));

	args[0] = CStringGetTextDatum(k.source);
	args[1] = CStringGetTextDatum(k.dedupe_key);
	vp_execute(&find_event, args, NULL, 1);
	if (SPI_processed == 0)
		run_and_store(cxt, &k, payload, 0, r);
	else
	{
		int64		id = DatumGetInt64(vp_getdatum(0, EVENT_COL_ID, &isnull));
		char	   *state = TextDatumGetCString(vp_getdatum(0, EVENT_COL_STATE, &isnull));

		if (strcmp(state, "processed") == 0)
		{
			int			status = DatumGetInt32(vp_getdatum(0, EVENT_COL_HTTP_STATUS, &isnull));
			Datum		answer;
			MemoryContext old = MemoryContextSwitchTo(cxt);

			answer = PointerGetDatum(PG_DETOAST_DATUM_COPY(vp_getdatum(0, EVENT_COL_ANSWER, &isnull)));
			MemoryContextSwitchTo(old);
			args[0] = Int64GetDatum(id);
			vp_execute(&count_duplicate, args, NULL, 0);
			set_receipt(r, id, status, answer, "processed", true);
		}
		else if (strcmp(state, "waiting") == 0)
		{
			/*
			 * The first delivery is still fetching from Cal.com: never twice.
			 * One waiting past its budget lost its shim: it is closed with
			 * the waiting items as errors (sending again could book twice).
			 */
			bool		abandoned = DatumGetBool(vp_getdatum(0, EVENT_COL_ABANDONED, &isnull));
			Datum		answer;
			MemoryContext old;

			args[0] = vp_getdatum(0, EVENT_COL_ANSWER, &isnull);
			args[1] = BoolGetDatum(abandoned);
			vp_execute(&interim_answer, args, NULL, 1);
			old = MemoryContextSwitchTo(cxt);
			answer = PointerGetDatum(PG_DETOAST_DATUM_COPY(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)));
			MemoryContextSwitchTo(old);
			args[0] = Int64GetDatum(id);
			args[1] = answer;
			vp_execute(abandoned ? &close_abandoned : &count_duplicate, args, NULL, 0);
			set_receipt(r, id, 200, answer, "processed", true);
		}
		else
			run_and_store(cxt, &k, payload, id, r);
	}
	SPI_finish();
}

/*
 * SQL: receive_webhook(source text, payload jsonb) -> webhook_receipt.
 * Stores an authenticated webhook once, acts on it, and returns the answer
 * for its sender (a repeated delivery gets the first answer).
 */
Datum
vapi_pool_receive_webhook(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Receipt		r = {0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source and payload must not be NULL")));
	receive_one(cxt, text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_JSONB_P(1), &r);
	PG_RETURN_DATUM(vp_webhook_receipt(fcinfo, cxt, r.inbox_id, r.http_status, r.answer, r.state,
									   r.duplicate));
}

/*
 * SQL: replay_event(id bigint) -> webhook_receipt.
 * Runs a failed event of the inbox again with its stored payload.
 */
Datum
vapi_pool_replay_event(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	int64		id = PG_GETARG_INT64(0);
	Datum		arg = Int64GetDatum(id);
	EventKey	k;
	Jsonb	   *payload;
	char	   *state;
	Receipt		r = {0};
	bool		isnull;

	vp_spi_connect();
	vp_execute(&find_event_by_id, &arg, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("inbox event " INT64_FORMAT " does not exist", id)));
	state = TextDatumGetCString(vp_getdatum(0, EVENT_COL_STATE, &isnull));
	if (strcmp(state, "failed") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("inbox event " INT64_FORMAT " was already processed", id),
				 errdetail("Only failed events (the dead-letter queue) are replayed."),
				 errhint("A processed event's answer is in webhook_inbox.answer.")));
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		k.source = TextDatumGetCString(vp_getdatum(0, EVENT_COL_SOURCE, &isnull));
		payload = DatumGetJsonbPCopy(vp_getdatum(0, EVENT_COL_PAYLOAD, &isnull));
		MemoryContextSwitchTo(old);
	}
	/* a payload the retention purge emptied ({}, or a Cal.com event's uids) is nothing to run */
	if (JB_ROOT_COUNT(payload) == 0 || vp_json_text(payload, (const char *[]) {"purged", NULL}) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("inbox event " INT64_FORMAT " cannot be replayed: its payload was purged", id),
				 errdetail("Failed events keep their payload 60 days past the organisation's payload retention; this one's is gone."),
				 errhint("Ask the sender to deliver the event again.")));
	event_key(k.source, payload, &k);
	run_and_store(cxt, &k, payload, id, &r);
	SPI_finish();
	PG_RETURN_DATUM(vp_webhook_receipt(fcinfo, cxt, r.inbox_id, r.http_status, r.answer, r.state,
									   r.duplicate));
}

/* ---------------------------------------------------------------- groups */

/* the most events one receive_webhooks call takes */
#define GROUP_MAX_EVENTS 256

/* the columns of receive_webhooks */
enum
{
	GROUP_COL_ORDINAL,
	GROUP_COL_INBOX_ID,
	GROUP_COL_HTTP_STATUS,
	GROUP_COL_ANSWER,
	GROUP_COL_STATE,
	GROUP_COL_DUPLICATE,
	GROUP_COL_ERROR_SQLSTATE,
	GROUP_COL_ERROR,
	GROUP_NCOLS
};

/* One delivery of a group, as a subtransaction's step. */
typedef struct GroupStep
{
	MemoryContext cxt;
	const char *source;
	const char *payload;		/* the body as text: read inside the step */
	Receipt    *receipt;
} GroupStep;

static void
run_group_step(void *arg)
{
	GroupStep  *g = arg;
	Datum		body = DirectFunctionCall1(jsonb_in, CStringGetDatum(g->payload));
	int			guc_level = NewGUCNestLevel();
	const char *claims = GetConfigOption("request.jwt.claims", true, false);

	/*
	 * The organisation's claims a delivery sets for its transaction
	 * (vp_set_org_claims) end with it, as a function's SET clause ends its
	 * SET LOCAL: saved here, restored below.
	 */
	(void) set_config_option("request.jwt.claims", claims ? claims : "", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	receive_one(g->cxt, g->source, DatumGetJsonbP(body), g->receipt);
	AtEOXact_GUC(true, guc_level);
}

/* The elements of a one-dimensional text[] argument. */
static int
text_elements(ArrayType *a, const char *name, Datum **values, bool **nulls)
{
	int			n;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name)));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, values, nulls, &n);
	return n;
}

/* Fills a result row from one delivery's receipt or error. */
static void
group_row(int ordinal, const Receipt *r, const ErrorData *e, Datum *values, bool *nulls)
{
	memset(nulls, true, GROUP_NCOLS * sizeof(bool));
	values[GROUP_COL_ORDINAL] = Int32GetDatum(ordinal);
	nulls[GROUP_COL_ORDINAL] = false;
	if (e != NULL)
	{
		values[GROUP_COL_ERROR_SQLSTATE] = CStringGetTextDatum(unpack_sql_state(e->sqlerrcode));
		values[GROUP_COL_ERROR] = CStringGetTextDatum(e->message ? e->message : "unknown error");
		nulls[GROUP_COL_ERROR_SQLSTATE] = nulls[GROUP_COL_ERROR] = false;
		/* a delivery the shim runs again alone once the group committed */
		if (vp_error_puts_off(e->sqlerrcode))
		{
			values[GROUP_COL_STATE] = CStringGetTextDatum("put_off");
			nulls[GROUP_COL_STATE] = false;
		}
		return;
	}
	values[GROUP_COL_INBOX_ID] = Int64GetDatum(r->inbox_id);
	values[GROUP_COL_HTTP_STATUS] = Int32GetDatum(r->http_status);
	values[GROUP_COL_ANSWER] = r->answer;
	values[GROUP_COL_STATE] = CStringGetTextDatum(r->state);
	values[GROUP_COL_DUPLICATE] = BoolGetDatum(r->duplicate);
	nulls[GROUP_COL_INBOX_ID] = nulls[GROUP_COL_HTTP_STATUS] = nulls[GROUP_COL_ANSWER] = false;
	nulls[GROUP_COL_STATE] = nulls[GROUP_COL_DUPLICATE] = false;
}

/*
 * SQL: receive_webhooks(sources text[], payloads text[]) -> setof rows.
 * The shim's group commit: several deliveries in the caller's one
 * transaction, each exactly as receive_webhook would take it (the same
 * keys, locks, answers and dead letters), each in a subtransaction of its
 * own, so one that fails (a body that is not JSON, an unknown source) fails
 * alone and comes back as its SQLSTATE and message, with nothing of it
 * stored.  A delivery that waits for a lock longer than
 * vapi_pool.group_lock_timeout, or is a deadlock's victim, is put off the
 * same way (55P03, 40P01): two groups that lock the same rows in opposite
 * orders would otherwise hold every delivery of both until the deadlock
 * detector ran; the shim runs it alone once the group has committed.  A later delivery of an event an earlier one of the
 * group stored is its duplicate, as across transactions.  Rows come back in
 * the order of the arguments, numbered by ordinal.  A cancel or a server in
 * trouble still ends the whole statement: nothing of the group is stored.
 */
Datum
vapi_pool_receive_webhooks(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext event_cxt;
	Datum	   *sources;
	Datum	   *payloads;
	bool	   *source_nulls;
	bool	   *payload_nulls;
	int			n;
	int			guc_level;
	bool		was_put_off = vp_put_off_errors;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sources and payloads must not be NULL")));
	n = text_elements(PG_GETARG_ARRAYTYPE_P(0), "sources", &sources, &source_nulls);
	if (text_elements(PG_GETARG_ARRAYTYPE_P(1), "payloads", &payloads, &payload_nulls) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sources and payloads must have the same length"),
				 errdetail("Each payload is the body of the delivery whose source has its position.")));
	if (n > GROUP_MAX_EVENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a group holds at most %d deliveries, not %d", GROUP_MAX_EVENTS, n),
				 errhint("Split the deliveries into several calls.")));

	vp_init_materialized_srf(fcinfo);
	event_cxt = AllocSetContextCreate(CurrentMemoryContext, "receive_webhooks delivery",
									  ALLOCSET_DEFAULT_SIZES);
	guc_level = NewGUCNestLevel();
	if (vp_group_lock_timeout_ms > 0 &&
		(LockTimeout == 0 || LockTimeout > vp_group_lock_timeout_ms))
	{
		char		ms[16];

		snprintf(ms, sizeof(ms), "%d", vp_group_lock_timeout_ms);
		(void) set_config_option("lock_timeout", ms, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
								 false);
	}
	vp_put_off_errors = true;
	PG_TRY();
	{
		for (int i = 0; i < n; i++)
		{
			Datum		values[GROUP_NCOLS];
			bool		nulls[GROUP_NCOLS];
			Receipt		r = {0};
			ErrorData  *e;
			MemoryContext old;

			MemoryContextReset(event_cxt);
			old = MemoryContextSwitchTo(event_cxt);
			if (source_nulls[i] || payload_nulls[i])
			{
				e = palloc0(sizeof(ErrorData));
				e->sqlerrcode = ERRCODE_NULL_VALUE_NOT_ALLOWED;
				e->message = "source and payload must not be NULL";
			}
			else
			{
				GroupStep	g = {event_cxt, TextDatumGetCString(sources[i]),
				TextDatumGetCString(payloads[i]), &r};

				e = vp_in_delivery_subtransaction(run_group_step, &g);
			}
			group_row(i + 1, &r, e, values, nulls);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(old);
		}
	}
	PG_FINALLY();
	{
		vp_put_off_errors = was_put_off;
	}
	PG_END_TRY();
	AtEOXact_GUC(true, guc_level);
	MemoryContextDelete(event_cxt);
	return (Datum) 0;
}
