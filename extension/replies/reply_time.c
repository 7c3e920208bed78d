/*
 * reply_time.c
 *	  Reading when a lead asks to be called, and the local time it names.
 *
 * The lead's own lines (reply_quote.c: no quoted thread, no signature) are
 * folded to lower-case ASCII words, one sentence after another, and read
 * for three things:
 *
 *	- days: today, tomorrow ("2morrow", "tmrw", Spanish "mañana" when it is
 *	  not "la mañana"), pasado mañana, weekday names in English and Spanish,
 *	  next week, the weekend, next month, a date ("March 12", "3/12", "the
 *	  12th").  A day said not to work ("not Friday", "can't do tomorrow") is
 *	  left out;
 *	- times of day: a clock time is one with a.m./p.m., minutes, "ish", or a
 *	  word that makes it a time ("after", "before", "at", "around",
 *	  "between", "a las", "después de las"); a bare 1 to 7 is p.m., 8 to 11
 *	  a.m.  Parts of the day (morning 09:00-12:00, noon 12:00-13:00,
 *	  afternoon 13:00-17:00, evening 17:00-21:00, and Spanish "por la
 *	  mañana/tarde/noche") count only when no clock time is given: "evening
 *	  after 7" is 19:00.  "until 5" after being busy ("at work until 5") and
 *	  "not before 10" are after; "not mornings" is after noon;
 *	- "in an hour", "in 30 min", "en media hora": minutes after arrival.
 *	  A zone named after a time ("5pm Eastern", "2 PT") moves the reading
 *	  into that zone; "my time" is the lead's.
 *
 * reply_time_resolve() then picks the earliest local time all that names,
 * by the rules in docs/replies.md.  Like the classifier, this is a fixed
 * reading, not a general parser: what it does not recognise, it ignores,
 * and the call is placed at the first allowed time.
 */
#include "replies/reply_internal.h"
#include "replies/reply_time.h"

#include <stdint.h>
#include <string.h>

/* The folded words of the lead's own lines. */
#define RT_MAX_WORDS 600
#define RT_WORD_MAX 24

typedef struct RtWords
{
	char		w[RT_MAX_WORDS][RT_WORD_MAX];
	bool		sentence_end[RT_MAX_WORDS];	/* a . ! ? ; or a line end follows the word */
	bool		clause_end[RT_MAX_WORDS];	/* a comma or a dash follows it (or a sentence ends) */
	int			n;
} RtWords;

static bool is(const char *word, const char *list);
static int	weekday(const char *w);

/* The ASCII letter of a two-byte UTF-8 Latin letter (c3 xx), or 0. */
static char
fold_latin(unsigned char c)
{
	static const char folds[] =
		"aaaaaaaceeeeiiiidnooooo\0ouuuuyts"
		"aaaaaaaceeeeiiiidnooooo\0ouuuuyty";

	return c >= 0x80 && c <= 0xbf ? folds[c - 0x80] : 0;
}

/*
 * Splits text[s..e) into words of letters, digits and the marks inside a
 * time or date ("5:30", "3/12", "2-4", "a.m."), folded to lower case.
 */
static void
split_words(const char *t, int32_t s, int32_t e, RtWords *out)
{
	int32_t		p = s;

	while (p < e && out->n < RT_MAX_WORDS)
	{
		unsigned char c = (unsigned char) t[p];
		char		buf[RT_WORD_MAX];
		int			n = 0;

		if (c == '.' && p > s && p + 1 < e && t[p - 1] >= '0' && t[p - 1] <= '9' && t[p + 1] >= '0' && t[p + 1] <= '9')
		{
			/*
			 * "5.30pm", "at 4.30": a clock time written with a dot (two
			 * digits to 59, said with am/pm or a word that makes it a time);
			 * any other "6.875", "1.5" is a decimal: no time, and no end of
			 * a sentence.
			 */
			char	   *prev = out->n > 0 ? out->w[out->n - 1] : NULL;
			const char *before = out->n > 1 ? out->w[out->n - 2] : "";
			int32_t		q = p + 1;
			bool		clock;

			while (q < e && t[q] >= '0' && t[q] <= '9')
				q++;
			clock = prev != NULL && q - p == 3 && t[p + 1] <= '5' && strlen(prev) <= 2 &&
				((q < e && (t[q] == 'a' || t[q] == 'p' || t[q] == 'A' || t[q] == 'P')) ||
				 (q + 1 < e && t[q] == ' ' && (t[q + 1] == 'a' || t[q + 1] == 'p' || t[q + 1] == 'A' || t[q + 1] == 'P')) ||
				 is(before, "at after before by around about until till from b4 aft"));
			if (clock)
			{
				size_t		len = strlen(prev);

				prev[len] = ':';
				prev[len + 1] = t[p + 1];
				prev[len + 2] = t[p + 2];
				prev[len + 3] = '\0';
				p = q;
				/* "5.30pm": the letters after it */
				while (p < e && ((t[p] >= 'a' && t[p] <= 'z') || (t[p] >= 'A' && t[p] <= 'Z')) && strlen(prev) < 8)
				{
					size_t		l2 = strlen(prev);

					prev[l2] = (char) (t[p] | 0x20);
					prev[l2 + 1] = '\0';
					p++;
				}
				continue;
			}
			while (out->n > 0 && p < e && ((t[p] >= '0' && t[p] <= '9') || t[p] == '.'))
				p++;
			if (out->n > 0)
				out->w[out->n - 1][0] = '\0';
			continue;
		}
		if (c == '.' || c == '!' || c == '?' || c == ';')
		{
			if (out->n > 0)
				out->sentence_end[out->n - 1] = out->clause_end[out->n - 1] = true;
			p++;
			continue;
		}
		if (c == ',' || c == ':' || (c == '-' && p + 1 < e && t[p + 1] == ' ') ||
			(c == 0xe2 && p + 2 < e && (unsigned char) t[p + 1] == 0x80 &&
			 ((unsigned char) t[p + 2] == 0x93 || (unsigned char) t[p + 2] == 0x94)))
		{
			/* a comma, a colon, a dash: the end of a clause */
			if (out->n > 0)
				out->clause_end[out->n - 1] = true;
			p += c == 0xe2 ? 3 : 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (c == 0xc3 && p + 1 < e && fold_latin((unsigned char) t[p + 1]))))
		{
			p++;
			continue;
		}
		while (p < e)
		{
			c = (unsigned char) t[p];
			if (c >= 'A' && c <= 'Z')
				c = c - 'A' + 'a';
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				p++;
			else if (c == 0xc3 && p + 1 < e && fold_latin((unsigned char) t[p + 1]))
			{
				c = (unsigned char) fold_latin((unsigned char) t[p + 1]);
				if (c >= 'A' && c <= 'Z')
					c = c - 'A' + 'a';
				p += 2;
			}
			else if ((c == ':' || c == '/' || c == '-') && n > 0 && buf[n - 1] >= '0' && buf[n - 1] <= '9' &&
					 p + 1 < e && t[p + 1] >= '0' && t[p + 1] <= '9')
				p++;
			else if (c == '\'' && p + 1 < e && ((t[p + 1] | 0x20) >= 'a' && (t[p + 1] | 0x20) <= 'z'))
			{
				p++;			/* "o'clock", "can't", "DON'T": the mark is dropped */
				continue;
			}
			else if (c == 0xe2 && p + 3 < e && (unsigned char) t[p + 1] == 0x80 && (unsigned char) t[p + 2] == 0x99 &&
					 ((t[p + 3] | 0x20) >= 'a' && (t[p + 3] | 0x20) <= 'z'))
			{
				p += 3;			/* "doesn’t": the typographic apostrophe too */
				continue;
			}
			else if (c == '.' && n == 1 && (buf[0] == 'a' || buf[0] == 'p') && p + 1 < e &&
					 (t[p + 1] == 'm' || t[p + 1] == 'M'))
			{
				p++;			/* "a.m.", "p.m." */
				continue;
			}
			else
				break;
			if (n < RT_WORD_MAX - 1)
				buf[n++] = (char) c;
		}
		buf[n] = '\0';
		/* "p.m." leaves a "." after "pm": it does not end the sentence */
		if (n == 2 && buf[1] == 'm' && (buf[0] == 'a' || buf[0] == 'p') && p < e && t[p] == '.')
			p++;
		memcpy(out->w[out->n], buf, n + 1);
		out->sentence_end[out->n] = false;
		out->clause_end[out->n] = false;
		out->n++;
	}
	if (out->n > 0)
		out->sentence_end[out->n - 1] = out->clause_end[out->n - 1] = true;
}

/* Whether word is one of list's space-separated words. */
static bool
is(const char *word, const char *list)
{
	size_t		n = strlen(word);

	for (const char *p = list; *p;)
	{
		const char *e = strchr(p, ' ');
		size_t		len = e ? (size_t) (e - p) : strlen(p);

		if (len == n && memcmp(p, word, n) == 0)
			return true;
		p += len + (e != NULL);
	}
	return false;
}

/* The word at i, or "" outside the words. */
static const char *
at(const RtWords *ws, int i)
{
	return i >= 0 && i < ws->n ? ws->w[i] : "";
}

/* Whether a sentence ends between words i and j (i < j). */
static bool
sentence_between(const RtWords *ws, int i, int j)
{
	for (int k = i; k < j; k++)
		if (k >= 0 && ws->sentence_end[k])
			return true;
	return false;
}

/* Whether one of the three words before i in its sentence says the day or time is not wanted. */
static bool
ruled_out(const RtWords *ws, int i)
{
	/* "any morning but Tuesday" */
	if (is(at(ws, i - 1), "but") && (is(at(ws, i - 2), "any every all") || is(at(ws, i - 3), "any every all") ||
									 is(at(ws, i - 4), "any every all")))
		return true;
	/* a negator before it in its clause ("please don't call in the morning"), up to four words back */
	for (int k = i - 1; k >= 0 && k >= i - 4 && !ws->clause_end[k]; k--)
		if (is(ws->w[k], "not cant cannot no except excepto menos busy dont wont nor ni since because porque"))
			return !is(at(ws, k + 1), "before later than after b4");
	/* "hoy no puedo", "tomorrow doesn't work", "today is bad": said of it, in its clause */
	for (int k = i + 1; k < ws->n && k <= i + 3 && !ws->clause_end[k - 1]; k++)
		if ((is(ws->w[k], "no not cant cannot bad imposible doesnt dont isnt wont") &&
			 !is(at(ws, k + 1), "before b4 after later until till antes despues earlier rush") &&
			 weekday(at(ws, k + 1)) == 0 && !is(at(ws, k + 1), "today tomorrow tmrw tonight hoy manana")) ||
			(is(ws->w[k], "tarde") && is(ws->w[k - 1], "es")))
			return true;			/* not "sat or sun, not b4 10" */
	return false;
}

/* The first index in [from, to] of names whose words hold w, or none. */
static int
index_of(const char *w, const char *const *names, int from, int to, int none)
{
	for (int k = from; k <= to; k++)
		if (is(w, names[k]))
			return k;
	return none;
}

/* ISO weekday of an English or Spanish day name, or 0. */
static int
weekday(const char *w)
{
	static const char *const names[8] = {
		"",
		"mon monday mondays lunes",
		"tue tues tuesday tuesdays martes",
		"wed weds wednesday wednesdays miercoles",
		"thu thur thurs thursday thursdays jueves",
		"fri friday fridays viernes",
		"sat saturday saturdays sabado",
		"sun sunday sundays domingo"
	};

	return index_of(w, names, 1, 7, 0);
}

/* Month 1..12 of a month name, or 0. */
static int
month(const char *w)
{
	static const char *const names[13] = {
		"", "jan january enero", "feb february febrero", "mar march marzo", "apr april abril",
		"may mayo", "jun june junio", "jul july julio", "aug august agosto",
		"sep sept september septiembre", "oct october octubre", "nov november noviembre",
		"dec december diciembre"
	};

	return index_of(w, names, 1, 12, 0);
}

/* The number at the start of s (up to 4 digits) and where it stops, or -1. */
static int
leading_number(const char *s, const char **rest)
{
	int			v = 0,
				n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 4)
		v = v * 10 + (s[n++] - '0');
	*rest = s + n;
	return n == 0 || (s[n] >= '0' && s[n] <= '9') ? -1 : v;
}

/* Where the word being read is: add_day and add_time record it. */
static int	cur_word,
			cur_sentence;
static bool cur_aside;

static void
add_day(ReplyTimeWish *wish, RtDayKind kind, int value, int mon)
{
	if (wish->ndays < RT_MAX_DAYS)
	{
		wish->days[wish->ndays].word = (int16_t) cur_word;
		wish->days[wish->ndays].sentence = (int16_t) cur_sentence;
		wish->days[wish->ndays].group = (int8_t) wish->ndays;
		wish->days[wish->ndays].aside = cur_aside;
		wish->days[wish->ndays].kind = (uint8_t) kind;
		wish->days[wish->ndays].value = (int16_t) value;
		wish->days[wish->ndays].month = (uint8_t) mon;
		wish->ndays++;
	}
	wish->asked = true;
}

static bool
add_time(RtTime *times, int *ntimes, RtTimeKind kind, int minute, int end)
{
	if (*ntimes < RT_MAX_TIMES && minute >= 0 && minute < 24 * 60)
	{
		times[*ntimes].busy = false;
		times[*ntimes].zone = NULL;
		times[*ntimes].kind = (uint8_t) kind;
		times[*ntimes].word = (int16_t) cur_word;
		times[*ntimes].sentence = (int16_t) cur_sentence;
		times[*ntimes].day = -1;
		times[*ntimes].aside = cur_aside;
		times[*ntimes].minute = (int16_t) minute;
		times[*ntimes].end = (int16_t) end;
		(*ntimes)++;
		return true;
	}
	return false;
}

/*
 * Reads a clock time at word i ("5", "5pm", "5:30p", "17:00", "noon"),
 * with what follows it ("pm", "o'clock", "de la tarde"); returns the minute
 * of the day or -1, and in *used the words it took.  strong: the word
 * before makes a bare number a time ("after 5").
 */
static bool clock_was_range;	/* the last clock_time() read a range ("11-1"): its start */

static int
clock_time(const RtWords *ws, int i, bool strong, int *used)
{
	const char *w = at(ws, i);
	const char *rest;
	int			h,
				m = 0,
				ampm = 0;		/* 1 a.m., 2 p.m. */
	bool		marked = false;

	*used = 1;
	clock_was_range = false;
	if (is(w, "noon noonish mediodia midday"))
		return 12 * 60;
	if (is(w, "midnight medianoche"))
		return -1;
	h = leading_number(w, &rest);
	if (h < 0)
		return -1;
	if (*rest == ':')
	{
		const char *r2;

		m = leading_number(rest + 1, &r2);
		if (m < 0 || m > 59 || r2 - rest != 3)
			return -1;
		rest = r2;
		marked = true;
	}
	if (*rest == '-' && rest[1] >= '0' && rest[1] <= '9')
	{
		/* "2-4": from 2 */
		const char *r2;

		if (leading_number(rest + 1, &r2) < 0)
			return -1;
		rest = r2;
		marked = true;
		clock_was_range = true;
	}
	if (is(rest, "am a"))
		ampm = 1;
	else if (is(rest, "pm p"))
		ampm = 2;
	else if (is(rest, "ish"))
		marked = true;
	else if (*rest != '\0')
		return -1;
	if (ampm == 0)
	{
		const char *next = at(ws, i + 1);

		if (is(next, "am"))
			ampm = 1, (*used)++;
		else if (is(next, "pm"))
			ampm = 2, (*used)++;
		else if (is(next, "ish oclock hrs"))
			marked = true, (*used)++;
		else if (is(next, "de") && is(at(ws, i + 2), "la"))
		{
			if (is(at(ws, i + 3), "manana"))
				ampm = 1, *used += 3;
			else if (is(at(ws, i + 3), "tarde noche"))
				ampm = 2, *used += 3;
		}
		else if (is(next, "in") && is(at(ws, i + 2), "the") && is(at(ws, i + 3), "morning"))
			ampm = 1, *used += 3;
		else if (is(next, "in") && is(at(ws, i + 2), "the") && is(at(ws, i + 3), "afternoon evening"))
			ampm = 2, *used += 3;
	}
	if (is(at(ws, i + *used), "y") && is(at(ws, i + *used + 1), "media cuarto"))
	{
		/* "a las 2 y media" */
		m = is(at(ws, i + *used + 1), "media") ? 30 : 15;
		*used += 2;
		marked = true;
	}
	if (ampm == 0 && !marked && !strong)
		return -1;
	/* "5 years", "3 kids": not a time */
	if (is(at(ws, i + *used), "years yrs year months month days day weeks week minutes mins min hours "
		   "hour percent k kids people times anos meses dias semanas"))
		return -1;
	if (ampm != 0)
	{
		if (h < 1 || h > 12)
			return -1;
		h = h % 12 + (ampm == 2 ? 12 : 0);
	}
	else if (h >= 13 && h <= 23 && marked)
		;						/* 17:00 */
	else if (h >= 1 && h <= 7)
		h += 12;
	else if (h >= 8 && h <= 12)
		;
	else
		return -1;
	return h * 60 + m;
}

/* The zone named by the words at i ("eastern", "pt", "my time"), or NULL; *used: words taken. */
static const char *
named_zone(const RtWords *ws, int i, int *used)
{
	const char *w = at(ws, i);

	*used = 1;
	/* "a las 3 hora del este", "hora del centro", "tiempo del pacifico" */
	if (is(w, "hora tiempo") && is(at(ws, i + 1), "del de"))
	{
		const char *z = at(ws, i + 2);

		*used = 3;
		if (is(z, "la") && is(at(ws, i + 3), "montana"))
		{
			*used = 4;
			return "America/Denver";
		}
		return is(z, "este") ? "America/New_York" : is(z, "centro") ? "America/Chicago" :
			is(z, "pacifico california") ? "America/Los_Angeles" : is(z, "texas") ? "America/Chicago" :
			is(z, "nueva") && is(at(ws, i + 3), "york") ? "America/New_York" : NULL;
	}
	if (is(w, "time") && i > 0)
		return NULL;
	if (is(at(ws, i + 1), "time"))
		*used = 2;
	if (is(w, "eastern et est edt east"))
		return "America/New_York";
	if (is(w, "central ct cst cdt"))
		return "America/Chicago";
	if (is(w, "mountain mt mst mdt"))
		return "America/Denver";
	if (is(w, "pacific pt pst pdt"))
		return "America/Los_Angeles";
	if (is(w, "arizona az"))
		return "America/Phoenix";
	if (is(w, "alaska akst akdt"))
		return "America/Anchorage";
	if (is(w, "hawaii hst"))
		return "Pacific/Honolulu";
	return NULL;
}

/* A number word ("two", "dos") as a number, or -1. */
static int
number_word(const char *w)
{
	static const char *const names[13] = {
		"zero cero", "one a an una un uno", "two dos", "three tres", "four cuatro", "five cinco",
		"six seis", "seven siete", "eight ocho", "nine nueve", "ten diez", "eleven once", "twelve doce"
	};
	const char *rest;
	int			v = leading_number(w, &rest);

	if (v >= 0)
		return *rest == '\0' ? v : -1;
	return index_of(w, names, 0, 12, -1);
}

/*
 * A delay after the reply at word k ("an hour", "30 min", "a couple of
 * hours", "half an hour", "un par de horas", "two hours"): its minutes, or
 * -1; *next: the word after it.
 */
static int
delay_at(const RtWords *ws, int k, int *next)
{
	const char *a;
	int			amount;

	if (is(at(ws, k), "like about around approx approximately unas"))
		k++;
	a = at(ws, k);
	if (is(a, "couple par") || (is(a, "a un") && is(at(ws, k + 1), "couple par")))
	{
		k += is(a, "a un") ? 2 : 1;
		k += is(at(ws, k), "of de");
		amount = 120;
	}
	else if (is(a, "half media") || (is(a, "a") && is(at(ws, k + 1), "half")))
	{
		k += is(a, "a") ? 2 : 1;
		k += is(at(ws, k), "an a");
		if (!is(at(ws, k), "hour hr hora"))
			return -1;
		*next = k + 1;
		return 30;
	}
	else if (is(a, "hora") && is(at(ws, k + 1), "y") && is(at(ws, k + 2), "media"))
	{
		*next = k + 3;
		return 90;				/* "en hora y media" */
	}
	else if ((amount = number_word(a)) > 0)
	{
		k++;
		if (is(at(ws, k), "hour hours hr hrs horas hora"))
		{
			int			half = (is(at(ws, k + 1), "and") && is(at(ws, k + 2), "a") && is(at(ws, k + 3), "half")) ? 3 :
				(is(at(ws, k + 1), "y") && is(at(ws, k + 2), "media")) ? 2 : 0;

			*next = k + 1 + half;
			return amount <= 12 ? amount * 60 + (half ? 30 : 0) : -1;
		}
		if (is(at(ws, k), "min mins minute minutes minutos"))
		{
			*next = k + 1;
			return amount <= 240 ? amount : -1;
		}
		return -1;
	}
	else
		return -1;
	if (!is(at(ws, k), "hours hrs horas"))
		return -1;
	*next = k + 1;
	return amount;
}

/*
 * How sentence s of the words speaks of calling: 2 when it says something
 * about calling or being free ("call", "try me", "works", "libre", "I'm
 * home"); 1 when it is short (six words at most), starts with a time
 * ("11am Pacific tomorrow, I'll be at my desk", ten words at most) or is
 * what a call "then" points back to ("Maybe next month. You can call me
 * then."); else 0.  What a sentence of 1 says counts only when no sentence
 * of 2 names a time ("Sunday and Monday I'm off. Call Monday morning.").
 */
static int
about_calling(const RtWords *ws, const int *sent, int s)
{
	int			words = 0,
				used,
				all = 0;
	bool		starts_with_time = false,
				then = false,
				fragment = true;

	for (int i = 0; i < ws->n; i++)
		all += sent[i] == s;

	for (int i = 0; i < ws->n; i++)
	{
		const char *w = ws->w[i];

		if (sent[i] == s + 1 && is(w, "then entonces") && !is(at(ws, i - 1), "until till by since hasta"))
			for (int k = 0; k < ws->n; k++)
				if (sent[k] == s + 1 && is(ws->w[k], "call llame llamen llameme llamame"))
					then = true;
		if (sent[i] != s)
			continue;
		words++;
		if (words <= 2 && all <= 10 && (words == 1 || is(at(ws, i - 1), "el la on this next ok so")) &&
			((weekday(w) != 0 && !is(w, "mondays tuesdays wednesdays thursdays fridays saturdays sundays")) ||
			 is(w, "tomorrow tmrw manana today tonight after before") || clock_time(ws, i, false, &used) >= 0))
			starts_with_time = true;
		if (fragment && weekday(w) == 0 && month(w) == 0 && !(w[0] >= '0' && w[0] <= '9') &&
			!is(w, "tomorrow tmrw today tonight morning mornings afternoon afternoons evening evenings night noon lunch "
				"after aft before b4 at around on the or and this next week weekend wknd pls please ok yes sure or by "
				"until between from early late am pm ish manana tarde noche mediodia por la en el a las de x o y "
				"despues antes mas ish maybe"))
			fragment = false;
		if (is(w, "call") && is(at(ws, i - 1), "on"))
			continue;			/* "I'm on call" */
		if (is(w, "work works") && is(at(ws, i - 1), "doesnt dont would will should that this it which does not "
											 "might can could"))
			return 2;			/* "Wednesday doesn't work", "that would work" */
		if (is(w, "home casa around") && is(at(ws, i - 1), "im am be en estoy estamos"))
			return 2;			/* "I'm home after 2:30", "estoy en casa" */
		if (is(w, "call calls calling ring phone reach try catch contact talk chat speak free available "
			   "availability works suits best better good fine ok okay convenient asap anytime whenever easiest "
			   "easier ideal prefer preferably preferred great perfect please pls plz porfa favor soonest "
			   "earliest "
			   "llamar llame llamen llameme llamame llamenos llamarme marcar marque marqueme marcame marquen "
			   "hablar hable hablemos disponible libre mejor conviene puede pueden puedo bien give llamele telephone "
			   "llamelo llamela llamarle llamarlo marquele"))
			return 2;
	}
	if (words <= 6 && fragment)
		return 2;				/* "Monday morning?", "Tuesday after 4." */
	return starts_with_time || then || words <= 6 ? 1 : 0;
}

/* Whether one of the three words before i in its sentence makes the time an event's ("appointment at 2", "we open at 7:30"). */
static bool
event_time(const RtWords *ws, const int *sent, int i)
{
	for (int k = i - 1; k >= 0 && k >= i - 3 && sent[k] == sent[i]; k--)
		if (is(ws->w[k], "appointment appt appts meeting conference class flight closing close closes closed "
			   "wedding shift dentist doctor surgery game practice break lunch bed open opens opened "
			   "expires expire due cita junta reunion boda vuelo clase turno llega llego entro recital runs ends "
			   "lock deadline"))
			return true;
	return false;
}

/* Removes items [from, to) of an array of n items of size sz; returns the new count. */
static int
drop_range(void *items, size_t sz, int n, int from, int to)
{
	if (to <= from)
		return n;
	memmove((char *) items + from * sz, (char *) items + to * sz, (n - to) * sz);
	return n - (to - from);
}

/*
 * What a "so" or "but" of a sentence does once something follows it: the
 * days (times, parts of the day) said in the sentence before it (from s_*
 * to m_*) give way to those said after it.  m_* < 0: no such word yet.
 */
static void
settle(ReplyTimeWish *wish, RtTime *parts, int *nparts, int s_days, int s_times, int s_parts,
	   int m_days, int m_times, int m_parts, int s_word, int m_word)
{
	/* a delay said before the "but" gives way to what follows it too */
	if (wish->relative >= 0 && m_word >= 0 && wish->relative_word >= s_word && wish->relative_word < m_word &&
		(wish->ndays > m_days || wish->ntimes > m_times || *nparts > m_parts))
		wish->relative = -1;
	if (m_days >= 0 && wish->ndays > m_days)
		wish->ndays = drop_range(wish->days, sizeof(RtDay), wish->ndays, s_days, m_days);
	if (m_times >= 0 && wish->ntimes > m_times)
	{
		int			ntimes = wish->ntimes;

		wish->ntimes = drop_range(wish->times, sizeof(RtTime), ntimes, s_times, m_times);
	}
	if (m_parts >= 0 && *nparts > m_parts)
		*nparts = drop_range(parts, sizeof(RtTime), *nparts, s_parts, m_parts);
}

/*
 * Reads the days, times and relative delays of the words (see the file
 * header).  Only sentences about calling count (about_calling); in a
 * sentence, what follows "so" or "but" replaces what came before it ("I
 * have depositions Tuesday, but Thursday I'm free after 1").  Clock times
 * and parts of the day are collected apart: the parts count only when no
 * clock time is given, and an "after" time said with a part starts no
 * earlier than the part ("evening after 7", "late morning, I'm out till
 * 9:30").  A busy-until ("at work until 5") counts only when no other
 * clock time is given.
 */
static void
read_words(const RtWords *ws, ReplyTimeWish *wish)
{
	RtTime		parts[RT_MAX_TIMES];
	int			nparts = 0;
	static int	sent[RT_MAX_WORDS],
				clause[RT_MAX_WORDS];
	int			nsent = 0,
				nclause = 0,
				now_clause = -1;
	int			s_days = 0,
				s_times = 0,
				s_parts = 0,
				s_word = 0,
				m_word = -1,
				m_days = -1,
				m_times = -1,
				m_parts = -1;
	int			last_clock = -1;	/* the last clock time of the sentence, an event's too */
	int			qualified = 0;

	for (int i = 0; i < ws->n; i++)
	{
		sent[i] = nsent;
		nsent += ws->sentence_end[i];
		clause[i] = nclause;
		nclause += ws->clause_end[i];
	}
	for (int i = 0; i < ws->n; i++)
	{
		const char *w = ws->w[i];
		const char *prev = at(ws, i - 1);
		const char *prev2 = at(ws, i - 2);
		bool		no;
		int			d,
					used,
					minute,
					delay,
					next;

		cur_word = i;
		cur_sentence = sent[i];
		if (i == 0 || sent[i] != sent[i - 1])
		{
			/* a new sentence: settle the last one's "so" / "but" */
			settle(wish, parts, &nparts, s_days, s_times, s_parts, m_days, m_times, m_parts, s_word, m_word);
			s_days = wish->ndays;
			s_times = wish->ntimes;
			s_parts = nparts;
			s_word = i;
			m_word = -1;
			m_days = m_times = m_parts = -1;
			last_clock = -1;
			qualified = about_calling(ws, sent, sent[i]);
			cur_aside = qualified == 1;
		}
		if (qualified == 0)
			continue;
		no = ruled_out(ws, i);

		if (is(w, "but except excepto menos") &&
			(weekday(at(ws, i + 1)) != 0 || is(at(ws, i + 1), "tomorrow tmrw today")) &&
			(is(w, "except excepto menos") || is(prev, "any every all") || is(prev2, "any every all") ||
			 is(at(ws, i - 3), "any every all")))
			continue;			/* "any morning but Tuesday": the day is left out (ruled_out) */
		if (is(w, "so but pero entonces though") || (is(w, "asi") && is(at(ws, i + 1), "que")))
		{
			settle(wish, parts, &nparts, s_days, s_times, s_parts, m_days, m_times, m_parts, s_word, m_word);
			m_days = wish->ndays;
			m_times = wish->ntimes;
			m_parts = nparts;
			m_word = i;
			continue;
		}
		/* "call me asap", "whenever", "anytime" (not "anytime after 5") */
		if ((is(w, "asap whenever") || (is(w, "anytime") && !is(at(ws, i + 1), "after before between from"))) && !no &&
			!(weekday(prev) != 0 || is(prev, "tomorrow tmrw manana weekend wknd")))
		{
			wish->now_word = true;
			now_clause = clause[i];
			wish->asked = true;
			continue;
		}
		/* "after that": after the clock time just said ("I get off at 5, so after that works") */
		if (is(w, "that then eso") && is(prev, "after despues de") && last_clock >= 0 &&
			is(at(ws, i + 1), "works work is call pls please llame llamen llameme marque"))
		{
			add_time(wish->times, &wish->ntimes, RT_AFTER, last_clock, 0);
			wish->asked = true;
			continue;
		}

		/* relative: "in an hour", "in 30 min", "en media hora", "give me an hour" */
		if ((is(w, "in en within") || (is(w, "give") && is(at(ws, i + 1), "me"))) &&
			(delay = delay_at(ws, i + (is(w, "give") ? 2 : 1), &next)) > 0)
		{
			wish->relative = delay;
			wish->relative_word = (int16_t) i;
			wish->relative_sentence = (int16_t) sent[i];
			wish->relative_aside = cur_aside;
			wish->asked = true;
			i = next - 1;
			continue;
		}

		/* days; not one a stay ends on ("traveling until the 15th") */
		if (is(prev, "until till through thru hasta") || (is(prev, "the el") && is(prev2, "until till through thru hasta")))
			no = true;
		if (is(w, "today hoy") && !no)
			add_day(wish, RT_TODAY, 0, 0);
		else if (is(w, "tonight tonite 2nite 2night") && !no)
		{
			add_day(wish, RT_TODAY, 0, 0);
			add_time(parts, &nparts, RT_PART, 17 * 60, 21 * 60);
		}
		else if (is(w, "tomorrow tomorow tommorow tommorrow 2morrow 2morow tmrw tmr tmw tomm tmrow") && !no)
			add_day(wish, RT_TOMORROW, 0, 0);
		else if (is(w, "manana"))
		{
			if (is(prev, "la") && is(prev2, "por en de x"))
			{
				if (!is(prev2, "de"))
					add_time(parts, &nparts, RT_PART, 9 * 60, 12 * 60);
			}
			else if (is(prev, "pasado") && !no)
				add_day(wish, RT_DAY_AFTER_TOMORROW, 0, 0);
			else if (!no)
				add_day(wish, RT_TOMORROW, 0, 0);
		}
		else if ((d = weekday(w)) != 0 && !no && !is(prev, "last past"))
			add_day(wish, RT_WEEKDAY, d, 0);
		else if (is(w, "week") && is(prev, "next") && !no)
			add_day(wish, RT_NEXT_WEEK, 0, 0);
		else if (is(w, "semana") && ((is(prev, "proxima") && is(prev2, "la")) ||
									 (is(at(ws, i + 1), "que") && is(at(ws, i + 2), "viene"))) && !no)
			add_day(wish, RT_NEXT_WEEK, 0, 0);
		else if ((is(w, "weekend wknd wkend") || (is(w, "semana") && is(prev, "de") && is(prev2, "fin"))) && !no &&
				 !is(prev, "long holiday"))
			add_day(wish, RT_WEEKEND, 0, 0);
		else if (is(w, "month") && is(prev, "next") && !no)
			add_day(wish, RT_NEXT_MONTH, 0, 0);
		else if (is(w, "mes") && ((is(prev, "proximo")) ||
								  (is(at(ws, i + 1), "que") && is(at(ws, i + 2), "viene"))) && !no)
			add_day(wish, RT_NEXT_MONTH, 0, 0);
		else if ((d = month(w)) != 0 && !no && !event_time(ws, sent, i))
		{
			/* "March 12", "March 12th", "12 de marzo", "12 March" */
			const char *r;
			int			md = leading_number(at(ws, i + 1), &r);

			if (md >= 1 && md <= 31 && (*r == '\0' || is(r, "st nd rd th")))
				add_day(wish, RT_DATE, md, d), i++;
			else
			{
				int			back = is(prev, "de") ? i - 2 : i - 1;

				md = leading_number(at(ws, back), &r);
				if (md >= 1 && md <= 31 && (*r == '\0' || is(r, "st nd rd th")))
					add_day(wish, RT_DATE, md, d);
			}
		}
		else if (strchr(w, '/') != NULL && !no && !event_time(ws, sent, i))
		{
			/* "3/12", "3/12/2026": month first, as written in the US */
			const char *r,
					   *r2;
			int			mo = leading_number(w, &r),
						md = *r == '/' ? leading_number(r + 1, &r2) : -1;

			if (mo >= 1 && mo <= 12 && md >= 1 && md <= 31 && (*r2 == '\0' || *r2 == '/'))
				add_day(wish, RT_DATE, md, mo);
		}
		else if (is(prev, "the") && !no && !event_time(ws, sent, i))
		{
			const char *r;
			int			md = leading_number(w, &r);

			if (md >= 1 && md <= 31 && is(r, "st nd rd th"))
				add_day(wish, RT_DATE, md, 0);
		}

		/* parts of the day; "this morning" is today's; "all morning" is busy */
		if (is(prev, "all todo toda"))
			;
		else if (is(w, "morning mornings") && !is(prev, "this late"))
		{
			if (no)
				add_time(parts, &nparts, RT_AFTER, 12 * 60, 0);
			else
				add_time(parts, &nparts, RT_PART, 9 * 60, 12 * 60);
		}
		else if (is(w, "morning afternoon evening") && is(prev, "this") && !no)
		{
			add_day(wish, RT_TODAY, 0, 0);
			add_time(parts, &nparts, RT_PART, is(w, "morning") ? 9 * 60 : is(w, "afternoon") ? 13 * 60 : 17 * 60,
					 is(w, "morning") ? 12 * 60 : is(w, "afternoon") ? 17 * 60 : 21 * 60);
		}
		else if (is(w, "morning") && is(prev, "late") && !no)
			add_time(parts, &nparts, RT_PART, 10 * 60, 12 * 60);
		else if (is(w, "lunch lunchtime") && !no &&
				 !(is(at(ws, i + 1), "at") || (is(at(ws, i + 1), "is") && is(at(ws, i + 2), "at"))))
		{
			if (is(prev, "after aft"))
				add_time(parts, &nparts, RT_AFTER, 13 * 60, 0);
			else if (is(prev, "before"))
				add_time(parts, &nparts, RT_BEFORE, 12 * 60, 0);
			else
				add_time(parts, &nparts, RT_PART, 12 * 60, 13 * 60);
		}
		else if (is(w, "almuerzo comida") && is(prev, "del") && is(prev2, "despues"))
			add_time(parts, &nparts, RT_AFTER, 13 * 60, 0);
		else if (is(w, "am pm") && is(prev, "the") && !no)
			add_time(parts, &nparts, RT_PART, is(w, "am") ? 9 * 60 : 13 * 60, is(w, "am") ? 12 * 60 : 17 * 60);
		else if (is(w, "noche tarde") && is(prev, "esta") && !no)
		{
			add_day(wish, RT_TODAY, 0, 0);
			add_time(parts, &nparts, RT_PART, is(w, "tarde") ? 13 * 60 : 17 * 60, is(w, "tarde") ? 17 * 60 : 21 * 60);
		}
		else if (is(w, "afternoon afternoons arvo") && !no)
			add_time(parts, &nparts, RT_PART, is(prev, "late") ? 15 * 60 : 13 * 60, 17 * 60);
		else if (is(w, "evening evenings eve") && !no)
			add_time(parts, &nparts, RT_PART, 17 * 60, 21 * 60);
		else if (is(w, "work dinner") && is(prev, "after") && !no)
			add_time(parts, &nparts, RT_AFTER, 17 * 60, 0);
		else if (is(w, "tarde noche") && is(prev, "la") && is(prev2, "por en x") && !no)
			add_time(parts, &nparts, RT_PART, is(w, "tarde") ? 13 * 60 : 17 * 60,
					 is(w, "tarde") ? 17 * 60 : 21 * 60);
		else if (is(w, "tardes noches") && is(prev, "las") && is(prev2, "por en") && !no)
			add_time(parts, &nparts, RT_PART, is(w, "tardes") ? 13 * 60 : 17 * 60, is(w, "tardes") ? 17 * 60 : 21 * 60);

		/* clock times, with the word before that says how they are meant */
		{
			RtTimeKind kind = RT_POINT;
			bool		strong = false,
						busy = false;
			const char *tzone = NULL;
			int			k = i;

			if (is(prev, "las") && is(prev2, "de"))
			{
				/* "después de las 5", "antes de las 11" */
				kind = is(at(ws, i - 3), "antes hasta") ? RT_BEFORE : RT_AFTER;
				strong = true;
			}
			else if (is(prev, "about around approx approximately like") &&
					 is(prev2, "after until till before by"))
			{
				kind = is(prev2, "after") ? RT_AFTER : RT_BEFORE;
				strong = true;
			}
			else if (is(prev, "after aft past since from onwards despues partir"))
				kind = RT_AFTER, strong = true;
			else if (is(prev, "than") && is(prev2, "earlier sooner later"))
			{
				/* "no earlier than 3", "not later than 5", "later than 4" */
				bool		negated = is(at(ws, i - 3), "no not");

				kind = is(prev2, "later") != negated ? RT_AFTER : RT_BEFORE;
				strong = true;
			}
			else if (is(prev, "before b4 bfore by until till til antes hasta") || (is(prev, "las") && is(prev2, "hasta")))
				kind = RT_BEFORE, strong = true;
			else if (is(prev, "at around about round approx approximately between btw bw entre las"))
				strong = true;
			minute = clock_time(ws, i, strong, &used);
			if (minute < 0)
				continue;
			last_clock = minute;
			if (!is(prev, "until till til hasta") && event_time(ws, sent, i))
			{
				i += used - 1;
				continue;
			}
			if (is(prev, "between entre") || (is(prev, "las") && is(prev2, "entre")) ||
				(clock_was_range && kind == RT_POINT))
				kind = RT_AFTER;	/* a range: from its start */
			if (kind == RT_BEFORE && is(prev, "before b4"))
				for (int b = i - 2; b >= 0 && b >= i - 4 && sent[b] == sent[i]; b--)
					if (is(ws->w[b], "not dont no never"))
					{
						kind = RT_AFTER;	/* "not before 10", "don't call before 3" */
						break;
					}
			if (kind == RT_BEFORE)
			{
				/* "at work until 5", "busy till 3": the call is wanted after it */
				for (int b = i - 2; b >= 0 && b >= i - 6 && sent[b] == sent[i]; b--)
					if (is(ws->w[b], "work working busy meetings meeting office job shift class driving site "
						   "trabajo trabajando ocupado ocupada crew") &&
						!is(at(ws, b - 1), "would will should could might that this it doesnt dont does"))
					{
						kind = RT_AFTER;
						busy = true;
						break;
					}
			}
			k = i + used;
			if (is(at(ws, k), "or") && is(at(ws, k + 1), "later after"))
				kind = RT_AFTER, k += 2;
			else if (is(at(ws, k), "onwards onward on") && kind == RT_POINT)
				kind = RT_AFTER, k++;
			{
				const char *zone;
				int			zused;

				if (is(at(ws, k), "my") && is(at(ws, k + 1), "time"))
					k += 2;
				else if ((zone = named_zone(ws, k, &zused)) != NULL)
				{
					tzone = zone;
					k += zused;
				}
			}
			if (add_time(wish->times, &wish->ntimes, kind, minute, 0))
			{
				wish->times[wish->ntimes - 1].busy = busy;
				wish->times[wish->ntimes - 1].zone = tzone;
			}
			wish->asked = true;
			/* "between 2 and 4", "2-4": the end is not a second wish */
			if (is(at(ws, k), "and to till until y a") && k + 1 < ws->n &&
				!sentence_between(ws, i, k + 1))
			{
				int			u2;

				if (clock_time(ws, k + 1, true, &u2) >= 0)
					k += 1 + u2;
			}
			i = k - 1;
		}
	}
	/* the last sentence's "so" / "but" */
	settle(wish, parts, &nparts, s_days, s_times, s_parts, m_days, m_times, m_parts, s_word, m_word);

	/* what short sentences said counts only when no sentence about calling names a time */
	{
		bool		said = wish->relative >= 0 && !wish->relative_aside;

		for (int d = 0; d < wish->ndays; d++)
			said |= !wish->days[d].aside;
		for (int t = 0; t < wish->ntimes; t++)
			said |= !wish->times[t].aside;
		for (int p = 0; p < nparts; p++)
			said |= !parts[p].aside;
		if (said)
		{
			if (wish->relative_aside)
				wish->relative = -1;
			for (int d = wish->ndays - 1; d >= 0; d--)
				if (wish->days[d].aside)
					wish->ndays = drop_range(wish->days, sizeof(RtDay), wish->ndays, d, d + 1);
			for (int t = wish->ntimes - 1; t >= 0; t--)
				if (wish->times[t].aside)
				{
					wish->ntimes = drop_range(wish->times, sizeof(RtTime), wish->ntimes, t, t + 1);
				}
			for (int p = nparts - 1; p >= 0; p--)
				if (parts[p].aside)
					nparts = drop_range(parts, sizeof(RtTime), nparts, p, p + 1);
		}
	}

	/* a busy-until counts only when no other clock time is given */
	{
		int			strong_times = 0;

		for (int t = 0; t < wish->ntimes; t++)
			strong_times += !wish->times[t].busy;
		if (strong_times > 0)
			for (int t = wish->ntimes - 1; t >= 0; t--)
				if (wish->times[t].busy)
					wish->ntimes = drop_range(wish->times, sizeof(RtTime), wish->ntimes, t, t + 1);
	}
	if (wish->ntimes == 0)
		for (int p = 0; p < nparts; p++)
			wish->times[wish->ntimes++] = parts[p];
	else
	{
		/* "this evening after 7", "late morning, out till 9:30": not before the part */
		for (int t = 0; t < wish->ntimes; t++)
			for (int p = 0; p < nparts; p++)
				if (wish->times[t].kind == RT_AFTER && parts[p].sentence == wish->times[t].sentence &&
					parts[p].kind == RT_PART && parts[p].minute > wish->times[t].minute)
					wish->times[t].minute = parts[p].minute;
	}
	if (wish->ntimes > 0)
		wish->asked = true;
	/* "anytime tomorrow", "whenever next week": the day's, not at once */
	for (int d = 0; d < wish->ndays; d++)
		if (clause[wish->days[d].word] == now_clause)
			wish->now_word = false;
	/* the zone of the times that are left ("Landed at 3pm Pacific. Call me after 5." reads no zone) */
	wish->zone = NULL;
	for (int t = 0; t < wish->ntimes && wish->zone == NULL; t++)
		wish->zone = wish->times[t].zone;
	/* a day said twice is one day, where it was first said ("this morning ... I'm off today") */
	for (int d = wish->ndays - 1; d > 0; d--)
		for (int e = 0; e < d; e++)
			if (wish->days[e].kind == wish->days[d].kind && wish->days[e].value == wish->days[d].value &&
				wish->days[e].month == wish->days[d].month)
			{
				wish->ndays = drop_range(wish->days, sizeof(RtDay), wish->ndays, d, d + 1);
				break;
			}
	/*
	 * A time goes with the day said just before it (or with it) in its
	 * sentence, else with one said right after it ("9am Tuesday", "after 5
	 * on Tuesday"; not "b4 5 if possible, else monday").
	 */
	for (int t = 0; t < wish->ntimes; t++)
	{
		RtTime	   *tm = &wish->times[t];

		for (int d = 0; d < wish->ndays; d++)
			if (wish->days[d].sentence == tm->sentence && wish->days[d].word <= tm->word)
				tm->day = (int8_t) d;
		for (int d = 0; d < wish->ndays && tm->day < 0; d++)
			if (wish->days[d].sentence == tm->sentence && wish->days[d].word > tm->word &&
				wish->days[d].word - tm->word <= 3)
				tm->day = (int8_t) d;
	}

	/*
	 * A list of days ("Mon or Tues after lunch", "sat or sun, not b4 10"):
	 * a day with no time of its own shares those of the next day of the
	 * list.
	 */
	for (int d = 0; d < wish->ndays; d++)
		wish->days[d].group = (int8_t) d;
	for (int d = wish->ndays - 2; d >= 0; d--)
	{
		bool		own = false;

		for (int t = 0; t < wish->ntimes; t++)
			own |= wish->times[t].day == d;
		if (!own && wish->days[d + 1].sentence == wish->days[d].sentence &&
			wish->days[d + 1].word - wish->days[d].word <= 2)
			wish->days[d].group = wish->days[d + 1].group;
	}
}

/* See reply_time.h. */
bool
reply_time_wish(const char *text, size_t len, ReplyTimeWish *wish)
{
	static ReplyWork w;			/* only lines are used; too large for some stacks */
	static RtWords ws;

	memset(wish, 0, sizeof(*wish));
	wish->relative = -1;
	w.text = text;
	w.len = (int32_t) (len > REPLY_MAX_ANALYSED ? REPLY_MAX_ANALYSED : len);
	reply_own_lines(&w);
	ws.n = 0;
	for (int l = 0; l < w.nlines; l++)
		if (w.lines[l].zone == ZONE_BODY && w.lines[l].start < w.lines[l].end)
			split_words(text, w.lines[l].start, w.lines[l].end, &ws);
	read_words(&ws, wish);
	return wish->asked;
}

/* ---------------------------------------------------------------- resolving */

/* See reply_time.h (the days_from_civil algorithm of H. Hinnant, counted from 2000-01-01). */
int32_t
rt_days_from_civil(int y, int m, int d)
{
	int			era;
	unsigned	yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned) (y - era * 400);
	doy = (unsigned) ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t) doe - 719468 - 10957;
}

/* See reply_time.h. */
void
rt_civil_from_days(int32_t z, int *year, int *month_out, int *mday)
{
	int32_t		era;
	unsigned	doe,
				yoe,
				doy,
				mp;
	int			y;

	z += 719468 + 10957;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int) yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*mday = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month_out = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = y + (*month_out <= 2);
}

/* ISO day of the week of a day since 2000-01-01 (a Saturday). */
static int
iso_weekday(int32_t day)
{
	return (int) ((((day % 7) + 7 + 5) % 7) + 1);
}

/* No day: a date that does not exist ("2/30") or that the reply looks back on. */
#define RT_NO_DAY INT32_MIN

/* Days since 2000-01-01 of y-m-d, or RT_NO_DAY when there is no such date. */
static int32_t
date_if_valid(int y, int m, int d)
{
	int32_t		r = rt_days_from_civil(y, m, d);
	int			yy,
				mm,
				dd;

	rt_civil_from_days(r, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d ? r : RT_NO_DAY;
}

/* The day a named day stands for, the reply having arrived on today; RT_NO_DAY for none. */
static int32_t
day_of(const RtDay *d, int32_t today)
{
	int			dow = iso_weekday(today),
				y,
				m,
				md;

	switch ((RtDayKind) d->kind)
	{
		case RT_TODAY:
			return today;
		case RT_TOMORROW:
			return today + 1;
		case RT_DAY_AFTER_TOMORROW:
			return today + 2;
		case RT_WEEKDAY:
			return today + ((d->value - dow + 6) % 7) + 1;
		case RT_NEXT_WEEK:
			return today + (8 - dow);
		case RT_WEEKEND:
			return today + ((6 - dow + 6) % 7) + 1;
		case RT_NEXT_MONTH:
			rt_civil_from_days(today, &y, &m, &md);
			return m == 12 ? rt_days_from_civil(y + 1, 1, 1) : rt_days_from_civil(y, m + 1, 1);
		case RT_DATE:
			{
				int32_t		r;

				rt_civil_from_days(today, &y, &m, &md);
				if (d->month == 0)
				{
					/*
					 * "the 12th": this month; one that passed up to two weeks
					 * ago is a date the reply looks back on ("your note of the
					 * 2nd"), an earlier one next month's
					 */
					r = date_if_valid(y, m, d->value);
					if (r != RT_NO_DAY && r < today && r >= today - 14)
						return RT_NO_DAY;
					if (r == RT_NO_DAY || r < today)
						r = m == 12 ? date_if_valid(y + 1, 1, d->value) : date_if_valid(y, m + 1, d->value);
					return r;
				}
				/* "March 3rd" on 10 March is looked back on; last January's is next January */
				r = date_if_valid(y, d->month, d->value);
				if (r != RT_NO_DAY && r < today && r >= today - 183)
					return RT_NO_DAY;
				return r != RT_NO_DAY && r < today ? date_if_valid(y + 1, d->month, d->value) : r;
			}
	}
	return today;
}

/*
 * The local time a time of day names on day (today: the arrival day, at
 * minute now), as day * 1440 + minute; -1 when it has begun (call now).
 */
static int64_t
time_on(const RtTime *t, int32_t day, int32_t today, int now)
{
	if (day > today)
		return (int64_t) day * 1440 + (t->kind == RT_BEFORE ? 9 * 60 : t->minute);
	switch ((RtTimeKind) t->kind)
	{
		case RT_AFTER:
			return now < t->minute ? (int64_t) today * 1440 + t->minute : -1;
		case RT_POINT:
			return now < t->minute ? (int64_t) today * 1440 + t->minute :
				(int64_t) (today + 1) * 1440 + t->minute;
		case RT_PART:
			if (now < t->minute)
				return (int64_t) today * 1440 + t->minute;
			return now < t->end ? -1 : (int64_t) (today + 1) * 1440 + t->minute;
		case RT_BEFORE:
			if (now < t->minute)
				return now < 9 * 60 ? (int64_t) today * 1440 + 9 * 60 : -1;
			return (int64_t) (today + 1) * 1440 + 9 * 60;
	}
	return -1;
}

/* See reply_time.h: the earliest of every day with every time the wish names. */
RtResolved
reply_time_resolve(const ReplyTimeWish *wish, int32_t today, int now)
{
	RtResolved r = {RT_NOW, 0, 0, 0};
	int64_t		best = INT64_MAX;
	bool		use_days = false;
	int			ndays;

	if (!wish->asked)
		return r;
	if (wish->now_word)
	{
		/* "whenever" is the earliest wish, but not past an "after": "not before 10, after that whenever" */
		bool		after = false;

		for (int t = 0; t < wish->ntimes; t++)
			after |= wish->times[t].kind == RT_AFTER;
		if (!after)
			return r;
	}
	if (wish->relative >= 0)
	{
		r.outcome = RT_RELATIVE;
		r.minutes = wish->relative;
		return r;
	}
	/* days that are no wish (past, impossible) are left out; with none left, today */
	for (int d = 0; d < wish->ndays; d++)
		use_days |= day_of(&wish->days[d], today) != RT_NO_DAY;
	ndays = use_days ? wish->ndays : 1;
	for (int d = 0; d < ndays; d++)
	{
		int32_t		day = use_days ? day_of(&wish->days[d], today) : today;
		bool		own = false,
					any = false;

		if (day == RT_NO_DAY)
			continue;
		/* the day's own times ("Tuesday afternoon"), else those said with no day */
		for (int t = 0; t < wish->ntimes; t++)
		{
			own |= use_days && wish->times[t].day >= 0 &&
				wish->days[wish->times[t].day].group == wish->days[d].group;
			any |= wish->times[t].day < 0;
		}
		if (!own)
		{
			/* "Tuesday the 8th anytime after 9:30": the same date said twice takes its times */
			bool		dated = false;

			for (int e = 0; e < wish->ndays && !dated; e++)
				for (int t = 0; t < wish->ntimes && e != d; t++)
					dated |= wish->times[t].day == e && day_of(&wish->days[e], today) == day;
			if (dated)
				continue;
		}
		if (!own && !any)
		{
			int64_t		v = day > today ? (int64_t) day * 1440 + 9 * 60 : -1;

			if (v < 0)
				return r;		/* "today", "call me anytime today" */
			best = v < best ? v : best;
		}
		for (int t = 0; t < wish->ntimes; t++)
		{
			int64_t		v;

			if (use_days && (own ? (wish->times[t].day < 0 ||
										  wish->days[wish->times[t].day].group != wish->days[d].group) :
									wish->times[t].day >= 0))
				continue;
			v = time_on(&wish->times[t], day, today, now);
			if (v < 0)
				return r;
			best = v < best ? v : best;
		}
	}
	if (best == INT64_MAX)
		return r;
	r.outcome = RT_LOCAL;
	r.day = (int32_t) (best / 1440);
	r.minute = (int) (best % 1440);
	return r;
}
