-- Release 0.7.0: the consent evidence and the opt-outs an existing installation already
-- holds (a no-op on a fresh install).  0.6.0 kept no lead_consents, but its
-- rows say who asked to be called: a reply classified call_requested (its
-- id and its text, redacted by 192_personal_data.sql, which runs first) and
-- a call the person made to a pool or clinic number.  Without them every
-- retry of an existing lead would stop once require_consent is on.
INSERT INTO lead_consents (org_id, lead_id, kind, source_id, evidence, given_at, recorded_by)
SELECT e.org_id, e.lead_id, 'instantly_reply', e.email_id, e.reply_text, coalesce(e.event_at, e.received_at), NULL
FROM instantly_events e
WHERE e.intent = 'call_requested' AND e.lead_id IS NOT NULL AND e.email_id IS NOT NULL
ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING;

INSERT INTO lead_consents (org_id, lead_id, kind, source_id, given_at, recorded_by)
SELECT c.org_id, c.lead_id, 'inbound_call', c.vapi_call_id, coalesce(c.started_at, c.created_at), NULL
FROM vapi_call_logs c
WHERE c.direction <> 'outbound_to_lead' AND c.lead_id IS NOT NULL
ON CONFLICT (org_id, lead_id, kind, source_id) DO NOTHING;

-- Before 0.7.0 an opt-out was a status on one lead row: the same number on
-- another lead was still called.  Each such number is now on its
-- organisation's list, which applies it (do_not_call_applied: the other
-- leads of that number do_not_call, their queued calls suppressed).
INSERT INTO do_not_call (org_id, phone, reason, source, added_by)
SELECT DISTINCT l.org_id, l.primary_phone_e164, 'the lead was do_not_call before 0.7.0', 'operator', NULL::uuid
FROM leads l
WHERE l.status = 'do_not_call' AND l.primary_phone_e164 IS NOT NULL
ON CONFLICT (org_id, phone) DO NOTHING;
