/*
 * config.c
 *	  vapi-shim options: every option is a --flag and a VAPI_POOL_* variable.
 *
 * One table describes each option once; parsing, --help, the start-up
 * summary and the name ("VAPI_POOL_X (--x)") in each error message are all
 * driven from it, so they cannot drift apart.
 *
 * config_load_for runs in phases, each stopping at its first error: the
 * command line, then the environment and the defaults, the refusal of
 * root, then each group of options taken into shim_config and checked
 * (the server's, Vapi authentication, the webhooks', the vendors' APIs, the
 * dispatcher's, the webhook secrets).  The take_* helpers take one option
 * of a kind (a choice, a header name or URL, a prefix, a whole number).
 *
 * vapi-shim refuses to run as root (effective user id 0), whatever the
 * command: it parses what the network sends and holds the API keys and the
 * database URL, so a flaw in it must not come with root's rights.  The flag
 * --allow-root (no value) or VAPI_POOL_ALLOW_ROOT=1 overrides that, for
 * containers whose only user is root.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config.h"
#include "log.h"
#include "text.h"

/* largest --max-body we accept (h2o's own default ceiling) */
#define MAX_BODY_LIMIT ((size_t) 1024 * 1024 * 1024)

/* ranges of the numeric options */
#define DB_POOL_SIZE_MAX 256
#define DB_TIMEOUT_MS_MIN 100
/* Vapi drops an assistant-request answer after 7.5 s end to end: leave room */
#define DB_TIMEOUT_MS_MAX 7000
#define HMAC_TOLERANCE_MAX 86400
#define DISPATCH_CONCURRENCY_MAX 4096
#define DISPATCH_BATCH_MAX 1000
#define DISPATCH_LEASE_MAX 3600	/* an hour: outbox_claim refuses longer leases */
#define DISPATCH_POLL_MS_MIN 10
#define DISPATCH_POLL_MS_MAX 3600000	/* an hour */
#define DISPATCHER_NAME_MAX 200

/* the value of a prefix option that means "no prefix" (empty means not set) */
#define NO_PREFIX "none"

typedef enum option_id
{
	OPT_DATABASE_URL,
	OPT_LISTEN,
	OPT_WEBHOOK_PREFIX,
	OPT_VAPI_AUTH,
	OPT_VAPI_SECRET,
	OPT_VAPI_SECRET_PREVIOUS,
	OPT_VAPI_AUTH_HEADER,
	OPT_VAPI_AUTH_PREFIX,
	OPT_VAPI_HMAC_SIGNATURE_HEADER,
	OPT_VAPI_HMAC_TIMESTAMP_HEADER,
	OPT_VAPI_HMAC_ALGORITHM,
	OPT_VAPI_HMAC_ENCODING,
	OPT_VAPI_HMAC_PREFIX,
	OPT_VAPI_HMAC_PAYLOAD_FORMAT,
	OPT_VAPI_HMAC_TOLERANCE,
	OPT_INTAKE_ASSISTANT_ID,
	OPT_CONNECTOR_ASSISTANT_ID,
	OPT_RECEPTIONIST_ASSISTANT_ID,
	OPT_KNOWN_CALLER_ANSWER,
	OPT_INSTANTLY_HEADER,
	OPT_INSTANTLY_SECRET,
	OPT_INSTANTLY_SECRET_PREVIOUS,
	OPT_CAL_WEBHOOK_SECRET,
	OPT_CAL_WEBHOOK_SECRET_PREVIOUS,
	OPT_DB_POOL_SIZE,
	OPT_DB_GROUP_MAX,
	OPT_DB_ACTIVE_MAX,
	OPT_DB_TIMEOUT_MS,
	OPT_VAPI_API_KEY,
	OPT_VAPI_BASE_URL,
	OPT_CAL_API_KEY,
	OPT_CAL_BASE_URL,
	OPT_PUBLIC_URL,
	OPT_MAX_BODY,
	OPT_DISPATCHER_NAME,
	OPT_DISPATCH_CONCURRENCY,
	OPT_DISPATCH_BATCH,
	OPT_DISPATCH_LEASE,
	OPT_DISPATCH_POLL_MS,
	NUM_OPTIONS
} option_id;

typedef struct shim_option
{
	const char *flag;			/* long flag without the leading "--"; first: see config_find_flag */
	const char *env;			/* environment variable */
	const char *metavar;		/* placeholder shown in --help */
	const char *def;			/* default, or NULL for none */
	int			secret;			/* never print the value */
	const char *help;			/* one line of meaning */
	const char *computed;		/* --help shows this when the default is computed at start-up */
} shim_option;

/*
 * every option, one row each: its flag, variable and placeholder, then
 * what applies of its default, secrecy, meaning and computed default
 */
static const shim_option options[NUM_OPTIONS] = {
	[OPT_DATABASE_URL] = {"database-url", "VAPI_POOL_DATABASE_URL", "CONNINFO", .def = "dbname=postgres", .help = "libpq connection string or URI of the database holding vapi_pool"},
	[OPT_LISTEN] = {"listen", "VAPI_POOL_LISTEN", "HOST:PORT", .def = "127.0.0.1:8080", .help = "address and port to serve HTTP/1.1 on ([v6addr]:port for IPv6, :port for all)"},
	[OPT_WEBHOOK_PREFIX] = {"webhook-prefix", "VAPI_POOL_WEBHOOK_PREFIX", "PATH", .def = "/webhook", .help = "path the webhook routes live under (PATH/vapi, PATH/cal...): starts with /, no trailing /"},
	[OPT_VAPI_AUTH] = {"vapi-auth", "VAPI_POOL_VAPI_AUTH", "MODE", .def = "secret", .help = "how Vapi webhooks authenticate: secret (x-vapi-secret), bearer or hmac"},
	[OPT_VAPI_SECRET] = {"vapi-secret", "VAPI_POOL_VAPI_SECRET", "SECRET", .secret = 1, .help = "REQUIRED shared secret (or HMAC key) that Vapi webhooks must present"},
	[OPT_VAPI_SECRET_PREVIOUS] = {"vapi-secret-previous", "VAPI_POOL_VAPI_SECRET_PREVIOUS", "SECRET", .secret = 1, .help = "previous Vapi secret, still accepted while rotating secrets"},
	[OPT_VAPI_AUTH_HEADER] = {"vapi-auth-header", "VAPI_POOL_VAPI_AUTH_HEADER", "NAME", .def = "Authorization", .help = "bearer mode: request header that carries the Vapi token"},
	[OPT_VAPI_AUTH_PREFIX] = {"vapi-auth-prefix", "VAPI_POOL_VAPI_AUTH_PREFIX", "TEXT", .def = "Bearer ", .help = "bearer mode: text before the token (case-insensitive); none for a bare token"},
	[OPT_VAPI_HMAC_SIGNATURE_HEADER] = {"vapi-hmac-signature-header", "VAPI_POOL_VAPI_HMAC_SIGNATURE_HEADER", "NAME", .def = "x-signature", .help = "hmac mode: request header that carries the signature"},
	[OPT_VAPI_HMAC_TIMESTAMP_HEADER] = {"vapi-hmac-timestamp-header", "VAPI_POOL_VAPI_HMAC_TIMESTAMP_HEADER", "NAME", .def = "x-timestamp", .help = "hmac mode: request header that carries the signing time (epoch seconds or milliseconds)"},
	[OPT_VAPI_HMAC_ALGORITHM] = {"vapi-hmac-algorithm", "VAPI_POOL_VAPI_HMAC_ALGORITHM", "ALG", .def = "sha256", .help = "hmac mode: digest of the HMAC: sha256, sha512 or sha1"},
	[OPT_VAPI_HMAC_ENCODING] = {"vapi-hmac-encoding", "VAPI_POOL_VAPI_HMAC_ENCODING", "ENC", .def = "hex", .help = "hmac mode: how the signature is written: hex (either case) or base64"},
	[OPT_VAPI_HMAC_PREFIX] = {"vapi-hmac-prefix", "VAPI_POOL_VAPI_HMAC_PREFIX", "TEXT", .def = "none", .help = "hmac mode: text before the signature, such as sha256=; stripped when present; none for no prefix"},
	[OPT_VAPI_HMAC_PAYLOAD_FORMAT] = {"vapi-hmac-payload-format", "VAPI_POOL_VAPI_HMAC_PAYLOAD_FORMAT", "FORMAT", .def = "{timestamp}.{body}", .help = "hmac mode: what is signed; {body} (required) is the raw body, {timestamp} the timestamp header; without {timestamp} no timestamp is required or checked"},
	[OPT_VAPI_HMAC_TOLERANCE] = {"vapi-hmac-tolerance", "VAPI_POOL_VAPI_HMAC_TOLERANCE", "SECONDS", .def = "300", .help = "hmac mode: largest accepted difference between the timestamp and the clock, either way (1-86400)"},
	[OPT_INTAKE_ASSISTANT_ID] = {"intake-assistant-id", "VAPI_POOL_INTAKE_ASSISTANT_ID", "ID", .help = "Vapi assistant id of the intake assistant (Barbara) for unknown callers"},
	[OPT_CONNECTOR_ASSISTANT_ID] = {"connector-assistant-id", "VAPI_POOL_CONNECTOR_ASSISTANT_ID", "ID", .help = "Vapi assistant id of the Call Connector, which forwards known callers (lead <-> broker)"},
	[OPT_RECEPTIONIST_ASSISTANT_ID] = {"receptionist-assistant-id", "VAPI_POOL_RECEPTIONIST_ASSISTANT_ID", "ID", .help = "Vapi assistant id of the clinic receptionist (Voxanne), who answers a clinic's callers"},
	[OPT_KNOWN_CALLER_ANSWER] = {"known-caller-answer", "VAPI_POOL_KNOWN_CALLER_ANSWER", "HOW", .def = "assistant", .help = "how an assistant-request from a known caller is answered: assistant (the Call Connector) or forward (direct transfer, no AI)"},
	[OPT_INSTANTLY_HEADER] = {"instantly-header", "VAPI_POOL_INSTANTLY_HEADER", "NAME", .def = "X-Webhook-Secret", .help = "request header that carries the Instantly webhook secret"},
	[OPT_INSTANTLY_SECRET] = {"instantly-secret", "VAPI_POOL_INSTANTLY_SECRET", "SECRET", .secret = 1, .help = "Instantly webhook secret; if not set /webhook/instantly-reply refuses every request (401)"},
	[OPT_INSTANTLY_SECRET_PREVIOUS] = {"instantly-secret-previous", "VAPI_POOL_INSTANTLY_SECRET_PREVIOUS", "SECRET", .secret = 1, .help = "previous Instantly webhook secret, still accepted while rotating secrets"},
	[OPT_CAL_WEBHOOK_SECRET] = {"cal-webhook-secret", "VAPI_POOL_CAL_WEBHOOK_SECRET", "SECRET", .secret = 1, .help = "Cal.com webhook signing secret; if not set /webhook/cal refuses every request (401)"},
	[OPT_CAL_WEBHOOK_SECRET_PREVIOUS] = {"cal-webhook-secret-previous", "VAPI_POOL_CAL_WEBHOOK_SECRET_PREVIOUS", "SECRET", .secret = 1, .help = "previous Cal.com webhook signing secret, still accepted while rotating secrets"},
	[OPT_DB_POOL_SIZE] = {"db-pool-size", "VAPI_POOL_DB_POOL_SIZE", "N", .def = "8", .help = "database connections (and worker threads) for webhook events (1-256)"},
	[OPT_DB_GROUP_MAX] = {"db-group-max", "VAPI_POOL_DB_GROUP_MAX", "N", .def = "16", .help = "most webhooks one database transaction takes when they queue up (group commit, 1-16; 1: each its own transaction)"},
	[OPT_DB_ACTIVE_MAX] = {"db-active-max", "VAPI_POOL_DB_ACTIVE_MAX", "N", .def = "2", .help = "most database connections running webhooks at once (about the database server's cores, 1-256); the others wait while the queue grows into larger groups, or wait for Cal.com"},
	[OPT_DB_TIMEOUT_MS] = {"db-timeout-ms", "VAPI_POOL_DB_TIMEOUT_MS", "MS", .def = "5000", .help = "deadline for one event's database work before the fallback answer (100-7000: Vapi waits at most 7.5 s)"},
	[OPT_VAPI_API_KEY] = {"vapi-api-key", "VAPI_POOL_VAPI_API_KEY", "KEY", .secret = 1, .help = "Vapi API key for outbound calls (required by vapi-shim dispatch); if not set outbound calls are held (jobs stay queued)"},
	[OPT_VAPI_BASE_URL] = {"vapi-base-url", "VAPI_POOL_VAPI_BASE_URL", "URL", .def = "https://api.vapi.ai", .help = "base URL of the Vapi API"},
	[OPT_CAL_API_KEY] = {"cal-api-key", "VAPI_POOL_CAL_API_KEY", "KEY", .secret = 1, .help = "Cal.com API key; if not set vapi-shim dispatch answers Cal.com jobs with an error instead of sending them"},
	[OPT_CAL_BASE_URL] = {"cal-base-url", "VAPI_POOL_CAL_BASE_URL", "URL", .def = "https://api.cal.com/v2", .help = "base URL of the Cal.com API"},
	[OPT_PUBLIC_URL] = {"public-url", "VAPI_POOL_PUBLIC_URL", "URL", .help = "base URL at which Vapi reaches this shim (https://voice.example.com): the server and tool URLs given to Vapi numbers and assistants are built from it"},
	[OPT_MAX_BODY] = {"max-body", "VAPI_POOL_MAX_BODY", "BYTES", .def = "1048576", .help = "largest accepted request body in bytes; larger requests get 413"},
	[OPT_DISPATCHER_NAME] = {"dispatcher-name", "VAPI_POOL_DISPATCHER_NAME", "NAME", .help = "dispatch: the name this dispatcher claims jobs under (outbox.claimed_by)", "HOST:PID"},
	[OPT_DISPATCH_CONCURRENCY] = {"dispatch-concurrency", "VAPI_POOL_DISPATCH_CONCURRENCY", "N", .def = "64", .help = "dispatch: HTTP requests in flight at most, and connections kept per vendor host (1-4096)"},
	[OPT_DISPATCH_BATCH] = {"dispatch-batch", "VAPI_POOL_DISPATCH_BATCH", "N", .def = "32", .help = "dispatch: jobs claimed by one vapi_pool.outbox_claim call at most (1-1000)"},
	[OPT_DISPATCH_LEASE] = {"dispatch-lease", "VAPI_POOL_DISPATCH_LEASE", "SECONDS", .def = "120", .help = "dispatch: lease of a claimed job; past it another dispatcher may take the job over, so keep it above the longest request timeout (vapi_pool.http_timeout_ms) (1-3600)"},
	[OPT_DISPATCH_POLL_MS] = {"dispatch-poll-ms", "VAPI_POOL_DISPATCH_POLL_MS", "MS", .def = "1000", .help = "dispatch: look for due jobs at least this often even without a NOTIFY on vapi_pool_outbox (10-3600000)"},
};

#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

/* the values of the options that name a choice, by the value of its enum */
static const char *const vapi_auth_names[] = {[VAPI_AUTH_SECRET] = "secret", [VAPI_AUTH_BEARER] = "bearer", [VAPI_AUTH_HMAC] = "hmac"};
static const char *const hmac_algorithm_names[] = {[HMAC_SHA256] = "sha256", [HMAC_SHA512] = "sha512", [HMAC_SHA1] = "sha1"};
static const char *const hmac_encoding_names[] = {[HMAC_HEX] = "hex", [HMAC_BASE64] = "base64"};
static const char *const known_caller_names[] = {[KNOWN_CALLER_ASSISTANT] = "assistant", [KNOWN_CALLER_FORWARD] = "forward"};

/* Print --help: every option with its flag, variable, default and meaning. */
static void
print_help(FILE *out)
{
	fprintf(out,
			"vapi-shim %s - webhook receiver (Vapi, Instantly, Cal.com) for the vapi_pool extension\n"
			"\n"
			"Usage: vapi-shim [OPTION]...               the webhook server\n"
			"       vapi-shim dispatch [OPTION]...      deliver the outbox's jobs (Vapi, Cal.com)\n"
			"       vapi-shim status [OPTION]...        how the deployment stands (status --help)\n"
			"       vapi-shim dead-letters [OPTION]...  list or replay dead letters (dead-letters --help)\n"
			"\n"
			"Every option is also read from its VAPI_POOL_* environment variable; a flag\n"
			"given on the command line wins over the variable. An empty value counts as\n"
			"not set; for a prefix option, the value none means \"no prefix\". Prefer the\n"
			"environment for secrets: command lines are visible to other users (ps).\n"
			"Secret values are never printed.\n"
			"\n"
			"Options:\n", SHIM_VERSION);
	for (int i = 0; i < NUM_OPTIONS; i++)
	{
		const shim_option *o = &options[i];
		const char *quote = o->def && strchr(o->def, ' ') ? "\"" : "";	/* show "Bearer "'s space */

		fprintf(out, "  --%s=%s\n", o->flag, o->metavar);
		fprintf(out, "      env %s, default: %s%s%s%s\n", o->env, quote,
				o->def ? o->def : o->computed ? o->computed : "(none)", quote, o->secret ? " [secret]" : "");
		fprintf(out, "      %s\n", o->help);
	}
	fprintf(out,
			"  --allow-root\n"
			"      env VAPI_POOL_ALLOW_ROOT=1: run even as root (effective user id 0), which\n"
			"      vapi-shim otherwise refuses\n"
			"  --help\n"
			"      show this help and exit\n"
			"  --version\n"
			"      show the version and exit\n"
			"\n"
			"Exit status: 0 on clean shutdown (SIGINT/SIGTERM), 1 on a run-time failure,\n"
			"2 on a usage or configuration error.\n");
}

/* Report a usage error on stderr (a start-up message, not a log event); gives CONFIG_EXIT_USAGE. */
#define usage_error(...) \
	(shim_print_error("\nTry \"vapi-shim --help\" for more information.\n", __VA_ARGS__), CONFIG_EXIT_USAGE)

/* what take_valid says of a header name or a base URL it refuses, before the value */
#define NOT_HEADER_NAME "is not a valid header name:"
#define NOT_HTTP_URL "must be an http:// or https:// URL, got"

/* A usage error about option id, named by its variable and flag: "ENV (--flag) <fmt>". */
#define option_error(id, fmt, ...) \
	usage_error("%s (--%s) " fmt, options[id].env, options[id].flag, ##__VA_ARGS__)

/*
 * VAPI_POOL_ALLOW_ROOT's value: 1 for 1/true/yes/on, 0 for unset, empty or
 * 0/false/no/off, -1 for anything else.
 */
static int
parse_allow_root(const char *value)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	if (value == NULL || value[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(value, yes[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(value, no[i]) == 0)
			return 0;
	return -1;
}

/*
 * The index of the flag called name (len bytes, after the "--") among n
 * flags of size bytes each, each beginning with its name (a const char *),
 * as lfind(3) would find it; -1 if none.  The options here and the flags of
 * the provisioning commands (provision.c) are found with it.
 */
int
config_find_flag(const void *flags, size_t n, size_t size, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
	{
		const char *flag = *(const char *const *) ((const char *) flags + i * size);

		if (strlen(flag) == len && strncmp(flag, name, len) == 0)
			return (int) i;
	}
	return -1;
}

/*
 * The arguments argv[first..] of subcommand c: each of its flags (among
 * c->flags, one accepted by c->command) goes to c->set; every other
 * argument, in order (the shared options with their values, --allow-root),
 * into rest, after rest[0] = "vapi-shim" and NULL-terminated, for
 * config_load_for.  Returns CONFIG_ARGS_GO_ON, CONFIG_ARGS_HELP for --help,
 * or the exit status of a usage error, printed with c->help_tail.
 */
static int
split_command_args(const config_command *c, int argc, char **argv, int first, char **rest, int *nrest)
{
	const config_command_flag *flags = c->flags;

	*nrest = 0;
	rest[(*nrest)++] = "vapi-shim";
	for (int i = first; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq;
		size_t		len;
		int			id;
		int			status;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return CONFIG_ARGS_HELP;
		if (strcmp(arg, "--allow-root") == 0)
		{
			/* a shared flag without a value: config_load_for reads it */
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		{
			shim_print_error(c->help_tail, "unexpected argument \"%s\"", arg);
			return SHIM_EXIT_USAGE;
		}
		eq = strchr(arg + 2, '=');
		len = eq ? (size_t) (eq - (arg + 2)) : strlen(arg + 2);
		if ((id = config_find_flag(flags, (size_t) c->nflags, sizeof(flags[0]), arg + 2, len)) < 0)
		{
			/* a shared option: config_load_for reads it (and its value) */
			rest[(*nrest)++] = argv[i];
			if (eq == NULL && i + 1 < argc)
				rest[(*nrest)++] = argv[++i];
			continue;
		}
		if ((flags[id].commands & c->command) == 0)
			status = (shim_print_error(c->help_tail, "--%s is not an option of %s", flags[id].name, c->name),
					  SHIM_EXIT_USAGE);
		else if (!flags[id].has_value)
			status = eq ? (shim_print_error(c->help_tail, "--%s takes no value", flags[id].name), SHIM_EXIT_USAGE) :
				c->set(c->options, id, NULL, c->group);
		else if (eq)
			status = c->set(c->options, id, eq + 1, c->group);
		else if (i + 1 < argc)
			status = c->set(c->options, id, argv[++i], c->group);
		else
			status = (shim_print_error(c->help_tail, "--%s needs a value", flags[id].name), SHIM_EXIT_USAGE);
		if (status != 0)
			return status;
	}
	rest[*nrest] = NULL;
	return CONFIG_ARGS_GO_ON;
}

/*
 * The whole command line of a subcommand with flags of its own (provision.c,
 * operator.c): its flags through c->set, the options every command shares
 * into *cfg (config_load_for, SHIM_TOOL).  Returns CONFIG_ARGS_GO_ON with
 * *cfg loaded, CONFIG_ARGS_HELP for --help (the caller prints its usage),
 * or an exit status: a usage error (printed), or --version and the like.
 */
int
config_load_command(shim_config *cfg, const config_command *c, int argc, char **argv, int first)
{
	char	  **rest = calloc((size_t) argc + 2, sizeof(char *));
	int			nrest;
	int			status;

	if (rest == NULL)
	{
		shim_print_error("\n", "out of memory");
		return EXIT_FAILURE;
	}
	status = split_command_args(c, argc, argv, first, rest, &nrest);
	if (status == CONFIG_ARGS_GO_ON)
		switch (config_load_for(cfg, SHIM_TOOL, nrest, rest))
		{
			case CONFIG_OK:
				break;
			case CONFIG_EXIT_SUCCESS:
				status = EXIT_SUCCESS;
				break;
			case CONFIG_EXIT_USAGE:
				status = SHIM_EXIT_USAGE;
				break;
		}
	free(rest);
	return status;
}

/* Split host:port, [v6]:port or :port; the host is strdup'd. */
static int
parse_listen(const char *value, char **host, int *port)
{
	const char *colon;
	const char *host_start = value;
	size_t		host_len;
	char	   *end;
	long		p;

	if (value[0] == '[')
	{
		const char *close = strchr(value, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		host_start = value + 1;
		host_len = (size_t) (close - host_start);
		colon = close + 1;
	}
	else
	{
		colon = strrchr(value, ':');
		if (colon == NULL || memchr(value, ':', (size_t) (colon - value)) != NULL)
			return -1;			/* no port, or a bare IPv6 address */
		host_len = (size_t) (colon - value);
	}

	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || p < 1 || p > 65535)
		return -1;

	*host = strndup(host_start, host_len);
	*port = (int) p;
	return *host == NULL ? -1 : 0;
}

/* Parse a positive decimal byte count no larger than MAX_BODY_LIMIT. */
static int
parse_size(const char *value, size_t *out)
{
	char	   *end;
	unsigned long long v;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > MAX_BODY_LIMIT)
		return -1;
	*out = (size_t) v;
	return 0;
}

/* Check that the database URL parses as libpq conninfo (without echoing it). */
static int
check_conninfo(const char *conninfo)
{
	char	   *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);

	if (err)
		PQfreemem(err);
	if (opts == NULL)
		return -1;
	PQconninfoFree(opts);
	return 0;
}

/* Parse a decimal integer from min to max (no sign, no trailing text). */
static int
parse_int_range(const char *value, int min, int max, int *out)
{
	char	   *end;
	long		v;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int) v;
	return 0;
}

/*
 * Can a secret be presented verbatim in a header?  Header values lose their
 * leading and trailing white space in transit and cannot hold control
 * characters, so such a secret could never match.
 */
static int
is_header_secret(const char *secret)
{
	size_t		len = strlen(secret);

	return !shim_has_control_char(secret) &&
		secret[0] != ' ' && secret[len - 1] != ' ';
}

/* A prefix option's value: "none" means no prefix at all. */
static const char *
prefix_value(const char *value)
{
	return strcmp(value, NO_PREFIX) == 0 ? "" : value;
}

/*
 * Check an HMAC payload format: literal text with the placeholders {body}
 * (required) and {timestamp}; any other "{" is an error, to catch typos.
 */
static int
check_payload_format(const char *format)
{
	int			has_body = 0;

	if (shim_has_control_char(format))
		return -1;
	for (const char *p = format; (p = strchr(p, '{')) != NULL;)
	{
		if (strncmp(p, "{body}", 6) == 0)
		{
			has_body = 1;
			p += 6;
		}
		else if (strncmp(p, "{timestamp}", 11) == 0)
			p += 11;
		else
			return -1;
	}
	return has_body ? 0 : -1;
}

/*
 * Check a webhook path prefix: "/" then segments of URL path characters, no
 * empty, "." or ".." segment, no trailing "/" (h2o normalises request paths,
 * so a prefix that is not normal form would never match).
 */
static int
check_webhook_prefix(const char *prefix)
{
	static const char path_punct[] = "-._~!$&'()*+,;=:@";
	const char *seg = prefix + 1;

	if (prefix[0] != '/')
		return -1;
	for (const char *p = prefix + 1;; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '/' || c == '\0')
		{
			size_t		len = (size_t) (p - seg);

			if (len == 0 || (len == 1 && seg[0] == '.') ||
				(len == 2 && seg[0] == '.' && seg[1] == '.'))
				return -1;
			if (c == '\0')
				return 0;
			seg = p + 1;
		}
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				   strchr(path_punct, c) != NULL))
			return -1;
	}
}

/* Is url an absolute http:// or https:// URL without control characters or spaces? */
static int
is_http_url(const char *url)
{
	return shim_is_http_url(url, " ");
}

/* The default dispatcher name: HOST:PID (kept in a static buffer). */
static const char *
default_dispatcher_name(void)
{
	static char name[DISPATCHER_NAME_MAX + 1];
	char		host[128];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, sizeof(name), "%s:%d", host, (int) getpid());
	return name;
}

/* ---------------------------------------------------------------- taking one option */

/*
 * Take choice option id: *choice is the enum value of its value among names
 * (n of them, by enum value); else a usage error that lists them.
 */
static config_result
take_choice(const char *const *values, option_id id, const char *const *names, size_t n, int *choice)
{
	char		list[80] = "";

	for (size_t i = 0; i < n; i++)
		if (strcmp(values[id], names[i]) == 0)
		{
			*choice = (int) i;
			return CONFIG_OK;
		}
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i == 0 ? "" : i + 1 < n ? ", " : " or ", names[i]);
	return option_error(id, "must be %s, got \"%s\"", list, values[id]);
}

/*
 * Take option id into *out if check accepts its value, else a usage error:
 * the option, complaint and the value quoted.
 */
static config_result
take_valid(const char *const *values, option_id id, int (*check) (const char *), const char *complaint,
		   const char **out)
{
	*out = values[id];
	if (!check(*out))
		return option_error(id, "%s \"%s\"", complaint, *out);
	return CONFIG_OK;
}

/* Take prefix option id into *out: "none" for no prefix, no control character. */
static config_result
take_prefix(const char *const *values, option_id id, const char **out)
{
	*out = prefix_value(values[id]);
	if (shim_has_control_char(*out))
		return option_error(id, "must not contain control characters");
	return CONFIG_OK;
}

/* Take whole-number option id, from min to max of what it counts, into *out. */
static config_result
take_int(const char *const *values, option_id id, int min, int max, const char *what, int *out)
{
	if (parse_int_range(values[id], min, max, out) != 0)
		return option_error(id, "must be %s from %d to %d, got \"%s\"", what, min, max, values[id]);
	return CONFIG_OK;
}

/*
 * Check that the two secrets of options first and second (unset ones pass)
 * can be sent as header values; else a usage error naming both.
 */
static config_result
check_header_secrets(const char *const *values, option_id first, option_id second)
{
	if ((values[first] && !is_header_secret(values[first])) ||
		(values[second] && !is_header_secret(values[second])))
		return usage_error("%s and %s must not start or end with a space or contain control characters: a header value cannot carry them",
						   options[first].env, options[second].env);
	return CONFIG_OK;
}

/* A previous secret alone would be a route that refuses everything: refuse it. */
static config_result
check_rotation(const char *const *values, option_id current, option_id previous)
{
	if (values[previous] && values[current] == NULL)
		return usage_error("%s is set but %s is not: set the current secret too",
						   options[previous].env, options[current].env);
	return CONFIG_OK;
}

/* ---------------------------------------------------------------- the phases of config_load_for */

/*
 * Take the command line into values (by option id): --flag=value or --flag
 * value; --allow-root sets *allow_root.  CONFIG_OK to go on; --help and
 * --version are printed here, a usage error too.
 */
static config_result
read_command_line(int argc, char **argv, const char **values, int *allow_root)
{
	for (int i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq;
		size_t		name_len;
		int			id;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
		{
			print_help(stdout);
			return CONFIG_EXIT_SUCCESS;
		}
		if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0)
		{
			printf("vapi-shim %s\n", SHIM_VERSION);
			return CONFIG_EXIT_SUCCESS;
		}
		if (strcmp(arg, "--allow-root") == 0)
		{
			*allow_root = 1;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return usage_error("unexpected argument \"%s\"", arg);

		eq = strchr(arg + 2, '=');
		name_len = eq ? (size_t) (eq - (arg + 2)) : strlen(arg + 2);
		id = config_find_flag(options, NUM_OPTIONS, sizeof(options[0]), arg + 2, name_len);
		if (id < 0)
			return usage_error("unknown option \"--%.*s\"", (int) name_len, arg + 2);
		if (eq)
			values[id] = eq + 1;
		else if (i + 1 < argc)
			values[id] = argv[++i];
		else
			return usage_error("option \"--%s\" needs a value", options[id].flag);
	}
	return CONFIG_OK;
}

/* Fill what the command line left unset from the environment, then the defaults; empty means not set. */
static void
read_environment(const char **values)
{
	const char *v;

	for (int id = 0; id < NUM_OPTIONS; id++)
	{
		if (values[id] != NULL && values[id][0] == '\0')
			values[id] = NULL;
		if (values[id] == NULL && (v = getenv(options[id].env)) != NULL && v[0] != '\0')
			values[id] = v;
		if (values[id] == NULL)
			values[id] = options[id].def;
	}
}

/* Refuse to run as root unless --allow-root or VAPI_POOL_ALLOW_ROOT says so. */
static config_result
check_root(int allow_root)
{
	if (!allow_root && (allow_root = parse_allow_root(getenv("VAPI_POOL_ALLOW_ROOT"))) < 0)
		return usage_error("VAPI_POOL_ALLOW_ROOT must be 1 (run even as root) or 0, got \"%s\"",
						   getenv("VAPI_POOL_ALLOW_ROOT"));
	if (geteuid() == 0 && !allow_root)
		return usage_error("refusing to run as root (effective user id 0): run vapi-shim as an unprivileged user, or set VAPI_POOL_ALLOW_ROOT=1 (or --allow-root) to run it as root anyway");
	return CONFIG_OK;
}

/* Take and check where the server listens and which database it uses. */
static config_result
load_server_options(shim_config *cfg, const char *const *values)
{
	cfg->database_url = values[OPT_DATABASE_URL];
	cfg->listen = values[OPT_LISTEN];
	cfg->webhook_prefix = values[OPT_WEBHOOK_PREFIX];

	if (check_conninfo(cfg->database_url) != 0)
		return option_error(OPT_DATABASE_URL, "is not a valid libpq connection string");
	if (parse_listen(cfg->listen, &cfg->listen_host, &cfg->listen_port) != 0)
		return option_error(OPT_LISTEN, "must be HOST:PORT, [IPV6]:PORT or :PORT with port 1-65535, got \"%s\"",
							cfg->listen);
	if (check_webhook_prefix(cfg->webhook_prefix) != 0)
		return option_error(OPT_WEBHOOK_PREFIX, "must be a path such as /webhook: starting with /, not ending with /, no empty, . or .. segment, got \"%s\"",
							cfg->webhook_prefix);
	return CONFIG_OK;
}

/*
 * Take and check how Vapi webhooks authenticate: every mode's settings are
 * checked, whichever mode is in use.
 */
static config_result
load_vapi_auth_options(shim_config *cfg, const char *const *values)
{
	int			auth;
	int			algorithm;
	int			encoding;
	config_result r;

	cfg->vapi_secret = values[OPT_VAPI_SECRET];
	cfg->vapi_secret_previous = values[OPT_VAPI_SECRET_PREVIOUS];
	cfg->hmac_payload_format = values[OPT_VAPI_HMAC_PAYLOAD_FORMAT];
	if ((r = take_choice(values, OPT_VAPI_AUTH, vapi_auth_names, lengthof(vapi_auth_names), &auth)) != CONFIG_OK ||
		(r = take_valid(values, OPT_VAPI_AUTH_HEADER, shim_is_http_token, NOT_HEADER_NAME, &cfg->vapi_auth_header)) != CONFIG_OK ||
		(r = take_prefix(values, OPT_VAPI_AUTH_PREFIX, &cfg->vapi_auth_prefix)) != CONFIG_OK ||
		(r = take_valid(values, OPT_VAPI_HMAC_SIGNATURE_HEADER, shim_is_http_token, NOT_HEADER_NAME,
						&cfg->hmac_signature_header)) != CONFIG_OK ||
		(r = take_valid(values, OPT_VAPI_HMAC_TIMESTAMP_HEADER, shim_is_http_token, NOT_HEADER_NAME,
						&cfg->hmac_timestamp_header)) != CONFIG_OK ||
		(r = take_choice(values, OPT_VAPI_HMAC_ALGORITHM, hmac_algorithm_names, lengthof(hmac_algorithm_names),
						 &algorithm)) != CONFIG_OK ||
		(r = take_choice(values, OPT_VAPI_HMAC_ENCODING, hmac_encoding_names, lengthof(hmac_encoding_names),
						 &encoding)) != CONFIG_OK ||
		(r = take_prefix(values, OPT_VAPI_HMAC_PREFIX, &cfg->hmac_prefix)) != CONFIG_OK)
		return r;
	cfg->vapi_auth = (vapi_auth_mode) auth;
	cfg->hmac_algorithm = (hmac_algorithm) algorithm;
	cfg->hmac_encoding = (hmac_encoding) encoding;
	if (check_payload_format(cfg->hmac_payload_format) != 0)
		return option_error(OPT_VAPI_HMAC_PAYLOAD_FORMAT, "must contain {body}, and no placeholder but {body} and {timestamp}, got \"%s\"",
							cfg->hmac_payload_format);
	return take_int(values, OPT_VAPI_HMAC_TOLERANCE, 1, HMAC_TOLERANCE_MAX, "seconds", &cfg->hmac_tolerance_s);
}

/*
 * Take and check how webhooks are answered: the assistants, known callers,
 * the database pool and deadline, the largest body, Instantly's header.
 */
static config_result
load_webhook_options(shim_config *cfg, const char *const *values)
{
	int			known_caller;
	config_result r;

	cfg->intake_assistant_id = values[OPT_INTAKE_ASSISTANT_ID];
	cfg->connector_assistant_id = values[OPT_CONNECTOR_ASSISTANT_ID];
	cfg->receptionist_assistant_id = values[OPT_RECEPTIONIST_ASSISTANT_ID];
	if ((r = take_choice(values, OPT_KNOWN_CALLER_ANSWER, known_caller_names, lengthof(known_caller_names),
						 &known_caller)) != CONFIG_OK ||
		(r = take_int(values, OPT_DB_POOL_SIZE, 1, DB_POOL_SIZE_MAX, "a number of connections",
					  &cfg->db_pool_size)) != CONFIG_OK ||
		(r = take_int(values, OPT_DB_GROUP_MAX, 1, SHIM_DB_GROUP_MAX, "a number of webhooks",
					  &cfg->db_group_max)) != CONFIG_OK ||
		(r = take_int(values, OPT_DB_ACTIVE_MAX, 1, DB_POOL_SIZE_MAX, "a number of connections",
					  &cfg->db_active_max)) != CONFIG_OK)
		return r;
	cfg->known_caller = (known_caller_answer) known_caller;
	if (parse_int_range(values[OPT_DB_TIMEOUT_MS], DB_TIMEOUT_MS_MIN, DB_TIMEOUT_MS_MAX, &cfg->db_timeout_ms) != 0)
		return option_error(OPT_DB_TIMEOUT_MS, "must be milliseconds from %d to %d (Vapi waits at most 7.5 s for an assistant-request answer), got \"%s\"",
							DB_TIMEOUT_MS_MIN, DB_TIMEOUT_MS_MAX, values[OPT_DB_TIMEOUT_MS]);
	if (parse_size(values[OPT_MAX_BODY], &cfg->max_body) != 0)
		return option_error(OPT_MAX_BODY, "must be a byte count from 1 to %zu, got \"%s\"",
							MAX_BODY_LIMIT, values[OPT_MAX_BODY]);
	return take_valid(values, OPT_INSTANTLY_HEADER, shim_is_http_token, NOT_HEADER_NAME, &cfg->instantly_header);
}

/* Take and check the vendors' APIs (base URLs, keys) and where Vapi reaches this shim. */
static config_result
load_vendor_options(shim_config *cfg, const char *const *values)
{
	config_result r;

	if ((r = take_valid(values, OPT_VAPI_BASE_URL, is_http_url, NOT_HTTP_URL, &cfg->vapi_base_url)) != CONFIG_OK ||
		(r = take_valid(values, OPT_CAL_BASE_URL, is_http_url, NOT_HTTP_URL, &cfg->cal_base_url)) != CONFIG_OK)
		return r;
	cfg->public_url = values[OPT_PUBLIC_URL];
	/* the API keys go out as "Authorization: Bearer KEY" */
	cfg->vapi_api_key = values[OPT_VAPI_API_KEY];
	cfg->cal_api_key = values[OPT_CAL_API_KEY];
	return check_header_secrets(values, OPT_VAPI_API_KEY, OPT_CAL_API_KEY);
}

/* Take and check the dispatcher's options (only vapi-shim dispatch uses them). */
static config_result
load_dispatch_options(shim_config *cfg, const char *const *values)
{
	config_result r;

	cfg->dispatcher_name = values[OPT_DISPATCHER_NAME] ? values[OPT_DISPATCHER_NAME] : default_dispatcher_name();
	if (strlen(cfg->dispatcher_name) > DISPATCHER_NAME_MAX || shim_has_control_char(cfg->dispatcher_name))
		return option_error(OPT_DISPATCHER_NAME, "must be at most %d characters without control characters",
							DISPATCHER_NAME_MAX);
	if ((r = take_int(values, OPT_DISPATCH_CONCURRENCY, 1, DISPATCH_CONCURRENCY_MAX, "a number of requests",
					  &cfg->dispatch_concurrency)) != CONFIG_OK ||
		(r = take_int(values, OPT_DISPATCH_BATCH, 1, DISPATCH_BATCH_MAX, "a number of jobs", &cfg->dispatch_batch)) != CONFIG_OK ||
		(r = take_int(values, OPT_DISPATCH_LEASE, 1, DISPATCH_LEASE_MAX, "seconds", &cfg->dispatch_lease_s)) != CONFIG_OK ||
		(r = take_int(values, OPT_DISPATCH_POLL_MS, DISPATCH_POLL_MS_MIN, DISPATCH_POLL_MS_MAX, "milliseconds",
					  &cfg->dispatch_poll_ms)) != CONFIG_OK)
		return r;
	if (cfg->command == SHIM_DISPATCH && cfg->vapi_api_key == NULL)
		return usage_error("VAPI_POOL_VAPI_API_KEY is not set (or --vapi-api-key): vapi-shim dispatch cannot send Vapi jobs without it");
	return CONFIG_OK;
}

/*
 * Take and check the webhook secrets: the Vapi secret the server needs,
 * each secret sent as a header value one that can be sent that way, and no
 * previous secret without a current one.
 */
static config_result
load_webhook_secrets(shim_config *cfg, const char *const *values)
{
	config_result r;

	cfg->instantly_secret = values[OPT_INSTANTLY_SECRET];
	cfg->instantly_secret_previous = values[OPT_INSTANTLY_SECRET_PREVIOUS];
	cfg->cal_webhook_secret = values[OPT_CAL_WEBHOOK_SECRET];
	cfg->cal_webhook_secret_previous = values[OPT_CAL_WEBHOOK_SECRET_PREVIOUS];

	if (cfg->vapi_secret == NULL && cfg->command == SHIM_SERVE)
		return usage_error("VAPI_POOL_VAPI_SECRET is not set (or --vapi-secret): refusing to start without the Vapi webhook secret");
	/* an HMAC key is never sent: only the other modes' secrets travel as header values */
	if (cfg->vapi_auth != VAPI_AUTH_HMAC && cfg->vapi_secret &&
		(r = check_header_secrets(values, OPT_VAPI_SECRET, OPT_VAPI_SECRET_PREVIOUS)) != CONFIG_OK)
		return r;
	if ((r = check_header_secrets(values, OPT_INSTANTLY_SECRET, OPT_INSTANTLY_SECRET_PREVIOUS)) != CONFIG_OK ||
		(r = check_rotation(values, OPT_INSTANTLY_SECRET, OPT_INSTANTLY_SECRET_PREVIOUS)) != CONFIG_OK)
		return r;
	return check_rotation(values, OPT_CAL_WEBHOOK_SECRET, OPT_CAL_WEBHOOK_SECRET_PREVIOUS);
}

/*
 * config_load() for one command: only the server (SHIM_SERVE) needs the
 * webhook secret; the dispatcher and the tools share every other option.
 * The phases run in this order, and each stops at its first error: the
 * command line, the environment and defaults, the refusal of root, then
 * each group of options taken into *cfg and checked (messages name the
 * variable and never echo a secret).
 */
config_result
config_load_for(shim_config *cfg, shim_command command, int argc, char **argv)
{
	const char *values[NUM_OPTIONS] = {0};
	int			allow_root = 0;
	config_result r;

	if ((r = read_command_line(argc, argv, values, &allow_root)) != CONFIG_OK)
		return r;
	read_environment(values);
	if ((r = check_root(allow_root)) != CONFIG_OK)
		return r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->command = command;
	if ((r = load_server_options(cfg, values)) != CONFIG_OK ||
		(r = load_vapi_auth_options(cfg, values)) != CONFIG_OK ||
		(r = load_webhook_options(cfg, values)) != CONFIG_OK ||
		(r = load_vendor_options(cfg, values)) != CONFIG_OK ||
		(r = load_dispatch_options(cfg, values)) != CONFIG_OK)
		return r;
	return load_webhook_secrets(cfg, values);
}

/*
 * Fill *cfg from flags, then environment, then defaults, and validate it.
 * Prints --help/--version or a one-line error itself.
 */
config_result
config_load(shim_config *cfg, int argc, char **argv)
{
	return config_load_for(cfg, SHIM_SERVE, argc, argv);
}

/* Name of a Vapi authentication mode, as spelled in the option. */
const char *
config_vapi_auth_name(vapi_auth_mode mode)
{
	return (size_t) mode < lengthof(vapi_auth_names) ? vapi_auth_names[mode] : "?";
}

/* Describe the database target (host, port, db, user), the password masked. */
static void
describe_conninfo(const char *conninfo, char *buf, size_t buflen)
{
	static const char *const shown[] = {"host", "hostaddr", "port", "dbname", "user", "password"};
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	size_t		len = 0;

	buf[0] = '\0';
	if (opts == NULL)
		return;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
	{
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]) && len < buflen; i++)
		{
			if (strcmp(o->keyword, shown[i]) == 0)
			{
				int			is_password = strcmp(o->keyword, "password") == 0;
				int			n = snprintf(buf + len, buflen - len, "%s%s=%s", len ? " " : "",
										 o->keyword, is_password ? "(set)" : o->val);

				if (n > 0)
					len += (size_t) n;
			}
		}
	}
	PQconninfoFree(opts);
}

/* Show the value of a secret option as (set) or (not set), never the value. */
static const char *
secret_state(const char *value)
{
	return value ? "(set)" : "(not set)";
}

/* Name of an HMAC digest, as spelled in the option. */
static const char *
hmac_algorithm_name(hmac_algorithm alg)
{
	return (size_t) alg < lengthof(hmac_algorithm_names) ? hmac_algorithm_names[alg] : "?";
}

/* Show a prefix option's value quoted, or (none) for no prefix. */
static const char *
describe_prefix(const char *prefix, char *buf, size_t buflen)
{
	if (prefix[0] == '\0')
		return "(none)";
	snprintf(buf, buflen, "\"%s\"", prefix);
	return buf;
}

/* The start-up summary of vapi-shim dispatch, keys masked. */
static void
log_dispatch_summary(const shim_config *cfg, const char *db)
{
	shim_log(SHIM_LOG_INFO, "config: database %s, dispatcher %s", db[0] ? db : "(libpq defaults)",
			 cfg->dispatcher_name);
	shim_log(SHIM_LOG_INFO, "config: %d requests in flight, claims of %d jobs, lease %d s, poll every %d ms",
			 cfg->dispatch_concurrency, cfg->dispatch_batch, cfg->dispatch_lease_s, cfg->dispatch_poll_ms);
	shim_log(SHIM_LOG_INFO, "config: vapi api %s key %s, cal api %s key %s",
			 cfg->vapi_base_url, secret_state(cfg->vapi_api_key),
			 cfg->cal_base_url, secret_state(cfg->cal_api_key));
	shim_log(SHIM_LOG_INFO, "config: intake assistant %s, connector assistant %s",
			 cfg->intake_assistant_id ? cfg->intake_assistant_id : "(not set)",
			 cfg->connector_assistant_id ? cfg->connector_assistant_id : "(not set)");
	if (cfg->cal_api_key == NULL)
		shim_log(SHIM_LOG_WARNING, "VAPI_POOL_CAL_API_KEY is not set: Cal.com jobs are answered \"cal.com API key not configured\" without being sent");
}

/* Log the effective configuration once at start-up, secrets masked. */
void
config_log_summary(const shim_config *cfg)
{
	char		db[512];
	char		prefix[128];

	describe_conninfo(cfg->database_url, db, sizeof(db));
	if (geteuid() == 0)
		shim_log(SHIM_LOG_WARNING, "running as root (VAPI_POOL_ALLOW_ROOT / --allow-root): prefer an unprivileged user");
	if (cfg->command == SHIM_DISPATCH)
	{
		log_dispatch_summary(cfg, db);
		return;
	}
	shim_log(SHIM_LOG_INFO, "config: database %s, pool %d connections (%d at once), groups of up to %d webhooks, deadline %d ms per event",
			 db[0] ? db : "(libpq defaults)", cfg->db_pool_size,
			 cfg->db_active_max < cfg->db_pool_size ? cfg->db_active_max : cfg->db_pool_size,
			 cfg->db_group_max, cfg->db_timeout_ms);
	shim_log(SHIM_LOG_INFO, "config: listen %s, webhooks under %s, max body %zu bytes",
			 cfg->listen, cfg->webhook_prefix, cfg->max_body);
	shim_log(SHIM_LOG_INFO, "config: vapi auth %s, vapi secret %s, previous vapi secret %s",
			 config_vapi_auth_name(cfg->vapi_auth), secret_state(cfg->vapi_secret),
			 secret_state(cfg->vapi_secret_previous));
	if (cfg->vapi_auth == VAPI_AUTH_BEARER)
		shim_log(SHIM_LOG_INFO, "config: vapi bearer header %s, prefix %s", cfg->vapi_auth_header,
				 describe_prefix(cfg->vapi_auth_prefix, prefix, sizeof(prefix)));
	else if (cfg->vapi_auth == VAPI_AUTH_HMAC)
		shim_log(SHIM_LOG_INFO, "config: vapi hmac %s %s, signature header %s, prefix %s, timestamp header %s, payload \"%s\", tolerance %d s",
				 hmac_algorithm_name(cfg->hmac_algorithm),
				 hmac_encoding_names[cfg->hmac_encoding], cfg->hmac_signature_header,
				 describe_prefix(cfg->hmac_prefix, prefix, sizeof(prefix)),
				 cfg->hmac_timestamp_header, cfg->hmac_payload_format, cfg->hmac_tolerance_s);
	shim_log(SHIM_LOG_INFO, "config: intake assistant %s, connector assistant %s, known callers get %s",
			 cfg->intake_assistant_id ? cfg->intake_assistant_id : "(not set)",
			 cfg->connector_assistant_id ? cfg->connector_assistant_id : "(not set)",
			 cfg->known_caller == KNOWN_CALLER_FORWARD ? "a direct forward" : "the connector assistant");
	shim_log(SHIM_LOG_INFO, "config: clinic receptionist %s",
			 cfg->receptionist_assistant_id ? cfg->receptionist_assistant_id : "(not set)");
	shim_log(SHIM_LOG_INFO, "config: instantly header %s, instantly secret %s, previous instantly secret %s",
			 cfg->instantly_header, secret_state(cfg->instantly_secret),
			 secret_state(cfg->instantly_secret_previous));
	shim_log(SHIM_LOG_INFO, "config: cal webhook secret %s, previous cal webhook secret %s",
			 secret_state(cfg->cal_webhook_secret), secret_state(cfg->cal_webhook_secret_previous));
	shim_log(SHIM_LOG_INFO, "config: vapi api %s key %s, cal api %s key %s",
			 cfg->vapi_base_url, secret_state(cfg->vapi_api_key),
			 cfg->cal_base_url, secret_state(cfg->cal_api_key));

	if (cfg->instantly_secret == NULL)
		shim_log(SHIM_LOG_WARNING, "VAPI_POOL_INSTANTLY_SECRET is not set: %s/instantly-reply will refuse every request (401)",
				 cfg->webhook_prefix);
	if (cfg->cal_webhook_secret == NULL)
		shim_log(SHIM_LOG_WARNING, "VAPI_POOL_CAL_WEBHOOK_SECRET is not set: %s/cal will refuse every request (401)",
				 cfg->webhook_prefix);
	if (cfg->vapi_api_key == NULL)
		shim_log(SHIM_LOG_WARNING, "outbound calls are held: VAPI_POOL_VAPI_API_KEY is not set (jobs stay queued)");
}
