/*
 * webhook_auth.c
 *	  Is a webhook really from Vapi, Instantly or Cal.com?
 *
 * Vapi authenticates in one of three ways (--vapi-auth): a shared secret in
 * x-vapi-secret, a token in a configurable header after a configurable
 * prefix ("Authorization: Bearer <token>"), or an HMAC of a configurable
 * payload ("{timestamp}.{body}") in a signature header, with the signing time
 * in a timestamp header.  Instantly sends a shared secret in a header of the
 * customer's choosing; Cal.com signs the raw body with HMAC-SHA256 in
 * X-Cal-Signature-256.  Every source accepts its current and its previous
 * secret, so that secrets can be rotated without refusing anything.
 *
 * Comparisons never depend on the secret's bytes or length: shared secrets
 * are compared as SHA-256 digests of both sides, signatures as digests of
 * the digest's length, both with CRYPTO_memcmp, and both secrets are always
 * tried.  A header that appears more than once is refused (AUTH_INVALID):
 * two credentials for one request are either a broken proxy or an attempt
 * to have two checks read different copies.  A header whose value is empty
 * counts as absent.  Should OpenSSL itself fail (out of memory), the request
 * is refused as AUTH_INVALID: never accepted.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "webhook_auth.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "vapi-shim needs OpenSSL 3 (EVP_MAC)"
#endif

#define VAPI_SECRET_HEADER "x-vapi-secret"
#define CAL_SIGNATURE_HEADER "X-Cal-Signature-256"
#define CAL_SIGNATURE_PREFIX "sha256="

/* defaults for a configuration built by hand, with fields left NULL */
#define DEFAULT_AUTH_HEADER "Authorization"
#define DEFAULT_SIGNATURE_HEADER "x-signature"
#define DEFAULT_TIMESTAMP_HEADER "x-timestamp"
#define DEFAULT_PAYLOAD_FORMAT "{timestamp}.{body}"

/* a timestamp this large or larger is in milliseconds (1e11 s is year 5138) */
#define TIMESTAMP_MS_THRESHOLD INT64_C(100000000000)
/* longest timestamp we parse: 18 digits cannot overflow int64 */
#define TIMESTAMP_MAX_DIGITS 18

/* how one HMAC credential is checked */
typedef struct hmac_check
{
	hmac_algorithm algorithm;
	hmac_encoding encoding;
	const char *signature_header;
	const char *prefix;			/* stripped from the signature when present */
	const char *timestamp_header;	/* used only if format has {timestamp} */
	const char *format;			/* what is signed */
	int			tolerance_s;
	const char *secret;
	const char *secret_previous;
} hmac_check;

/* ASCII lower case, independent of the locale. */
static unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char) (c + ('a' - 'A')) : c;
}

/* Do the len bytes at a equal the NUL-terminated b, ignoring ASCII case? */
static int
equal_ignore_case(const char *a, size_t len, const char *b)
{
	if (strlen(b) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (ascii_lower((unsigned char) a[i]) != ascii_lower((unsigned char) b[i]))
			return 0;
	return 1;
}

/* Is HTTP optional white space? */
static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Find the header called name (any case): AUTH_OK with *value and *len its
 * value without surrounding white space (never empty), AUTH_MISSING when it
 * is absent or empty, AUTH_INVALID when it is there more than once.
 */
static auth_result
find_header(const auth_header *headers, size_t nheaders, const char *name,
			const char **value, size_t *len)
{
	size_t		count = 0;

	for (size_t i = 0; i < nheaders; i++)
	{
		const char *v = headers[i].value;
		size_t		n = headers[i].value_len;

		if (headers[i].name == NULL || !equal_ignore_case(headers[i].name, headers[i].name_len, name))
			continue;
		if (++count > 1)
			return AUTH_INVALID;
		if (v == NULL)
			n = 0;
		while (n > 0 && is_ows(v[0]))
			v++, n--;
		while (n > 0 && is_ows(v[n - 1]))
			n--;
		*value = v;
		*len = n;
	}
	return (count == 1 && *len > 0) ? AUTH_OK : AUTH_MISSING;
}

/* Is a secret configured (set and not empty)? */
static int
secret_set(const char *secret)
{
	return secret != NULL && secret[0] != '\0';
}

/* SHA-256 of data into out; 0 on success. */
static int
sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int out_len = 0;

	if (EVP_Digest(len > 0 ? data : "", len, out, &out_len, EVP_sha256(), NULL) != 1 || out_len != 32)
		return -1;
	return 0;
}

/*
 * Does the presented value equal the current or the previous secret?  Both
 * sides are hashed first, so neither their bytes nor their lengths decide
 * when a comparison stops; both secrets are always tried.
 */
static int
secret_matches(const char *presented, size_t len, const char *secret, const char *secret_previous)
{
	unsigned char presented_digest[32];
	unsigned char secret_digest[32];
	int			match = 0;
	int			failed = 0;

	failed |= sha256(presented, len, presented_digest);
	failed |= sha256(secret, strlen(secret), secret_digest);
	match |= CRYPTO_memcmp(presented_digest, secret_digest, 32) == 0;
	if (secret_set(secret_previous))
	{
		failed |= sha256(secret_previous, strlen(secret_previous), secret_digest);
		match |= CRYPTO_memcmp(presented_digest, secret_digest, 32) == 0;
	}
	OPENSSL_cleanse(secret_digest, sizeof(secret_digest));
	return match && !failed;
}

/* Check a header that must carry one of the secrets verbatim. */
static auth_result
check_secret_header(const auth_header *headers, size_t nheaders, const char *name,
					const char *secret, const char *secret_previous)
{
	auth_result found;
	const char *value = NULL;
	size_t		len = 0;

	if (!secret_set(secret))
		return AUTH_NOT_CONFIGURED;
	if ((found = find_header(headers, nheaders, name, &value, &len)) != AUTH_OK)
		return found;
	return secret_matches(value, len, secret, secret_previous) ? AUTH_OK : AUTH_INVALID;
}

/*
 * Vapi bearer mode: the configured header holds the configured prefix (any
 * case: "Bearer " or "bearer "), then the token.  When the prefix ends in a
 * space, further spaces before the token are allowed.
 */
static auth_result
check_bearer(const shim_config *cfg, const auth_header *headers, size_t nheaders)
{
	auth_result found;
	const char *name = cfg->vapi_auth_header ? cfg->vapi_auth_header : DEFAULT_AUTH_HEADER;
	const char *prefix = cfg->vapi_auth_prefix ? cfg->vapi_auth_prefix : "";
	size_t		prefix_len = strlen(prefix);
	const char *value = NULL;
	size_t		len = 0;

	if (!secret_set(cfg->vapi_secret))
		return AUTH_NOT_CONFIGURED;
	if ((found = find_header(headers, nheaders, name, &value, &len)) != AUTH_OK)
		return found;
	if (len < prefix_len || !equal_ignore_case(value, prefix_len, prefix))
		return AUTH_INVALID;
	value += prefix_len;
	len -= prefix_len;
	if (prefix_len > 0 && is_ows(prefix[prefix_len - 1]))
		while (len > 0 && is_ows(value[0]))
			value++, len--;
	if (len == 0)
		return AUTH_INVALID;
	return secret_matches(value, len, cfg->vapi_secret, cfg->vapi_secret_previous) ? AUTH_OK : AUTH_INVALID;
}

/* Value of one hex digit (either case), or -1. */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode exactly want bytes of hex (either case); 0 on success. */
static int
decode_hex(const char *s, size_t len, unsigned char *out, size_t want)
{
	if (len != 2 * want)
		return -1;
	for (size_t i = 0; i < want; i++)
	{
		int			hi = hex_value((unsigned char) s[2 * i]);
		int			lo = hex_value((unsigned char) s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char) (hi << 4 | lo);
	}
	return 0;
}

/* Value of one base64 digit, standard or URL-safe alphabet, or -1. */
static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/*
 * Decode exactly want bytes of base64 (standard or URL-safe alphabet, "="
 * padding optional but correct when present); 0 on success.
 */
static int
decode_base64(const char *s, size_t len, unsigned char *out, size_t want)
{
	size_t		digits = len;
	size_t		produced = 0;
	uint32_t	acc = 0;
	int			bits = 0;

	while (digits > 0 && s[digits - 1] == '=')
		digits--;
	/* want bytes take exactly ceil(8 * want / 6) digits */
	if (digits != (8 * want + 5) / 6)
		return -1;
	if (digits != len && len != (want + 2) / 3 * 4)
		return -1;				/* padding present but wrong */
	for (size_t i = 0; i < digits; i++)
	{
		int			v = base64_value((unsigned char) s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[produced++] = (unsigned char) (acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* the leftover bits of the last digit must be zero (canonical form) */
	return (produced == want && acc == 0) ? 0 : -1;
}

/* OpenSSL's name and the size of an HMAC digest. */
static const char *
digest_name(hmac_algorithm alg, size_t *size)
{
	switch (alg)
	{
		case HMAC_SHA256:
			*size = 32;
			return "SHA256";
		case HMAC_SHA512:
			*size = 64;
			return "SHA512";
		case HMAC_SHA1:
			*size = 20;
			return "SHA1";
	}
	*size = 0;
	return NULL;
}

/*
 * HMAC of the payload that format describes, fed piece by piece: literal
 * text, the timestamp header's value for {timestamp} and the raw body for
 * {body}.  0 on success, with size bytes in out.
 */
static int
compute_hmac(EVP_MAC *mac, const char *digest, size_t size, const char *key,
			 const char *format, const char *ts, size_t ts_len,
			 const char *body, size_t body_len, unsigned char *out)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM	params[2];
	size_t		out_len = 0;
	int			ok;

	if (ctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(ctx, (const unsigned char *) key, strlen(key), params) == 1;

	for (const char *p = format; ok && *p;)
	{
		const char *piece = p;
		size_t		piece_len;

		if (strncmp(p, "{body}", 6) == 0)
		{
			piece = body;
			piece_len = body_len;
			p += 6;
		}
		else if (strncmp(p, "{timestamp}", 11) == 0)
		{
			piece = ts;
			piece_len = ts_len;
			p += 11;
		}
		else
		{
			/* literal text up to the next placeholder */
			const char *next = strchr(p + 1, '{');

			piece_len = next ? (size_t) (next - p) : strlen(p);
			p += piece_len;
		}
		if (piece_len > 0)
			ok = EVP_MAC_update(ctx, (const unsigned char *) piece, piece_len) == 1;
	}

	ok = ok && EVP_MAC_final(ctx, out, &out_len, size) == 1 && out_len == size;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * Parse a timestamp header: decimal epoch seconds or milliseconds, told
 * apart by magnitude.  0 on success with *ms set.
 */
static int
parse_timestamp(const char *s, size_t len, int64_t *ms)
{
	int64_t		v = 0;

	if (len == 0 || len > TIMESTAMP_MAX_DIGITS)
		return -1;
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*ms = v < TIMESTAMP_MS_THRESHOLD ? v * 1000 : v;
	return 0;
}

/* Is the signing time within tolerance_s of now, in either direction? */
static int
timestamp_fresh(int64_t ts_ms, int64_t now_ms, int tolerance_s)
{
	/* unsigned difference: exact for any two int64 values */
	uint64_t	diff = now_ms >= ts_ms ? (uint64_t) now_ms - (uint64_t) ts_ms
		: (uint64_t) ts_ms - (uint64_t) now_ms;

	return diff <= (uint64_t) (tolerance_s < 0 ? 0 : tolerance_s) * 1000;
}

/*
 * Check an HMAC credential.  A bad signature is AUTH_INVALID; a good
 * signature whose timestamp is outside the window is AUTH_STALE.
 */
static auth_result
check_hmac(const hmac_check *c, const auth_header *headers, size_t nheaders,
		   const char *body, size_t body_len, int64_t now_ms)
{
	auth_result found;
	unsigned char presented[EVP_MAX_MD_SIZE];
	unsigned char expected[EVP_MAX_MD_SIZE];
	const char *sig = NULL;
	size_t		sig_len = 0;
	const char *ts = NULL;
	size_t		ts_len = 0;
	int64_t		ts_ms = 0;
	int			signed_time = strstr(c->format, "{timestamp}") != NULL;
	size_t		prefix_len = strlen(c->prefix);
	size_t		size;
	const char *digest = digest_name(c->algorithm, &size);
	EVP_MAC    *mac;
	int			match = 0;
	int			failed = 0;

	if (!secret_set(c->secret))
		return AUTH_NOT_CONFIGURED;
	if (digest == NULL)
		return AUTH_INVALID;

	if ((found = find_header(headers, nheaders, c->signature_header, &sig, &sig_len)) != AUTH_OK)
		return found;
	if (signed_time)
	{
		if ((found = find_header(headers, nheaders, c->timestamp_header, &ts, &ts_len)) != AUTH_OK)
			return found;
		if (parse_timestamp(ts, ts_len, &ts_ms) != 0)
			return AUTH_INVALID;
	}

	/* the prefix is optional: strip it when it is there */
	if (prefix_len > 0 && sig_len >= prefix_len && equal_ignore_case(sig, prefix_len, c->prefix))
	{
		sig += prefix_len;
		sig_len -= prefix_len;
	}
	if ((c->encoding == HMAC_HEX ? decode_hex(sig, sig_len, presented, size)
		 : decode_base64(sig, sig_len, presented, size)) != 0)
		return AUTH_INVALID;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return AUTH_INVALID;
	failed |= compute_hmac(mac, digest, size, c->secret, c->format, ts, ts_len,
						   body, body_len, expected);
	match |= !failed && CRYPTO_memcmp(presented, expected, size) == 0;
	if (secret_set(c->secret_previous))
	{
		failed |= compute_hmac(mac, digest, size, c->secret_previous, c->format, ts, ts_len,
							   body, body_len, expected);
		match |= !failed && CRYPTO_memcmp(presented, expected, size) == 0;
	}
	EVP_MAC_free(mac);
	OPENSSL_cleanse(expected, sizeof(expected));

	if (!match || failed)
		return AUTH_INVALID;
	if (signed_time && !timestamp_fresh(ts_ms, now_ms, c->tolerance_s))
		return AUTH_STALE;
	return AUTH_OK;
}

/* Authenticate one request: see webhook_auth.h. */
auth_result
webhook_authenticate(const shim_config *cfg, webhook_source source,
					 const auth_header *headers, size_t nheaders,
					 const char *body, size_t body_len, int64_t now_ms)
{
	hmac_check	c;

	switch (source)
	{
		case SOURCE_VAPI:
			switch (cfg->vapi_auth)
			{
				case VAPI_AUTH_SECRET:
					return check_secret_header(headers, nheaders, VAPI_SECRET_HEADER,
											   cfg->vapi_secret, cfg->vapi_secret_previous);
				case VAPI_AUTH_BEARER:
					return check_bearer(cfg, headers, nheaders);
				case VAPI_AUTH_HMAC:
					c.algorithm = cfg->hmac_algorithm;
					c.encoding = cfg->hmac_encoding;
					c.signature_header = cfg->hmac_signature_header ? cfg->hmac_signature_header
						: DEFAULT_SIGNATURE_HEADER;
					c.prefix = cfg->hmac_prefix ? cfg->hmac_prefix : "";
					c.timestamp_header = cfg->hmac_timestamp_header ? cfg->hmac_timestamp_header
						: DEFAULT_TIMESTAMP_HEADER;
					c.format = cfg->hmac_payload_format ? cfg->hmac_payload_format
						: DEFAULT_PAYLOAD_FORMAT;
					c.tolerance_s = cfg->hmac_tolerance_s;
					c.secret = cfg->vapi_secret;
					c.secret_previous = cfg->vapi_secret_previous;
					return check_hmac(&c, headers, nheaders, body, body_len, now_ms);
			}
			return AUTH_INVALID;

		case SOURCE_INSTANTLY:
			if (cfg->instantly_header == NULL)
				return AUTH_NOT_CONFIGURED;
			return check_secret_header(headers, nheaders, cfg->instantly_header,
									   cfg->instantly_secret, cfg->instantly_secret_previous);

		case SOURCE_CAL:
			c.algorithm = HMAC_SHA256;
			c.encoding = HMAC_HEX;
			c.signature_header = CAL_SIGNATURE_HEADER;
			c.prefix = CAL_SIGNATURE_PREFIX;
			c.timestamp_header = NULL;
			c.format = "{body}";
			c.tolerance_s = 0;
			c.secret = cfg->cal_webhook_secret;
			c.secret_previous = cfg->cal_webhook_secret_previous;
			return check_hmac(&c, headers, nheaders, body, body_len, now_ms);
	}
	return AUTH_INVALID;
}

/* Metric label of an authentication result. */
const char *
auth_result_name(auth_result r)
{
	switch (r)
	{
		case AUTH_OK:
			return "ok";
		case AUTH_MISSING:
			return "missing";
		case AUTH_INVALID:
			return "invalid";
		case AUTH_STALE:
			return "stale";
		case AUTH_NOT_CONFIGURED:
			return "not_configured";
	}
	return "?";
}

/* Metric label (and receive_webhook's source) of a webhook source. */
const char *
webhook_source_name(webhook_source s)
{
	switch (s)
	{
		case SOURCE_VAPI:
			return "vapi";
		case SOURCE_INSTANTLY:
			return "instantly";
		case SOURCE_CAL:
			return "cal";
	}
	return "?";
}
