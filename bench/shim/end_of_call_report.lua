-- wrk: POST /webhook/vapi end-of-call-report, a new call id every request.
-- By default for calls nobody logged ("eocr-<run>-<thread>-<n>"): each one
-- is stored in the inbox and, redacted, in unmatched_call_reports -- the
-- same write end_of_call_report.pgbench makes.  With SHIM_BENCH_CALL_PREFIX
-- set to "" and SHIM_BENCH_RUN to an assistant_request.lua run, the reports
-- end the calls that run opened ("<run>-<thread>-<n>"): the call log is
-- updated (redacted) and its lead's status moves.
local next_id = 0

function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
end

function init(args)
	run = os.getenv("SHIM_BENCH_RUN") or "run"
	secret = os.getenv("SHIM_BENCH_SECRET") or "bench-secret"
	prefix = os.getenv("SHIM_BENCH_CALL_PREFIX") or "eocr-"
	n = 0
end

function request()
	n = n + 1
	local body = string.format(
		'{"message": {"type": "end-of-call-report", "endedReason": "customer-ended-call", ' ..
		'"startedAt": "2026-11-21T17:00:00Z", "endedAt": "2026-11-21T17:01:30Z", "cost": 0.12, ' ..
		'"call": {"id": "%s%s-%d-%d"}, "artifact": {"transcript": "AI: Hello, how can I help? ' ..
		'User: Please call me back on 415 555 %04d, my email is caller%d@example.com.", ' ..
		'"recordingUrl": "https://storage.vapi.ai/%d.wav"}, "analysis": {"summary": "Callback requested."}}}',
		prefix, run, tid, n, n % 10000, n, n)
	return wrk.format("POST", "/webhook/vapi",
		{["Content-Type"] = "application/json", ["x-vapi-secret"] = secret}, body)
end
