/*
 * secret_scrub.h
 *	  Vendor error text without credentials (core/secret_scrub.c).
 */
#ifndef VAPI_POOL_SECRET_SCRUB_H
#define VAPI_POOL_SECRET_SCRUB_H

#include "core/compat.h"

/* the longest text vp_scrub_secret returns, in bytes */
#define VP_SCRUB_MAX_LEN 500

/* text with anything that looks like a credential replaced, at most VP_SCRUB_MAX_LEN bytes */
extern char *vp_scrub_secret(const char *text);

#endif							/* VAPI_POOL_SECRET_SCRUB_H */
