-- pg_temp.time_sql: the timing helper of the SQL benchmarks (included with
-- \ir by bench/*/bench.sql).
--
-- Seconds to run statement sql, median of rounds; before runs first each
-- round, untimed; with warmup, sql runs once untimed before the rounds.
CREATE FUNCTION pg_temp.time_sql(sql text, rounds int, before text DEFAULT NULL, warmup boolean DEFAULT false)
	RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
	times double precision[] := '{}';
	t0 timestamptz;
BEGIN
	IF warmup THEN
		EXECUTE sql;
	END IF;
	FOR i IN 1 .. rounds LOOP
		IF before IS NOT NULL THEN
			EXECUTE before;
		END IF;
		t0 := clock_timestamp();
		EXECUTE sql;
		times := times || extract(epoch FROM clock_timestamp() - t0)::double precision;
	END LOOP;
	RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x);
END
$$;
