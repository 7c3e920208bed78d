/*
 * medical_history.h
 *	  Medical history out of stored transcripts (medical_history.c), used by
 *	  the call log's redaction trigger (row_triggers.c).
 */
#ifndef VAPI_POOL_MEDICAL_HISTORY_H
#define VAPI_POOL_MEDICAL_HISTORY_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "redact/transcript_text.h"

extern char *vp_redact_medical(const char *src, int len, const TermSet *org_vocab, bool callers_only,
							   StringInfo moved, int *out_len);

#endif							/* VAPI_POOL_MEDICAL_HISTORY_H */
