/*
 * vendor_request.c
 *	  An HTTP request to a vendor (Vapi, Cal.com) built from the database's
 *	  description of it: {service, method, path, headers, body}.
 *
 * The database queues what is sent (the dispatcher's outbox jobs, the
 * requests a live tool call waits for); the shim only checks that it can
 * be sent and completes it: the base URL of the service (its trailing
 * slashes dropped) before the path, and the lines, in this order,
 *
 *	Authorization: Bearer <the service's API key>
 *	User-Agent: ...                    when the rules name one
 *	Accept: application/json           when the rules ask, unless the request sets Accept
 *	Content-Type: application/json     with a body, unless the rules let the request's own replace it
 *	the request's own headers
 *
 * A request that cannot be sent gets a reason instead, which the caller
 * hands to the database as the answer of a request never sent.  The checks,
 * in order: the service, its key, the path, the method, the JSON types of
 * the body and headers, then the request's own headers.
 *
 * The two callers differ in what they allow and add (caller_rules) and in
 * the words of their reasons (refusal_words), each a contract with the
 * database: the dispatcher also sends who it is and what it accepts,
 * refuses a request that sets Authorization itself, and takes any header
 * byte but a control character; a live tool call takes printable ASCII
 * only and at most LIVE_HEADERS_MAX header lines.
 *
 * This is where the API keys become header lines for both; a key is never
 * logged, and its line is wiped before it is freed.
 */
#define _GNU_SOURCE				/* asprintf() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"
#include "vendor_request.h"

/* lines we may add before the request's own: Authorization, User-Agent, Accept, Content-Type */
#define OUR_HEADERS_MAX 4
/* header lines of a live tool call's request at most, ours included */
#define LIVE_HEADERS_MAX 16

/* what one caller's requests may hold, and what goes with them */
typedef struct vendor_rules
{
	int			ascii_only;		/* path and header values printable ASCII, else no control character but tab */
	int			max_headers;	/* header lines at most, ours included; 0 for no limit */
	int			no_own_authorization;	/* the request may not set Authorization itself */
	const char *user_agent;		/* a User-Agent value to send, or NULL */
	int			accept_json;	/* send Accept: application/json unless the request sets Accept */
	int			own_content_type;	/* the request's Content-Type replaces ours (else both go) */
} vendor_rules;

static const vendor_rules caller_rules[VENDOR_NUM_CALLERS] = {
	[VENDOR_DISPATCH] = {.no_own_authorization = 1, .user_agent = "vapi-shim/" SHIM_VERSION,
	.accept_json = 1, .own_content_type = 1},
	[VENDOR_LIVE_TOOL_CALL] = {.ascii_only = 1, .max_headers = LIVE_HEADERS_MAX},
};

/* why a request cannot be sent */
typedef enum vendor_refusal
{
	VENDOR_READY,				/* nothing: it can be sent */
	VENDOR_UNKNOWN_SERVICE,
	VENDOR_NO_KEY,				/* the service has no API key (or base URL) */
	VENDOR_BAD_PATH,			/* not from /, or a space or a byte the rules refuse */
	VENDOR_BAD_METHOD,			/* not an HTTP token */
	VENDOR_MALFORMED,			/* vendor_call.malformed */
	VENDOR_BAD_HEADER,			/* one of the request's own headers, or one too many */
	VENDOR_OUT_OF_MEMORY,
	VENDOR_NUM_REFUSALS
} vendor_refusal;

/* each refusal in the words of each caller: the dispatcher's, a live tool call's */
static const char *const refusal_words[VENDOR_NUM_REFUSALS][VENDOR_NUM_CALLERS] = {
	[VENDOR_UNKNOWN_SERVICE] = {"unknown service: the dispatcher knows vapi and cal", "unknown service"},
	[VENDOR_NO_KEY] = {"cal.com API key not configured", "no API key configured for this service"},
	[VENDOR_BAD_PATH] = {"the request's path must start with / and hold no space or control character",
	"malformed request"},
	[VENDOR_BAD_METHOD] = {"the request's method is not an HTTP method", "malformed request"},
	[VENDOR_MALFORMED] = {"the request's headers are not a JSON object", "malformed request"},
	[VENDOR_BAD_HEADER] = {"the request's headers are not all sendable (string values, token names, no Authorization)",
	"malformed request header"},
	[VENDOR_OUT_OF_MEMORY] = {"out of memory", "out of memory"},
};

/* The base URL and API key of a service; -1 for a service we do not know. */
static int
service_target(const shim_config *cfg, const char *service, const char **base, const char **key)
{
	if (service != NULL && strcmp(service, "vapi") == 0)
	{
		*base = cfg->vapi_base_url;
		*key = cfg->vapi_api_key;
	}
	else if (service != NULL && strcmp(service, "cal") == 0)
	{
		*base = cfg->cal_base_url;
		*key = cfg->cal_api_key;
	}
	else
		return -1;
	return 0;
}

/* Check the path (from /, no space) and the method (a token). */
static vendor_refusal
check_request_line(const vendor_rules *rules, const vendor_call *call)
{
	if (call->path == NULL || call->path[0] != '/' || strchr(call->path, ' ') != NULL ||
		!shim_is_http_field_value(call->path, rules->ascii_only))
		return VENDOR_BAD_PATH;
	if (!shim_is_http_token(call->method))
		return VENDOR_BAD_METHOD;
	return VENDOR_READY;
}

/* base (without its trailing slashes) then path, as a new string; NULL when out of memory. */
static char *
join_url(const char *base, const char *path)
{
	size_t		base_len = strlen(base);
	char	   *url;

	while (base_len > 0 && base[base_len - 1] == '/')
		base_len--;
	if (asprintf(&url, "%.*s%s", (int) base_len, base, path) < 0)
		return NULL;
	return url;
}

/*
 * Check the request's own headers: token names, sendable string values, no
 * Authorization when the rules refuse it, no more lines than they allow.
 * Notes whether they set Accept or Content-Type.
 */
static vendor_refusal
check_own_headers(const vendor_rules *rules, const vendor_call *call, int *own_accept, int *own_type)
{
	const char *name;
	json_t	   *value;
	size_t		ours;

	*own_accept = *own_type = 0;
	json_object_foreach(call->headers, name, value)
	{
		if (!shim_is_http_token(name) || !shim_is_http_field_value(json_string_value(value), rules->ascii_only) ||
			(rules->no_own_authorization && strcasecmp(name, "Authorization") == 0))
			return VENDOR_BAD_HEADER;
		*own_accept |= strcasecmp(name, "Accept") == 0;
		*own_type |= strcasecmp(name, "Content-Type") == 0;
	}
	/* Authorization, then what header_lines adds */
	ours = 1 + (rules->user_agent != NULL) + (rules->accept_json && !*own_accept) +
		(call->body != NULL && !(rules->own_content_type && *own_type));
	if (rules->max_headers > 0 && ours + json_object_size(call->headers) > (size_t) rules->max_headers)
		return VENDOR_BAD_HEADER;
	return VENDOR_READY;
}

/* Free a NULL-terminated array of header lines, the first (the key's) wiped. */
static void
free_lines(char **lines)
{
	if (lines == NULL)
		return;
	if (lines[0] != NULL)
		explicit_bzero(lines[0], strlen(lines[0]));
	for (char **l = lines; *l; l++)
		free(*l);
	free(lines);
}

/* Append "name: prefixvalue" to lines (n used); 0, or -1 when out of memory. */
static int
add_line(char **lines, size_t *n, const char *name, const char *prefix, const char *value)
{
	if (asprintf(&lines[*n], "%s: %s%s", name, prefix, value) < 0)
	{
		lines[*n] = NULL;
		return -1;
	}
	(*n)++;
	return 0;
}

/*
 * The header lines, ours then the request's own (already checked), in a
 * NULL-terminated array; NULL when out of memory.
 */
static char **
header_lines(const vendor_rules *rules, const char *key, const vendor_call *call,
			 int own_accept, int own_type)
{
	char	  **lines = calloc(OUR_HEADERS_MAX + json_object_size(call->headers) + 1, sizeof(char *));
	size_t		n = 0;
	const char *name;
	json_t	   *value;

	if (lines == NULL)
		return NULL;
	if (add_line(lines, &n, "Authorization", "Bearer ", key) != 0 ||
		(rules->user_agent && add_line(lines, &n, "User-Agent", "", rules->user_agent) != 0) ||
		(rules->accept_json && !own_accept && add_line(lines, &n, "Accept", "", "application/json") != 0) ||
		(call->body && !(rules->own_content_type && own_type) &&
		 add_line(lines, &n, "Content-Type", "", "application/json") != 0))
	{
		free_lines(lines);
		return NULL;
	}
	json_object_foreach(call->headers, name, value)
	{
		if (add_line(lines, &n, name, "", json_string_value(value)) != 0)
		{
			free_lines(lines);
			return NULL;
		}
	}
	return lines;
}

/* Build the request and its headers, or say why it cannot be sent. */
static vendor_refusal
build(vendor_request *vr, const vendor_rules *rules, const shim_config *cfg, const vendor_call *call)
{
	const char *base;
	const char *key;
	vendor_refusal refusal;
	int			own_accept;
	int			own_type;

	memset(vr, 0, sizeof(*vr));
	if (service_target(cfg, call->service, &base, &key) != 0)
		return VENDOR_UNKNOWN_SERVICE;
	if (base == NULL || key == NULL)
		return VENDOR_NO_KEY;
	if ((refusal = check_request_line(rules, call)) != VENDOR_READY)
		return refusal;
	if ((vr->method = strdup(call->method)) == NULL || (vr->url = join_url(base, call->path)) == NULL)
		return VENDOR_OUT_OF_MEMORY;
	if (call->malformed)
		return VENDOR_MALFORMED;
	if ((refusal = check_own_headers(rules, call, &own_accept, &own_type)) != VENDOR_READY)
		return refusal;
	if ((vr->headers = header_lines(rules, key, call, own_accept, own_type)) == NULL)
		return VENDOR_OUT_OF_MEMORY;

	vr->req.method = vr->method;
	vr->req.url = vr->url;
	vr->req.headers = (const char *const *) vr->headers;
	vr->req.body = call->body;
	vr->req.body_len = call->body_len;
	vr->req.timeout_ms = call->timeout_ms;
	return VENDOR_READY;
}

/* Build the request call describes, for caller: see vendor_request.h. */
const char *
vendor_request_build(vendor_request *vr, vendor_caller caller, const shim_config *cfg,
					 const vendor_call *call)
{
	vendor_refusal refusal = build(vr, &caller_rules[caller], cfg, call);

	return refusal == VENDOR_READY ? NULL : refusal_words[refusal][caller];
}

/* Free a built request (whatever the build said). */
void
vendor_request_free(vendor_request *vr)
{
	free(vr->method);
	free(vr->url);
	free_lines(vr->headers);
	memset(vr, 0, sizeof(*vr));
}
