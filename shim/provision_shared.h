/*
 * provision_shared.h
 *	  What the provisioning commands share (provision.c): their options, the
 *	  messages they print, the database connection and the Vapi requests.
 *	  Only provision.c, provision_pool.c and provision_assistants.c use it.
 */
#ifndef VAPI_SHIM_PROVISION_SHARED_H
#define VAPI_SHIM_PROVISION_SHARED_H

#include <stdio.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "http_client.h"
#include "log.h"

#define EXIT_RUNTIME 1

/* pool fill: how long to wait for the purchases by default */
#define DEFAULT_WAIT_SECONDS 120
/* the vendor's error text is cut to this many bytes when printed */
#define VENDOR_MESSAGE_MAX 300

/* the flags of the provisioning commands (the shared options go to config.c) */
typedef struct tool_options
{
	const char *broker;			/* --broker UUID */
	const char *area_code;		/* --area-code NNN */
	int			dry_run;		/* --dry-run */
	int			wait_seconds;	/* --wait-seconds N */
	const char *assistants_dir; /* --assistants-dir DIR */
} tool_options;

/* Where and how to reach the Vapi API. */
typedef struct vapi_api
{
	char	   *base_url;		/* --vapi-base-url without trailing "/" */
	char	   *auth_header;	/* "Authorization: Bearer <key>": never printed */
} vapi_api;

/* Print "vapi-shim: <message>" on stderr. */
#define tool_error(...) shim_print_error("\n", __VA_ARGS__)

/*
 * Report a usage error of "vapi-shim group ..." and point at its --help;
 * gives the usage exit status.
 */
#define tool_usage_error(group, ...) \
	(shim_print_error(tool_try_help(group), __VA_ARGS__), SHIM_EXIT_USAGE)

/* provision.c */
extern const char *tool_try_help(const char *group);
extern int	is_path_id(const char *id);
extern char *vapi_server_url(const shim_config *cfg, int *bad);
extern PGconn *tool_db_connect(const shim_config *cfg);
extern PGresult *tool_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params);
extern const char *tool_field(const PGresult *res, int row, int col);
extern int	vapi_api_init(vapi_api *api, const shim_config *cfg, const char *group);
extern void vapi_api_free(vapi_api *api);
extern long vapi_send(const vapi_api *api, const char *method, const char *path, const char *body,
					  http_response *resp);
extern int	http_ok(long status);
extern void vendor_message(const http_response *resp, char *buf, size_t len);
extern void report_http_failure(const char *method, const char *path, const http_response *resp);
extern json_t *vapi_json(const vapi_api *api, const char *method, const char *path, const char *body,
						 long *status);

/* provision_pool.c: vapi-shim pool fill|sync */
extern void pool_usage(FILE *out);
extern int	pool_fill(const shim_config *cfg, const tool_options *o);
extern int	pool_sync(const shim_config *cfg, const tool_options *o);

/* provision_assistants.c: vapi-shim assistants push */
extern void assistants_usage(FILE *out);
extern int	assistants_push(const shim_config *cfg, const tool_options *o);

#endif							/* VAPI_SHIM_PROVISION_SHARED_H */
