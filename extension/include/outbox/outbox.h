/*
 * outbox.h
 *	  Queueing outbox jobs (outbox/outbox_queue.c): the statements and
 *	  helpers that put HTTP work for the shim's dispatcher into
 *	  vapi_pool.outbox, and the wake-up the dispatchers listen for.  What a
 *	  vendor's answer to a job means is dispatch/'s.
 */
#ifndef VAPI_POOL_OUTBOX_H
#define VAPI_POOL_OUTBOX_H

#include "core/saved_plans.h"

/*
 * The create-call job of an assignment (outbox kind vapi.create_call), one
 * shape for every statement that queues one (call_outcome.c's retries,
 * instantly_event.c's first call), so the dispatcher reads one payload.
 * $1 is the organisation and $2 the assignment; attempt and last_attempt are
 * SQL expressions.  The statement goes on with the payload's own key and
 * its closing parenthesis, the idempotency key and run_at, then
 * VP_CREATE_CALL_FROM.
 *
 * voicemail_message is the text the call leaves when Vapi's voicemail
 * detection finds a machine (vapi_pool.voicemail_text, 183_voicemail.sql),
 * filled in now; NULL once a call of this assignment has left one, so a
 * lead who is not reached hears it once, not at every attempt.
 *
 * A lead without consent evidence (lead_consents) is not called when the
 * organisation requires it (orgs.require_consent): the statement queues
 * nothing.  The do-not-call lists and the calling hours are checked by the
 * outbox's own trigger (compliance/outbound_checks.c), for every job.
 */
#define VP_CREATE_CALL_INSERT(attempt, last_attempt) \
	"INSERT INTO vapi_pool.outbox (org_id, kind, payload, idempotency_key, run_at)" \
	" SELECT a.org_id, 'vapi.create_call'," \
	"   pg_catalog.jsonb_build_object('lead_id', a.lead_id, 'assignment_id', a.id," \
	"     'phone_number_id', p.vapi_phone_number_id, 'from_number', p.number," \
	"     'customer_number', l.primary_phone_e164, 'customer_name', l.name, 'attempt', " attempt "," \
	"     'voicemail_message', CASE WHEN NOT EXISTS (SELECT FROM vapi_pool.vapi_call_logs v" \
	"         WHERE v.org_id = a.org_id AND v.lead_id = a.lead_id AND v.assignment_id = a.id" \
	"           AND v.voicemail_message IS NOT NULL)" \
	"       THEN vapi_pool.voicemail_text(o.voicemail_message, l.first_name," \
	"         (SELECT b.name FROM vapi_pool.brokers b WHERE b.org_id = a.org_id AND b.id = a.broker_id)," \
	"         o.name, p.number) END," \
	"     'send_sms', o.sms_when_unreachable AND " attempt " >= " last_attempt " AND o.unreachable_sms_text IS NOT NULL," \
	"     'sms_text', CASE WHEN o.sms_when_unreachable AND " attempt " >= " last_attempt " THEN o.unreachable_sms_text END,"

#define VP_CREATE_CALL_FROM \
	" FROM vapi_pool.vapi_number_assignments a" \
	" JOIN vapi_pool.vapi_number_pool p ON p.org_id = a.org_id AND p.id = a.pool_number_id" \
	" JOIN vapi_pool.leads l ON l.org_id = a.org_id AND l.id = a.lead_id" \
	" JOIN vapi_pool.orgs o ON o.org_id = a.org_id" \
	" WHERE a.org_id = $1 AND a.id = $2 AND l.primary_phone_e164 IS NOT NULL" \
	"   AND (NOT o.require_consent OR EXISTS (SELECT FROM vapi_pool.lead_consents c" \
	"     WHERE c.org_id = a.org_id AND c.lead_id = a.lead_id))" \
	" ON CONFLICT (org_id, idempotency_key) DO NOTHING"

/* Queues the cancellation of a Cal.com booking whose hold is gone (payload has hold_id). */
extern void vp_outbox_queue_cancel(Datum org_id, const char *booking_uid, Datum payload);

/* Wakes the dispatchers when the current transaction commits. */
extern void vp_outbox_notify(void);

#endif							/* VAPI_POOL_OUTBOX_H */
