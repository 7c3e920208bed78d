/*
 * compat.h
 *	  Every PostgreSQL version guard of vapi_pool, kept in one place.
 *
 * Supported: PostgreSQL 14 to 17.
 */
#ifndef VAPI_POOL_COMPAT_H
#define VAPI_POOL_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 140000
#error "vapi_pool requires PostgreSQL 14 or later"
#endif

/*
 * Soft input errors (pg_input_is_valid) arrived in PostgreSQL 16; before
 * that an input function can only throw.
 */
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#define VP_INPUT_ERROR(escontext, ...) ereturn((escontext), (Datum) 0, __VA_ARGS__)
#else
#define VP_INPUT_ERROR(escontext, ...) \
	do { ereport(ERROR, __VA_ARGS__); pg_unreachable(); } while (0)
#endif

/*
 * Settings: check hooks allocate their "extra" with guc_malloc from
 * PostgreSQL 16 (malloc before); MarkGUCPrefixReserved replaced
 * EmitWarningsOnPlaceholders in PostgreSQL 15.
 */
#if PG_VERSION_NUM >= 160000
#define guc_malloc_compat(size) guc_malloc(LOG, (size))
#else
#define guc_malloc_compat(size) malloc(size)
#endif
#if PG_VERSION_NUM >= 150000
#define MarkGUCPrefixReserved_compat(prefix) MarkGUCPrefixReserved(prefix)
#else
#define MarkGUCPrefixReserved_compat(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * Growing a palloc'd array from NULL: repalloc_array arrived in PostgreSQL
 * 16, and repalloc never took NULL.
 */
#define repalloc_array_compat(pointer, count) \
	((pointer) == NULL ? palloc_array_compat(pointer, count) : repalloc((pointer), sizeof(*(pointer)) * (count)))
#define palloc_array_compat(pointer, count) palloc(sizeof(*(pointer)) * (count))

/*
 * A set-returning function's tuplestore: InitMaterializedSRF arrived in
 * PostgreSQL 15; before it the caller sets up ReturnSetInfo itself.
 */
#if PG_VERSION_NUM >= 150000
#include "funcapi.h"
#define vp_init_materialized_srf(fcinfo) InitMaterializedSRF((fcinfo), 0)
#else
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"
static inline void
vp_init_materialized_srf(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
}
#endif

#endif							/* VAPI_POOL_COMPAT_H */
