/*
 * slot_claim_hold.c
 *	  What happens to a hold after claim_slot_atomic: confirm_slot books it
 *	  (after Cal.com accepted the booking), release_slot cancels it (Cal.com
 *	  refused, the caller gave up, or a booking is called off).
 *
 * Both lock the appointment first (FOR NO KEY UPDATE), so a confirm, a
 * release and a claim that cancels the hold as expired are applied one after
 * the other, each seeing the one before.  A hold id is unique within an
 * organisation; the functions are given no organisation, so an id that names
 * holds of two organisations is refused rather than acting on both.
 */
#include "core/saved_plans.h"
#include "slots/slot_claim.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(vapi_pool_confirm_slot);
PG_FUNCTION_INFO_V1(vapi_pool_release_slot);
PG_FUNCTION_INFO_V1(vapi_pool_queue_cal_cancel);

/* The appointment, then whether a hold is live and the calendar's zone. */
static VpPlan lock_hold = {
	.sql = "SELECT a.*, a.hold_expires_at > pg_catalog.now() AS vp_live,"
	"       coalesce(b.timezone, o.timezone)::text AS vp_zone"
	" FROM vapi_pool.appointments a"
	" JOIN vapi_pool.orgs o ON o.org_id = a.org_id"
	" LEFT JOIN vapi_pool.brokers b ON b.org_id = a.org_id AND b.id = a.broker_id"
	" WHERE a.hold_id = $1"
	" FOR NO KEY UPDATE OF a",
	.nargs = 1, .argtypes = {UUIDOID}
};

static VpPlan book = {
	.sql = "UPDATE vapi_pool.appointments SET status = 'booked', cal_booking_uid = $3"
	" WHERE org_id = $1 AND id = $2"
	" RETURNING *",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

static VpPlan cancel = {
	.sql = "UPDATE vapi_pool.appointments SET status = 'cancelled', cancelled_at = pg_catalog.now(), cancel_reason = $3"
	" WHERE org_id = $1 AND id = $2"
	" RETURNING *",
	.nargs = 3, .argtypes = {UUIDOID, UUIDOID, TEXTOID}
};

/*
 * A booking cancelled here is cancelled at Cal.com too, by the dispatcher
 * (not when Cal.com itself told us: the Cal.com webhook's reason).
 */
static VpPlan queue_cal_cancel = {
	.sql = "SELECT vapi_pool.queue_cal_cancel($1, $2, $3, $4)",
	.nargs = 4, .argtypes = {UUIDOID, TEXTOID, UUIDOID, TEXTOID}
};

/* The cancelled appointment, as the caller's row level security lets them see it. */
static VpPlan visible_cancelled = {
	.sql = "SELECT 1 FROM vapi_pool.appointments a"
	" WHERE a.org_id = $1 AND a.cal_booking_uid = $2 AND a.hold_id = $3 AND a.status = 'cancelled'",
	.nargs = 3, .argtypes = {UUIDOID, TEXTOID, UUIDOID}
};

static VpPlan insert_cancel_job = {
	.sql = "INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key)"
	" VALUES ($1, 'cal.cancel_booking',"
	"   pg_catalog.jsonb_build_object('booking_uid', $2::text, 'hold_id', $3::uuid, 'reason', $4::text),"
	"   'cancel:' || $2::text)"
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING",
	.nargs = 4, .argtypes = {UUIDOID, TEXTOID, UUIDOID, TEXTOID}
};

/* Column name of the locked appointment. */
static Datum
column(const char *name, bool *isnull)
{
	int			col = SPI_fnumber(SPI_tuptable->tupdesc, name);

	if (col <= 0)
		elog(ERROR, "appointments has no column \"%s\"", name);
	return vp_getdatum(0, col, isnull);
}

/* Column name of the locked appointment as text, or NULL. */
static char *
column_text(const char *name)
{
	return vp_slot_text(0, SPI_fnumber(SPI_tuptable->tupdesc, name));
}

/* Locks the appointment of hold_id; an error if there is none, or several. */
static void
lock(Datum hold_id)
{
	vp_execute(&lock_hold, &hold_id, NULL, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("hold %s does not exist", vp_uuid_string(hold_id))));
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("hold id %s names holds of more than one organisation", vp_uuid_string(hold_id)),
				 errhint("Look the appointment up by organisation and id, and update it directly.")));
}

/* A time column of the locked appointment, in its calendar's zone. */
static char *
local_time(const char *name)
{
	bool		isnull;
	Datum		t = column(name, &isnull);

	return isnull ? pstrdup("an unknown time") :
		psprintf("%s (%s)", vp_slot_local_time(DatumGetTimestampTz(t), column_text("vp_zone")),
				 column_text("vp_zone"));
}

/*
 * SQL: confirm_slot(hold_id, cal_booking_uid) -> appointments.  A live hold
 * becomes booked, with the Cal.com booking's uid (NULL: booked without
 * Cal.com).  Confirming a booked hold again with the same uid returns it;
 * an expired or released hold, or another uid, is an error and changes
 * nothing.
 */
Datum
vapi_pool_confirm_slot(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		hold_id;
	bool		has_uid = !PG_ARGISNULL(1);
	char	   *uid = has_uid ? TextDatumGetCString(PG_GETARG_DATUM(1)) : NULL;
	char	   *status;
	bool		isnull;
	Datum		result;

	vp_slot_require(fcinfo, 0, "hold_id");
	hold_id = PG_GETARG_DATUM(0);
	if (has_uid && uid[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cal_booking_uid must not be empty"),
				 errhint("Pass NULL for a booking made without Cal.com.")));

	vp_spi_connect();
	lock(hold_id);
	status = column_text("status");
	if (strcmp(status, "booked") == 0)
	{
		char	   *booked_uid = column_text("cal_booking_uid");

		if ((booked_uid == NULL && uid == NULL) ||
			(booked_uid != NULL && uid != NULL && strcmp(booked_uid, uid) == 0))
			goto done;			/* the same confirmation again */
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hold %s is already booked", vp_uuid_string(hold_id)),
				 booked_uid ? errdetail("It was booked with Cal.com booking %s.", booked_uid)
				 : errdetail("It was booked without a Cal.com booking."),
				 errhint("Release it with vapi_pool.release_slot() before booking the slot again.")));
	}
	if (strcmp(status, "cancelled") == 0)
	{
		char	   *reason = column_text("cancel_reason");

		if (reason != NULL && strcmp(reason, "expired") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("hold %s has expired", vp_uuid_string(hold_id)),
					 errdetail("It expired at %s and was cancelled when another claim needed the slot.",
							   local_time("hold_expires_at")),
					 errhint("Claim the slot again with vapi_pool.claim_slot_atomic(), then book it.")));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hold %s was released", vp_uuid_string(hold_id)),
				 errdetail("It was released at %s, reason: %s.", local_time("cancelled_at"),
						   reason ? reason : "none given"),
				 errhint("Claim the slot again with vapi_pool.claim_slot_atomic(), then book it.")));
	}
	if (!DatumGetBool(column("vp_live", &isnull)) || isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hold %s has expired", vp_uuid_string(hold_id)),
				 errdetail("It expired at %s; the slot may have been claimed by someone else since.",
						   local_time("hold_expires_at")),
				 errhint("Claim the slot again with vapi_pool.claim_slot_atomic(), then book it.")));
	{
		Datum		values[3] = {column("org_id", &isnull), column("id", &isnull),
		has_uid ? PG_GETARG_DATUM(1) : (Datum) 0};
		char		nulls[3] = {' ', ' ', has_uid ? ' ' : 'n'};

		vp_execute(&book, values, nulls, 0);
		Assert(SPI_processed == 1);
	}

done:
	result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * SQL: release_slot(hold_id, reason DEFAULT 'released') -> appointments.
 * Cancels the hold or booking with the reason; one already cancelled is
 * returned unchanged (with its first reason).
 */
Datum
vapi_pool_release_slot(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		hold_id;
	Datum		reason;
	bool		isnull;
	Datum		result;

	vp_slot_require(fcinfo, 0, "hold_id");
	vp_slot_require(fcinfo, 1, "reason");
	hold_id = PG_GETARG_DATUM(0);
	reason = PG_GETARG_DATUM(1);
	if (VARSIZE_ANY_EXHDR(DatumGetTextPP(reason)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason must not be empty"),
				 errhint("Say why the slot is released, for example \"cal_slot_taken\" or \"caller_gave_up\".")));

	vp_spi_connect();
	lock(hold_id);
	if (strcmp(column_text("status"), "cancelled") != 0)
	{
		Datum		org_id = column("org_id", &isnull);
		Datum		cancel_values[3] = {org_id, column("id", &isnull), reason};
		Datum		uid = column("cal_booking_uid", &isnull);
		bool		at_cal = strcmp(column_text("status"), "booked") == 0 && !isnull &&
			strcmp(TextDatumGetCString(reason), VP_SLOT_CANCELLED_IN_CAL) != 0;

		vp_execute(&cancel, cancel_values, NULL, 0);
		Assert(SPI_processed == 1);
		result = vp_result_row(fcinfo, cxt, 0);
		if (at_cal)
		{
			Datum		queue_values[4] = {org_id, uid, hold_id, reason};

			vp_execute(&queue_cal_cancel, queue_values, NULL, 0);
		}
	}
	else
		result = vp_result_row(fcinfo, cxt, 0);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * SQL: queue_cal_cancel(org_id, booking_uid, hold_id, reason).  Queues the
 * cancellation at Cal.com of a booking release_slot cancelled.  Members may
 * not write the outbox, so the job is inserted with the rights of the
 * function's owner; but only for an appointment the caller can see under
 * their own row level security, that is cancelled and has that booking uid.
 * Anything else (another organisation's booking, a live one) queues nothing
 * and says nothing, so the function reveals no other tenant's rows.
 */
Datum
vapi_pool_queue_cal_cancel(PG_FUNCTION_ARGS)
{
	Datum		values[4] = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), PG_GETARG_DATUM(3)};
	HeapTuple	proc;
	Oid			owner;
	Oid			save_user;
	int			save_sec;

	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
	ReleaseSysCache(proc);

	vp_spi_connect();
	vp_execute(&visible_cancelled, values, NULL, 1);
	if (SPI_processed == 1)
	{
		/* an error restores the user with the (sub)transaction's abort, as for SECURITY DEFINER */
		GetUserIdAndSecContext(&save_user, &save_sec);
		SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
		vp_execute(&insert_cancel_job, values, NULL, 0);
		SetUserIdAndSecContext(save_user, save_sec);
	}
	SPI_finish();
	PG_RETURN_VOID();
}
