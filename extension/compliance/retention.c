/*
 * retention.c
 *	  Personal data kept no longer than the organisation chose:
 *	  purge_personal_data(batch_size), run daily by pg_cron
 *	  (schedule_maintenance: purge_personal_data_in_batches).
 *
 * Each organisation sets how long it keeps transcripts, summaries,
 * recording URLs and payloads (orgs.*_retention; NULL: default_retention
 * for a clinic or a brokerage, 193_retention.sql).  The purge clears what
 * is older, kind by kind, at most batch_size rows of each kind per call:
 *
 *	 transcripts		vapi_call_logs.transcript, by the call's created_at
 *	 summaries			vapi_call_logs.summary
 *	 recording_urls		vapi_call_logs.recording_url
 *	 call_reports		vapi_call_logs.ended_report (it holds the recording's
 *						URLs too: the shorter of the payload and recording
 *						retentions)
 *	 inbox_payloads		webhook_inbox payload and answer of processed events,
 *						by received_at (failed ones wait for their replay;
 *						events of no organisation: a brokerage's retention)
 *	 instantly_payloads instantly_events payload, reply_text, reply_subject and
 *						evidence, by received_at
 *	 outbox_payloads	the payload of finished (done, dead, suppressed) jobs
 *						that name a person, by finished_at, down to ids
 *						(privacy.h)
 *	 unmatched_reports	unmatched_call_reports transcript, summary and report,
 *						after a brokerage's payload retention (no
 *						organisation to ask)
 *
 * Rows stay, with their counts and timestamps: reports, the pool engine and
 * the deduplication of deliveries need them; only the columns that hold what
 * a person said or who they are are cleared.  Each organisation's oldest
 * rows are read by a partial index that a purged row leaves, so a run costs
 * what it purges.  Rows locked by a live writer (a report being recorded)
 * are skipped, not waited for: the next run takes them.
 */
#include "compliance/privacy.h"
#include "core/saved_plans.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(vapi_pool_purge_personal_data);

/* The largest batch one call takes of each kind. */
#define PURGE_BATCH_MAX 100000

/* The retention of a kind for organisation o (an orgs row), as SQL. */
#define KEEP(column, kind) "coalesce(o." column ", vapi_pool.default_retention('" kind "', o.is_clinic))"

/*
 * Clears column of at most $1 call logs older than keep, each
 * organisation's oldest first.
 */
#define PURGE_CALL_LOGS(column, keep) \
	"WITH doomed AS (" \
	" SELECT c.org_id, c.id FROM vapi_pool.orgs o" \
	" CROSS JOIN LATERAL (SELECT c.org_id, c.id FROM vapi_pool.vapi_call_logs c" \
	"   WHERE c.org_id = o.org_id AND c." column " IS NOT NULL AND c.created_at < pg_catalog.now() - " keep \
	"   ORDER BY c.created_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED) c" \
	" LIMIT $1)," \
	" purged AS (UPDATE vapi_pool.vapi_call_logs c SET " column " = NULL FROM doomed d" \
	"   WHERE c.org_id = d.org_id AND c.id = d.id RETURNING 1)" \
	" SELECT pg_catalog.count(*) FROM purged"

static VpPlan purge_transcripts = {
	.sql = PURGE_CALL_LOGS("transcript", KEEP("transcript_retention", "transcripts")),
	.nargs = 1, .argtypes = {INT4OID}
};

static VpPlan purge_summaries = {
	.sql = PURGE_CALL_LOGS("summary", KEEP("summary_retention", "summaries")),
	.nargs = 1, .argtypes = {INT4OID}
};

static VpPlan purge_recordings = {
	.sql = PURGE_CALL_LOGS("recording_url", KEEP("recording_retention", "recordings")),
	.nargs = 1, .argtypes = {INT4OID}
};

static VpPlan purge_call_reports = {
	.sql = PURGE_CALL_LOGS("ended_report", "LEAST(" KEEP("payload_retention", "payloads") ", "
						   KEEP("recording_retention", "recordings") ")"),
	.nargs = 1, .argtypes = {INT4OID}
};

/*
 * Inbox events: of each organisation, then those of none.  A failed one (a
 * dead letter a replay needs) keeps its payload DEAD_LETTER_GRACE longer,
 * time to fix its cause and replay it, then is emptied too.  A Cal.com
 * event keeps its booking uids (no personal data), marked purged: a
 * booking replayed after its cancellation's payload went must still find
 * the cancellation (slots/cal_booking.c).
 */
#define DEAD_LETTER_GRACE "interval '60 days'"
static VpPlan purge_inbox_payloads = {
	.sql = "WITH doomed AS ("
	" SELECT i.id FROM vapi_pool.orgs o"
	" CROSS JOIN LATERAL (SELECT i.id FROM vapi_pool.webhook_inbox i"
	"   WHERE i.org_id = o.org_id AND i.payload <> '{}'::jsonb AND NOT (i.source = 'cal' AND i.payload @> '{\"purged\": true}')"
	"     AND i.received_at < pg_catalog.now() - " KEEP("payload_retention", "payloads")
	"       - CASE WHEN i.state = 'failed' THEN " DEAD_LETTER_GRACE " ELSE interval '0' END"
	"   ORDER BY i.received_at LIMIT $1 FOR UPDATE SKIP LOCKED) i"
	" UNION ALL"
	" SELECT n.id FROM (SELECT i.id FROM vapi_pool.webhook_inbox i"
	"   WHERE i.org_id IS NULL AND i.payload <> '{}'::jsonb AND NOT (i.source = 'cal' AND i.payload @> '{\"purged\": true}')"
	"     AND i.received_at < pg_catalog.now() - vapi_pool.default_retention('payloads', false)"
	"       - CASE WHEN i.state = 'failed' THEN " DEAD_LETTER_GRACE " ELSE interval '0' END"
	"   ORDER BY i.received_at LIMIT $1 FOR UPDATE SKIP LOCKED) n"
	" LIMIT $1),"
	" purged AS (UPDATE vapi_pool.webhook_inbox i SET answer = '{}'::jsonb,"
	"   payload = CASE WHEN i.source = 'cal' THEN pg_catalog.jsonb_build_object('purged', true,"
	"     'payload', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('uid', i.payload #> '{payload,uid}',"
	"       'rescheduleUid', i.payload #> '{payload,rescheduleUid}'))) ELSE '{}'::jsonb END"
	"   FROM doomed d WHERE i.id = d.id RETURNING 1)"
	" SELECT pg_catalog.count(*) FROM purged",
	.nargs = 1, .argtypes = {INT4OID}
};

static VpPlan purge_instantly_payloads = {
	.sql = "WITH doomed AS ("
	" SELECT e.org_id, e.id FROM vapi_pool.orgs o"
	" CROSS JOIN LATERAL (SELECT e.org_id, e.id FROM vapi_pool.instantly_events e"
	"   WHERE e.org_id = o.org_id"
	"     AND (e.payload <> '{}'::jsonb OR e.reply_text IS NOT NULL OR e.reply_subject IS NOT NULL"
	"          OR e.evidence IS NOT NULL)"
	"     AND e.received_at < pg_catalog.now() - " KEEP("payload_retention", "payloads")
	"   ORDER BY e.received_at LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED) e"
	" LIMIT $1),"
	" purged AS (UPDATE vapi_pool.instantly_events e"
	"   SET payload = '{}'::jsonb, reply_text = NULL, reply_subject = NULL, evidence = NULL"
	"   FROM doomed d WHERE e.org_id = d.org_id AND e.id = d.id RETURNING 1)"
	" SELECT pg_catalog.count(*) FROM purged",
	.nargs = 1, .argtypes = {INT4OID}
};

static VpPlan purge_outbox_payloads = {
	.sql = "WITH doomed AS ("
	" SELECT j.org_id, j.id FROM vapi_pool.orgs o"
	" CROSS JOIN LATERAL (SELECT j.org_id, j.id FROM vapi_pool.outbox j"
	"   WHERE j.org_id = o.org_id AND j.state IN ('done', 'dead', 'suppressed')"
	"     AND j.kind IN " VP_PERSONAL_JOB_KINDS " AND NOT j.payload ? 'purged'"
	"     AND coalesce(j.finished_at, j.updated_at) < pg_catalog.now() - " KEEP("payload_retention", "payloads")
	"   ORDER BY coalesce(j.finished_at, j.updated_at) LIMIT $1 FOR NO KEY UPDATE SKIP LOCKED) j"
	" LIMIT $1),"
	" purged AS (UPDATE vapi_pool.outbox j SET payload = " VP_PAYLOAD_WITHOUT_PERSONAL_DATA("j.payload")
	"   FROM doomed d WHERE j.org_id = d.org_id AND j.id = d.id RETURNING 1)"
	" SELECT pg_catalog.count(*) FROM purged",
	.nargs = 1, .argtypes = {INT4OID}
};

static VpPlan purge_unmatched_reports = {
	.sql = "WITH doomed AS ("
	" SELECT u.id FROM vapi_pool.unmatched_call_reports u"
	" WHERE (u.transcript IS NOT NULL OR u.summary IS NOT NULL OR u.report IS NOT NULL)"
	"   AND u.received_at < pg_catalog.now() - vapi_pool.default_retention('payloads', false)"
	" ORDER BY u.received_at LIMIT $1 FOR UPDATE SKIP LOCKED),"
	" purged AS (UPDATE vapi_pool.unmatched_call_reports u SET transcript = NULL, summary = NULL, report = NULL"
	"   FROM doomed d WHERE u.id = d.id RETURNING 1)"
	" SELECT pg_catalog.count(*) FROM purged",
	.nargs = 1, .argtypes = {INT4OID}
};

/* The kinds, in the order the result lists them. */
static const struct
{
	const char *kind;
	VpPlan	   *plan;
}			kinds[] = {
	{"transcripts", &purge_transcripts},
	{"summaries", &purge_summaries},
	{"recording_urls", &purge_recordings},
	{"call_reports", &purge_call_reports},
	{"inbox_payloads", &purge_inbox_payloads},
	{"instantly_payloads", &purge_instantly_payloads},
	{"outbox_payloads", &purge_outbox_payloads},
	{"unmatched_reports", &purge_unmatched_reports},
};

/* The columns of purge_personal_data's result rows, counted from 0. */
enum
{
	RESULT_KIND,
	RESULT_PURGED,
	RESULT_NCOLUMNS
};

/*
 * SQL: purge_personal_data(batch_size) -> setof (kind, purged).  Clears, for
 * every kind, at most batch_size rows whose retention is over; one row per
 * kind with how many it cleared (0 included), so a caller repeats while any
 * kind cleared a whole batch.
 */
Datum
vapi_pool_purge_personal_data(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		batch_size = PG_GETARG_INT32(0);
	Datum		arg;

	if (batch_size < 1 || batch_size > PURGE_BATCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be between 1 and %d", PURGE_BATCH_MAX),
				 errdetail("batch_size was %d.", batch_size)));
	arg = Int32GetDatum(batch_size);

	vp_init_materialized_srf(fcinfo);
	vp_spi_connect();
	for (int i = 0; i < lengthof(kinds); i++)
	{
		Datum		values[RESULT_NCOLUMNS];
		bool		nulls[RESULT_NCOLUMNS] = {0};
		bool		isnull;

		vp_execute(kinds[i].plan, &arg, NULL, 0);
		values[RESULT_KIND] = CStringGetTextDatum(kinds[i].kind);
		values[RESULT_PURGED] = vp_getdatum(0, VP_SOLE_COLUMN, &isnull);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
