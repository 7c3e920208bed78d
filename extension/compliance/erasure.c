/*
 * erasure.c
 *	  Forgetting one person on request: forget_contact(lead_id).
 *
 * Who may: an owner or admin of the contact's organisation (auth_org_role;
 * the contact must be visible to them under row level security, so another
 * organisation's contact is refused like a missing one) and the service (a
 * role that bypasses row level security: service_role, pg_cron, a
 * superuser).  Anyone else gets SQLSTATE 42501.  The checks run with the
 * caller's rights; the erasure itself with the rights of the function's
 * owner (members may not write call logs, the inbox or the outbox), as
 * queue_cal_cancel does.
 *
 * What is the person's: the lead row; the organisation's calls of the lead
 * or from or to its number; its Instantly events (by lead, e-mail address or
 * number); its follow-ups, consents, offered times and appointments' notes;
 * and every inbox event, outbox job and unmatched call report that mentions
 * one of the person's identifiers: the number, the e-mail address, or (as a
 * whole JSON string) the lead's id, its calls' ids, its replies' Instantly
 * ids and its bookings' uids.  Those identifiers are gathered first, before
 * anything is cleared.  Free text an operator may type is never one: the
 * lead's Instantly lead id is not searched for (set to the name of a Vapi
 * event, it would find every report).
 *
 * Another person with the same number or address is not erased with this
 * one: a call or Instantly event is matched by number or address only when
 * it belongs to no contact (lead_id NULL), and an inbox event or outbox job
 * that mentions another such contact (its id, its calls' or replies' ids,
 * its bookings' uids) is left alone.
 *
 * Rows of no organisation (inbox events whose organisation was never known,
 * reports of unknown calls) may be anybody's: only the service erases in
 * them.  An owner or admin erases in their own organisation's rows only.
 *
 * What is kept: every row with its ids, counts and timestamps, so reports
 * and the pool engine still add up; the lead row itself, with status erased;
 * vendor ids (a call's Vapi id, a booking's uid), with which the operator
 * erases the vendors' own copies; and the do-not-call entry of a person who
 * opted out, whose removal would make them callable again (its reason
 * goes: it may quote them).  What is cleared
 * is everything that says who the person is or what they said.  Their
 * queued calls and texts are suppressed and their pool number released.
 *
 * The erasure is logged in contact_erasures: who asked (the member's user
 * id and role, or the service's database role), when, which contact and how
 * many rows of each table it cleared; never what.  Erasing again is
 * harmless and logged again: it counts only rows that still held something
 * (and the lead row).
 */
#include "compliance/privacy.h"
#include "core/json.h"
#include "core/saved_plans.h"
#include "pool/pool_engine.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(vapi_pool_forget_contact);

/* The requesting user and their role in their organisation (either may be NULL). */
static VpPlan caller = {
	.sql = "SELECT vapi_pool.auth_uid(), vapi_pool.auth_org_role()",
	.nargs = 0
};

/* The columns of caller, counted from 1. */
enum
{
	CALLER_COL_UID = 1,
	CALLER_COL_ROLE
};

/* The contact, locked, as the caller's row level security shows it. */
static VpPlan lock_lead = {
	.sql = "SELECT l.org_id, l.primary_phone_e164, pg_catalog.lower(l.email)"
	" FROM vapi_pool.leads l WHERE l.id = $1 FOR UPDATE",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* The columns of lock_lead, counted from 1. */
enum
{
	LEAD_COL_ORG_ID = 1,
	LEAD_COL_PHONE,
	LEAD_COL_EMAIL
};

/*
 * The person's calls ($1 organisation, $2 lead, $3 number, $4 e-mail
 * address, lower case), the needles that find the person in stored JSON,
 * and those that find the organisation's other contacts with the same
 * number or address: the number and the address as they are, the ids as
 * whole JSON strings; all lower case.
 */
static VpPlan identifiers = {
	.sql = "WITH calls AS ("
	"  SELECT c.vapi_call_id FROM vapi_pool.vapi_call_logs c"
	"  WHERE c.org_id = $1 AND (c.lead_id = $2"
	"   OR (c.lead_id IS NULL AND (c.from_e164 = $3 OR c.to_e164 = $3)))),"
	" events AS ("
	"  SELECT e.lead_id, e.email_id FROM vapi_pool.instantly_events e"
	"  WHERE e.org_id = $1 AND (e.lead_id = $2 OR pg_catalog.lower(e.lead_email) = $4"
	"   OR e.phone = $3 OR e.call_number = $3)),"
	" others AS ("
	"  SELECT l.id FROM vapi_pool.leads l"
	"  WHERE l.org_id = $1 AND l.id <> $2 AND (l.primary_phone_e164 = $3 OR pg_catalog.lower(l.email) = $4)"
	"  UNION SELECT c.lead_id FROM vapi_pool.vapi_call_logs c"
	"  WHERE c.org_id = $1 AND c.lead_id <> $2 AND (c.from_e164 = $3 OR c.to_e164 = $3)"
	"  UNION SELECT e.lead_id FROM events e WHERE e.lead_id <> $2),"
	" ids AS ("
	"  SELECT $2::text AS id UNION SELECT vapi_call_id FROM calls"
	"  UNION SELECT e.email_id FROM events e WHERE e.lead_id IS NULL OR e.lead_id = $2"
	"  UNION SELECT a.cal_booking_uid FROM vapi_pool.appointments a WHERE a.org_id = $1 AND a.contact_id = $2),"
	" other_ids AS ("
	"  SELECT o.id::text AS id FROM others o"
	"  UNION SELECT c.vapi_call_id FROM vapi_pool.vapi_call_logs c JOIN others o ON c.lead_id = o.id WHERE c.org_id = $1"
	"  UNION SELECT e.email_id FROM vapi_pool.instantly_events e JOIN others o ON e.lead_id = o.id WHERE e.org_id = $1"
	"  UNION SELECT a.cal_booking_uid FROM vapi_pool.appointments a JOIN others o ON a.contact_id = o.id"
	"   WHERE a.org_id = $1)"
	" SELECT (SELECT coalesce(pg_catalog.array_agg(vapi_call_id), '{}') FROM calls),"
	"   pg_catalog.array_remove(ARRAY[$3::text, $4], NULL)"
	"   || (SELECT coalesce(pg_catalog.array_agg('\"' || pg_catalog.lower(id) || '\"'), '{}')"
	"       FROM ids WHERE id IS NOT NULL AND id <> ''),"
	"   (SELECT coalesce(pg_catalog.array_agg('\"' || pg_catalog.lower(id) || '\"'), '{}')"
	"    FROM other_ids WHERE id IS NOT NULL AND id <> '')",
	.nargs = 4, .argtypes = {UUIDOID, UUIDOID, VP_E164_ARG, TEXTOID}
};

/* The columns of identifiers, counted from 1. */
enum
{
	IDENTIFIERS_COL_CALL_IDS = 1,
	IDENTIFIERS_COL_NEEDLES,
	IDENTIFIERS_COL_OTHERS_NEEDLES
};

/* Whether the text expression doc mentions one of the needles (a text[] parameter, lower case). */
#define MENTIONS_OF(needles, doc) \
	"EXISTS (SELECT FROM pg_catalog.unnest(" needles "::text[]) k" \
	" WHERE pg_catalog.strpos(pg_catalog.lower(" doc "), k) > 0)"

/* Whether doc mentions the person ($3) and not another contact with their number or address ($8). */
#define MENTIONS(doc) MENTIONS_OF("$3", doc)
#define MENTIONS_ONLY_THEM(doc) "(" MENTIONS_OF("$3", doc) " AND NOT " MENTIONS_OF("$8", doc) ")"

/*
 * The statements of the erasure, each counting the rows it cleared or
 * deleted.  Every one takes $1 the organisation, $2 the lead, $3 the
 * needles, $4 the call ids, $5 the number, $6 the e-mail address (lower
 * case), $7 whether the service asks (and so rows of no organisation are
 * searched too) and $8 the needles of the organisation's other contacts
 * with the same number or address, whether it reads them or not, so one
 * loop runs them all (a saved plan's parameters are typed, so an unread one
 * is allowed).
 */
#define ERASE_NARGS 8
#define ERASE_ARGTYPES {UUIDOID, UUIDOID, TEXTARRAYOID, TEXTARRAYOID, VP_E164_ARG, TEXTOID, BOOLOID, TEXTARRAYOID}

/* Counts the rows of the data-modifying statement stmt (with RETURNING 1). */
#define COUNTED(stmt) "WITH erased AS (" stmt " RETURNING 1) SELECT pg_catalog.count(*) FROM erased"

static VpPlan erase_call_logs = {
	.sql = COUNTED("UPDATE vapi_pool.vapi_call_logs c SET transcript = NULL, summary = NULL, recording_url = NULL,"
				   " from_e164 = NULL, to_e164 = NULL, ended_report = NULL, voicemail_message = NULL"
				   " WHERE c.org_id = $1 AND c.vapi_call_id = ANY ($4::text[])"
				   " AND (c.transcript IS NOT NULL OR c.summary IS NOT NULL OR c.recording_url IS NOT NULL"
				   "   OR c.from_e164 IS NOT NULL OR c.to_e164 IS NOT NULL OR c.ended_report IS NOT NULL"
				   "   OR c.voicemail_message IS NOT NULL)"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

static VpPlan erase_inbox = {
	.sql = COUNTED("UPDATE vapi_pool.webhook_inbox i SET payload = '{}'::jsonb, answer = '{}'::jsonb,"
				   " error = CASE WHEN i.error IS NOT NULL THEN 'the event''s contact was erased (forget_contact)' END"
				   " WHERE (i.org_id = $1 OR ($7 AND i.org_id IS NULL)) AND i.payload <> '{}'::jsonb"
				   " AND " MENTIONS_ONLY_THEM("i.payload::text || ' ' || i.answer::text || ' ' || coalesce(i.error, '')")),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* Jobs of the person: queued ones are suppressed; all lose their payload to ids. */
static VpPlan erase_outbox = {
	.sql = COUNTED("UPDATE vapi_pool.outbox j SET payload = " VP_PAYLOAD_WITHOUT_PERSONAL_DATA("j.payload") ","
				   " state = CASE WHEN j.state IN ('pending', 'in_flight') THEN 'suppressed' ELSE j.state END,"
				   " last_error = CASE WHEN j.state IN ('pending', 'in_flight') THEN 'its contact was erased' END,"
				   " lease_expires_at = NULL,"
				   " finished_at = CASE WHEN j.state IN ('pending', 'in_flight') THEN pg_catalog.now() ELSE j.finished_at END"
				   " WHERE j.org_id = $1 AND j.kind IN " VP_PERSONAL_JOB_KINDS
				   " AND ((j.payload ->> 'lead_id') = $2::text"
				   "   OR ((j.payload ->> 'lead_id') IS NULL"
				   "     AND " MENTIONS_ONLY_THEM("j.payload::text || ' ' || coalesce(j.last_error, '')") "))"
				   " AND (NOT j.payload ? 'purged' OR j.state IN ('pending', 'in_flight'))"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

static VpPlan erase_instantly_events = {
	.sql = COUNTED("UPDATE vapi_pool.instantly_events e SET lead_email = NULL, reply_subject = NULL, reply_text = NULL,"
				   " phone = NULL, call_number = NULL, evidence = NULL, decision_detail = NULL, payload = '{}'::jsonb"
				   " WHERE e.org_id = $1 AND (e.lead_id = $2 OR (e.lead_id IS NULL AND (pg_catalog.lower(e.lead_email) = $6"
				   "   OR e.phone = $5 OR e.call_number = $5 OR " MENTIONS("e.payload::text") ")))"
				   " AND (e.lead_email IS NOT NULL OR e.reply_subject IS NOT NULL OR e.reply_text IS NOT NULL"
				   "   OR e.phone IS NOT NULL OR e.call_number IS NOT NULL OR e.evidence IS NOT NULL"
				   "   OR e.decision_detail IS NOT NULL OR e.payload <> '{}'::jsonb)"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* Follow-ups lose the procedures asked about; open ones are suppressed. */
static VpPlan erase_followups = {
	.sql = COUNTED("UPDATE vapi_pool.dropoff_followups f SET procedures = NULL,"
				   " state = CASE WHEN f.state IN ('open', 'sms_queued') THEN 'suppressed' ELSE f.state END"
				   " WHERE f.org_id = $1 AND (f.lead_id = $2 OR f.vapi_call_id = ANY ($4::text[]))"
				   " AND (f.procedures IS NOT NULL OR f.state IN ('open', 'sms_queued'))"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* The times offered in the person's calls: a day's working data, deleted. */
static VpPlan erase_offered_slots = {
	.sql = COUNTED("DELETE FROM vapi_pool.offered_slots s WHERE s.org_id = $1 AND s.vapi_call_id = ANY ($4::text[])"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* Consent evidence quotes the person: deleted with them. */
static VpPlan erase_consents = {
	.sql = COUNTED("DELETE FROM vapi_pool.lead_consents c WHERE c.org_id = $1 AND c.lead_id = $2"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* A cancellation's reason may be the person's own words. */
static VpPlan erase_appointments = {
	.sql = COUNTED("UPDATE vapi_pool.appointments a SET cancel_reason = NULL"
				   " WHERE a.org_id = $1 AND a.contact_id = $2 AND a.cancel_reason IS NOT NULL"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* Reports of calls no organisation knew that mention the person: the service's to erase. */
static VpPlan erase_unmatched_reports = {
	.sql = COUNTED("UPDATE vapi_pool.unmatched_call_reports u SET transcript = NULL, summary = NULL, report = NULL"
				   " WHERE $7 AND (u.vapi_call_id = ANY ($4::text[])"
				   "   OR " MENTIONS("coalesce(u.report::text, '') || ' ' || coalesce(u.transcript, '') || ' '"
									 " || coalesce(u.summary, '')") ")"
				   " AND (u.transcript IS NOT NULL OR u.summary IS NOT NULL OR u.report IS NOT NULL)"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/*
 * The do-not-call entry of the person's number stays (without it they
 * could be called again), but not its reason: where the opt-out was said
 * may quote them.
 */
static VpPlan erase_do_not_call_reason = {
	.sql = COUNTED("UPDATE vapi_pool.do_not_call n SET reason = NULL"
				   " WHERE n.org_id = $1 AND n.phone = $5 AND n.reason IS NOT NULL"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* The lead row: ids, organisation, broker, campaign and timestamps stay. */
static VpPlan erase_lead = {
	.sql = COUNTED("UPDATE vapi_pool.leads l SET first_name = NULL, last_name = NULL, email = NULL,"
				   " primary_phone_e164 = NULL, zip = NULL, redacted_medical_history = NULL,"
				   " instantly_lead_id = NULL, timezone = NULL, status = 'erased'"
				   " WHERE l.org_id = $1 AND l.id = $2"),
	.nargs = ERASE_NARGS, .argtypes = ERASE_ARGTYPES
};

/* The statements in the order they run (the lead last), with the table each counts. */
static const struct
{
	const char *table;
	VpPlan	   *plan;
}			steps[] = {
	{"vapi_call_logs", &erase_call_logs},
	{"webhook_inbox", &erase_inbox},
	{"outbox", &erase_outbox},
	{"instantly_events", &erase_instantly_events},
	{"dropoff_followups", &erase_followups},
	{"offered_slots", &erase_offered_slots},
	{"lead_consents", &erase_consents},
	{"appointments", &erase_appointments},
	{"unmatched_call_reports", &erase_unmatched_reports},
	{"do_not_call", &erase_do_not_call_reason},
	{"leads", &erase_lead},
};

/* The lead's assignments still holding a number. */
static VpPlan live_assignments = {
	.sql = "SELECT a.id FROM vapi_pool.vapi_number_assignments a"
	" WHERE a.org_id = $1 AND a.lead_id = $2 AND a.status <> 'released'",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* The log of the erasure. */
static VpPlan log_erasure = {
	.sql = "INSERT INTO vapi_pool.contact_erasures (org_id, lead_id, erased_by, erased_by_role, counts)"
	" VALUES ($1, $2, $3, $4, $5) RETURNING *",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, UUIDOID, TEXTOID, JSONBOID}
};

/* The contact being erased and who asked. */
typedef struct Erasure
{
	Datum		org_id;
	Datum		lead_id;
	Datum		phone;
	bool		has_phone;
	Datum		email;
	bool		has_email;
	bool		service;		/* bypasses row level security: may erase in rows of no organisation */
	Datum		erased_by;
	bool		has_erased_by;
	char	   *erased_by_role;
} Erasure;

/* The owner of the function being called: whose rights the erasure runs with. */
static Oid
function_owner(FunctionCallInfo fcinfo)
{
	HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	Oid			owner;

	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
	ReleaseSysCache(proc);
	return owner;
}

/*
 * Decides whether the caller may erase the contact and reads it, locked:
 * fills e, or raises 42501 (a member who is not an owner or admin, or whose
 * organisation has no such contact) or P0002 (the service, no such contact).
 * SPI connected, with the caller's rights.
 */
static void
authorize(Datum lead_id, Erasure *e)
{
	bool		service = superuser() || has_bypassrls_privilege(GetUserId());
	bool		isnull;
	Datum		role;

	vp_execute(&caller, NULL, NULL, 1);
	e->erased_by = vp_getdatum(0, CALLER_COL_UID, &isnull);
	e->has_erased_by = !isnull;
	role = vp_getdatum(0, CALLER_COL_ROLE, &isnull);
	if (service)
		e->erased_by_role = GetUserNameFromId(GetUserId(), false);
	else
	{
		char	   *member_role = isnull ? NULL : TextDatumGetCString(role);

		if (member_role == NULL || (strcmp(member_role, "owner") != 0 && strcmp(member_role, "admin") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only an owner or admin of the organisation may erase a contact"),
					 member_role ? errdetail("Your role in the organisation is %s.", member_role) :
					 errdetail("The request names no member of an organisation."),
					 errhint("Ask an owner or admin of the organisation, or call forget_contact as service_role.")));
		e->erased_by_role = member_role;
	}

	e->lead_id = lead_id;
	vp_execute(&lock_lead, &lead_id, NULL, 1);
	if (SPI_processed == 0)
	{
		if (service)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("contact %s does not exist", vp_uuid_string(lead_id))));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("contact %s is not a contact of your organisation", vp_uuid_string(lead_id)),
				 errhint("An owner or admin erases only the contacts of their own organisation.")));
	}
	e->org_id = vp_getdatum(0, LEAD_COL_ORG_ID, &isnull);
	e->phone = vp_getdatum(0, LEAD_COL_PHONE, &isnull);
	e->has_phone = !isnull;
	e->email = vp_getdatum(0, LEAD_COL_EMAIL, &isnull);
	e->has_email = !isnull;
	e->service = service;
}

/*
 * Erases the contact everywhere and logs it: the log row is row 0 of the
 * last SPI result.  SPI connected, with the owner's rights.
 */
static void
erase(const Erasure *e)
{
	Datum		id_args[4] = {e->org_id, e->lead_id, e->phone, e->email};
	char		id_nulls[4] = {' ', ' ', e->has_phone ? ' ' : 'n', e->has_email ? ' ' : 'n'};
	Datum		args[ERASE_NARGS];
	char		nulls[ERASE_NARGS] = {' ', ' ', ' ', ' ', e->has_phone ? ' ' : 'n', e->has_email ? ' ' : 'n', ' ', ' '};
	Datum		assignment_args[2] = {e->org_id, e->lead_id};
	Datum		log_args[5];
	char		log_nulls[5] = {' ', ' ', e->has_erased_by ? ' ' : 'n', ' ', ' '};
	StringInfoData counts;
	int64		released = 0;
	uint64		n;
	Datum	   *assignments;
	bool		isnull;

	vp_execute(&identifiers, id_args, id_nulls, 1);
	args[0] = e->org_id;
	args[1] = e->lead_id;
	/* SPI's results live until SPI_finish */
	args[2] = vp_getdatum(0, IDENTIFIERS_COL_NEEDLES, &isnull);
	args[3] = vp_getdatum(0, IDENTIFIERS_COL_CALL_IDS, &isnull);
	args[4] = e->phone;
	args[5] = e->email;
	args[6] = BoolGetDatum(e->service);
	args[7] = vp_getdatum(0, IDENTIFIERS_COL_OTHERS_NEEDLES, &isnull);

	/* the number first, so the lead row is unlinked before it is cleared */
	vp_execute(&live_assignments, assignment_args, NULL, 0);
	n = SPI_processed;
	assignments = palloc(sizeof(Datum) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
		assignments[i] = vp_getdatum(i, VP_SOLE_COLUMN, &isnull);
	for (uint64 i = 0; i < n; i++)
		released += vp_release_assignment(assignments[i]) ? 1 : 0;

	initStringInfo(&counts);
	appendStringInfoChar(&counts, '{');
	for (int i = 0; i < lengthof(steps); i++)
	{
		vp_execute(steps[i].plan, args, nulls, 0);
		if (i > 0)
			appendStringInfoString(&counts, ", ");
		vp_json_string(&counts, steps[i].table);
		appendStringInfo(&counts, ": " INT64_FORMAT, DatumGetInt64(vp_getdatum(0, VP_SOLE_COLUMN, &isnull)));
	}
	appendStringInfo(&counts, ", \"vapi_number_assignments\": " INT64_FORMAT "}", released);

	log_args[0] = e->org_id;
	log_args[1] = e->lead_id;
	log_args[2] = e->erased_by;
	log_args[3] = CStringGetTextDatum(e->erased_by_role);
	log_args[4] = vp_jsonb_from_text(counts.data);
	vp_execute(&log_erasure, log_args, log_nulls, 0);
}

/*
 * SQL: forget_contact(lead_id) -> contact_erasures.  Erases the contact
 * across every table (see the file header) and returns the log of it.
 */
Datum
vapi_pool_forget_contact(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			owner = function_owner(fcinfo);
	Erasure		e;
	Oid			save_user;
	int			save_sec;
	Datum		result;

	vp_spi_connect();
	authorize(PG_GETARG_DATUM(0), &e);
	/* an error restores the user with the (sub)transaction's abort, as for SECURITY DEFINER */
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	erase(&e);
	SetUserIdAndSecContext(save_user, save_sec);
	result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
