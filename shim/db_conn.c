/*
 * db_conn.c
 *	  The libpq parameters every database connection of vapi-shim opens with:
 *	  the user's --database-url, an application name, and a search_path
 *	  pinned to pg_catalog, pg_temp (see db_conn.h for why and how).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_conn.h"

/*
 * The options the user asked for: the "options" of the connection string,
 * else PGOPTIONS (which libpq would have used had we passed none); a
 * malloc'd copy, or NULL for none.
 */
static char *
user_options(const char *database_url)
{
	PQconninfoOption *opts = PQconninfoParse(database_url, NULL);
	const char *env = getenv("PGOPTIONS");
	char	   *found = NULL;

	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val != NULL && o->val[0] != '\0')
			found = strdup(o->val);
	PQconninfoFree(opts);
	if (found == NULL && env != NULL && env[0] != '\0')
		found = strdup(env);
	return found;
}

/*
 * Fill p for a connection to database_url (expanded by libpq: it comes
 * first, so the keywords after it override what it says): the application
 * name, connect_timeout unless NULL, and the options with the pinned
 * search_path last.  0, or -1 when out of memory.
 */
int
db_conn_params_init(db_conn_params *p, const char *database_url,
					const char *application_name, const char *connect_timeout)
{
	char	   *user = user_options(database_url);
	int			n = 0;

	memset(p, 0, sizeof(*p));
	if (user != NULL)
	{
		size_t		len = strlen(user) + 1 + strlen(DB_CONN_SEARCH_PATH_OPTION) + 1;

		if ((p->options = malloc(len)) != NULL)
			snprintf(p->options, len, "%s %s", user, DB_CONN_SEARCH_PATH_OPTION);
		free(user);
	}
	else
		p->options = strdup(DB_CONN_SEARCH_PATH_OPTION);
	if (p->options == NULL)
		return -1;

	p->keys[n] = "dbname";
	p->vals[n++] = database_url;
	p->keys[n] = "application_name";
	p->vals[n++] = application_name;
	if (connect_timeout != NULL)
	{
		p->keys[n] = "connect_timeout";
		p->vals[n++] = connect_timeout;
	}
	p->keys[n] = "options";
	p->vals[n++] = p->options;
	p->keys[n] = NULL;
	p->vals[n] = NULL;
	return 0;
}

/* Free what db_conn_params_init allocated. */
void
db_conn_params_free(db_conn_params *p)
{
	free(p->options);
	p->options = NULL;
}
