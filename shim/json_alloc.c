/*
 * json_alloc.c
 *	  The allocator vapi-shim gives jansson: malloc that never returns NULL.
 *
 * jansson 2.14 (Debian 12's libjansson4) does not survive every failed
 * allocation inside json_loadb().  Its lexer ignores a failure to grow the
 * buffer that holds the current token (lex_save() in src/load.c drops the
 * byte and goes on), so one failed allocation can
 *   - drop a byte from a string or a number, and the parse still succeeds
 *     with a document the sender never sent; or
 *   - drop a string's closing quote, and lex_scan_string() then copies the
 *     heap past the end of its buffers until it meets a '"' byte: a heap
 *     overflow inside the library, before json_loadb() returns.
 * The fuzz target found the second (docs/fuzzing.md; the standalone proof is
 * shim/fuzz/jansson_oom_repro.c, `make jansson-oom-repro`).
 *
 * Nothing the shim could do after json_loadb() returns undoes that, and a
 * NULL cannot be kept away from the lexer alone: jansson allocates through
 * one pair of functions.  So jansson never gets a NULL from the shim: when
 * malloc fails, the shim logs one line and aborts.  This is what h2o already
 * does when its own allocations fail (h2o_mem_alloc: "no memory"), and h2o
 * allocates for every request, so the process could not have answered the
 * request anyway; the service manager restarts it, and the senders retry.
 */
#include <stdlib.h>

#include <jansson.h>

#include "json_alloc.h"
#include "log.h"

/* malloc for jansson; a failure stops the process (see above) */
static void *
json_alloc(size_t size)
{
	/* jansson never asks for 0 bytes; a malloc(0) that returns NULL is no failure */
	void	   *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
	{
		/* shim_log() formats on the stack: it allocates nothing */
		shim_log(SHIM_LOG_ERROR,
				 "out of memory: jansson asked for %zu bytes; stopping, since jansson 2.14 "
				 "cannot be left to handle a failed allocation (docs/fuzzing.md)", size);
		abort();
	}
	return p;
}

/* Make jansson allocate through json_alloc(): see json_alloc.h. */
void
shim_json_alloc_install(void)
{
	json_set_alloc_funcs(json_alloc, free);
}
