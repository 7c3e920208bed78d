/*
 * config.h
 *	  vapi-shim options: every option is a --flag and a VAPI_POOL_* variable.
 *
 * The command-line flag wins over the environment variable, which wins over
 * the built-in default.  An empty value counts as "not set"; for the prefix
 * options (--vapi-auth-prefix, --vapi-hmac-prefix) the value "none" means
 * "no prefix", stored as "".
 */
#ifndef VAPI_SHIM_CONFIG_H
#define VAPI_SHIM_CONFIG_H

#include <stddef.h>

#ifndef EXTVERSION
#error "EXTVERSION must be defined, e.g. -DEXTVERSION='\"0.1.0\"'"
#endif

#define SHIM_VERSION EXTVERSION

/* the most webhooks one database transaction takes (--db-group-max) */
#define SHIM_DB_GROUP_MAX 16

/* how Vapi webhooks prove they come from Vapi */
typedef enum vapi_auth_mode
{
	VAPI_AUTH_SECRET,			/* x-vapi-secret header */
	VAPI_AUTH_BEARER,			/* Authorization: Bearer <secret> */
	VAPI_AUTH_HMAC				/* HMAC signature of the body */
} vapi_auth_mode;

/* the digest of a Vapi HMAC credential */
typedef enum hmac_algorithm
{
	HMAC_SHA256,
	HMAC_SHA512,
	HMAC_SHA1
} hmac_algorithm;

/* how a Vapi HMAC signature is written */
typedef enum hmac_encoding
{
	HMAC_HEX,
	HMAC_BASE64
} hmac_encoding;

/* what assistant-request answers for a known caller */
typedef enum known_caller_answer
{
	KNOWN_CALLER_ASSISTANT,		/* the Call Connector assistant with variableValues */
	KNOWN_CALLER_FORWARD		/* a direct destination forward, no AI */
} known_caller_answer;

/* what this run of vapi-shim does */
typedef enum shim_command
{
	SHIM_SERVE,					/* the webhook server (no subcommand) */
	SHIM_DISPATCH,				/* vapi-shim dispatch: deliver outbox jobs */
	SHIM_TOOL					/* vapi-shim pool ... / assistants ...: one-shot commands */
} shim_command;

typedef struct shim_config
{
	shim_command command;
	const char *database_url;	/* libpq conninfo string or URI */
	const char *listen;			/* host:port as given */
	char	   *listen_host;	/* parsed host ("" = all interfaces) */
	int			listen_port;	/* parsed port */
	vapi_auth_mode vapi_auth;
	const char *vapi_secret;	/* required */
	const char *vapi_secret_previous;	/* optional, for rotation */
	const char *vapi_auth_header;	/* bearer mode: header name (Authorization) */
	const char *vapi_auth_prefix;	/* bearer mode: value prefix ("Bearer ", "" for none) */
	const char *hmac_signature_header;	/* hmac mode: x-signature */
	const char *hmac_timestamp_header;	/* hmac mode: x-timestamp */
	hmac_algorithm hmac_algorithm;
	hmac_encoding hmac_encoding;
	const char *hmac_prefix;	/* e.g. "sha256=", "" for none */
	const char *hmac_payload_format;	/* "{timestamp}.{body}" */
	int			hmac_tolerance_s;	/* accepted clock skew, seconds (300) */
	const char *intake_assistant_id;
	const char *connector_assistant_id;
	const char *receptionist_assistant_id;	/* a clinic's callers' assistant (optional) */
	const char *instantly_header;
	const char *instantly_secret;	/* optional; unset = route refuses */
	const char *instantly_secret_previous;	/* optional, for rotation */
	const char *cal_webhook_secret; /* optional; unset = route refuses */
	const char *cal_webhook_secret_previous;	/* optional, for rotation */
	known_caller_answer known_caller;
	const char *webhook_prefix;	/* "/webhook": routes live under it */
	int			db_pool_size;	/* database connections (worker threads) */
	int			db_group_max;	/* most webhooks one transaction takes (up to SHIM_DB_GROUP_MAX) */
	int			db_active_max;	/* most connections running webhooks at once */
	int			db_timeout_ms;	/* deadline for one event's database work */
	const char *vapi_api_key;	/* optional; unset = outbound calls held */
	const char *vapi_base_url;
	const char *cal_api_key;
	const char *cal_base_url;
	const char *public_url;	/* where Vapi reaches this shim; NULL = not set */
	size_t		max_body;		/* largest accepted request body, bytes */
	const char *dispatcher_name;	/* dispatch: who claims jobs (default host:pid) */
	int			dispatch_concurrency;	/* dispatch: requests in flight at most */
	int			dispatch_batch; /* dispatch: jobs claimed at once at most */
	int			dispatch_lease_s;	/* dispatch: lease of a claimed job, seconds */
	int			dispatch_poll_ms;	/* dispatch: safety-net poll when no NOTIFY came */
} shim_config;

/* what config_load() decided */
typedef enum config_result
{
	CONFIG_OK,					/* run the server */
	CONFIG_EXIT_SUCCESS,		/* --help or --version was printed */
	CONFIG_EXIT_USAGE			/* bad option or value; message printed */
} config_result;

#define SHIM_EXIT_USAGE 2

extern config_result config_load(shim_config *cfg, int argc, char **argv);
extern config_result config_load_for(shim_config *cfg, shim_command command, int argc, char **argv);
extern const char *config_vapi_auth_name(vapi_auth_mode mode);
extern int	config_find_flag(const void *flags, size_t n, size_t size, const char *name, size_t len);

/* A flag of a subcommand of its own (vapi-shim pool fill, status, ...). */
typedef struct config_command_flag
{
	const char *name;			/* without the leading "--"; first: see config_find_flag */
	int			has_value;
	unsigned	commands;		/* the subcommands (one bit each) that accept it */
} config_command_flag;

/* Sets the subcommand flag id (value NULL for a flag without one); 0, or a usage error's exit status. */
typedef int (*config_set_flag_fn) (void *options, int id, const char *value, const char *group);

/* A subcommand with flags of its own, as config_load_command reads it. */
typedef struct config_command
{
	const config_command_flag *flags;
	int			nflags;
	unsigned	command;		/* this subcommand's bit in flags[].commands */
	const char *group;			/* what set is told (e.g. "pool") */
	const char *name;			/* the subcommand as messages name it (e.g. "pool fill") */
	const char *help_tail;		/* what a usage error ends with */
	config_set_flag_fn set;
	void	   *options;		/* what set fills */
} config_command;

/* config_load_command: go on (*cfg loaded), or print the usage (--help) */
#define CONFIG_ARGS_GO_ON (-1)
#define CONFIG_ARGS_HELP (-2)

extern int	config_load_command(shim_config *cfg, const config_command *c, int argc, char **argv, int first);
extern void config_log_summary(const shim_config *cfg);

#endif							/* VAPI_SHIM_CONFIG_H */
