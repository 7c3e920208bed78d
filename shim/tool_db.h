/*
 * tool_db.h
 *	  The database of vapi-shim's one-shot commands (tool_db.c).
 */
#ifndef VAPI_SHIM_TOOL_DB_H
#define VAPI_SHIM_TOOL_DB_H

#include <libpq-fe.h>

#include "config.h"

/*
 * Connect to cfg's database as application_name (connect_timeout seconds,
 * NULL: libpq's); NULL on failure, with *why a malloc'd one-line reason
 * (nothing printed).
 */
extern PGconn *tool_db_open(const shim_config *cfg, const char *application_name, const char *connect_timeout,
							char **why);

/*
 * Run one statement (typed text parameters, text results): its result, or
 * NULL with "vapi-shim: <what>: <message> (SQLSTATE xxxxx)" and the detail
 * and hint on stderr, and *why (if not NULL) the malloc'd one-line reason.
 */
extern PGresult *tool_db_exec(PGconn *conn, const char *what, const char *sql, int nparams,
							  const char *const *params, char **why);

#endif							/* VAPI_SHIM_TOOL_DB_H */
