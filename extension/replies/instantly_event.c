/*
 * instantly_event.c
 *	  SQL: handle_instantly_event(payload jsonb) -> instantly_decision.
 *	  Seed 000's WF1 in one transaction: an Instantly webhook event is
 *	  recorded once, and a reply is read and acted on.
 *
 * 1. The campaign (with its workspace) names the organisation
 *    (instantly_campaigns); an unknown one is error P0002 and nothing is
 *    stored.
 * 2. The event is claimed in instantly_events by (event_type, email_id):
 *    a delivery seen before returns what was decided then, duplicate =
 *    true, and changes nothing.  Events other than reply_received are only
 *    stored, except lead_unsubscribed, an opt-out.
 * 3. The lead is found by e-mail address (any case) or created with the
 *    payload's fields (firstName / First_name / phone / Phone ..., any
 *    casing), its broker being the one of its ZIP code's territory, else the
 *    campaign's.
 * 4. The reply is classified (reply_classify.h) and:
 *    - call_requested: the number is the reply's, else the lead's; without
 *      one the lead needs a number (status call_requested, no phone) and is
 *      not called.  With one: the reply is recorded as the lead's consent
 *      (lead_consents); a number on a do-not-call list is not called
 *      (suppressed); else the lead gets a pool number (assign_number) and a
 *      vapi.create_call job is queued in the outbox, due now or at the next
 *      allowed hour in the lead's local time (compliance/calling_hours.c).
 *      A pool that cannot lend a number is a recorded decision
 *      (pool_exhausted, assignment_refused), not an error.
 *    - unsubscribe, wrong_person: status do_not_call; not_interested: status
 *      not_interested; the lead's pending create-call jobs are cancelled.
 *      An unsubscribe also puts the number on the organisation's
 *      do-not-call list (compliance/opt_out.c), as Instantly's
 *      lead_unsubscribed event does.
 *    - an opted-out lead is called again only on an explicit call request
 *      (reply_classify's explicit_call) sent after the reply that opted it
 *      out (opt_out_kept otherwise); that request lifts the listing the
 *      reply made, never one from another source.
 *    - anything else: recorded.
 * The Vapi call log row is written when Vapi has accepted the call and
 * named it (record_call_placed, by the dispatcher); until then the event
 * row and the outbox job are the flow's log.
 */
#include "compliance/compliance.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "core/settings.h"
#include "e164/e164_parse.h"
#include "outbox/outbox.h"
#include "pool/pool_engine.h"
#include "replies/reply_classify.h"
#include "replies/reply_sql.h"
#include "core/chars.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"


PG_FUNCTION_INFO_V1(vapi_pool_handle_instantly_event);

/* The payload's fields the flow reads (palloc'd strings, NULL if absent). */
typedef struct EventFields
{
	char	   *event_type;
	char	   *workspace;
	char	   *campaign_id;
	char	   *email_id;
	char	   *lead_email;
	char	   *email;			/* "email": used when lead_email is missing */
	char	   *timestamp;
	char	   *reply_text;
	char	   *snippet;
	char	   *reply_subject;
	char	   *first_name;
	char	   *last_name;
	char	   *phone;
	char	   *zip;
} EventFields;

/* The row handle_instantly_event returns, filled in as the event is handled. */
typedef struct Decision
{
	Datum		event_id;
	Datum		org_id;
	Datum		lead_id;
	bool		has_lead;
	const char *event_type;
	const char *intent;
	float4		confidence;
	const char *evidence;
	const char *decision;
	char	   *detail;
	Datum		call_number;
	bool		has_call_number;
	Datum		assignment_id;
	bool		has_assignment;
	Datum		outbox_id;
	bool		has_outbox;
	bool		consented;		/* the reply was recorded as the lead's consent */
	Datum		call_at;
	bool		has_call_at;
	char	   *lead_status;
	bool		duplicate;
} Decision;

/* The event as the flow reads it. */
typedef struct Event
{
	EventFields f;
	Jsonb	   *payload;
	Datum		campaign;
	Datum		workspace;
	bool		is_reply;		/* reply_received: read and acted on */
	Datum		event_at;		/* the payload's time stamp; once claimed, the stored one */
	bool		has_event_at;
} Event;

/* The organisation that registered the event's campaign. */
typedef struct Org
{
	Datum		org_id;
	Datum		broker_id;		/* the campaign's broker */
	bool		broker_null;
	char	   *region;			/* the organisation's default_region */
} Org;

/* ---------------------------------------------------------------- plans */

static VpPlan find_campaign = {
	.sql = "SELECT c.org_id, c.broker_id, o.default_region, c.workspace_id = $2"
	" FROM vapi_pool.instantly_campaigns c JOIN vapi_pool.orgs o ON o.org_id = c.org_id"
	" WHERE c.campaign_id = $1"
	" ORDER BY c.workspace_id = $2 DESC",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* The columns of find_campaign, counted from 1. */
enum
{
	CAMPAIGN_COL_ORG_ID = 1,
	CAMPAIGN_COL_BROKER_ID,
	CAMPAIGN_COL_REGION,
	CAMPAIGN_COL_THIS_WORKSPACE		/* registered for the event's workspace */
};

/* The reply's text is stored by store_reply, once the event has its lead. */
static VpPlan claim_event = {
	.sql = "INSERT INTO vapi_pool.instantly_events (org_id, event_type, dedup_key, email_id, campaign_id,"
	"  workspace_id, lead_email, event_at, reply_subject, decision, payload)"
	" VALUES ($1, $2, coalesce($3, 'md5:' || pg_catalog.md5($9::text)), $3, $4, $5, $6, $7, $8,"
	"  'recorded', $9 - '{reply_text,reply_html,reply_text_snippet}'::text[])"
	" ON CONFLICT (org_id, event_type, dedup_key) DO NOTHING"
	" RETURNING id, coalesce(event_at, received_at)",
	.nargs = 9, .argtypes = {UUIDOID, TEXTOID, TEXTOID, UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID, TEXTOID,
	JSONBOID}
};

/* The columns of claim_event. */
enum
{
	CLAIM_COL_ID = 1,
	CLAIM_COL_EVENT_AT				/* the payload's time stamp, else when it was received */
};

static VpPlan stored_event = {
	.sql = "SELECT e.id, e.lead_id, e.intent, e.confidence, e.evidence, e.decision, e.decision_detail,"
	"  e.call_number, e.assignment_id, e.outbox_id, e.call_at, l.status"
	" FROM vapi_pool.instantly_events e"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = e.org_id AND l.id = e.lead_id"
	" WHERE e.org_id = $1 AND e.event_type = $2 AND e.dedup_key = coalesce($3, 'md5:' || pg_catalog.md5($4::text))",
	.nargs = 4, .argtypes = {UUIDOID, TEXTOID, TEXTOID, JSONBOID}
};

/* The columns of stored_event. */
enum
{
	STORED_COL_ID = 1,
	STORED_COL_LEAD_ID,
	STORED_COL_INTENT,
	STORED_COL_CONFIDENCE,
	STORED_COL_EVIDENCE,
	STORED_COL_DECISION,
	STORED_COL_DETAIL,
	STORED_COL_CALL_NUMBER,
	STORED_COL_ASSIGNMENT_ID,
	STORED_COL_OUTBOX_ID,
	STORED_COL_CALL_AT,
	STORED_COL_LEAD_STATUS
};

/* Replies of one new lead, handled concurrently, must not create it twice. */
static VpPlan lock_email = {
	.sql = "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended("
	"  'vapi_pool.lead:' || $1::text || ':' || pg_catalog.lower($2), 0))",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

/* The lead of an address ($2, any case): the one of the campaign ($3) first, then the oldest. */
#define LEAD_BY_EMAIL \
	" FROM vapi_pool.leads l" \
	" WHERE l.org_id = $1 AND pg_catalog.lower(l.email) = pg_catalog.lower($2)" \
	" ORDER BY l.instantly_campaign_id IS NOT DISTINCT FROM $3 DESC, l.created_at, l.id LIMIT 1"

static VpPlan find_lead = {
	.sql = "SELECT l.id, l.status, l.primary_phone_e164" LEAD_BY_EMAIL
	" FOR NO KEY UPDATE OF l",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, UUIDOID}
};

/* The columns of find_lead and create_lead; peek_lead has the first two. */
enum
{
	LEAD_COL_ID = 1,
	LEAD_COL_STATUS,
	LEAD_COL_PHONE
};

static VpPlan peek_lead = {
	.sql = "SELECT l.id, l.status" LEAD_BY_EMAIL,
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, UUIDOID}
};

static VpPlan create_lead = {
	.sql = "INSERT INTO vapi_pool.leads (org_id, broker_id, first_name, last_name, email, primary_phone_e164,"
	"  zip, instantly_campaign_id)"
	" VALUES ($1, coalesce((SELECT t.broker_id FROM vapi_pool.territories t WHERE t.org_id = $1 AND t.zip = $7), $2),"
	"  $3, $4, pg_catalog.lower($5), vapi_pool.e164_try_parse($6, $9), $7, $8)"
	" RETURNING id, status, primary_phone_e164",
	.nargs = 9, .argtypes = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID, TEXTOID}
};

/* A known lead: the payload fills what is missing, never overwrites. */
static VpPlan fill_lead = {
	.sql = "UPDATE vapi_pool.leads SET first_name = coalesce(first_name, $3), last_name = coalesce(last_name, $4),"
	"  primary_phone_e164 = coalesce(primary_phone_e164, vapi_pool.e164_try_parse($5, $7)),"
	"  zip = coalesce(zip, $6), instantly_campaign_id = coalesce(instantly_campaign_id, $8)"
	" WHERE org_id = $1 AND id = $2"
	"   AND ((first_name IS NULL AND $3 IS NOT NULL) OR (last_name IS NULL AND $4 IS NOT NULL)"
	"     OR (primary_phone_e164 IS NULL AND vapi_pool.e164_try_parse($5, $7) IS NOT NULL)"
	"     OR (zip IS NULL AND $6 IS NOT NULL) OR (instantly_campaign_id IS NULL AND $8 IS NOT NULL))"
	" RETURNING primary_phone_e164",
	.nargs = 8, .argtypes = {UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID}
};

static VpPlan last_opt_out = {
	.sql = "SELECT pg_catalog.max(coalesce(event_at, received_at)) FROM vapi_pool.instantly_events"
	" WHERE org_id = $1 AND lead_id = $2 AND decision = 'opted_out'",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan set_phone = {
	.sql = "UPDATE vapi_pool.leads SET primary_phone_e164 = $3"
	" WHERE org_id = $1 AND id = $2 AND primary_phone_e164 IS DISTINCT FROM $3",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, VP_E164_ARG}
};

static VpPlan set_status = {
	.sql = "UPDATE vapi_pool.leads SET status = $3 WHERE org_id = $1 AND id = $2 AND status <> $3",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

static VpPlan pending_call = {
	.sql = "SELECT o.id FROM vapi_pool.outbox o"
	" WHERE o.org_id = $1 AND o.kind = 'vapi.create_call' AND o.state IN ('pending', 'in_flight')"
	"   AND (o.payload ->> 'lead_id') = $2::text"
	" ORDER BY o.run_at, o.id LIMIT 1",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* A job not yet sent calls the number the lead gave last. */
/*
 * The waiting call: to the number read now and, when this reply asks for a
 * time ($4 not null), at the time it asks for (within the calling hours).
 */
static VpPlan repoint_call = {
	.sql = "UPDATE vapi_pool.outbox SET payload = payload || pg_catalog.jsonb_build_object('customer_number', $3),"
	"   run_at = COALESCE($4, run_at)"
	" WHERE org_id = $1 AND id = $2 AND state = 'pending'"
	"   AND ((payload ->> 'customer_number') IS DISTINCT FROM $3::text OR run_at IS DISTINCT FROM COALESCE($4, run_at))",
	.nargs = 4, .argtypes = {UUIDOID, INT8OID, VP_E164_ARG, TIMESTAMPTZOID}
};

static VpPlan assign = {
	.sql = "SELECT a.id FROM vapi_pool.assign_number($1) a",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The column of assign. */
enum
{
	ASSIGN_COL_ID = 1
};

/* The same job shape as call_outcome.c's retries, attempt 1, with the reply it answers. */
static VpPlan queue_call = {
	.sql = VP_CREATE_CALL_INSERT("1", "$5")
	"     'reply_email_id', $3),"
	"   'instantly-reply:' || $3, $4"
	VP_CREATE_CALL_FROM
	" RETURNING id",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID, INT4OID}
};

static VpPlan job_by_key = {
	.sql = "SELECT id FROM vapi_pool.outbox WHERE org_id = $1 AND idempotency_key = 'instantly-reply:' || $2",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

/* The lead's waiting calls, never sent: suppressed (an opt-out, not a failure). */
static VpPlan cancel_calls = {
	.sql = "UPDATE vapi_pool.outbox SET state = 'suppressed', last_error = $3, finished_at = pg_catalog.now()"
	" WHERE org_id = $1 AND kind = 'vapi.create_call' AND state = 'pending'"
	"   AND (payload ->> 'lead_id') = $2::text",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

/*
 * The lead's number, lent for the call that will not be placed now: its
 * assignment if no call was placed on it (booked) and none is being placed.
 */
static VpPlan idle_assignment = {
	.sql = "SELECT a.id FROM vapi_pool.vapi_number_assignments a"
	" WHERE a.org_id = $1 AND a.lead_id = $2 AND a.status = 'booked'"
	"   AND NOT EXISTS (SELECT FROM vapi_pool.outbox o WHERE o.org_id = $1 AND o.kind = 'vapi.create_call'"
	"     AND o.state = 'in_flight' AND (o.payload ->> 'lead_id') = $2::text)",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/*
 * The reply that asks for the call is the lead's consent: its id and, once
 * the event row holds it (save_decision), its redacted text (consent_text).
 */
static VpPlan record_consent = {
	.sql = "INSERT INTO vapi_pool.lead_consents (org_id, lead_id, kind, source_id, given_at, recorded_by)"
	" SELECT e.org_id, $2, 'instantly_reply', $3, coalesce(e.event_at, e.received_at), NULL"
	" FROM vapi_pool.instantly_events e WHERE e.org_id = $1 AND e.id = $4"
	" ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, TEXTOID, UUIDOID}
};

static VpPlan consent_text = {
	.sql = "UPDATE vapi_pool.lead_consents c SET evidence = e.reply_text"
	" FROM vapi_pool.instantly_events e"
	" WHERE e.org_id = $1 AND e.id = $2 AND c.org_id = $1 AND c.lead_id = e.lead_id"
	"   AND c.kind = 'instantly_reply' AND c.source_id = e.email_id AND c.evidence IS NULL",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/*
 * A later explicit call request lifts the listings this lead's own opt-outs
 * by reply made (the Instantly events named by source_id), and no other.
 */
static VpPlan lift_reply_listing = {
	.sql = "DELETE FROM vapi_pool.do_not_call d WHERE d.org_id = $1 AND d.source = 'instantly'"
	"   AND d.source_id IN (SELECT e.id::text FROM vapi_pool.instantly_events e"
	"     WHERE e.org_id = $1 AND e.lead_id = $2 AND e.decision = 'opted_out')",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan record_decision = {
	.sql = "UPDATE vapi_pool.instantly_events SET lead_id = $3, intent = $4, phone = $5, confidence = $6,"
	"  evidence = $7, decision = $8, decision_detail = $9, call_number = $10, assignment_id = $11,"
	"  outbox_id = $12, call_at = (SELECT o.run_at FROM vapi_pool.outbox o WHERE o.org_id = $1 AND o.id = $12)"
	" WHERE org_id = $1 AND id = $2"
	" RETURNING call_at",
	.nargs = 12, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TEXTOID, VP_E164_ARG, FLOAT4OID, TEXTOID, TEXTOID,
	TEXTOID, VP_E164_ARG, UUIDOID, INT8OID}
};

/*
 * The reply's text (its snippet when the payload has no reply_text), stored
 * once the event has its lead: the row trigger (redact_instantly_event)
 * redacts it with redact_pii and the lead's details, so the text as
 * received never reaches the table.  It was classified before, as received.
 */
static VpPlan store_reply = {
	.sql = "UPDATE vapi_pool.instantly_events SET reply_text = $3 WHERE org_id = $1 AND id = $2",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

static VpPlan lead_status = {
	.sql = "SELECT status FROM vapi_pool.leads WHERE org_id = $1 AND id = $2",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* ---------------------------------------------------------------- the payload */

/* A scalar JSON value as text (strings as they are, numbers as written); NULL otherwise. */
static char *
scalar_text(const JsonbValue *v)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	return NULL;
}

/* The key in lower case without anything but letters and digits ("First_name" -> firstname). */
static void
fold_key(const char *key, int len, char *out, int outlen)
{
	int			n = 0;

	for (int i = 0; i < len && n < outlen - 1; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (vp_is_alnum(c))
			out[n++] = (char) vp_to_lower(c);
	}
	out[n] = '\0';
}

/* Whether folded key k is one of the space-separated names. */
static bool
key_is(const char *k, const char *names)
{
	size_t		kl = strlen(k);

	while (*names)
	{
		const char *e = strchr(names, ' ');
		size_t		n = e ? (size_t) (e - names) : strlen(names);

		if (n == kl && strncmp(names, k, n) == 0)
			return true;
		names += n;
		if (*names == ' ')
			names++;
	}
	return false;
}

/* Sets *slot to value unless it already holds a non-empty one. */
static void
take(char **slot, char *value)
{
	if (value != NULL && value[0] != '\0' && (*slot == NULL || (*slot)[0] == '\0'))
		*slot = value;
}

/* Reads the top-level fields of the payload. */
static void
read_fields(Jsonb *payload, EventFields *f)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			keylen = 0;

	memset(f, 0, sizeof(*f));
	if (!JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_SCALAR(payload))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("instantly event payload must be a JSON object")));
	it = JsonbIteratorInit(&payload->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char		folded[40];
		char	   *value;

		if (tok == WJB_KEY)
		{
			key = v.val.string.val;
			keylen = v.val.string.len;
			continue;
		}
		if (tok != WJB_VALUE || key == NULL)
			continue;
		value = scalar_text(&v);
		if (value == NULL)
			continue;
		/* Instantly's own fields, by their exact names */
#define FIELD(name, slot) \
		if (keylen == (int) strlen(name) && memcmp(key, name, keylen) == 0) { take(&f->slot, value); continue; }
		FIELD("event_type", event_type);
		FIELD("workspace", workspace);
		FIELD("campaign_id", campaign_id);
		FIELD("email_id", email_id);
		FIELD("lead_email", lead_email);
		FIELD("email", email);
		FIELD("timestamp", timestamp);
		FIELD("reply_text", reply_text);
		FIELD("reply_text_snippet", snippet);
		FIELD("reply_subject", reply_subject);
#undef FIELD
		/* the lead's fields, in whatever casing the customer's list used */
		fold_key(key, keylen, folded, sizeof(folded));
		if (key_is(folded, "firstname first fname givenname"))
			take(&f->first_name, value);
		else if (key_is(folded, "lastname last lname surname familyname"))
			take(&f->last_name, value);
		else if (key_is(folded, "phone phonenumber phone1 mobile mobilephone mobilenumber cell cellphone telephone tel"))
			take(&f->phone, value);
		else if (key_is(folded, "zip zipcode postalcode postcode"))
			take(&f->zip, value);
	}
	if (f->lead_email == NULL)
		f->lead_email = f->email;
}

/* Whether s is a uuid in its usual text form (with or without dashes). */
static bool
uuid_shaped(const char *s)
{
	size_t		len = strlen(s);

	if (len == 36)
		return vp_is_uuid_text(s, 36);
	if (len != 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!vp_is_xdigit((unsigned char) s[i]))
			return false;
	return true;
}

/* A uuid field of the payload, which must be present and well formed. */
static Datum
uuid_field(const char *value, const char *name)
{
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("instantly event has no %s", name),
				 errdetail("Every Instantly event names its workspace and campaign.")));
	if (!uuid_shaped(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("instantly event %s \"%s\" is not a uuid", name, value)));
	return DirectFunctionCall1(uuid_in, CStringGetDatum(value));
}

/* Whether s has the shape of the email_address domain: local@domain.tld, no spaces. */
static bool
email_shaped(const char *s)
{
	const char *at = strchr(s, '@');
	const char *dot;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strpbrk(s, " \t\r\n\v\f") != NULL)
		return false;
	dot = strrchr(at + 1, '.');
	while (dot != NULL && (dot == at + 1 || dot[1] == '\0'))
	{
		/* the regex needs some dot with characters on both sides */
		const char *p = dot - 1;

		while (p > at && *p != '.')
			p--;
		dot = p > at ? p : NULL;
	}
	return dot != NULL;
}

/* Whether s looks like an ISO 8601 time stamp: 2026-11-21T15:49:49.188Z. */
static bool
timestamp_shaped(const char *s)
{
	static const char shape[] = "dddd-dd-dd?dd:dd";

	if (strlen(s) < sizeof(shape) - 1 || strlen(s) > 40)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
	{
		char		c = s[i];

		if (shape[i] == 'd' ? !vp_is_digit((unsigned char) c) : shape[i] == '?' ? !(c == 'T' || c == ' ') : c != shape[i])
			return false;
	}
	for (const char *p = s + sizeof(shape) - 1; *p; p++)
		if (!strchr("0123456789:.+-Z", *p))
			return false;
	return true;
}

/* The payload's ZIP code as a us_zip (five digits; ZIP+4 cut), or NULL. */
static char *
five_digit_zip(const char *zip)
{
	if (zip == NULL || strlen(zip) < 5)
		return NULL;
	for (int i = 0; i < 5; i++)
		if (!vp_is_digit((unsigned char) zip[i]))
			return NULL;
	if (zip[5] != '\0' && !(zip[5] == '-' && strlen(zip) == 10))
		return NULL;
	if (strncmp(zip, "00000", 5) == 0)
		return NULL;
	return pnstrdup(zip, 5);
}

/* ---------------------------------------------------------------- steps */

/* A copy of a uuid column of the last result, in the current memory context. */
static Datum
uuid_col(int col, bool *isnull)
{
	Datum		d = vp_getdatum(0, col, isnull);

	return *isnull ? (Datum) 0 : datumCopy(d, false, UUID_LEN);
}

/*
 * Reads the payload into e: its fields, the campaign and workspace, and the
 * time stamp if it has a valid one.  Errors when the event has no type, no
 * valid campaign or workspace, or, for a reply, no email_id or no valid
 * lead_email.
 */
static void
read_event(Jsonb *payload, Event *e)
{
	EventFields *f = &e->f;

	read_fields(payload, f);
	if (f->event_type == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("instantly event has no event_type")));
	e->payload = payload;
	e->campaign = uuid_field(f->campaign_id, "campaign_id");
	e->workspace = uuid_field(f->workspace, "workspace");
	e->is_reply = strcmp(f->event_type, "reply_received") == 0;
	if (e->is_reply)
	{
		if (f->email_id == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("instantly reply has no email_id"),
					 errdetail("email_id identifies the reply, so that a delivery repeated by Instantly changes nothing.")));
		if (f->lead_email == NULL || !email_shaped(f->lead_email))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("instantly reply has no valid lead_email"),
					 f->lead_email ? errdetail("\"%s\" is not an e-mail address.", f->lead_email) : 0));
	}
	e->event_at = (Datum) 0;
	e->has_event_at = false;
	if (f->timestamp != NULL && timestamp_shaped(f->timestamp))
	{
		e->event_at = DirectFunctionCall3(timestamptz_in, CStringGetDatum(f->timestamp),
										  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		e->has_event_at = true;
	}
}

/* Step 1: the organisation that registered the event's campaign; errors if there is none. */
static void
find_org(const Event *e, Org *org)
{
	Datum		v[2] = {e->campaign, e->workspace};
	bool		isnull;

	vp_execute(&find_campaign, v, NULL, 0);
	if (SPI_processed == 0 || !DatumGetBool(vp_getdatum(0, CAMPAIGN_COL_THIS_WORKSPACE, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("instantly campaign %s of workspace %s is not registered", e->f.campaign_id, e->f.workspace),
				 SPI_processed > 0 ? errdetail("The campaign is registered for another workspace.") :
				 errdetail("No organisation has registered this campaign."),
				 errhint("Add it to vapi_pool.instantly_campaigns (org_id, campaign_id, workspace_id, broker_id).")));
	if (SPI_processed > 1 && DatumGetBool(vp_getdatum(1, CAMPAIGN_COL_THIS_WORKSPACE, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("instantly campaign %s of workspace %s is registered by more than one organisation",
						e->f.campaign_id, e->f.workspace),
				 errhint("Keep the campaign in vapi_pool.instantly_campaigns of one organisation only.")));
	org->org_id = uuid_col(CAMPAIGN_COL_ORG_ID, &isnull);
	org->broker_id = uuid_col(CAMPAIGN_COL_BROKER_ID, &org->broker_null);
	org->region = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, CAMPAIGN_COL_REGION);
}

/* Fills d from the stored row of an event received before. */
static void
load_stored(const Event *e, Datum org_id, Decision *d)
{
	Datum		v[4];
	char		n[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;

	v[0] = org_id;
	v[1] = CStringGetTextDatum(e->f.event_type);
	v[2] = vp_text_arg(e->f.email_id, &n[2]);
	v[3] = PointerGetDatum(e->payload);
	vp_execute(&stored_event, v, n, 0);
	if (SPI_processed != 1)
		elog(ERROR, "instantly event %s claimed by a concurrent transaction that rolled back", e->f.email_id);
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	d->duplicate = true;
	d->event_id = uuid_col(STORED_COL_ID, &isnull);
	d->lead_id = uuid_col(STORED_COL_LEAD_ID, &isnull);
	d->has_lead = !isnull;
	d->intent = SPI_getvalue(row, desc, STORED_COL_INTENT);
	d->confidence = DatumGetFloat4(vp_getdatum(0, STORED_COL_CONFIDENCE, &isnull));
	d->evidence = SPI_getvalue(row, desc, STORED_COL_EVIDENCE);
	d->decision = SPI_getvalue(row, desc, STORED_COL_DECISION);
	d->detail = SPI_getvalue(row, desc, STORED_COL_DETAIL);
	d->call_number = vp_getdatum(0, STORED_COL_CALL_NUMBER, &isnull);
	d->has_call_number = !isnull;
	d->assignment_id = uuid_col(STORED_COL_ASSIGNMENT_ID, &isnull);
	d->has_assignment = !isnull;
	d->outbox_id = vp_getdatum(0, STORED_COL_OUTBOX_ID, &isnull);
	d->has_outbox = !isnull;
	d->call_at = vp_getdatum(0, STORED_COL_CALL_AT, &isnull);
	d->has_call_at = !isnull;
	d->lead_status = SPI_getvalue(row, desc, STORED_COL_LEAD_STATUS);
}

/*
 * Step 2: claims the event in instantly_events.  False when it was
 * received before: d then holds what was decided then.
 */
static bool
claim(Event *e, Datum org_id, Decision *d)
{
	Datum		v[9];
	char		n[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	v[0] = org_id;
	v[1] = CStringGetTextDatum(e->f.event_type);
	v[2] = vp_text_arg(e->f.email_id, &n[2]);
	v[3] = e->campaign;
	v[4] = e->workspace;
	v[5] = vp_text_arg(e->f.lead_email, &n[5]);
	v[6] = e->event_at;
	n[6] = e->has_event_at ? ' ' : 'n';
	v[7] = vp_text_arg(e->f.reply_subject, &n[7]);
	v[8] = PointerGetDatum(e->payload);
	vp_execute(&claim_event, v, n, 0);
	if (SPI_processed == 0)
	{
		load_stored(e, org_id, d);
		return false;
	}
	d->event_id = uuid_col(CLAIM_COL_ID, &isnull);
	e->event_at = vp_getdatum(0, CLAIM_COL_EVENT_AT, &isnull);
	return true;
}


/*
 * The lead find_lead found (the last result), into d and *phone; the
 * payload fills the fields it lacks (zip: the payload's, cut to five digits).
 */
static void
fill_known_lead(const Event *e, const Org *org, const char *zip, Decision *d, Datum *phone, bool *phone_null)
{
	const EventFields *f = &e->f;
	Datum		v[8];
	char		n[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	d->lead_id = uuid_col(LEAD_COL_ID, &isnull);
	d->lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, LEAD_COL_STATUS);
	*phone = vp_getdatum(0, LEAD_COL_PHONE, phone_null);
	v[0] = org->org_id;
	v[1] = d->lead_id;
	v[2] = vp_text_arg(f->first_name, &n[2]);
	v[3] = vp_text_arg(f->last_name, &n[3]);
	v[4] = vp_text_arg(f->phone, &n[4]);
	v[5] = vp_text_arg(zip, &n[5]);
	v[6] = CStringGetTextDatum(org->region);
	v[7] = e->campaign;
	vp_execute(&fill_lead, v, n, 0);
	if (SPI_processed == 1)
		*phone = vp_getdatum(0, VP_SOLE_COLUMN, phone_null);
}

/* A new lead from the payload's fields, into d and *phone; its broker: its ZIP code's, else the campaign's. */
static void
create_new_lead(const Event *e, const Org *org, const char *zip, Decision *d, Datum *phone, bool *phone_null)
{
	const EventFields *f = &e->f;
	Datum		v[9];
	char		n[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	v[0] = org->org_id;
	v[1] = org->broker_id;
	n[1] = org->broker_null ? 'n' : ' ';
	v[2] = vp_text_arg(f->first_name, &n[2]);
	v[3] = vp_text_arg(f->last_name, &n[3]);
	v[4] = CStringGetTextDatum(f->lead_email);
	v[5] = vp_text_arg(f->phone, &n[5]);
	v[6] = vp_text_arg(zip, &n[6]);
	v[7] = e->campaign;
	v[8] = CStringGetTextDatum(org->region);
	vp_execute(&create_lead, v, n, 0);
	d->lead_id = uuid_col(LEAD_COL_ID, &isnull);
	d->lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, LEAD_COL_STATUS);
	*phone = vp_getdatum(0, LEAD_COL_PHONE, phone_null);
}

/*
 * Step 3: the reply's lead, by e-mail address (under a lock on the address,
 * so that concurrent replies create it once), found or created; into d,
 * and its number into *phone (*phone_null when it has none).
 */
static void
take_lead(const Event *e, const Org *org, Decision *d, Datum *phone, bool *phone_null)
{
	char	   *zip = five_digit_zip(e->f.zip);
	Datum		lv[2] = {org->org_id, CStringGetTextDatum(e->f.lead_email)};
	Datum		fv[3] = {org->org_id, CStringGetTextDatum(e->f.lead_email), e->campaign};

	vp_execute(&lock_email, lv, NULL, 0);
	vp_execute(&find_lead, fv, NULL, 0);
	if (SPI_processed == 1)
		fill_known_lead(e, org, zip, d, phone, phone_null);
	else
		create_new_lead(e, org, zip, d, phone, phone_null);
	d->has_lead = true;
}

/* Step 4: what the reply says (reply_classify) into r, and its intent, confidence and evidence into d. */
static void
classify(const Event *e, const char *region, ReplyResult *r, Decision *d)
{
	const char *reply = e->f.reply_text != NULL ? e->f.reply_text : e->f.snippet != NULL ? e->f.snippet : "";

	if (!reply_classify(reply, strlen(reply), region, (int) strlen(region), r))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("organisation default_region \"%s\" is not a supported region", region)));
	d->intent = reply_intent_name(r->intent);
	d->confidence = (float4) r->confidence;
	d->evidence = r->evidence[0] ? r->evidence : NULL;
}

/* Sets the lead's status (if it differs) and remembers it for the result. */
static void
move_lead(Datum org_id, Decision *d, const char *status)
{
	Datum		v[3] = {org_id, d->lead_id, CStringGetTextDatum(status)};

	vp_execute(&set_status, v, NULL, 0);
	d->lead_status = pstrdup(status);
}

/*
 * assign_number(lead) in a subtransaction: true with the assignment, or false with the decision set when the pool cannot
 * lend a number (53000, 55000, P0002).  Other errors propagate.
 */
static bool
try_assign(Decision *d, Datum *assignment_id)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		bool		isnull;
		Datum		lead = d->lead_id;
		Datum		id;

		vp_execute(&assign, &lead, NULL, 0);
		id = vp_getdatum(0, ASSIGN_COL_ID, &isnull);
		MemoryContextSwitchTo(cxt);
		*assignment_id = datumCopy(id, false, UUID_LEN);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode == ERRCODE_INSUFFICIENT_RESOURCES)
			d->decision = "pool_exhausted";
		else if (edata->sqlerrcode == ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE ||
				 edata->sqlerrcode == ERRCODE_NO_DATA_FOUND)
			d->decision = "assignment_refused";
		else
			ReThrowError(edata);
		d->detail = psprintf("%s (SQLSTATE %s)", edata->message, unpack_sql_state(edata->sqlerrcode));
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/* The most zones a number is read in (all of the NANP is 42). */
#define MAX_LEAD_ZONES 64

/*
 * When the reply asks to be called ("after 5", "tomorrow morning"), read in
 * the lead's zone from the time Instantly says the reply was sent (never
 * later than now; replies/reply_time.c); now when it names no time or the
 * time has begun.  A number whose prefix spans several zones is read in
 * each and the latest instant taken, as the calling hours take the
 * instant every zone allows.  The caller never queues before now.
 */
static TimestampTz
requested_time(const Event *e, Datum org_id, Datum lead_id, Datum number, TimestampTz now)
{
	const char *reply = e->f.reply_text != NULL ? e->f.reply_text : e->f.snippet != NULL ? e->f.snippet : "";
	TimestampTz sent = e->has_event_at ? DatumGetTimestampTz(e->event_at) : now;
	const char *zones[MAX_LEAD_ZONES];
	int			nzones = vp_lead_zones(org_id, lead_id, number, zones, MAX_LEAD_ZONES);
	TimestampTz latest = now;

	if (sent > now)
		sent = now;				/* a time stamp from the future is not believed */
	for (int i = 0; i < nzones; i++)
	{
		TimestampTz at = vp_reply_call_time(reply, strlen(reply), sent, zones[i]);

		if (at != DT_NOBEGIN && at > latest)
			latest = at;
	}
	return latest;
}

/*
 * A call request: the number, the consent it gives, the pool number and the
 * queued call.  reconsent: the lead had opted out by reply and now asks
 * explicitly (opt_out_kept), which lifts that reply's listing.  A number on
 * a do-not-call list, or one with no allowed time in all of its zones, is
 * not called (suppressed).
 */
static void
handle_call_request(const Event *e, Datum org_id, const ReplyResult *r, Datum lead_phone,
					bool lead_phone_null, bool reconsent, Decision *d)
{
	const char *email_id = e->f.email_id;
	TimestampTz wished;
	Datum		number;
	bool		isnull;
	Datum		assignment_id;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz at;

	if (r->has_phone)
		number = Int64GetDatum(e164_pack(&r->phone));
	else if (!lead_phone_null)
		number = lead_phone;
	else
	{
		/* no number anywhere: the lead needs one before anyone can call */
		move_lead(org_id, d, "call_requested");
		d->decision = "needs_number";
		d->detail = pstrdup("The reply asks for a call but gives no valid number, and the lead has none.");
		return;
	}
	d->call_number = number;
	d->has_call_number = true;
	if (r->has_phone)
	{
		Datum		v[3] = {org_id, d->lead_id, number};

		vp_execute(&set_phone, v, NULL, 0);
	}
	{
		Datum		v[4] = {org_id, d->lead_id, CStringGetTextDatum(email_id), d->event_id};
		char	   *listed;

		if (reconsent)
			vp_execute(&lift_reply_listing, v, NULL, 0);
		vp_execute(&record_consent, v, NULL, 0);
		d->consented = true;
		listed = vp_suppression_reason(org_id, number);
		if (listed != NULL)
		{
			d->decision = "suppressed";
			d->detail = psprintf("No call is placed: %s.", listed);
			return;
		}
		wished = requested_time(e, org_id, d->lead_id, number, now);
		at = vp_next_call_time(org_id, d->lead_id, number, wished > now ? wished : now, NULL);
		if (at == DT_NOEND)
		{
			d->decision = "suppressed";
			d->detail = pstrdup("No call is placed: no time is inside the calling hours in every one of the"
								" number's time zones. Set the lead's own time zone (leads.timezone).");
			return;
		}
	}

	/* a call already waiting to be sent is the call: point it at this number */
	{
		Datum		v[2] = {org_id, d->lead_id};

		vp_execute(&pending_call, v, NULL, 0);
		if (SPI_processed == 1)
		{
			Datum		job = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
			Datum		rv[4] = {org_id, job, number, TimestampTzGetDatum(at)};
			char		rn[4] = {' ', ' ', ' ', wished > now ? ' ' : 'n'};

			d->outbox_id = job;
			d->has_outbox = true;
			vp_execute(&repoint_call, rv, rn, 0);
			d->decision = "call_already_queued";
			d->detail = wished > now ?
				psprintf("A call to this lead is already queued; it calls the number read now, at the time this"
						 " reply asks for: %s.", timestamptz_to_str(at)) :
				pstrdup("A call to this lead is already queued; it calls the number read now.");
			return;
		}
	}

	if (!try_assign(d, &assignment_id))
	{
		move_lead(org_id, d, "call_requested");
		return;
	}
	d->assignment_id = assignment_id;
	d->has_assignment = true;
	{
		Datum		v[5] = {org_id, assignment_id, CStringGetTextDatum(email_id), TimestampTzGetDatum(at),
		Int32GetDatum(vp_max_call_attempts)};

		vp_execute(&queue_call, v, NULL, 0);
		if (SPI_processed == 0)
		{
			Datum		kv[2] = {org_id, CStringGetTextDatum(email_id)};

			vp_execute(&job_by_key, kv, NULL, 0);
		}
		if (SPI_processed == 1)
		{
			d->outbox_id = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
			d->has_outbox = true;
		}
		d->decision = "call_queued";
		if (wished > now)
		{
			char	   *asked = pstrdup(timestamptz_to_str(wished));

			d->detail = psprintf("The reply asks for a call at %s%s: the call waits until %s.", asked,
								 at > wished ? ", outside the calling hours in the lead's local time" : "",
								 timestamptz_to_str(at));
		}
		else
			d->detail = at > now ?
				psprintf("Outside the calling hours in the lead's local time: the call waits until %s.",
						 timestamptz_to_str(at)) :
				pstrdup("The call is queued to be placed now.");
	}
	move_lead(org_id, d, "calling");
}

/* unsubscribe, not_interested, wrong_person: nothing calls the lead again. */
static void
handle_opt_out(Datum org_id, const char *email_id, ReplyIntent intent, const char *status, Decision *d)
{
	const char *to = intent == REPLY_NOT_INTERESTED && strcmp(status, "do_not_call") != 0 ?
		"not_interested" : "do_not_call";
	Datum		v[3] = {org_id, d->lead_id,
	CStringGetTextDatum(psprintf("the lead opted out in reply %s", email_id))};
	uint64		cancelled;
	bool		released;
	bool		isnull;

	move_lead(org_id, d, to);
	vp_execute(&cancel_calls, v, NULL, 0);
	cancelled = SPI_processed;
	vp_execute(&idle_assignment, v, NULL, 0);
	/* the engine's own release: a number the lead's appointment holds is kept (pool_release.c) */
	released = SPI_processed == 1 &&
		vp_release_idle_assignment(org_id, vp_getdatum(0, VP_SOLE_COLUMN, &isnull), (Datum) 0, false) == NULL;
	d->decision = "opted_out";
	d->detail = psprintf("Lead status %s%s%s.", to,
						 cancelled > 0 ? psprintf("; %llu queued call(s) cancelled",
												  (unsigned long long) cancelled) : "",
						 released ? "; the number lent for the call is released" : "");
}

/* Whether a status means the lead asked not to be called. */
static bool
opted_out(const char *status)
{
	return status != NULL && (strcmp(status, "do_not_call") == 0 || strcmp(status, "not_interested") == 0);
}

/*
 * Whether an opted-out lead stays opted out despite a call request: only an
 * explicit request (reply_classify's explicit_call), sent after the reply
 * that opted it out, opts it in again.  Sets the decision when it stays.
 */
static bool
opt_out_kept(Datum org_id, const ReplyResult *r, Datum event_at, Decision *d)
{
	Datum		v[2] = {org_id, d->lead_id};
	Datum		opted_at;
	bool		never;

	if (!opted_out(d->lead_status))
		return false;
	vp_execute(&last_opt_out, v, NULL, 0);
	opted_at = vp_getdatum(0, VP_SOLE_COLUMN, &never);
	if (!r->explicit_call || never || DatumGetTimestampTz(event_at) <= DatumGetTimestampTz(opted_at))
	{
		d->decision = "opt_out_kept";
		d->detail = never ?
			psprintf("The lead is %s and did not opt out by reply; a reply does not lift it.", d->lead_status) :
			!r->explicit_call ?
			psprintf("The lead is %s; only an explicit request to be called (\"call me\") opts in again.", d->lead_status) :
			psprintf("The lead is %s by a later reply.", d->lead_status);
		return true;
	}
	return false;
}

/*
 * An unsubscribe (a reply, or Instantly's lead_unsubscribed): the lead's
 * number on the organisation's do-not-call list, so that no lead with that
 * number is called or texted (compliance/opt_out.c).  Adds to the detail.
 */
static void
list_number(Datum org_id, Datum phone, bool phone_null, const char *email_id, Decision *d)
{
	VpOptOut	out;

	if (phone_null)
		return;
	vp_record_opt_out(org_id, phone, "instantly", vp_uuid_string(d->event_id),
					  email_id ? psprintf("unsubscribed in Instantly (e-mail %s)", email_id) :
					  "unsubscribed in Instantly", &out);
	d->detail = psprintf("%s The number is on the do-not-call list%s.", d->detail,
						 out.leads_marked + out.calls_cancelled + out.texts_cancelled > 0 ?
						 psprintf(" (%lld other lead(s), %lld call(s), %lld text(s) stopped)",
								  (long long) out.leads_marked, (long long) out.calls_cancelled,
								  (long long) out.texts_cancelled) : "");
}

/*
 * An event other than a reply is only stored, with the lead of its address
 * if there is one; lead_unsubscribed also opts the lead out, as an
 * unsubscribe reply does (the lead status, its queued calls, its number on
 * the do-not-call list).
 */
static void
store_other_event(const Event *e, Datum org_id, Decision *d)
{
	bool		isnull;
	bool		unsubscribed = strcmp(e->f.event_type, "lead_unsubscribed") == 0;

	d->decision = "stored";
	if (e->f.lead_email != NULL)
	{
		Datum		v[3] = {org_id, CStringGetTextDatum(e->f.lead_email), e->campaign};

		vp_execute(unsubscribed ? &find_lead : &peek_lead, v, NULL, 0);
		if (SPI_processed == 1)
		{
			d->lead_id = uuid_col(LEAD_COL_ID, &isnull);
			d->has_lead = true;
			d->lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, LEAD_COL_STATUS);
			if (unsubscribed)
			{
				bool		phone_null;
				Datum		phone = vp_getdatum(0, LEAD_COL_PHONE, &phone_null);

				handle_opt_out(org_id, e->f.email_id ? e->f.email_id : "lead_unsubscribed", REPLY_UNSUBSCRIBE,
							   d->lead_status, d);
				list_number(org_id, phone, phone_null, e->f.email_id, d);
			}
		}
	}
}

/*
 * Step 4: acts on the reply's intent r (lead_phone: the lead's number, if
 * not lead_phone_null): a call request, an opt-out, or nothing to do.
 */
static void
act_on_reply(const Event *e, Datum org_id, const ReplyResult *r, Datum lead_phone, bool lead_phone_null,
			 Decision *d)
{
	switch (r->intent)
	{
		case REPLY_CALL_REQUESTED:
			if (!opt_out_kept(org_id, r, e->event_at, d))
				handle_call_request(e, org_id, r, lead_phone, lead_phone_null,
									opted_out(d->lead_status), d);
			break;
		case REPLY_UNSUBSCRIBE:
		case REPLY_NOT_INTERESTED:
		case REPLY_WRONG_PERSON:
			handle_opt_out(org_id, e->f.email_id, r->intent, d->lead_status, d);
			if (r->intent == REPLY_UNSUBSCRIBE)
				list_number(org_id, r->has_phone ? Int64GetDatum(e164_pack(&r->phone)) : lead_phone,
							!r->has_phone && lead_phone_null, e->f.email_id, d);
			break;
		default:
			d->decision = "recorded";
			break;
	}
}

/* Steps 3 and 4 for a reply: its lead, what it says (into r), and what is done about it. */
static void
handle_reply(const Event *e, const Org *org, ReplyResult *r, Decision *d)
{
	Datum		lead_phone;
	bool		lead_phone_null;

	take_lead(e, org, d, &lead_phone, &lead_phone_null);
	classify(e, org->region, r, d);
	act_on_reply(e, org->org_id, r, lead_phone, lead_phone_null, d);
}

/*
 * Writes the decision to the event's row (r: the reply's reading, zeroed
 * for other events) and then the reply's text, and reads the lead's status
 * if no step did.
 */
static void
save_decision(const Event *e, Datum org_id, const ReplyResult *r, Decision *d)
{
	Datum		v[12];
	char		n[12];
	bool		isnull;

	memset(n, ' ', sizeof(n));
	v[0] = org_id;
	v[1] = d->event_id;
	v[2] = d->lead_id;
	n[2] = d->has_lead ? ' ' : 'n';
	v[3] = vp_text_arg(d->intent, &n[3]);
	v[4] = Int64GetDatum(e164_pack(&r->phone));
	n[4] = r->has_phone && e->is_reply ? ' ' : 'n';
	v[5] = Float4GetDatum(d->confidence);
	n[5] = d->intent ? ' ' : 'n';
	v[6] = vp_text_arg(d->evidence, &n[6]);
	v[7] = CStringGetTextDatum(d->decision);
	v[8] = vp_text_arg(d->detail, &n[8]);
	v[9] = d->call_number;
	n[9] = d->has_call_number ? ' ' : 'n';
	v[10] = d->assignment_id;
	n[10] = d->has_assignment ? ' ' : 'n';
	v[11] = d->outbox_id;
	n[11] = d->has_outbox ? ' ' : 'n';
	vp_execute(&record_decision, v, n, 0);
	d->call_at = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
	d->has_call_at = !isnull;
	if (e->f.reply_text != NULL || e->f.snippet != NULL)
	{
		Datum		rv[3] = {org_id, d->event_id,
		CStringGetTextDatum(e->f.reply_text != NULL ? e->f.reply_text : e->f.snippet)};

		vp_execute(&store_reply, rv, NULL, 0);
	}
	if (d->has_lead && d->lead_status == NULL)
	{
		Datum		lv[2] = {org_id, d->lead_id};

		vp_execute(&lead_status, lv, NULL, 0);
		if (SPI_processed == 1)
			d->lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, VP_SOLE_COLUMN);
	}
}

/* The columns of instantly_decision, the function's result, counted from 0. */
enum
{
	RESULT_EVENT_ID,
	RESULT_ORG_ID,
	RESULT_LEAD_ID,
	RESULT_EVENT_TYPE,
	RESULT_INTENT,
	RESULT_CONFIDENCE,
	RESULT_EVIDENCE,
	RESULT_DECISION,
	RESULT_DETAIL,
	RESULT_CALL_NUMBER,
	RESULT_ASSIGNMENT_ID,
	RESULT_OUTBOX_ID,
	RESULT_CALL_AT,
	RESULT_LEAD_STATUS,
	RESULT_DUPLICATE,
	RESULT_NCOLUMNS
};

/* s as a text column of the result; NULL stays NULL. */
static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = s == NULL;
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

/* d as the function's result (an instantly_decision), built in cxt. */
static Datum
decision_result(FunctionCallInfo fcinfo, MemoryContext cxt, const Decision *d)
{
	Datum		values[RESULT_NCOLUMNS];
	bool		nulls[RESULT_NCOLUMNS];

	memset(nulls, 0, sizeof(nulls));
	values[RESULT_EVENT_ID] = d->event_id;
	values[RESULT_ORG_ID] = d->org_id;
	values[RESULT_LEAD_ID] = d->lead_id;
	nulls[RESULT_LEAD_ID] = !d->has_lead;
	values[RESULT_EVENT_TYPE] = CStringGetTextDatum(d->event_type);
	values[RESULT_INTENT] = text_or_null(d->intent, &nulls[RESULT_INTENT]);
	values[RESULT_CONFIDENCE] = Float4GetDatum(d->confidence);
	nulls[RESULT_CONFIDENCE] = d->intent == NULL;
	values[RESULT_EVIDENCE] = text_or_null(d->evidence, &nulls[RESULT_EVIDENCE]);
	values[RESULT_DECISION] = CStringGetTextDatum(d->decision);
	values[RESULT_DETAIL] = text_or_null(d->detail, &nulls[RESULT_DETAIL]);
	values[RESULT_CALL_NUMBER] = d->call_number;
	nulls[RESULT_CALL_NUMBER] = !d->has_call_number;
	values[RESULT_ASSIGNMENT_ID] = d->assignment_id;
	nulls[RESULT_ASSIGNMENT_ID] = !d->has_assignment;
	values[RESULT_OUTBOX_ID] = d->outbox_id;
	nulls[RESULT_OUTBOX_ID] = !d->has_outbox;
	values[RESULT_CALL_AT] = d->call_at;
	nulls[RESULT_CALL_AT] = !d->has_call_at;
	values[RESULT_LEAD_STATUS] = text_or_null(d->lead_status, &nulls[RESULT_LEAD_STATUS]);
	values[RESULT_DUPLICATE] = BoolGetDatum(d->duplicate);
	return vp_result_values(fcinfo, cxt, values, nulls);
}

/*
 * SQL: handle_instantly_event(payload) -> instantly_decision.  The steps of
 * the top of the file, in order; docs/replies.md has the reasons.
 */
Datum
vapi_pool_handle_instantly_event(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	Event		e;
	Org			org;
	Decision	d = {0};
	ReplyResult r = {0};
	Datum		result;

	vp_reply_check_rules();
	read_event(payload, &e);
	d.event_type = e.f.event_type;

	vp_spi_connect();
	find_org(&e, &org);
	d.org_id = org.org_id;
	if (claim(&e, org.org_id, &d))
	{
		if (e.is_reply)
			handle_reply(&e, &org, &r, &d);
		else
			store_other_event(&e, org.org_id, &d);
		save_decision(&e, org.org_id, &r, &d);
		if (d.consented)
		{
			Datum		v[2] = {org.org_id, d.event_id};

			vp_execute(&consent_text, v, NULL, 0);
		}
	}
	result = decision_result(fcinfo, cxt, &d);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
