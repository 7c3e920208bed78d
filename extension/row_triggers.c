/*
 * row_triggers.c
 *	  The row triggers of the hot tables, in C: stamping updated_at, and
 *	  redacting a call log's transcript and summary as they are written.
 *
 * Both run on every insert or update of a call log (record_call_placed,
 * record_call_ended, route_inbound with a call id), where the PL/pgSQL
 * versions of 0.2.0 cost a function call interpreter start and three
 * expression evaluations per row.  What they do is unchanged: updated_at is
 * the transaction's start time, and a text column is redacted when it is
 * inserted or changed (redact_pii is idempotent, so redacting an unchanged
 * text again would be harmless, only slow).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/datum.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vapi_pool_touch_updated_at);
PG_FUNCTION_INFO_V1(vapi_pool_redact_call_log);

/* The redactor of redact_pii.c, called directly (it uses no call context). */
extern PGDLLEXPORT Datum vapi_pool_redact_pii(PG_FUNCTION_ARGS);

/* The text columns of a call log that are redacted on write. */
static const char *const redacted_columns[] = {"transcript", "summary"};

#define N_REDACTED (lengthof(redacted_columns))

/*
 * Checks that a trigger function was fired as a BEFORE ROW trigger on INSERT
 * or UPDATE, and returns its trigger data.
 */
static TriggerData *
before_row_trigger(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() was not called by the trigger manager", name)));
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() must be fired BEFORE INSERT OR UPDATE FOR EACH ROW", name)));
	return td;
}

/* Returns the attribute number of a column the trigger needs, or fails. */
static int
required_column(TriggerData *td, const char *trigger_name, const char *column)
{
	int			attnum = SPI_fnumber(td->tg_relation->rd_att, column);

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("trigger %s on table \"%s\" needs a column \"%s\"",
						trigger_name, RelationGetRelationName(td->tg_relation), column)));
	return attnum;
}

/* True when two text datums hold the same characters (toasted or not). */
static bool
same_text(Datum a, Datum b)
{
	text	   *ta;
	text	   *tb;

	if (datumIsEqual(a, b, false, -1))
		return true;
	if (toast_raw_datum_size(a) != toast_raw_datum_size(b))
		return false;
	ta = DatumGetTextPP(a);
	tb = DatumGetTextPP(b);
	return VARSIZE_ANY_EXHDR(ta) == VARSIZE_ANY_EXHDR(tb) &&
		memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(ta)) == 0;
}

/*
 * SQL trigger touch_updated_at(): sets the row's updated_at to the
 * transaction's start time (what now() returns).
 */
Datum
vapi_pool_touch_updated_at(PG_FUNCTION_ARGS)
{
	TriggerData *td = before_row_trigger(fcinfo, "touch_updated_at");
	HeapTuple	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	int			attnum = required_column(td, "touch_updated_at", "updated_at");
	Datum		value = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	bool		isnull = false;

	return PointerGetDatum(heap_modify_tuple_by_cols(row, td->tg_relation->rd_att, 1,
													 &attnum, &value, &isnull));
}

/*
 * SQL trigger redact_call_log(): runs redact_pii over the transcript and the
 * summary of a call log when they are inserted or changed.
 */
Datum
vapi_pool_redact_call_log(PG_FUNCTION_ARGS)
{
	TriggerData *td = before_row_trigger(fcinfo, "redact_call_log");
	TupleDesc	desc = td->tg_relation->rd_att;
	bool		update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	HeapTuple	row = update ? td->tg_newtuple : td->tg_trigtuple;
	int			attnums[N_REDACTED];
	Datum		values[N_REDACTED];
	bool		nulls[N_REDACTED];
	int			n = 0;

	for (int i = 0; i < N_REDACTED; i++)
	{
		int			attnum = required_column(td, "redact_call_log", redacted_columns[i]);
		bool		isnull;
		Datum		value = heap_getattr(row, attnum, desc, &isnull);
		Datum		redacted;

		if (isnull)
			continue;
		if (update)
		{
			bool		old_null;
			Datum		old = heap_getattr(td->tg_trigtuple, attnum, desc, &old_null);

			if (!old_null && same_text(value, old))
				continue;
		}
		redacted = DirectFunctionCall1(vapi_pool_redact_pii, value);
		if (redacted == value)
			continue;			/* nothing to redact: the text came back as it was */
		attnums[n] = attnum;
		values[n] = redacted;
		nulls[n] = false;
		n++;
	}
	if (n == 0)
		return PointerGetDatum(row);
	return PointerGetDatum(heap_modify_tuple_by_cols(row, desc, n, attnums, values, nulls));
}
