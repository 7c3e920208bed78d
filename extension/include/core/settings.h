/*
 * settings.h
 *	  The settings (GUCs) that C code reads, all registered by
 *	  vp_define_settings() in core/settings.c, and the engine's named
 *	  durations.
 */
#ifndef VAPI_POOL_SETTINGS_H
#define VAPI_POOL_SETTINGS_H

#include "core/compat.h"

/* ---- durations the code and its SQL share ---- */

#define VP_SECONDS_PER_DAY (24 * 60 * 60)

/* ---- who is asking (auth.c) ---- */

extern char *vp_auth_uid_owners;	/* vapi_pool.auth_uid_owners */

/* ---- the pool ---- */

#define VP_MAX_BACKOFF_STEPS 8

extern int	vp_hold_after_call_s;		/* vapi_pool.hold_after_call */
extern int	vp_hold_after_appointment_s;	/* vapi_pool.hold_after_appointment */
extern int	vp_max_call_attempts;		/* vapi_pool.max_call_attempts */
extern int	vp_provider_retry_delay_s;	/* vapi_pool.provider_retry_delay */
extern int	vp_provider_retry_limit;	/* vapi_pool.provider_retry_limit */

/* The delay before attempt (2, 3, ...), in seconds (vapi_pool.retry_backoff). */
extern int	vp_backoff_seconds(int attempt);
/* The calling window, in minutes after local midnight (vapi_pool.calling_window). */
extern void vp_calling_window(int *start_minute, int *end_minute);

/* ---- number health (pool/number_health.c) ---- */

extern int	vp_number_health_window_s;	/* vapi_pool.number_health_window */
extern int	vp_number_health_min_calls;	/* vapi_pool.number_health_min_calls */
extern double vp_number_watch_ratio;	/* vapi_pool.number_watch_ratio */
extern double vp_number_burned_ratio;	/* vapi_pool.number_burned_ratio */
extern int	vp_early_hangup_s;			/* vapi_pool.early_hangup_seconds */

/* ---- Vapi answers (webhook_vapi.c) ---- */

extern char *vp_vapi_intake_assistant_id;	/* vapi_pool.intake_assistant_id */
extern char *vp_vapi_connector_assistant_id;	/* vapi_pool.connector_assistant_id */
extern int	vp_vapi_known_caller_answer;	/* vapi_pool.known_caller_answer */
extern int	vp_group_lock_timeout_ms;	/* vapi_pool.group_lock_timeout (webhook_receive.c) */

#define VP_KNOWN_CALLER_ASSISTANT 0
#define VP_KNOWN_CALLER_FORWARD 1

/* ---- outbound HTTP (outbox_report.c) ---- */

extern int	vp_outbox_backoff_base_ms;	/* vapi_pool.outbox_backoff_base_ms */
extern int	vp_outbox_backoff_max_ms;	/* vapi_pool.outbox_backoff_max_ms */

/* ---- calls whose report never came (pool/stale_calls.c) ---- */

extern int	vp_call_max_duration_s;		/* vapi_pool.call_max_duration */
extern int	vp_call_report_grace_s;		/* vapi_pool.call_report_grace */
extern int	vp_call_report_give_up_s;	/* vapi_pool.call_report_give_up */

/* Defines every setting; called from _PG_init. */
extern void vp_define_settings(void);

#endif							/* VAPI_POOL_SETTINGS_H */
