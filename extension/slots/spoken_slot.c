/*
 * spoken_slot.c
 *	  Reading a caller's choice among the times offered in a call
 *	  (release 0.6.0, issue 19).
 *
 * The assistant offers times as it read them from a tool answer ("Tuesday,
 * November 24 at 9:00 AM; Tuesday, November 24 at 9:30 AM") and passes
 * back what the caller chose, in whatever words: the label as offered,
 * "Tuesday at 9", "the 9:30 one", "the second one", "tomorrow afternoon".
 * This file reads those words into parts (weekday, month and day, hour and
 * minute with or without AM/PM, today/tomorrow, a part of the day, a place
 * in the list) and tells whether an offered slot fits every part said.
 * Deciding among the fitting slots (one, several, none) is the caller's
 * (offered_slots.c): this file only reads words.
 *
 * Words are ASCII, case-insensitive; other bytes separate words.  A number
 * is a time when it has a colon, an AM/PM, follows "at", or is 1-12 alone;
 * a day when it has an ordinal suffix (24th) or follows a month name.
 */
#include "slots/spoken_slot.h"
#include "core/chars.h"

#include <string.h>

#define MAX_WORDS 64
#define MAX_WORD 24

static const char *const WEEKDAYS[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
static const char *const WEEKDAY_SHORT[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const MONTHS[] = {"january", "february", "march", "april", "may", "june", "july",
"august", "september", "october", "november", "december"};
static const char *const NUMBER_WORDS[] = {"zero", "one", "two", "three", "four", "five", "six", "seven",
"eight", "nine", "ten", "eleven", "twelve"};
static const char *const ORDINALS[] = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh",
"eighth", "ninth", "tenth"};

/* The words of text, lower case: letters and digits, and ':' inside a number. */
static int
split_words(const char *text, char words[][MAX_WORD])
{
	int			n = 0;
	const char *p = text;

	while (*p != '\0' && n < MAX_WORDS)
	{
		int			len = 0;

		while (*p != '\0' && !vp_is_alnum((unsigned char) *p))
			p++;
		while (*p != '\0' && (vp_is_alnum((unsigned char) *p) ||
							  (*p == ':' && len > 0 && vp_is_digit((unsigned char) p[-1]) &&
							   vp_is_digit((unsigned char) p[1]))))
		{
			if (len < MAX_WORD - 1)
				words[n][len++] = vp_to_lower((unsigned char) *p);
			p++;
		}
		if (len > 0)
		{
			words[n][len] = '\0';
			n++;
		}
	}
	return n;
}

/* The index of word in list (n entries) matched in full, or by its first three letters when prefix; -1 if none. */
static int
index_of(const char *word, const char *const *list, int n, bool prefix)
{
	size_t		len = strlen(word);

	for (int i = 0; i < n; i++)
	{
		if (strcmp(word, list[i]) == 0)
			return i;
		if (prefix && len >= 3 && len < strlen(list[i]) && strncmp(word, list[i], len) == 0)
			return i;
	}
	return -1;
}

/* The weekday (1-7) a word names ("tue", "tues", "tuesday", "tuesdays"), or -1. */
static int
weekday_of(const char *word)
{
	char		w[MAX_WORD];
	size_t		len = strlen(word);
	int			i;

	memcpy(w, word, len + 1);
	if (len > 4 && w[len - 1] == 's')
		w[len - 1] = '\0';		/* plural: "tuesdays" */
	if ((i = index_of(w, WEEKDAYS, 7, true)) >= 0 || (i = index_of(w, WEEKDAY_SHORT, 7, false)) >= 0)
		return i + 1;
	if (strcmp(w, "thur") == 0 || strcmp(w, "thurs") == 0 || strcmp(w, "tues") == 0)
		return strcmp(w, "tues") == 0 ? 2 : 4;
	return -1;
}

/* The month (1-12) a word names ("nov", "november"; "may" only in full), or -1. */
static int
month_of(const char *word)
{
	int			i = index_of(word, MONTHS, 12, true);

	if (i < 0 && strcmp(word, "sept") == 0)
		i = 8;
	return i >= 0 ? i + 1 : -1;
}

/*
 * A number word: digits with an optional ordinal suffix (24, 24th), or
 * one .. twelve.  Returns the value (-1 if none), and whether it had a
 * suffix.
 */
static int
number_of(const char *word, bool *ordinal)
{
	int			v = 0;
	const char *p = word;

	*ordinal = false;
	if (!vp_is_digit((unsigned char) *p))
	{
		int			i = index_of(word, NUMBER_WORDS, 13, false);

		return i;
	}
	while (vp_is_digit((unsigned char) *p) && v < 1000)
		v = v * 10 + (*p++ - '0');
	if (*p == '\0')
		return v;
	if (strcmp(p, "st") == 0 || strcmp(p, "nd") == 0 || strcmp(p, "rd") == 0 || strcmp(p, "th") == 0)
	{
		*ordinal = true;
		return v;
	}
	return -1;
}

/* Reads "9:30" (with minutes) into hour and minute; false if word is not h:mm. */
static bool
clock_of(const char *word, int *hour, int *minute)
{
	int			h = 0,
				m = 0,
				digits = 0;
	const char *p = word;

	while (vp_is_digit((unsigned char) *p) && digits < 3)
		h = h * 10 + (*p++ - '0'), digits++;
	if (digits == 0 || *p != ':')
		return false;
	p++;
	digits = 0;
	while (vp_is_digit((unsigned char) *p) && digits < 3)
		m = m * 10 + (*p++ - '0'), digits++;
	if (digits != 2 || h > 23 || m > 59)
		return false;
	/* "9:30am" written as one word */
	if (*p != '\0' && strcmp(p, "am") != 0 && strcmp(p, "pm") != 0)
		return false;
	*hour = h;
	*minute = m;
	return true;
}

/* Whether word (and the one after it, for "a m") says AM (1), PM (2) or neither (0); *used: words taken. */
static int
meridiem_of(char words[][MAX_WORD], int i, int n, int *used)
{
	const char *w = words[i];

	*used = 1;
	if (strcmp(w, "am") == 0)
		return 1;
	if (strcmp(w, "pm") == 0)
		return 2;
	if ((strcmp(w, "a") == 0 || strcmp(w, "p") == 0) && i + 1 < n && strcmp(words[i + 1], "m") == 0)
	{
		*used = 2;
		return w[0] == 'a' ? 1 : 2;
	}
	return 0;
}

/* Applies AM (1) or PM (2) to a 1-12 hour. */
static void
set_meridiem(VpSpokenChoice *c, int meridiem)
{
	if (meridiem == 0 || c->hour < 1 || c->hour > 12)
		return;
	c->hour = (c->hour % 12) + (meridiem == 2 ? 12 : 0);
	c->meridiem_known = true;
}

/* Sets the time said: hour (0-23 or 1-12) and minute (-1: not said); a second, other time is a conflict. */
static void
set_time(VpSpokenChoice *c, int hour, int minute)
{
	if (c->hour >= 0 && (c->hour % 12 != hour % 12 || (minute >= 0 && c->minute >= 0 && minute != c->minute)))
		c->conflict = true;
	c->hour = hour;
	c->minute = minute;
	c->meridiem_known = hour == 0 || hour > 12;
}

/* Minutes said after an hour: "thirty", "fifteen", "forty five", "oh five", "05"; -1 if none. */
static int
minutes_word(char words[][MAX_WORD], int i, int n, int *used)
{
	static const char *const TENS[] = {"ten", "fifteen", "twenty", "thirty", "forty", "fifty"};
	static const int TEN_VALUES[] = {10, 15, 20, 30, 40, 50};
	int			t = index_of(words[i], TENS, 6, false);
	bool		ordinal;
	int			v;

	*used = 1;
	/* "nine oh five": 9:05 */
	if ((strcmp(words[i], "oh") == 0 || strcmp(words[i], "o") == 0) && i + 1 < n &&
		(v = number_of(words[i + 1], &ordinal)) >= 1 && v <= 9 && !ordinal && strlen(words[i + 1]) <= 5)
	{
		*used = 2;
		return v;
	}
	if (t >= 0)
	{
		v = TEN_VALUES[t];
		if (v % 10 == 0 && v >= 20 && i + 1 < n && (t = number_of(words[i + 1], &ordinal)) >= 1 && t <= 9 &&
			!ordinal && !vp_is_digit((unsigned char) words[i + 1][0]))
		{
			*used = 2;
			v += t;
		}
		return v;
	}
	if (vp_is_digit((unsigned char) words[i][0]) && (v = number_of(words[i], &ordinal)) >= 0 && !ordinal &&
		strlen(words[i]) == 2 && v < 60)
		return v;
	return -1;
}

/*
 * Reads a choice from text.  Returns false when the text names no part of
 * a time at all (then nothing can be chosen from it).
 */
bool
vp_spoken_choice_parse(const char *text, VpSpokenChoice *c)
{
	char		words[MAX_WORDS][MAX_WORD];
	int			n = split_words(text, words);
	bool		said = false;
	bool		after_at = false;

	c->weekday = c->month = c->day = c->hour = c->minute = c->relative_day = -1;
	c->meridiem_known = false;
	c->conflict = false;
	c->day_part = VP_DAY_ANY;
	c->position = -1;

	for (int i = 0; i < n; i++)
	{
		const char *w = words[i];
		bool		ordinal;
		int			v,
					h,
					m,
					used;

		if ((v = weekday_of(w)) > 0)
			c->weekday = v, said = true;
		else if ((v = month_of(w)) > 0 && (strcmp(w, "may") != 0 || (i + 1 < n && vp_is_digit((unsigned char) words[i + 1][0]))))
		{
			c->month = v, said = true;
			if (i + 1 < n && (v = number_of(words[i + 1], &ordinal)) >= 1 && v <= 31 &&
				vp_is_digit((unsigned char) words[i + 1][0]))
				c->day = v, i++;
		}
		else if (strcmp(w, "today") == 0 || strcmp(w, "tonight") == 0)
			c->relative_day = 0, said = true;
		else if (strcmp(w, "tomorrow") == 0)
			c->relative_day = 1, said = true;
		else if (strcmp(w, "morning") == 0)
			c->day_part = VP_DAY_MORNING, said = true;
		else if (strcmp(w, "afternoon") == 0)
			c->day_part = VP_DAY_AFTERNOON, said = true;
		else if (strcmp(w, "evening") == 0)
			c->day_part = VP_DAY_EVENING, said = true;
		else if (strcmp(w, "noon") == 0 || strcmp(w, "midday") == 0)
			set_time(c, 12, 0), c->meridiem_known = true, said = true;
		else if (strcmp(w, "last") == 0)
			c->position = 0, said = true;
		else if ((v = index_of(w, ORDINALS, 10, false)) >= 0)
			c->position = v + 1, said = true;
		else if (strcmp(w, "half") == 0 && i + 2 < n && strcmp(words[i + 1], "past") == 0 &&
				 (v = number_of(words[i + 2], &ordinal)) >= 1 && v <= 12 && !ordinal)
			set_time(c, v, 30), i += 2, said = true;
		else if (strcmp(w, "quarter") == 0 && i + 2 < n && strcmp(words[i + 1], "past") == 0 &&
				 (v = number_of(words[i + 2], &ordinal)) >= 1 && v <= 12 && !ordinal)
			set_time(c, v, 15), i += 2, said = true;
		else if (clock_of(w, &h, &m))
		{
			set_time(c, h, m), said = true;
			if (strlen(w) > 2 && (strcmp(w + strlen(w) - 2, "am") == 0 || strcmp(w + strlen(w) - 2, "pm") == 0))
				set_meridiem(c, w[strlen(w) - 2] == 'a' ? 1 : 2);
		}
		else if (vp_is_digit((unsigned char) w[0]) && strlen(w) > 2 &&
				 (strcmp(w + strlen(w) - 2, "am") == 0 || strcmp(w + strlen(w) - 2, "pm") == 0))
		{
			/* "9am" */
			char		digits[MAX_WORD];

			memcpy(digits, w, strlen(w) - 2);
			digits[strlen(w) - 2] = '\0';
			if ((v = number_of(digits, &ordinal)) >= 1 && v <= 12 && !ordinal)
				set_time(c, v, -1), set_meridiem(c, w[strlen(w) - 2] == 'a' ? 1 : 2), said = true;
		}
		else if (strcmp(w, "one") == 0 && !after_at &&
				 !(i + 1 < n && (meridiem_of(words, i + 1, n, &used) > 0 || strcmp(words[i + 1], "o") == 0)))
			;					/* "the 9 AM one", "the first one": not a time */
		else if ((v = number_of(w, &ordinal)) >= 0)
		{
			bool		digits = vp_is_digit((unsigned char) w[0]);

			if (ordinal && v >= 1 && v <= 31)
			{
				/* "the 24th"; but "the 2nd one" is a place in the list */
				if (i + 1 < n && strcmp(words[i + 1], "one") == 0 && v <= 10)
					c->position = v, i++;
				else
					c->day = v;
				said = true;
			}
			else if (!ordinal && (after_at || (v >= 1 && v <= 12)) && v <= 23 && (digits || v >= 1))
			{
				set_time(c, v, -1), said = true;
				if (i + 1 < n && (m = minutes_word(words, i + 1, n, &used)) >= 0)
					c->minute = m, i += used;
				if (i + 1 < n && (m = meridiem_of(words, i + 1, n, &used)) > 0)
					set_meridiem(c, m), i += used;
				else if (i + 1 < n && strcmp(words[i + 1], "o") == 0 && i + 2 < n && strcmp(words[i + 2], "clock") == 0)
					i += 2, c->minute = 0;
			}
			else if (!ordinal && digits && v >= 13 && v <= 31)
				c->day = v, said = true;
		}
		else if ((v = meridiem_of(words, i, n, &used)) > 0 && c->hour >= 1)
			set_meridiem(c, v), i += used - 1;
		after_at = strcmp(w, "at") == 0;
	}
	return said;
}

/* Whether the choice names the minutes ("9:30", "nine thirty") rather than an hour alone. */
bool
vp_spoken_choice_says_minute(const VpSpokenChoice *c)
{
	return c->minute >= 0;
}

/* Whether an offered slot fits every part the caller said. */
bool
vp_spoken_choice_fits(const VpSpokenChoice *c, const VpOfferedParts *s)
{
	if (c->weekday > 0 && c->weekday != s->weekday)
		return false;
	if (c->month > 0 && c->month != s->month)
		return false;
	if (c->day > 0 && c->day != s->day)
		return false;
	if (c->relative_day >= 0 && c->relative_day != s->days_from_today)
		return false;
	if (c->hour >= 0)
	{
		if (c->meridiem_known ? c->hour != s->hour : c->hour % 12 != s->hour % 12)
			return false;
		/* an hour alone means that hour's slots, not the next hour's */
		if (c->minute >= 0 && c->minute != s->minute)
			return false;
	}
	if (c->day_part == VP_DAY_MORNING && s->hour >= 12)
		return false;
	if (c->day_part == VP_DAY_AFTERNOON && (s->hour < 12 || s->hour >= 17))
		return false;
	if (c->day_part == VP_DAY_EVENING && s->hour < 17)
		return false;
	if (c->position > 0 && c->position != s->position)
		return false;
	if (c->position == 0 && !s->last)
		return false;
	return true;
}
