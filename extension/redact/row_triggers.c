/*
 * row_triggers.c
 *	  The row triggers of the hot tables, in C: stamping updated_at,
 *	  redacting a call log's transcript and summary as they are written, and
 *	  an Instantly event's reply text and payload.
 *
 * Both run on every insert or update of a call log (record_call_placed,
 * record_call_ended, route_inbound with a call id), where the PL/pgSQL
 * versions of 0.2.0 cost an interpreter start and three expression
 * evaluations per row.  updated_at is the transaction's start time.  A text
 * column is redacted when it is inserted or changed (redacting an unchanged
 * text again would be harmless, only slow): first medical history
 * (medical_history.c: the caller's sentences of the transcript are moved to
 * the lead's redacted_medical_history; the summary's are only replaced),
 * then personal data (redact_pii), then the details of the log's contact
 * (contact_redaction.c: the name, e-mail, phone and ZIP code of its lead).
 * A log linked to its contact after its transcript was written (lead_id
 * set later) has the contact's details taken out of the stored texts then.
 *
 * An Instantly event's reply_text gets redact_pii and the details of its
 * lead (lead_id, else the lead of its lead_email) when written and when its
 * lead changes, and its payload never keeps the reply's texts (reply_text,
 * reply_html, reply_text_snippet): handle_instantly_event classifies the
 * reply before it is stored, so intent, phone and call_number are read from
 * the text as it came.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "core/saved_plans.h"
#include "redact/contact_redaction.h"
#include "redact/medical_history.h"
#include "redact/redact_pii.h"
#include "redact/transcript_text.h"

PG_FUNCTION_INFO_V1(vapi_pool_touch_updated_at);
PG_FUNCTION_INFO_V1(vapi_pool_redact_call_log);
PG_FUNCTION_INFO_V1(vapi_pool_redact_instantly_event);

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
 * Appends the medical history moved out of a call's transcript to its lead,
 * PII-redacted and headed by the call's date and id; an entry already there
 * (the same transcript written again) is not repeated.
 */
static VpPlan append_history = {
	.sql = "UPDATE vapi_pool.leads l"
	" SET redacted_medical_history = pg_catalog.concat_ws(E'\\n', nullif(l.redacted_medical_history, ''), e.entry)"
	" FROM (SELECT pg_catalog.to_char(coalesce($3, pg_catalog.now()) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	"         || ' call ' || coalesce($4, 'without id') || ': ' || $5 AS entry) e"
	" WHERE l.org_id = $1 AND l.id = $2"
	"   AND pg_catalog.strpos(coalesce(l.redacted_medical_history, ''), e.entry) = 0",
	.nargs = 5, .argtypes = {UUIDOID, UUIDOID, TIMESTAMPTZOID, TEXTOID, TEXTOID}
};

/* A column of the row, or NULL (isnull set) when the table has no such column. */
static Datum
optional_column(TriggerData *td, HeapTuple row, const char *column, bool *isnull)
{
	int			attnum = SPI_fnumber(td->tg_relation->rd_att, column);

	if (attnum <= 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return heap_getattr(row, attnum, td->tg_relation->rd_att, isnull);
}

/*
 * Whether an update links the row to a lead it was not linked to (a contact
 * found after the text was written).
 */
static bool
relinked(TriggerData *td, HeapTuple row)
{
	bool		new_null,
				old_null;
	Datum		new_lead,
				old_lead;

	if (!TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		return false;
	new_lead = optional_column(td, row, "lead_id", &new_null);
	old_lead = optional_column(td, td->tg_trigtuple, "lead_id", &old_null);
	return !new_null && (old_null || !datumIsEqual(new_lead, old_lead, false, UUID_LEN));
}

/*
 * How the row's texts are read (SPI connected): in its organisation's
 * region, on the day of time_column (the call's start, the reply's
 * receipt), else of the transaction.
 */
static void
row_redact_options(TriggerData *td, HeapTuple row, const char *time_column, RedactOptions *o)
{
	bool		org_null,
				time_null;
	Datum		org_id = optional_column(td, row, "org_id", &org_null);
	Datum		at = optional_column(td, row, time_column, &time_null);

	vp_redact_options_init(o);
	if (!org_null)
		vp_org_redact_options(o, org_id);
	vp_redact_options_set_time(o, time_null ? GetCurrentTransactionStartTimestamp() : DatumGetTimestampTz(at));
}

/*
 * The details of the row's contact (SPI connected): its lead_id's lead, else
 * the lead of email_column's address (NULL: none).  False when unknown.
 */
static bool
row_contact(TriggerData *td, HeapTuple row, const char *email_column, ContactDetails *c)
{
	bool		org_null,
				lead_null,
				email_null = true;
	Datum		org_id = optional_column(td, row, "org_id", &org_null);
	Datum		lead_id = optional_column(td, row, "lead_id", &lead_null);
	Datum		email = email_column ? optional_column(td, row, email_column, &email_null) : (Datum) 0;

	vp_contact_init(c);
	if (org_null || (lead_null && email_null))
		return false;
	return vp_contact_load(c, org_id, lead_null ? (Datum) 0 : lead_id,
						   email_null ? NULL : TextDatumGetCString(email)) && vp_contact_known(c);
}

/*
 * SQL trigger redact_call_log(): keeps medical history and personal data out
 * of a call log's transcript and summary when they are inserted or changed,
 * and the contact's details out of them when it is linked to its contact.
 */
Datum
vapi_pool_redact_call_log(PG_FUNCTION_ARGS)
{
	TriggerData *td = before_row_trigger(fcinfo, "redact_call_log");
	TupleDesc	desc = td->tg_relation->rd_att;
	bool		update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	HeapTuple	row = update ? td->tg_newtuple : td->tg_trigtuple;
	MemoryContext upper = CurrentMemoryContext;
	int			attnums[N_REDACTED];
	Datum		values[N_REDACTED];
	bool		nulls[N_REDACTED];
	int			n = 0;
	bool		connected = false;
	bool		have_vocab = false;
	TermSet		vocab;
	StringInfoData moved;
	bool		relink = relinked(td, row);
	bool		have_contact = false;
	ContactDetails contact;
	RedactOptions opts;

	for (int i = 0; i < N_REDACTED; i++)
	{
		int			attnum = required_column(td, "redact_call_log", redacted_columns[i]);
		bool		isnull;
		Datum		value = heap_getattr(row, attnum, desc, &isnull);
		Datum		redacted;
		text	   *t;
		char	   *medical = NULL;
		int			medical_len;
		bool		changed = true;

		if (isnull)
			continue;
		if (update)
		{
			bool		old_null;
			Datum		old = heap_getattr(td->tg_trigtuple, attnum, desc, &old_null);

			if (!old_null && same_text(value, old))
			{
				if (!relink)
					continue;
				changed = false;	/* only the new contact's details to take out */
			}
		}
		if (!connected)
		{
			bool		org_null;
			Datum		org_id = optional_column(td, row, "org_id", &org_null);

			vp_spi_connect();
			connected = true;
			if (!org_null)
				vp_termset_load(&vocab, org_id);
			have_vocab = !org_null;
			initStringInfo(&moved);
			have_contact = row_contact(td, row, NULL, &contact);
			row_redact_options(td, row, "started_at", &opts);
		}
		redacted = value;
		if (changed)
		{
			t = DatumGetTextPP(value);
			medical = vp_redact_medical(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), have_vocab ? &vocab : NULL, i == 0,
										i == 0 ? &moved : NULL, &medical_len);
			if (medical != NULL)
				value = PointerGetDatum(cstring_to_text_with_len(medical, medical_len));
			redacted = vp_redact_pii_text(value, &opts);
		}
		if (have_contact)
			redacted = vp_redact_contact_text(redacted, &contact);
		if (medical == NULL && redacted == value)
			continue;			/* nothing to redact: the text came back as it was */
		attnums[n] = attnum;
		values[n] = redacted;	/* in SPI's context: copied out below */
		nulls[n] = false;
		n++;
	}
	if (connected)
	{
		bool		org_null,
					lead_null,
					started_null,
					call_null;
		Datum		args[5];
		char		argnulls[5] = {' ', ' ', ' ', ' ', ' '};

		args[0] = optional_column(td, row, "org_id", &org_null);
		args[1] = optional_column(td, row, "lead_id", &lead_null);
		args[2] = optional_column(td, row, "started_at", &started_null);
		args[3] = optional_column(td, row, "vapi_call_id", &call_null);
		if (moved.len > 0 && !org_null && !lead_null)
		{
			/* redacted as the transcript is: in the organisation's region, on the call's day */
			args[4] = vp_redact_pii_text(CStringGetTextDatum(moved.data), &opts);
			argnulls[2] = started_null ? 'n' : ' ';
			argnulls[3] = call_null ? 'n' : ' ';
			vp_execute(&append_history, args, argnulls, 0);
		}
		/* the new values live in SPI's context: copy them out before it goes */
		{
			MemoryContext spi = MemoryContextSwitchTo(upper);

			for (int i = 0; i < n; i++)
				values[i] = datumCopy(values[i], false, -1);
			MemoryContextSwitchTo(spi);
		}
		SPI_finish();
	}
	if (n == 0)
		return PointerGetDatum(row);
	return PointerGetDatum(heap_modify_tuple_by_cols(row, desc, n, attnums, values, nulls));
}

/* The payload keys of an Instantly event that hold the reply's text. */
static ArrayType *
reply_text_keys(void)
{
	Datum		keys[3] = {CStringGetTextDatum("reply_text"), CStringGetTextDatum("reply_html"),
	CStringGetTextDatum("reply_text_snippet")};

	return construct_array(keys, lengthof(keys), TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * Column att of row (an Instantly event) through redact_pii and the
 * contact's details, into attnums/values at *n, when it was written or the
 * event got its lead (relinked_now); the contact is loaded on first need,
 * over an SPI connection the caller finishes once done (*loaded).
 */
static void
redact_event_text(TriggerData *td, HeapTuple row, int att, bool relinked_now, ContactDetails *contact,
				  RedactOptions *opts, bool *loaded, int *attnums, Datum *values, int *n)
{
	TupleDesc	desc = td->tg_relation->rd_att;
	bool		update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	bool		isnull;
	Datum		value = heap_getattr(row, att, desc, &isnull);
	bool		old_null = true;
	Datum		old;
	Datum		redacted;

	if (isnull)
		return;
	old = update ? heap_getattr(td->tg_trigtuple, att, desc, &old_null) : (Datum) 0;
	if (!old_null && same_text(value, old) && !relinked_now)
		return;
	if (!*loaded)
	{
		MemoryContext upper = CurrentMemoryContext;

		/* the caller ends the SPI connection: the details live in its memory */
		vp_spi_connect();
		row_contact(td, row, "lead_email", contact);
		row_redact_options(td, row, "received_at", opts);
		MemoryContextSwitchTo(upper);
		*loaded = true;
	}
	redacted = vp_redact_text_for_contact(value, contact, opts);
	if (redacted != value)
	{
		attnums[*n] = att;
		values[(*n)++] = redacted;
	}
}

/*
 * SQL trigger redact_instantly_event(): an Instantly event's reply_text and
 * reply_subject through redact_pii and its lead's details when written or
 * when the event gets its lead; its payload without the reply's texts.
 */
Datum
vapi_pool_redact_instantly_event(PG_FUNCTION_ARGS)
{
	TriggerData *td = before_row_trigger(fcinfo, "redact_instantly_event");
	TupleDesc	desc = td->tg_relation->rd_att;
	bool		update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	HeapTuple	row = update ? td->tg_newtuple : td->tg_trigtuple;
	int			attnums[3];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			n = 0;
	int			text_att = required_column(td, "redact_instantly_event", "reply_text");
	int			subject_att = required_column(td, "redact_instantly_event", "reply_subject");
	int			payload_att = required_column(td, "redact_instantly_event", "payload");
	bool		isnull;
	Datum		value;
	ContactDetails contact;
	RedactOptions opts;
	bool		loaded = false;
	bool		relinked_now;

	value = heap_getattr(row, payload_att, desc, &isnull);
	if (!isnull)
	{
		Datum		keys = PointerGetDatum(reply_text_keys());

		if (DatumGetBool(DirectFunctionCall2(jsonb_exists_any, value, keys)))
		{
			attnums[n] = payload_att;
			values[n++] = DirectFunctionCall2(jsonb_delete_array, value, keys);
		}
	}
	relinked_now = relinked(td, row);
	redact_event_text(td, row, text_att, relinked_now, &contact, &opts, &loaded, attnums, values, &n);
	redact_event_text(td, row, subject_att, relinked_now, &contact, &opts, &loaded, attnums, values, &n);
	if (loaded)
		SPI_finish();
	if (n == 0)
		return PointerGetDatum(row);
	return PointerGetDatum(heap_modify_tuple_by_cols(row, desc, n, attnums, values, nulls));
}
