/*
 * auth.h
 *	  Who is asking (core/auth.c): what C code needs besides the SQL
 *	  functions auth_uid(), auth_org_id(), auth_org_role().
 */
#ifndef VAPI_POOL_AUTH_H
#define VAPI_POOL_AUTH_H

#include "core/compat.h"

/* Runs the rest of the transaction as the organisation's service (request.jwt.claims). */
extern void vp_set_org_claims(Datum org_id);

#endif							/* VAPI_POOL_AUTH_H */
