/*
 * cal_booking.h
 *	  Bookings made on Cal.com (slots/cal_booking.c): what the Cal.com
 *	  webhook's handler (webhook/webhook_cal.c) shares with it.
 */
#ifndef VAPI_POOL_CAL_BOOKING_H
#define VAPI_POOL_CAL_BOOKING_H

/*
 * SQL taking the transaction's advisory lock on Cal.com booking uid $1:
 * every event of one uid (created, cancelled, moved: from it or to it) takes
 * it before it reads or writes the uid's appointment, so that two of them
 * are applied one after the other, each seeing the one before.
 */
#define VP_CAL_BOOKING_LOCK_SQL \
	"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vapi_pool.cal_booking'), pg_catalog.hashtext($1))"

#endif							/* VAPI_POOL_CAL_BOOKING_H */
