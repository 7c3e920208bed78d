-- Release 0.6.0 (issue 19), item 7: the Vapi messages the SDK
-- (@vapi-ai/server-sdk) allows and the reference examples do not show.  The
-- behaviour lives in C (pool/route_inbound.c, webhook/webhook_vapi.c); this
-- part says what the SQL functions now accept.  A delta on 0.5.1, like
-- every part of this release.

COMMENT ON FUNCTION next_transfer_destination(text, e164, e164) IS
	'sequential ring: the route''s first destination on the call''s first request, the second on the second, '
	'then NULL; a called or caller number given as NULL is taken from the call''s log (the pool number and the '
	'other party, by its direction), as a transfer request without phoneNumber or customer needs';
