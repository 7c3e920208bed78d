/*
 * json.c
 *	  Reading and writing JSON in C: the value at a path of object keys in a
 *	  jsonb document, a scalar as text, JSON string literals, and text to
 *	  jsonb (throwing, or NULL when it is not JSON).
 *
 * Paths are NULL-terminated arrays of keys, declared once per reader as
 * static arrays (e.g. {"message", "call", "id", NULL}), so that a document
 * is read without building jsonpath or text queries.
 */
#include "core/json.h"
#include "core/subtransaction.h"


#include "utils/builtins.h"
#include "utils/json.h"

/* The value at a path of object keys (NULL-terminated list), or NULL. */
JsonbValue *
vp_json_get(Jsonb *j, const char *const *path, JsonbValue *buf)
{
	JsonbContainer *c;

	if (j == NULL || !JB_ROOT_IS_OBJECT(j))
		return NULL;
	c = &j->root;
	for (int i = 0; path[i] != NULL; i++)
	{
		if (getKeyJsonValueFromContainer(c, path[i], strlen(path[i]), buf) == NULL)
			return NULL;
		if (path[i + 1] == NULL)
			return buf;
		if (buf->type != jbvBinary || !JsonContainerIsObject(buf->val.binary.data))
			return NULL;
		c = buf->val.binary.data;
	}
	return NULL;
}

/* The scalar at a path as text (strings as they are, numbers and booleans as written), or NULL. */
char *
vp_json_text(Jsonb *j, const char *const *path)
{
	JsonbValue	buf;
	JsonbValue *v = vp_json_get(j, path, &buf);

	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return NULL;
	}
}

/* The sub-document at a path as jsonb (objects and arrays only), or NULL. */
Jsonb *
vp_json_object(Jsonb *j, const char *const *path)
{
	JsonbValue	buf;
	JsonbValue *v = vp_json_get(j, path, &buf);

	if (v == NULL || v->type != jbvBinary)
		return NULL;
	return JsonbValueToJsonb(v);
}

/* Appends s as a JSON string literal. */
void
vp_json_string(StringInfo buf, const char *s)
{
	if (s == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, s);
}

/* A JSON text as a jsonb Datum. */
Datum
vp_jsonb_from_text(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

/* The text as jsonb, or (Datum) 0 when it is not JSON. */
Datum
vp_json_parse_or_null(const char *body)
{
	Datum		jsonb;

	if (body == NULL || body[0] == '\0' || !vp_try_input(jsonb_in, body, &jsonb))
		return (Datum) 0;
	return jsonb;
}

/* A text argument for vp_execute, or its NULL marker when s is NULL. */
Datum
vp_text_arg(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}
