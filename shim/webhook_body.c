/*
 * webhook_body.c
 *	  The little the shim reads of a webhook body: is it JSON, which Vapi
 *	  message type is it, and what to answer when the database cannot.
 *
 * A body the shim accepts must be one PostgreSQL's jsonb accepts too, or the
 * event would fail later in the database: jansson already refuses invalid
 * UTF-8, lone surrogates and \u0000 (which jsonb cannot store); a raw NUL
 * byte is refused before parsing, since jansson lets one through after a
 * number (found by the fuzz target: {"a":1e40<NUL>}), and integers are decoded as reals so that a number too
 * large for a 64-bit integer is not refused.  One difference remains: a
 * number beyond the range of a double (1e400) is refused here although
 * jsonb's numeric would take it; no sender of ours writes such numbers.
 *
 * Error messages name the problem and its byte offset, never the body's
 * own bytes: the body may carry personal data, and the message may be logged.
 */
#include <stdio.h>
#include <string.h>

#include "webhook_body.h"

/* what a caller hears when a transfer cannot be looked up: the shim's one copy of the sentence */
#define FALLBACK_NO_ONE_AVAILABLE "I'm sorry, no one is available to take your call right now. We will call you back shortly."

/* what a tool call returns when the database cannot answer it */
#define TOOL_FALLBACK_ERROR \
	"The system is temporarily unavailable. Please try again in a moment."

/* Why jansson refused a body, in words that quote none of it. */
static const char *
describe_json_error(enum json_error_code code)
{
	switch (code)
	{
		case json_error_out_of_memory:
		case json_error_unknown:	/* jansson sets no code when out of memory */
			return "out of memory while parsing";
		case json_error_stack_overflow:
			return "nested too deeply";
		case json_error_invalid_utf8:
			return "invalid UTF-8";
		case json_error_premature_end_of_input:
			return "unexpected end of input";
		case json_error_end_of_input_expected:
			return "unexpected data after the JSON value";
		case json_error_null_character:
		case json_error_null_byte_in_key:
			return "\\u0000 is not allowed in a string";
		case json_error_numeric_overflow:
			return "number out of range";
		default:
			return "invalid syntax";
	}
}

/* Parse a webhook body: see webhook_body.h. */
body_result
webhook_body_parse(webhook_body *b, webhook_source source, const char *body, size_t len)
{
	json_error_t err;
	json_t	   *root;

	memset(b, 0, sizeof(*b));
	/* json_error_code() reads a byte that jansson leaves unset out of memory */
	memset(&err, 0, sizeof(err));
	if (len == 0)
	{
		snprintf(b->error, sizeof(b->error), "malformed JSON: the body is empty");
		return BODY_MALFORMED;
	}

	if (memchr(body, '\0', len) != NULL)
	{
		snprintf(b->error, sizeof(b->error), "malformed JSON at byte %td: a NUL byte",
				 (const char *) memchr(body, '\0', len) - body);
		return BODY_MALFORMED;
	}
	root = json_loadb(body, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &err);
	if (root == NULL)
	{
		snprintf(b->error, sizeof(b->error), "malformed JSON at byte %d: %s",
				 err.position, describe_json_error(json_error_code(&err)));
		return BODY_MALFORMED;
	}
	if (!json_is_object(root))
	{
		json_decref(root);
		snprintf(b->error, sizeof(b->error), "the body is JSON but not an object");
		return BODY_NOT_OBJECT;
	}

	b->root = root;
	if (source == SOURCE_VAPI)
		b->vapi_type = json_string_value(json_object_get(json_object_get(root, "message"), "type"));
	return BODY_OK;
}

/* Release what webhook_body_parse() kept. */
void
webhook_body_free(webhook_body *b)
{
	json_decref(b->root);
	b->root = NULL;
	b->vapi_type = NULL;
}

/* The string member key of object, or NULL (json_* accept NULL objects). */
static const char *
string_member(const json_t *object, const char *key)
{
	return json_string_value(json_object_get(object, key));
}

/*
 * The id and the function name of one tool call.  toolCallList items are
 * {id, type, function: {name, arguments}} or flattened {id, name,
 * arguments|parameters}; toolWithToolCallList items are {type, function:
 * {name}, toolCall: {id, function: {name, arguments}}}.
 */
static void
tool_call_identity(const json_t *item, const char **id, const char **name)
{
	const json_t *call = json_object_get(item, "toolCall");

	if (json_is_object(call))
	{
		*id = string_member(call, "id");
		*name = string_member(json_object_get(call, "function"), "name");
		if (*name == NULL)
			*name = string_member(call, "name");
		if (*name == NULL)
			*name = string_member(json_object_get(item, "function"), "name");
	}
	else
	{
		*id = string_member(item, "id");
		*name = string_member(json_object_get(item, "function"), "name");
	}
	if (*name == NULL)
		*name = string_member(item, "name");
}

/*
 * {"results": [{"name", "toolCallId", "error"}, ...]}: one result per tool
 * call in order, from toolCallList, or from toolWithToolCallList when
 * toolCallList is absent or empty.  Items that are not objects cannot be
 * answered and are skipped; a missing name or id is left out of its result.
 */
static json_t *
tool_calls_fallback(const json_t *message)
{
	const json_t *list = json_object_get(message, "toolCallList");
	json_t	   *results = json_array();
	json_t	   *answer = json_object();
	size_t		i;
	json_t	   *item;

	if (!json_is_array(list) || json_array_size(list) == 0)
		list = json_object_get(message, "toolWithToolCallList");
	if (results == NULL || answer == NULL)
	{
		json_decref(results);
		json_decref(answer);
		return NULL;
	}

	json_array_foreach(list, i, item)
	{
		const char *id;
		const char *name;
		json_t	   *result;

		if (!json_is_object(item))
			continue;
		tool_call_identity(item, &id, &name);
		result = json_pack("{s:s*, s:s*, s:s}", "name", name, "toolCallId", id,
						   "error", TOOL_FALLBACK_ERROR);
		if (result == NULL || json_array_append_new(results, result) != 0)
		{
			json_decref(results);
			json_decref(answer);
			return NULL;
		}
	}

	if (json_object_set_new(answer, "results", results) != 0)	/* steals results */
	{
		json_decref(answer);
		return NULL;
	}
	return answer;
}

/* The answer when the database cannot give one: see webhook_body.h. */
json_t *
webhook_fallback_answer(const webhook_body *b, const shim_config *cfg)
{
	const char *type = b->vapi_type;

	if (b->root == NULL || type == NULL)
		return NULL;
	if (strcmp(type, "assistant-request") == 0)
	{
		if (cfg->intake_assistant_id == NULL || cfg->intake_assistant_id[0] == '\0')
			return NULL;
		return json_pack("{s:s}", "assistantId", cfg->intake_assistant_id);
	}
	if (strcmp(type, "transfer-destination-request") == 0)
		return json_pack("{s:s}", "error", FALLBACK_NO_ONE_AVAILABLE);
	if (strcmp(type, "tool-calls") == 0)
		return tool_calls_fallback(json_object_get(b->root, "message"));
	return NULL;
}
