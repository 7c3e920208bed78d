/*
 * test_webhook_auth.c
 *	  Unit tests of webhook_authenticate(): every Vapi mode, Instantly and
 *	  Cal.com, good, bad, missing, stale and rotated credentials.
 *
 * The expected signatures were computed outside this code, with the OpenSSL
 * command line, e.g.
 *   printf '%s' "1763740860.$BODY" | openssl dgst -sha256 -hmac vapi-hmac-key-1
 *   printf '%s' "1763740860.$BODY" | openssl dgst -sha512 -hmac vapi-hmac-key-1 -binary | base64
 * so that a mistake in the code under test cannot hide in its own vectors.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "webhook_auth.h"

#define MAX_HEADERS 8

/* the signed Vapi body and the clock of the tests: 10 s after signing */
#define VAPI_BODY "{\"message\":{\"type\":\"status-update\",\"status\":\"ringing\"}}"
#define SIGNED_AT_S "1763740860"
#define SIGNED_AT_MS "1763740860123"
#define NOW_MS INT64_C(1763740870000)

/* HMAC-SHA256, key vapi-hmac-key-1, of SIGNED_AT_S "." VAPI_BODY */
#define SIG_SHA256 "e3d07ac389ed866cc7216b4236df1c70b65ac71a2c05170d51336414d548ec2f"
/* the same with the previous key, vapi-hmac-key-0 */
#define SIG_SHA256_PREVIOUS "ee5dd34a1667409b9f6d1ad2c8fa66d4b5180cbf50fefd8448ad4678e61786ef"
/* key vapi-hmac-key-1, of SIGNED_AT_MS "." VAPI_BODY */
#define SIG_SHA256_MS "b5d26b18102ea2dcefe3a3574fc43bd54be3dc6f2700b7c85a63b87f8cad53ba"
/* key vapi-hmac-key-1, base64 of SIGNED_AT_S "." VAPI_BODY */
#define SIG_SHA256_B64 "49B6w4nthmzHIWtCNt8ccLZaxxosBRcNUTNkFNVI7C8="
#define SIG_SHA512_B64 "MGnxKMG+9MhvcPqw5zcwaJRAIrNoI960QfVXZ17iUktfNeqK3aJMl4sMqnpDbkiyoT13PCvEP+tjv+jAQk+PLw=="
/* the same, URL-safe alphabet and no padding */
#define SIG_SHA512_B64URL "MGnxKMG-9MhvcPqw5zcwaJRAIrNoI960QfVXZ17iUktfNeqK3aJMl4sMqnpDbkiyoT13PCvEP-tjv-jAQk-PLw"
/* HMAC-SHA1 of VAPI_BODY alone */
#define SIG_SHA1_BODY "6623d094eecafadf91a3a3f52a1ed50a1897c892"
/* HMAC-SHA256 of "v0:" SIGNED_AT_S ":" VAPI_BODY */
#define SIG_SHA256_CUSTOM "3ed12ec0aef7cf506b56b4790cbed51ddf3d22c2a46c79eabda6e1534bd08cba"
/* signed 590 s in the future (1763741460), 610 s ago (1763740260), 300 s ago (1763740570) */
#define SIG_FUTURE "ce1c8cfe7457d23da0cf3f5be0bc2a742aadcd22dceabd1d81e838111eb784a2"
#define SIG_PAST "8c483811f0780a3fd7c48b8d9b2c4744ecc827930ad919b1f48dd5f4a56427b0"
#define SIG_EDGE "76ccafe7a3a2050d3ddd6785e10b2e47e91e62c3e915de6776203bfa636e3997"

/* Cal.com: HMAC-SHA256 of CAL_BODY with cal-secret-1 and cal-secret-0 */
#define CAL_BODY "{\"triggerEvent\":\"BOOKING_CREATED\",\"payload\":{\"uid\":\"bk_1\"}}"
#define CAL_SIG "677a46e06420401878f3a5942990001a87bfa44172a86b6f27d40325e7f874b4"
#define CAL_SIG_PREVIOUS "92dc0dc6e7c7349b4eac3767ba600bdcbe75ef14a735e766b4e353a33941c0d4"
/* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?" */
#define RFC4231_SIG "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

/* A configuration as config_load() fills it with its defaults. */
static shim_config
base_config(void)
{
	shim_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.vapi_auth = VAPI_AUTH_SECRET;
	cfg.vapi_secret = "vapi-secret-1";
	cfg.vapi_secret_previous = "vapi-secret-0";
	cfg.vapi_auth_header = "Authorization";
	cfg.vapi_auth_prefix = "Bearer ";
	cfg.hmac_signature_header = "x-signature";
	cfg.hmac_timestamp_header = "x-timestamp";
	cfg.hmac_algorithm = HMAC_SHA256;
	cfg.hmac_encoding = HMAC_HEX;
	cfg.hmac_prefix = "";
	cfg.hmac_payload_format = "{timestamp}.{body}";
	cfg.hmac_tolerance_s = 300;
	cfg.instantly_header = "X-Webhook-Secret";
	cfg.instantly_secret = "inst-secret-1";
	cfg.instantly_secret_previous = "inst-secret-0";
	cfg.cal_webhook_secret = "cal-secret-1";
	cfg.cal_webhook_secret_previous = "cal-secret-0";
	return cfg;
}

/* The default configuration switched to HMAC with the test keys. */
static shim_config
hmac_config(void)
{
	shim_config cfg = base_config();

	cfg.vapi_auth = VAPI_AUTH_HMAC;
	cfg.vapi_secret = "vapi-hmac-key-1";
	cfg.vapi_secret_previous = "vapi-hmac-key-0";
	return cfg;
}

/*
 * Authenticate body from source with the headers given as name, value
 * pairs ending in NULL, at NOW_MS.
 */
static auth_result
auth(const shim_config *cfg, webhook_source source, const char *body,...)
{
	auth_header headers[MAX_HEADERS];
	size_t		n = 0;
	const char *name;
	va_list		ap;

	va_start(ap, body);
	while ((name = va_arg(ap, const char *)) != NULL)
	{
		const char *value = va_arg(ap, const char *);

		if (n == MAX_HEADERS)
			abort();
		headers[n].name = name;
		headers[n].name_len = strlen(name);
		headers[n].value = value;
		headers[n].value_len = strlen(value);
		n++;
	}
	va_end(ap);
	return webhook_authenticate(cfg, source, headers, n, body, strlen(body), NOW_MS);
}

#define is_auth(got, want, ...) \
	do { \
		auth_result got_ = (got); \
		auth_result want_ = (want); \
		if (!ok(got_ == want_, __VA_ARGS__)) \
			printf("#   got %s, want %s\n", auth_result_name(got_), auth_result_name(want_)); \
	} while (0)

/* Vapi's legacy shared secret in x-vapi-secret. */
static void
test_vapi_secret(void)
{
	shim_config cfg = base_config();

	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-1", NULL), AUTH_OK,
			"secret: the current secret is accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "X-Vapi-Secret", "vapi-secret-1", NULL), AUTH_OK,
			"secret: the header name is case-insensitive");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "  vapi-secret-1\t", NULL), AUTH_OK,
			"secret: white space around the value is not part of it");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-0", NULL), AUTH_OK,
			"secret: the previous secret is accepted (rotation)");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-2", NULL), AUTH_INVALID,
			"secret: a wrong secret is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-", NULL), AUTH_INVALID,
			"secret: a prefix of the secret is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-1x", NULL), AUTH_INVALID,
			"secret: the secret plus more is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "VAPI-SECRET-1", NULL), AUTH_INVALID,
			"secret: the secret is case-sensitive");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "content-type", "application/json", NULL), AUTH_MISSING,
			"secret: no x-vapi-secret header is missing");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "  ", NULL), AUTH_MISSING,
			"secret: an empty x-vapi-secret counts as missing");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer vapi-secret-1", NULL), AUTH_MISSING,
			"secret: a bearer token does not count in secret mode");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-1",
				 "x-vapi-secret", "vapi-secret-1", NULL), AUTH_INVALID,
			"secret: a header given twice is invalid, even with good values");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "wrong",
				 "X-VAPI-SECRET", "vapi-secret-1", NULL), AUTH_INVALID,
			"secret: a header given twice in two cases is invalid");

	cfg.vapi_secret_previous = NULL;
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-0", NULL), AUTH_INVALID,
			"secret: an old secret is invalid once no previous secret is configured");
	cfg.vapi_secret = NULL;
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-1", NULL), AUTH_NOT_CONFIGURED,
			"secret: no Vapi secret configured");
	cfg.vapi_secret = "";
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "", NULL), AUTH_NOT_CONFIGURED,
			"secret: an empty configured secret counts as not configured");
}

/* Vapi bearer credential: configurable header and prefix. */
static void
test_vapi_bearer(void)
{
	shim_config cfg = base_config();

	cfg.vapi_auth = VAPI_AUTH_BEARER;
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer vapi-secret-1", NULL), AUTH_OK,
			"bearer: the current token is accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "authorization", "bearer vapi-secret-1", NULL), AUTH_OK,
			"bearer: header name and prefix are case-insensitive");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer   vapi-secret-1", NULL), AUTH_OK,
			"bearer: extra spaces after the scheme are allowed");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer vapi-secret-0", NULL), AUTH_OK,
			"bearer: the previous token is accepted (rotation)");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer vapi-secret-9", NULL), AUTH_INVALID,
			"bearer: a wrong token is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "vapi-secret-1", NULL), AUTH_INVALID,
			"bearer: the token without the prefix is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Basic vapi-secret-1", NULL), AUTH_INVALID,
			"bearer: another scheme is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer ", NULL), AUTH_INVALID,
			"bearer: the prefix alone is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-1", NULL), AUTH_MISSING,
			"bearer: x-vapi-secret does not count in bearer mode");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer vapi-secret-1",
				 "Authorization", "Bearer other", NULL), AUTH_INVALID,
			"bearer: two Authorization headers are invalid");

	/* Vapi can send the token bare in a header of the operator's choosing */
	cfg.vapi_auth_header = "X-Vapi-Secret";
	cfg.vapi_auth_prefix = "";
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "vapi-secret-1", NULL), AUTH_OK,
			"bearer: custom header without prefix accepts the bare token");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "x-vapi-secret", "Bearer vapi-secret-1", NULL), AUTH_INVALID,
			"bearer: custom header without prefix refuses a prefixed token");
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "Authorization", "Bearer vapi-secret-1", NULL), AUTH_MISSING,
			"bearer: custom header: Authorization does not count");

	cfg.vapi_auth_prefix = "Token ";
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "X-Vapi-Secret", "Token vapi-secret-1", NULL), AUTH_OK,
			"bearer: a custom prefix is accepted");
	cfg.vapi_secret = NULL;
	is_auth(auth(&cfg, SOURCE_VAPI, "{}", "X-Vapi-Secret", "Token vapi-secret-1", NULL), AUTH_NOT_CONFIGURED,
			"bearer: no Vapi secret configured");
}

/* Vapi HMAC credential, the default shape: hex HMAC-SHA256 of "{timestamp}.{body}". */
static void
test_vapi_hmac(void)
{
	shim_config cfg = hmac_config();

	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: a good signature (seconds) is accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "X-Signature", "E3D07AC389ED866CC7216B4236DF1C70B65AC71A2C05170D51336414D548EC2F",
				 "X-TIMESTAMP", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: upper-case hex and header names are accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256_PREVIOUS, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: a signature with the previous key is accepted (rotation)");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256_MS, "x-timestamp", SIGNED_AT_MS, NULL),
			AUTH_OK, "hmac: a millisecond timestamp is accepted and signed as sent");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_MS, NULL),
			AUTH_INVALID, "hmac: the timestamp is part of what is signed");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY "\n", "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: one more byte of body is invalid (raw bytes are signed)");
	is_auth(auth(&cfg, SOURCE_VAPI, "{\"message\": {\"type\":\"status-update\",\"status\":\"ringing\"}}",
				 "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: the same JSON spelled differently is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature",
				 "e3d07ac389ed866cc7216b4236df1c70b65ac71a2c05170d51336414d548ec2e", "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: a signature one bit off is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "e3d07ac389ed866cc7216b4236df1c70", "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: a truncated signature is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256 "00", "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: a signature too long is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature",
				 "g3d07ac389ed866cc7216b4236df1c70b65ac71a2c05170d51336414d548ec2f", "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: a signature that is not hex is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256_B64, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: base64 is refused when hex is configured");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_MISSING, "hmac: no signature header is missing");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, NULL),
			AUTH_MISSING, "hmac: no timestamp header is missing");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-vapi-secret", "vapi-hmac-key-1", NULL),
			AUTH_MISSING, "hmac: x-vapi-secret does not count in hmac mode");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", "1763740860.5", NULL),
			AUTH_INVALID, "hmac: a timestamp that is not an integer is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", "-1763740860", NULL),
			AUTH_INVALID, "hmac: a negative timestamp is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", "9999999999999999999999", NULL),
			AUTH_INVALID, "hmac: a timestamp too long is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-signature", SIG_SHA256,
				 "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: two signature headers are invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S,
				 "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: two timestamp headers are invalid");

	/* the tolerance window, both ways, and its edge */
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_PAST, "x-timestamp", "1763740260", NULL),
			AUTH_STALE, "hmac: a good signature 610 s old is stale");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_FUTURE, "x-timestamp", "1763741460", NULL),
			AUTH_STALE, "hmac: a good signature 590 s in the future is stale");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_EDGE, "x-timestamp", "1763740570", NULL),
			AUTH_OK, "hmac: a signature exactly 300 s old is still accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", "1763740260", NULL),
			AUTH_INVALID, "hmac: a bad signature with an old timestamp is invalid, not stale");
	cfg.hmac_tolerance_s = 700;
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_PAST, "x-timestamp", "1763740260", NULL),
			AUTH_OK, "hmac: a wider tolerance accepts the 610 s old signature");
	cfg.hmac_tolerance_s = 300;

	/* the optional prefix */
	cfg.hmac_prefix = "sha256=";
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "sha256=" SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: a signature with the configured prefix is accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "SHA256=" SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: the prefix is case-insensitive");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: the prefix is optional");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "sha512=" SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: another prefix is invalid");
	cfg.hmac_prefix = "";
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "sha256=" SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: a prefix that is not configured is invalid");

	/* header names are configurable */
	cfg.hmac_signature_header = "X-Vapi-Signature";
	cfg.hmac_timestamp_header = "X-Vapi-Timestamp";
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-vapi-signature", SIG_SHA256, "x-vapi-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: configured header names are used");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_MISSING, "hmac: the default names do not count once others are configured");

	cfg = hmac_config();
	cfg.vapi_secret_previous = NULL;
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256_PREVIOUS, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: the old key is invalid once no previous secret is configured");
	cfg.vapi_secret = NULL;
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_NOT_CONFIGURED, "hmac: no Vapi secret configured");
}

/* Vapi HMAC credential: other digests, base64, other payload formats. */
static void
test_vapi_hmac_variants(void)
{
	shim_config cfg = hmac_config();

	cfg.hmac_encoding = HMAC_BASE64;
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256_B64, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac base64: sha256 is accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac base64: hex is refused");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "49B6w4nthmzHIWtCNt8ccLZaxxosBRcNUTNkFNVI7C8",
				 "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac base64: padding is optional");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "49B6w4nthmzHIWtCNt8ccLZaxxosBRcNUTNkFNVI7C8==",
				 "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac base64: wrong padding is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", "49B6w4nthmzHIWtCNt8ccLZaxxosBRcNUTNkFNVI7C9=",
				 "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac base64: non-zero trailing bits are invalid");

	cfg.hmac_algorithm = HMAC_SHA512;
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA512_B64, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac sha512 base64: a good signature is accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA512_B64URL, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac sha512 base64: the URL-safe alphabet without padding is accepted");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256_B64, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac sha512: a sha256 signature is invalid");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY "x", "x-signature", SIG_SHA512_B64, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac sha512: another body is invalid");

	cfg = hmac_config();
	cfg.hmac_algorithm = HMAC_SHA1;
	cfg.hmac_payload_format = "{body}";
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA1_BODY, NULL),
			AUTH_OK, "hmac sha1 of {body}: accepted without a timestamp header");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA1_BODY, "x-timestamp", "1", NULL),
			AUTH_OK, "hmac of {body}: a timestamp that is not signed is not checked");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, NULL),
			AUTH_INVALID, "hmac sha1: a sha256 signature is invalid");

	cfg = hmac_config();
	cfg.hmac_payload_format = "v0:{timestamp}:{body}";
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256_CUSTOM, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_OK, "hmac: a custom payload format is signed as configured");
	is_auth(auth(&cfg, SOURCE_VAPI, VAPI_BODY, "x-signature", SIG_SHA256, "x-timestamp", SIGNED_AT_S, NULL),
			AUTH_INVALID, "hmac: the default format's signature is invalid under a custom format");
}

/* Instantly: a shared secret in a configurable header. */
static void
test_instantly(void)
{
	shim_config cfg = base_config();
	const char *body = "{\"event_type\":\"reply_received\"}";

	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "X-Webhook-Secret", "inst-secret-1", NULL), AUTH_OK,
			"instantly: the current secret is accepted");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "x-webhook-secret", "inst-secret-1", NULL), AUTH_OK,
			"instantly: the header name is case-insensitive");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "X-Webhook-Secret", "inst-secret-0", NULL), AUTH_OK,
			"instantly: the previous secret is accepted (rotation)");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "X-Webhook-Secret", "inst-secret-2", NULL), AUTH_INVALID,
			"instantly: a wrong secret is invalid");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "X-Webhook-Secret", "inst-secret-11", NULL), AUTH_INVALID,
			"instantly: a longer value is invalid");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "x-vapi-secret", "inst-secret-1", NULL), AUTH_MISSING,
			"instantly: the secret in another header is missing");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "X-Webhook-Secret", "inst-secret-1",
				 "X-Webhook-Secret", "inst-secret-1", NULL), AUTH_INVALID,
			"instantly: a header given twice is invalid");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "x-vapi-secret", "vapi-secret-1", NULL), AUTH_MISSING,
			"instantly: the Vapi secret does not count");
	cfg.instantly_header = "X-Instantly-Token";
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "x-instantly-token", "inst-secret-1", NULL), AUTH_OK,
			"instantly: a configured header name is used");
	cfg.instantly_secret_previous = NULL;
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "x-instantly-token", "inst-secret-0", NULL), AUTH_INVALID,
			"instantly: the old secret is invalid once no previous secret is configured");
	cfg.instantly_secret = NULL;
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, "x-instantly-token", "inst-secret-1", NULL), AUTH_NOT_CONFIGURED,
			"instantly: no secret configured");
	is_auth(auth(&cfg, SOURCE_INSTANTLY, body, NULL), AUTH_NOT_CONFIGURED,
			"instantly: not configured wins over missing");
}

/* Cal.com: hex HMAC-SHA256 of the raw body in X-Cal-Signature-256. */
static void
test_cal(void)
{
	shim_config cfg = base_config();

	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "X-Cal-Signature-256", CAL_SIG, NULL), AUTH_OK,
			"cal: a good signature is accepted");
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "x-cal-signature-256", "sha256=" CAL_SIG, NULL), AUTH_OK,
			"cal: a sha256= prefix is accepted");
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "X-Cal-Signature-256", CAL_SIG_PREVIOUS, NULL), AUTH_OK,
			"cal: a signature with the previous secret is accepted (rotation)");
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY " ", "X-Cal-Signature-256", CAL_SIG, NULL), AUTH_INVALID,
			"cal: another body is invalid");
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "X-Cal-Signature-256", RFC4231_SIG, NULL), AUTH_INVALID,
			"cal: a wrong signature is invalid");
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "X-Cal-Signature-256", "cal-secret-1", NULL), AUTH_INVALID,
			"cal: the secret itself is not a signature");
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "x-signature", CAL_SIG, NULL), AUTH_MISSING,
			"cal: no X-Cal-Signature-256 is missing");
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "X-Cal-Signature-256", CAL_SIG,
				 "X-Cal-Signature-256", CAL_SIG, NULL), AUTH_INVALID,
			"cal: a header given twice is invalid");
	cfg.cal_webhook_secret = "Jefe";
	is_auth(auth(&cfg, SOURCE_CAL, "what do ya want for nothing?", "X-Cal-Signature-256", RFC4231_SIG, NULL),
			AUTH_OK, "cal: RFC 4231 test case 2");
	cfg.cal_webhook_secret = "cal-secret-1";
	cfg.cal_webhook_secret_previous = NULL;
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "X-Cal-Signature-256", CAL_SIG_PREVIOUS, NULL), AUTH_INVALID,
			"cal: the old secret is invalid once no previous secret is configured");
	cfg.cal_webhook_secret = NULL;
	is_auth(auth(&cfg, SOURCE_CAL, CAL_BODY, "X-Cal-Signature-256", CAL_SIG, NULL), AUTH_NOT_CONFIGURED,
			"cal: no secret configured");
}

/* Header values are lengths, not C strings; an empty body is fine. */
static void
test_raw_headers(void)
{
	shim_config cfg = base_config();
	const char	value[] = "vapi-secret-1XYZ";
	auth_header h = {"x-vapi-secretJUNK", 13, value, 13};

	is_auth(webhook_authenticate(&cfg, SOURCE_VAPI, &h, 1, NULL, 0, NOW_MS), AUTH_OK,
			"raw: names and values are taken by length, not up to a NUL");
	h.value_len = 12;
	is_auth(webhook_authenticate(&cfg, SOURCE_VAPI, &h, 1, NULL, 0, NOW_MS), AUTH_INVALID,
			"raw: a value one byte short is invalid");
	is_auth(webhook_authenticate(&cfg, SOURCE_VAPI, NULL, 0, NULL, 0, NOW_MS), AUTH_MISSING,
			"raw: no headers at all is missing");
}

/* The metric labels. */
static void
test_names(void)
{
	is_str(auth_result_name(AUTH_OK), "ok", "label of AUTH_OK");
	is_str(auth_result_name(AUTH_MISSING), "missing", "label of AUTH_MISSING");
	is_str(auth_result_name(AUTH_INVALID), "invalid", "label of AUTH_INVALID");
	is_str(auth_result_name(AUTH_STALE), "stale", "label of AUTH_STALE");
	is_str(auth_result_name(AUTH_NOT_CONFIGURED), "not_configured", "label of AUTH_NOT_CONFIGURED");
	is_str(webhook_source_name(SOURCE_VAPI), "vapi", "label of SOURCE_VAPI");
	is_str(webhook_source_name(SOURCE_INSTANTLY), "instantly", "label of SOURCE_INSTANTLY");
	is_str(webhook_source_name(SOURCE_CAL), "cal", "label of SOURCE_CAL");
}

int
main(void)
{
	test_vapi_secret();
	test_vapi_bearer();
	test_vapi_hmac();
	test_vapi_hmac_variants();
	test_instantly();
	test_cal();
	test_raw_headers();
	test_names();
	return done_testing();
}
