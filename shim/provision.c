/*
 * provision.c
 *	  vapi-shim pool fill|sync and vapi-shim assistants push: one-shot
 *	  commands that set up the Vapi account (numbers, assistants) of this
 *	  deployment.  This file is their front door and what they share; the
 *	  commands themselves are in provision_pool.c (numbers) and
 *	  provision_assistants.c (assistants).
 *
 * The database decides: which numbers to buy (pool_fill queues outbox jobs
 * that the dispatcher sends), what a listed number is (pool_sync), which
 * assistant is known (vapi_assistants).  These commands only carry answers
 * between Vapi and the database and print what happened.  Every statement
 * is parameterised; the Vapi API key goes into one request header and is
 * never printed.
 *
 * provision_main takes the command ("pool fill", "pool sync", "assistants
 * push") and its own flags (tool_flags) out of the arguments and hands the
 * rest, the options every vapi-shim command shares, to config_load_for.
 * What the commands share: the messages they print (provision_shared.h),
 * the database connection (tool_db_connect, tool_db_query) and the Vapi
 * requests (vapi_send, vapi_json, with the vendor's own words on a failure).
 *
 * Exit status: 0 done, 1 a run-time failure (database, Vapi answered 4xx or
 * 5xx, a purchase failed or did not finish in time), 2 a usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "db_conn.h"
#include "text.h"
#include "http_client.h"
#include "provision.h"
#include "provision_shared.h"
#include "tool_db.h"

/* one Vapi request: the whole exchange, connect included */
#define VAPI_TIMEOUT_MS 30000
#define MAX_WAIT_SECONDS 86400

/* what this run does */
typedef enum tool_command
{
	TOOL_POOL_FILL = 1 << 0,
	TOOL_POOL_SYNC = 1 << 1,
	TOOL_ASSISTANTS_PUSH = 1 << 2
} tool_command;

typedef enum tool_flag_id
{
	FLAG_BROKER,
	FLAG_AREA_CODE,
	FLAG_DRY_RUN,
	FLAG_WAIT_SECONDS,
	FLAG_ASSISTANTS_DIR,
	NUM_TOOL_FLAGS
} tool_flag_id;

/* commands: the tool_commands that accept it */
static const config_command_flag tool_flags[NUM_TOOL_FLAGS] = {
	[FLAG_BROKER] = {"broker", 1, TOOL_POOL_FILL | TOOL_POOL_SYNC},
	[FLAG_AREA_CODE] = {"area-code", 1, TOOL_POOL_FILL},
	[FLAG_DRY_RUN] = {"dry-run", 0, TOOL_POOL_FILL | TOOL_ASSISTANTS_PUSH},
	[FLAG_WAIT_SECONDS] = {"wait-seconds", 1, TOOL_POOL_FILL},
	[FLAG_ASSISTANTS_DIR] = {"assistants-dir", 1, TOOL_ASSISTANTS_PUSH},
};

/* ---------------------------------------------------------------- messages */

/* Print the usage of "vapi-shim pool" or "vapi-shim assistants". */
static void
print_usage(FILE *out, const char *group)
{
	if (strcmp(group, "pool") == 0)
		pool_usage(out);
	else
		assistants_usage(out);
	fputs("\n"
		  "OPTION: the shared options of vapi-shim, e.g. --database-url, --vapi-api-key,\n"
		  "--vapi-base-url, --public-url, --webhook-prefix; each also read from its\n"
		  "VAPI_POOL_* variable (see vapi-shim --help). Prefer the environment for the\n"
		  "API key. Secret values are never printed.\n"
		  "\n"
		  "Exit status: 0 done, 1 a run-time failure (database, Vapi error, a purchase\n"
		  "that failed or did not finish in time), 2 a usage or configuration error.\n", out);
}

/* What a usage error ends with: where to find help for this group of commands. */
const char *
tool_try_help(const char *group)
{
	static char tail[96];

	snprintf(tail, sizeof(tail), "\nTry \"vapi-shim %s --help\" for more information.\n", group);
	return tail;
}

/* ---------------------------------------------------------------- argument checks */

/* Is text a UUID in its canonical 8-4-4-4-12 hexadecimal form? */
static int
is_uuid(const char *text)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	const char *p = text;

	for (int g = 0; g < 5; g++)
	{
		for (int i = 0; i < groups[g]; i++, p++)
			if (!isxdigit((unsigned char) *p))
				return 0;
		if (g < 4 && *p++ != '-')
			return 0;
	}
	return *p == '\0';
}

/* Is text exactly n decimal digits? */
static int
is_digits(const char *text, size_t n)
{
	size_t		len = strlen(text);

	if (len != n)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char) text[i]))
			return 0;
	return 1;
}

/*
 * Is id safe to put in a URL path as it is?  Vapi ids are UUIDs; anything
 * outside letters, digits, "-" and "_" is refused rather than encoded.
 */
int
is_path_id(const char *id)
{
	if (id == NULL || id[0] == '\0' || strlen(id) > 128)
		return 0;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_')
			return 0;
	return 1;
}

/* ---------------------------------------------------------------- parsing the command line */

/* Which command "pool fill", "pool sync" or "assistants push" is; 0 if none. */
static tool_command
find_command(const char *group, const char *name)
{
	if (strcmp(group, "pool") == 0 && strcmp(name, "fill") == 0)
		return TOOL_POOL_FILL;
	if (strcmp(group, "pool") == 0 && strcmp(name, "sync") == 0)
		return TOOL_POOL_SYNC;
	if (strcmp(group, "assistants") == 0 && strcmp(name, "push") == 0)
		return TOOL_ASSISTANTS_PUSH;
	return 0;
}

/* Store one tool flag's value in *options, checking it; returns 0 or the usage exit status. */
static int
set_tool_flag(void *options, int id, const char *value, const char *group)
{
	tool_options *o = options;

	switch ((tool_flag_id) id)
	{
		case FLAG_BROKER:
			if (!is_uuid(value))
				return tool_usage_error(group, "--broker must be a broker id (a UUID), got \"%s\"", value);
			o->broker = value;
			break;
		case FLAG_AREA_CODE:
			if (!is_digits(value, 3) || value[0] < '2')
				return tool_usage_error(group, "--area-code must be a North American area code: three digits, not starting with 0 or 1, got \"%s\"", value);
			o->area_code = value;
			break;
		case FLAG_DRY_RUN:
			o->dry_run = 1;
			break;
		case FLAG_WAIT_SECONDS:
			if ((o->wait_seconds = shim_parse_whole(value, 0, MAX_WAIT_SECONDS)) < 0)
				return tool_usage_error(group, "--wait-seconds must be seconds from 0 to %d, got \"%s\"",
								   MAX_WAIT_SECONDS, value);
			break;
		case FLAG_ASSISTANTS_DIR:
			if (value[0] == '\0')
				return tool_usage_error(group, "--assistants-dir must not be empty");
			o->assistants_dir = value;
			break;
		case NUM_TOOL_FLAGS:
			break;
	}
	return 0;
}

/* ---------------------------------------------------------------- URLs */

/* A copy of url without its trailing slashes. */
static char *
strip_trailing_slashes(const char *url)
{
	char	   *copy = strdup(url);
	size_t		len = strlen(copy);

	while (len > 0 && copy[len - 1] == '/')
		copy[--len] = '\0';
	return copy;
}

/* Is url an absolute http(s) URL without query, fragment, spaces or quotes? */
static int
is_base_url(const char *url)
{
	return shim_is_http_url(url, " ?#\"\\<>");
}

/*
 * The URL Vapi sends server messages and tool calls to: --public-url +
 * --webhook-prefix + "/vapi" (malloc'd), or NULL if --public-url is not set.
 * *bad is set if it is set but not a usable base URL.
 */
char *
vapi_server_url(const shim_config *cfg, int *bad)
{
	char	   *base;
	char	   *url;
	size_t		len;

	*bad = 0;
	if (cfg->public_url == NULL)
		return NULL;
	if (!is_base_url(cfg->public_url))
	{
		*bad = 1;
		return NULL;
	}
	base = strip_trailing_slashes(cfg->public_url);
	len = strlen(base) + strlen(cfg->webhook_prefix) + sizeof("/vapi");
	url = malloc(len);
	snprintf(url, len, "%s%s/vapi", base, cfg->webhook_prefix);
	free(base);
	return url;
}

/* ---------------------------------------------------------------- the database */

/*
 * The database connection of the provisioning commands (tool_db.c); NULL
 * with the reason printed.
 */
PGconn *
tool_db_connect(const shim_config *cfg)
{
	char	   *why = NULL;
	PGconn	   *conn = tool_db_open(cfg, "vapi-shim provisioning", NULL, &why);

	if (conn == NULL)
		tool_error("could not connect to the database: %s", why != NULL ? why : "out of memory");
	free(why);
	return conn;
}

/*
 * Run one statement (text parameters); its result, or NULL with the
 * database's error (its SQLSTATE, detail and hint) printed.
 */
PGresult *
tool_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	return tool_db_exec(conn, "database error", sql, nparams, params, NULL);
}

/* The text of a result field, or NULL if it is SQL NULL. */
const char *
tool_field(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* ---------------------------------------------------------------- Vapi requests */

/* Prepare *api from the configuration; 0, or the usage exit status (message printed). */
int
vapi_api_init(vapi_api *api, const shim_config *cfg, const char *group)
{
	size_t		len;

	memset(api, 0, sizeof(*api));
	if (cfg->vapi_api_key == NULL)
		return tool_usage_error(group, "VAPI_POOL_VAPI_API_KEY (--vapi-api-key) is not set: it is needed to talk to Vapi");
	if (shim_has_control_char(cfg->vapi_api_key))
		return tool_usage_error(group, "VAPI_POOL_VAPI_API_KEY (--vapi-api-key) must not contain control characters");
	if (!is_base_url(cfg->vapi_base_url))
		return tool_usage_error(group, "VAPI_POOL_VAPI_BASE_URL (--vapi-base-url) must be an http(s) URL without query, got \"%s\"",
						   cfg->vapi_base_url);
	api->base_url = strip_trailing_slashes(cfg->vapi_base_url);
	len = strlen("Authorization: Bearer ") + strlen(cfg->vapi_api_key) + 1;
	api->auth_header = malloc(len);
	snprintf(api->auth_header, len, "Authorization: Bearer %s", cfg->vapi_api_key);
	return 0;
}

/* Forget the key (the memory is overwritten before it is freed). */
void
vapi_api_free(vapi_api *api)
{
	if (api->auth_header)
	{
		explicit_bzero(api->auth_header, strlen(api->auth_header));
		free(api->auth_header);
	}
	free(api->base_url);
	memset(api, 0, sizeof(*api));
}

/*
 * Send one request to Vapi (path starts with "/", body NULL for none) and
 * wait for its answer in *resp (free it with http_response_free).  Returns
 * the HTTP status, 0 if there was no answer.
 */
long
vapi_send(const vapi_api *api, const char *method, const char *path, const char *body,
		  http_response *resp)
{
	const char *headers[] = {api->auth_header, "Accept: application/json",
	body ? "Content-Type: application/json" : NULL, NULL};
	size_t		len = strlen(api->base_url) + strlen(path) + 1;
	char	   *url = malloc(len);
	http_request req;

	snprintf(url, len, "%s%s", api->base_url, path);
	memset(&req, 0, sizeof(req));
	memset(resp, 0, sizeof(*resp));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = VAPI_TIMEOUT_MS;
	http_perform_all(&req, resp, 1, VAPI_TIMEOUT_MS + 1000);
	free(url);
	return resp->status;
}

/* Is status a success (2xx)? */
int
http_ok(long status)
{
	return status >= 200 && status < 300;
}

/* Append text to buf (size len, used *pos), control characters as spaces. */
static void
append_clean(char *buf, size_t len, size_t *pos, const char *text)
{
	for (const unsigned char *p = (const unsigned char *) text; *p && *pos + 1 < len; p++)
		buf[(*pos)++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char) *p;
	buf[*pos] = '\0';
}

/*
 * What the vendor said about a failure, on one line: Vapi's "message" (a
 * string, or an array of strings), else "error", else the start of the body;
 * for no answer, why.
 */
void
vendor_message(const http_response *resp, char *buf, size_t len)
{
	json_t	   *doc;
	json_t	   *msg;
	size_t		pos = 0;

	buf[0] = '\0';
	if (resp->status == 0)
	{
		append_clean(buf, len, &pos, resp->error[0] ? resp->error : "no answer");
		return;
	}
	doc = json_loadb(resp->body, resp->body_len, 0, NULL);
	msg = json_is_object(doc) ? json_object_get(doc, "message") : NULL;
	if (!json_is_string(msg) && !json_is_array(msg) && json_is_object(doc))
		msg = json_object_get(doc, "error");
	if (json_is_string(msg))
		append_clean(buf, len, &pos, json_string_value(msg));
	else if (json_is_array(msg))
	{
		size_t		i;
		json_t	   *item;

		json_array_foreach(msg, i, item)
		{
			if (!json_is_string(item))
				continue;
			if (pos > 0)
				append_clean(buf, len, &pos, "; ");
			append_clean(buf, len, &pos, json_string_value(item));
		}
	}
	if (pos == 0)
		append_clean(buf, len, &pos, resp->body_len ? resp->body : "(empty answer)");
	json_decref(doc);
}

/* Print "METHOD PATH failed: HTTP status: message" (or "no answer: why"). */
void
report_http_failure(const char *method, const char *path, const http_response *resp)
{
	char		msg[VENDOR_MESSAGE_MAX];

	vendor_message(resp, msg, sizeof(msg));
	if (resp->status == 0)
		tool_error("%s %s failed: no answer from Vapi: %s", method, path, msg);
	else
		tool_error("%s %s failed: HTTP %ld: %s", method, path, resp->status, msg);
}

/* Send a request whose answer must be 2xx JSON; the decoded answer, or NULL (reported). */
json_t *
vapi_json(const vapi_api *api, const char *method, const char *path, const char *body, long *status)
{
	http_response resp;
	json_t	   *answer = NULL;
	json_error_t err;

	*status = vapi_send(api, method, path, body, &resp);
	if (!http_ok(*status))
		report_http_failure(method, path, &resp);
	else if ((answer = json_loadb(resp.body, resp.body_len, 0, &err)) == NULL)
		tool_error("%s %s: the answer is not JSON (%s)", method, path, err.text);
	http_response_free(&resp);
	return answer;
}

/* ---------------------------------------------------------------- entry point */

/*
 * vapi-shim pool fill|sync, vapi-shim assistants push: argv[0] is "pool" or
 * "assistants", argv[1] the command; the tool flags are taken out and the
 * rest goes to config_load_for.
 */
int
provision_main(int argc, char **argv)
{
	const char *group = argv[0];
	tool_command command;
	tool_options o = {.wait_seconds = DEFAULT_WAIT_SECONDS};
	shim_config cfg;
	char		name[64];
	config_command c = {tool_flags, NUM_TOOL_FLAGS, 0, group, name, NULL, set_tool_flag, &o};
	int			status;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
	{
		print_usage(argc < 2 ? stderr : stdout, group);
		return argc < 2 ? SHIM_EXIT_USAGE : EXIT_SUCCESS;
	}
	if ((command = find_command(group, argv[1])) == 0)
		return tool_usage_error(group, "unknown command \"%s %s\"", group, argv[1]);

	snprintf(name, sizeof(name), "%s %s", group, argv[1]);
	c.command = command;
	c.help_tail = tool_try_help(group);
	if ((status = config_load_command(&cfg, &c, argc, argv, 2)) == CONFIG_ARGS_HELP)
	{
		print_usage(stdout, group);
		return EXIT_SUCCESS;
	}
	if (status != CONFIG_ARGS_GO_ON)
		return status;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	switch (command)
	{
		case TOOL_POOL_FILL:
			status = pool_fill(&cfg, &o);
			break;
		case TOOL_POOL_SYNC:
			status = pool_sync(&cfg, &o);
			break;
		case TOOL_ASSISTANTS_PUSH:
			status = assistants_push(&cfg, &o);
			break;
	}
	curl_global_cleanup();
	free(cfg.listen_host);		/* config_load_for's */
	return status;
}
