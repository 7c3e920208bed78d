/*
 * reply_bench.c
 *	  Throughput of the reply classifier's C core (extension/replies/reply_*.c, the
 *	  code classify_reply runs), without PostgreSQL: one thread, the corpus
 *	  replies in memory, classified over and over.
 *
 * Usage: reply-bench ROUNDS FILE.tsv...
 *	 FILE.tsv  corpus files (id, intent, phone, region, text; "\n" a line break)
 *	 ROUNDS    timed rounds; each lasts at least a quarter of a second; the
 *			   best and the median round are reported
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replies/reply_classify.h"

#define MAX_REPLIES 10000

typedef struct Reply
{
	char	   *text;
	size_t		len;
	char		region[3];
} Reply;

static Reply replies[MAX_REPLIES];
static int	nreplies;
static volatile unsigned long sink;

/* Monotonic seconds. */
static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads one corpus file into replies[]. */
static void
load(const char *path)
{
	FILE	   *fp = fopen(path, "r");
	char		line[16384];

	if (fp == NULL)
	{
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), fp) && nreplies < MAX_REPLIES)
	{
		char	   *f[5];
		char	   *p = line;
		char	   *o;
		Reply	   *r;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		for (int i = 0; i < 5; i++)
		{
			f[i] = p;
			p = i < 4 ? strchr(p, '\t') : NULL;
			if (i < 4 && p == NULL)
			{
				fprintf(stderr, "%s: malformed line\n", path);
				exit(1);
			}
			if (p)
				*p++ = '\0';
		}
		r = &replies[nreplies++];
		snprintf(r->region, sizeof(r->region), "%s", f[3]);
		r->text = malloc(strlen(f[4]) + 1);
		o = r->text;
		for (const char *s = f[4]; *s; s++)
		{
			if (s[0] == '\\' && s[1] == 'n')
			{
				*o++ = '\n';
				s++;
			}
			else
				*o++ = *s;
		}
		*o = '\0';
		r->len = (size_t) (o - r->text);
	}
	fclose(fp);
}

/* Classifies every reply reps times; returns the seconds taken. */
static double
round_once(int reps)
{
	double		t0 = now_sec();
	ReplyResult res;

	for (int k = 0; k < reps; k++)
		for (int i = 0; i < nreplies; i++)
		{
			reply_classify(replies[i].text, replies[i].len, replies[i].region, 2, &res);
			sink += res.intent + (unsigned long) res.has_phone;
		}
	return now_sec() - t0;
}

/* qsort order of doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Loads the corpus, then times the rounds. */
int
main(int argc, char **argv)
{
	int			rounds;
	int			reps = 1;
	double	   *times;

	if (argc < 3)
	{
		fprintf(stderr, "usage: %s ROUNDS FILE.tsv...\n", argv[0]);
		return 2;
	}
	rounds = atoi(argv[1]);
	for (int i = 2; i < argc; i++)
		load(argv[i]);
	if (rounds < 1 || nreplies == 0)
		return 2;
	/* a round lasts at least 0.25 s */
	while (round_once(reps) < 0.25)
		reps *= 2;
	times = malloc(sizeof(double) * rounds);
	for (int r = 0; r < rounds; r++)
		times[r] = round_once(reps);
	qsort(times, rounds, sizeof(double), cmp_double);
	printf("reply_classify, C core without SQL: %.0f replies/s median, %.0f best (%d replies x %d per round, one thread)\n",
		   (double) nreplies * reps / times[rounds / 2], (double) nreplies * reps / times[0], nreplies, reps);
	return 0;
}
