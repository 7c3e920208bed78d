/*
 * test_config.c
 *	  Unit tests of config_load(): the webhook options' defaults, flags and
 *	  variables, "none" for no prefix, and every value that must be refused;
 *	  the dispatcher's options and what vapi-shim dispatch requires; the
 *	  refusal to run as root and what overrides it.
 *
 *	  Run as root, every other test allows root (VAPI_POOL_ALLOW_ROOT=1), so
 *	  that they check what they are about.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

#define MAX_ARGS 16

extern char **environ;

/* what the last load() printed on stderr */
static char last_error[4096];

/* test_root() checks the refusal itself: do not allow root for it */
static int	keep_root_refusal;

/* Remove every VAPI_POOL_* variable, so that only what a test sets counts. */
static void
clear_environment(void)
{
	for (;;)
	{
		char		name[256];
		const char *eq;
		char	  **e;

		for (e = environ; *e != NULL; e++)
			if (strncmp(*e, "VAPI_POOL_", 10) == 0)
				break;
		if (*e == NULL)
			return;
		eq = strchr(*e, '=');
		snprintf(name, sizeof(name), "%.*s", (int) (eq ? eq - *e : (long) strlen(*e)), *e);
		unsetenv(name);
	}
}

/* config_load_for() with its stderr kept in last_error instead of printed. */
static config_result
config_load_captured(shim_config *cfg, shim_command command, int argc, char **argv)
{
	char		path[] = "/tmp/vapi-shim-test.XXXXXX";
	int			fd = mkstemp(path);
	int			saved = dup(STDERR_FILENO);
	config_result r;
	ssize_t		n;

	if (fd < 0 || saved < 0)
		abort();
	unlink(path);
	if (geteuid() == 0 && !keep_root_refusal && getenv("VAPI_POOL_ALLOW_ROOT") == NULL)
		setenv("VAPI_POOL_ALLOW_ROOT", "1", 1);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	r = config_load_for(cfg, command, argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, last_error, sizeof(last_error) - 1, 0);
	close(fd);
	last_error[n > 0 ? n : 0] = '\0';
	return r;
}

/*
 * Run config_load() with the Vapi secret set and the given flags (a NULL
 * terminated list); releases what it allocated.  What it prints on stderr
 * is kept in last_error.
 */
static config_result
load(shim_config *cfg, const char *first,...)
{
	char	   *argv[MAX_ARGS];
	int			argc = 0;
	const char *arg;
	va_list		ap;
	config_result r;

	argv[argc++] = (char *) "vapi-shim";
	argv[argc++] = (char *) "--vapi-secret=s3cret";
	va_start(ap, first);
	for (arg = first; arg != NULL; arg = va_arg(ap, const char *))
	{
		if (argc == MAX_ARGS - 1)
			abort();
		argv[argc++] = (char *) arg;
	}
	va_end(ap);
	argv[argc] = NULL;
	r = config_load_captured(cfg, SHIM_SERVE, argc, argv);
	free(cfg->listen_host);
	cfg->listen_host = NULL;
	return r;
}

/*
 * Is the single flag refused as a usage error, with one line naming the
 * variable (plus the --help hint)?
 */
static void
refused(const char *flag, const char *var, const char *why)
{
	shim_config cfg;
	int			lines = 0;

	is_int(load(&cfg, flag, NULL), CONFIG_EXIT_USAGE, "refused: %s (%s)", flag, why);
	for (const char *p = last_error; *p; p++)
		lines += *p == '\n';
	if (!ok(strstr(last_error, var) != NULL && lines == 2,
			"refused: %s: one line naming %s", flag, var))
		printf("#   stderr: %s", last_error);
}

/* Is the single flag accepted? */
static void
accepted(const char *flag, const char *why)
{
	shim_config cfg;

	is_int(load(&cfg, flag, NULL), CONFIG_OK, "accepted: %s (%s)", flag, why);
}

/* The defaults of the new options. */
static void
test_defaults(void)
{
	shim_config cfg;

	is_int(load(&cfg, NULL), CONFIG_OK, "defaults: only the Vapi secret is needed");
	is_str(cfg.vapi_auth_header, "Authorization", "default vapi auth header");
	is_str(cfg.vapi_auth_prefix, "Bearer ", "default vapi auth prefix");
	is_str(cfg.hmac_signature_header, "x-signature", "default hmac signature header");
	is_str(cfg.hmac_timestamp_header, "x-timestamp", "default hmac timestamp header");
	is_int(cfg.hmac_algorithm, HMAC_SHA256, "default hmac algorithm sha256");
	is_int(cfg.hmac_encoding, HMAC_HEX, "default hmac encoding hex");
	is_str(cfg.hmac_prefix, "", "default hmac prefix: none");
	is_str(cfg.hmac_payload_format, "{timestamp}.{body}", "default hmac payload format");
	is_int(cfg.hmac_tolerance_s, 300, "default hmac tolerance 300 s");
	is_int(cfg.known_caller, KNOWN_CALLER_ASSISTANT, "default known caller answer: assistant");
	is_str(cfg.webhook_prefix, "/webhook", "default webhook prefix");
	is_int(cfg.db_pool_size, 8, "default db pool size");
	is_int(cfg.db_timeout_ms, 5000, "default db timeout");
	ok(cfg.instantly_secret_previous == NULL && cfg.cal_webhook_secret_previous == NULL,
	   "previous secrets default to not set");
}

/* Flags, variables, and "none". */
static void
test_values(void)
{
	shim_config cfg;

	is_int(load(&cfg, "--vapi-auth-prefix=none", "--vapi-hmac-prefix", "sha256=",
				"--vapi-hmac-algorithm=sha512", "--vapi-hmac-encoding=base64",
				"--vapi-hmac-payload-format=v0:{timestamp}:{body}", "--vapi-hmac-tolerance=60",
				"--known-caller-answer=forward", "--webhook-prefix=/hooks/v1",
				"--db-pool-size=256", "--db-timeout-ms=7000", NULL),
		   CONFIG_OK, "flags: every new option accepted");
	is_str(cfg.vapi_auth_prefix, "", "--vapi-auth-prefix=none means no prefix");
	is_str(cfg.hmac_prefix, "sha256=", "--vapi-hmac-prefix taken as given");
	is_int(cfg.hmac_algorithm, HMAC_SHA512, "--vapi-hmac-algorithm=sha512");
	is_int(cfg.hmac_encoding, HMAC_BASE64, "--vapi-hmac-encoding=base64");
	is_str(cfg.hmac_payload_format, "v0:{timestamp}:{body}", "--vapi-hmac-payload-format");
	is_int(cfg.hmac_tolerance_s, 60, "--vapi-hmac-tolerance=60");
	is_int(cfg.known_caller, KNOWN_CALLER_FORWARD, "--known-caller-answer=forward");
	is_str(cfg.webhook_prefix, "/hooks/v1", "--webhook-prefix=/hooks/v1");
	is_int(cfg.db_pool_size, 256, "--db-pool-size=256");
	is_int(cfg.db_timeout_ms, 7000, "--db-timeout-ms=7000");

	setenv("VAPI_POOL_VAPI_AUTH_HEADER", "X-Vapi-Secret", 1);
	setenv("VAPI_POOL_VAPI_AUTH_PREFIX", "Token ", 1);
	setenv("VAPI_POOL_VAPI_HMAC_ALGORITHM", "sha1", 1);
	setenv("VAPI_POOL_VAPI_HMAC_SIGNATURE_HEADER", "X-Vapi-Signature", 1);
	setenv("VAPI_POOL_VAPI_HMAC_TIMESTAMP_HEADER", "X-Vapi-Timestamp", 1);
	setenv("VAPI_POOL_KNOWN_CALLER_ANSWER", "forward", 1);
	setenv("VAPI_POOL_DB_POOL_SIZE", "3", 1);
	setenv("VAPI_POOL_DB_TIMEOUT_MS", "100", 1);
	setenv("VAPI_POOL_INSTANTLY_SECRET", "i1", 1);
	setenv("VAPI_POOL_INSTANTLY_SECRET_PREVIOUS", "i0", 1);
	setenv("VAPI_POOL_CAL_WEBHOOK_SECRET", "c1", 1);
	setenv("VAPI_POOL_CAL_WEBHOOK_SECRET_PREVIOUS", "c0", 1);
	is_int(load(&cfg, "--db-pool-size=4", NULL), CONFIG_OK, "env: every new variable accepted");
	is_str(cfg.vapi_auth_header, "X-Vapi-Secret", "VAPI_POOL_VAPI_AUTH_HEADER");
	is_str(cfg.vapi_auth_prefix, "Token ", "VAPI_POOL_VAPI_AUTH_PREFIX keeps its trailing space");
	is_int(cfg.hmac_algorithm, HMAC_SHA1, "VAPI_POOL_VAPI_HMAC_ALGORITHM");
	is_str(cfg.hmac_signature_header, "X-Vapi-Signature", "VAPI_POOL_VAPI_HMAC_SIGNATURE_HEADER");
	is_str(cfg.hmac_timestamp_header, "X-Vapi-Timestamp", "VAPI_POOL_VAPI_HMAC_TIMESTAMP_HEADER");
	is_int(cfg.known_caller, KNOWN_CALLER_FORWARD, "VAPI_POOL_KNOWN_CALLER_ANSWER");
	is_int(cfg.db_pool_size, 4, "the flag wins over VAPI_POOL_DB_POOL_SIZE");
	is_int(cfg.db_timeout_ms, 100, "VAPI_POOL_DB_TIMEOUT_MS");
	is_str(cfg.instantly_secret_previous, "i0", "VAPI_POOL_INSTANTLY_SECRET_PREVIOUS");
	is_str(cfg.cal_webhook_secret_previous, "c0", "VAPI_POOL_CAL_WEBHOOK_SECRET_PREVIOUS");
	setenv("VAPI_POOL_VAPI_AUTH_PREFIX", "", 1);
	is_int(load(&cfg, NULL), CONFIG_OK, "env: an empty prefix variable");
	is_str(cfg.vapi_auth_prefix, "Bearer ", "an empty VAPI_POOL_VAPI_AUTH_PREFIX counts as not set");
	clear_environment();
}

/* Values that must be refused (exit 2), and the edges that must not. */
static void
test_refused(void)
{
	refused("--vapi-auth-header=X Bad", "VAPI_POOL_VAPI_AUTH_HEADER", "space in a header name");
	refused("--vapi-auth-header=X-Vapi:Secret", "VAPI_POOL_VAPI_AUTH_HEADER", "colon in a header name");
	refused("--vapi-hmac-signature-header=x(sig)", "VAPI_POOL_VAPI_HMAC_SIGNATURE_HEADER", "parentheses in a header name");
	refused("--vapi-hmac-timestamp-header=x\ttime", "VAPI_POOL_VAPI_HMAC_TIMESTAMP_HEADER", "tab in a header name");
	refused("--instantly-header=X Webhook", "VAPI_POOL_INSTANTLY_HEADER", "space in a header name");
	refused("--vapi-auth-prefix=Bearer\x01", "VAPI_POOL_VAPI_AUTH_PREFIX", "control character in a prefix");
	refused("--vapi-hmac-algorithm=md5", "VAPI_POOL_VAPI_HMAC_ALGORITHM", "unknown algorithm");
	refused("--vapi-hmac-algorithm=SHA256", "VAPI_POOL_VAPI_HMAC_ALGORITHM", "algorithm names are lower case");
	refused("--vapi-hmac-encoding=base32", "VAPI_POOL_VAPI_HMAC_ENCODING", "unknown encoding");
	refused("--vapi-hmac-payload-format={timestamp}.", "VAPI_POOL_VAPI_HMAC_PAYLOAD_FORMAT", "no {body}");
	refused("--vapi-hmac-payload-format={timestamp}.{bodY}", "VAPI_POOL_VAPI_HMAC_PAYLOAD_FORMAT", "misspelt placeholder");
	refused("--vapi-hmac-payload-format={id}.{body}", "VAPI_POOL_VAPI_HMAC_PAYLOAD_FORMAT", "unknown placeholder");
	refused("--vapi-hmac-tolerance=0", "VAPI_POOL_VAPI_HMAC_TOLERANCE", "tolerance below 1");
	refused("--vapi-hmac-tolerance=86401", "VAPI_POOL_VAPI_HMAC_TOLERANCE", "tolerance above a day");
	refused("--vapi-hmac-tolerance=5m", "VAPI_POOL_VAPI_HMAC_TOLERANCE", "tolerance with a unit");
	refused("--vapi-hmac-tolerance=-5", "VAPI_POOL_VAPI_HMAC_TOLERANCE", "negative tolerance");
	refused("--known-caller-answer=ai", "VAPI_POOL_KNOWN_CALLER_ANSWER", "unknown known-caller answer");
	refused("--webhook-prefix=webhook", "VAPI_POOL_WEBHOOK_PREFIX", "prefix without a leading /");
	refused("--webhook-prefix=/webhook/", "VAPI_POOL_WEBHOOK_PREFIX", "prefix with a trailing /");
	refused("--webhook-prefix=/", "VAPI_POOL_WEBHOOK_PREFIX", "prefix / alone");
	refused("--webhook-prefix=/a//b", "VAPI_POOL_WEBHOOK_PREFIX", "empty path segment");
	refused("--webhook-prefix=/a/../b", "VAPI_POOL_WEBHOOK_PREFIX", "dot-dot segment");
	refused("--webhook-prefix=/a/./b", "VAPI_POOL_WEBHOOK_PREFIX", "dot segment");
	refused("--webhook-prefix=/a b", "VAPI_POOL_WEBHOOK_PREFIX", "space in a path");
	refused("--webhook-prefix=/a?b", "VAPI_POOL_WEBHOOK_PREFIX", "query in a path");
	refused("--db-pool-size=0", "VAPI_POOL_DB_POOL_SIZE", "pool below 1");
	refused("--db-pool-size=257", "VAPI_POOL_DB_POOL_SIZE", "pool above 256");
	refused("--db-pool-size=eight", "VAPI_POOL_DB_POOL_SIZE", "pool not a number");
	refused("--db-timeout-ms=99", "VAPI_POOL_DB_TIMEOUT_MS", "timeout below 100 ms");
	refused("--db-timeout-ms=7001", "VAPI_POOL_DB_TIMEOUT_MS", "timeout above 7 s: Vapi's 7.5 s budget");
	refused("--db-timeout-ms=60000", "VAPI_POOL_DB_TIMEOUT_MS", "timeout of a minute");
	refused("--instantly-secret-previous=old", "VAPI_POOL_INSTANTLY_SECRET_PREVIOUS", "previous Instantly secret without a current one");
	refused("--cal-webhook-secret-previous=old", "VAPI_POOL_CAL_WEBHOOK_SECRET_PREVIOUS", "previous Cal.com secret without a current one");
	refused("--vapi-secret=trailing ", "VAPI_POOL_VAPI_SECRET", "a header secret ending in a space");
	refused("--instantly-secret= leading", "VAPI_POOL_INSTANTLY_SECRET", "an Instantly secret starting with a space");
	ok(strstr(last_error, "leading") == NULL, "refused: the message does not echo the secret");

	accepted("--vapi-hmac-payload-format={body}", "{body} alone");
	accepted("--vapi-hmac-payload-format={timestamp}{body}}", "a lone } is literal text");
	accepted("--vapi-hmac-tolerance=86400", "a day of tolerance");
	accepted("--db-timeout-ms=100", "the smallest timeout");
	accepted("--db-pool-size=1", "one connection");
	accepted("--webhook-prefix=/a.b/c-d_e~f", "unreserved characters in a prefix");
	accepted("--webhook-prefix=/x", "a one-letter prefix");
	accepted("--vapi-auth-header=X-Vapi-Token", "another header name");
	accepted("--vapi-hmac-prefix=none", "no hmac prefix spelled none");

	{
		shim_config cfg;

		is_int(load(&cfg, "--vapi-auth=hmac", "--vapi-secret= key with spaces ", NULL), CONFIG_OK,
			   "an HMAC key may have surrounding spaces: it is never sent");
	}
}

/*
 * config_load_for(SHIM_DISPATCH) with the given flags (NULL-terminated) and
 * no webhook secret; stderr kept in last_error.
 */
static config_result
load_dispatch(shim_config *cfg, const char *first,...)
{
	char	   *argv[MAX_ARGS];
	int			argc = 0;
	const char *arg;
	va_list		ap;
	config_result r;

	argv[argc++] = (char *) "dispatch";
	va_start(ap, first);
	for (arg = first; arg != NULL; arg = va_arg(ap, const char *))
	{
		if (argc == MAX_ARGS - 1)
			abort();
		argv[argc++] = (char *) arg;
	}
	va_end(ap);
	argv[argc] = NULL;
	r = config_load_captured(cfg, SHIM_DISPATCH, argc, argv);
	free(cfg->listen_host);
	cfg->listen_host = NULL;
	return r;
}

/* The dispatcher's options: defaults, flags, variables, refusals, and the Vapi key dispatch needs. */
static void
test_dispatch(void)
{
	shim_config cfg;
	char		suffix[32];

	is_int(load(&cfg, NULL), CONFIG_OK, "dispatch defaults: the server still needs no API key");
	is_int(cfg.dispatch_concurrency, 64, "default dispatch concurrency 64");
	is_int(cfg.dispatch_batch, 32, "default dispatch batch 32");
	is_int(cfg.dispatch_lease_s, 120, "default dispatch lease 120 s");
	is_int(cfg.dispatch_poll_ms, 1000, "default dispatch poll 1000 ms");
	snprintf(suffix, sizeof(suffix), ":%d", (int) getpid());
	ok(cfg.dispatcher_name != NULL && strlen(cfg.dispatcher_name) > strlen(suffix) &&
	   strcmp(cfg.dispatcher_name + strlen(cfg.dispatcher_name) - strlen(suffix), suffix) == 0,
	   "default dispatcher name is HOST:PID (%s)", cfg.dispatcher_name ? cfg.dispatcher_name : "(null)");

	is_int(load_dispatch(&cfg, "--database-url=dbname=x", NULL), CONFIG_EXIT_USAGE,
		   "dispatch without a Vapi API key: usage error");
	ok(strstr(last_error, "VAPI_POOL_VAPI_API_KEY") != NULL && strstr(last_error, "dispatch") != NULL,
	   "... naming VAPI_POOL_VAPI_API_KEY");
	is_int(load_dispatch(&cfg, "--vapi-api-key=k-1", NULL), CONFIG_OK,
		   "dispatch with a Vapi API key and no webhook secret: accepted");
	is_int(cfg.command, SHIM_DISPATCH, "... as the dispatch command");
	ok(cfg.cal_api_key == NULL, "... the Cal.com key stays optional");

	is_int(load_dispatch(&cfg, "--vapi-api-key=k-1", "--dispatcher-name=east-1",
						 "--dispatch-concurrency=4096", "--dispatch-batch=1000", "--dispatch-lease=3600",
						 "--dispatch-poll-ms=60000", "--cal-api-key=c-1",
						 "--vapi-base-url=http://127.0.0.1:9/", "--cal-base-url=https://cal.example/v2", NULL),
		   CONFIG_OK, "dispatch flags: every option accepted at its upper bound");
	is_str(cfg.dispatcher_name, "east-1", "--dispatcher-name");
	is_int(cfg.dispatch_concurrency, 4096, "--dispatch-concurrency=4096");
	is_int(cfg.dispatch_batch, 1000, "--dispatch-batch=1000");
	is_int(cfg.dispatch_lease_s, 3600, "--dispatch-lease=3600");
	is_int(cfg.dispatch_poll_ms, 60000, "--dispatch-poll-ms=60000");
	is_str(cfg.vapi_base_url, "http://127.0.0.1:9/", "--vapi-base-url");

	setenv("VAPI_POOL_VAPI_API_KEY", "env-key", 1);
	setenv("VAPI_POOL_DISPATCHER_NAME", "west-2", 1);
	setenv("VAPI_POOL_DISPATCH_CONCURRENCY", "1", 1);
	setenv("VAPI_POOL_DISPATCH_BATCH", "1", 1);
	setenv("VAPI_POOL_DISPATCH_LEASE", "1", 1);
	setenv("VAPI_POOL_DISPATCH_POLL_MS", "10", 1);
	is_int(load_dispatch(&cfg, "--dispatch-batch=7", NULL), CONFIG_OK, "dispatch env: every variable accepted");
	is_str(cfg.vapi_api_key, "env-key", "VAPI_POOL_VAPI_API_KEY");
	is_str(cfg.dispatcher_name, "west-2", "VAPI_POOL_DISPATCHER_NAME");
	is_int(cfg.dispatch_concurrency, 1, "VAPI_POOL_DISPATCH_CONCURRENCY at its lower bound");
	is_int(cfg.dispatch_batch, 7, "the flag wins over VAPI_POOL_DISPATCH_BATCH");
	is_int(cfg.dispatch_lease_s, 1, "VAPI_POOL_DISPATCH_LEASE at its lower bound");
	is_int(cfg.dispatch_poll_ms, 10, "VAPI_POOL_DISPATCH_POLL_MS at its lower bound");
	clear_environment();

	refused("--dispatch-concurrency=0", "VAPI_POOL_DISPATCH_CONCURRENCY", "no request in flight");
	refused("--dispatch-concurrency=4097", "VAPI_POOL_DISPATCH_CONCURRENCY", "concurrency above 4096");
	refused("--dispatch-batch=0", "VAPI_POOL_DISPATCH_BATCH", "batch of nothing");
	refused("--dispatch-batch=1001", "VAPI_POOL_DISPATCH_BATCH", "batch above outbox_claim's 1000");
	refused("--dispatch-batch=32jobs", "VAPI_POOL_DISPATCH_BATCH", "batch with a unit");
	refused("--dispatch-lease=0", "VAPI_POOL_DISPATCH_LEASE", "lease below a second");
	refused("--dispatch-lease=3601", "VAPI_POOL_DISPATCH_LEASE", "lease above outbox_claim's hour");
	refused("--dispatch-poll-ms=9", "VAPI_POOL_DISPATCH_POLL_MS", "poll below 10 ms");
	refused("--dispatch-poll-ms=3600001", "VAPI_POOL_DISPATCH_POLL_MS", "poll above an hour");
	refused("--dispatcher-name=a\tb", "VAPI_POOL_DISPATCHER_NAME", "control character in the name");
	refused("--vapi-base-url=ftp://api.vapi.ai", "VAPI_POOL_VAPI_BASE_URL", "not http(s)");
	refused("--cal-base-url=api.cal.com/v2", "VAPI_POOL_CAL_BASE_URL", "no scheme");
	refused("--vapi-base-url=https://", "VAPI_POOL_VAPI_BASE_URL", "no host");
	refused("--vapi-api-key=key ", "VAPI_POOL_VAPI_API_KEY", "an API key ending in a space");
	refused("--cal-api-key=a\x01", "VAPI_POOL_CAL_API_KEY", "an API key with a control character");
	ok(strstr(last_error, "a\x01") == NULL, "refused: the message does not echo the key");
}

/* --help documents every new option and no secret value. */
static void
test_help(void)
{
	static const char *const documented[] = {
		"--vapi-auth-header", "VAPI_POOL_VAPI_AUTH_HEADER",
		"--vapi-auth-prefix", "VAPI_POOL_VAPI_AUTH_PREFIX",
		"--vapi-hmac-signature-header", "VAPI_POOL_VAPI_HMAC_SIGNATURE_HEADER",
		"--vapi-hmac-timestamp-header", "VAPI_POOL_VAPI_HMAC_TIMESTAMP_HEADER",
		"--vapi-hmac-algorithm", "VAPI_POOL_VAPI_HMAC_ALGORITHM",
		"--vapi-hmac-encoding", "VAPI_POOL_VAPI_HMAC_ENCODING",
		"--vapi-hmac-prefix", "VAPI_POOL_VAPI_HMAC_PREFIX",
		"--vapi-hmac-payload-format", "VAPI_POOL_VAPI_HMAC_PAYLOAD_FORMAT",
		"--vapi-hmac-tolerance", "VAPI_POOL_VAPI_HMAC_TOLERANCE",
		"--instantly-secret-previous", "VAPI_POOL_INSTANTLY_SECRET_PREVIOUS",
		"--cal-webhook-secret-previous", "VAPI_POOL_CAL_WEBHOOK_SECRET_PREVIOUS",
		"--known-caller-answer", "VAPI_POOL_KNOWN_CALLER_ANSWER",
		"--webhook-prefix", "VAPI_POOL_WEBHOOK_PREFIX",
		"--db-pool-size", "VAPI_POOL_DB_POOL_SIZE",
		"--db-timeout-ms", "VAPI_POOL_DB_TIMEOUT_MS",
		"--dispatcher-name", "VAPI_POOL_DISPATCHER_NAME",
		"--dispatch-concurrency", "VAPI_POOL_DISPATCH_CONCURRENCY",
		"--dispatch-batch", "VAPI_POOL_DISPATCH_BATCH",
		"--dispatch-lease", "VAPI_POOL_DISPATCH_LEASE",
		"--dispatch-poll-ms", "VAPI_POOL_DISPATCH_POLL_MS",
		"--allow-root", "VAPI_POOL_ALLOW_ROOT",
		"vapi-shim dispatch [OPTION]...",
		"default: \"Bearer \"", "the value none means \"no prefix\"",
	};
	char		path[] = "/tmp/vapi-shim-help.XXXXXX";
	char		text[16384];
	int			fd = mkstemp(path);
	int			saved = dup(STDOUT_FILENO);
	char	   *argv[] = {(char *) "vapi-shim", (char *) "--help", NULL};
	config_result r;
	shim_config cfg;
	ssize_t		n;

	if (fd < 0 || saved < 0)
		abort();
	setenv("VAPI_POOL_INSTANTLY_SECRET_PREVIOUS", "leak-me-7Qx", 1);
	setenv("VAPI_POOL_VAPI_API_KEY", "leak-me-too-3Fz", 1);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	r = config_load(&cfg, 2, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	unlink(path);
	text[n > 0 ? n : 0] = '\0';
	clear_environment();

	is_int(r, CONFIG_EXIT_SUCCESS, "--help exits successfully");
	for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		ok(strstr(text, documented[i]) != NULL, "--help shows %s", documented[i]);
	ok(strstr(text, "leak-me-7Qx") == NULL && strstr(text, "leak-me-too-3Fz") == NULL,
	   "--help shows no secret value");
}

/*
 * Root: refused unless --allow-root (a flag without a value) or
 * VAPI_POOL_ALLOW_ROOT=1; a value of VAPI_POOL_ALLOW_ROOT that is neither
 * yes nor no is a usage error, whoever runs.
 */
static void
test_root(void)
{
	shim_config cfg;
	int			root = geteuid() == 0;

	keep_root_refusal = 1;
	clear_environment();
	if (root)
	{
		is_int(load(&cfg, NULL), CONFIG_EXIT_USAGE, "as root: refused");
		ok(strstr(last_error, "refusing to run as root") != NULL &&
		   strstr(last_error, "VAPI_POOL_ALLOW_ROOT=1") != NULL,
		   "as root: the message says why and how to override");
	}
	else
	{
		is_int(load(&cfg, NULL), CONFIG_OK, "not root: no refusal");
		ok(strstr(last_error, "root") == NULL, "not root: no word about root");
	}
	is_int(load(&cfg, "--allow-root", "--db-pool-size=2", NULL), CONFIG_OK,
		   "--allow-root takes no value: the next flag is read as a flag");
	is_int(cfg.db_pool_size, 2, "... --db-pool-size=2 after it");
	setenv("VAPI_POOL_ALLOW_ROOT", "1", 1);
	is_int(load(&cfg, NULL), CONFIG_OK, "VAPI_POOL_ALLOW_ROOT=1 is accepted");
	setenv("VAPI_POOL_ALLOW_ROOT", "off", 1);
	is_int(load(&cfg, NULL), root ? CONFIG_EXIT_USAGE : CONFIG_OK,
		   "VAPI_POOL_ALLOW_ROOT=off allows nothing (%s)", root ? "refused" : "not root");
	setenv("VAPI_POOL_ALLOW_ROOT", "perhaps", 1);
	is_int(load(&cfg, NULL), CONFIG_EXIT_USAGE, "VAPI_POOL_ALLOW_ROOT=perhaps: a usage error");
	ok(strstr(last_error, "VAPI_POOL_ALLOW_ROOT must be 1") != NULL, "... naming the variable");
	clear_environment();
	keep_root_refusal = 0;
}

int
main(void)
{
	clear_environment();
	test_defaults();
	test_values();
	test_refused();
	test_dispatch();
	test_help();
	test_root();
	return done_testing();
}
