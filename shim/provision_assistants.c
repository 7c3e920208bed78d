/*
 * provision_assistants.c
 *	  vapi-shim assistants push: the assistants of this deployment at Vapi,
 *	  from their definitions (ROLE.json).
 *
 * Each file DIR/ROLE.json (DIR: --assistants-dir, else ./assistants, else
 * the installed copy) is one assistant definition.  Its placeholders
 * ({{tool_server_url}}, {{server_url}}) become --public-url +
 * --webhook-prefix + /vapi in every string value; the result, compact
 * with its keys sorted, is what Vapi gets, and its SHA-256 says whether it
 * changed.  vapi_pool.vapi_assistants remembers each role's assistant id
 * and the hash last pushed: an unchanged definition is skipped, a changed
 * one PATCHes the recorded assistant, and one without an assistant (or
 * whose assistant Vapi no longer knows) is POSTed as a new one, whose id is
 * recorded.  Routing falls back to the recorded ids (docs/dispatcher.md).
 * Each push also records the definition's firstMessage (since 0.7.0): a
 * call of an organisation with a recording disclosure opens with the
 * disclosure and then that message (assistant_opening in
 * 194_assistants.sql); a definition whose hash is unchanged but whose first
 * message is not the recorded one (a database updated from 0.6.0) has it
 * recorded without anything sent to Vapi.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "config.h"
#include "http_client.h"
#include "provision_shared.h"

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

/* Print the usage of "vapi-shim assistants" (provision.c adds the shared part). */
void
assistants_usage(FILE *out)
{
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
}

/* ---------------------------------------------------------------- assistants push */

/* One assistant definition file. */
typedef struct assistant_def
{
	char		role[64];		/* the file name without .json */
	char	   *path;
	char	   *body;			/* the definition sent to Vapi (placeholders replaced, compact, keys sorted) */
	char		sha256[65];		/* of body */
	char	   *first_message;	/* its firstMessage (malloc'd), NULL when it has none */
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
	if (json_string_value(json_object_get(doc, "firstMessage")) != NULL)
		def->first_message = strdup(json_string_value(json_object_get(doc, "firstMessage")));
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
		free(defs[i].first_message);
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

/* Record the role's assistant id, definition hash and first message; 0 or -1 (reported). */
static int
record_assistant(PGconn *conn, const assistant_def *def, const char *id)
{
	const char *params[] = {def->role, id, def->sha256, def->first_message};
	PGresult   *res = tool_db_query(conn,
							   "SELECT vapi_pool.record_assistant($1::text, $2::text, $3::text, $4::text)", 4, params);

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
 * Push one definition: skip it if its hash is the recorded one (recording
 * its first message if that is not the recorded one), else send it and
 * record the assistant's id, hash and first message.  Prints one table row;
 * returns 0 or -1.
 */
static int
push_assistant(PGconn *conn, const vapi_api *api, const assistant_def *def, int dry_run)
{
	const char *params[] = {def->role, def->first_message};
	PGresult   *res = tool_db_query(conn,
							   "SELECT vapi_assistant_id, definition_sha256, first_message IS NOT DISTINCT FROM $2::text"
							   " FROM vapi_pool.vapi_assistants WHERE role = $1::text",
							   2, params);
	const char *known_id;
	const char *known_sha;
	char	   *id = NULL;
	const char *action;
	int			sent;			/* this very definition was pushed before */
	int			rc;

	if (res == NULL)
		return -1;
	known_id = PQntuples(res) > 0 ? tool_field(res, 0, 0) : NULL;
	known_sha = PQntuples(res) > 0 ? tool_field(res, 0, 1) : NULL;
	if (known_id && !is_path_id(known_id))
		known_id = NULL;		/* not an id we can use: make a new assistant */

	sent = known_id && known_sha && strcmp(known_sha, def->sha256) == 0;
	if (sent && strcmp(tool_field(res, 0, 2), "t") != 0)
	{
		/* sent already; only its first message was never recorded */
		action = dry_run ? "would record its first message" : "first message recorded";
		if (!dry_run)
			id = strdup(known_id);
	}
	else if (sent)
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
int
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
		return bad ? tool_usage_error("assistants", "VAPI_POOL_PUBLIC_URL (--public-url) must be an http(s) URL without query, got \"%s\"",
								 cfg->public_url)
			: tool_usage_error("assistants", "VAPI_POOL_PUBLIC_URL (--public-url) is not set: the assistants' server and tool URLs are built from it");
	}
	if (!o->dry_run && (status = vapi_api_init(&api, cfg, "assistants")) != 0)
	{
		free(url);
		return status;
	}
	if ((n = load_definitions(assistants_dir(o), url, &defs)) < 0 || (conn = tool_db_connect(cfg)) == NULL)
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
