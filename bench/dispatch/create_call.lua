-- wrk: POST /call to the vendor stand-in, the body a create-call job sends
-- (the baseline of bench/dispatch_bench.sh: the stand-in's own ceiling).
function init(args)
	local key = os.getenv("DISPATCH_BENCH_KEY") or "bench-key"
	wrk.method = "POST"
	wrk.headers["Authorization"] = "Bearer " .. key
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Accept"] = "application/json"
	wrk.body = '{"assistantId": "bench-intake", "phoneNumberId": "pn_bench_1", ' ..
		'"customer": {"number": "+13105551000", "name": "Lead 1000"}, ' ..
		'"assistantOverrides": {"variableValues": {"lead_id": "d0000000-0000-4000-8000-000000001000"}}}'
end
