-- wrk: POST /webhook/vapi assistant-request, a new call id every request;
-- half the callers are leads calling their own pool number (known: the Call
-- Connector answer), half are strangers (the intake assistant).
-- Call ids are "<run>-<thread>-<n>": unique within a run.
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
	local k = (n % 50) + 1
	local caller
	if n % 2 == 0 then
		caller = string.format("+1415555%d", 1000 + k)
	else
		caller = string.format("+1212555%04d", n % 10000)
	end
	local body = string.format(
		'{"message": {"type": "assistant-request", "timestamp": %d, "call": {"id": "%s-%d-%d", ' ..
		'"type": "inboundPhoneCall", "phoneNumberId": "pn_bench_%d", "customer": {"number": "%s"}}, ' ..
		'"phoneNumber": {"id": "pn_bench_%d", "number": "+1310555%d"}, "customer": {"number": "%s"}}}',
		1763740800000 + n, run, tid, n, k, caller, k, 1000 + k, caller)
	return wrk.format("POST", "/webhook/vapi",
		{["Content-Type"] = "application/json", ["x-vapi-secret"] = secret}, body)
end
