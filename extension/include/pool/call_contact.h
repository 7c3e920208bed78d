/*
 * call_contact.h
 *	  The contact of a call (call_contact.c): the caller found by their
 *	  number or made a contact, with the call's log linked to them.
 */
#ifndef VAPI_POOL_CALL_CONTACT_H
#define VAPI_POOL_CALL_CONTACT_H

#include "postgres.h"

/* What makes a contact when the caller is not on file. */
typedef enum CallContactMaking
{
	CALL_CONTACT_FIND,		/* find only: a caller not on file has none */
	CALL_CONTACT_MAKE,		/* make one with the caller's number */
	CALL_CONTACT_MAKE_ANY		/* make one, also when the number is unknown */
} CallContactMaking;

/*
 * The contact of call vapi_call_id (NULL: none) of organisation org, from
 * the caller's number (caller, else the inbound call log's): the oldest
 * lead of the organisation with that number, else (as making says) a new
 * lead with it, broker's when has_broker.  The call's log, when it has no
 * lead yet, is linked to the contact.  True and *contact when there is one.
 * Connected to SPI.
 */
extern bool vp_call_contact(Datum org, const char *vapi_call_id, const char *caller, CallContactMaking making,
							Datum broker, bool has_broker, Datum *contact);

#endif							/* VAPI_POOL_CALL_CONTACT_H */
