/*
 * settings.c
 *	  Every setting (GUC) of vapi_pool, registered in one place by
 *	  vp_define_settings() from _PG_init, with the parsing hooks of the two
 *	  that are lists (retry_backoff, calling_window).
 *
 * The settings, by what reads them:
 *	 who is asking	auth_uid_owners (auth.c)
 *	 the pool		hold_after_call, max_call_attempts, retry_backoff,
 *					calling_window, provider_retry_delay, provider_retry_limit;
 *					hold_after_appointment (pool_release.c, slots/cal_booking.c)
 *	 number health	number_health_window, number_health_min_calls,
 *					number_watch_ratio, number_burned_ratio, early_hangup_seconds
 *					(pool/number_health.c)
 *	 Vapi answers	intake_assistant_id, connector_assistant_id,
 *					known_caller_answer (webhook_vapi.c);
 *					group_lock_timeout (webhook_receive.c);
 *					receptionist_assistant_id (read by SQL, webhook_vapi.c)
 *	 outbound HTTP	outbox_backoff_base_ms, outbox_backoff_max_ms (outbox_report.c);
 *					http_timeout_ms, tool_budget_ms, cal_api_version_slots,
 *					cal_api_version_bookings (read by SQL, 140_dispatcher.sql)
 *	 voicemail		voicemail_detection, voicemail_beep_wait_seconds,
 *					voicemail_message (read by SQL, 183_voicemail.sql)
 *	 stale calls	call_max_duration, call_report_grace, call_report_give_up
 *					(pool/stale_calls.c)
 * Variables that C reads are declared in core/settings.h.
 */
#include "core/settings.h"
#include "core/compat.h"

#include <ctype.h>
#include <limits.h>

#include "utils/guc.h"

/* ---------------------------------------------------------------- who is asking */

char	   *vp_auth_uid_owners = NULL;

/* ---------------------------------------------------------------- the pool */

int			vp_hold_after_call_s = 24 * 60 * 60;
int			vp_hold_after_appointment_s = 24 * 60 * 60;
int			vp_max_call_attempts = 3;
int			vp_provider_retry_delay_s = 5 * 60;
int			vp_provider_retry_limit = 3;

int			vp_number_health_window_s = 14 * 24 * 60 * 60;
int			vp_number_health_min_calls = 30;
double		vp_number_watch_ratio = 0.75;
double		vp_number_burned_ratio = 0.5;
int			vp_early_hangup_s = 10;

static char *retry_backoff_string = NULL;
static char *calling_window_string = NULL;

/* Parsed forms, set by the assign hooks. */
typedef struct Backoff
{
	int			steps;
	int			seconds[VP_MAX_BACKOFF_STEPS];
} Backoff;

typedef struct Window
{
	int			start_minute;
	int			end_minute;
} Window;

static Backoff backoff = {2, {3600, 4 * 3600}};
static Window window = {8 * 60, 20 * 60};

/* Parses "1h, 4h" (durations with units; seconds without) into b. */
static bool
parse_backoff(const char *value, Backoff *b)
{
	char	   *copy = pstrdup(value);
	char	   *save = NULL;

	b->steps = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
	{
		int			seconds;
		const char *hint = NULL;

		while (isspace((unsigned char) *tok))
			tok++;
		if (b->steps == VP_MAX_BACKOFF_STEPS)
		{
			GUC_check_errdetail("At most %d delays can be given.", VP_MAX_BACKOFF_STEPS);
			return false;
		}
		if (!parse_int(tok, &seconds, GUC_UNIT_S, &hint) || seconds <= 0)
		{
			GUC_check_errdetail("\"%s\" is not a positive duration such as \"90min\" or \"4h\".", tok);
			return false;
		}
		b->seconds[b->steps++] = seconds;
	}
	if (b->steps == 0)
	{
		GUC_check_errdetail("Give at least one delay, such as \"1h, 4h\".");
		return false;
	}
	return true;
}

/* Parses "HH:MM-HH:MM" into w; the window must not be empty or wrap midnight. */
static bool
parse_window(const char *value, Window *w)
{
	int			h1,
				m1,
				h2,
				m2,
				used = 0;

	if (sscanf(value, " %d:%d - %d:%d %n", &h1, &m1, &h2, &m2, &used) != 4 || value[used] != '\0' ||
		h1 < 0 || h1 > 24 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 ||
		h1 * 60 + m1 > 24 * 60 || h2 * 60 + m2 > 24 * 60)
	{
		GUC_check_errdetail("The calling window is written as two local times, such as \"08:00-20:00\".");
		return false;
	}
	if (h1 * 60 + m1 >= h2 * 60 + m2)
	{
		GUC_check_errdetail("The window must start before it ends, on the same day.");
		return false;
	}
	w->start_minute = h1 * 60 + m1;
	w->end_minute = h2 * 60 + m2;
	return true;
}

/* Hands a parsed value to the assign hook, as the GUC machinery's "extra". */
static bool
set_extra(void **extra, const void *value, size_t size)
{
	*extra = guc_malloc_compat(size);
	if (*extra == NULL)
		return false;
	memcpy(*extra, value, size);
	return true;
}

static bool
check_backoff(char **newval, void **extra, GucSource source)
{
	Backoff		b;

	return parse_backoff(*newval, &b) && set_extra(extra, &b, sizeof(b));
}

static void
assign_backoff(const char *newval, void *extra)
{
	if (extra != NULL)
		backoff = *(Backoff *) extra;
}

static bool
check_window(char **newval, void **extra, GucSource source)
{
	Window		w;

	return parse_window(*newval, &w) && set_extra(extra, &w, sizeof(w));
}

static void
assign_window(const char *newval, void *extra)
{
	if (extra != NULL)
		window = *(Window *) extra;
}

/* ---------------------------------------------------------------- Vapi answers */

char	   *vp_vapi_intake_assistant_id = NULL;
char	   *vp_vapi_connector_assistant_id = NULL;
int			vp_vapi_known_caller_answer = VP_KNOWN_CALLER_ASSISTANT;
int			vp_group_lock_timeout_ms = 25;
/* read by SQL (current_setting) in webhook_vapi.c's assistant-request plan, not by C */
static char *vp_vapi_receptionist_assistant_id = NULL;

static const struct config_enum_entry known_caller_options[] = {
	{"assistant", VP_KNOWN_CALLER_ASSISTANT, false},
	{"forward", VP_KNOWN_CALLER_FORWARD, false},
	{NULL, 0, false}
};

/* ---------------------------------------------------------------- outbound HTTP */

int			vp_outbox_backoff_base_ms = 5000;
int			vp_outbox_backoff_max_ms = 15 * 60 * 1000;
/* read by SQL (current_setting) in 140_dispatcher.sql, not by C */
static int	vp_http_timeout_ms = 10000;
static int	vp_tool_budget_ms = 15000;
static char *vp_cal_api_version_slots = NULL;
static char *vp_cal_api_version_bookings = NULL;

/* ---------------------------------------------------------------- voicemail */

/*
 * Read by SQL (current_setting) in 183_voicemail.sql, not by C: how the
 * create-call asks Vapi to detect a machine, and the message left on it.
 * The providers are those of Vapi's voicemailDetection (VapiVoicemailDetectionPlan,
 * GoogleVoicemailDetectionPlan, OpenAiVoicemailDetectionPlan,
 * TwilioVoicemailDetectionPlan), or "off".
 */
static int	vp_voicemail_detection = 0;
static int	vp_voicemail_beep_wait_seconds = 30;
static char *vp_voicemail_message = NULL;

static const struct config_enum_entry voicemail_detection_options[] = {
	{"vapi", 0, false},
	{"google", 1, false},
	{"openai", 2, false},
	{"twilio", 3, false},
	{"off", 4, false},
	{NULL, 0, false}
};

/* ---------------------------------------------------------------- calls whose report never came */

int			vp_call_max_duration_s = 600;
int			vp_call_report_grace_s = 10 * 60;
int			vp_call_report_give_up_s = 60 * 60;

/* ---------------------------------------------------------------- registration */

/* Defines every setting; called from _PG_init. */
void
vp_define_settings(void)
{
	DefineCustomStringVariable("vapi_pool.auth_uid_owners",
							   "Roles, besides superusers, trusted to own schema auth and auth.uid().",
							   "A comma-separated list of role names.  vapi_pool reads the requesting user "
							   "from auth.uid() only when the schema and the function belong to a superuser "
							   "or to one of these roles; otherwise from request.jwt.claims.",
							   &vp_auth_uid_owners, "supabase_auth_admin", PGC_SUSET, GUC_LIST_INPUT,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.hold_after_call",
							"How long a number stays with its lead after the lead's last call.",
							"release_expired() frees the number this long after the call ended.",
							&vp_hold_after_call_s, 24 * 60 * 60, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.hold_after_appointment",
							"How long a number stays with its lead after the end of the lead's appointment with the number's broker.",
							"No number is released while its lead has a booked appointment with its broker that "
							"ended less than this long ago; a number lent for a booking is released this long "
							"after the appointment ends.",
							&vp_hold_after_appointment_s, 24 * 60 * 60, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.number_health_window",
							"How far back number health looks at a pool number's calls.",
							"number_health and rotate_burned_numbers count the outbound calls placed this long ago or later.",
							&vp_number_health_window_s, 14 * 24 * 60 * 60, 60 * 60, 365 * 24 * 60 * 60,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.number_health_min_calls",
							"Calls with a known outcome a number, and its siblings together, need before it is judged.",
							"Below this a number is healthy: too few calls to say.",
							&vp_number_health_min_calls, 30, 1, 1000000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("vapi_pool.number_watch_ratio",
							 "Answered share, against the broker's other numbers, under which a number is watched.",
							 "A number is on watch when its answered share, one standard error up, is below this "
							 "fraction of its siblings'.",
							 &vp_number_watch_ratio, 0.75, 0.01, 1.0,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("vapi_pool.number_burned_ratio",
							 "Answered share, against the broker's other numbers, under which a number is burned.",
							 "A number is burned when even the 95% upper bound of its answered share is below this "
							 "fraction of its siblings'.",
							 &vp_number_burned_ratio, 0.5, 0.01, 1.0,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.early_hangup_seconds",
							"An answered call the customer ended within this many seconds is an early hang-up.",
							NULL, &vp_early_hangup_s, 10, 0, 600,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.max_call_attempts",
							"Calls made to a lead who does not answer, per request, before the lead is unreachable.",
							NULL, &vp_max_call_attempts, 3, 1, 20,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.retry_backoff",
							   "Delays before the second, third, ... call to a lead who did not answer.",
							   "A comma-separated list of durations; the last one repeats.",
							   &retry_backoff_string, "1h, 4h",
							   PGC_USERSET, 0, check_backoff, assign_backoff, NULL);
	DefineCustomStringVariable("vapi_pool.calling_window",
							   "The local hours, in the called person's time zone, in which calls and texts are placed.",
							   "An organisation's orgs.calling_hours_start and calling_hours_end take precedence.",
							   &calling_window_string, "08:00-21:00",
							   PGC_USERSET, 0, check_window, assign_window, NULL);
	DefineCustomIntVariable("vapi_pool.provider_retry_delay",
							"Delay before calling again after a failure that is not the lead's (provider, quota).",
							NULL, &vp_provider_retry_delay_s, 5 * 60, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.provider_retry_limit",
							"Calls repeated after provider failures, per attempt, before a person is asked to look.",
							NULL, &vp_provider_retry_limit, 3, 0, 100,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.intake_assistant_id",
							   "Vapi assistant that answers unknown callers (the seed's Barbara).",
							   "An organisation's orgs.intake_assistant_id wins over it.",
							   &vp_vapi_intake_assistant_id, "", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.connector_assistant_id",
							   "Vapi assistant that connects known callers (lead <-> broker).",
							   "An organisation's orgs.connector_assistant_id wins over it.",
							   &vp_vapi_connector_assistant_id, "", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("vapi_pool.known_caller_answer",
							 "How an assistant-request from a known caller is answered.",
							 "assistant: the Call Connector with the numbers in variableValues; forward: a direct transfer.",
							 &vp_vapi_known_caller_answer, VP_KNOWN_CALLER_ASSISTANT, known_caller_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.group_lock_timeout",
							"How long a delivery of a group (receive_webhooks) waits for a lock before it is put off.",
							"Two groups that lock the same rows in opposite orders would otherwise wait for the "
							"deadlock detector (deadlock_timeout) with every delivery of both; a delivery that "
							"waits this long is rolled back and comes back as SQLSTATE 55P03, stored nowhere, and "
							"the shim runs it alone once its group has committed.  0: wait as long as a single "
							"delivery would.",
							&vp_group_lock_timeout_ms, 25, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.receptionist_assistant_id",
							   "Vapi assistant that answers a clinic's callers (the seed's Voxanne).",
							   "An organisation's orgs.receptionist_assistant_id wins over it; without either, the "
							   "clinic_receptionist that vapi-shim assistants push created.",
							   &vp_vapi_receptionist_assistant_id, "", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.outbox_backoff_base_ms",
							"Delay before a failed outbox job's first retry, in milliseconds.",
							"Each further retry waits twice as long, up to vapi_pool.outbox_backoff_max_ms, "
							"with 25% jitter either way; a longer Retry-After wins.",
							&vp_outbox_backoff_base_ms, 5000, 10, 3600 * 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.outbox_backoff_max_ms",
							"Longest delay between two attempts of an outbox job, in milliseconds.",
							NULL,
							&vp_outbox_backoff_max_ms, 15 * 60 * 1000, 10, 24 * 3600 * 1000, PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.http_timeout_ms",
							"Timeout of one outbound request the dispatcher sends, in milliseconds.",
							"Keep the dispatcher's lease longer than this.",
							&vp_http_timeout_ms, 10000, 100, 600 * 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.tool_budget_ms",
							"Time a tool call may spend on Cal.com requests while Vapi waits, in milliseconds.",
							"Vapi waits 20 s for a tool answer by default (server.timeoutSeconds).",
							&vp_tool_budget_ms, 15000, 500, 120 * 1000, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.cal_api_version_slots",
							   "The cal-api-version header sent with Cal.com's GET /slots.",
							   "A missing or wrong version silently falls back to an older behaviour.",
							   &vp_cal_api_version_slots, "2024-09-04", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.cal_api_version_bookings",
							   "The cal-api-version header sent with Cal.com's /bookings endpoints.",
							   "A missing or wrong version silently falls back to an older behaviour.",
							   &vp_cal_api_version_bookings, "2024-08-13", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("vapi_pool.voicemail_detection",
							 "Who detects a machine answering an outbound call: vapi, google, openai, twilio or off.",
							 "Sent as assistantOverrides.voicemailDetection of every create-call.  Without "
							 "detection a machine counts as an answered call and the lead is not called again.",
							 &vp_voicemail_detection, 0, voicemail_detection_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.voicemail_beep_wait_seconds",
							"Longest wait for a voicemail beep, from the start of the call, before the message is spoken.",
							"Vapi's beepMaxAwaitSeconds (vapi, google and openai detection).",
							&vp_voicemail_beep_wait_seconds, 30, 0, 60, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("vapi_pool.voicemail_message",
							   "The voicemail message of organisations that set none (orgs.voicemail_message NULL).",
							   "{first_name}, {broker_name}, {org_name} and {callback_number} are filled in; "
							   "an empty message leaves none.",
							   &vp_voicemail_message,
							   "Hi {first_name}, this is {broker_name}'s office at {org_name}, returning your email. "
							   "Please call us back at {callback_number}. Again, that is {callback_number}. Thank you!",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.call_max_duration",
							"The longest a call lasts: the assistants' maxDurationSeconds.",
							"Vapi ends a call after its assistant's maxDurationSeconds, 600 s unless the assistant "
							"sets it.  A call should have ended this long after it started (or was placed).",
							&vp_call_max_duration_s, 600, 10, 43200, PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.call_report_grace",
							"How late an end-of-call report may be before Vapi is asked for the call.",
							"reconcile_stale_calls() looks a call up with GET /call/{id} this long after it "
							"should have ended, and again this long after each lookup that did not settle it.",
							&vp_call_report_grace_s, 10 * 60, 60, 24 * 60 * 60, PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vapi_pool.call_report_give_up",
							"How long after a call should have ended its number is released when Vapi has no answer either.",
							"A call with no end-of-call report whose last lookup Vapi did not answer (404, or "
							"failures until the lookup's attempts ran out) is ended as unknown this long after it "
							"should have ended, and its number released.",
							&vp_call_report_give_up_s, 60 * 60, 60, 7 * 24 * 60 * 60, PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved_compat("vapi_pool");
}

/* The delay before attempt (2, 3, ...), in seconds. */
int
vp_backoff_seconds(int attempt)
{
	int			step = attempt - 2;

	if (step < 0)
		step = 0;
	if (step >= backoff.steps)
		step = backoff.steps - 1;
	return backoff.seconds[step];
}

/* The calling window, in minutes after local midnight. */
void
vp_calling_window(int *start_minute, int *end_minute)
{
	*start_minute = window.start_minute;
	*end_minute = window.end_minute;
}
