/*
 * vapi_pool.c
 *	  Module entry point of the vapi_pool extension.
 */
#include "core/compat.h"
#include "core/settings.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Loads the settings (core/settings.c registers every one). */
void
_PG_init(void)
{
	vp_define_settings();
}

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
