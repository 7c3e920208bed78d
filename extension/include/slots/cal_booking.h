/*
 * cal_booking.h
 *	  Bookings made on Cal.com (slots/cal_booking.c): what the Cal.com
 *	  webhook's handler (webhook/webhook_cal.c) shares with it.
 */
#ifndef VAPI_POOL_CAL_BOOKING_H
#define VAPI_POOL_CAL_BOOKING_H

/*
 * SQL taking the transaction's advisory locks on Cal.com booking uids $1
 * and $2 (text, either NULL), in the order of their keys, one lock when the
 * keys are equal: every event of a uid (created, cancelled, moved: from it
 * or to it) takes it before it reads or writes the uid's appointment, so
 * that two of them are applied one after the other, each seeing the one
 * before, and never wait for each other in a circle.
 */
#define VP_CAL_BOOKING_LOCK_SQL \
	"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vapi_pool.cal_booking'), k.h)" \
	" FROM (SELECT DISTINCT pg_catalog.hashtext(u) AS h FROM pg_catalog.unnest(ARRAY[$1, $2]) u" \
	"   WHERE u IS NOT NULL ORDER BY 1 OFFSET 0) k"

#endif							/* VAPI_POOL_CAL_BOOKING_H */
