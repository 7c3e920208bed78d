-- After a run: what was recorded, and whether anything is inconsistent.
-- Prints: appointments booked, leads made, numbers lent, failed events,
-- broker times booked twice (starts are whole half-hours of 30-minute
-- bookings, so an overlap is a start booked twice; must be 0), booked
-- appointments whose lead holds no number (must be 0; a lead on file who
-- holds another broker's number keeps it).
SELECT (SELECT count(*) FROM vapi_pool.appointments WHERE status = 'booked'),
	(SELECT count(*) FROM vapi_pool.leads) - :leads,
	(SELECT count(*) FROM vapi_pool.vapi_number_assignments WHERE status <> 'released'),
	(SELECT count(*) FROM vapi_pool.webhook_inbox WHERE state = 'failed'),
	(SELECT count(*) FROM (SELECT FROM vapi_pool.appointments WHERE status = 'booked'
		GROUP BY org_id, broker_id, scheduled_at HAVING count(*) > 1) d),
	(SELECT count(*) FROM vapi_pool.appointments ap WHERE ap.status = 'booked' AND NOT EXISTS (
		SELECT FROM vapi_pool.vapi_number_assignments a WHERE a.org_id = ap.org_id AND a.lead_id = ap.contact_id
		AND a.status <> 'released'));
