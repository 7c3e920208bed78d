/*
 * text_distance.c
 *	  The edit distance of two short words, stopped as soon as it exceeds
 *	  what the caller tolerates; and how a word sounds (its phonetic key).
 *
 * Levenshtein's distance (a letter inserted, deleted or replaced is one
 * edit), optionally with two adjacent letters swapped as one edit too
 * ("recieve"): the optimal string alignment distance.  Computed row by row;
 * once every entry of a row exceeds max, the distance does, and max + 1 is
 * returned.  Plain C: the reply classifier uses it without PostgreSQL.
 *
 * The phonetic key is a consonant skeleton in the manner of Metaphone,
 * kept small: vowels, h, w and y are dropped (an initial vowel is kept as
 * "A"), letters that sound alike are one letter (ph and v are f, c before
 * e, i, y and z are s, other c, ch, g, q are k, x is ks, d is t), silent
 * gh and initial gn, kn are dropped, and a letter sounded twice in a row
 * counts once.  "ryan oh plasty" and "rhinoplasty" are both RNPLST, "vin
 * ears" and "veneers" both FNRS: what a transcriber writes for a name it
 * did not know.
 */
#include "core/text_distance.h"

#include <stdlib.h>

/*
 * The edit distance of a[0..la) and b[0..lb), counting an adjacent
 * transposition as one edit when transpositions is set; max + 1 when it is
 * more than max.  Words longer than VP_EDIT_DISTANCE_MAX_LEN are never
 * within max.
 */
int
vp_edit_distance(const char *a, int la, const char *b, int lb, int max, bool transpositions)
{
	int			rows[3][VP_EDIT_DISTANCE_MAX_LEN + 1];
	int		   *prev2 = rows[0],	/* row i - 2 */
			   *prev = rows[1],		/* row i - 1 */
			   *cur = rows[2];

	if (la > VP_EDIT_DISTANCE_MAX_LEN || lb > VP_EDIT_DISTANCE_MAX_LEN || abs(la - lb) > max)
		return max + 1;
	for (int j = 0; j <= lb; j++)
		prev[j] = j;
	for (int i = 1; i <= la; i++)
	{
		int			row_min;
		int		   *done;

		cur[0] = row_min = i;
		for (int j = 1; j <= lb; j++)
		{
			int			v = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
				prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
			if (v < row_min)
				row_min = v;
		}
		if (row_min > max)
			return max + 1;
		done = prev2;
		prev2 = prev;
		prev = cur;
		cur = done;
	}
	return prev[lb];
}

/* True for the letters a phonetic key drops. */
static bool
silent_letter(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' || c == 'h' || c == 'w';
}

/*
 * The phonetic key of s[0..len) (lower-case ASCII letters and digits) into
 * key (room for at least 2 * len bytes, not terminated); returns its length.
 */
int
vp_phonetic_key(const char *s, int len, char *key)
{
	int			n = 0;

	for (int i = 0; i < len; i++)
	{
		char		c = s[i];
		char		next = i + 1 < len ? s[i + 1] : '\0';
		char		sound[2];
		int			nsound = 1;

		if (silent_letter(c))
		{
			if (i == 0 && c != 'h' && c != 'w' && c != 'y')
				key[n++] = 'A';
			continue;
		}
		switch (c)
		{
			case 'p':
				sound[0] = next == 'h' ? 'F' : 'P';
				break;
			case 'v':
			case 'f':
				sound[0] = 'F';
				break;
			case 'c':
				sound[0] = (next == 'e' || next == 'i' || next == 'y') ? 'S' : 'K';
				break;
			case 'z':
			case 's':
				sound[0] = 'S';
				break;
			case 'g':
				if (next == 'h' || (i == 0 && next == 'n'))
					continue;
				sound[0] = 'K';
				break;
			case 'k':
				if (i == 0 && next == 'n')
					continue;
				sound[0] = 'K';
				break;
			case 'q':
				sound[0] = 'K';
				break;
			case 'x':
				sound[0] = 'K';
				sound[1] = 'S';
				nsound = 2;
				break;
			case 'd':
				sound[0] = 'T';
				break;
			default:
				sound[0] = (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
				break;
		}
		for (int k = 0; k < nsound; k++)
			if (n == 0 || key[n - 1] != sound[k])
				key[n++] = sound[k];
	}
	return n;
}
