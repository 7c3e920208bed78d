/*
 * text_distance.c
 *	  The edit distance of two short words, stopped as soon as it exceeds
 *	  what the caller tolerates.
 *
 * Levenshtein's distance (a letter inserted, deleted or replaced is one
 * edit), optionally with two adjacent letters swapped as one edit too
 * ("recieve"): the optimal string alignment distance.  Computed row by row;
 * once every entry of a row exceeds max, the distance does, and max + 1 is
 * returned.  Plain C: the reply classifier uses it without PostgreSQL.
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
