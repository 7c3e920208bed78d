/*
 * metrics.c
 *	  Counters for GET /metrics, written in the Prometheus text format
 *	  (text/plain; version=0.0.4).
 *
 * Every label value comes from a fixed list, so the number of series is
 * bounded whatever the senders put in their requests: routes are the
 * configured ones plus "other", Vapi message types the known ones plus
 * "other", statuses the 100..599 range.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "metrics.h"

#define MIN_STATUS 100
#define MAX_STATUS 599

static const char *const route_names[METRICS_NROUTES] = {
	[METRICS_ROUTE_VAPI] = "vapi",
	[METRICS_ROUTE_VAPI_INBOUND] = "vapi-inbound",
	[METRICS_ROUTE_VAPI_TOOLS] = "vapi-tools",
	[METRICS_ROUTE_VAPI_SUPABASE_TOOL] = "vapi-supabase-tool",
	[METRICS_ROUTE_INSTANTLY_REPLY] = "instantly-reply",
	[METRICS_ROUTE_CAL] = "cal",
	[METRICS_ROUTE_HEALTHZ] = "healthz",
	[METRICS_ROUTE_METRICS] = "metrics",
	[METRICS_ROUTE_OTHER] = "other",
};

static const char *const fallback_names[FALLBACK_NREASONS] = {
	[FALLBACK_TIMEOUT] = "timeout",
	[FALLBACK_UNAVAILABLE] = "unavailable",
	[FALLBACK_QUEUE_FULL] = "queue_full",
};

/* upper bounds of the duration histogram, seconds, as written in "le" */
static const double bucket_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
static const char *const bucket_labels[] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"
};

#define NBUCKETS (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]))

/* the Vapi server message types worth a label of their own */
static const char *const vapi_types[] = {
	"assistant-request",
	"tool-calls",
	"transfer-destination-request",
	"knowledge-base-request",
	"end-of-call-report",
	"status-update",
	"conversation-update",
	"transcript",
	"speech-update",
	"hang",
	"function-call",
	"user-interrupted",
	"model-output",
	"voice-input",
	"phone-call-control",
	"transfer-update",
	"language-change-detected",
	"other"
};

#define NVAPI_TYPES (sizeof(vapi_types) / sizeof(vapi_types[0]))
#define NSOURCES (SOURCE_CAL + 1)
#define NAUTH_RESULTS (AUTH_NOT_CONFIGURED + 1)

/* all counters; loop thread only */
static struct
{
	uint64_t	requests[METRICS_NROUTES][MAX_STATUS + 1];
	uint64_t	duration_buckets[METRICS_NROUTES][NBUCKETS];	/* not cumulative */
	uint64_t	duration_count[METRICS_NROUTES];
	double		duration_sum[METRICS_NROUTES];
	uint64_t	auth_failures[NSOURCES][NAUTH_RESULTS];
	uint64_t	vapi_messages[NVAPI_TYPES];
	uint64_t	fallbacks[FALLBACK_NREASONS];
}			counters;

/* The label value of a route. */
const char *
metrics_route_name(metrics_route route)
{
	return route_names[route];
}

/* The label value of a fallback reason. */
const char *
metrics_fallback_reason_name(metrics_fallback_reason reason)
{
	return fallback_names[reason];
}

/* Count one finished request: its status and how long it took. */
void
metrics_count_request(metrics_route route, int status, double seconds)
{
	size_t		b;

	if (status >= MIN_STATUS && status <= MAX_STATUS)
		counters.requests[route][status]++;
	for (b = 0; b < NBUCKETS && seconds > bucket_bounds[b]; b++)
		;
	if (b < NBUCKETS)
		counters.duration_buckets[route][b]++;
	counters.duration_count[route]++;
	counters.duration_sum[route] += seconds;
}

/* Count a webhook refused with 401. */
void
metrics_count_auth_failure(webhook_source source, auth_result reason)
{
	if ((int) source >= 0 && source < NSOURCES && (int) reason >= 0 && reason < NAUTH_RESULTS)
		counters.auth_failures[source][reason]++;
}

/* Count an authenticated Vapi message by its type (NULL: absent). */
void
metrics_count_vapi_message(const char *type)
{
	size_t		i;

	for (i = 0; i < NVAPI_TYPES - 1; i++)
		if (type != NULL && strcmp(type, vapi_types[i]) == 0)
			break;
	counters.vapi_messages[i]++;
}

/* Count a webhook answered with its fallback because of the database. */
void
metrics_count_fallback(metrics_fallback_reason reason)
{
	counters.fallbacks[reason]++;
}

/* Write "# HELP" and "# TYPE" for one metric. */
static void
header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Write a gauge value that may be unknown (NaN). */
static void
gauge_or_nan(FILE *f, const char *name, int known, long long value)
{
	if (known)
		fprintf(f, "%s %lld\n", name, value);
	else
		fprintf(f, "%s NaN\n", name);
}

/* The request counters and the duration histogram. */
static void
render_requests(FILE *f)
{
	header(f, "vapi_shim_requests_total", "counter", "HTTP requests answered, by route and status.");
	for (int r = 0; r < METRICS_NROUTES; r++)
		for (int s = MIN_STATUS; s <= MAX_STATUS; s++)
			if (counters.requests[r][s] != 0)
				fprintf(f, "vapi_shim_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
						route_names[r], s, (unsigned long long) counters.requests[r][s]);

	header(f, "vapi_shim_request_duration_seconds", "histogram",
		   "Time from reading a request to finishing its answer, by route.");
	for (int r = 0; r < METRICS_NROUTES; r++)
	{
		uint64_t	cumulative = 0;

		for (size_t b = 0; b < NBUCKETS; b++)
		{
			cumulative += counters.duration_buckets[r][b];
			fprintf(f, "vapi_shim_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %llu\n",
					route_names[r], bucket_labels[b], (unsigned long long) cumulative);
		}
		fprintf(f, "vapi_shim_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
				route_names[r], (unsigned long long) counters.duration_count[r]);
		fprintf(f, "vapi_shim_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
				route_names[r], counters.duration_sum[r]);
		fprintf(f, "vapi_shim_request_duration_seconds_count{route=\"%s\"} %llu\n",
				route_names[r], (unsigned long long) counters.duration_count[r]);
	}
}

/* Authentication failures, Vapi message types and fallback answers. */
static void
render_webhooks(FILE *f)
{
	header(f, "vapi_shim_auth_failures_total", "counter",
		   "Webhooks refused with 401, by source and reason.");
	for (int s = 0; s < (int) NSOURCES; s++)
		for (int a = 0; a < (int) NAUTH_RESULTS; a++)
			if (a != AUTH_OK)
				fprintf(f, "vapi_shim_auth_failures_total{source=\"%s\",reason=\"%s\"} %llu\n",
						webhook_source_name((webhook_source) s), auth_result_name((auth_result) a),
						(unsigned long long) counters.auth_failures[s][a]);

	header(f, "vapi_shim_vapi_messages_total", "counter",
		   "Authenticated, well-formed Vapi messages, by message.type.");
	for (size_t t = 0; t < NVAPI_TYPES; t++)
		fprintf(f, "vapi_shim_vapi_messages_total{type=\"%s\"} %llu\n",
				vapi_types[t], (unsigned long long) counters.vapi_messages[t]);

	header(f, "vapi_shim_db_fallback_answers_total", "counter",
		   "Vapi webhooks answered with the built-in fallback instead of the database, by reason.");
	for (int r = 0; r < FALLBACK_NREASONS; r++)
		fprintf(f, "vapi_shim_db_fallback_answers_total{reason=\"%s\"} %llu\n",
				fallback_names[r], (unsigned long long) counters.fallbacks[r]);
}

/* One state's line of vapi_shim_outbox_jobs. */
static void
outbox_gauge(FILE *f, const char *state, const health_status *hs, int figure)
{
	if (hs->inbox_known)
		fprintf(f, "vapi_shim_outbox_jobs{state=\"%s\"} %lld\n", state, hs->outbox[figure]);
	else
		fprintf(f, "vapi_shim_outbox_jobs{state=\"%s\"} NaN\n", state);
}

/* One line of a pool or number health gauge: NaN unknown, +Inf, or the figure as read. */
static void
operations_gauge(FILE *f, const char *name, const char *labels, const health_status *hs, int figure)
{
	double		v = hs->operations[figure];

	if (!hs->operations_known)
		fprintf(f, "%s%s NaN\n", name, labels);
	else if (isinf(v))
		fprintf(f, "%s%s +Inf\n", name, labels);
	else
		fprintf(f, "%s%s %.10g\n", name, labels, v);
}

/* The group commit histogram: webhooks per database transaction. */
static void
render_groups(FILE *f, const db_pool_stats *ps)
{
	static const int bounds[DB_GROUP_NBUCKETS] = DB_GROUP_BOUNDS;
	unsigned long long cumulative = 0;

	header(f, "vapi_shim_db_group_size", "histogram",
		   "Webhooks per database transaction (group commit): a worker takes what is queued when it is free, up to --db-group-max.");
	for (int b = 0; b < DB_GROUP_NBUCKETS; b++)
	{
		cumulative += ps->group_buckets[b];
		fprintf(f, "vapi_shim_db_group_size_bucket{le=\"%d\"} %llu\n", bounds[b], cumulative);
	}
	fprintf(f, "vapi_shim_db_group_size_bucket{le=\"+Inf\"} %llu\n", ps->group_count);
	fprintf(f, "vapi_shim_db_group_size_sum %llu\n", ps->group_deliveries);
	fprintf(f, "vapi_shim_db_group_size_count %llu\n", ps->group_count);
	header(f, "vapi_shim_db_groups_split_total", "counter",
		   "Groups that failed as a whole and were run again one webhook per transaction.");
	fprintf(f, "vapi_shim_db_groups_split_total %llu\n", ps->groups_split);
	header(f, "vapi_shim_db_group_put_off_total", "counter",
		   "Deliveries of a group that waited for a lock past vapi_pool.group_lock_timeout or lost a deadlock, run alone after their group.");
	fprintf(f, "vapi_shim_db_group_put_off_total %llu\n", ps->group_put_off);
}

/* Database pool gauges and the inbox and outbox figures of the health prober. */
static void
render_database(FILE *f, db_pool *pool)
{
	db_pool_stats ps = {0};
	health_status hs;

	if (pool != NULL)
		db_pool_get_stats(pool, &ps);
	health_snapshot(&hs);

	header(f, "vapi_shim_db_pool_connections", "gauge",
		   "Database worker connections by state (broken: connecting or waiting to reconnect).");
	fprintf(f, "vapi_shim_db_pool_connections{state=\"idle\"} %d\n", ps.idle);
	fprintf(f, "vapi_shim_db_pool_connections{state=\"busy\"} %d\n", ps.busy);
	fprintf(f, "vapi_shim_db_pool_connections{state=\"broken\"} %d\n", ps.broken);

	header(f, "vapi_shim_db_queue_depth", "gauge", "Webhooks waiting for a database connection.");
	fprintf(f, "vapi_shim_db_queue_depth %d\n", ps.queue_depth);

	render_groups(f, &ps);

	header(f, "vapi_shim_inbox_events", "gauge",
		   "Events in the vapi_pool inbox (vapi_pool.inbox_stats(); NaN when unknown).");
	gauge_or_nan(f, "vapi_shim_inbox_events", hs.inbox_known, hs.inbox_events);
	header(f, "vapi_shim_inbox_failed", "gauge",
		   "Inbox events that failed processing: the dead-letter queue (NaN when unknown).");
	gauge_or_nan(f, "vapi_shim_inbox_failed", hs.inbox_known, hs.inbox_failed);

	header(f, "vapi_shim_outbox_jobs", "gauge",
		   "Outbound jobs by state (vapi_pool.outbox_stats(); due: pending and due now; NaN when unknown).");
	outbox_gauge(f, "pending", &hs, HEALTH_OUTBOX_PENDING);
	outbox_gauge(f, "due", &hs, HEALTH_OUTBOX_DUE);
	outbox_gauge(f, "in_flight", &hs, HEALTH_OUTBOX_IN_FLIGHT);
	outbox_gauge(f, "dead", &hs, HEALTH_OUTBOX_DEAD);
	header(f, "vapi_shim_outbox_oldest_due_seconds", "gauge",
		   "How long the oldest due outbox job has waited for a dispatcher (0 when none; NaN when unknown).");
	gauge_or_nan(f, "vapi_shim_outbox_oldest_due_seconds", hs.inbox_known, hs.outbox[HEALTH_OUTBOX_OLDEST_DUE_S]);

	header(f, "vapi_shim_pools_running_dry", "gauge",
		   "Active number pools that run dry in under 7 days at the last week's rate (vapi_pool.pool_status; NaN when unknown).");
	operations_gauge(f, "vapi_shim_pools_running_dry", "", &hs, HEALTH_POOLS_RUNNING_DRY);
	header(f, "vapi_shim_pool_days_until_dry_min", "gauge",
		   "The fewest days until an active pool runs dry (+Inf when none is running dry; NaN when unknown).");
	operations_gauge(f, "vapi_shim_pool_days_until_dry_min", "", &hs, HEALTH_MIN_DAYS_UNTIL_DRY);
	header(f, "vapi_shim_pool_numbers_unhealthy", "gauge",
		   "Pool numbers by health state (vapi_pool.number_health: watch or burned; NaN when unknown).");
	operations_gauge(f, "vapi_shim_pool_numbers_unhealthy", "{health=\"watch\"}", &hs, HEALTH_NUMBERS_WATCH);
	operations_gauge(f, "vapi_shim_pool_numbers_unhealthy", "{health=\"burned\"}", &hs, HEALTH_NUMBERS_BURNED);
}

/*
 * The whole exposition as a malloc'd string (its length in *len), or NULL
 * when out of memory.
 */
char *
metrics_render(db_pool *pool, size_t *len)
{
	char	   *text = NULL;
	FILE	   *f = open_memstream(&text, len);

	if (f == NULL)
		return NULL;
	render_requests(f);
	render_webhooks(f);
	render_database(f, pool);
	if (fclose(f) != 0)
	{
		free(text);
		return NULL;
	}
	return text;
}
