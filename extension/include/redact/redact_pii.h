/*
 * redact_pii.h
 *	  redact_pii(text) (redact/redact_pii.c), called by the row triggers.
 */
#ifndef VAPI_POOL_REDACT_PII_H
#define VAPI_POOL_REDACT_PII_H

#include "core/compat.h"

#include "fmgr.h"

extern PGDLLEXPORT Datum vapi_pool_redact_pii(PG_FUNCTION_ARGS);

#endif							/* VAPI_POOL_REDACT_PII_H */
