/*
 * test_webhook_body.c
 *	  Unit tests of webhook_body_parse() and webhook_fallback_answer():
 *	  what is refused as malformed, the Vapi message type, and the answer
 *	  for each message type and each tool-call item form.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "webhook_body.h"

#define TRANSFER_ERROR \
	"I'm sorry, no one is available to take your call right now. We will call you back shortly."
#define TOOL_ERROR \
	"The system is temporarily unavailable. Please try again in a moment."

/* Parse len bytes of body from source; the body is freed by the caller. */
static body_result
parse_n(webhook_body *b, webhook_source source, const char *body, size_t len)
{
	return webhook_body_parse(b, source, body, len);
}

/* Parse a NUL-terminated body from Vapi. */
static body_result
parse(webhook_body *b, const char *body)
{
	return parse_n(b, SOURCE_VAPI, body, strlen(body));
}

#define is_body(got, want, ...) \
	do { \
		body_result got_ = (got); \
		body_result want_ = (want); \
		if (!ok(got_ == want_, __VA_ARGS__)) \
			printf("#   got %d, want %d\n", (int) got_, (int) want_); \
	} while (0)

/* Check that body (len bytes) is refused as malformed, and nothing is kept. */
static void
check_malformed(const char *body, size_t len, const char *what)
{
	webhook_body b;

	is_body(parse_n(&b, SOURCE_VAPI, body, len), BODY_MALFORMED, "malformed: %s", what);
	ok(b.root == NULL && b.error[0] != '\0', "malformed: %s: no root, an error message", what);
	webhook_body_free(&b);
}

/* What jansson and jsonb both refuse, and what must still parse. */
static void
test_parse(void)
{
	webhook_body b;
	static const char nul_raw[] = "{\"a\":\"x\0y\"}";
	static const char nul_after[] = "{\"a\":1}\0";
	/* found by the fuzz target: jansson accepted a NUL right after a number */
	static const char nul_after_number[] = "{\"a\":1e40\0}";

	check_malformed("", 0, "empty body");
	check_malformed("   ", 3, "white space only");
	check_malformed("{", 1, "unterminated object");
	check_malformed("{\"a\":1,}", 8, "trailing comma");
	check_malformed("{} {}", 5, "two values");
	check_malformed("{\"a\":01}", 8, "leading zero");
	check_malformed("{\"a\":NaN}", 9, "NaN");
	check_malformed("{'a':1}", 7, "single quotes");
	check_malformed("{\"a\":\"x\\u0000y\"}", 15, "\\u0000 in a string (jsonb refuses it)");
	check_malformed("{\"\\u0000\":1}", 12, "\\u0000 in a key");
	check_malformed(nul_raw, sizeof(nul_raw) - 1, "a raw NUL byte in a string");
	check_malformed(nul_after, sizeof(nul_after) - 1, "a NUL byte after the object");
	check_malformed(nul_after_number, sizeof(nul_after_number) - 1, "a NUL byte right after a number");
	check_malformed("{\"a\":\"\xff\"}", 9, "invalid UTF-8 byte");
	check_malformed("{\"a\":\"\xc0\xaf\"}", 10, "overlong UTF-8");
	check_malformed("{\"a\":\"\xed\xa0\x80\"}", 11, "UTF-8 encoded surrogate");
	check_malformed("{\"a\":\"\\ud800\"}", 14, "lone surrogate escape");
	check_malformed("\xef\xbb\xbf{}", 5, "byte order mark");
	check_malformed("{\"a\":1e400}", 11, "a number beyond double range (documented limitation)");

	is_body(parse(&b, "{\"secret-token\": tru}"), BODY_MALFORMED, "malformed body with a token in it");
	ok(strstr(b.error, "secret-token") == NULL && strstr(b.error, "tru") == NULL,
	   "the error message quotes none of the body");
	ok(strstr(b.error, "byte") != NULL, "the error message gives the byte offset");
	printf("#   error: %s\n", b.error);
	webhook_body_free(&b);

	is_body(parse(&b, "[]"), BODY_NOT_OBJECT, "not object: array");
	ok(b.root == NULL && b.error[0] != '\0', "not object: no root, an error message");
	webhook_body_free(&b);
	is_body(parse(&b, "42"), BODY_NOT_OBJECT, "not object: number");
	webhook_body_free(&b);
	is_body(parse(&b, "\"message\""), BODY_NOT_OBJECT, "not object: string");
	webhook_body_free(&b);
	is_body(parse(&b, "null"), BODY_NOT_OBJECT, "not object: null");
	webhook_body_free(&b);

	is_body(parse(&b, "{\"n\": 123456789012345678901234567890, \"m\": -99999999999999999999}"), BODY_OK,
			"an integer beyond 64 bits parses");
	webhook_body_free(&b);
	is_body(parse(&b, "{\"a\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"}"), BODY_OK,
			"UTF-8 and escaped surrogate pairs parse");
	webhook_body_free(&b);
	is_body(parse(&b, "{\"a\":1,\"a\":2}"), BODY_OK, "duplicate keys parse (jsonb keeps the last)");
	webhook_body_free(&b);
	is_body(parse(&b, " \n{}\n "), BODY_OK, "white space around the object is fine");
	ok(b.root != NULL && json_is_object(b.root) && b.error[0] == '\0', "ok: the root is kept, no error");
	webhook_body_free(&b);
	ok(b.root == NULL && b.vapi_type == NULL, "webhook_body_free clears the body");
	webhook_body_free(&b);
	ok(1, "webhook_body_free twice is harmless");
}

/* message.type, for Vapi only. */
static void
test_vapi_type(void)
{
	webhook_body b;
	const char *body = "{\"message\":{\"type\":\"end-of-call-report\"}}";

	parse(&b, body);
	is_str(b.vapi_type, "end-of-call-report", "vapi_type is message.type");
	webhook_body_free(&b);
	parse(&b, "{\"type\":\"tool-calls\"}");
	is_str(b.vapi_type, NULL, "no message: vapi_type is NULL");
	webhook_body_free(&b);
	parse(&b, "{\"message\":{\"type\":7}}");
	is_str(b.vapi_type, NULL, "a type that is not a string: NULL");
	webhook_body_free(&b);
	parse(&b, "{\"message\":\"tool-calls\"}");
	is_str(b.vapi_type, NULL, "a message that is not an object: NULL");
	webhook_body_free(&b);
	parse_n(&b, SOURCE_INSTANTLY, body, strlen(body));
	is_str(b.vapi_type, NULL, "Instantly bodies have no vapi_type");
	webhook_body_free(&b);
	parse_n(&b, SOURCE_CAL, body, strlen(body));
	is_str(b.vapi_type, NULL, "Cal.com bodies have no vapi_type");
	webhook_body_free(&b);
}

/*
 * Check the fallback answer for body from source against want (JSON text,
 * or NULL for "no answer").
 */
static void
check_answer(const shim_config *cfg, webhook_source source, const char *body,
			 const char *want, const char *what)
{
	webhook_body b;
	json_t	   *answer;
	json_t	   *expected = NULL;
	json_error_t err;

	if (webhook_body_parse(&b, source, body, strlen(body)) != BODY_OK)
	{
		ok(0, "fallback: %s: the body parses", what);
		return;
	}
	answer = webhook_fallback_answer(&b, cfg);
	if (want != NULL && (expected = json_loads(want, 0, &err)) == NULL)
	{
		fprintf(stderr, "bad expected JSON in the test: %s\n", err.text);
		exit(2);
	}
	if (!ok(want == NULL ? answer == NULL : (answer != NULL && json_equal(answer, expected)),
			"fallback: %s", what))
	{
		char	   *text = answer ? json_dumps(answer, JSON_SORT_KEYS) : NULL;

		printf("#   got %s\n#   want %s\n", text ? text : "(no answer)", want ? want : "(no answer)");
		free(text);
	}
	json_decref(answer);
	json_decref(expected);
	webhook_body_free(&b);
}

/* The fallback answers of every Vapi message type and the other sources. */
static void
test_fallback(void)
{
	shim_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.intake_assistant_id = "9a8b7c6d-barbara";

	check_answer(&cfg, SOURCE_VAPI,
				 "{\"message\":{\"type\":\"assistant-request\",\"customer\":{\"number\":\"+14155550123\"}}}",
				 "{\"assistantId\":\"9a8b7c6d-barbara\"}", "assistant-request: the intake assistant");
	check_answer(&cfg, SOURCE_VAPI,
				 "{\"message\":{\"type\":\"transfer-destination-request\"}}",
				 "{\"error\":\"" TRANSFER_ERROR "\"}", "transfer-destination-request: a sentence to say");

	/* the reference's own example: nested items, arguments as object and string */
	check_answer(&cfg, SOURCE_VAPI,
				 "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": ["
				 "{\"id\": \"call_q1\", \"type\": \"function\", \"function\": {\"name\": \"supabase_query\", \"arguments\": {\"query_type\": \"find_broker_by_zip\"}}},"
				 "{\"id\": \"call_q2\", \"type\": \"function\", \"function\": {\"name\": \"check_availability_and_book\", \"arguments\": \"{\\\"action\\\":\\\"check\\\"}\"}}],"
				 "\"toolWithToolCallList\": [{\"type\": \"function\", \"function\": {\"name\": \"other\"}, \"toolCall\": {\"id\": \"other_id\"}}]}}",
				 "{\"results\": ["
				 "{\"name\": \"supabase_query\", \"toolCallId\": \"call_q1\", \"error\": \"" TOOL_ERROR "\"},"
				 "{\"name\": \"check_availability_and_book\", \"toolCallId\": \"call_q2\", \"error\": \"" TOOL_ERROR "\"}]}",
				 "tool-calls: one error per toolCallList item, in order (toolWithToolCallList unused)");
	check_answer(&cfg, SOURCE_VAPI,
				 "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": ["
				 "{\"id\": \"call_f1\", \"name\": \"claim_slot_atomic\", \"parameters\": {\"slot_time\": \"2026-11-24T17:00:00Z\"}},"
				 "{\"id\": \"call_f2\", \"name\": \"supabase_query\", \"arguments\": \"{}\"}]}}",
				 "{\"results\": ["
				 "{\"name\": \"claim_slot_atomic\", \"toolCallId\": \"call_f1\", \"error\": \"" TOOL_ERROR "\"},"
				 "{\"name\": \"supabase_query\", \"toolCallId\": \"call_f2\", \"error\": \"" TOOL_ERROR "\"}]}",
				 "tool-calls: flattened items {id, name, parameters|arguments}");
	check_answer(&cfg, SOURCE_VAPI,
				 "{\"message\": {\"type\": \"tool-calls\", \"toolWithToolCallList\": ["
				 "{\"type\": \"function\", \"function\": {\"name\": \"supabase_query\"}, \"server\": {\"url\": \"https://example.com\"},"
				 " \"toolCall\": {\"id\": \"call_w1\", \"type\": \"function\", \"function\": {\"name\": \"supabase_query\", \"arguments\": {}}}},"
				 "{\"type\": \"function\", \"function\": {\"name\": \"outer_name\"}, \"toolCall\": {\"id\": \"call_w2\"}},"
				 "{\"name\": \"flat_name\", \"toolCall\": {\"id\": \"call_w3\"}}]}}",
				 "{\"results\": ["
				 "{\"name\": \"supabase_query\", \"toolCallId\": \"call_w1\", \"error\": \"" TOOL_ERROR "\"},"
				 "{\"name\": \"outer_name\", \"toolCallId\": \"call_w2\", \"error\": \"" TOOL_ERROR "\"},"
				 "{\"name\": \"flat_name\", \"toolCallId\": \"call_w3\", \"error\": \"" TOOL_ERROR "\"}]}",
				 "tool-calls: toolWithToolCallList when toolCallList is absent");
	check_answer(&cfg, SOURCE_VAPI,
				 "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": [], \"toolWithToolCallList\": ["
				 "{\"toolCall\": {\"id\": \"call_e1\", \"function\": {\"name\": \"f\"}}}]}}",
				 "{\"results\": [{\"name\": \"f\", \"toolCallId\": \"call_e1\", \"error\": \"" TOOL_ERROR "\"}]}",
				 "tool-calls: toolWithToolCallList when toolCallList is empty");
	check_answer(&cfg, SOURCE_VAPI,
				 "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": ["
				 "7, \"x\", null, {\"id\": \"call_n1\"}, {\"function\": {\"name\": \"no_id\"}}, {\"id\": 5, \"name\": 6}]}}",
				 "{\"results\": ["
				 "{\"toolCallId\": \"call_n1\", \"error\": \"" TOOL_ERROR "\"},"
				 "{\"name\": \"no_id\", \"error\": \"" TOOL_ERROR "\"},"
				 "{\"error\": \"" TOOL_ERROR "\"}]}",
				 "tool-calls: odd items: non-objects skipped, missing or non-string name and id left out");
	check_answer(&cfg, SOURCE_VAPI, "{\"message\": {\"type\": \"tool-calls\"}}",
				 "{\"results\": []}", "tool-calls: no list at all answers no results");
	check_answer(&cfg, SOURCE_VAPI, "{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": {\"id\": \"x\"}}}",
				 "{\"results\": []}", "tool-calls: a toolCallList that is not an array answers no results");

	check_answer(&cfg, SOURCE_VAPI, "{\"message\":{\"type\":\"status-update\",\"status\":\"ringing\"}}",
				 NULL, "status-update: no answer (503)");
	check_answer(&cfg, SOURCE_VAPI, "{\"message\":{\"type\":\"end-of-call-report\"}}",
				 NULL, "end-of-call-report: no answer (503)");
	check_answer(&cfg, SOURCE_VAPI, "{\"message\":{\"type\":\"knowledge-base-request\"}}",
				 NULL, "knowledge-base-request: no answer (503)");
	check_answer(&cfg, SOURCE_VAPI, "{\"message\":{}}", NULL, "no type: no answer");
	check_answer(&cfg, SOURCE_VAPI, "{\"type\":\"tool-calls\"}", NULL, "type outside message: no answer");
	check_answer(&cfg, SOURCE_INSTANTLY, "{\"message\":{\"type\":\"transfer-destination-request\"}}",
				 NULL, "Instantly: no answer whatever the body");
	check_answer(&cfg, SOURCE_CAL, "{\"message\":{\"type\":\"tool-calls\",\"toolCallList\":[]}}",
				 NULL, "Cal.com: no answer whatever the body");

	cfg.intake_assistant_id = NULL;
	check_answer(&cfg, SOURCE_VAPI, "{\"message\":{\"type\":\"assistant-request\"}}",
				 NULL, "assistant-request without an intake assistant: no answer (503)");
}

/* A body that was refused has no answer. */
static void
test_fallback_after_error(void)
{
	shim_config cfg;
	webhook_body b;

	memset(&cfg, 0, sizeof(cfg));
	cfg.intake_assistant_id = "a";
	parse(&b, "{\"message\":{\"type\":\"assistant-request\"}");
	ok(webhook_fallback_answer(&b, &cfg) == NULL, "fallback: a malformed body has no answer");
	webhook_body_free(&b);
}

int
main(void)
{
	test_parse();
	test_vapi_type();
	test_fallback();
	test_fallback_after_error();
	return done_testing();
}
