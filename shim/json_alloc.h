/*
 * json_alloc.h
 *	  The allocator vapi-shim gives jansson: malloc that never returns NULL.
 *
 * jansson 2.14 cannot be trusted with a failed allocation while it parses
 * (docs/fuzzing.md), so when malloc fails for jansson the shim logs one line
 * and aborts, as h2o already does when its own allocations fail.
 */
#ifndef VAPI_SHIM_JSON_ALLOC_H
#define VAPI_SHIM_JSON_ALLOC_H

/* Make jansson allocate through the shim's allocator; call before any thread uses jansson. */
extern void shim_json_alloc_install(void);

#endif							/* VAPI_SHIM_JSON_ALLOC_H */
