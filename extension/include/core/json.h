/*
 * json.h
 *	  Reading and writing JSON in C (core/json.c): values at a path of a
 *	  jsonb document, JSON string literals, text to jsonb.
 */
#ifndef VAPI_POOL_JSON_H
#define VAPI_POOL_JSON_H

#include "core/compat.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* The value at a path of object keys (NULL-terminated list), or NULL. */
extern JsonbValue *vp_json_get(Jsonb *j, const char *const *path, JsonbValue *buf);
/* The scalar at a path as text (strings as they are, numbers and booleans as written), or NULL. */
extern char *vp_json_text(Jsonb *j, const char *const *path);
/* The sub-document at a path as jsonb (objects and arrays only), or NULL. */
extern Jsonb *vp_json_object(Jsonb *j, const char *const *path);
/* Appends s as a JSON string literal. */
extern void vp_json_string(StringInfo buf, const char *s);
/* A JSON text as a jsonb Datum. */
extern Datum vp_jsonb_from_text(const char *json);
/* The text as jsonb, or (Datum) 0 when it is not JSON. */
extern Datum vp_json_parse_or_null(const char *text);
/* A text argument for vp_execute, or its NULL marker when s is NULL. */
extern Datum vp_text_arg(const char *s, char *null);

#endif							/* VAPI_POOL_JSON_H */
