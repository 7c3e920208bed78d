-- wrk: POST /webhook/vapi end-of-call-report, a new call id every request,
-- for calls nobody logged: each one is stored in the inbox and, redacted, in
-- unmatched_call_reports -- the same write end_of_call_report.pgbench makes.
local next_id = 0

function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
end

function init(args)
	run = os.getenv("SHIM_BENCH_RUN") or "run"
	secret = os.getenv("SHIM_BENCH_SECRET") or "bench-secret"
	n = 0
end

function request()
	n = n + 1
	local body = string.format(
		'{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", ' ..
		'"startedAt": "2026-11-21T17:00:00Z", "endedAt": "2026-11-21T17:01:30Z", "cost": 0.12, ' ..
		'"call": {"id": "eocr-%s-%d-%d"}, "artifact": {"transcript": "AI: Hello, how can I help? ' ..
		'User: Please call me back on 415 555 %04d, my email is caller%d@example.com.", ' ..
		'"recordingUrl": "https://storage.vapi.ai/%d.wav"}, "analysis": {"summary": "Callback requested."}}}',
		run, tid, n, n % 10000, n, n)
	return wrk.format("POST", "/webhook/vapi",
		{["Content-Type"] = "application/json", ["x-vapi-secret"] = secret}, body)
end
