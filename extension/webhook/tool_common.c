/*
 * tool_common.c
 *	  What the live tools that talk to Cal.com while Vapi waits share:
 *	  Barbara's check_availability_and_book (tool_booking.c) and the clinic
 *	  receptionist's tools (tool_clinic.c).  Their answer items, the date and
 *	  time shapes their arguments are checked against before SQL reads them,
 *	  and the reading of Cal.com's answer to a booking, so that both tools
 *	  treat "taken", "no answer" and "refused" alike.
 */
#include "core/json.h"
#include "webhook/tool_common.h"
#include "webhook/webhook.h"

#include <ctype.h>

#include "lib/stringinfo.h"

/* A final answer item {"name", "toolCallId", key: text} as JSON text. */
char *
vp_tool_item(const char *name, const char *tool_call_id, const char *key, const char *text)
{
	StringInfoData s;

	initStringInfo(&s);
	vp_tool_result(&s, name, tool_call_id, key, text);
	return s.data;
}

/* Whether s is written YYYY-MM-DD. */
bool
vp_is_date_text(const char *s)
{
	for (int i = 0; i < 10; i++)
		if (s[i] == '\0' || ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char) s[i])))
			return false;
	return s[10] == '\0';
}

/* Whether s starts like an ISO 8601 date and time: YYYY-MM-DD, then T or a space, then HH:MM. */
bool
vp_is_iso_time_text(const char *s)
{
	return strlen(s) >= 16 && vp_is_date_text(pnstrdup(s, 10)) && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') &&
		isdigit((unsigned char) s[11]) && isdigit((unsigned char) s[12]) && s[13] == ':';
}

/* Why Cal.com did not answer with success, for the assistant. */
char *
vp_cal_trouble(int status, const char *error)
{
	return status == 0 ? psprintf("no answer (%s)", error) : psprintf("HTTP %d", status);
}

/*
 * What Cal.com's answer to POST /bookings means (../shared/reference/calcom.md):
 * a 2xx with data.uid is a booking; a 400 whose message says the host is
 * not available or already has a booking is a taken slot; no answer (status
 * 0), 408, 429 and 5xx may still have booked, or may book on a retry; any
 * other answer is a refusal.
 */
VpCalBooking
vp_cal_booking_outcome(int status, const char *body, char **uid, char **message)
{
	Datum		parsed = vp_json_parse_or_null(body);

	*uid = parsed ? vp_json_text(DatumGetJsonbP(parsed), (const char *[]) {"data", "uid", NULL}) : NULL;
	*message = parsed ? vp_json_text(DatumGetJsonbP(parsed), (const char *[]) {"error", "message", NULL}) : NULL;
	if (status >= 200 && status < 300 && *uid != NULL)
		return VP_CAL_BOOKED;
	if (status == 400 && *message != NULL &&
		(strstr(*message, "not available") != NULL || strstr(*message, "already has booking") != NULL))
		return VP_CAL_TAKEN;
	if (status == 0 || status >= 500 || status == 408 || status == 429)
		return VP_CAL_UNANSWERED;
	return VP_CAL_REFUSED;
}
