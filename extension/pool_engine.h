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

/* ---- shared engine steps ---- */

extern uint64 vp_release_batch(TimestampTz now, int batch_size, TimestampTz *from, Datum org_id,
							   Datum broker_id, bool one_broker);
extern const char *vp_classify_ended_reason(const char *reason);
extern TimestampTz vp_next_attempt_time(TimestampTz earliest, const char *timezone);

#endif							/* VAPI_POOL_POOL_ENGINE_H */
