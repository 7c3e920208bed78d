/*
 * fuzz_webhook.c
 *	  libFuzzer target for what the shim does with an untrusted request
 *	  before any database work: webhook_authenticate() for every source and
 *	  Vapi mode, webhook_body_parse() and webhook_fallback_answer().
 *
 * Input layout: four NUL-terminated header values, then the body:
 *   secret \0 signature \0 timestamp \0 extra \0 body...
 * secret goes in x-vapi-secret, Authorization and the Instantly header;
 * signature in x-signature and X-Cal-Signature-256; timestamp in
 * x-timestamp; extra, "name:value", is one more header (to reach duplicates
 * and odd names), except that "oom:N" makes the N-th jansson allocation
 * (from 0) after each parse fail instead: in building and serialising the
 * fallback answers.  Never one inside json_loadb(): jansson 2.14 cannot
 * survive a failed allocation there (it overflows the heap; docs/fuzzing.md,
 * regression seeds shim/fuzz/corpus/regress-jansson-oom-*), and the shim's
 * allocator never lets one happen (shim/json_alloc.c: it aborts instead).
 * An input with fewer than four NULs is all body, with every header value
 * "@".  The value "@" stands for the right credential, computed here with
 * OpenSSL's one-shot HMAC() (not the code under test), so that plain JSON
 * seeds reach the accepting paths too.
 *
 * Besides the sanitizers, the target checks a few properties: the right
 * credentials are accepted, a shared secret is accepted only if it is one
 * of the configured ones, and an accepted body is an object without NUL.
 *
 * An input is a pure function of its bytes, so that a run with a fixed seed
 * and number of runs is repeatable (make fuzz-smoke): the clock is NOW_MS
 * (webhook_authenticate() takes now as a parameter), and jansson's hash
 * seed is fixed instead of read from /dev/urandom or the time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "webhook_auth.h"
#include "webhook_body.h"

#define NOW_MS INT64_C(1763740870000)
#define NOW_S "1763740870"
#define SECRET "fuzz-secret-1"
#define SECRET_PREVIOUS "fuzz-secret-0"
#define MAX_SIGNATURE 200
#define JANSSON_HASH_SEED 0x5eed1234u	/* any constant but 0 (0: random) */

/* the configurations under test */
enum
{
	CFG_SECRET,					/* x-vapi-secret; also Instantly and Cal.com */
	CFG_BEARER,					/* Authorization: Bearer */
	CFG_BEARER_BARE,			/* X-Vapi-Secret without prefix */
	CFG_HMAC_HEX,				/* sha256, hex, "{timestamp}.{body}" */
	CFG_HMAC_B64,				/* sha512, base64, sha512= prefix, "v0:{timestamp}:{body}" */
	CFG_HMAC_BODY,				/* sha1, hex, "{body}" */
	CFG_NONE,					/* nothing configured */
	NUM_CONFIGS
};

static shim_config configs[NUM_CONFIGS];

/* jansson allocations left before one fails (-1: none fails); see "oom:N" */
static long alloc_countdown = -1;
static int	alloc_failed;

/* jansson's allocator: malloc, except for the one allocation chosen to fail. */
static void *
fuzz_malloc(size_t size)
{
	if (alloc_countdown == 0)
	{
		alloc_countdown = -1;
		alloc_failed = 1;
		return NULL;
	}
	if (alloc_countdown > 0)
		alloc_countdown--;
	return malloc(size);
}

/* Give every configuration its settings, once. */
static void
setup_configs(void)
{
	for (int i = 0; i < NUM_CONFIGS; i++)
	{
		shim_config *c = &configs[i];

		memset(c, 0, sizeof(*c));
		c->vapi_auth = VAPI_AUTH_SECRET;
		c->vapi_secret = SECRET;
		c->vapi_secret_previous = SECRET_PREVIOUS;
		c->vapi_auth_header = "Authorization";
		c->vapi_auth_prefix = "Bearer ";
		c->hmac_signature_header = "x-signature";
		c->hmac_timestamp_header = "x-timestamp";
		c->hmac_algorithm = HMAC_SHA256;
		c->hmac_encoding = HMAC_HEX;
		c->hmac_prefix = "";
		c->hmac_payload_format = "{timestamp}.{body}";
		c->hmac_tolerance_s = 300;
		c->intake_assistant_id = "intake-assistant";
		c->instantly_header = "X-Webhook-Secret";
		c->instantly_secret = SECRET;
		c->instantly_secret_previous = SECRET_PREVIOUS;
		c->cal_webhook_secret = SECRET;
		c->cal_webhook_secret_previous = SECRET_PREVIOUS;
	}
	configs[CFG_BEARER].vapi_auth = VAPI_AUTH_BEARER;
	configs[CFG_BEARER_BARE].vapi_auth = VAPI_AUTH_BEARER;
	configs[CFG_BEARER_BARE].vapi_auth_header = "X-Vapi-Secret";
	configs[CFG_BEARER_BARE].vapi_auth_prefix = "";
	configs[CFG_HMAC_HEX].vapi_auth = VAPI_AUTH_HMAC;
	configs[CFG_HMAC_B64].vapi_auth = VAPI_AUTH_HMAC;
	configs[CFG_HMAC_B64].hmac_algorithm = HMAC_SHA512;
	configs[CFG_HMAC_B64].hmac_encoding = HMAC_BASE64;
	configs[CFG_HMAC_B64].hmac_prefix = "sha512=";
	configs[CFG_HMAC_B64].hmac_payload_format = "v0:{timestamp}:{body}";
	configs[CFG_HMAC_BODY].vapi_auth = VAPI_AUTH_HMAC;
	configs[CFG_HMAC_BODY].hmac_algorithm = HMAC_SHA1;
	configs[CFG_HMAC_BODY].hmac_payload_format = "{body}";
	configs[CFG_NONE].vapi_secret = NULL;
	configs[CFG_NONE].vapi_secret_previous = NULL;
	configs[CFG_NONE].instantly_secret = NULL;
	configs[CFG_NONE].instantly_secret_previous = NULL;
	configs[CFG_NONE].cal_webhook_secret = NULL;
	configs[CFG_NONE].cal_webhook_secret_previous = NULL;
	configs[CFG_NONE].intake_assistant_id = NULL;
}

/* Stop the run: a property does not hold. */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_webhook: property violated: %s\n", what);
	abort();
}

/*
 * The right signature of body for a configuration (HMAC of prefix-less
 * payload), written as that configuration expects it, into out.
 */
static void
right_signature(int which, const char *ts, const uint8_t *body, size_t len, char *out)
{
	const EVP_MD *md = EVP_sha256();
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	unsigned char *payload;
	size_t		payload_len = 0;
	size_t		ts_len = strlen(ts);

	payload = malloc(len + ts_len + 8);
	if (payload == NULL)
		abort();
	if (which == CFG_HMAC_B64)
	{
		md = EVP_sha512();
		memcpy(payload, "v0:", 3);
		memcpy(payload + 3, ts, ts_len);
		payload[3 + ts_len] = ':';
		payload_len = 4 + ts_len;
	}
	else if (which == CFG_HMAC_HEX)
	{
		memcpy(payload, ts, ts_len);
		payload[ts_len] = '.';
		payload_len = ts_len + 1;
	}
	else if (which == CFG_HMAC_BODY)
		md = EVP_sha1();
	if (len > 0)
		memcpy(payload + payload_len, body, len);
	payload_len += len;
	if (HMAC(md, SECRET, (int) strlen(SECRET), payload, payload_len, mac, &mac_len) == NULL)
		abort();
	free(payload);

	if (which == CFG_HMAC_B64)
	{
		memcpy(out, "sha512=", 7);
		EVP_EncodeBlock((unsigned char *) out + 7, mac, (int) mac_len);
	}
	else
	{
		for (unsigned int i = 0; i < mac_len; i++)
			snprintf(out + 2 * i, 3, "%02x", mac[i]);
	}
}

/* Add one header (name, value) to headers. */
static void
add_header(auth_header *headers, size_t *n, const char *name, const char *value, size_t value_len)
{
	headers[*n].name = name;
	headers[*n].name_len = strlen(name);
	headers[*n].value = value;
	headers[*n].value_len = value_len;
	(*n)++;
}

/* Is the value (len bytes, HTTP white space trimmed) exactly text? */
static int
trimmed_equals(const char *value, size_t len, const char *text)
{
	while (len > 0 && (value[0] == ' ' || value[0] == '\t'))
		value++, len--;
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	return len == strlen(text) && memcmp(value, text, len) == 0;
}

/* Authenticate the request against every configuration and source. */
static void
fuzz_auth(const char *fields[4], const size_t field_len[4], const uint8_t *body, size_t body_len)
{
	for (int which = 0; which < NUM_CONFIGS; which++)
	{
		const shim_config *cfg = &configs[which];
		auth_header headers[8];
		size_t		n = 0;
		char		signature[MAX_SIGNATURE];
		char		bearer[64];
		const char *secret = fields[0];
		size_t		secret_len = field_len[0];
		const char *sig = fields[1];
		size_t		sig_len = field_len[1];
		const char *ts = fields[2];
		size_t		ts_len = field_len[2];
		int			all_right = 1;
		const char *colon = memchr(fields[3], ':', field_len[3]);
		char		extra_name[64];

		if (trimmed_equals(secret, secret_len, "@"))
			secret = SECRET, secret_len = strlen(SECRET);
		else
			all_right = 0;
		if (trimmed_equals(ts, ts_len, "@"))
			ts = NOW_S, ts_len = strlen(NOW_S);
		else
			all_right = 0;
		if (trimmed_equals(sig, sig_len, "@"))
		{
			right_signature(which, ts, body, body_len, signature);
			sig = signature;
			sig_len = strlen(signature);
		}
		else
			all_right = 0;
		snprintf(bearer, sizeof(bearer), "Bearer %.*s", (int) (secret_len < 40 ? secret_len : 40), secret);

		add_header(headers, &n, "x-vapi-secret", secret, secret_len);
		add_header(headers, &n, "Authorization", which == CFG_BEARER ? bearer : secret,
				   which == CFG_BEARER ? strlen(bearer) : secret_len);
		add_header(headers, &n, "X-Webhook-Secret", secret, secret_len);
		add_header(headers, &n, "x-signature", sig, sig_len);
		add_header(headers, &n, "X-Cal-Signature-256", sig, sig_len);
		add_header(headers, &n, "x-timestamp", ts, ts_len);
		if (colon != NULL && (size_t) (colon - fields[3]) < sizeof(extra_name))
		{
			size_t		name_len = (size_t) (colon - fields[3]);

			memcpy(extra_name, fields[3], name_len);
			extra_name[name_len] = '\0';
			/* a name with a NUL in it is cut short there: still a name */
			add_header(headers, &n, extra_name, colon + 1, field_len[3] - name_len - 1);
			all_right = 0;
		}

		for (int source = SOURCE_VAPI; source <= SOURCE_CAL; source++)
		{
			auth_result r = webhook_authenticate(cfg, (webhook_source) source, headers, n,
												 (const char *) body, body_len, NOW_MS);

			if (r < AUTH_OK || r > AUTH_NOT_CONFIGURED)
				fail("result out of range");
			if (which == CFG_NONE)
			{
				if (r != AUTH_NOT_CONFIGURED)
					fail("a source without a secret did not answer not_configured");
				continue;
			}

			/*
			 * The right credentials must pass.  For Cal.com, "@" is the
			 * right signature only where the configuration does not sign
			 * Vapi's own way: then it is the HMAC-SHA256 of the body.
			 */
			if (all_right && r != AUTH_OK &&
				!(source == SOURCE_CAL && cfg->vapi_auth == VAPI_AUTH_HMAC))
				fail("the right credentials were refused");

			/* a shared secret passes only if it is one of the two */
			if (r == AUTH_OK && colon == NULL &&
				((source == SOURCE_VAPI && which == CFG_SECRET) ||
				 (source == SOURCE_VAPI && which == CFG_BEARER_BARE) ||
				 source == SOURCE_INSTANTLY) &&
				!trimmed_equals(secret, secret_len, SECRET) &&
				!trimmed_equals(secret, secret_len, SECRET_PREVIOUS))
				fail("a wrong shared secret was accepted");
		}
	}
}

/*
 * Parse the body as each source and build every fallback answer; with
 * fail_at >= 0, the fail_at-th jansson allocation after each parse fails.
 */
static void
fuzz_body(const uint8_t *body, size_t body_len, long fail_at)
{
	for (int source = SOURCE_VAPI; source <= SOURCE_CAL; source++)
	{
		webhook_body b;
		body_result r;

		/* no injected failure inside json_loadb(): see the head of this file */
		alloc_countdown = -1;
		alloc_failed = 0;
		r = webhook_body_parse(&b, (webhook_source) source, (const char *) body, body_len);
		alloc_countdown = fail_at;

		if (r == BODY_OK)
		{
			if (b.root == NULL || !json_is_object(b.root))
				fail("BODY_OK without an object");
			if (memchr(body, '\0', body_len) != NULL)
				fail("a body with a NUL byte was accepted");
			if (source != SOURCE_VAPI && b.vapi_type != NULL)
				fail("vapi_type set for another source");
		}
		else if (b.root != NULL || b.error[0] == '\0' || memchr(b.error, '\0', sizeof(b.error)) == NULL)
			fail("a refused body kept its root or has no error message");

		/* with and without an intake assistant */
		for (int k = 0; k < 2; k++)
		{
			int			which = k == 0 ? CFG_SECRET : CFG_NONE;
			json_t	   *answer = webhook_fallback_answer(&b, &configs[which]);

			if (answer != NULL)
			{
				char	   *text = json_dumps(answer, JSON_COMPACT);

				if (text == NULL && !alloc_failed)
					fail("a fallback answer does not serialise");
				free(text);
				json_decref(answer);
			}
			else if (!alloc_failed && b.vapi_type != NULL && configs[which].intake_assistant_id != NULL &&
					 (strcmp(b.vapi_type, "tool-calls") == 0 ||
					  strcmp(b.vapi_type, "transfer-destination-request") == 0 ||
					  strcmp(b.vapi_type, "assistant-request") == 0))
				fail("no fallback answer for a type that needs one");
		}
		webhook_body_free(&b);
	}
	alloc_countdown = -1;
}

/* The N of an extra field "oom:N" (N up to 9999), or -1. */
static long
oom_request(const char *extra, size_t len)
{
	long		n = 0;

	if (len < 5 || len > 8 || memcmp(extra, "oom:", 4) != 0)
		return -1;
	for (size_t i = 4; i < len; i++)
	{
		if (extra[i] < '0' || extra[i] > '9')
			return -1;
		n = n * 10 + (extra[i] - '0');
	}
	return n;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: split it, authenticate it every way, parse it every way. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	ready;
	const char *fields[4] = {"@", "@", "@", ""};
	size_t		field_len[4] = {1, 1, 1, 0};
	const uint8_t *body = data;
	size_t		body_len = size;
	const uint8_t *p = data;
	size_t		left = size;
	int			nuls = 0;

	if (!ready)
	{
		setup_configs();
		json_set_alloc_funcs(fuzz_malloc, free);
		json_object_seed(JANSSON_HASH_SEED);
		ready = 1;
	}

	for (size_t i = 0; i < size && nuls < 4; i++)
		nuls += data[i] == '\0';
	if (nuls == 4)
	{
		for (int f = 0; f < 4; f++)
		{
			const uint8_t *end = memchr(p, '\0', left);

			fields[f] = (const char *) p;
			field_len[f] = (size_t) (end - p);
			left -= field_len[f] + 1;
			p = end + 1;
		}
		body = p;
		body_len = left;
	}

	fuzz_auth(fields, field_len, body, body_len);
	fuzz_body(body, body_len, oom_request(fields[3], field_len[3]));
	return 0;
}
