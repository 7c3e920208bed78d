-- The probe of the release benchmark (bench/pool_bench.sh): assign_number on
-- a random lead of leads :first..:last while a large release runs.  Leads
-- 1..:held hold one of the expiring assignments (the release locks them);
-- the others are leads of brokers whose pools have free numbers.
\set m random(:first, :last)
SELECT 1 FROM vapi_pool.assign_number(('30000000-0000-4000-8000-' || lpad(:m::text, 12, '0'))::uuid);
