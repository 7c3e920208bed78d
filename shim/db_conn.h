/*
 * db_conn.h
 *	  The libpq parameters every database connection of vapi-shim opens with.
 *
 * Every statement the webhook workers, the health prober, the dispatcher
 * and the provisioning commands send must mean what it says, whatever a
 * role with CREATE on a schema of the search_path has put there: with the
 * default search_path, a public.make_interval(secs text) is preferred over
 * pg_catalog's for an untyped parameter and runs with the shim's rights.
 * So every connection pins its search_path to pg_catalog, pg_temp, twice:
 *
 *	- in the startup packet: the libpq keyword "options" carries
 *	  -c search_path=pg_catalog,pg_temp after the options of the user's
 *	  --database-url (or, when it has none, PGOPTIONS).  The server applies
 *	  -c settings in order, so ours wins over the URL's, and a client
 *	  setting wins over ALTER ROLE / ALTER DATABASE ... SET.  The user's
 *	  other options are kept; options from a pg_service.conf entry are not
 *	  (an explicit "options" replaces them);
 *	- in the session: DB_CONN_PIN_SQL is the first statement every
 *	  connection sends, for a pooler told to drop the startup options.
 *
 * On top of that, every statement names the schema of each function it
 * calls (vapi_pool.*, pg_catalog.*) and gives every parameter its type, so
 * that nothing depends on the search_path alone.
 */
#ifndef VAPI_SHIM_DB_CONN_H
#define VAPI_SHIM_DB_CONN_H

/* the search_path of every connection, as a -c option and as a statement */
#define DB_CONN_SEARCH_PATH_OPTION "-c search_path=pg_catalog,pg_temp"
#define DB_CONN_PIN_SQL "SET search_path = pg_catalog, pg_temp"

/* keywords and values for PQconnectdbParams / PQconnectStartParams (expand_dbname = 1) */
typedef struct db_conn_params
{
	const char *keys[5];
	const char *vals[5];
	char	   *options;		/* malloc'd: the user's options, then ours */
} db_conn_params;

extern int	db_conn_params_init(db_conn_params *p, const char *database_url,
								const char *application_name, const char *connect_timeout);
extern void db_conn_params_free(db_conn_params *p);

#endif							/* VAPI_SHIM_DB_CONN_H */
