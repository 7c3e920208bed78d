/*
 * reply_sql.h
 *	  What the SQL side of the reply classifier shares (reply_sql.c).
 */
#ifndef VAPI_POOL_REPLY_SQL_H
#define VAPI_POOL_REPLY_SQL_H

#include "datatype/timestamp.h"

/* Raises an internal error if a rule of the classifier did not compile. */
extern void vp_reply_check_rules(void);

/*
 * When the reply text[0..len), received at received, asks to be called,
 * read in lead_zone unless it names a zone (reply_time.h); DT_NOBEGIN when
 * it names no time or the time has begun.
 */
extern TimestampTz vp_reply_call_time(const char *text, size_t len, TimestampTz received,
									  const char *lead_zone);

#endif							/* VAPI_POOL_REPLY_SQL_H */
