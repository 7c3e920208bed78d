/*
 * tool_db.c
 *	  The database of vapi-shim's one-shot commands (pool fill|sync,
 *	  assistants push, status, dead-letters): one connection, opened and
 *	  queried the same way by all of them.
 *
 * The connection pins its search_path (db_conn.h), speaks UTF-8 with ISO
 * dates, and must be of a role that sees every organisation's rows (a
 * superuser, or BYPASSRLS as the shim's own): under row level security a
 * command would see nothing and report an all-clear that is not true.
 * What the server says (errors, their detail and hint, notices: a replayed
 * event's warning quotes what its sender sent) reaches stderr as one
 * printable line each.  Statements take typed text parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "config.h"
#include "db_conn.h"
#include "log.h"
#include "text.h"
#include "tool_db.h"

/* whether the role sees every organisation's rows (a superuser, or BYPASSRLS) */
#define SEES_EVERY_ORGANISATION_SQL \
	"SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER"

/*
 * A server notice (a replayed event's warning quotes what its sender sent)
 * on stderr as one printable line.
 */
static void
print_notice(void *arg, const char *message)
{
	char	   *line = shim_one_line_dup(message);

	if (line != NULL)
		fprintf(stderr, "vapi-shim: %s\n", line);
	free(line);
}

/*
 * Connect to --database-url with the search_path pinned (db_conn.h), the
 * client encoding UTF-8 (what JSON needs) and ISO dates; NULL on failure,
 * with *why set to a malloc'd one-line reason (nothing printed).
 */
PGconn *
tool_db_open(const shim_config *cfg, const char *application_name, const char *connect_timeout, char **why)
{
	db_conn_params cp;
	PGconn	   *conn = NULL;
	PGresult   *res = NULL;

	*why = NULL;
	if (db_conn_params_init(&cp, cfg->database_url, application_name, connect_timeout) == 0)
		conn = PQconnectdbParams(cp.keys, cp.vals, 1);
	db_conn_params_free(&cp);
	if (PQstatus(conn) == CONNECTION_OK)
	{
		PQsetNoticeProcessor(conn, print_notice, NULL);
		res = PQexec(conn, DB_CONN_PIN_SQL);
	}
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		res = NULL;
		if (PQsetClientEncoding(conn, "UTF8") == 0)
			res = PQexec(conn, "SET datestyle = 'ISO, YMD'");
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
		{
			PQclear(res);
			/* row level security would show such a role nothing: an all-clear that is not true */
			res = PQexec(conn, SEES_EVERY_ORGANISATION_SQL);
			if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
				strcmp(PQgetvalue(res, 0, 0), "t") == 0)
			{
				PQclear(res);
				return conn;
			}
			if (PQresultStatus(res) == PGRES_TUPLES_OK)
			{
				PQclear(res);
				PQfinish(conn);
				*why = strdup("the role connected to does not bypass row level security, so it would see no "
							  "organisation's rows: connect as a role with BYPASSRLS, as the shim's own");
				return NULL;
			}
		}
	}
	*why = shim_one_line_dup(res != NULL ? PQresultErrorMessage(res) :
						 conn != NULL ? PQerrorMessage(conn) : "out of memory");
	PQclear(res);
	PQfinish(conn);
	return NULL;
}

/*
 * The reason a statement failed, on one line: the server's message and its
 * SQLSTATE (none when the connection itself failed).  Malloc'd.
 */
static char *
failure_reason(PGconn *conn, const PGresult *res)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char	   *line = shim_one_line_dup(primary ? primary : PQerrorMessage(conn));
	char	   *out;
	size_t		len;

	if (line == NULL || sqlstate == NULL)
		return line;
	len = strlen(line) + strlen(sqlstate) + sizeof(" (SQLSTATE )");
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "%s (SQLSTATE %s)", line, sqlstate);
	free(line);
	return out;
}

/* An error's detail or hint on stderr, as one printable line (nothing when NULL). */
static void
print_clean_field(const char *label, const char *text)
{
	char	   *line = text ? shim_one_line_dup(text) : NULL;

	if (line != NULL)
		fprintf(stderr, "  %s: %s\n", label, line);
	free(line);
}

/*
 * Run one statement (typed text parameters, text results).  Its result, or
 * NULL with "vapi-shim: <what>: <message> (SQLSTATE xxxxx)" and the detail
 * and hint printed on stderr, and *why (if not NULL) set to the malloc'd
 * one-line reason.
 */
PGresult *
tool_db_exec(PGconn *conn, const char *what, const char *sql, int nparams, const char *const *params, char **why)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	const char *detail;
	const char *hint;
	char	   *reason;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	reason = failure_reason(conn, res);
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	shim_print_error("\n", "%s: %s", what, reason ? reason : "out of memory");
	print_clean_field("detail", detail);
	print_clean_field("hint", hint);
	if (why != NULL)
		*why = reason;
	else
		free(reason);
	PQclear(res);
	return NULL;
}
