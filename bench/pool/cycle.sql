-- The cycle benchmark (bench/pool_bench.sh): one transaction lends a number
-- to a random lead, logs the outbound call and its end-of-call report.  The
-- call ended two days ago, so with the default hold (24 h) its assignment is
-- already overdue and the next release_expired (release.sql, or
-- assign_number's own release when a pool is empty) frees the number.
-- -D baseline=1 runs the PL/pgSQL baseline (bench/pool/baseline.sql) instead
-- of the C engine; -D seq=0 starts the per-client call counter.
\set lead random(1, :leads)
\set seq :seq + 1
BEGIN;
\if :baseline
SELECT id AS aid FROM bench_baseline.assign_number(('30000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid) \gset
SELECT 1 FROM bench_baseline.record_call_placed(:aid, 'out-' || :client_id::text || '-' || :seq::text, 1);
SELECT 1 FROM bench_baseline.record_call_ended('out-' || :client_id::text || '-' || :seq::text, 'customer-ended-call',
	now() - interval '2 days 90 seconds', now() - interval '2 days', 90, 'https://example.com/rec.wav', NULL,
	'The lead asked for a call back from the broker.', 0.12, '{"message": {"type": "end-of-call-report"}}');
\else
SELECT id AS aid FROM vapi_pool.assign_number(('30000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid) \gset
SELECT 1 FROM vapi_pool.record_call_placed(:aid, 'out-' || :client_id::text || '-' || :seq::text, 1);
SELECT 1 FROM vapi_pool.record_call_ended('out-' || :client_id::text || '-' || :seq::text, 'customer-ended-call',
	now() - interval '2 days 90 seconds', now() - interval '2 days', 90, 'https://example.com/rec.wav', NULL,
	'The lead asked for a call back from the broker.', 0.12, '{"message": {"type": "end-of-call-report"}}');
\endif
END;
