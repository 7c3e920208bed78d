-- The cycle benchmark's housekeeping (bench/pool_bench.sh): release every
-- overdue assignment, as the pg_cron job does.  -D baseline=1: the baseline.
\if :baseline
SELECT bench_baseline.release_expired();
\else
SELECT vapi_pool.release_expired();
\endif
