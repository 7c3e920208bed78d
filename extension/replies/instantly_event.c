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
 *    stored.
 * 3. The lead is found by e-mail address (any case) or created with the
 *    payload's fields (firstName / First_name / phone / Phone ..., any
 *    casing), its broker being the one of its ZIP code's territory, else the
 *    campaign's.
 * 4. The reply is classified (reply_classify.h) and:
 *    - call_requested: the number is the reply's, else the lead's; without
 *      one the lead needs a number (status call_requested, no phone) and is
 *      not called.  With one: the lead gets a pool number (assign_number)
 *      and a vapi.create_call job is queued in the outbox, due now or at the
 *      broker's next calling hour.  A pool that cannot lend a number is a
 *      recorded decision (pool_exhausted, assignment_refused), not an error.
 *    - unsubscribe, wrong_person: status do_not_call; not_interested: status
 *      not_interested; the lead's pending create-call jobs are cancelled.
 *    - an opted-out lead is called again only on an explicit call request
 *      (reply_classify's explicit_call) sent after the reply that opted it
 *      out (opt_out_kept otherwise).
 *    - anything else: recorded.
 * The Vapi call log row is written when Vapi has accepted the call and
 * named it (record_call_placed, by the dispatcher); until then the event
 * row and the outbox job are the flow's log.
 */
#include "pool_engine.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

#include "reply_classify.h"
#include "reply_sql.h"

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
	Datum		call_at;
	bool		has_call_at;
	char	   *lead_status;
	bool		duplicate;
} Decision;

/* ---------------------------------------------------------------- plans */

static VpPlan find_campaign = {
	.sql = "SELECT c.org_id, c.broker_id, o.default_region, c.workspace_id = $2"
	" FROM vapi_pool.instantly_campaigns c JOIN vapi_pool.orgs o ON o.org_id = c.org_id"
	" WHERE c.campaign_id = $1"
	" ORDER BY c.workspace_id = $2 DESC",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

static VpPlan claim_event = {
	.sql = "INSERT INTO vapi_pool.instantly_events (org_id, event_type, dedup_key, email_id, campaign_id,"
	"  workspace_id, lead_email, event_at, reply_subject, reply_text, decision, payload)"
	" VALUES ($1, $2, coalesce($3, 'md5:' || pg_catalog.md5($10::text)), $3, $4, $5, $6, $7, $8, $9,"
	"  'recorded', $10 - 'reply_html' - 'reply_text')"
	" ON CONFLICT (org_id, event_type, dedup_key) DO NOTHING"
	" RETURNING id, coalesce(event_at, received_at)",
	.nargs = 10, .argtypes = {UUIDOID, TEXTOID, TEXTOID, UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID, TEXTOID,
	TEXTOID, JSONBOID}
};

static VpPlan stored_event = {
	.sql = "SELECT e.id, e.lead_id, e.intent, e.confidence, e.evidence, e.decision, e.decision_detail,"
	"  e.call_number, e.assignment_id, e.outbox_id, e.call_at, l.status"
	" FROM vapi_pool.instantly_events e"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = e.org_id AND l.id = e.lead_id"
	" WHERE e.org_id = $1 AND e.event_type = $2 AND e.dedup_key = coalesce($3, 'md5:' || pg_catalog.md5($4::text))",
	.nargs = 4, .argtypes = {UUIDOID, TEXTOID, TEXTOID, JSONBOID}
};

/* Replies of one new lead, handled concurrently, must not create it twice. */
static VpPlan lock_email = {
	.sql = "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended("
	"  'vapi_pool.lead:' || $1::text || ':' || pg_catalog.lower($2), 0))",
	.nargs = 2, .argtypes = {UUIDOID, TEXTOID}
};

static VpPlan find_lead = {
	.sql = "SELECT l.id, l.status, l.primary_phone_e164 FROM vapi_pool.leads l"
	" WHERE l.org_id = $1 AND pg_catalog.lower(l.email) = pg_catalog.lower($2)"
	" ORDER BY l.instantly_campaign_id IS NOT DISTINCT FROM $3 DESC, l.created_at, l.id LIMIT 1"
	" FOR NO KEY UPDATE OF l",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, UUIDOID}
};

static VpPlan peek_lead = {
	.sql = "SELECT l.id, l.status FROM vapi_pool.leads l"
	" WHERE l.org_id = $1 AND pg_catalog.lower(l.email) = pg_catalog.lower($2)"
	" ORDER BY l.instantly_campaign_id IS NOT DISTINCT FROM $3 DESC, l.created_at, l.id LIMIT 1",
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
static VpPlan repoint_call = {
	.sql = "UPDATE vapi_pool.outbox SET payload = payload || pg_catalog.jsonb_build_object('customer_number', $3)"
	" WHERE org_id = $1 AND id = $2 AND state = 'pending'"
	"   AND (payload ->> 'customer_number') IS DISTINCT FROM $3::text",
	.nargs = 3, .argtypes = {UUIDOID, INT8OID, VP_E164_ARG}
};

static VpPlan assign = {
	.sql = "SELECT a.id, b.timezone FROM vapi_pool.assign_number($1) a"
	" JOIN vapi_pool.brokers b ON b.org_id = a.org_id AND b.id = a.broker_id",
	.nargs = 1, .argtypes = {UUIDOID}
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

static VpPlan cancel_calls = {
	.sql = "UPDATE vapi_pool.outbox SET state = 'dead', last_error = $3"
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

static VpPlan record_decision = {
	.sql = "UPDATE vapi_pool.instantly_events SET lead_id = $3, intent = $4, phone = $5, confidence = $6,"
	"  evidence = $7, decision = $8, decision_detail = $9, call_number = $10, assignment_id = $11,"
	"  outbox_id = $12, call_at = (SELECT o.run_at FROM vapi_pool.outbox o WHERE o.org_id = $1 AND o.id = $12)"
	" WHERE org_id = $1 AND id = $2"
	" RETURNING call_at",
	.nargs = 12, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TEXTOID, VP_E164_ARG, FLOAT4OID, TEXTOID, TEXTOID,
	TEXTOID, VP_E164_ARG, UUIDOID, INT8OID}
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
		char		c = key[i];

		if (c >= 'A' && c <= 'Z')
			out[n++] = (char) (c + 32);
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = c;
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
	int			hex = 0;
	size_t		len = strlen(s);

	if (len != 36 && len != 32)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];

		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23))
		{
			if (c != '-')
				return false;
			continue;
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
		hex++;
	}
	return hex == 32;
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

		if (shape[i] == 'd' ? !(c >= '0' && c <= '9') : shape[i] == '?' ? !(c == 'T' || c == ' ') : c != shape[i])
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
		if (zip[i] < '0' || zip[i] > '9')
			return NULL;
	if (zip[5] != '\0' && !(zip[5] == '-' && strlen(zip) == 10))
		return NULL;
	if (strncmp(zip, "00000", 5) == 0)
		return NULL;
	return pnstrdup(zip, 5);
}

/* ---------------------------------------------------------------- steps */

/* A text argument and its SPI null flag. */
static Datum
text_arg(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* A copy of a uuid column of the last result, in the current memory context. */
static Datum
uuid_col(int col, bool *isnull)
{
	Datum		d = vp_getdatum(0, col, isnull);

	return *isnull ? (Datum) 0 : datumCopy(d, false, UUID_LEN);
}

/* Maps the campaign to its organisation; errors if it is not registered. */
static void
find_org(Datum campaign, Datum workspace, const EventFields *f, Datum *org_id, Datum *broker_id,
		 bool *broker_null, char **region)
{
	Datum		v[2] = {campaign, workspace};
	bool		isnull;

	vp_execute(&find_campaign, v, NULL, 0);
	if (SPI_processed == 0 || !DatumGetBool(vp_getdatum(0, 4, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("instantly campaign %s of workspace %s is not registered", f->campaign_id, f->workspace),
				 SPI_processed > 0 ? errdetail("The campaign is registered for another workspace.") :
				 errdetail("No organisation has registered this campaign."),
				 errhint("Add it to vapi_pool.instantly_campaigns (org_id, campaign_id, workspace_id, broker_id).")));
	if (SPI_processed > 1 && DatumGetBool(vp_getdatum(1, 4, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("instantly campaign %s of workspace %s is registered by more than one organisation",
						f->campaign_id, f->workspace),
				 errhint("Keep the campaign in vapi_pool.instantly_campaigns of one organisation only.")));
	*org_id = uuid_col(1, &isnull);
	*broker_id = uuid_col(2, broker_null);
	*region = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
}

/* Fills d from the stored row of an event received before. */
static void
load_stored(Datum org_id, const char *event_type, const EventFields *f, Datum payload, Decision *d)
{
	Datum		v[4];
	char		n[4] = {' ', ' ', ' ', ' '};
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;

	v[0] = org_id;
	v[1] = CStringGetTextDatum(event_type);
	v[2] = text_arg(f->email_id, &n[2]);
	v[3] = payload;
	vp_execute(&stored_event, v, n, 0);
	if (SPI_processed != 1)
		elog(ERROR, "instantly event %s claimed by a concurrent transaction that rolled back", f->email_id);
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	d->duplicate = true;
	d->event_id = uuid_col(1, &isnull);
	d->lead_id = uuid_col(2, &isnull);
	d->has_lead = !isnull;
	d->intent = SPI_getvalue(row, desc, 3);
	d->confidence = DatumGetFloat4(vp_getdatum(0, 4, &isnull));
	d->evidence = SPI_getvalue(row, desc, 5);
	d->decision = SPI_getvalue(row, desc, 6);
	d->detail = SPI_getvalue(row, desc, 7);
	d->call_number = vp_getdatum(0, 8, &isnull);
	d->has_call_number = !isnull;
	d->assignment_id = uuid_col(9, &isnull);
	d->has_assignment = !isnull;
	d->outbox_id = vp_getdatum(0, 10, &isnull);
	d->has_outbox = !isnull;
	d->call_at = vp_getdatum(0, 11, &isnull);
	d->has_call_at = !isnull;
	d->lead_status = SPI_getvalue(row, desc, 12);
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
 * assign_number(lead) in a subtransaction: true with the assignment and the
 * broker's time zone, or false with the decision set when the pool cannot
 * lend a number (53000, 55000, P0002).  Other errors propagate.
 */
static bool
try_assign(Decision *d, Datum *assignment_id, char **timezone)
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
		char	   *tz;

		vp_execute(&assign, &lead, NULL, 0);
		id = vp_getdatum(0, 1, &isnull);
		tz = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		MemoryContextSwitchTo(cxt);
		*assignment_id = datumCopy(id, false, UUID_LEN);
		*timezone = pstrdup(tz);
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

/* A call request: the number, the pool number and the queued call. */
static void
handle_call_request(Datum org_id, const char *email_id, const ReplyResult *r, Datum lead_phone,
					bool lead_phone_null, Decision *d)
{
	Datum		number;
	bool		isnull;
	Datum		assignment_id;
	char	   *timezone;

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

	/* a call already waiting to be sent is the call: point it at this number */
	{
		Datum		v[2] = {org_id, d->lead_id};

		vp_execute(&pending_call, v, NULL, 0);
		if (SPI_processed == 1)
		{
			Datum		job = vp_getdatum(0, 1, &isnull);
			Datum		rv[3] = {org_id, job, number};

			d->outbox_id = job;
			d->has_outbox = true;
			vp_execute(&repoint_call, rv, NULL, 0);
			d->decision = "call_already_queued";
			d->detail = pstrdup("A call to this lead is already queued; it calls the number read now.");
			return;
		}
	}

	if (!try_assign(d, &assignment_id, &timezone))
	{
		move_lead(org_id, d, "call_requested");
		return;
	}
	d->assignment_id = assignment_id;
	d->has_assignment = true;
	{
		TimestampTz now = GetCurrentTransactionStartTimestamp();
		TimestampTz at = vp_next_attempt_time(now, timezone);
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
			d->outbox_id = vp_getdatum(0, 1, &isnull);
			d->has_outbox = true;
		}
		d->decision = "call_queued";
		d->detail = at > now ?
			psprintf("Outside the calling window of %s: the call waits until %s.", timezone,
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
	released = SPI_processed == 1 && vp_release_assignment(vp_getdatum(0, 1, &isnull));
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
 * SQL: handle_instantly_event(payload) -> instantly_decision.  See the top of
 * the file for what it does; docs/replies.md for the reasons.
 */
Datum
vapi_pool_handle_instantly_event(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	EventFields f;
	Decision	d = {0};
	Datum		campaign,
				workspace,
				org_id,
				broker_id;
	bool		broker_null,
				isnull;
	char	   *region;
	bool		is_reply;
	Datum		event_at = (Datum) 0;
	bool		has_event_at = false;
	ReplyResult r = {0};
	const char *reply = NULL;
	Datum		values[15];
	bool		nulls[15];
	Datum		result;

	vp_reply_check_rules();
	read_fields(payload, &f);
	if (f.event_type == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("instantly event has no event_type")));
	campaign = uuid_field(f.campaign_id, "campaign_id");
	workspace = uuid_field(f.workspace, "workspace");
	is_reply = strcmp(f.event_type, "reply_received") == 0;
	if (is_reply)
	{
		if (f.email_id == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("instantly reply has no email_id"),
					 errdetail("email_id identifies the reply, so that a delivery repeated by Instantly changes nothing.")));
		if (f.lead_email == NULL || !email_shaped(f.lead_email))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("instantly reply has no valid lead_email"),
					 f.lead_email ? errdetail("\"%s\" is not an e-mail address.", f.lead_email) : 0));
	}
	if (f.timestamp != NULL && timestamp_shaped(f.timestamp))
	{
		event_at = DirectFunctionCall3(timestamptz_in, CStringGetDatum(f.timestamp),
									   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		has_event_at = true;
	}
	d.event_type = f.event_type;

	vp_spi_connect();
	find_org(campaign, workspace, &f, &org_id, &broker_id, &broker_null, &region);
	d.org_id = org_id;

	/* claim the event: a delivery seen before changes nothing */
	{
		Datum		v[10];
		char		n[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

		v[0] = org_id;
		v[1] = CStringGetTextDatum(f.event_type);
		v[2] = text_arg(f.email_id, &n[2]);
		v[3] = campaign;
		v[4] = workspace;
		v[5] = text_arg(f.lead_email, &n[5]);
		v[6] = event_at;
		n[6] = has_event_at ? ' ' : 'n';
		v[7] = text_arg(f.reply_subject, &n[7]);
		v[8] = text_arg(f.reply_text, &n[8]);
		v[9] = PointerGetDatum(payload);
		vp_execute(&claim_event, v, n, 0);
		if (SPI_processed == 0)
		{
			load_stored(org_id, f.event_type, &f, PointerGetDatum(payload), &d);
			goto done;
		}
		d.event_id = uuid_col(1, &isnull);
		event_at = vp_getdatum(0, 2, &isnull);
	}

	if (!is_reply)
	{
		/* other events are stored, with the lead if there is one */
		d.decision = "stored";
		if (f.lead_email != NULL)
		{
			Datum		v[3] = {org_id, CStringGetTextDatum(f.lead_email), campaign};

			vp_execute(&peek_lead, v, NULL, 0);
			if (SPI_processed == 1)
			{
				d.lead_id = uuid_col(1, &isnull);
				d.has_lead = true;
				d.lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
			}
		}
		goto record;
	}

	/* the lead: found by e-mail address, or created from the payload */
	{
		Datum		lead_phone = (Datum) 0;
		bool		lead_phone_null = true;
		char	   *zip = five_digit_zip(f.zip);
		Datum		lv[2] = {org_id, CStringGetTextDatum(f.lead_email)};
		Datum		fv[3] = {org_id, CStringGetTextDatum(f.lead_email), campaign};

		vp_execute(&lock_email, lv, NULL, 0);
		vp_execute(&find_lead, fv, NULL, 0);
		if (SPI_processed == 1)
		{
			Datum		v[8];
			char		n[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

			d.lead_id = uuid_col(1, &isnull);
			d.lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
			lead_phone = vp_getdatum(0, 3, &lead_phone_null);
			v[0] = org_id;
			v[1] = d.lead_id;
			v[2] = text_arg(f.first_name, &n[2]);
			v[3] = text_arg(f.last_name, &n[3]);
			v[4] = text_arg(f.phone, &n[4]);
			v[5] = text_arg(zip, &n[5]);
			v[6] = CStringGetTextDatum(region);
			v[7] = campaign;
			vp_execute(&fill_lead, v, n, 0);
			if (SPI_processed == 1)
				lead_phone = vp_getdatum(0, 1, &lead_phone_null);
		}
		else
		{
			Datum		v[9];
			char		n[9] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

			v[0] = org_id;
			v[1] = broker_id;
			n[1] = broker_null ? 'n' : ' ';
			v[2] = text_arg(f.first_name, &n[2]);
			v[3] = text_arg(f.last_name, &n[3]);
			v[4] = CStringGetTextDatum(f.lead_email);
			v[5] = text_arg(f.phone, &n[5]);
			v[6] = text_arg(zip, &n[6]);
			v[7] = campaign;
			v[8] = CStringGetTextDatum(region);
			vp_execute(&create_lead, v, n, 0);
			d.lead_id = uuid_col(1, &isnull);
			d.lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
			lead_phone = vp_getdatum(0, 3, &lead_phone_null);
		}
		d.has_lead = true;

		/* what the reply says */
		reply = f.reply_text != NULL ? f.reply_text : f.snippet != NULL ? f.snippet : "";
		if (!reply_classify(reply, strlen(reply), region, (int) strlen(region), &r))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("organisation default_region \"%s\" is not a supported region", region)));
		d.intent = reply_intent_name(r.intent);
		d.confidence = (float4) r.confidence;
		d.evidence = r.evidence[0] ? r.evidence : NULL;

		switch (r.intent)
		{
			case REPLY_CALL_REQUESTED:
				if (opted_out(d.lead_status))
				{
					Datum		v[2] = {org_id, d.lead_id};
					Datum		opted_at;
					bool		never;

					/* a new opt-in: explicit, and newer than the reply that opted out */
					vp_execute(&last_opt_out, v, NULL, 0);
					opted_at = vp_getdatum(0, 1, &never);
					if (!r.explicit_call || never ||
						DatumGetTimestampTz(event_at) <= DatumGetTimestampTz(opted_at))
					{
						d.decision = "opt_out_kept";
						d.detail = never ?
							psprintf("The lead is %s and did not opt out by reply; a reply does not lift it.", d.lead_status) :
							!r.explicit_call ?
							psprintf("The lead is %s; only an explicit request to be called (\"call me\") opts in again.", d.lead_status) :
							psprintf("The lead is %s by a later reply.", d.lead_status);
						break;
					}
				}
				handle_call_request(org_id, f.email_id, &r, lead_phone, lead_phone_null, &d);
				break;
			case REPLY_UNSUBSCRIBE:
			case REPLY_NOT_INTERESTED:
			case REPLY_WRONG_PERSON:
				handle_opt_out(org_id, f.email_id, r.intent, d.lead_status, &d);
				break;
			default:
				d.decision = "recorded";
				break;
		}
	}

record:
	{
		Datum		v[12];
		char		n[12];

		memset(n, ' ', sizeof(n));
		v[0] = org_id;
		v[1] = d.event_id;
		v[2] = d.lead_id;
		n[2] = d.has_lead ? ' ' : 'n';
		v[3] = text_arg(d.intent, &n[3]);
		v[4] = Int64GetDatum(e164_pack(&r.phone));
		n[4] = r.has_phone && is_reply ? ' ' : 'n';
		v[5] = Float4GetDatum(d.confidence);
		n[5] = d.intent ? ' ' : 'n';
		v[6] = text_arg(d.evidence, &n[6]);
		v[7] = CStringGetTextDatum(d.decision);
		v[8] = text_arg(d.detail, &n[8]);
		v[9] = d.call_number;
		n[9] = d.has_call_number ? ' ' : 'n';
		v[10] = d.assignment_id;
		n[10] = d.has_assignment ? ' ' : 'n';
		v[11] = d.outbox_id;
		n[11] = d.has_outbox ? ' ' : 'n';
		vp_execute(&record_decision, v, n, 0);
		d.call_at = vp_getdatum(0, 1, &isnull);
		d.has_call_at = !isnull;
	}
	if (d.has_lead && d.lead_status == NULL)
	{
		Datum		v[2] = {org_id, d.lead_id};

		vp_execute(&lead_status, v, NULL, 0);
		if (SPI_processed == 1)
			d.lead_status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}

done:
	memset(nulls, 0, sizeof(nulls));
	values[0] = d.event_id;
	values[1] = d.org_id;
	values[2] = d.lead_id;
	nulls[2] = !d.has_lead;
	values[3] = CStringGetTextDatum(d.event_type);
	nulls[4] = d.intent == NULL;
	values[4] = nulls[4] ? (Datum) 0 : CStringGetTextDatum(d.intent);
	values[5] = Float4GetDatum(d.confidence);
	nulls[5] = d.intent == NULL;
	nulls[6] = d.evidence == NULL;
	values[6] = nulls[6] ? (Datum) 0 : CStringGetTextDatum(d.evidence);
	values[7] = CStringGetTextDatum(d.decision);
	nulls[8] = d.detail == NULL;
	values[8] = nulls[8] ? (Datum) 0 : CStringGetTextDatum(d.detail);
	values[9] = d.call_number;
	nulls[9] = !d.has_call_number;
	values[10] = d.assignment_id;
	nulls[10] = !d.has_assignment;
	values[11] = d.outbox_id;
	nulls[11] = !d.has_outbox;
	values[12] = d.call_at;
	nulls[12] = !d.has_call_at;
	nulls[13] = d.lead_status == NULL;
	values[13] = nulls[13] ? (Datum) 0 : CStringGetTextDatum(d.lead_status);
	values[14] = BoolGetDatum(d.duplicate);
	result = vp_result_values(fcinfo, cxt, values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
