/*
 * config.c
 *	  vapi-shim options: every option is a --flag and a VAPI_POOL_* variable.
 *
 * One table describes each option once; parsing, --help and the start-up
 * summary are all driven from it, so they cannot drift apart.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "config.h"
#include "log.h"

/* largest --max-body we accept (h2o's own default ceiling) */
#define MAX_BODY_LIMIT ((size_t) 1024 * 1024 * 1024)

typedef enum option_id
{
	OPT_DATABASE_URL,
	OPT_LISTEN,
	OPT_VAPI_AUTH,
	OPT_VAPI_SECRET,
	OPT_VAPI_SECRET_PREVIOUS,
	OPT_INTAKE_ASSISTANT_ID,
	OPT_CONNECTOR_ASSISTANT_ID,
	OPT_INSTANTLY_HEADER,
	OPT_INSTANTLY_SECRET,
	OPT_CAL_WEBHOOK_SECRET,
	OPT_VAPI_API_KEY,
	OPT_VAPI_BASE_URL,
	OPT_CAL_API_KEY,
	OPT_CAL_BASE_URL,
	OPT_MAX_BODY,
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
} shim_option;

static const shim_option options[NUM_OPTIONS] = {
	[OPT_DATABASE_URL] = {"database-url", "VAPI_POOL_DATABASE_URL", "CONNINFO", "dbname=postgres", 0,
	"libpq connection string or URI of the database holding vapi_pool"},
	[OPT_LISTEN] = {"listen", "VAPI_POOL_LISTEN", "HOST:PORT", "127.0.0.1:8080", 0,
	"address and port to serve HTTP/1.1 on ([v6addr]:port for IPv6, :port for all)"},
	[OPT_VAPI_AUTH] = {"vapi-auth", "VAPI_POOL_VAPI_AUTH", "MODE", "secret", 0,
	"how Vapi webhooks authenticate: secret (x-vapi-secret), bearer or hmac"},
	[OPT_VAPI_SECRET] = {"vapi-secret", "VAPI_POOL_VAPI_SECRET", "SECRET", NULL, 1,
	"REQUIRED shared secret (or HMAC key) that Vapi webhooks must present"},
	[OPT_VAPI_SECRET_PREVIOUS] = {"vapi-secret-previous", "VAPI_POOL_VAPI_SECRET_PREVIOUS", "SECRET", NULL, 1,
	"previous Vapi secret, still accepted while rotating secrets"},
	[OPT_INTAKE_ASSISTANT_ID] = {"intake-assistant-id", "VAPI_POOL_INTAKE_ASSISTANT_ID", "ID", NULL, 0,
	"Vapi assistant id of the intake assistant (Barbara) for unknown callers"},
	[OPT_CONNECTOR_ASSISTANT_ID] = {"connector-assistant-id", "VAPI_POOL_CONNECTOR_ASSISTANT_ID", "ID", NULL, 0,
	"Vapi assistant id of the Call Connector, which forwards known callers (lead <-> broker)"},
	[OPT_INSTANTLY_HEADER] = {"instantly-header", "VAPI_POOL_INSTANTLY_HEADER", "NAME", "X-Webhook-Secret", 0,
	"request header that carries the Instantly webhook secret"},
	[OPT_INSTANTLY_SECRET] = {"instantly-secret", "VAPI_POOL_INSTANTLY_SECRET", "SECRET", NULL, 1,
	"Instantly webhook secret; if not set /webhook/instantly-reply refuses every request (401)"},
	[OPT_CAL_WEBHOOK_SECRET] = {"cal-webhook-secret", "VAPI_POOL_CAL_WEBHOOK_SECRET", "SECRET", NULL, 1,
	"Cal.com webhook signing secret; if not set /webhook/cal refuses every request (401)"},
	[OPT_VAPI_API_KEY] = {"vapi-api-key", "VAPI_POOL_VAPI_API_KEY", "KEY", NULL, 1,
	"Vapi API key for outbound calls; if not set outbound calls are held (jobs stay queued)"},
	[OPT_VAPI_BASE_URL] = {"vapi-base-url", "VAPI_POOL_VAPI_BASE_URL", "URL", "https://api.vapi.ai", 0,
	"base URL of the Vapi API"},
	[OPT_CAL_API_KEY] = {"cal-api-key", "VAPI_POOL_CAL_API_KEY", "KEY", NULL, 1,
	"Cal.com API key"},
	[OPT_CAL_BASE_URL] = {"cal-base-url", "VAPI_POOL_CAL_BASE_URL", "URL", "https://api.cal.com/v2", 0,
	"base URL of the Cal.com API"},
	[OPT_MAX_BODY] = {"max-body", "VAPI_POOL_MAX_BODY", "BYTES", "1048576", 0,
	"largest accepted request body in bytes; larger requests get 413"},
};

/* Print --help: every option with its flag, variable, default and meaning. */
static void
print_help(FILE *out)
{
	fprintf(out,
			"vapi-shim %s - webhook receiver (Vapi, Instantly, Cal.com) for the vapi_pool extension\n"
			"\n"
			"Usage: vapi-shim [OPTION]...\n"
			"\n"
			"Every option is also read from its VAPI_POOL_* environment variable; a flag\n"
			"given on the command line wins over the variable. An empty value counts as\n"
			"not set. Prefer the environment for secrets: command lines are visible to\n"
			"other users (ps). Secret values are never printed.\n"
			"\n"
			"Options:\n", SHIM_VERSION);
	for (int i = 0; i < NUM_OPTIONS; i++)
	{
		const shim_option *o = &options[i];

		fprintf(out, "  --%s=%s\n", o->flag, o->metavar);
		fprintf(out, "      env %s, default: %s%s\n", o->env,
				o->def ? o->def : "(none)", o->secret ? " [secret]" : "");
		fprintf(out, "      %s\n", o->help);
	}
	fprintf(out,
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

/*
 * Fill *cfg from flags, then environment, then defaults, and validate it.
 * Prints --help/--version or a one-line error itself.
 */
config_result
config_load(shim_config *cfg, int argc, char **argv)
{
	const char *values[NUM_OPTIONS] = {0};
	const char *v;

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

	memset(cfg, 0, sizeof(*cfg));
	cfg->database_url = values[OPT_DATABASE_URL];
	cfg->listen = values[OPT_LISTEN];
	cfg->vapi_secret = values[OPT_VAPI_SECRET];
	cfg->vapi_secret_previous = values[OPT_VAPI_SECRET_PREVIOUS];
	cfg->intake_assistant_id = values[OPT_INTAKE_ASSISTANT_ID];
	cfg->connector_assistant_id = values[OPT_CONNECTOR_ASSISTANT_ID];
	cfg->instantly_header = values[OPT_INSTANTLY_HEADER];
	cfg->instantly_secret = values[OPT_INSTANTLY_SECRET];
	cfg->cal_webhook_secret = values[OPT_CAL_WEBHOOK_SECRET];
	cfg->vapi_api_key = values[OPT_VAPI_API_KEY];
	cfg->vapi_base_url = values[OPT_VAPI_BASE_URL];
	cfg->cal_api_key = values[OPT_CAL_API_KEY];
	cfg->cal_base_url = values[OPT_CAL_BASE_URL];

	/* validate; messages name the variable and never echo secrets */
	if (check_conninfo(cfg->database_url) != 0)
		return usage_error("VAPI_POOL_DATABASE_URL (--database-url) is not a valid libpq connection string");

	if (parse_listen(cfg->listen, &cfg->listen_host, &cfg->listen_port) != 0)
		return usage_error("VAPI_POOL_LISTEN (--listen) must be HOST:PORT, [IPV6]:PORT or :PORT with port 1-65535, got \"%s\"",
						   cfg->listen);

	v = values[OPT_VAPI_AUTH];
	if (strcmp(v, "secret") == 0)
		cfg->vapi_auth = VAPI_AUTH_SECRET;
	else if (strcmp(v, "bearer") == 0)
		cfg->vapi_auth = VAPI_AUTH_BEARER;
	else if (strcmp(v, "hmac") == 0)
		cfg->vapi_auth = VAPI_AUTH_HMAC;
	else
		return usage_error("VAPI_POOL_VAPI_AUTH (--vapi-auth) must be secret, bearer or hmac, got \"%s\"", v);

	if (parse_size(values[OPT_MAX_BODY], &cfg->max_body) != 0)
		return usage_error("VAPI_POOL_MAX_BODY (--max-body) must be a byte count from 1 to %zu, got \"%s\"",
						   MAX_BODY_LIMIT, values[OPT_MAX_BODY]);

	if (strchr(cfg->instantly_header, ':') != NULL || strpbrk(cfg->instantly_header, " \t\r\n") != NULL)
		return usage_error("VAPI_POOL_INSTANTLY_HEADER (--instantly-header) is not a valid header name: \"%s\"",
						   cfg->instantly_header);

	if (cfg->vapi_secret == NULL)
		return usage_error("VAPI_POOL_VAPI_SECRET is not set (or --vapi-secret): refusing to start without the Vapi webhook secret");

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

/* Log the effective configuration once at start-up, secrets masked. */
void
config_log_summary(const shim_config *cfg)
{
	char		db[512];

	describe_conninfo(cfg->database_url, db, sizeof(db));
	shim_log(SHIM_LOG_INFO, "config: database %s", db[0] ? db : "(libpq defaults)");
	shim_log(SHIM_LOG_INFO, "config: listen %s, max body %zu bytes", cfg->listen, cfg->max_body);
	shim_log(SHIM_LOG_INFO, "config: vapi auth %s, vapi secret %s, previous vapi secret %s",
			 config_vapi_auth_name(cfg->vapi_auth), secret_state(cfg->vapi_secret),
			 secret_state(cfg->vapi_secret_previous));
	shim_log(SHIM_LOG_INFO, "config: intake assistant %s, connector assistant %s",
			 cfg->intake_assistant_id ? cfg->intake_assistant_id : "(not set)",
			 cfg->connector_assistant_id ? cfg->connector_assistant_id : "(not set)");
	shim_log(SHIM_LOG_INFO, "config: instantly header %s, instantly secret %s, cal webhook secret %s",
			 cfg->instantly_header, secret_state(cfg->instantly_secret),
			 secret_state(cfg->cal_webhook_secret));
	shim_log(SHIM_LOG_INFO, "config: vapi api %s key %s, cal api %s key %s",
			 cfg->vapi_base_url, secret_state(cfg->vapi_api_key),
			 cfg->cal_base_url, secret_state(cfg->cal_api_key));

	if (cfg->instantly_secret == NULL)
		shim_log(SHIM_LOG_WARNING, "VAPI_POOL_INSTANTLY_SECRET is not set: /webhook/instantly-reply will refuse every request (401)");
	if (cfg->cal_webhook_secret == NULL)
		shim_log(SHIM_LOG_WARNING, "VAPI_POOL_CAL_WEBHOOK_SECRET is not set: /webhook/cal will refuse every request (401)");
	if (cfg->vapi_api_key == NULL)
		shim_log(SHIM_LOG_WARNING, "outbound calls are held: VAPI_POOL_VAPI_API_KEY is not set (jobs stay queued)");
}
