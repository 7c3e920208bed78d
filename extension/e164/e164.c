/*
 * e164.c
 *	  The e164 data type: SQL-callable input, output, parsing and accessors.
 *
 * A value is 8 bytes (LIKE int8): the packed form of e164_parse.h, whose
 * integer order is the order of the canonical text.  Comparison, hashing and
 * sort support are int8's own functions, bound in the install script as
 * contrib/isn does, so this file holds only what is specific to phone
 * numbers.
 */
#include "core/compat.h"
#include "e164/e164_metadata.h"
#include "e164/e164_parse.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"


#define PG_GETARG_E164(n)	PG_GETARG_INT64(n)
#define PG_RETURN_E164(x)	PG_RETURN_INT64(x)

PG_FUNCTION_INFO_V1(e164_in);
PG_FUNCTION_INFO_V1(e164_out);
PG_FUNCTION_INFO_V1(e164_recv);
PG_FUNCTION_INFO_V1(e164_send);
PG_FUNCTION_INFO_V1(e164_parse_text);
PG_FUNCTION_INFO_V1(e164_try_parse_text);
PG_FUNCTION_INFO_V1(e164_country_code);
PG_FUNCTION_INFO_V1(e164_national_number);

/* Hint that goes with a parse failure, or NULL. */
static const char *
e164_error_hint(E164Status status)
{
	switch (status)
	{
		case E164_ERR_NO_PLUS:
			return "Write the number as +<country code><number>, or use vapi_pool.e164_parse(number, region) for national formats.";
		case E164_ERR_BAD_CHARACTER:
			return "Use digits, an optional leading +, spaces, dashes, dots, slashes or parentheses; drop extensions and letters.";
		default:
			return NULL;
	}
}

/* Check a region argument, raising 22023 if it is not a supported code. */
static void
e164_check_region(text *region)
{
	if (e164_region_by_code(VARDATA_ANY(region), VARSIZE_ANY_EXHDR(region)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown region \"%s\" for e164_parse", text_to_cstring(region)),
				 errhint("Use an ISO 3166-1 alpha-2 code such as US, GB or FR.")));
}

/* Canonical "+<digits>" text of a packed value, palloc'd. */
static char *
e164_to_cstring(int64 packed)
{
	char	   *result = palloc(E164_MAX_DIGITS + 2);

	result[0] = '+';
	if (e164_unpack_digits(packed, result + 1) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt e164 value %lld", (long long) packed)));
	return result;
}

/*
 * Input function: only the international form ("+<country code> ..."); it
 * never guesses a country and reads no setting.
 */
Datum
e164_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	E164Number	num;
	E164Status	status;
	char		detail[256];

	status = e164_parse(str, strlen(str), NULL, 0, &num);
	if (status != E164_OK)
	{
		const char *hint = e164_error_hint(status);

		e164_status_detail(status, &num, detail, sizeof(detail));
		VP_INPUT_ERROR(fcinfo->context,
					   errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					   errmsg("invalid input syntax for type %s: \"%s\"", "e164", str),
					   errdetail("%s", detail),
					   hint ? errhint("%s", hint) : 0);
	}
	PG_RETURN_E164(e164_pack(&num));
}

/* Output function: "+14155552671". */
Datum
e164_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(e164_to_cstring(PG_GETARG_E164(0)));
}

/* Binary input: the packed int8, checked as strictly as text input. */
Datum
e164_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int64		packed = pq_getmsgint64(buf);
	E164Number	num;

	if (!e164_unpack(packed, &num) || e164_validate(&num) != E164_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external e164 value")));
	PG_RETURN_E164(packed);
}

/* Binary output: the packed int8. */
Datum
e164_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, PG_GETARG_E164(0));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Shared body of e164_parse and e164_try_parse: returns true and sets
 * *result, or (when raise is false) returns false for a bad number.
 */
static bool
e164_parse_common(text *number, text *region, bool raise, int64 *result)
{
	E164Number	num;
	E164Status	status;

	e164_check_region(region);
	status = e164_parse(VARDATA_ANY(number), VARSIZE_ANY_EXHDR(number),
						VARDATA_ANY(region), VARSIZE_ANY_EXHDR(region), &num);
	if (status != E164_OK)
	{
		char		detail[256];
		const char *hint = e164_error_hint(status);

		if (!raise)
			return false;
		e164_status_detail(status, &num, detail, sizeof(detail));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "e164",
						text_to_cstring(number)),
				 errdetail("%s", detail),
				 hint ? errhint("%s", hint) : 0));
	}
	*result = e164_pack(&num);
	return true;
}

/* e164_parse(number text, region text): what people type, in a region. */
Datum
e164_parse_text(PG_FUNCTION_ARGS)
{
	int64		result;

	e164_parse_common(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), true, &result);
	PG_RETURN_E164(result);
}

/* e164_try_parse(number text, region text): NULL instead of an error. */
Datum
e164_try_parse_text(PG_FUNCTION_ARGS)
{
	int64		result;

	if (!e164_parse_common(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1), false, &result))
		PG_RETURN_NULL();
	PG_RETURN_E164(result);
}

/* Unpack a stored value or raise: the stored form is trusted but checked. */
static void
e164_unpack_or_error(int64 packed, E164Number *num)
{
	if (!e164_unpack(packed, num))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt e164 value %lld", (long long) packed)));
}

/* e164_country_code(e164): the calling code, e.g. 44. */
Datum
e164_country_code(PG_FUNCTION_ARGS)
{
	E164Number	num;

	e164_unpack_or_error(PG_GETARG_E164(0), &num);
	PG_RETURN_INT32(num.country_code);
}

/* e164_national_number(e164): the digits after the calling code. */
Datum
e164_national_number(PG_FUNCTION_ARGS)
{
	E164Number	num;

	e164_unpack_or_error(PG_GETARG_E164(0), &num);
	PG_RETURN_TEXT_P(cstring_to_text(num.nsn));
}
