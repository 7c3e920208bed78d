/*
 * route_inbound.c
 *	  Where a call to a pool number goes (seed WF2), and sequential ring.
 *
 *	  caller is the lead holding the number      -> the broker, primary then secondary
 *	  caller is that number's broker             -> the lead holding it (or, with
 *	                                                no live assignment, its last lead)
 *	  caller is another lead of that broker      -> the broker
 *	  anyone else, or a number not in any pool   -> the intake assistant
 *
 * One indexed query answers the common cases; a second one looks for a known
 * lead or the number's last lead only when the first did not decide.
 */
#include "pool_engine.h"

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

static VpPlan known_lead = {
	.sql = "SELECT l.id FROM vapi_pool.leads l"
	" WHERE l.org_id = $1 AND l.primary_phone_e164 = $2 AND l.broker_id = $3"
	" ORDER BY l.updated_at DESC LIMIT 1",
	.nargs = 3, .argtypes = {UUIDOID, VP_E164_ARG, UUIDOID}
};

static VpPlan last_lead = {
	.sql = "SELECT a.id, a.lead_id, l.primary_phone_e164"
	" FROM vapi_pool.vapi_number_assignments a"
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id"
	" WHERE a.org_id = $1 AND a.pool_number_id = $2 AND l.primary_phone_e164 IS NOT NULL"
	" ORDER BY a.booked_at DESC LIMIT 1",
	.nargs = 2, .argtypes = {UUIDOID, UUIDOID}
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

	set_id(r, R_ORG, 0, 1);
	set_id(r, R_POOL_NUMBER, 0, 2);
	set_id(r, R_BROKER, 0, 3);
	set_id(r, R_ASSIGNMENT, 0, 6);
	set_id(r, R_LEAD, 0, 7);
	broker1 = vp_getdatum(0, 4, &broker1_null);
	broker2 = vp_getdatum(0, 5, &broker2_null);
	lead_phone = vp_getdatum(0, 8, &lead_phone_null);

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
			set_id(r, R_ASSIGNMENT, 0, 1);
			set_id(r, R_LEAD, 0, 2);
			lead_phone = vp_getdatum(0, 3, &lead_phone_null);
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
		set_id(r, R_LEAD, 0, 1);
	}

to_broker:
	r->direction = "inbound_from_lead";
	add_dest(r, broker1, broker1_null);
	add_dest(r, broker2, broker2_null);
	if (r->ndest > 0)
		r->action = "forward_to_broker";
}

/* The values of the log statements: org, call id, direction, ids, numbers. */
static void
log_values(Route *r, text *vapi_call_id, Datum *values, char *nulls)
{
	values[0] = r->id[R_ORG];
	values[1] = PointerGetDatum(vapi_call_id);
	values[2] = CStringGetTextDatum(r->direction);
	values[3] = r->id[R_LEAD];
	values[4] = r->id[R_BROKER];
	values[5] = r->id[R_ASSIGNMENT];
	values[6] = r->caller;
	values[7] = r->called;
	memset(nulls, ' ', 8);
	nulls[3] = r->id_null[R_LEAD] ? 'n' : ' ';
	nulls[4] = r->id_null[R_BROKER] ? 'n' : ' ';
	nulls[5] = r->id_null[R_ASSIGNMENT] ? 'n' : ' ';
	nulls[6] = r->caller_null ? 'n' : ' ';
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
	Datum		values[8];
	bool		nulls[8];
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
		Datum		lv[8];
		char		ln[8];

		log_values(&r, vapi_call_id, lv, ln);
		vp_execute(&log_call, lv, ln, 0);
	}

	get_typlenbyvalalign(e164, &typlen, &typbyval, &typalign);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		values[0] = CStringGetTextDatum(r.action);
		values[1] = PointerGetDatum(construct_array(r.dest, r.ndest, e164, typlen, typbyval, typalign));
		MemoryContextSwitchTo(old);
	}
	nulls[0] = nulls[1] = false;
	values[2] = r.id[R_ORG];
	values[3] = r.id[R_LEAD];
	values[4] = r.id[R_BROKER];
	values[5] = r.id[R_ASSIGNMENT];
	values[6] = r.id[R_POOL_NUMBER];
	nulls[2] = r.id_null[R_ORG];
	nulls[3] = r.id_null[R_LEAD];
	nulls[4] = r.id_null[R_BROKER];
	nulls[5] = r.id_null[R_ASSIGNMENT];
	nulls[6] = r.id_null[R_POOL_NUMBER];
	values[7] = CStringGetTextDatum(r.direction);
	nulls[7] = false;
	result = vp_result_values(fcinfo, cxt, values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * SQL: next_transfer_destination(vapi_call_id, called, caller) -> e164.  The
 * route's first destination on the call's first request, the second on the
 * second, then NULL; the count is kept on the call's log row.
 */
Datum
vapi_pool_next_transfer_destination(PG_FUNCTION_ARGS)
{
	text	   *vapi_call_id = call_id_arg(fcinfo, 0);
	Route		r;
	Datum		lv[8];
	char		ln[8];
	bool		isnull;
	int32		attempt;

	if (vapi_call_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("vapi_call_id must not be null")));
	route_args(fcinfo, 1, &r);

	vp_spi_connect();
	decide(&r);
	if (r.ndest == 0)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	log_values(&r, vapi_call_id, lv, ln);
	vp_execute(&count_transfer, lv, ln, 0);
	attempt = DatumGetInt32(vp_getdatum(0, 1, &isnull));
	SPI_finish();
	if (attempt < 1 || attempt > r.ndest)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(r.dest[attempt - 1]);
}
