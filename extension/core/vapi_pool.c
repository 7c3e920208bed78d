/*
 * vapi_pool.c
 *	  Module entry point of the vapi_pool extension.
 */
#include "compat.h"
#include "pool_engine.h"
#include "outbox.h"
#include "webhook.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Loads the settings (vapi_pool.auth_uid_owners, vapi_pool.hold_after_call, vapi_pool.intake_assistant_id and the others). */
void
_PG_init(void)
{
	vp_define_auth_settings();
	vp_define_webhook_settings();
	vp_define_outbound_settings();
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
