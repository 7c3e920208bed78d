/*
 * redact_pii.h
 *	  redact_pii (redact/redact_pii.c): personal data out of a text, called
 *	  by the row triggers and the contact redaction.
 */
#ifndef VAPI_POOL_REDACT_PII_H
#define VAPI_POOL_REDACT_PII_H

#include "core/compat.h"

#include "fmgr.h"
#include "utils/date.h"

/*
 * What a text is read against: the organisation's region (how a run of
 * digits without '+' is dialled) and the day it was said (a birth date is
 * not after it, nor more than 120 years before it).
 */
typedef struct RedactOptions
{
	char		region[3];		/* ISO 3166-1 alpha-2, upper case */
	bool		has_as_of;		/* as_of_* are known */
	int			as_of_year;
	int			as_of_month;
	int			as_of_day;
} RedactOptions;

extern void vp_redact_options_init(RedactOptions *o);
extern void vp_redact_options_set_region(RedactOptions *o, const char *region, int len);
extern void vp_redact_options_set_date(RedactOptions *o, DateADT day);
extern void vp_redact_options_set_time(RedactOptions *o, TimestampTz at);
extern Datum vp_redact_pii_text(Datum value, const RedactOptions *o);

extern PGDLLEXPORT Datum vapi_pool_redact_pii(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum vapi_pool_redact_pii_at(PG_FUNCTION_ARGS);

#endif							/* VAPI_POOL_REDACT_PII_H */
