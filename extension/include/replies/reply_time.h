/*
 * reply_time.h
 *	  When a reply asks to be called ("after 5", "tomorrow morning",
 *	  "Tuesday", "en una hora"): the wish read from the lead's own words,
 *	  and the local time it names.
 *
 * Pure C with no PostgreSQL dependency, like the classifier: reading
 * (reply_time_wish) needs only the text; resolving (reply_time_resolve)
 * needs the local date and time the reply arrived in the zone the wish is
 * read in, which the caller computes (replies/reply_time_sql.c does it with
 * PostgreSQL's zone rules).  docs/replies.md states the conventions
 * ("morning" is 09:00, a bare 1 to 7 is p.m., a weekday is the next one
 * strictly after today, ...).
 */
#ifndef REPLY_TIME_H
#define REPLY_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_MAX_DAYS 16
#define RT_MAX_TIMES 16

/* A day the reply names. */
typedef enum RtDayKind
{
	RT_TODAY,
	RT_TOMORROW,
	RT_DAY_AFTER_TOMORROW,
	RT_WEEKDAY,					/* value: ISO day 1..7, the next one after today */
	RT_NEXT_WEEK,				/* Monday of next week */
	RT_WEEKEND,					/* the next Saturday */
	RT_NEXT_MONTH,				/* the first of next month */
	RT_DATE						/* month, value: day of the month */
} RtDayKind;

/* How a time of day the reply names is meant. */
typedef enum RtTimeKind
{
	RT_AFTER,					/* "after 5", "from 5", "between 5 and 7": begun once reached */
	RT_POINT,					/* "at 3", "around 3": tomorrow once past */
	RT_PART,					/* a part of the day, start to end: begun while it lasts */
	RT_BEFORE					/* "before noon": from the day's start (09:00) */
} RtTimeKind;

typedef struct RtDay
{
	uint8_t		kind;			/* RtDayKind */
	uint8_t		month;			/* RT_DATE: 1..12 */
	int16_t		value;
	int16_t		word;			/* where it is said: word and sentence */
	int16_t		sentence;
	int8_t		group;			/* the first day of its list ("Mon or Tues"): they share times */
	bool		aside;			/* said in a sentence not about calling (a short one) */
} RtDay;

typedef struct RtTime
{
	uint8_t		kind;			/* RtTimeKind */
	int16_t		minute;			/* minute of the day, 0..1439 */
	int16_t		end;			/* RT_PART: the minute it ends */
	int16_t		word;			/* where it is said: word and sentence */
	int16_t		sentence;
	int8_t		day;			/* the day it goes with ("Tuesday afternoon"), -1 any */
	bool		aside;			/* said in a sentence not about calling (a short one) */
	bool		busy;			/* a busy-until ("at work until 5"): counts only alone */
	const char *zone;			/* the zone named after it ("5pm Eastern"), else NULL */
} RtTime;

typedef struct ReplyTimeWish
{
	bool		asked;			/* the reply names a time at all */
	bool		now_word;		/* "asap", "whenever", "anytime": at once, unless an "after" time is asked */
	int			ndays;
	RtDay		days[RT_MAX_DAYS];
	int			ntimes;
	RtTime		times[RT_MAX_TIMES];
	int			relative;		/* "in an hour": minutes after arrival; -1 if none */
	int16_t		relative_word;	/* where it is said */
	int16_t		relative_sentence;
	bool		relative_aside;
	const char *zone;			/* "after 5 Eastern": the zone named, else NULL (the lead's) */
} ReplyTimeWish;

/* What a wish comes to, given when the reply arrived. */
typedef enum RtOutcome
{
	RT_NOW,						/* no time asked, or the time asked has begun */
	RT_LOCAL,					/* day and minute, local in the wish's zone */
	RT_RELATIVE					/* minutes after arrival */
} RtOutcome;

typedef struct RtResolved
{
	RtOutcome	outcome;
	int32_t		day;			/* RT_LOCAL: days since 2000-01-01 */
	int			minute;			/* RT_LOCAL: minute of the day */
	int			minutes;		/* RT_RELATIVE */
} RtResolved;

/*
 * Reads the time the lead asks to be called at from text[0..len) (the
 * lead's own words only: quoted messages and signatures are left out, as
 * reply_classify does).  Returns wish->asked.
 */
extern bool reply_time_wish(const char *text, size_t len, ReplyTimeWish *wish);

/*
 * The earliest local time the wish names, the reply having arrived on day
 * (days since 2000-01-01) at minute of the day, local in the wish's zone.
 */
extern RtResolved reply_time_resolve(const ReplyTimeWish *wish, int32_t day, int minute);

/* Days since 2000-01-01 of a civil date, and back. */
extern int32_t rt_days_from_civil(int year, int month, int mday);
extern void rt_civil_from_days(int32_t days, int *year, int *month, int *mday);

#endif							/* REPLY_TIME_H */
