/*
 * saved_plans.c
 *	  The engine's SQL statements as saved SPI plans, and the helpers that
 *	  turn their rows into function results.
 *
 * Each statement is parsed and planned once per backend (SPI_keepplan); the
 * plan cache re-plans it when a table it reads changes.  Plans whose argument
 * types name vapi_pool.e164 are made again when that type's OID changes (the
 * extension was dropped and created again in this backend).
 *
 * Every statement runs with search_path vapi_pool, pg_catalog, pg_temp, what
 * the extension's functions declare (SET search_path), so a name or an
 * operator can never resolve to an object another role planted in a schema
 * of the caller's path.  Functions without that clause (triggers, which run
 * under whoever writes, and the procedures pg_cron calls) get it here, for
 * the statement only; under the clause the path already matches and nothing
 * is set.
 */
#include "core/saved_plans.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* the search_path of every statement: the one the extension's functions SET */
#define VP_SEARCH_PATH "vapi_pool, pg_catalog, pg_temp"

static Oid	e164_typid = InvalidOid;
static uint64 plan_generation = 1;

/* The OID of vapi_pool.e164, looked up in the syscache. */
Oid
vp_e164_typid(void)
{
	Oid			nsp = get_namespace_oid("vapi_pool", false);
	Oid			typ = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									  CStringGetDatum("e164"), ObjectIdGetDatum(nsp));

	if (!OidIsValid(typ))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type vapi_pool.e164 does not exist"),
				 errhint("Run CREATE EXTENSION vapi_pool CASCADE.")));
	return typ;
}

/* The text form of an e164 Datum, for messages. */
char *
vp_e164_string(Datum number)
{
	Oid			output;
	bool		isvarlena;

	getTypeOutputInfo(vp_e164_typid(), &output, &isvarlena);
	return OidOutputFunctionCall(output, number);
}

/* The text form of a uuid Datum, for messages. */
char *
vp_uuid_string(Datum uuid)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, uuid));
}

/* SPI_connect, and forget plans made for an earlier copy of the extension. */
void
vp_spi_connect(void)
{
	Oid			typ;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	typ = vp_e164_typid();
	if (typ != e164_typid)
	{
		e164_typid = typ;
		plan_generation++;
	}
}

/*
 * Executes a saved plan, preparing it first if needed; returns the SPI code.
 * The plan cache plans a statement for its arguments (a custom plan) until
 * the generic plan looks no dearer; a statement whose arguments fold away
 * parts of it (coalesce($5, (SELECT ...))) keeps looking cheaper custom and
 * is planned again on every call.  Such a plan sets generic, and is planned
 * once.
 */
int
vp_execute(VpPlan *p, Datum *values, const char *nulls, long limit)
{
	int			rc;
	int			guc_level = -1;

	/* an error unwinds the nest level with its (sub)transaction, as for SET clauses */
	if (namespace_search_path == NULL || strcmp(namespace_search_path, VP_SEARCH_PATH) != 0)
	{
		guc_level = NewGUCNestLevel();
		(void) set_config_option("search_path", VP_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}

	if (p->plan == NULL || p->generation != plan_generation)
	{
		Oid			types[lengthof(p->argtypes)];
		SPIPlanPtr	plan;

		Assert(p->nargs <= lengthof(p->argtypes));
		for (int i = 0; i < p->nargs; i++)
			types[i] = p->argtypes[i] == VP_E164_ARG ? e164_typid : p->argtypes[i];
		plan = SPI_prepare_cursor(p->sql, p->nargs, types, p->generic ? CURSOR_OPT_GENERIC_PLAN : 0);
		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", p->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not save the plan of \"%s\"", p->sql);
		if (p->plan != NULL)
			SPI_freeplan(p->plan);
		p->plan = plan;
		p->generation = plan_generation;
	}
	rc = SPI_execute_plan(p->plan, values, nulls, false, limit);
	if (rc < 0)
		elog(ERROR, "could not execute \"%s\": %s", p->sql, SPI_result_code_string(rc));
	if (guc_level >= 0)
		AtEOXact_GUC(true, guc_level);
	return rc;
}

/* Column col (1-based) of row of the last result. */
Datum
vp_getdatum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/*
 * The function's composite result, built in cxt from values; the result type
 * comes from the function's declaration.
 */
Datum
vp_result_values(FunctionCallInfo fcinfo, MemoryContext cxt, Datum *values, bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TupleDesc	tupdesc;
	HeapTuple	tuple;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a row called in a context that cannot accept one");
	tupdesc = BlessTupleDesc(tupdesc);
	tuple = heap_form_tuple(tupdesc, values, nulls);
	MemoryContextSwitchTo(old);
	return HeapTupleGetDatum(tuple);
}

/*
 * Row row of the last SPI result as the function's composite result (a table
 * row type), built in cxt.  The SPI row has the table's live columns in
 * order; the row type may also have dropped ones, which stay NULL.
 */
Datum
vp_result_row(FunctionCallInfo fcinfo, MemoryContext cxt, int row)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TupleDesc	tupdesc;
	TupleDesc	spidesc = SPI_tuptable->tupdesc;
	Datum	   *values;
	bool	   *nulls;
	Datum		result;
	int			col = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a row called in a context that cannot accept one");
	values = palloc0(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		nulls[i] = true;
		if (TupleDescAttr(tupdesc, i)->attisdropped)
			continue;
		if (col >= spidesc->natts ||
			TupleDescAttr(spidesc, col)->atttypid != TupleDescAttr(tupdesc, i)->atttypid)
			elog(ERROR, "row of \"%s\" does not match the function's result type",
				 SPI_fname(spidesc, Min(col, spidesc->natts - 1) + 1));
		values[i] = SPI_getbinval(SPI_tuptable->vals[row], spidesc, col + 1, &nulls[i]);
		col++;
	}
	MemoryContextSwitchTo(old);
	result = vp_result_values(fcinfo, cxt, values, nulls);
	return result;
}
