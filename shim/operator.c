/*
 * operator.c
 *	  vapi-shim status and vapi-shim dead-letters: what the operator on call
 *	  needs to see and do from a terminal, without writing SQL.
 *
 * status reads, in one read-only REPEATABLE READ transaction (so that every
 * section describes the same instant), what the extension keeps for
 * operators: its version and its pg_cron jobs (vapi_pool.maintenance_jobs),
 * the pools (pool_status), the numbers that are not healthy (number_health),
 * the newest dead letters and their total (dead_letters), the outbox backlog
 * (outbox_stats()) and the last hour's calls by outcome (calls_by_outcome()).
 * It also asks the running shim for GET /healthz (libcurl); a shim that does
 * not answer is a line of the report, not a failure.  Each section runs
 * under its own savepoint: one that cannot be read (an extension older than
 * this binary, a missing privilege) is reported on stderr with its SQLSTATE
 * and shown as unreadable, the others are still shown, and the exit status
 * is 1.
 *
 * dead-letters lists the dead letters (failed webhook events and dead outbox
 * jobs, each named by a ref such as event:123 or job:45) and, with --replay
 * REF, asks vapi_pool.replay_dead_letter to run one again.  The database
 * decides what a ref means and whether it can be replayed; this command
 * passes the ref as it was given and prints the answer, or the error with
 * its SQLSTATE.
 *
 * Output: for people, aligned tables with a title per section ("none" for an
 * empty one), NULL shown as "-", rates as percentages, times to the second;
 * with --json, one JSON document on stdout for scripts, every column as
 * read (numbers as JSON numbers, NULL as null).  Colour marks what needs
 * attention (red: an unreachable database, burned numbers, dead letters,
 * failed jobs; yellow: numbers on watch, a shim that does not answer ok),
 * only when stdout is a terminal, never with --json, nor when NO_COLOR is
 * set and not empty (https://no-color.org) or TERM is "dumb".  What the
 * database stores comes from webhook senders: every cell, notice and error
 * is printed without control characters (C0, C1, bidirectional overrides),
 * and JSON is written in ASCII.
 *
 * As for every command of vapi-shim, the connection pins its search_path
 * (db_conn.h) and every statement names the schema of what it reads and
 * passes its values as typed parameters.  The command's own flags are taken
 * out of the arguments (op_flags); the rest, the options every command
 * shares (--database-url...), goes to config_load_for, as in provision.c.
 *
 * Exit status: 0 the database was read (whatever it says), 1 a run-time
 * failure (the database unreachable, the extension missing, a statement
 * failed), 2 a usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "db_conn.h"
#include "http_client.h"
#include "log.h"
#include "operator.h"
#include "text.h"
#include "tool_db.h"

#define EXIT_RUNTIME 1

#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

/* dead-letters --limit: its default and largest value */
#define DEFAULT_LIMIT 50
#define MAX_LIMIT 10000
/* status shows this many dead letters (and their total) */
#define STATUS_DEAD_LETTERS "20"
/* status: the window of the calls by outcome */
#define STATUS_CALL_WINDOW "1 hour"
/* a statement of status may run this long (a lock held by a migration) */
#define STATUS_STATEMENT_TIMEOUT "30s"
/* seconds to wait for the database to accept the connection */
#define CONNECT_TIMEOUT "10"
/* GET /healthz: the whole exchange */
#define SHIM_PROBE_TIMEOUT_MS 3000
/* the widest an error or a reason is shown in a table, in characters */
#define CELL_MAX_WIDTH 60

/* ANSI colours (colour_on decides whether they are used) */
#define COLOUR_RED "\033[31m"
#define COLOUR_YELLOW "\033[33m"
#define COLOUR_BOLD "\033[1m"
#define COLOUR_RESET "\033[0m"

/* the type OIDs of pg_type.h whose values are JSON numbers, booleans or JSON */
#define BOOLOID 16
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define JSONOID 114
#define FLOAT4OID 700
#define FLOAT8OID 701
#define NUMERICOID 1700
#define JSONBOID 3802

/* ---------------------------------------------------------------- statements */

#define EXTVERSION_SQL \
	"SELECT extversion FROM pg_catalog.pg_extension WHERE extname = $1::pg_catalog.name"
#define STATEMENT_TIMEOUT_SQL \
	"SELECT pg_catalog.set_config('statement_timeout', $1::pg_catalog.text, true)"
#define JOBS_SQL \
	"SELECT jobname, schedule, active, last_status, last_run_at FROM vapi_pool.maintenance_jobs ORDER BY jobname"
#define POOLS_SQL \
	"SELECT broker_name, size, available, pressure, assignments_per_day, mean_hold_hours, days_until_dry" \
	"  FROM vapi_pool.pool_status WHERE number_pool_active ORDER BY days_until_dry NULLS LAST, broker_name"
#define NUMBERS_SQL \
	"SELECT broker_name, number, state, attempts, answer_rate, sibling_answer_rate, reason" \
	"  FROM vapi_pool.number_health WHERE state <> $1::pg_catalog.text ORDER BY state = 'burned'::pg_catalog.text DESC, broker_name, number"
#define STATUS_DEAD_LETTERS_SQL \
	"SELECT ref, what, failed_at, attempts, error FROM vapi_pool.dead_letters" \
	" ORDER BY failed_at DESC, ref LIMIT $1::pg_catalog.int4"
#define DEAD_LETTER_TOTAL_SQL \
	"SELECT pg_catalog.count(*) AS total FROM vapi_pool.dead_letters"
#define OUTBOX_SQL \
	"SELECT pending, due, in_flight, dead, oldest_due_at FROM vapi_pool.outbox_stats()"
#define CALLS_SQL \
	"SELECT outcome, calls FROM vapi_pool.calls_by_outcome(pg_catalog.now() - $1::pg_catalog.interval)"
#define LIST_DEAD_LETTERS_SQL \
	"SELECT ref, kind, what, org_id, failed_at, attempts, error, sqlstate FROM vapi_pool.dead_letters" \
	" ORDER BY failed_at DESC, ref LIMIT $1::pg_catalog.int4"
#define REPLAY_SQL \
	"SELECT ref, outcome, detail FROM vapi_pool.replay_dead_letter($1::pg_catalog.text)"

/* ---------------------------------------------------------------- options */

/* which command runs */
typedef enum op_command
{
	OP_STATUS = 1 << 0,
	OP_DEAD_LETTERS = 1 << 1
} op_command;

typedef enum op_flag_id
{
	FLAG_JSON,
	FLAG_SHIM_URL,
	FLAG_LIMIT,
	FLAG_REPLAY,
	NUM_OP_FLAGS
} op_flag_id;

/* commands: the op_commands that accept it */
static const config_command_flag op_flags[NUM_OP_FLAGS] = {
	[FLAG_JSON] = {"json", 0, OP_STATUS | OP_DEAD_LETTERS},
	[FLAG_SHIM_URL] = {"shim-url", 1, OP_STATUS},
	[FLAG_LIMIT] = {"limit", 1, OP_DEAD_LETTERS},
	[FLAG_REPLAY] = {"replay", 1, OP_DEAD_LETTERS},
};

/* the flags of this file's commands (the shared options go to config.c) */
typedef struct op_options
{
	int			json;			/* --json */
	const char *shim_url;		/* --shim-url URL, NULL: from --listen */
	int			limit;			/* --limit N */
	int			limit_given;
	const char *replay;			/* --replay REF */
} op_options;

/* whether the human output is coloured (set once by choose_colour) */
static int	colour_on;

/* Print "vapi-shim: <message>" on stderr. */
#define op_error(...) shim_print_error("\n", __VA_ARGS__)

/* Report a usage error of "vapi-shim <command>"; gives the usage exit status. */
#define op_usage_error(command, ...) \
	(shim_print_error(try_help(command), __VA_ARGS__), SHIM_EXIT_USAGE)

/* What a usage error ends with: where to find help for this command. */
static const char *
try_help(const char *command)
{
	static char tail[96];

	snprintf(tail, sizeof(tail), "\nTry \"vapi-shim %s --help\" for more information.\n", command);
	return tail;
}

/* Print the usage of "vapi-shim status" and "vapi-shim dead-letters". */
static void
print_usage(FILE *out)
{
	fprintf(out,
			"Usage:\n"
			"  vapi-shim status [--json] [--shim-url URL] [OPTION]...\n"
			"  vapi-shim dead-letters [--json] [--limit N] [OPTION]...\n"
			"  vapi-shim dead-letters --replay REF [--json] [OPTION]...\n"
			"\n"
			"status shows how the deployment stands: the database, the extension's version,\n"
			"whether the running shim answers GET /healthz, the extension's pg_cron jobs,\n"
			"the pools (running dry first), the numbers not healthy, the newest dead\n"
			"letters and their total, the outbox backlog and the last hour's calls by\n"
			"outcome.\n"
			"  --json            one JSON object on stdout instead of tables\n"
			"  --shim-url URL    where the running shim is (default: http://HOST:PORT of\n"
			"                    --listen, i.e. http://127.0.0.1:8080)\n"
			"\n"
			"dead-letters lists the failed webhook events and dead outbox jobs, newest\n"
			"first, each named by its ref (event:ID or job:ID).\n"
			"  --json            one JSON object on stdout instead of a table\n"
			"  --limit N         show at most N dead letters (default %d, at most %d)\n"
			"  --replay REF      run the dead letter REF again, as the list names it\n"
			"                    (vapi_pool.replay_dead_letter), and print what happened\n"
			"\n"
			"OPTION: the shared options of vapi-shim, e.g. --database-url; each also read\n"
			"from its VAPI_POOL_* variable (see vapi-shim --help).\n"
			"\n"
			"Colour marks what needs attention when stdout is a terminal, unless NO_COLOR\n"
			"is set (not empty) or --json is given.\n"
			"\n"
			"Exit status: 0 the database was read (even if what it says is unhealthy),\n"
			"1 a run-time failure (the database unreachable, a statement failed: its\n"
			"SQLSTATE is printed), 2 a usage or configuration error.\n",
			DEFAULT_LIMIT, MAX_LIMIT);
}

/* Store one flag's value in *options, checking it; returns 0 or the usage exit status. */
static int
set_op_flag(void *options, int id, const char *value, const char *command)
{
	op_options *o = options;

	switch ((op_flag_id) id)
	{
		case FLAG_JSON:
			o->json = 1;
			break;
		case FLAG_SHIM_URL:
			if (!shim_is_http_url(value, " ?#\"\\<>"))
				return op_usage_error(command, "--shim-url must be an http(s) URL without query, got \"%s\"", value);
			o->shim_url = value;
			break;
		case FLAG_LIMIT:
			if ((o->limit = shim_parse_whole(value, 1, MAX_LIMIT)) < 0)
				return op_usage_error(command, "--limit must be a whole number from 1 to %d, got \"%s\"",
									  MAX_LIMIT, value);
			o->limit_given = 1;
			break;
		case FLAG_REPLAY:
			if (value[0] == '\0')
				return op_usage_error(command, "--replay needs the ref of a dead letter, such as job:45");
			o->replay = value;
			break;
		case NUM_OP_FLAGS:
			break;
	}
	return 0;
}

/*
 * Colour only for a person: stdout is a terminal, no --json, NO_COLOR unset
 * or empty (https://no-color.org), TERM not "dumb".
 */
static void
choose_colour(const op_options *o)
{
	const char *term = getenv("TERM");
	const char *no_colour = getenv("NO_COLOR");

	colour_on = !o->json && isatty(STDOUT_FILENO) && (no_colour == NULL || no_colour[0] == '\0') &&
		!(term != NULL && strcmp(term, "dumb") == 0);
}

/* ---------------------------------------------------------------- the database */

/* Run a statement that returns nothing (BEGIN, SAVEPOINT...); 0, or -1 (reported as what). */
static int
op_command_sql(PGconn *conn, const char *what, const char *sql)
{
	PGresult   *res = tool_db_exec(conn, what, sql, 0, NULL, NULL);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* The text of a result field, or NULL if it is SQL NULL. */
static const char *
field_at(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* The text of a result field by column name, or NULL if it is SQL NULL or no such column. */
static const char *
field_by_name(const PGresult *res, int row, const char *name)
{
	int			col = PQfnumber(res, name);

	if (col < 0 || PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

/* ---------------------------------------------------------------- JSON */

/* A JSON string of text as valid UTF-8 (invalid bytes replaced); null when out of memory. */
static json_t *
json_text(const char *text)
{
	char	   *clean = shim_clean_utf8(text, strlen(text));
	json_t	   *v = clean ? json_string(clean) : NULL;

	free(clean);
	return v ? v : json_null();
}

/*
 * A number as JSON: an integer when text is one that fits, else a real; a
 * string when it is not finite (numeric NaN, float Infinity).
 */
static json_t *
json_number_text(const char *text)
{
	char	   *end;
	long long	i;
	double		d;

	errno = 0;
	i = strtoll(text, &end, 10);
	if (errno == 0 && end != text && *end == '\0')
		return json_integer((json_int_t) i);
	d = strtod(text, &end);
	if (end != text && *end == '\0' && isfinite(d))
		return json_real(d);
	return json_text(text);
}

/* One field of a result as JSON, by its type: number, boolean, JSON, else string; NULL is null. */
static json_t *
json_field(const PGresult *res, int row, int col)
{
	const char *text;
	json_t	   *doc;

	if (PQgetisnull(res, row, col))
		return json_null();
	text = PQgetvalue(res, row, col);
	switch (PQftype(res, col))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return json_number_text(text);
		case BOOLOID:
			return json_boolean(text[0] == 't');
		case JSONOID:
		case JSONBOID:
			doc = json_loads(text, JSON_DECODE_ANY, NULL);
			return doc ? doc : json_text(text);
		default:
			return json_text(text);
	}
}

/* One row of a result as a JSON object, keyed by column name. */
static json_t *
json_row(const PGresult *res, int row)
{
	json_t	   *obj = json_object();

	for (int c = 0; c < PQnfields(res); c++)
		json_object_set_new(obj, PQfname(res, c), json_field(res, row, c));
	return obj;
}

/* Every row of a result as a JSON array of objects; null when res is NULL (not read). */
static json_t *
json_rows(const PGresult *res)
{
	json_t	   *arr;

	if (res == NULL)
		return json_null();
	arr = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(arr, json_row(res, r));
	return arr;
}

/* Print doc on stdout, indented, with a final newline, and free it. */
static void
print_json(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(doc);
}

/* ---------------------------------------------------------------- tables */

/* how a cell shows its value */
typedef enum cell_format
{
	FMT_TEXT,					/* as it is (cut at the column's max_width) */
	FMT_NUMBER,					/* right-aligned, as the database rounded it */
	FMT_PERCENT,				/* a share 0..1 as a percentage, one decimal */
	FMT_TIME,					/* a timestamp to the second */
	FMT_BOOL					/* yes or no */
} cell_format;

/* one column of a table: its header, the result column it shows, how */
typedef struct column
{
	const char *header;
	const char *field;			/* a column name of the result */
	cell_format format;
	int			max_width;		/* FMT_TEXT: cut at this many characters; 0: never */
} column;

/* a table being filled: cells as they are shown, a colour per row */
typedef struct table
{
	const column *cols;
	int			ncols;
	int			nrows;
	int			cap;
	char	  **cells;			/* nrows x ncols, malloc'd */
	const char **colours;		/* per row: an ANSI colour, or NULL */
} table;

/* Characters (UTF-8 code points) in s: its width on a terminal, near enough. */
static int
text_width(const char *s)
{
	int			n = 0;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

/*
 * A copy of text fit for one cell: valid UTF-8, control characters as
 * spaces, at most max characters ("..." marks a cut; max 0: no limit).
 */
static char *
cell_text(const char *text, int max)
{
	char	   *clean = shim_clean_utf8(text, strlen(text));
	int			chars = 0;

	if (clean == NULL)
		return strdup("?");
	for (unsigned char *p = (unsigned char *) clean; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
		/* C1 controls U+0080..U+009F (0xC2 0x80..0x9F), which some terminals obey */
		else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			p[0] = p[1] = ' ';
		/* bidirectional marks and overrides: U+200E/F, U+202A..E, U+2066..9 */
		else if (p[0] == 0xE2 && ((p[1] == 0x80 && (p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xAA && p[2] <= 0xAE))) ||
								  (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)))
			p[0] = p[1] = p[2] = ' ';
	}
	if (max <= 3 || text_width(clean) <= max)
		return clean;
	for (char *p = clean; *p; p++)
	{
		if ((*p & 0xC0) != 0x80 && ++chars > max - 3)
		{
			strcpy(p, "...");
			break;
		}
	}
	return clean;
}

/* Drop the fraction of the seconds of an ISO timestamp ("...12:00:00.123+00" -> "...12:00:00+00"). */
static void
trim_fraction(char *ts)
{
	char	   *dot = strchr(ts, '.');
	size_t		digits;

	if (dot == NULL || dot - ts < 19)
		return;
	digits = strspn(dot + 1, "0123456789");
	memmove(dot, dot + 1 + digits, strlen(dot + 1 + digits) + 1);
}

/* value as a cell shows it (in buf); "-" for NULL. */
static const char *
format_cell(const char *value, cell_format format, char *buf, size_t len)
{
	char	   *end;
	double		d;

	if (value == NULL)
		return "-";
	switch (format)
	{
		case FMT_TEXT:
			return value;
		case FMT_NUMBER:
			return value;
		case FMT_PERCENT:
			d = strtod(value, &end);
			if (end == value || *end != '\0')
				return value;
			snprintf(buf, len, "%.1f%%", d * 100.0);
			return buf;
		case FMT_TIME:
			snprintf(buf, len, "%s", value);
			trim_fraction(buf);
			return buf;
		case FMT_BOOL:
			return value[0] == 't' ? "yes" : "no";
	}
	return value;
}

/* Start an empty table of these columns. */
static void
table_init(table *t, const column *cols, int ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

/* Add a row (its cells "-" until set), in colour (NULL for none); returns its index. */
static int
table_add_row(table *t, const char *colour)
{
	if (t->nrows == t->cap)
	{
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = realloc(t->cells, (size_t) t->cap * t->ncols * sizeof(char *));
		t->colours = realloc(t->colours, (size_t) t->cap * sizeof(char *));
		if (t->cells == NULL || t->colours == NULL)
		{
			op_error("out of memory");
			exit(EXIT_RUNTIME);
		}
	}
	for (int c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = strdup("-");
	t->colours[t->nrows] = colour;
	return t->nrows++;
}

/* Set one cell to value as its column formats it (NULL: "-"). */
static void
table_set(table *t, int row, int col, const char *value)
{
	char		buf[64];
	char	  **cell = &t->cells[row * t->ncols + col];
	cell_format format = t->cols[col].format;

	free(*cell);
	*cell = cell_text(format_cell(value, format, buf, sizeof(buf)), t->cols[col].max_width);
}

/* Add every row of res, each column read by its field name, in the colour colour_of gives (may be NULL). */
static void
table_add_result(table *t, const PGresult *res, const char *(*colour_of) (const PGresult *res, int row))
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		int			row = table_add_row(t, colour_of ? colour_of(res, r) : NULL);

		for (int c = 0; c < t->ncols; c++)
			table_set(t, row, c, field_by_name(res, r, t->cols[c].field));
	}
}

/* Print one line of a table: cells padded to their column's width, numbers right-aligned. */
static void
print_table_line(const table *t, char *const *cells, const int *widths, const char *colour)
{
	fputs("  ", stdout);
	if (colour && colour_on)
		fputs(colour, stdout);
	for (int c = 0; c < t->ncols; c++)
	{
		int			pad = widths[c] - text_width(cells[c]);
		int			right = t->cols[c].format == FMT_NUMBER || t->cols[c].format == FMT_PERCENT;

		if (c > 0)
			fputs("  ", stdout);
		if (right)
			printf("%*s", pad, "");
		fputs(cells[c], stdout);
		if (!right && c < t->ncols - 1)
			printf("%*s", pad, "");
	}
	if (colour && colour_on)
		fputs(COLOUR_RESET, stdout);
	fputc('\n', stdout);
}


/* Print a section's title (bold on a terminal). */
static void
print_title(const char *title)
{
	if (colour_on)
		printf(COLOUR_BOLD "%s" COLOUR_RESET "\n", title);
	else
		printf("%s\n", title);
}

/* Print one line in colour (when colour is on and colour is not NULL). */
static void
print_coloured_line(const char *colour, const char *fmt, const char *text)
{
	if (colour && colour_on)
		fputs(colour, stdout);
	printf(fmt, text);
	if (colour && colour_on)
		fputs(COLOUR_RESET, stdout);
	fputc('\n', stdout);
}

/* Free a table's cells. */
static void
table_free(table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colours);
	memset(t, 0, sizeof(*t));
}

/* Print the rows under their headers and a rule, or "none"; then free the table. */
static void
table_print(table *t)
{
	int		   *widths = calloc((size_t) t->ncols, sizeof(int));
	char	  **headers = calloc((size_t) t->ncols, sizeof(char *));
	char	  **rules = calloc((size_t) t->ncols, sizeof(char *));

	if (widths == NULL || headers == NULL || rules == NULL)
	{
		op_error("out of memory");
		exit(EXIT_RUNTIME);
	}
	if (t->nrows == 0)
		fputs("  none\n", stdout);
	else
	{
		for (int c = 0; c < t->ncols; c++)
		{
			headers[c] = (char *) t->cols[c].header;
			widths[c] = text_width(headers[c]);
			for (int r = 0; r < t->nrows; r++)
			{
				int			w = text_width(t->cells[r * t->ncols + c]);

				if (w > widths[c])
					widths[c] = w;
			}
			rules[c] = malloc((size_t) widths[c] + 1);
			memset(rules[c], '-', (size_t) widths[c]);
			rules[c][widths[c]] = '\0';
		}
		print_table_line(t, headers, widths, NULL);
		print_table_line(t, rules, widths, NULL);
		for (int r = 0; r < t->nrows; r++)
			print_table_line(t, &t->cells[r * t->ncols], widths, t->colours[r]);
		for (int c = 0; c < t->ncols; c++)
			free(rules[c]);
	}
	free(rules);
	free(headers);
	free(widths);
	table_free(t);
}

/*
 * Print a section read from the database: its title, then its rows as a
 * table (coloured by colour_of, which may be NULL), or why it could not be
 * read; a blank line after it.
 */
static void
print_result_section(const char *title, const PGresult *res, const char *error,
					 const column *cols, int ncols, const char *(*colour_of) (const PGresult *res, int row))
{
	table		t;

	print_title(title);
	if (res == NULL)
		print_coloured_line(COLOUR_RED, "  could not be read: %s", error ? error : "see the error above");
	else
	{
		table_init(&t, cols, ncols);
		table_add_result(&t, res, colour_of);
		table_print(&t);
	}
	fputc('\n', stdout);
}

/* ---------------------------------------------------------------- status: what it reads */

/* the sections status reads from the database, in the order it prints them */
typedef enum section_id
{
	SEC_JOBS,
	SEC_POOLS,
	SEC_NUMBERS,
	SEC_DEAD_LETTERS,
	SEC_DEAD_TOTAL,
	SEC_OUTBOX,
	SEC_CALLS,
	NUM_SECTIONS
} section_id;

/* one section's statement: its name in messages, the SQL, its one parameter (or NULL) */
typedef struct section_query
{
	const char *what;
	const char *sql;
	const char *param;
} section_query;

static const section_query sections[NUM_SECTIONS] = {
	[SEC_JOBS] = {"maintenance jobs", JOBS_SQL, NULL},
	[SEC_POOLS] = {"pools", POOLS_SQL, NULL},
	[SEC_NUMBERS] = {"numbers not healthy", NUMBERS_SQL, "healthy"},
	[SEC_DEAD_LETTERS] = {"dead letters", STATUS_DEAD_LETTERS_SQL, STATUS_DEAD_LETTERS},
	[SEC_DEAD_TOTAL] = {"dead letters in total", DEAD_LETTER_TOTAL_SQL, NULL},
	[SEC_OUTBOX] = {"outbox backlog", OUTBOX_SQL, NULL},
	[SEC_CALLS] = {"calls by outcome", CALLS_SQL, STATUS_CALL_WINDOW},
};

/* what GET <shim-url>/healthz said */
typedef struct shim_probe
{
	char	   *url;			/* the URL asked */
	long		http_status;	/* 0: no answer */
	char	   *status;			/* the answer's "status" ("ok", "degraded"), or NULL */
	char	   *version;		/* the answer's "version", or NULL */
	char	   *error;			/* no answer: why; else the answer's "error", or NULL */
} shim_probe;

/* everything status found out */
typedef struct status_report
{
	int			db_reachable;
	char	   *db_error;		/* why not, when !db_reachable */
	int			extension_read; /* the extension's version was read */
	char	   *extversion;		/* NULL: not installed (or not read) */
	int			failed;			/* a statement failed: exit 1 */
	shim_probe	shim;
	PGresult   *res[NUM_SECTIONS];	/* NULL: not read */
	char	   *error[NUM_SECTIONS];	/* why not, when read and failed */
} status_report;

/* A malloc'd copy of text, or NULL for NULL. */
static char *
dup_or_null(const char *text)
{
	return text ? strdup(text) : NULL;
}

/*
 * The URL of the running shim's /healthz (malloc'd): --shim-url, else the
 * address it listens on (--listen, VAPI_POOL_LISTEN), "all interfaces"
 * asked on the loopback address.
 */
static char *
healthz_url(const shim_config *cfg, const op_options *o)
{
	char	   *url;
	size_t		len;

	if (o->shim_url != NULL)
	{
		len = strlen(o->shim_url);
		while (len > 0 && o->shim_url[len - 1] == '/')
			len--;
		if ((url = malloc(len + sizeof("/healthz"))) != NULL)
			snprintf(url, len + sizeof("/healthz"), "%.*s/healthz", (int) len, o->shim_url);
	}
	else
	{
		const char *host = cfg->listen_host;
		int			v6;

		if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
			host = "127.0.0.1";
		else if (strcmp(host, "::") == 0)
			host = "::1";
		v6 = strchr(host, ':') != NULL;
		len = strlen(host) + sizeof("http://[]:65535/healthz");
		if ((url = malloc(len)) != NULL)
			snprintf(url, len, "http://%s%s%s:%d/healthz", v6 ? "[" : "", host, v6 ? "]" : "", cfg->listen_port);
	}
	return url;
}

/* The string value of key in obj, copied (one line), or NULL. */
static char *
json_string_copy(json_t *obj, const char *key)
{
	json_t	   *v = json_object_get(obj, key);

	return json_is_string(v) ? shim_one_line_dup(json_string_value(v)) : NULL;
}

/* GET p->url with libcurl and keep what the answer says; no answer is a finding, not a failure. */
static void
probe_shim(shim_probe *p)
{
	const char *headers[] = {"Accept: application/json", NULL};
	http_request req;
	http_response resp;
	json_t	   *doc;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = p->url;
	req.headers = headers;
	req.timeout_ms = SHIM_PROBE_TIMEOUT_MS;
	http_perform_all(&req, &resp, 1, SHIM_PROBE_TIMEOUT_MS + 1000);
	p->http_status = resp.status;
	if (resp.status == 0)
		p->error = shim_one_line_dup(resp.error[0] ? resp.error : "no answer");
	else if ((doc = json_loadb(resp.body, resp.body_len, 0, NULL)) != NULL)
	{
		p->status = json_string_copy(doc, "status");
		p->version = json_string_copy(doc, "version");
		p->error = json_string_copy(doc, "error");
		json_decref(doc);
	}
	http_response_free(&resp);
}

/*
 * Read every section in one read-only REPEATABLE READ transaction, each
 * under a savepoint so that one failing does not hide the others.  Sets
 * r->failed when a statement failed (each failure printed) or the
 * extension is not installed.
 */
static void
read_status(PGconn *conn, status_report *r)
{
	const char *const extname[] = {"vapi_pool"};
	const char *const timeout[] = {STATUS_STATEMENT_TIMEOUT};
	PGresult   *res;

	if (op_command_sql(conn, "status", "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") != 0 ||
		(res = tool_db_exec(conn, "status", STATEMENT_TIMEOUT_SQL, 1, timeout, NULL)) == NULL)
	{
		r->failed = 1;
		return;
	}
	PQclear(res);
	if ((res = tool_db_exec(conn, "the extension's version", EXTVERSION_SQL, 1, extname, NULL)) == NULL)
	{
		r->failed = 1;
		return;
	}
	r->extension_read = 1;
	r->extversion = PQntuples(res) > 0 ? dup_or_null(field_at(res, 0, 0)) : NULL;
	PQclear(res);
	if (r->extversion == NULL)
	{
		op_error("the vapi_pool extension is not installed in this database (CREATE EXTENSION vapi_pool CASCADE)");
		r->failed = 1;
		return;
	}

	for (int s = 0; s < NUM_SECTIONS; s++)
	{
		const section_query *q = &sections[s];

		if (op_command_sql(conn, q->what, "SAVEPOINT vapi_shim_status") != 0)
		{
			r->error[s] = strdup("the transaction failed (see above)");
			r->failed = 1;
			continue;
		}
		r->res[s] = tool_db_exec(conn, q->what, q->sql, q->param ? 1 : 0, &q->param, &r->error[s]);
		if (r->res[s] == NULL)
			r->failed = 1;
		op_command_sql(conn, q->what, r->res[s] ? "RELEASE SAVEPOINT vapi_shim_status"
					   : "ROLLBACK TO SAVEPOINT vapi_shim_status");
	}
	/* read only: nothing to keep */
	op_command_sql(conn, "status", "ROLLBACK");
}

/* ---------------------------------------------------------------- status: JSON */

/* A JSON string of text, or null for NULL. */
static json_t *
json_text_or_null(const char *text)
{
	return text ? json_text(text) : json_null();
}

/* What the shim probe found, as JSON. */
static json_t *
shim_json(const shim_probe *p)
{
	json_t	   *obj = json_object();

	json_object_set_new(obj, "url", json_text_or_null(p->url));
	json_object_set_new(obj, "reachable", json_boolean(p->http_status != 0));
	json_object_set_new(obj, "http_status", p->http_status ? json_integer(p->http_status) : json_null());
	json_object_set_new(obj, "status", json_text_or_null(p->status));
	json_object_set_new(obj, "version", json_text_or_null(p->version));
	json_object_set_new(obj, "error", json_text_or_null(p->error));
	return obj;
}

/* The calls by outcome as one object, {"answered": 3, ...}; null when not read. */
static json_t *
calls_json(const PGresult *res)
{
	json_t	   *obj;
	int			outcome;
	int			calls;

	if (res == NULL)
		return json_null();
	obj = json_object();
	outcome = PQfnumber(res, "outcome");
	calls = PQfnumber(res, "calls");
	for (int r = 0; outcome >= 0 && calls >= 0 && r < PQntuples(res); r++)
	{
		char	   *key = shim_clean_utf8(PQgetvalue(res, r, outcome), strlen(PQgetvalue(res, r, outcome)));

		if (key != NULL)
			json_object_set_new(obj, PQgetisnull(res, r, outcome) ? "unknown" : key, json_field(res, r, calls));
		free(key);
	}
	return obj;
}

/* The whole report as one JSON object: health, pools, numbers, dead_letters, outbox, calls. */
static json_t *
status_json(const status_report *r)
{
	json_t	   *doc = json_object();
	json_t	   *health = json_object();
	json_t	   *database = json_object();
	json_t	   *dead = json_null();
	const PGresult *outbox = r->res[SEC_OUTBOX];

	json_object_set_new(database, "reachable", json_boolean(r->db_reachable));
	json_object_set_new(database, "error", json_text_or_null(r->db_error));
	json_object_set_new(health, "database", database);
	json_object_set_new(health, "extension", json_text_or_null(r->extversion));
	json_object_set_new(health, "shim", shim_json(&r->shim));
	json_object_set_new(health, "maintenance_jobs", json_rows(r->res[SEC_JOBS]));
	json_object_set_new(doc, "health", health);
	json_object_set_new(doc, "pools", json_rows(r->res[SEC_POOLS]));
	json_object_set_new(doc, "numbers", json_rows(r->res[SEC_NUMBERS]));
	if (r->res[SEC_DEAD_LETTERS] != NULL && r->res[SEC_DEAD_TOTAL] != NULL &&
		PQntuples(r->res[SEC_DEAD_TOTAL]) == 1)
	{
		dead = json_object();
		json_object_set_new(dead, "total", json_field(r->res[SEC_DEAD_TOTAL], 0, 0));
		json_object_set_new(dead, "items", json_rows(r->res[SEC_DEAD_LETTERS]));
	}
	json_object_set_new(doc, "dead_letters", dead);
	json_object_set_new(doc, "outbox", outbox && PQntuples(outbox) > 0 ? json_row(outbox, 0) : json_null());
	json_object_set_new(doc, "calls", calls_json(r->res[SEC_CALLS]));
	return doc;
}

/* ---------------------------------------------------------------- status: tables */

/* Is the field a number greater than zero? */
static int
positive(const char *value)
{
	return value != NULL && strtod(value, NULL) > 0;
}

/* A maintenance job whose last run failed is red; one switched off, yellow. */
static const char *
job_colour(const PGresult *res, int row)
{
	const char *status = field_by_name(res, row, "last_status");
	const char *active = field_by_name(res, row, "active");

	if (status && strcmp(status, "failed") == 0)
		return COLOUR_RED;
	return active && active[0] == 'f' ? COLOUR_YELLOW : NULL;
}

/* A pool with no number available is red; one running dry in under 7 days (as /metrics counts), yellow. */
static const char *
pool_colour(const PGresult *res, int row)
{
	const char *available = field_by_name(res, row, "available");
	const char *dry = field_by_name(res, row, "days_until_dry");

	if (available != NULL && !positive(available))
		return COLOUR_RED;
	return dry != NULL && strtod(dry, NULL) < 7 ? COLOUR_YELLOW : NULL;
}

/* A burned number is red, one on watch yellow. */
static const char *
number_colour(const PGresult *res, int row)
{
	const char *state = field_by_name(res, row, "state");

	if (state && strcmp(state, "burned") == 0)
		return COLOUR_RED;
	return state && strcmp(state, "watch") == 0 ? COLOUR_YELLOW : NULL;
}

/* An outbox with dead jobs is red. */
static const char *
outbox_colour(const PGresult *res, int row)
{
	return positive(field_by_name(res, row, "dead")) ? COLOUR_RED : NULL;
}

/* The health section: the database, the extension, the shim. */
static void
print_health(const status_report *r)
{
	static const column cols[] = {{"check", NULL, FMT_TEXT, 0}, {"state", NULL, FMT_TEXT, 0}};
	const shim_probe *p = &r->shim;
	char		line[1024];
	table		t;
	int			row;
	int			shim_ok = p->http_status == 200 && p->status && strcmp(p->status, "ok") == 0;

	print_title("Health");
	table_init(&t, cols, lengthof(cols));

	row = table_add_row(&t, r->db_reachable ? NULL : COLOUR_RED);
	table_set(&t, row, 0, "database");
	snprintf(line, sizeof(line), "%s%s%s", r->db_reachable ? "reachable" : "unreachable",
			 r->db_error ? ": " : "", r->db_error ? r->db_error : "");
	table_set(&t, row, 1, line);

	row = table_add_row(&t, r->extension_read && r->extversion == NULL ? COLOUR_RED : NULL);
	table_set(&t, row, 0, "extension");
	if (r->extversion)
		snprintf(line, sizeof(line), "vapi_pool %s", r->extversion);
	else
		snprintf(line, sizeof(line), "%s", r->extension_read ? "vapi_pool is not installed" : "unknown");
	table_set(&t, row, 1, line);

	row = table_add_row(&t, shim_ok ? NULL : COLOUR_YELLOW);
	table_set(&t, row, 0, "shim");
	if (p->http_status == 0)
		snprintf(line, sizeof(line), "not reachable at %s: %s", p->url, p->error ? p->error : "no answer");
	else
		snprintf(line, sizeof(line), "%s: HTTP %ld, status %s%s%s%s%s", p->url, p->http_status,
				 p->status ? p->status : "unknown (not a vapi-shim answer)",
				 p->version ? ", version " : "", p->version ? p->version : "",
				 p->error ? ": " : "", p->error ? p->error : "");
	table_set(&t, row, 1, line);
	table_print(&t);
	fputc('\n', stdout);
}

/* The dead letters: the total on a line of its own (red when not zero), then the newest. */
static void
print_status_dead_letters(const status_report *r)
{
	static const column cols[] = {
		{"ref", "ref", FMT_TEXT, 0},
		{"what", "what", FMT_TEXT, CELL_MAX_WIDTH},
		{"failed at", "failed_at", FMT_TIME, 0},
		{"attempts", "attempts", FMT_NUMBER, 0},
		{"error", "error", FMT_TEXT, CELL_MAX_WIDTH},
	};
	const PGresult *total = r->res[SEC_DEAD_TOTAL];
	const char *count = total && PQntuples(total) == 1 ? field_at(total, 0, 0) : NULL;
	table		t;

	print_title("Dead letters (newest first)");
	if (count == NULL || r->res[SEC_DEAD_LETTERS] == NULL)
	{
		print_coloured_line(COLOUR_RED, "  could not be read: %s",
							r->error[SEC_DEAD_TOTAL] ? r->error[SEC_DEAD_TOTAL] :
							r->error[SEC_DEAD_LETTERS] ? r->error[SEC_DEAD_LETTERS] : "see the error above");
		fputc('\n', stdout);
		return;
	}
	print_coloured_line(positive(count) ? COLOUR_RED : NULL, "  total: %s", count);
	table_init(&t, cols, lengthof(cols));
	table_add_result(&t, r->res[SEC_DEAD_LETTERS], NULL);
	table_print(&t);
	if (positive(count))
		fputs("  (vapi-shim dead-letters lists them all; --replay REF runs one again)\n", stdout);
	fputc('\n', stdout);
}

/* The report as tables: health first; the rest only when the extension could be read. */
static void
print_status_text(const status_report *r)
{
	static const column job_cols[] = {
		{"job", "jobname", FMT_TEXT, 0},
		{"schedule", "schedule", FMT_TEXT, 0},
		{"active", "active", FMT_BOOL, 0},
		{"last status", "last_status", FMT_TEXT, 0},
		{"last run", "last_run_at", FMT_TIME, 0},
	};
	static const column pool_cols[] = {
		{"broker", "broker_name", FMT_TEXT, CELL_MAX_WIDTH},
		{"size", "size", FMT_NUMBER, 0},
		{"available", "available", FMT_NUMBER, 0},
		{"pressure", "pressure", FMT_PERCENT, 0},
		{"assignments/day", "assignments_per_day", FMT_NUMBER, 0},
		{"mean hold (h)", "mean_hold_hours", FMT_NUMBER, 0},
		{"days until dry", "days_until_dry", FMT_NUMBER, 0},
	};
	static const column number_cols[] = {
		{"broker", "broker_name", FMT_TEXT, CELL_MAX_WIDTH},
		{"number", "number", FMT_TEXT, 0},
		{"state", "state", FMT_TEXT, 0},
		{"attempts", "attempts", FMT_NUMBER, 0},
		{"answer rate", "answer_rate", FMT_PERCENT, 0},
		{"siblings' rate", "sibling_answer_rate", FMT_PERCENT, 0},
		{"reason", "reason", FMT_TEXT, CELL_MAX_WIDTH},
	};
	static const column outbox_cols[] = {
		{"pending", "pending", FMT_NUMBER, 0},
		{"due", "due", FMT_NUMBER, 0},
		{"in flight", "in_flight", FMT_NUMBER, 0},
		{"dead", "dead", FMT_NUMBER, 0},
		{"oldest due", "oldest_due_at", FMT_TIME, 0},
	};
	static const column call_cols[] = {
		{"outcome", "outcome", FMT_TEXT, 0},
		{"calls", "calls", FMT_NUMBER, 0},
	};

	print_health(r);
	if (r->extversion == NULL)
		return;
	print_result_section("Maintenance jobs (pg_cron)", r->res[SEC_JOBS], r->error[SEC_JOBS],
						 job_cols, lengthof(job_cols), job_colour);
	print_result_section("Pools (running dry first)", r->res[SEC_POOLS], r->error[SEC_POOLS],
						 pool_cols, lengthof(pool_cols), pool_colour);
	print_result_section("Numbers not healthy", r->res[SEC_NUMBERS], r->error[SEC_NUMBERS],
						 number_cols, lengthof(number_cols), number_colour);
	print_status_dead_letters(r);
	print_result_section("Outbox backlog", r->res[SEC_OUTBOX], r->error[SEC_OUTBOX],
						 outbox_cols, lengthof(outbox_cols), outbox_colour);
	print_result_section("Calls in the last hour, by outcome", r->res[SEC_CALLS], r->error[SEC_CALLS],
						 call_cols, lengthof(call_cols), NULL);
}

/*
 * vapi-shim status: probe the shim, read the database, print the report.
 * 0 when every section was read, else 1.
 */
static int
run_status(const shim_config *cfg, const op_options *o)
{
	status_report r;
	PGconn	   *conn;
	int			status;

	memset(&r, 0, sizeof(r));
	if ((r.shim.url = healthz_url(cfg, o)) == NULL)
	{
		op_error("out of memory");
		return EXIT_RUNTIME;
	}
	probe_shim(&r.shim);
	if ((conn = tool_db_open(cfg, "vapi-shim status", CONNECT_TIMEOUT, &r.db_error)) == NULL)
		op_error("cannot read the database: %s", r.db_error ? r.db_error : "out of memory");
	else
	{
		r.db_reachable = 1;
		read_status(conn, &r);
		PQfinish(conn);
	}

	if (o->json)
		print_json(status_json(&r));
	else
		print_status_text(&r);
	status = !r.db_reachable || r.failed ? EXIT_RUNTIME : EXIT_SUCCESS;

	for (int s = 0; s < NUM_SECTIONS; s++)
	{
		PQclear(r.res[s]);
		free(r.error[s]);
	}
	free(r.db_error);
	free(r.extversion);
	free(r.shim.url);
	free(r.shim.status);
	free(r.shim.version);
	free(r.shim.error);
	return status;
}

/* ---------------------------------------------------------------- dead-letters */

/* List the newest dead letters (at most --limit), as a table or JSON. */
static int
list_dead_letters(PGconn *conn, const op_options *o)
{
	static const column cols[] = {
		{"ref", "ref", FMT_TEXT, 0},
		{"kind", "kind", FMT_TEXT, 0},
		{"what", "what", FMT_TEXT, CELL_MAX_WIDTH},
		{"organisation", "org_id", FMT_TEXT, 0},
		{"failed at", "failed_at", FMT_TIME, 0},
		{"attempts", "attempts", FMT_NUMBER, 0},
		{"sqlstate", "sqlstate", FMT_TEXT, 0},
		{"error", "error", FMT_TEXT, CELL_MAX_WIDTH},
	};
	char		limit[16];
	const char *params[1] = {limit};
	PGresult   *res;
	table		t;

	snprintf(limit, sizeof(limit), "%d", o->limit);
	if ((res = tool_db_exec(conn, "dead letters", LIST_DEAD_LETTERS_SQL, 1, params, NULL)) == NULL)
		return EXIT_RUNTIME;
	if (o->json)
	{
		json_t	   *doc = json_object();

		json_object_set_new(doc, "limit", json_integer(o->limit));
		json_object_set_new(doc, "items", json_rows(res));
		print_json(doc);
	}
	else
	{
		print_title("Dead letters (newest first)");
		table_init(&t, cols, lengthof(cols));
		table_add_result(&t, res, NULL);
		table_print(&t);
		if (PQntuples(res) == o->limit)
			printf("  (%d shown, the --limit: there may be more)\n", o->limit);
		if (PQntuples(res) > 0)
			fputs("  (vapi-shim dead-letters --replay REF runs one again)\n", stdout);
	}
	PQclear(res);
	return EXIT_SUCCESS;
}

/*
 * Replay the dead letter --replay names and print what the database says
 * happened: 0 if it ran (an event processed, a job pending again), 1 if an
 * event failed again or the database refused (bad, unknown or live ref).
 */
static int
replay_dead_letter(PGconn *conn, const op_options *o)
{
	const char *params[1] = {o->replay};
	char		ref[128];
	char		what[160];
	PGresult   *res;
	const char *outcome;
	int			status;

	shim_one_line(ref, sizeof(ref), o->replay);
	snprintf(what, sizeof(what), "replay of %s", ref);
	if ((res = tool_db_exec(conn, what, REPLAY_SQL, 1, params, NULL)) == NULL)
		return EXIT_RUNTIME;
	if (PQntuples(res) == 0)
	{
		op_error("%s: the database gave no answer", what);
		PQclear(res);
		return EXIT_RUNTIME;
	}
	outcome = field_by_name(res, 0, "outcome");
	if (o->json)
		print_json(json_row(res, 0));
	else
	{
		const char *detail = field_by_name(res, 0, "detail");
		char	   *text;

		text = cell_text(field_by_name(res, 0, "ref") ? field_by_name(res, 0, "ref") : ref, 0);
		printf("%s: %s\n", text, outcome ? outcome : "-");
		free(text);
		if (detail)
		{
			text = cell_text(detail, 0);
			printf("  %s\n", text);
			free(text);
		}
	}
	/* an event run again can fail again: it stays a dead letter */
	status = outcome != NULL && strcmp(outcome, "failed") == 0 ? EXIT_RUNTIME : EXIT_SUCCESS;
	if (status != EXIT_SUCCESS)
		op_error("%s: it failed again and stays a dead letter", what);
	PQclear(res);
	return status;
}

/* vapi-shim dead-letters: connect, then list or replay. */
static int
run_dead_letters(const shim_config *cfg, const op_options *o)
{
	char	   *why;
	PGconn	   *conn = tool_db_open(cfg, "vapi-shim dead-letters", CONNECT_TIMEOUT, &why);
	int			status;

	if (conn == NULL)
	{
		op_error("cannot read the database: %s", why ? why : "out of memory");
		free(why);
		return EXIT_RUNTIME;
	}
	status = o->replay ? replay_dead_letter(conn, o) : list_dead_letters(conn, o);
	PQfinish(conn);
	return status;
}

/* ---------------------------------------------------------------- entry point */

/*
 * vapi-shim status, vapi-shim dead-letters: argv[0] is the command; its
 * flags are taken out and the rest goes to config_load_for.
 */
int
operator_main(int argc, char **argv)
{
	const char *name = argv[0];
	op_command command = strcmp(name, "status") == 0 ? OP_STATUS : OP_DEAD_LETTERS;
	op_options o = {.limit = DEFAULT_LIMIT};
	shim_config cfg;
	config_command c = {op_flags, NUM_OP_FLAGS, command, name, name, try_help(name), set_op_flag, &o};
	int			status = config_load_command(&cfg, &c, argc, argv, 1);

	if (status == CONFIG_ARGS_HELP)
	{
		print_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (status != CONFIG_ARGS_GO_ON)
		return status;
	if (o.replay != NULL && o.limit_given)
	{
		free(cfg.listen_host);	/* config_load_for's */
		return op_usage_error(name, "--limit lists dead letters; it does not go with --replay");
	}
	choose_colour(&o);
	status = command == OP_STATUS ? run_status(&cfg, &o) : run_dead_letters(&cfg, &o);
	fflush(stdout);
	free(cfg.listen_host);		/* config_load_for's */
	return status;
}
