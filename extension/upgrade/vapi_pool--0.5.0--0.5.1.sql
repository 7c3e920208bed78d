-- vapi_pool 0.5.0 -> 0.5.1, assembled by the Makefile: edit the parts.
\echo Use "ALTER EXTENSION vapi_pool UPDATE" to load this file. \quit
-- Release 0.5.1 (issue 18): the C sources of the extension are split into
-- folders by concern (extension/core, e164, redact, outbox, pool, clinic,
-- calls, slots, replies, dispatch, webhook; docs/architecture.md has the map
-- and the order in which they may call each other).  No SQL object changes:
-- the functions keep their names, arguments, answers and errors, and the
-- library they call is the same vapi_pool.so.
