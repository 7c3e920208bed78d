/*
 * pool_engine.h
 *	  Shared pieces of the number-pool engine: its settings, saved SPI plans
 *	  and the helpers that turn SPI rows into function results.
 */
#ifndef VAPI_POOL_POOL_ENGINE_H
#define VAPI_POOL_POOL_ENGINE_H

#include "compat.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/timestamp.h"

/* ---- settings (pool_settings.c) ---- */

#define VP_MAX_BACKOFF_STEPS 8

extern int	vp_hold_after_call_s;		/* vapi_pool.hold_after_call */
extern int	vp_max_call_attempts;		/* vapi_pool.max_call_attempts */
extern int	vp_provider_retry_delay_s;	/* vapi_pool.provider_retry_delay */
extern int	vp_provider_retry_limit;	/* vapi_pool.provider_retry_limit */

extern void vp_define_settings(void);
extern void vp_define_auth_settings(void);
extern int	vp_backoff_seconds(int attempt);
extern void vp_calling_window(int *start_minute, int *end_minute);

/* ---- saved plans (saved_plans.c) ---- */

/* Stands for vapi_pool.e164 in a plan's argument types. */
#define VP_E164_ARG ((Oid) 1)

/*
 * One SQL statement of the engine, prepared on first use and kept for the
 * backend's life.  A plan made before the extension was dropped and created
 * again is made again.
 */
typedef struct VpPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[12];
	SPIPlanPtr	plan;
	uint64		generation;
} VpPlan;

extern void vp_spi_connect(void);
extern Oid	vp_e164_typid(void);
extern char *vp_e164_string(Datum number);
extern char *vp_uuid_string(Datum uuid);
extern int	vp_execute(VpPlan *plan, Datum *values, const char *nulls, long limit);
extern Datum vp_getdatum(int row, int col, bool *isnull);
extern Datum vp_result_row(FunctionCallInfo fcinfo, MemoryContext cxt, int row);
extern Datum vp_result_values(FunctionCallInfo fcinfo, MemoryContext cxt, Datum *values, bool *nulls);

/* ---- steps in subtransactions (subtransaction.c) ---- */

extern bool vp_error_must_propagate(int sqlerrcode);
extern ErrorData *vp_in_subtransaction(void (*step) (void *arg), void *arg);

/* ---- the create-call job ---- */

/*
 * The create-call job of an assignment (outbox kind vapi.create_call), one
 * shape for every statement that queues one (call_outcome.c's retries,
 * instantly_event.c's first call), so the dispatcher reads one payload.
 * $1 is the organisation and $2 the assignment; attempt and last_attempt are
 * SQL expressions.  The statement goes on with the payload's own key and
 * its closing parenthesis, the idempotency key and run_at, then
 * VP_CREATE_CALL_FROM.
 */
#define VP_CREATE_CALL_INSERT(attempt, last_attempt) \
	"INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, run_at)" \
	" SELECT a.org_id, 'vapi.create_call'," \
	"   pg_catalog.jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id," \
	"     'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number," \
	"     'customer_number', l.primary_phone_e164, 'customer_name', l.name, 'attempt', " attempt "," \
	"     'voicemail_message', o.voicemail_message," \
	"     'send_sms', o.sms_when_unreachable AND " attempt " >= " last_attempt " AND o.unreachable_sms_text IS NOT NULL," \
	"     'sms_text', CASE WHEN o.sms_when_unreachable AND " attempt " >= " last_attempt " THEN o.unreachable_sms_text END,"

#define VP_CREATE_CALL_FROM \
	" FROM vapi_pool.vapi_number_assignments a" \
	" JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id" \
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id" \
	" JOIN vapi_pool.orgs o ON o.org_id = a.org_id" \
	" WHERE a.org_id = $1 AND a.id = $2 AND l.primary_phone_e164 IS NOT NULL" \
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING"

/* ---- shared engine steps ---- */

/* record_call_placed for n calls in one statement; errors if any cannot be logged (call_outcome.c). */
extern void vp_record_calls_placed(Datum *assignment_ids, Datum *call_ids, Datum *attempts, int n);

extern bool vp_release_assignment(Datum assignment_id);
extern uint64 vp_release_batch(TimestampTz now, int batch_size, TimestampTz *from, Datum org_id,
							   Datum broker_id, bool one_broker);
extern const char *vp_classify_ended_reason(const char *reason);
extern TimestampTz vp_next_attempt_time(TimestampTz earliest, const char *timezone);

#endif							/* VAPI_POOL_POOL_ENGINE_H */
