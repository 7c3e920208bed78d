/*
 * route_inbound.c
 *	  Where a call to a pool number goes (seed WF2), and sequential ring.
 *
 *	  caller is the lead holding the number      -> the broker, primary then secondary
 *	  caller is that number's broker             -> the lead holding it (or, with
 *	                                                no live assignment, its last lead)
 *	  caller is another lead of that broker      -> the broker
 *	  (a clinic: any contact of the clinic)
 *	  anyone else, or a number not in any pool   -> the intake assistant
 *
 * (A clinic's callers, known or not, reach its receptionist instead: the
 * assistant-request plan of webhook_vapi.c decides that from this route.)
 *
 * One indexed query answers the common cases; a second one looks for a known
 * lead or the number's last lead only when the first did not decide.
 */
#include "core/saved_plans.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(vapi_pool_route_inbound);
PG_FUNCTION_INFO_V1(vapi_pool_next_transfer_destination);

typedef enum RouteField
{
	R_ORG, R_LEAD, R_BROKER, R_ASSIGNMENT, R_POOL_NUMBER, R_NFIELDS
} RouteField;

typedef struct Route
{
	const char *action;
	const char *direction;
	int			ndest;
	Datum		dest[2];		/* e164 */
	Datum		id[R_NFIELDS];	/* uuid */
	bool		id_null[R_NFIELDS];
	bool		caller_null;
	Datum		called;
	Datum		caller;
} Route;

static VpPlan number_state = {
	.sql = "SELECT p.org_id, p.id, p.broker_id, b.primary_phone_e164, b.secondary_phone_e164,"
	"       a.id, a.lead_id, l.primary_phone_e164"
	" FROM vapi_pool.vapi_number_pool p"
	" JOIN vapi_pool.brokers b ON b.org_id = p.org_id AND b.id = p.broker_id"
	" LEFT JOIN vapi_pool.vapi_number_assignments a"
	"   ON a.org_id = p.org_id AND a.pool_number_id = p.id AND a.status <> 'released'"
	" LEFT JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id"
	" WHERE p.number = $1",
	.nargs = 1, .argtypes = {VP_E164_ARG}
};

/* The columns of number_state, counted from 1. */
enum
{
	NUMBER_STATE_COL_ORG_ID = 1,
	NUMBER_STATE_COL_POOL_NUMBER_ID,
	NUMBER_STATE_COL_BROKER_ID,
	NUMBER_STATE_COL_BROKER_PRIMARY_PHONE,
	NUMBER_STATE_COL_BROKER_SECONDARY_PHONE,
	NUMBER_STATE_COL_ASSIGNMENT_ID,
	NUMBER_STATE_COL_LEAD_ID,
	NUMBER_STATE_COL_LEAD_PHONE
};

/*
 * A lead of the number's broker with the caller's number; in a clinic, any
 * contact with it (a patient is the clinic's, whichever front desk filed
 * them), the broker's own first.
 */
static VpPlan known_lead = {
	.sql = "SELECT l.id FROM vapi_pool.leads l"
	" WHERE l.org_id = $1 AND l.primary_phone_e164 = $2"
	"   AND (l.broker_id = $3 OR (SELECT o.is_clinic FROM vapi_pool.orgs o WHERE o.org_id = $1))"
	" ORDER BY l.broker_id IS NOT DISTINCT FROM $3 DESC, l.updated_at DESC LIMIT 1",
	.nargs = 3, .argtypes = {UUIDOID, VP_E164_ARG, UUIDOID}
};

/* The column of known_lead, counted from 1. */
enum
{
	KNOWN_LEAD_COL_LEAD_ID = 1
};

static VpPlan last_lead = {
	.sql = "SELECT a.id, a.lead_id, l.primary_phone_e164"
	" FROM vapi_pool.vapi_number_assignments a"
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id"
	" WHERE a.org_id = $1 AND a.pool_number_id = $2 AND l.primary_phone_e164 IS NOT NULL"
	" ORDER BY a.booked_at DESC LIMIT 1",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
};

/* The columns of last_lead, counted from 1. */
enum
{
	LAST_LEAD_COL_ASSIGNMENT_ID = 1,
	LAST_LEAD_COL_LEAD_ID,
	LAST_LEAD_COL_LEAD_PHONE
};

static VpPlan log_call = {
	.sql = "INSERT INTO vapi_pool.vapi_call_logs"
	" (org_id, vapi_call_id, direction, status, lead_id, broker_id, assignment_id, from_e164, to_e164)"
	" VALUES ($1, $2, $3, 'in-progress', $4, $5, $6, $7, $8)"
	" ON CONFLICT (org_id, vapi_call_id) DO NOTHING",
	.nargs = 8, .argtypes = {UUIDOID, TEXTOID, TEXTOID, UUIDOID, UUIDOID, UUIDOID, VP_E164_ARG, VP_E164_ARG}
};

static VpPlan count_transfer = {
	.sql = "INSERT INTO vapi_pool.vapi_call_logs"
	" (org_id, vapi_call_id, direction, status, lead_id, broker_id, assignment_id, from_e164, to_e164,"
	"  transfer_attempts)"
	" VALUES ($1, $2, $3, 'forwarding', $4, $5, $6, $7, $8, 1)"
	" ON CONFLICT (org_id, vapi_call_id) DO UPDATE"
	" SET transfer_attempts = vapi_call_logs.transfer_attempts + 1"
	" RETURNING transfer_attempts",
	.nargs = 8, .argtypes = {UUIDOID, TEXTOID, TEXTOID, UUIDOID, UUIDOID, UUIDOID, VP_E164_ARG, VP_E164_ARG}
};

/* The column of count_transfer, counted from 1. */
enum
{
	COUNT_TRANSFER_COL_ATTEMPTS = 1
};

/* The parameters of log_call and count_transfer, as indexes of their argument array. */
enum
{
	LOG_ARG_ORG_ID,
	LOG_ARG_CALL_ID,
	LOG_ARG_DIRECTION,
	LOG_ARG_LEAD_ID,
	LOG_ARG_BROKER_ID,
	LOG_ARG_ASSIGNMENT_ID,
	LOG_ARG_FROM,
	LOG_ARG_TO,
	LOG_NARGS
};

/* Equality of two e164 Datums (the type is an int64 passed by value). */
static inline bool
same_number(Datum a, bool a_null, Datum b, bool b_null)
{
	return !a_null && !b_null && DatumGetInt64(a) == DatumGetInt64(b);
}

/* Copies a uuid column of the last SPI result into the route. */
static void
set_id(Route *r, RouteField f, int row, int col)
{
	Datum		d = vp_getdatum(row, col, &r->id_null[f]);

	r->id[f] = r->id_null[f] ? (Datum) 0 : datumCopy(d, false, UUID_LEN);
}

/* Adds a destination, if there is one. */
static void
add_dest(Route *r, Datum number, bool isnull)
{
	if (!isnull)
		r->dest[r->ndest++] = number;
}

/* Decides the route of a call from caller to called.  Connected to SPI. */
static void
decide(Route *r)
{
	Datum		broker1,
				broker2,
				lead_phone;
	bool		broker1_null,
				broker2_null,
				lead_phone_null;

	r->action = "assistant";
	r->direction = "inbound_unknown";
	r->ndest = 0;
	for (int f = 0; f < R_NFIELDS; f++)
		r->id_null[f] = true;

	vp_execute(&number_state, &r->called, NULL, 0);
	if (SPI_processed == 0)
		return;					/* not a pool number */

	set_id(r, R_ORG, 0, NUMBER_STATE_COL_ORG_ID);
	set_id(r, R_POOL_NUMBER, 0, NUMBER_STATE_COL_POOL_NUMBER_ID);
	set_id(r, R_BROKER, 0, NUMBER_STATE_COL_BROKER_ID);
	set_id(r, R_ASSIGNMENT, 0, NUMBER_STATE_COL_ASSIGNMENT_ID);
	set_id(r, R_LEAD, 0, NUMBER_STATE_COL_LEAD_ID);
	broker1 = vp_getdatum(0, NUMBER_STATE_COL_BROKER_PRIMARY_PHONE, &broker1_null);
	broker2 = vp_getdatum(0, NUMBER_STATE_COL_BROKER_SECONDARY_PHONE, &broker2_null);
	lead_phone = vp_getdatum(0, NUMBER_STATE_COL_LEAD_PHONE, &lead_phone_null);

	if (same_number(r->caller, r->caller_null, lead_phone, lead_phone_null))
		goto to_broker;

	if (same_number(r->caller, r->caller_null, broker1, broker1_null) ||
		same_number(r->caller, r->caller_null, broker2, broker2_null))
	{
		r->direction = "inbound_from_broker";
		if (r->id_null[R_ASSIGNMENT])
		{
			/* no live assignment: the number's last lead */
			Datum		values[2] = {r->id[R_ORG], r->id[R_POOL_NUMBER]};

			vp_execute(&last_lead, values, NULL, 0);
			if (SPI_processed == 0)
				return;
			set_id(r, R_ASSIGNMENT, 0, LAST_LEAD_COL_ASSIGNMENT_ID);
			set_id(r, R_LEAD, 0, LAST_LEAD_COL_LEAD_ID);
			lead_phone = vp_getdatum(0, LAST_LEAD_COL_LEAD_PHONE, &lead_phone_null);
		}
		add_dest(r, lead_phone, lead_phone_null);
		if (r->ndest > 0)
			r->action = "forward_to_lead";
		return;
	}

	/* a lead of this broker: the live lead's call never reaches here */
	r->id_null[R_LEAD] = r->id_null[R_ASSIGNMENT] = true;
	if (r->caller_null)
		return;
	{
		Datum		values[3] = {r->id[R_ORG], r->caller, r->id[R_BROKER]};

		vp_execute(&known_lead, values, NULL, 0);
		if (SPI_processed == 0)
			return;
		set_id(r, R_LEAD, 0, KNOWN_LEAD_COL_LEAD_ID);
	}

to_broker:
	r->direction = "inbound_from_lead";
	add_dest(r, broker1, broker1_null);
	add_dest(r, broker2, broker2_null);
	if (r->ndest > 0)
		r->action = "forward_to_broker";
}

/* The LOG_NARGS values of the log statements: org, call id, direction, ids, numbers. */
static void
log_values(Route *r, text *vapi_call_id, Datum *values, char *nulls)
{
	values[LOG_ARG_ORG_ID] = r->id[R_ORG];
	values[LOG_ARG_CALL_ID] = PointerGetDatum(vapi_call_id);
	values[LOG_ARG_DIRECTION] = CStringGetTextDatum(r->direction);
	values[LOG_ARG_LEAD_ID] = r->id[R_LEAD];
	values[LOG_ARG_BROKER_ID] = r->id[R_BROKER];
	values[LOG_ARG_ASSIGNMENT_ID] = r->id[R_ASSIGNMENT];
	values[LOG_ARG_FROM] = r->caller;
	values[LOG_ARG_TO] = r->called;
	memset(nulls, ' ', LOG_NARGS);
	nulls[LOG_ARG_LEAD_ID] = r->id_null[R_LEAD] ? 'n' : ' ';
	nulls[LOG_ARG_BROKER_ID] = r->id_null[R_BROKER] ? 'n' : ' ';
	nulls[LOG_ARG_ASSIGNMENT_ID] = r->id_null[R_ASSIGNMENT] ? 'n' : ' ';
	nulls[LOG_ARG_FROM] = r->caller_null ? 'n' : ' ';
}

/* Reads the called and caller arguments, numbers called_arg and called_arg + 1. */
static void
route_args(FunctionCallInfo fcinfo, int called_arg, Route *r)
{
	if (PG_ARGISNULL(called_arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the called number must not be null")));
	r->called = PG_GETARG_DATUM(called_arg);
	r->caller_null = PG_ARGISNULL(called_arg + 1);
	r->caller = r->caller_null ? (Datum) 0 : PG_GETARG_DATUM(called_arg + 1);
}

/* Rejects an empty call id. */
static text *
call_id_arg(FunctionCallInfo fcinfo, int argno)
{
	text	   *id;

	if (PG_ARGISNULL(argno))
		return NULL;
	id = PG_GETARG_TEXT_PP(argno);
	if (VARSIZE_ANY_EXHDR(id) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vapi_call_id must not be empty")));
	return id;
}

/* The columns of route_inbound's result (type inbound_route), counted from 0. */
enum
{
	ROUTE_ACTION,
	ROUTE_DESTINATIONS,
	ROUTE_ORG_ID,
	ROUTE_LEAD_ID,
	ROUTE_BROKER_ID,
	ROUTE_ASSIGNMENT_ID,
	ROUTE_POOL_NUMBER_ID,
	ROUTE_DIRECTION,
	ROUTE_NCOLUMNS
};

/*
 * SQL: route_inbound(called, caller, vapi_call_id) -> inbound_route.  With a
 * call id, the call is logged once in vapi_call_logs (calls to numbers that
 * are in no pool have no organisation to be logged under).
 */
Datum
vapi_pool_route_inbound(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	text	   *vapi_call_id = call_id_arg(fcinfo, 2);
	Route		r;
	Datum		values[ROUTE_NCOLUMNS];
	bool		nulls[ROUTE_NCOLUMNS];
	Datum		result;
	Oid			e164 = InvalidOid;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	route_args(fcinfo, 0, &r);

	vp_spi_connect();
	e164 = vp_e164_typid();
	decide(&r);
	if (vapi_call_id != NULL && !r.id_null[R_ORG])
	{
		Datum		lv[LOG_NARGS];
		char		ln[LOG_NARGS];

		log_values(&r, vapi_call_id, lv, ln);
		vp_execute(&log_call, lv, ln, 0);
	}

	get_typlenbyvalalign(e164, &typlen, &typbyval, &typalign);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		values[ROUTE_ACTION] = CStringGetTextDatum(r.action);
		values[ROUTE_DESTINATIONS] = PointerGetDatum(construct_array(r.dest, r.ndest, e164, typlen, typbyval,
																	 typalign));
		MemoryContextSwitchTo(old);
	}
	nulls[ROUTE_ACTION] = nulls[ROUTE_DESTINATIONS] = false;
	values[ROUTE_ORG_ID] = r.id[R_ORG];
	values[ROUTE_LEAD_ID] = r.id[R_LEAD];
	values[ROUTE_BROKER_ID] = r.id[R_BROKER];
	values[ROUTE_ASSIGNMENT_ID] = r.id[R_ASSIGNMENT];
	values[ROUTE_POOL_NUMBER_ID] = r.id[R_POOL_NUMBER];
	nulls[ROUTE_ORG_ID] = r.id_null[R_ORG];
	nulls[ROUTE_LEAD_ID] = r.id_null[R_LEAD];
	nulls[ROUTE_BROKER_ID] = r.id_null[R_BROKER];
	nulls[ROUTE_ASSIGNMENT_ID] = r.id_null[R_ASSIGNMENT];
	nulls[ROUTE_POOL_NUMBER_ID] = r.id_null[R_POOL_NUMBER];
	values[ROUTE_DIRECTION] = CStringGetTextDatum(r.direction);
	nulls[ROUTE_DIRECTION] = false;
	result = vp_result_values(fcinfo, cxt, values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * The two numbers of a logged call: the pool number it used (the called
 * number of an inbound call, the caller id of an outbound one) and the other
 * party's.  Only a call id exactly one organisation logged counts.
 */
static VpPlan logged_numbers = {
	.sql = "SELECT CASE WHEN l.direction = 'outbound_to_lead' THEN l.from_e164 ELSE l.to_e164 END,"
	"       CASE WHEN l.direction = 'outbound_to_lead' THEN l.to_e164 ELSE l.from_e164 END"
	" FROM vapi_pool.vapi_call_logs l WHERE l.vapi_call_id = $1",
	.nargs = 1, .argtypes = {TEXTOID}
};

/* The columns of logged_numbers, counted from 1. */
enum
{
	LOGGED_NUMBERS_COL_POOL_NUMBER = 1,
	LOGGED_NUMBERS_COL_OTHER_PARTY
};

/*
 * Fills the called and caller numbers a transfer request left out from the
 * call's log (Vapi's SDK makes the message's phoneNumber and customer
 * optional).  Connected to SPI.
 */
static void
numbers_from_log(text *vapi_call_id, Route *r, bool *called_null)
{
	Datum		arg = PointerGetDatum(vapi_call_id);
	Datum		number;
	bool		isnull;

	vp_execute(&logged_numbers, &arg, NULL, 2);
	if (SPI_processed != 1)
		return;
	number = vp_getdatum(0, LOGGED_NUMBERS_COL_POOL_NUMBER, &isnull);
	if (*called_null && !isnull)
	{
		r->called = number;
		*called_null = false;
	}
	number = vp_getdatum(0, LOGGED_NUMBERS_COL_OTHER_PARTY, &isnull);
	if (r->caller_null && !isnull)
	{
		r->caller = number;
		r->caller_null = false;
	}
}

/*
 * SQL: next_transfer_destination(vapi_call_id, called, caller) -> e164.  The
 * route's first destination on the call's first request, the second on the
 * second, then NULL; the count is kept on the call's log row.  A called or
 * caller number left NULL is taken from the call's log, so the route is the
 * one the call was logged with.
 */
Datum
vapi_pool_next_transfer_destination(PG_FUNCTION_ARGS)
{
	text	   *vapi_call_id = call_id_arg(fcinfo, 0);
	Route		r;
	Datum		lv[LOG_NARGS];
	char		ln[LOG_NARGS];
	bool		isnull;
	bool		called_null = PG_ARGISNULL(1);
	int32		attempt;

	if (vapi_call_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("vapi_call_id must not be null")));
	r.called = called_null ? (Datum) 0 : PG_GETARG_DATUM(1);
	r.caller_null = PG_ARGISNULL(2);
	r.caller = r.caller_null ? (Datum) 0 : PG_GETARG_DATUM(2);

	vp_spi_connect();
	if (called_null || r.caller_null)
		numbers_from_log(vapi_call_id, &r, &called_null);
	if (called_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the called number must not be null"),
				 errdetail("The request names no pool number and call \"%s\" is not logged.",
						   text_to_cstring(vapi_call_id))));
	decide(&r);
	if (r.ndest == 0)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	log_values(&r, vapi_call_id, lv, ln);
	vp_execute(&count_transfer, lv, ln, 0);
	attempt = DatumGetInt32(vp_getdatum(0, COUNT_TRANSFER_COL_ATTEMPTS, &isnull));
	SPI_finish();
	if (attempt < 1 || attempt > r.ndest)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(r.dest[attempt - 1]);
}
