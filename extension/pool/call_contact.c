/*
 * call_contact.c
 *	  Who a caller is (release 0.6.0): the contact (a lead) of a call, so
 *	  that what the caller says, books and asks about is theirs.
 *
 * A caller on file is the organisation's oldest lead with the caller's
 * number, whichever broker (front desk) it was filed under.  A caller not on
 * file becomes a contact when something needs one: Barbara booking for them
 * (check_availability_and_book), the receptionist saving the name they gave
 * or holding a slot for them (tool_clinic.c), or the end of a clinic call
 * that was a drop-off (clinic_dropoff.c), which a follow-up must reach.  A
 * contact made on a broker's number is that broker's lead.  Either way the call's log is linked to the contact (its lead_id),
 * once: a log that names a lead already keeps it.  The link made before the
 * report is logged also gives the contact the medical history the report's
 * transcript loses (redact_call_log moves it to the log's lead).
 */
#include "pool/call_contact.h"
#include "core/json.h"
#include "core/saved_plans.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

/*
 * The contact, found or made, and the call's log linked to it.  $3: the
 * caller's number as Vapi sent it (else the inbound log's caller id); $4:
 * make a contact when none is found; $5: also without a number; $6: the
 * broker a made contact belongs to (NULL: none).  The
 * linking UPDATE runs although nothing reads it (a data-modifying WITH
 * always does), and so does the INSERT that records an inbound call as the
 * contact's consent evidence (the person called us: lead_consents).
 */
static VpPlan contact_of_call = {
	.sql = "WITH c AS (SELECT l.org_id, l.id, l.from_e164, l.direction FROM vapi_pool.vapi_call_logs l"
	"   WHERE l.org_id = $1 AND l.vapi_call_id = $2),"
	" n AS (SELECT coalesce(vapi_pool.e164_try_parse($3),"
	"   (SELECT c.from_e164 FROM c WHERE c.direction <> 'outbound_to_lead')) AS number),"
	" found AS (SELECT l.id FROM vapi_pool.leads l, n"
	"   WHERE l.org_id = $1 AND l.primary_phone_e164 = n.number ORDER BY l.created_at, l.id LIMIT 1),"
	" made AS (INSERT INTO vapi_pool.leads (org_id, primary_phone_e164, broker_id)"
	"   SELECT $1, n.number, $6 FROM n WHERE $4 AND (n.number IS NOT NULL OR $5) AND NOT EXISTS (SELECT FROM found)"
	"   RETURNING id),"
	" contact AS (SELECT id FROM found UNION ALL SELECT id FROM made),"
	" linked AS (UPDATE vapi_pool.vapi_call_logs l SET lead_id = contact.id FROM c, contact"
	"   WHERE l.org_id = c.org_id AND l.id = c.id AND l.lead_id IS NULL RETURNING l.id),"
	" consented AS (INSERT INTO vapi_pool.lead_consents (org_id, lead_id, kind, source_id, recorded_by)"
	"   SELECT $1, contact.id, 'inbound_call', $2, NULL FROM c, contact WHERE c.direction <> 'outbound_to_lead'"
	"   ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING RETURNING 1)"
	" SELECT id FROM contact",
	.nargs = 6, .argtypes = {UUIDOID, TEXTOID, TEXTOID, BOOLOID, BOOLOID, UUIDOID}
};

/* The column of contact_of_call, counted from 1. */
enum
{
	CONTACT_OF_CALL_COL_ID = 1
};

/*
 * The contact of a call, found by the caller's number or made as making
 * says; the call's log linked to it.  See call_contact.h.
 */
bool
vp_call_contact(Datum org, const char *vapi_call_id, const char *caller, CallContactMaking making,
				Datum broker, bool has_broker, Datum *contact)
{
	Datum		v[6];
	char		n[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	v[0] = org;
	v[1] = vp_text_arg(vapi_call_id, &n[1]);
	v[2] = vp_text_arg(caller, &n[2]);
	v[3] = BoolGetDatum(making != CALL_CONTACT_FIND);
	v[4] = BoolGetDatum(making == CALL_CONTACT_MAKE_ANY);
	v[5] = broker;
	n[5] = has_broker ? ' ' : 'n';
	vp_execute(&contact_of_call, v, n, 0);
	if (SPI_processed == 0)
		return false;
	*contact = vp_getdatum(0, CONTACT_OF_CALL_COL_ID, &isnull);
	return !isnull;
}
