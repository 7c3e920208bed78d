/*
 * reply_sql.h
 *	  What the SQL side of the reply classifier shares (reply_sql.c).
 */
#ifndef VAPI_POOL_REPLY_SQL_H
#define VAPI_POOL_REPLY_SQL_H

/* Raises an internal error if a rule of the classifier did not compile. */
extern void vp_reply_check_rules(void);

#endif							/* VAPI_POOL_REPLY_SQL_H */
