-- The routing benchmark (bench/pool_bench.sh): a call to a random number
-- (one in 21 is in no pool) from a mix of callers.  Numbers 1..:held are
-- held by the lead of the same index; the others were held by it before.
--   45%  the lead of the number's index (its holder, or for a number without
--        a live assignment a known lead of the broker: the second query)
--   20%  the number's broker
--   15%  another lead of the same broker (the known-lead query)
--   20%  an unknown caller
-- -D baseline=1 runs bench_baseline.route_inbound; -D log=1 passes a new
-- vapi_call_id (the call is logged), named with -D tag and a counter.
\set k random(1, :numbers + :numbers / 20)
\set who random(1, 100)
\if :who <= 45
\set caller 14152000000 + :k
\elif :who <= 65
\set caller 15102000000 + 1 + (:k - 1) % :brokers
\elif :who <= 80
\set caller 14152000000 + :k + :brokers * random(1, 50)
\else
\set caller 12122000000 + random(1, 999999)
\endif
\set called 16282000000 + :k
\set seq :seq + 1
\if :log
\if :baseline
SELECT * FROM bench_baseline.route_inbound(('+' || :called::text)::vapi_pool.e164, ('+' || :caller::text)::vapi_pool.e164,
	'in-' || :tag || '-' || :client_id::text || '-' || :seq::text);
\else
SELECT * FROM vapi_pool.route_inbound(('+' || :called::text)::vapi_pool.e164, ('+' || :caller::text)::vapi_pool.e164,
	'in-' || :tag || '-' || :client_id::text || '-' || :seq::text);
\endif
\else
\if :baseline
SELECT * FROM bench_baseline.route_inbound(('+' || :called::text)::vapi_pool.e164, ('+' || :caller::text)::vapi_pool.e164);
\else
SELECT * FROM vapi_pool.route_inbound(('+' || :called::text)::vapi_pool.e164, ('+' || :caller::text)::vapi_pool.e164);
\endif
\endif
