/*
 * config.c
 *	  vapi-shim options: every option is a --flag and a VAPI_POOL_* variable.
 *
 * One table describes each option once; parsing, --help and the start-up
 * summary are all driven from it, so they cannot drift apart.
 *
 * vapi-shim refuses to run as root (effective user id 0), whatever the
 * command: it parses what the network sends and holds the API keys and the
 * database URL, so a flaw in it must not come with root's rights.  The flag
 * --allow-root (no value) or VAPI_POOL_ALLOW_ROOT=1 overrides that, for
 * containers whose only user is root.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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
	OPT_KNOWN_CALLER_ANSWER,
	OPT_INSTANTLY_HEADER,
	OPT_INSTANTLY_SECRET,
	OPT_INSTANTLY_SECRET_PREVIOUS,
	OPT_CAL_WEBHOOK_SECRET,
	OPT_CAL_WEBHOOK_SECRET_PREVIOUS,
	OPT_DB_POOL_SIZE,
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
	const char *flag;			/* long flag without the leading "--" */
	const char *env;			/* environment variable */
	const char *metavar;		/* placeholder shown in --help */
	const char *def;			/* default, or NULL for none */
	int			secret;			/* never print the value */
	const char *help;			/* one line of meaning */
	const char *computed;		/* --help shows this when the default is computed at start-up */
} shim_option;

static const shim_option options[NUM_OPTIONS] = {
	[OPT_DATABASE_URL] = {"database-url", "VAPI_POOL_DATABASE_URL", "CONNINFO", "dbname=postgres", 0,
	"libpq connection string or URI of the database holding vapi_pool"},
	[OPT_LISTEN] = {"listen", "VAPI_POOL_LISTEN", "HOST:PORT", "127.0.0.1:8080", 0,
	"address and port to serve HTTP/1.1 on ([v6addr]:port for IPv6, :port for all)"},
	[OPT_WEBHOOK_PREFIX] = {"webhook-prefix", "VAPI_POOL_WEBHOOK_PREFIX", "PATH", "/webhook", 0,
	"path the webhook routes live under (PATH/vapi, PATH/cal...): starts with /, no trailing /"},
	[OPT_VAPI_AUTH] = {"vapi-auth", "VAPI_POOL_VAPI_AUTH", "MODE", "secret", 0,
	"how Vapi webhooks authenticate: secret (x-vapi-secret), bearer or hmac"},
	[OPT_VAPI_SECRET] = {"vapi-secret", "VAPI_POOL_VAPI_SECRET", "SECRET", NULL, 1,
	"REQUIRED shared secret (or HMAC key) that Vapi webhooks must present"},
	[OPT_VAPI_SECRET_PREVIOUS] = {"vapi-secret-previous", "VAPI_POOL_VAPI_SECRET_PREVIOUS", "SECRET", NULL, 1,
	"previous Vapi secret, still accepted while rotating secrets"},
	[OPT_VAPI_AUTH_HEADER] = {"vapi-auth-header", "VAPI_POOL_VAPI_AUTH_HEADER", "NAME", "Authorization", 0,
	"bearer mode: request header that carries the Vapi token"},
	[OPT_VAPI_AUTH_PREFIX] = {"vapi-auth-prefix", "VAPI_POOL_VAPI_AUTH_PREFIX", "TEXT", "Bearer ", 0,
	"bearer mode: text before the token (case-insensitive); none for a bare token"},
	[OPT_VAPI_HMAC_SIGNATURE_HEADER] = {"vapi-hmac-signature-header", "VAPI_POOL_VAPI_HMAC_SIGNATURE_HEADER", "NAME", "x-signature", 0,
	"hmac mode: request header that carries the signature"},
	[OPT_VAPI_HMAC_TIMESTAMP_HEADER] = {"vapi-hmac-timestamp-header", "VAPI_POOL_VAPI_HMAC_TIMESTAMP_HEADER", "NAME", "x-timestamp", 0,
	"hmac mode: request header that carries the signing time (epoch seconds or milliseconds)"},
	[OPT_VAPI_HMAC_ALGORITHM] = {"vapi-hmac-algorithm", "VAPI_POOL_VAPI_HMAC_ALGORITHM", "ALG", "sha256", 0,
	"hmac mode: digest of the HMAC: sha256, sha512 or sha1"},
	[OPT_VAPI_HMAC_ENCODING] = {"vapi-hmac-encoding", "VAPI_POOL_VAPI_HMAC_ENCODING", "ENC", "hex", 0,
	"hmac mode: how the signature is written: hex (either case) or base64"},
	[OPT_VAPI_HMAC_PREFIX] = {"vapi-hmac-prefix", "VAPI_POOL_VAPI_HMAC_PREFIX", "TEXT", "none", 0,
	"hmac mode: text before the signature, such as sha256=; stripped when present; none for no prefix"},
	[OPT_VAPI_HMAC_PAYLOAD_FORMAT] = {"vapi-hmac-payload-format", "VAPI_POOL_VAPI_HMAC_PAYLOAD_FORMAT", "FORMAT", "{timestamp}.{body}", 0,
	"hmac mode: what is signed; {body} (required) is the raw body, {timestamp} the timestamp header; without {timestamp} no timestamp is required or checked"},
	[OPT_VAPI_HMAC_TOLERANCE] = {"vapi-hmac-tolerance", "VAPI_POOL_VAPI_HMAC_TOLERANCE", "SECONDS", "300", 0,
	"hmac mode: largest accepted difference between the timestamp and the clock, either way (1-86400)"},
	[OPT_INTAKE_ASSISTANT_ID] = {"intake-assistant-id", "VAPI_POOL_INTAKE_ASSISTANT_ID", "ID", NULL, 0,
	"Vapi assistant id of the intake assistant (Barbara) for unknown callers"},
	[OPT_CONNECTOR_ASSISTANT_ID] = {"connector-assistant-id", "VAPI_POOL_CONNECTOR_ASSISTANT_ID", "ID", NULL, 0,
	"Vapi assistant id of the Call Connector, which forwards known callers (lead <-> broker)"},
	[OPT_KNOWN_CALLER_ANSWER] = {"known-caller-answer", "VAPI_POOL_KNOWN_CALLER_ANSWER", "HOW", "assistant", 0,
	"how an assistant-request from a known caller is answered: assistant (the Call Connector) or forward (direct transfer, no AI)"},
	[OPT_INSTANTLY_HEADER] = {"instantly-header", "VAPI_POOL_INSTANTLY_HEADER", "NAME", "X-Webhook-Secret", 0,
	"request header that carries the Instantly webhook secret"},
	[OPT_INSTANTLY_SECRET] = {"instantly-secret", "VAPI_POOL_INSTANTLY_SECRET", "SECRET", NULL, 1,
	"Instantly webhook secret; if not set /webhook/instantly-reply refuses every request (401)"},
	[OPT_INSTANTLY_SECRET_PREVIOUS] = {"instantly-secret-previous", "VAPI_POOL_INSTANTLY_SECRET_PREVIOUS", "SECRET", NULL, 1,
	"previous Instantly webhook secret, still accepted while rotating secrets"},
	[OPT_CAL_WEBHOOK_SECRET] = {"cal-webhook-secret", "VAPI_POOL_CAL_WEBHOOK_SECRET", "SECRET", NULL, 1,
	"Cal.com webhook signing secret; if not set /webhook/cal refuses every request (401)"},
	[OPT_CAL_WEBHOOK_SECRET_PREVIOUS] = {"cal-webhook-secret-previous", "VAPI_POOL_CAL_WEBHOOK_SECRET_PREVIOUS", "SECRET", NULL, 1,
	"previous Cal.com webhook signing secret, still accepted while rotating secrets"},
	[OPT_DB_POOL_SIZE] = {"db-pool-size", "VAPI_POOL_DB_POOL_SIZE", "N", "8", 0,
	"database connections (and worker threads) for webhook events (1-256)"},
	[OPT_DB_TIMEOUT_MS] = {"db-timeout-ms", "VAPI_POOL_DB_TIMEOUT_MS", "MS", "5000", 0,
	"deadline for one event's database work before the fallback answer (100-7000: Vapi waits at most 7.5 s)"},
	[OPT_VAPI_API_KEY] = {"vapi-api-key", "VAPI_POOL_VAPI_API_KEY", "KEY", NULL, 1,
	"Vapi API key for outbound calls (required by vapi-shim dispatch); if not set outbound calls are held (jobs stay queued)"},
	[OPT_VAPI_BASE_URL] = {"vapi-base-url", "VAPI_POOL_VAPI_BASE_URL", "URL", "https://api.vapi.ai", 0,
	"base URL of the Vapi API"},
	[OPT_CAL_API_KEY] = {"cal-api-key", "VAPI_POOL_CAL_API_KEY", "KEY", NULL, 1,
	"Cal.com API key; if not set vapi-shim dispatch answers Cal.com jobs with an error instead of sending them"},
	[OPT_CAL_BASE_URL] = {"cal-base-url", "VAPI_POOL_CAL_BASE_URL", "URL", "https://api.cal.com/v2", 0,
	"base URL of the Cal.com API"},
	[OPT_PUBLIC_URL] = {"public-url", "VAPI_POOL_PUBLIC_URL", "URL", NULL, 0,
	"base URL at which Vapi reaches this shim (https://voice.example.com): the server and tool URLs given to Vapi numbers and assistants are built from it"},
	[OPT_MAX_BODY] = {"max-body", "VAPI_POOL_MAX_BODY", "BYTES", "1048576", 0,
	"largest accepted request body in bytes; larger requests get 413"},
	[OPT_DISPATCHER_NAME] = {"dispatcher-name", "VAPI_POOL_DISPATCHER_NAME", "NAME", NULL, 0,
	"dispatch: the name this dispatcher claims jobs under (outbox.claimed_by)", "HOST:PID"},
	[OPT_DISPATCH_CONCURRENCY] = {"dispatch-concurrency", "VAPI_POOL_DISPATCH_CONCURRENCY", "N", "64", 0,
	"dispatch: HTTP requests in flight at most, and connections kept per vendor host (1-4096)"},
	[OPT_DISPATCH_BATCH] = {"dispatch-batch", "VAPI_POOL_DISPATCH_BATCH", "N", "32", 0,
	"dispatch: jobs claimed by one vapi_pool.outbox_claim call at most (1-1000)"},
	[OPT_DISPATCH_LEASE] = {"dispatch-lease", "VAPI_POOL_DISPATCH_LEASE", "SECONDS", "120", 0,
	"dispatch: lease of a claimed job; past it another dispatcher may take the job over, so keep it above the longest request timeout (vapi_pool.http_timeout_ms) (1-3600)"},
	[OPT_DISPATCH_POLL_MS] = {"dispatch-poll-ms", "VAPI_POOL_DISPATCH_POLL_MS", "MS", "1000", 0,
	"dispatch: look for due jobs at least this often even without a NOTIFY on vapi_pool_outbox (10-3600000)"},
};

/* Print --help: every option with its flag, variable, default and meaning. */
static void
print_help(FILE *out)
{
	fprintf(out,
			"vapi-shim %s - webhook receiver (Vapi, Instantly, Cal.com) for the vapi_pool extension\n"
			"\n"
			"Usage: vapi-shim [OPTION]...           the webhook server\n"
			"       vapi-shim dispatch [OPTION]...  deliver the outbox's jobs (Vapi, Cal.com)\n"
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

/* Report a usage error on stderr (a start-up message, not a log event). */
static config_result usage_error(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static config_result
usage_error(const char *fmt,...)
{
	va_list		ap;

	fputs("vapi-shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry \"vapi-shim --help\" for more information.\n", stderr);
	return CONFIG_EXIT_USAGE;
}

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

/* Find an option by its flag name (exact match, length-limited). */
static int
find_option(const char *name, size_t len)
{
	for (int i = 0; i < NUM_OPTIONS; i++)
		if (strlen(options[i].flag) == len && strncmp(options[i].flag, name, len) == 0)
			return i;
	return -1;
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

/* Is name an HTTP header field name (an RFC 9110 token)? */
static int
is_header_name(const char *name)
{
	static const char tchar_punct[] = "!#$%&'*+-.^_`|~";

	if (name[0] == '\0')
		return 0;
	for (const char *p = name; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  strchr(tchar_punct, c) != NULL))
			return 0;
	}
	return 1;
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
	const char *rest;

	if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else
		return 0;
	return rest[0] != '\0' && rest[0] != '/' && !shim_has_control_char(url) && strchr(url, ' ') == NULL;
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

/* Validate the dispatcher's options (only vapi-shim dispatch uses them). */
static config_result
load_dispatch_options(shim_config *cfg, const char *const *values)
{
	cfg->dispatcher_name = values[OPT_DISPATCHER_NAME] ? values[OPT_DISPATCHER_NAME] : default_dispatcher_name();
	if (strlen(cfg->dispatcher_name) > DISPATCHER_NAME_MAX || shim_has_control_char(cfg->dispatcher_name))
		return usage_error("VAPI_POOL_DISPATCHER_NAME (--dispatcher-name) must be at most %d characters without control characters",
						   DISPATCHER_NAME_MAX);
	if (parse_int_range(values[OPT_DISPATCH_CONCURRENCY], 1, DISPATCH_CONCURRENCY_MAX, &cfg->dispatch_concurrency) != 0)
		return usage_error("VAPI_POOL_DISPATCH_CONCURRENCY (--dispatch-concurrency) must be a number of requests from 1 to %d, got \"%s\"",
						   DISPATCH_CONCURRENCY_MAX, values[OPT_DISPATCH_CONCURRENCY]);
	if (parse_int_range(values[OPT_DISPATCH_BATCH], 1, DISPATCH_BATCH_MAX, &cfg->dispatch_batch) != 0)
		return usage_error("VAPI_POOL_DISPATCH_BATCH (--dispatch-batch) must be a number of jobs from 1 to %d, got \"%s\"",
						   DISPATCH_BATCH_MAX, values[OPT_DISPATCH_BATCH]);
	if (parse_int_range(values[OPT_DISPATCH_LEASE], 1, DISPATCH_LEASE_MAX, &cfg->dispatch_lease_s) != 0)
		return usage_error("VAPI_POOL_DISPATCH_LEASE (--dispatch-lease) must be seconds from 1 to %d, got \"%s\"",
						   DISPATCH_LEASE_MAX, values[OPT_DISPATCH_LEASE]);
	if (parse_int_range(values[OPT_DISPATCH_POLL_MS], DISPATCH_POLL_MS_MIN, DISPATCH_POLL_MS_MAX, &cfg->dispatch_poll_ms) != 0)
		return usage_error("VAPI_POOL_DISPATCH_POLL_MS (--dispatch-poll-ms) must be milliseconds from %d to %d, got \"%s\"",
						   DISPATCH_POLL_MS_MIN, DISPATCH_POLL_MS_MAX, values[OPT_DISPATCH_POLL_MS]);
	if (cfg->command == SHIM_DISPATCH && cfg->vapi_api_key == NULL)
		return usage_error("VAPI_POOL_VAPI_API_KEY is not set (or --vapi-api-key): vapi-shim dispatch cannot send Vapi jobs without it");
	return CONFIG_OK;
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

/*
 * config_load() for one command: only the server (SHIM_SERVE) needs the
 * webhook secret; the dispatcher and the tools share every other option.
 */
config_result
config_load_for(shim_config *cfg, shim_command command, int argc, char **argv)
{
	const char *values[NUM_OPTIONS] = {0};
	const char *v;
	config_result r;
	int			allow_root = 0;

	/* command line first: it wins */
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
			allow_root = 1;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return usage_error("unexpected argument \"%s\"", arg);

		eq = strchr(arg + 2, '=');
		name_len = eq ? (size_t) (eq - (arg + 2)) : strlen(arg + 2);
		id = find_option(arg + 2, name_len);
		if (id < 0)
			return usage_error("unknown option \"--%.*s\"", (int) name_len, arg + 2);
		if (eq)
			values[id] = eq + 1;
		else if (i + 1 < argc)
			values[id] = argv[++i];
		else
			return usage_error("option \"--%s\" needs a value", options[id].flag);
	}

	/* then the environment, then the default; empty means not set */
	for (int id = 0; id < NUM_OPTIONS; id++)
	{
		if (values[id] != NULL && values[id][0] == '\0')
			values[id] = NULL;
		if (values[id] == NULL && (v = getenv(options[id].env)) != NULL && v[0] != '\0')
			values[id] = v;
		if (values[id] == NULL)
			values[id] = options[id].def;
	}

	/* before anything else is looked at: no root unless told */
	if (!allow_root && (allow_root = parse_allow_root(getenv("VAPI_POOL_ALLOW_ROOT"))) < 0)
		return usage_error("VAPI_POOL_ALLOW_ROOT must be 1 (run even as root) or 0, got \"%s\"",
						   getenv("VAPI_POOL_ALLOW_ROOT"));
	if (geteuid() == 0 && !allow_root)
		return usage_error("refusing to run as root (effective user id 0): run vapi-shim as an unprivileged user, or set VAPI_POOL_ALLOW_ROOT=1 (or --allow-root) to run it as root anyway");

	memset(cfg, 0, sizeof(*cfg));
	cfg->database_url = values[OPT_DATABASE_URL];
	cfg->listen = values[OPT_LISTEN];
	cfg->webhook_prefix = values[OPT_WEBHOOK_PREFIX];
	cfg->vapi_secret = values[OPT_VAPI_SECRET];
	cfg->vapi_secret_previous = values[OPT_VAPI_SECRET_PREVIOUS];
	cfg->vapi_auth_header = values[OPT_VAPI_AUTH_HEADER];
	cfg->vapi_auth_prefix = prefix_value(values[OPT_VAPI_AUTH_PREFIX]);
	cfg->hmac_signature_header = values[OPT_VAPI_HMAC_SIGNATURE_HEADER];
	cfg->hmac_timestamp_header = values[OPT_VAPI_HMAC_TIMESTAMP_HEADER];
	cfg->hmac_prefix = prefix_value(values[OPT_VAPI_HMAC_PREFIX]);
	cfg->hmac_payload_format = values[OPT_VAPI_HMAC_PAYLOAD_FORMAT];
	cfg->intake_assistant_id = values[OPT_INTAKE_ASSISTANT_ID];
	cfg->connector_assistant_id = values[OPT_CONNECTOR_ASSISTANT_ID];
	cfg->instantly_header = values[OPT_INSTANTLY_HEADER];
	cfg->instantly_secret = values[OPT_INSTANTLY_SECRET];
	cfg->instantly_secret_previous = values[OPT_INSTANTLY_SECRET_PREVIOUS];
	cfg->cal_webhook_secret = values[OPT_CAL_WEBHOOK_SECRET];
	cfg->cal_webhook_secret_previous = values[OPT_CAL_WEBHOOK_SECRET_PREVIOUS];
	cfg->vapi_api_key = values[OPT_VAPI_API_KEY];
	cfg->vapi_base_url = values[OPT_VAPI_BASE_URL];
	cfg->cal_api_key = values[OPT_CAL_API_KEY];
	cfg->cal_base_url = values[OPT_CAL_BASE_URL];
	cfg->public_url = values[OPT_PUBLIC_URL];
	cfg->command = command;

	/* validate; messages name the variable and never echo secrets */
	if (check_conninfo(cfg->database_url) != 0)
		return usage_error("VAPI_POOL_DATABASE_URL (--database-url) is not a valid libpq connection string");

	if (parse_listen(cfg->listen, &cfg->listen_host, &cfg->listen_port) != 0)
		return usage_error("VAPI_POOL_LISTEN (--listen) must be HOST:PORT, [IPV6]:PORT or :PORT with port 1-65535, got \"%s\"",
						   cfg->listen);

	if (check_webhook_prefix(cfg->webhook_prefix) != 0)
		return usage_error("VAPI_POOL_WEBHOOK_PREFIX (--webhook-prefix) must be a path such as /webhook: starting with /, not ending with /, no empty, . or .. segment, got \"%s\"",
						   cfg->webhook_prefix);

	v = values[OPT_VAPI_AUTH];
	if (strcmp(v, "secret") == 0)
		cfg->vapi_auth = VAPI_AUTH_SECRET;
	else if (strcmp(v, "bearer") == 0)
		cfg->vapi_auth = VAPI_AUTH_BEARER;
	else if (strcmp(v, "hmac") == 0)
		cfg->vapi_auth = VAPI_AUTH_HMAC;
	else
		return usage_error("VAPI_POOL_VAPI_AUTH (--vapi-auth) must be secret, bearer or hmac, got \"%s\"", v);

	/* every mode's settings are checked, whichever mode is in use */
	if (!is_header_name(cfg->vapi_auth_header))
		return usage_error("VAPI_POOL_VAPI_AUTH_HEADER (--vapi-auth-header) is not a valid header name: \"%s\"",
						   cfg->vapi_auth_header);
	if (shim_has_control_char(cfg->vapi_auth_prefix))
		return usage_error("VAPI_POOL_VAPI_AUTH_PREFIX (--vapi-auth-prefix) must not contain control characters");
	if (!is_header_name(cfg->hmac_signature_header))
		return usage_error("VAPI_POOL_VAPI_HMAC_SIGNATURE_HEADER (--vapi-hmac-signature-header) is not a valid header name: \"%s\"",
						   cfg->hmac_signature_header);
	if (!is_header_name(cfg->hmac_timestamp_header))
		return usage_error("VAPI_POOL_VAPI_HMAC_TIMESTAMP_HEADER (--vapi-hmac-timestamp-header) is not a valid header name: \"%s\"",
						   cfg->hmac_timestamp_header);

	v = values[OPT_VAPI_HMAC_ALGORITHM];
	if (strcmp(v, "sha256") == 0)
		cfg->hmac_algorithm = HMAC_SHA256;
	else if (strcmp(v, "sha512") == 0)
		cfg->hmac_algorithm = HMAC_SHA512;
	else if (strcmp(v, "sha1") == 0)
		cfg->hmac_algorithm = HMAC_SHA1;
	else
		return usage_error("VAPI_POOL_VAPI_HMAC_ALGORITHM (--vapi-hmac-algorithm) must be sha256, sha512 or sha1, got \"%s\"", v);

	v = values[OPT_VAPI_HMAC_ENCODING];
	if (strcmp(v, "hex") == 0)
		cfg->hmac_encoding = HMAC_HEX;
	else if (strcmp(v, "base64") == 0)
		cfg->hmac_encoding = HMAC_BASE64;
	else
		return usage_error("VAPI_POOL_VAPI_HMAC_ENCODING (--vapi-hmac-encoding) must be hex or base64, got \"%s\"", v);

	if (shim_has_control_char(cfg->hmac_prefix))
		return usage_error("VAPI_POOL_VAPI_HMAC_PREFIX (--vapi-hmac-prefix) must not contain control characters");
	if (check_payload_format(cfg->hmac_payload_format) != 0)
		return usage_error("VAPI_POOL_VAPI_HMAC_PAYLOAD_FORMAT (--vapi-hmac-payload-format) must contain {body}, and no placeholder but {body} and {timestamp}, got \"%s\"",
						   cfg->hmac_payload_format);
	if (parse_int_range(values[OPT_VAPI_HMAC_TOLERANCE], 1, HMAC_TOLERANCE_MAX, &cfg->hmac_tolerance_s) != 0)
		return usage_error("VAPI_POOL_VAPI_HMAC_TOLERANCE (--vapi-hmac-tolerance) must be seconds from 1 to %d, got \"%s\"",
						   HMAC_TOLERANCE_MAX, values[OPT_VAPI_HMAC_TOLERANCE]);

	v = values[OPT_KNOWN_CALLER_ANSWER];
	if (strcmp(v, "assistant") == 0)
		cfg->known_caller = KNOWN_CALLER_ASSISTANT;
	else if (strcmp(v, "forward") == 0)
		cfg->known_caller = KNOWN_CALLER_FORWARD;
	else
		return usage_error("VAPI_POOL_KNOWN_CALLER_ANSWER (--known-caller-answer) must be assistant or forward, got \"%s\"", v);

	if (parse_int_range(values[OPT_DB_POOL_SIZE], 1, DB_POOL_SIZE_MAX, &cfg->db_pool_size) != 0)
		return usage_error("VAPI_POOL_DB_POOL_SIZE (--db-pool-size) must be a number of connections from 1 to %d, got \"%s\"",
						   DB_POOL_SIZE_MAX, values[OPT_DB_POOL_SIZE]);
	if (parse_int_range(values[OPT_DB_TIMEOUT_MS], DB_TIMEOUT_MS_MIN, DB_TIMEOUT_MS_MAX, &cfg->db_timeout_ms) != 0)
		return usage_error("VAPI_POOL_DB_TIMEOUT_MS (--db-timeout-ms) must be milliseconds from %d to %d (Vapi waits at most 7.5 s for an assistant-request answer), got \"%s\"",
						   DB_TIMEOUT_MS_MIN, DB_TIMEOUT_MS_MAX, values[OPT_DB_TIMEOUT_MS]);

	if (parse_size(values[OPT_MAX_BODY], &cfg->max_body) != 0)
		return usage_error("VAPI_POOL_MAX_BODY (--max-body) must be a byte count from 1 to %zu, got \"%s\"",
						   MAX_BODY_LIMIT, values[OPT_MAX_BODY]);

	if (!is_header_name(cfg->instantly_header))
		return usage_error("VAPI_POOL_INSTANTLY_HEADER (--instantly-header) is not a valid header name: \"%s\"",
						   cfg->instantly_header);

	if (!is_http_url(cfg->vapi_base_url))
		return usage_error("VAPI_POOL_VAPI_BASE_URL (--vapi-base-url) must be an http:// or https:// URL, got \"%s\"",
						   cfg->vapi_base_url);
	if (!is_http_url(cfg->cal_base_url))
		return usage_error("VAPI_POOL_CAL_BASE_URL (--cal-base-url) must be an http:// or https:// URL, got \"%s\"",
						   cfg->cal_base_url);
	/* the API keys go out as "Authorization: Bearer KEY" */
	if ((cfg->vapi_api_key && !is_header_secret(cfg->vapi_api_key)) ||
		(cfg->cal_api_key && !is_header_secret(cfg->cal_api_key)))
		return usage_error("VAPI_POOL_VAPI_API_KEY and VAPI_POOL_CAL_API_KEY must not start or end with a space or contain control characters: a header value cannot carry them");
	if ((r = load_dispatch_options(cfg, values)) != CONFIG_OK)
		return r;

	if (cfg->vapi_secret == NULL && command == SHIM_SERVE)
		return usage_error("VAPI_POOL_VAPI_SECRET is not set (or --vapi-secret): refusing to start without the Vapi webhook secret");

	/* a secret sent as a header value must be one that can be sent that way */
	if (cfg->vapi_auth != VAPI_AUTH_HMAC && cfg->vapi_secret &&
		(!is_header_secret(cfg->vapi_secret) ||
		 (cfg->vapi_secret_previous && !is_header_secret(cfg->vapi_secret_previous))))
		return usage_error("VAPI_POOL_VAPI_SECRET and VAPI_POOL_VAPI_SECRET_PREVIOUS must not start or end with a space or contain control characters: a header value cannot carry them");
	if ((cfg->instantly_secret && !is_header_secret(cfg->instantly_secret)) ||
		(cfg->instantly_secret_previous && !is_header_secret(cfg->instantly_secret_previous)))
		return usage_error("VAPI_POOL_INSTANTLY_SECRET and VAPI_POOL_INSTANTLY_SECRET_PREVIOUS must not start or end with a space or contain control characters: a header value cannot carry them");

	/* a previous secret alone would be a route that refuses everything */
	if (cfg->instantly_secret_previous && cfg->instantly_secret == NULL)
		return usage_error("VAPI_POOL_INSTANTLY_SECRET_PREVIOUS is set but VAPI_POOL_INSTANTLY_SECRET is not: set the current secret too");
	if (cfg->cal_webhook_secret_previous && cfg->cal_webhook_secret == NULL)
		return usage_error("VAPI_POOL_CAL_WEBHOOK_SECRET_PREVIOUS is set but VAPI_POOL_CAL_WEBHOOK_SECRET is not: set the current secret too");

	return CONFIG_OK;
}

/* Name of a Vapi authentication mode, as spelled in the option. */
const char *
config_vapi_auth_name(vapi_auth_mode mode)
{
	switch (mode)
	{
		case VAPI_AUTH_SECRET:
			return "secret";
		case VAPI_AUTH_BEARER:
			return "bearer";
		case VAPI_AUTH_HMAC:
			return "hmac";
	}
	return "?";
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
	switch (alg)
	{
		case HMAC_SHA256:
			return "sha256";
		case HMAC_SHA512:
			return "sha512";
		case HMAC_SHA1:
			return "sha1";
	}
	return "?";
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
	shim_log(SHIM_LOG_INFO, "config: database %s, pool %d connections, deadline %d ms per event",
			 db[0] ? db : "(libpq defaults)", cfg->db_pool_size, cfg->db_timeout_ms);
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
				 cfg->hmac_encoding == HMAC_HEX ? "hex" : "base64", cfg->hmac_signature_header,
				 describe_prefix(cfg->hmac_prefix, prefix, sizeof(prefix)),
				 cfg->hmac_timestamp_header, cfg->hmac_payload_format, cfg->hmac_tolerance_s);
	shim_log(SHIM_LOG_INFO, "config: intake assistant %s, connector assistant %s, known callers get %s",
			 cfg->intake_assistant_id ? cfg->intake_assistant_id : "(not set)",
			 cfg->connector_assistant_id ? cfg->connector_assistant_id : "(not set)",
			 cfg->known_caller == KNOWN_CALLER_FORWARD ? "a direct forward" : "the connector assistant");
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
