/*
 * saved_plans.h
 *	  The engine's SQL statements as saved SPI plans (core/saved_plans.c),
 *	  and the helpers that turn their rows into function results.
 *
 * A plan's result columns are read by name: each file that reads a plan's
 * rows declares an enum of its columns next to the plan.
 */
#ifndef VAPI_POOL_SAVED_PLANS_H
#define VAPI_POOL_SAVED_PLANS_H

#include "core/compat.h"

#include "executor/spi.h"
#include "fmgr.h"

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
	bool		generic;		/* always the generic plan (see vp_execute) */
	SPIPlanPtr	plan;
	uint64		generation;
} VpPlan;

/* the column of a plan whose rows have one (vp_getdatum's columns start at 1) */
#define VP_SOLE_COLUMN 1

extern void vp_spi_connect(void);
extern Oid	vp_e164_typid(void);
extern char *vp_e164_string(Datum number);
extern char *vp_uuid_string(Datum uuid);
extern int	vp_execute(VpPlan *plan, Datum *values, const char *nulls, long limit);
extern Datum vp_getdatum(int row, int col, bool *isnull);
extern Datum vp_result_row(FunctionCallInfo fcinfo, MemoryContext cxt, int row);
extern Datum vp_result_values(FunctionCallInfo fcinfo, MemoryContext cxt, Datum *values, bool *nulls);

#endif							/* VAPI_POOL_SAVED_PLANS_H */
