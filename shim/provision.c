/*
 * provision.c
 *	  vapi-shim pool fill|sync and vapi-shim assistants push: one-shot
 *	  commands that set up the Vapi account (numbers, assistants) of this
 *	  deployment.
 *
 * The database decides: which numbers to buy (pool_fill queues outbox jobs
 * that the dispatcher sends), what a listed number is (pool_sync), which
 * assistant is known (vapi_assistants).  These commands only carry answers
 * between Vapi and the database and print what happened.  Every statement
 * is parameterised; the Vapi API key goes into one request header and is
 * never printed.
 *
 * Exit status: 0 done, 1 a run-time failure (database, Vapi answered 4xx or
 * 5xx, a purchase failed or did not finish in time), 2 a usage error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "config.h"
#include "db_conn.h"
#include "text.h"
#include "http_client.h"
#include "provision.h"

#define EXIT_RUNTIME 1

/* one Vapi request: the whole exchange, connect included */
#define VAPI_TIMEOUT_MS 30000
/*
 * GET /phone-number pages: Vapi's default size first, halved while an answer
 * is too long for the HTTP client to keep (HTTP_BODY_MAX).
 */
#define PHONE_NUMBER_PAGE 100
/* requests made at most to list the numbers (a safety net against a paging loop) */
#define PHONE_NUMBER_MAX_REQUESTS 10000
/* pool fill: how long jobs may sit untouched before we say nothing moves */
#define NOTHING_MOVES_SECS 10
#define DEFAULT_WAIT_SECONDS 120
#define MAX_WAIT_SECONDS 86400
/* the vendor's error text is cut to this many bytes when printed */
#define VENDOR_MESSAGE_MAX 300
/* the default directory of assistant definitions, relative to the current one */
#define DEFAULT_ASSISTANTS_DIR "assistants"

/* the installed copy of the definitions, if the build names one */
#ifdef SHIM_ASSISTANTS_DIR
#define INSTALLED_DIR_SEP ", else "
#define INSTALLED_DIR SHIM_ASSISTANTS_DIR
#else
#define INSTALLED_DIR_SEP ""
#define INSTALLED_DIR ""
#endif

/* the placeholders an assistant definition may contain, and what replaces them */
#define PLACEHOLDER_TOOL_SERVER_URL "{{tool_server_url}}"
#define PLACEHOLDER_SERVER_URL "{{server_url}}"

/* what this run does */
typedef enum tool_command
{
	TOOL_POOL_FILL = 1 << 0,
	TOOL_POOL_SYNC = 1 << 1,
	TOOL_ASSISTANTS_PUSH = 1 << 2
} tool_command;

/* the flags of the provisioning commands (the shared options go to config.c) */
typedef struct tool_options
{
	const char *broker;			/* --broker UUID */
	const char *area_code;		/* --area-code NNN */
	int			dry_run;		/* --dry-run */
	int			wait_seconds;	/* --wait-seconds N */
	const char *assistants_dir; /* --assistants-dir DIR */
} tool_options;

typedef enum tool_flag_id
{
	FLAG_BROKER,
	FLAG_AREA_CODE,
	FLAG_DRY_RUN,
	FLAG_WAIT_SECONDS,
	FLAG_ASSISTANTS_DIR,
	NUM_TOOL_FLAGS
} tool_flag_id;

typedef struct tool_flag
{
	const char *name;			/* without the leading "--" */
	int			has_value;
	unsigned	commands;		/* the tool_commands that accept it */
} tool_flag;

static const tool_flag tool_flags[NUM_TOOL_FLAGS] = {
	[FLAG_BROKER] = {"broker", 1, TOOL_POOL_FILL | TOOL_POOL_SYNC},
	[FLAG_AREA_CODE] = {"area-code", 1, TOOL_POOL_FILL},
	[FLAG_DRY_RUN] = {"dry-run", 0, TOOL_POOL_FILL | TOOL_ASSISTANTS_PUSH},
	[FLAG_WAIT_SECONDS] = {"wait-seconds", 1, TOOL_POOL_FILL},
	[FLAG_ASSISTANTS_DIR] = {"assistants-dir", 1, TOOL_ASSISTANTS_PUSH},
};

/* ---------------------------------------------------------------- messages */

/* Print "vapi-shim: <message>" on stderr. */
static void tool_error(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static void
tool_error(const char *fmt,...)
{
	va_list		ap;

	fputs("vapi-shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Print the usage of "vapi-shim pool" or "vapi-shim assistants". */
static void
print_usage(FILE *out, const char *group)
{
	if (strcmp(group, "pool") == 0)
		fprintf(out,
				"Usage:\n"
				"  vapi-shim pool fill --broker UUID [--area-code NNN] [--dry-run] [--wait-seconds N] [OPTION]...\n"
				"  vapi-shim pool sync [--broker UUID] [OPTION]...\n"
				"\n"
				"pool fill asks the database (vapi_pool.pool_fill) to queue the purchases that\n"
				"bring the broker's pool to its number_pool_size, prints them, then waits until\n"
				"the dispatcher (vapi-shim dispatch, which must be running) has bought each\n"
				"number or given up, and prints the numbers or the errors.\n"
				"  --broker UUID       the broker whose pool to fill (required)\n"
				"  --area-code NNN     ask Vapi for numbers in this area code\n"
				"  --dry-run           print what would be bought; queue nothing\n"
				"  --wait-seconds N    wait at most N seconds for the purchases (default %d; 0: do not wait)\n"
				"\n"
				"pool sync lists the numbers of the Vapi account (GET /phone-number), hands them\n"
				"to the database (vapi_pool.pool_sync), which links the known ones and imports\n"
				"the others into the broker's pool, and points each number that needs it at\n"
				"this deployment (PATCH /phone-number/{id}, server.url).\n"
				"  --broker UUID       the broker whose pool unknown numbers join\n",
				DEFAULT_WAIT_SECONDS);
	else
		fprintf(out,
				"Usage:\n"
				"  vapi-shim assistants push [--assistants-dir DIR] [--dry-run] [OPTION]...\n"
				"\n"
				"Creates or updates at Vapi one assistant per DIR/ROLE.json and records its id\n"
				"for ROLE in vapi_pool.vapi_assistants. {{tool_server_url}} and {{server_url}}\n"
				"in the definitions become --public-url + --webhook-prefix + /vapi. A definition\n"
				"whose text is unchanged since its last push is skipped.\n"
				"  --assistants-dir DIR  the definitions (default: ./%s%s%s)\n"
				"  --dry-run             print what would be created or updated; change nothing\n",
				DEFAULT_ASSISTANTS_DIR, INSTALLED_DIR_SEP, INSTALLED_DIR);
	fputs("\n"
		  "OPTION: the shared options of vapi-shim, e.g. --database-url, --vapi-api-key,\n"
		  "--vapi-base-url, --public-url, --webhook-prefix; each also read from its\n"
		  "VAPI_POOL_* variable (see vapi-shim --help). Prefer the environment for the\n"
		  "API key. Secret values are never printed.\n"
		  "\n"
		  "Exit status: 0 done, 1 a run-time failure (database, Vapi error, a purchase\n"
		  "that failed or did not finish in time), 2 a usage or configuration error.\n", out);
}

/* Report a usage error and point at --help; returns the usage exit status. */
static int	usage_error(const char *group, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *group, const char *fmt,...)
{
	va_list		ap;

	fputs("vapi-shim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"vapi-shim %s --help\" for more information.\n", group);
	return SHIM_EXIT_USAGE;
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

/* Parse a whole number from 0 to max; -1 if text is not one. */
static int
parse_count(const char *text, int max)
{
	char	   *end;
	long		v;

	if (!isdigit((unsigned char) text[0]))
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	return (int) v;
}

/*
 * Is id safe to put in a URL path as it is?  Vapi ids are UUIDs; anything
 * outside letters, digits, "-" and "_" is refused rather than encoded.
 */
static int
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

/* The tool flag called name (length len), or -1. */
static int
find_tool_flag(const char *name, size_t len)
{
	for (int i = 0; i < NUM_TOOL_FLAGS; i++)
		if (strlen(tool_flags[i].name) == len && strncmp(tool_flags[i].name, name, len) == 0)
			return i;
	return -1;
}

/* Store one tool flag's value in *o, checking it; returns 0 or the usage exit status. */
static int
set_tool_flag(tool_options *o, tool_flag_id id, const char *value, const char *group)
{
	switch (id)
	{
		case FLAG_BROKER:
			if (!is_uuid(value))
				return usage_error(group, "--broker must be a broker id (a UUID), got \"%s\"", value);
			o->broker = value;
			break;
		case FLAG_AREA_CODE:
			if (!is_digits(value, 3) || value[0] < '2')
				return usage_error(group, "--area-code must be a North American area code: three digits, not starting with 0 or 1, got \"%s\"", value);
			o->area_code = value;
			break;
		case FLAG_DRY_RUN:
			o->dry_run = 1;
			break;
		case FLAG_WAIT_SECONDS:
			if ((o->wait_seconds = parse_count(value, MAX_WAIT_SECONDS)) < 0)
				return usage_error(group, "--wait-seconds must be seconds from 0 to %d, got \"%s\"",
								   MAX_WAIT_SECONDS, value);
			break;
		case FLAG_ASSISTANTS_DIR:
			if (value[0] == '\0')
				return usage_error(group, "--assistants-dir must not be empty");
			o->assistants_dir = value;
			break;
		case NUM_TOOL_FLAGS:
			break;
	}
	return 0;
}

/*
 * Take the tool flags out of argv[2..] into *o; every other argument goes,
 * in order, into rest (rest[0] = "vapi-shim") for config_load_for.  Returns
 * -1 to go on, or an exit status (--help printed, or a usage error).
 */
static int
parse_tool_args(int argc, char **argv, tool_command command, tool_options *o,
				char **rest, int *nrest)
{
	const char *group = argv[0];

	*nrest = 0;
	rest[(*nrest)++] = "vapi-shim";
	for (int i = 2; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq;
		size_t		len;
		int			id;
		int			status;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
		{
			print_usage(stdout, group);
			return EXIT_SUCCESS;
		}
		if (strcmp(arg, "--allow-root") == 0)
		{
			/* a shared flag without a value: config_load_for reads it */
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return usage_error(group, "unexpected argument \"%s\"", arg);
		eq = strchr(arg + 2, '=');
		len = eq ? (size_t) (eq - (arg + 2)) : strlen(arg + 2);
		if ((id = find_tool_flag(arg + 2, len)) < 0)
		{
			/* a shared option: config_load_for reads it (and its value) */
			rest[(*nrest)++] = argv[i];
			if (eq == NULL && i + 1 < argc)
				rest[(*nrest)++] = argv[++i];
			continue;
		}
		if ((tool_flags[id].commands & command) == 0)
			return usage_error(group, "--%s is not an option of %s %s", tool_flags[id].name, group, argv[1]);
		if (!tool_flags[id].has_value)
		{
			if (eq)
				return usage_error(group, "--%s takes no value", tool_flags[id].name);
			status = set_tool_flag(o, (tool_flag_id) id, NULL, group);
		}
		else if (eq)
			status = set_tool_flag(o, (tool_flag_id) id, eq + 1, group);
		else if (i + 1 < argc)
			status = set_tool_flag(o, (tool_flag_id) id, argv[++i], group);
		else
			return usage_error(group, "--%s needs a value", tool_flags[id].name);
		if (status != 0)
			return status;
	}
	rest[*nrest] = NULL;
	return -1;
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
	const char *host;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return 0;
	if (host[0] == '\0' || host[0] == '/' || shim_has_control_char(url))
		return 0;
	return strpbrk(url, " ?#\"\\<>") == NULL;
}

/*
 * The URL Vapi sends server messages and tool calls to: --public-url +
 * --webhook-prefix + "/vapi" (malloc'd), or NULL if --public-url is not set.
 * *bad is set if it is set but not a usable base URL.
 */
static char *
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
 * Connect to --database-url with the search_path pinned (db_conn.h); NULL
 * (error printed) on failure.
 */
static PGconn *
db_connect(const shim_config *cfg)
{
	db_conn_params cp;
	PGconn	   *conn = NULL;
	PGresult   *res = NULL;
	char	   *msg;
	size_t		len;

	if (db_conn_params_init(&cp, cfg->database_url, "vapi-shim provisioning", NULL) == 0)
		conn = PQconnectdbParams(cp.keys, cp.vals, 1);
	db_conn_params_free(&cp);
	if (PQstatus(conn) == CONNECTION_OK)
		res = PQexec(conn, DB_CONN_PIN_SQL);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		return conn;
	}

	msg = strdup(res != NULL ? PQresultErrorMessage(res) : conn != NULL ? PQerrorMessage(conn) : "out of memory");
	len = msg != NULL ? strlen(msg) : 0;
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	tool_error("could not connect to the database: %s", msg != NULL ? msg : "out of memory");
	free(msg);
	PQclear(res);
	PQfinish(conn);
	return NULL;
}

/*
 * Run one parameterised statement (text parameters, text results); the
 * result if it succeeded, else NULL with the server's message (and its
 * detail and hint) printed.
 */
static PGresult *
db_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	const char *primary;
	const char *detail;
	const char *hint;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	tool_error("database error: %s", primary ? primary : PQerrorMessage(conn));
	if (detail)
		fprintf(stderr, "  detail: %s\n", detail);
	if (hint)
		fprintf(stderr, "  hint: %s\n", hint);
	PQclear(res);
	return NULL;
}

/* The text of a result field, or NULL if it is SQL NULL. */
static const char *
field(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* ---------------------------------------------------------------- Vapi requests */

/* Where and how to reach the Vapi API. */
typedef struct vapi_api
{
	char	   *base_url;		/* --vapi-base-url without trailing "/" */
	char	   *auth_header;	/* "Authorization: Bearer <key>": never printed */
} vapi_api;

/* Prepare *api from the configuration; 0, or the usage exit status (message printed). */
static int
vapi_api_init(vapi_api *api, const shim_config *cfg, const char *group)
{
	size_t		len;

	memset(api, 0, sizeof(*api));
	if (cfg->vapi_api_key == NULL)
		return usage_error(group, "VAPI_POOL_VAPI_API_KEY (--vapi-api-key) is not set: it is needed to talk to Vapi");
	if (shim_has_control_char(cfg->vapi_api_key))
		return usage_error(group, "VAPI_POOL_VAPI_API_KEY (--vapi-api-key) must not contain control characters");
	if (!is_base_url(cfg->vapi_base_url))
		return usage_error(group, "VAPI_POOL_VAPI_BASE_URL (--vapi-base-url) must be an http(s) URL without query, got \"%s\"",
						   cfg->vapi_base_url);
	api->base_url = strip_trailing_slashes(cfg->vapi_base_url);
	len = strlen("Authorization: Bearer ") + strlen(cfg->vapi_api_key) + 1;
	api->auth_header = malloc(len);
	snprintf(api->auth_header, len, "Authorization: Bearer %s", cfg->vapi_api_key);
	return 0;
}

/* Forget the key (the memory is overwritten before it is freed). */
static void
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
static long
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
static int
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
static void
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
static void
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
static json_t *
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

/* ---------------------------------------------------------------- pool fill */

/* A job of pool fill's, as the outbox shows it. */
typedef struct purchase_job
{
	char		id[24];
	char		state[16];
	int			attempts;
	int			reported;		/* its outcome was printed */
	int			bought;			/* done, and its number is in the pool */
	char	   *last_error;
} purchase_job;

/*
 * Each watched job: its outbox row, and the number it added to the pool
 * (the report records the bought number's Vapi id as result.phone_number_id
 * and adds the number to the broker's pool).
 */
#define WATCH_JOBS_SQL \
	"SELECT o.id, o.state, o.attempts, o.last_http_status, o.last_error," \
	"       o.result ->> 'phone_number_id', p.number::text" \
	"  FROM vapi_pool.outbox o" \
	"  LEFT JOIN vapi_pool.vapi_number_pool p" \
	"    ON p.org_id = o.org_id AND p.vapi_phone_number_id = o.result ->> 'phone_number_id'" \
	" WHERE o.id = ANY ($1::bigint[])" \
	" ORDER BY o.id"

/* Split a bigint[] literal ("{1,2,3}") into jobs; returns how many. */
static int
parse_job_ids(const char *literal, purchase_job **jobs)
{
	int			n = 0;
	const char *p = literal;

	*jobs = calloc(strlen(literal) / 2 + 1, sizeof(purchase_job));
	while (*p)
	{
		size_t		len;

		while (*p && !isdigit((unsigned char) *p))
			p++;
		len = strspn(p, "0123456789");
		if (len == 0 || len >= sizeof((*jobs)[n].id))
			break;
		memcpy((*jobs)[n].id, p, len);
		(*jobs)[n].id[len] = '\0';
		strcpy((*jobs)[n].state, "pending");
		n++;
		p += len;
	}
	return n;
}

/* The jobs' ids as one bigint[] literal, "{1,2,3}" (malloc'd). */
static char *
array_literal(const purchase_job *jobs, int n)
{
	size_t		len = 3;
	char	   *out;

	for (int i = 0; i < n; i++)
		len += strlen(jobs[i].id) + 1;
	out = malloc(len);
	strcpy(out, "{");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			strcat(out, ",");
		strcat(out, jobs[i].id);
	}
	strcat(out, "}");
	return out;
}

/* The job with this id, or NULL. */
static purchase_job *
find_job(purchase_job *jobs, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(jobs[i].id, id) == 0)
			return &jobs[i];
	return NULL;
}

/* Print a finished job once: the number it bought, or why it failed. */
static void
report_finished_job(purchase_job *job, const char *http_status, const char *vapi_id, const char *number)
{
	const char *error = job->last_error;

	if (job->reported)
		return;
	job->reported = 1;
	if (strcmp(job->state, "done") == 0 && number)
	{
		job->bought = 1;
		printf("  bought %s (Vapi phone number %s, job %s)\n", number, vapi_id ? vapi_id : "?", job->id);
	}
	else if (strcmp(job->state, "done") == 0)
		printf("  job %s: bought %s but it is not in the pool: %s\n", job->id,
			   vapi_id ? vapi_id : "a number", error && error[0] ? error : "no reason given");
	else
	{
		/* the outbox's error usually names the status already */
		int			show_status = http_status && !(error && strncmp(error, "HTTP ", 5) == 0);

		printf("  job %s failed after %d attempt%s: %s%s%s%s\n", job->id, job->attempts,
			   job->attempts == 1 ? "" : "s", show_status ? "HTTP " : "", show_status ? http_status : "",
			   show_status && error ? ": " : "", error ? error : (show_status ? "" : "no reason given"));
	}
}

/*
 * Read the jobs' states once; print each job that finished.  Returns how
 * many are still open, -1 on a database error; *moved is set once any job
 * was claimed.
 */
static int
poll_jobs(PGconn *conn, const char *ids, purchase_job *jobs, int n, int *moved)
{
	const char *params[] = {ids};
	PGresult   *res = db_query(conn, WATCH_JOBS_SQL, 1, params);
	int			open = 0;

	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
	{
		purchase_job *job = find_job(jobs, n, PQgetvalue(res, i, 0));
		const char *error = field(res, i, 4);

		if (job == NULL)
			continue;
		snprintf(job->state, sizeof(job->state), "%s", PQgetvalue(res, i, 1));
		job->attempts = atoi(PQgetvalue(res, i, 2));
		free(job->last_error);
		job->last_error = error ? strdup(error) : NULL;
		if (job->attempts > 0 || strcmp(job->state, "pending") != 0)
			*moved = 1;
		if (strcmp(job->state, "done") == 0 || strcmp(job->state, "dead") == 0)
			report_finished_job(job, field(res, i, 3), field(res, i, 5), field(res, i, 6));
		else
			open++;
	}
	PQclear(res);
	return open;
}

/* Seconds on the monotonic clock. */
static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print the jobs still open when the wait ended, and why it ended. */
static void
report_unfinished(const purchase_job *jobs, int n, int open, int moved, int wait_seconds)
{
	for (int i = 0; i < n; i++)
		if (!jobs[i].reported)
			printf("  job %s still %s after %d attempt%s%s%s\n", jobs[i].id, jobs[i].state,
				   jobs[i].attempts, jobs[i].attempts == 1 ? "" : "s",
				   jobs[i].last_error ? "; last error: " : "", jobs[i].last_error ? jobs[i].last_error : "");
	tool_error("%s after %d s: %d of %d purchases not finished; their jobs stay queued and the dispatcher buys them when it runs",
			   moved ? "timed out" : "nothing moved: no dispatcher picked them up", wait_seconds, open, n);
}

/*
 * Wait (polling each second, up to wait_seconds) until every job is done or
 * dead, printing each outcome.  Returns the exit status: 0 if every number
 * was bought and is in the pool.
 */
static int
wait_for_purchases(PGconn *conn, const char *job_ids, int wait_seconds)
{
	purchase_job *jobs;
	int			n = parse_job_ids(job_ids, &jobs);
	char	   *ids = array_literal(jobs, n);
	int			moved = 0;
	int			warned = 0;
	int			open = n;
	int			bought = 0;
	double		start = now_seconds();

	printf("waiting up to %d s for the dispatcher (vapi-shim dispatch) to buy %d number%s...\n",
		   wait_seconds, n, n == 1 ? "" : "s");
	fflush(stdout);
	for (;;)
	{
		double		elapsed;

		open = poll_jobs(conn, ids, jobs, n, &moved);
		fflush(stdout);
		elapsed = now_seconds() - start;
		if (open <= 0 || elapsed >= wait_seconds)
			break;
		if (!moved && !warned && elapsed >= NOTHING_MOVES_SECS)
		{
			tool_error("no dispatcher has picked up the purchases after %d s: is \"vapi-shim dispatch\" running against this database, with --vapi-api-key?",
					   NOTHING_MOVES_SECS);
			warned = 1;
		}
		sleep(1);
	}
	for (int i = 0; i < n; i++)
		bought += jobs[i].bought;
	if (open < 0)
		tool_error("stopped watching the purchases: their jobs stay queued for the dispatcher");
	else
	{
		if (open > 0)
			report_unfinished(jobs, n, open, moved, wait_seconds);
		printf("%d bought, %d failed, %d not finished\n", bought, n - bought - open, open);
	}
	for (int i = 0; i < n; i++)
		free(jobs[i].last_error);
	free(jobs);
	free(ids);
	return bought == n ? EXIT_SUCCESS : EXIT_RUNTIME;
}

/* text + more in a new string (text is freed; NULL counts as ""). */
static char *
append_text(char *text, const char *more)
{
	size_t		len = (text ? strlen(text) : 0) + strlen(more) + 1;
	char	   *out = malloc(len);

	snprintf(out, len, "%s%s", text ? text : "", more);
	free(text);
	return out;
}

/* vapi-shim pool fill: queue the purchases the database asks for and watch them. */
static int
pool_fill(const shim_config *cfg, const tool_options *o)
{
	int			bad;
	char	   *server_url = vapi_server_url(cfg, &bad);
	PGconn	   *conn;
	PGresult   *res;
	const char *params[4];
	int			status = EXIT_SUCCESS;
	char	   *ids = NULL;
	int			queued = 0;
	int			pending = 0;

	if (o->broker == NULL)
		return usage_error("pool", "pool fill needs --broker UUID");
	if (bad)
		return usage_error("pool", "VAPI_POOL_PUBLIC_URL (--public-url) must be an http(s) URL without query, got \"%s\"",
						   cfg->public_url);
	if (server_url == NULL && !o->dry_run)
		return usage_error("pool", "VAPI_POOL_PUBLIC_URL (--public-url) is not set: bought numbers must be pointed at this deployment");
	if ((conn = db_connect(cfg)) == NULL)
	{
		free(server_url);
		return EXIT_RUNTIME;
	}

	params[0] = o->broker;
	params[1] = o->area_code;
	params[2] = server_url;
	params[3] = o->dry_run ? "true" : "false";
	res = db_query(conn,
				   "SELECT broker_id, pool_size, in_pool, pending, queued, job_ids::text"
				   "  FROM vapi_pool.pool_fill($1::uuid, $2::text, $3::text, $4::boolean)", 4, params);
	if (res == NULL)
		status = EXIT_RUNTIME;
	else
	{
		for (int i = 0; i < PQntuples(res); i++)
		{
			printf("broker %s: pool size %s, in the pool %s, purchases under way %s, %s %s%s%s\n",
				   PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				   PQgetvalue(res, i, 3), o->dry_run ? "would buy" : "queued", PQgetvalue(res, i, 4),
				   o->area_code ? " in area code " : "", o->area_code ? o->area_code : "");
			queued += atoi(PQgetvalue(res, i, 4));
			pending += atoi(PQgetvalue(res, i, 3));
			if (field(res, i, 5))
				ids = append_text(ids, field(res, i, 5));
		}
		PQclear(res);
		if (o->dry_run)
			printf("dry run: nothing queued\n");
		else if (queued == 0 || ids == NULL || strspn(ids, "{}") == strlen(ids))
			printf("nothing to buy%s\n", pending > 0 ? " (the purchases under way are the dispatcher's)" : "");
		else if (o->wait_seconds == 0)
			printf("not waiting (--wait-seconds 0): the dispatcher buys them\n");
		else
			status = wait_for_purchases(conn, ids, o->wait_seconds);
	}
	free(ids);
	free(server_url);
	PQfinish(conn);
	return status;
}

/* ---------------------------------------------------------------- pool sync */

/* The createdAt of a listed number, or "" if it has none. */
static const char *
created_at(const json_t *number)
{
	const char *v = json_string_value(json_object_get(number, "createdAt"));

	return v ? v : "";
}

/*
 * Add the numbers of page to all that are not in it yet (by id); returns
 * how many were new.
 */
static int
merge_numbers(json_t *all, const json_t *page)
{
	size_t		i;
	size_t		j;
	json_t	   *number;
	json_t	   *seen;
	int			added = 0;

	json_array_foreach(page, i, number)
	{
		const char *id = json_string_value(json_object_get(number, "id"));
		int			dup = 0;

		json_array_foreach(all, j, seen)
		{
			const char *seen_id = json_string_value(json_object_get(seen, "id"));

			if (id && seen_id && strcmp(id, seen_id) == 0)
			{
				dup = 1;
				break;
			}
		}
		if (!dup)
		{
			json_array_append(all, number);
			added++;
		}
	}
	return added;
}

/*
 * The createdAt bound of the page after a full one ("&createdAtLe=..." into
 * bound).  Vapi lists at most `limit` numbers, filtered by createdAt bounds;
 * the page's order tells which end to continue from.  The bound is
 * inclusive (numbers created in the same instant may straddle pages), so
 * pages overlap and merge_numbers drops the repeats.
 */
static void
next_page_bound(const json_t *page, char *bound, size_t len)
{
	size_t		n = json_array_size(page);
	const char *first = created_at(json_array_get(page, 0));
	const char *last = created_at(json_array_get(page, n - 1));
	int			newest_first = strcmp(first, last) >= 0;
	char	   *escaped = curl_easy_escape(NULL, newest_first ? last : first, 0);

	snprintf(bound, len, "&%s=%s", newest_first ? "createdAtLe" : "createdAtGe", escaped ? escaped : "");
	curl_free(escaped);
}

/*
 * One page of numbers (GET path): the decoded array; NULL with *truncated
 * set when the answer was longer than the HTTP client keeps; NULL
 * (reported) on any other failure.
 */
static json_t *
get_numbers_page(const vapi_api *api, const char *path, int *truncated)
{
	http_response resp;
	long		status = vapi_send(api, "GET", path, NULL, &resp);
	json_t	   *page = NULL;
	json_error_t err;

	*truncated = http_ok(status) && resp.body_len >= HTTP_BODY_MAX;
	if (!http_ok(status))
		report_http_failure("GET", path, &resp);
	else if (!*truncated && (page = json_loadb(resp.body, resp.body_len, 0, &err)) == NULL)
		tool_error("GET %s: the answer is not JSON (%s)", path, err.text);
	else if (page && !json_is_array(page))
	{
		tool_error("GET %s: the answer is not a JSON array", path);
		json_decref(page);
		page = NULL;
	}
	http_response_free(&resp);
	return page;
}

/*
 * Every number of the Vapi account (GET /phone-number, page after page
 * while a page comes back full); NULL (reported) on failure.
 */
static json_t *
list_phone_numbers(const vapi_api *api)
{
	char		path[256];
	char		bound[160] = "";
	int			limit = PHONE_NUMBER_PAGE;
	json_t	   *all = json_array();

	for (int requests = 0; requests < PHONE_NUMBER_MAX_REQUESTS; requests++)
	{
		int			truncated;
		json_t	   *page;
		int			added;

		snprintf(path, sizeof(path), "/phone-number?limit=%d%s", limit, bound);
		page = get_numbers_page(api, path, &truncated);
		if (truncated && limit > 1)
		{
			limit /= 2;			/* the same page again, smaller */
			continue;
		}
		if (page == NULL)
		{
			if (truncated)
				tool_error("GET %s: one number is longer than %d bytes", path, HTTP_BODY_MAX);
			json_decref(all);
			return NULL;
		}
		added = merge_numbers(all, page);
		if (json_array_size(page) < (size_t) limit || added == 0)
		{
			if (json_array_size(page) >= (size_t) limit)
				tool_error("warning: a full page of numbers brought no new one (more than %d created in the same instant?): the list may be incomplete",
						   limit);
			json_decref(page);
			return all;
		}
		next_page_bound(page, bound, sizeof(bound));
		json_decref(page);
	}
	tool_error("warning: stopped listing numbers after %d requests", PHONE_NUMBER_MAX_REQUESTS);
	return all;
}

/* The listed number whose id is id, or NULL. */
static json_t *
find_number(const json_t *numbers, const char *id)
{
	size_t		i;
	json_t	   *number;

	json_array_foreach(numbers, i, number)
	{
		const char *nid = json_string_value(json_object_get(number, "id"));

		if (nid && strcmp(nid, id) == 0)
			return number;
	}
	return NULL;
}

/*
 * Point a number at url: PATCH /phone-number/{id} with its server object
 * as listed (credential, headers, timeout kept) and url as server.url.
 * Writes what happened into outcome; returns 0 on success.
 */
static int
patch_server_url(const vapi_api *api, const json_t *numbers, const char *id, const char *url,
				 char *outcome, size_t len)
{
	const json_t *listed = find_number(numbers, id);
	json_t	   *server = json_deep_copy(json_object_get(listed, "server"));
	json_t	   *body;
	char	   *text;
	char		path[192];
	http_response resp;
	long		status;

	if (!is_path_id(id))
	{
		snprintf(outcome, len, "not set: unusable id");
		json_decref(server);
		return -1;
	}
	if (!json_is_object(server))
	{
		json_decref(server);
		server = json_object();
	}
	json_object_set_new(server, "url", json_string(url));
	body = json_pack("{s:o}", "server", server);
	text = json_dumps(body, JSON_COMPACT);
	snprintf(path, sizeof(path), "/phone-number/%s", id);
	status = vapi_send(api, "PATCH", path, text, &resp);
	if (http_ok(status))
		snprintf(outcome, len, "set");
	else
	{
		char		msg[VENDOR_MESSAGE_MAX];

		vendor_message(&resp, msg, sizeof(msg));
		if (status == 0)
			snprintf(outcome, len, "FAILED: no answer: %s", msg);
		else
			snprintf(outcome, len, "FAILED: HTTP %ld: %s", status, msg);
	}
	http_response_free(&resp);
	free(text);
	json_decref(body);
	return http_ok(status) ? 0 : -1;
}

/* vapi-shim pool sync: hand the account's numbers to the database, fix server URLs. */
static int
pool_sync(const shim_config *cfg, const tool_options *o)
{
	vapi_api	api;
	int			bad;
	int			status;
	char	   *server_url = vapi_server_url(cfg, &bad);
	json_t	   *numbers;
	char	   *numbers_text;
	PGconn	   *conn;
	PGresult   *res;
	const char *params[3];
	int			failed = 0;

	if (bad)
		return usage_error("pool", "VAPI_POOL_PUBLIC_URL (--public-url) must be an http(s) URL without query, got \"%s\"",
						   cfg->public_url);
	if ((status = vapi_api_init(&api, cfg, "pool")) != 0)
	{
		free(server_url);
		return status;
	}
	if (server_url == NULL)
		printf("note: --public-url is not set: the numbers' server URLs are not checked\n");
	if ((conn = db_connect(cfg)) == NULL || (numbers = list_phone_numbers(&api)) == NULL)
	{
		PQfinish(conn);
		vapi_api_free(&api);
		free(server_url);
		return EXIT_RUNTIME;
	}
	printf("%zu number%s in the Vapi account\n", json_array_size(numbers), json_array_size(numbers) == 1 ? "" : "s");

	numbers_text = json_dumps(numbers, JSON_COMPACT);
	params[0] = o->broker;
	params[1] = numbers_text;
	params[2] = server_url;
	res = db_query(conn,
				   "SELECT vapi_phone_number_id, number::text, action, needs_server_url"
				   "  FROM vapi_pool.pool_sync($1::uuid, $2::jsonb, $3::text)", 3, params);
	if (res == NULL)
		failed = 1;
	else
	{
		printf("%-38s %-16s %-28s %s\n", "VAPI ID", "NUMBER", "ACTION", "SERVER URL");
		for (int i = 0; i < PQntuples(res); i++)
		{
			const char *id = field(res, i, 0);
			const char *number = field(res, i, 1);
			char		outcome[VENDOR_MESSAGE_MAX + 32] = "ok";

			if (strcmp(PQgetvalue(res, i, 3), "t") == 0)
			{
				if (server_url == NULL || id == NULL)
					snprintf(outcome, sizeof(outcome), "needs setting (no --public-url)");
				else if (patch_server_url(&api, numbers, id, server_url, outcome, sizeof(outcome)) != 0)
					failed = 1;
			}
			else if (server_url == NULL || strncmp(PQgetvalue(res, i, 2), "skipped", 7) == 0)
				snprintf(outcome, sizeof(outcome), "-");	/* not checked, or not ours */
			printf("%-38s %-16s %-28s %s\n", id ? id : "-", number ? number : "-",
				   PQgetvalue(res, i, 2), outcome);
			fflush(stdout);
		}
		PQclear(res);
	}
	free(numbers_text);
	json_decref(numbers);
	PQfinish(conn);
	vapi_api_free(&api);
	free(server_url);
	return failed ? EXIT_RUNTIME : EXIT_SUCCESS;
}

/* ---------------------------------------------------------------- assistants push */

/* One assistant definition file. */
typedef struct assistant_def
{
	char		role[64];		/* the file name without .json */
	char	   *path;
	char	   *body;			/* the definition sent to Vapi (placeholders replaced, compact, keys sorted) */
	char		sha256[65];		/* of body */
} assistant_def;

/* Is name ROLE.json with ROLE made of lower-case letters, digits and "_"? */
static int
is_definition_name(const char *name, char *role, size_t len)
{
	size_t		n = strlen(name);

	if (n <= 5 || strcmp(name + n - 5, ".json") != 0 || n - 5 >= len)
		return 0;
	for (size_t i = 0; i < n - 5; i++)
		if (!islower((unsigned char) name[i]) && !isdigit((unsigned char) name[i]) && name[i] != '_')
			return 0;
	memcpy(role, name, n - 5);
	role[n - 5] = '\0';
	return 1;
}

/* scandir filter: the definition files (ROLE.json). */
static int
definition_filter(const struct dirent *e)
{
	char		role[64];

	return is_definition_name(e->d_name, role, sizeof(role));
}

/*
 * The directory of the definitions: --assistants-dir, else ./assistants,
 * else the installed copy if the build names one (SHIM_ASSISTANTS_DIR).
 */
static const char *
assistants_dir(const tool_options *o)
{
	if (o->assistants_dir)
		return o->assistants_dir;
#ifdef SHIM_ASSISTANTS_DIR
	if (access(DEFAULT_ASSISTANTS_DIR, F_OK) != 0)
		return SHIM_ASSISTANTS_DIR;
#endif
	return DEFAULT_ASSISTANTS_DIR;
}

/* A copy of text with every placeholder replaced by url (malloc'd). */
static char *
replace_placeholders(const char *text, const char *url)
{
	static const char *const placeholders[] = {PLACEHOLDER_TOOL_SERVER_URL, PLACEHOLDER_SERVER_URL};
	size_t		cap = strlen(text) * (strlen(url) + 1) + 1;
	char	   *out = malloc(cap);
	size_t		pos = 0;

	while (*text)
	{
		size_t		k;

		for (k = 0; k < 2; k++)
			if (strncmp(text, placeholders[k], strlen(placeholders[k])) == 0)
				break;
		if (k < 2)
		{
			memcpy(out + pos, url, strlen(url));
			pos += strlen(url);
			text += strlen(placeholders[k]);
		}
		else
			out[pos++] = *text++;
	}
	out[pos] = '\0';
	return out;
}

/*
 * Replace the placeholders in every string value of value (object keys
 * stay).  Other {{...}} stay too: Vapi fills them in at call time.
 */
static void
substitute(json_t *value, const char *url)
{
	size_t		i;
	const char *key;
	json_t	   *item;

	if (json_is_object(value))
	{
		json_object_foreach(value, key, item)
			substitute(item, url);
	}
	else if (json_is_array(value))
	{
		json_array_foreach(value, i, item)
			substitute(item, url);
	}
	else if (json_is_string(value) && strstr(json_string_value(value), "{{"))
	{
		char	   *replaced = replace_placeholders(json_string_value(value), url);

		json_string_set(value, replaced);
		free(replaced);
	}
}

/* The lower-case hex SHA-256 of text into hex[65]. */
static void
sha256_hex(const char *text, char *hex)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(text, strlen(text), digest, &len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	hex[2 * len] = '\0';
}

/*
 * Load and check one definition: a JSON object with a non-empty string
 * "name"; placeholders replaced.  0 on success, else -1 (reported).
 */
static int
load_definition(assistant_def *def, const char *url)
{
	json_error_t err;
	json_t	   *doc = json_load_file(def->path, JSON_REJECT_DUPLICATES, &err);
	const char *name;

	if (doc == NULL)
	{
		tool_error("%s: not valid JSON: %s (line %d, column %d)", def->path, err.text, err.line, err.column);
		return -1;
	}
	name = json_string_value(json_object_get(doc, "name"));
	if (!json_is_object(doc) || name == NULL || name[0] == '\0')
	{
		tool_error("%s: an assistant definition must be a JSON object with a \"name\"", def->path);
		json_decref(doc);
		return -1;
	}
	substitute(doc, url);
	def->body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	sha256_hex(def->body, def->sha256);
	json_decref(doc);
	return 0;
}

/* Free n definitions and the array. */
static void
free_definitions(assistant_def *defs, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(defs[i].path);
		free(defs[i].body);
	}
	free(defs);
}

/* Read every definition of dir (sorted by role); the count, or -1 (reported, nothing kept). */
static int
load_definitions(const char *dir, const char *url, assistant_def **defs)
{
	struct dirent **names;
	int			n = scandir(dir, &names, definition_filter, alphasort);
	int			failed = 0;

	if (n < 0)
	{
		tool_error("could not read the assistant definitions in \"%s\": %s", dir, strerror(errno));
		return -1;
	}
	*defs = calloc((size_t) n + 1, sizeof(assistant_def));
	for (int i = 0; i < n; i++)
	{
		assistant_def *def = &(*defs)[i];
		size_t		len = strlen(dir) + strlen(names[i]->d_name) + 2;

		is_definition_name(names[i]->d_name, def->role, sizeof(def->role));
		def->path = malloc(len);
		snprintf(def->path, len, "%s/%s", dir, names[i]->d_name);
		if (load_definition(def, url) != 0)
			failed = 1;
		free(names[i]);
	}
	free(names);
	if (n == 0)
		tool_error("no assistant definitions (ROLE.json) in \"%s\"", dir);
	if (failed || n == 0)
	{
		free_definitions(*defs, n);
		*defs = NULL;
		return -1;
	}
	return n;
}

/*
 * Create the assistant (POST /assistant); its new id (malloc'd) or NULL
 * (reported).
 */
static char *
create_assistant(const vapi_api *api, const assistant_def *def)
{
	long		status;
	json_t	   *answer = vapi_json(api, "POST", "/assistant", def->body, &status);
	const char *id = json_string_value(json_object_get(answer, "id"));
	char	   *copy = NULL;

	if (answer && !is_path_id(id))
		tool_error("POST /assistant (%s): the answer has no usable \"id\"", def->role);
	else if (answer)
		copy = strdup(id);
	json_decref(answer);
	return copy;
}

/*
 * Update assistant id with the definition (PATCH /assistant/{id}).  Returns
 * 1 updated, 0 Vapi does not know the id (404), -1 failure (reported).
 */
static int
update_assistant(const vapi_api *api, const assistant_def *def, const char *id)
{
	char		path[192];
	http_response resp;
	long		status;

	snprintf(path, sizeof(path), "/assistant/%s", id);
	status = vapi_send(api, "PATCH", path, def->body, &resp);
	if (status == 404)
	{
		http_response_free(&resp);
		return 0;
	}
	if (!http_ok(status))
		report_http_failure("PATCH", path, &resp);
	http_response_free(&resp);
	return http_ok(status) ? 1 : -1;
}

/* Record the role's assistant id and definition hash; 0 or -1 (reported). */
static int
record_assistant(PGconn *conn, const assistant_def *def, const char *id)
{
	const char *params[] = {def->role, id, def->sha256};
	PGresult   *res = db_query(conn, "SELECT vapi_pool.record_assistant($1::text, $2::text, $3::text)", 3, params);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/*
 * Send a definition: PATCH the recorded assistant, or POST a new one (also
 * when Vapi no longer knows the recorded id).  *id gets the assistant's id
 * (malloc'd) on success; returns the action for the table.
 */
static const char *
send_definition(const vapi_api *api, const assistant_def *def, const char *known_id, char **id)
{
	int			updated = known_id ? update_assistant(api, def, known_id) : 0;

	if (updated < 0)
		return "FAILED";
	if (updated > 0)
	{
		*id = strdup(known_id);
		return "updated";
	}
	if ((*id = create_assistant(api, def)) == NULL)
		return "FAILED";
	return known_id ? "created (the recorded one was gone)" : "created";
}

/*
 * Push one definition: skip it if its hash is the recorded one, else send
 * it and record the assistant's id and hash.  Prints one table row; returns
 * 0 or -1.
 */
static int
push_assistant(PGconn *conn, const vapi_api *api, const assistant_def *def, int dry_run)
{
	const char *params[] = {def->role};
	PGresult   *res = db_query(conn,
							   "SELECT vapi_assistant_id, definition_sha256 FROM vapi_pool.vapi_assistants WHERE role = $1::text",
							   1, params);
	const char *known_id;
	const char *known_sha;
	char	   *id = NULL;
	const char *action;
	int			rc;

	if (res == NULL)
		return -1;
	known_id = PQntuples(res) > 0 ? field(res, 0, 0) : NULL;
	known_sha = PQntuples(res) > 0 ? field(res, 0, 1) : NULL;
	if (known_id && !is_path_id(known_id))
		known_id = NULL;		/* not an id we can use: make a new assistant */

	if (known_id && known_sha && strcmp(known_sha, def->sha256) == 0)
		action = "unchanged";
	else if (dry_run)
		action = known_id ? "would update" : "would create";
	else
		action = send_definition(api, def, known_id, &id);
	if (id && record_assistant(conn, def, id) != 0)
		action = "FAILED to record";

	printf("%-24s %-38s %s\n", def->role, id ? id : known_id ? known_id : "-", action);
	fflush(stdout);
	rc = strncmp(action, "FAILED", 6) == 0 ? -1 : 0;
	free(id);
	PQclear(res);
	return rc;
}

/* vapi-shim assistants push: create or update every definition at Vapi. */
static int
assistants_push(const shim_config *cfg, const tool_options *o)
{
	vapi_api	api;
	int			bad;
	char	   *url = vapi_server_url(cfg, &bad);
	assistant_def *defs = NULL;
	int			n;
	int			failed = 0;
	int			status;
	PGconn	   *conn;

	memset(&api, 0, sizeof(api));
	if (bad || url == NULL)
	{
		free(url);
		return bad ? usage_error("assistants", "VAPI_POOL_PUBLIC_URL (--public-url) must be an http(s) URL without query, got \"%s\"",
								 cfg->public_url)
			: usage_error("assistants", "VAPI_POOL_PUBLIC_URL (--public-url) is not set: the assistants' server and tool URLs are built from it");
	}
	if (!o->dry_run && (status = vapi_api_init(&api, cfg, "assistants")) != 0)
	{
		free(url);
		return status;
	}
	if ((n = load_definitions(assistants_dir(o), url, &defs)) < 0 || (conn = db_connect(cfg)) == NULL)
	{
		if (n >= 0)
			free_definitions(defs, n);
		vapi_api_free(&api);
		free(url);
		return EXIT_RUNTIME;
	}
	printf("server and tool URL: %s\n", url);
	printf("%-24s %-38s %s\n", "ROLE", "ASSISTANT ID", "ACTION");
	for (int i = 0; i < n; i++)
		if (push_assistant(conn, &api, &defs[i], o->dry_run) != 0)
			failed = 1;
	PQfinish(conn);
	free_definitions(defs, n);
	vapi_api_free(&api);
	free(url);
	return failed ? EXIT_RUNTIME : EXIT_SUCCESS;
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
	char	  **rest;
	int			nrest;
	int			status;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
	{
		print_usage(argc < 2 ? stderr : stdout, group);
		return argc < 2 ? SHIM_EXIT_USAGE : EXIT_SUCCESS;
	}
	if ((command = find_command(group, argv[1])) == 0)
		return usage_error(group, "unknown command \"%s %s\"", group, argv[1]);

	rest = calloc((size_t) argc + 1, sizeof(char *));
	if ((status = parse_tool_args(argc, argv, command, &o, rest, &nrest)) >= 0)
	{
		free(rest);
		return status;
	}
	switch (config_load_for(&cfg, SHIM_TOOL, nrest, rest))
	{
		case CONFIG_OK:
			break;
		case CONFIG_EXIT_SUCCESS:
			free(rest);
			return EXIT_SUCCESS;
		case CONFIG_EXIT_USAGE:
			free(rest);
			return SHIM_EXIT_USAGE;
	}

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
	free(rest);
	return status;
}
