/*
 * spoken_slot.h
 *	  Which of the times offered in a call a caller means (release 0.6.0).
 *
 * Plain C, no PostgreSQL headers: the words of a choice ("Tuesday at 9",
 * "the 9:30 one", "the second one", "November 25 in the afternoon") are
 * read into a VpSpokenChoice, and an offered slot, given as its local
 * parts, fits it or not.  offered_slots.c does the database side.
 */
#ifndef VAPI_POOL_SPOKEN_SLOT_H
#define VAPI_POOL_SPOKEN_SLOT_H

#include <stdbool.h>

/* parts of the day a caller may name */
typedef enum VpDayPart
{
	VP_DAY_ANY = 0,
	VP_DAY_MORNING,				/* before noon */
	VP_DAY_AFTERNOON,			/* noon to 5 PM */
	VP_DAY_EVENING				/* 5 PM on */
} VpDayPart;

/* What a caller said about a time; -1 (or VP_DAY_ANY) where they said nothing. */
typedef struct VpSpokenChoice
{
	int			weekday;		/* 1 Monday .. 7 Sunday (ISO) */
	int			month;			/* 1 .. 12 */
	int			day;			/* 1 .. 31 */
	int			hour;			/* 0 .. 23 when meridiem is known, else 1 .. 12 */
	bool		meridiem_known; /* AM/PM said (or implied: noon, 13:00) */
	int			minute;			/* 0 .. 59 */
	int			relative_day;	/* 0 today, 1 tomorrow */
	VpDayPart	day_part;
	int			position;		/* 1-based place in the last list offered; 0 for the last one */
	bool		conflict;		/* two different times were said ("at 9, no, 10") */
} VpSpokenChoice;

/* An offered slot's local parts. */
typedef struct VpOfferedParts
{
	int			weekday;		/* 1 Monday .. 7 Sunday */
	int			month;
	int			day;
	int			hour;			/* 0 .. 23 */
	int			minute;
	int			days_from_today;	/* in the calendar's zone */
	int			position;		/* in the last list offered; -1 when not in it */
	bool		last;			/* the last of that list */
} VpOfferedParts;

extern bool vp_spoken_choice_parse(const char *text, VpSpokenChoice *choice);
extern bool vp_spoken_choice_fits(const VpSpokenChoice *choice, const VpOfferedParts *slot);
extern bool vp_spoken_choice_says_minute(const VpSpokenChoice *choice);

#endif							/* VAPI_POOL_SPOKEN_SLOT_H */
