-- One Cal.com BOOKING_CREATED through receive_webhook, as the shim sends it.
-- :kind 0: a new attendee (a new e-mail and phone); 1: a lead on file (lead<k>@example.com, who has a phone);
-- 2: the baseline, an event type nobody registered (stored and answered only).
-- Starts are whole half-hours, so two bookings of one broker overlap only
-- when they draw the same start (then the second is a 23P01 dead letter).
\set b random(1, :brokers)
\set n random(1, 100000000)
\set k random(1, :leads)
SELECT http_status FROM vapi_pool.receive_webhook('cal', jsonb_build_object(
	'triggerEvent', 'BOOKING_CREATED', 'createdAt', '2030-01-01T00:00:00Z',
	'payload', jsonb_build_object('uid', 'bench-' || :client_id || '-' || :n || '-' || :k,
		'eventTypeId', CASE WHEN :kind = 2 THEN 99999999 ELSE 70000 + :b END, 'status', 'ACCEPTED',
		'startTime', timestamptz '2031-01-01 00:00Z' + :n * interval '30 minutes',
		'endTime', timestamptz '2031-01-01 00:00Z' + :n * interval '30 minutes' + interval '30 minutes',
		'attendees', jsonb_build_array(jsonb_build_object('name', 'Bench Person',
			'email', CASE WHEN :kind = 1 THEN 'lead' || :k || '@example.com' ELSE 'p' || :client_id || '.' || :n || '@example.com' END,
			'phoneNumber', CASE WHEN :kind = 1 THEN NULL ELSE '+1312' || (2000000 + :n % 7999999)::text END,
			'timeZone', 'America/Chicago')))));
