/*
 * vapi_pool.c
 *	  Module entry point of the vapi_pool extension.
 */
#include "compat.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(vapi_pool_library_version);

/*
 * The version the shared library was built as; compared with the installed
 * SQL objects' version it shows a library and catalog that drifted apart.
 */
Datum
vapi_pool_library_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(EXTVERSION));
}
