/*
 * e164_regex.c
 *	  Backtracking matcher for the programs compiled by gen_e164_metadata.py.
 *
 * A program is a list of E164RegexInst; x and y index the program's own code.
 * CLASS and SAVE continue at the next instruction; SPLIT tries x, then y;
 * JMP goes to x; EOL succeeds only at the end of the input; MATCH accepts.
 *
 * The search is a depth-first walk in priority order (RE2/Perl leftmost-first)
 * with an explicit stack, like RE2's BitState: a bitmap of visited
 * (instruction, position) states makes sure no state is explored twice, so the
 * work is bounded by program length * (input length + 1).  A state seen before
 * has already failed (the first success ends the search), whatever the
 * captures were then.  Bitmap and stack live on the C stack; only a program or
 * input far larger than anything in libphonenumber's metadata falls back to
 * malloc.
 *
 * Plain C99, no PostgreSQL dependency.
 */
#include <stdlib.h>
#include <string.h>

#include "e164/e164_regex.h"
#include "e164/e164_metadata.h"

/* Visited-state bitmap on the C stack: 32768 states. */
#define E164RX_MEMO_WORDS 512

/* Backtracking jobs on the C stack before spilling to the heap. */
#define E164RX_STACK_JOBS 256

#define E164RX_SLOTS (2 * (E164_REGEX_MAX_GROUPS + 1))

/* A pending branch (slot < 0) or a capture slot to restore to pos. */
typedef struct E164RegexJob
{
	int32_t		pc;
	int32_t		pos;
	int32_t		slot;
} E164RegexJob;

/* State of one search. */
typedef struct E164RegexSearch
{
	const E164RegexProgram *prog;
	const char *digits;
	int			len;
	bool		full;			/* accept only a match of the whole input */
	bool		want_caps;
	int			slots[E164RX_SLOTS];
	uint64_t   *visited;
	E164RegexJob *jobs;
	int			njobs;
	int			maxjobs;
	bool		jobs_on_heap;
	bool		oom;
} E164RegexSearch;

/* Program for a pattern index, or NULL if the index is out of range. */
static const E164RegexProgram *
rx_program(E164Pattern p)
{
	if (p < 0 || p >= e164_regex_program_count)
		return NULL;
	return &e164_regex_programs[p];
}

/* Mark (pc, pos) visited; false if it already was. */
static inline bool
rx_visit(E164RegexSearch *s, int32_t pc, int32_t pos)
{
	size_t		bit = (size_t) pos * (size_t) s->prog->length + (size_t) pc;
	uint64_t	mask = UINT64_C(1) << (bit & 63);

	if (s->visited[bit >> 6] & mask)
		return false;
	s->visited[bit >> 6] |= mask;
	return true;
}

/* Grow the job stack onto the heap; false when out of memory. */
static bool
rx_grow(E164RegexSearch *s)
{
	int			newmax = s->maxjobs * 2;
	E164RegexJob *n;

	if (s->jobs_on_heap)
		n = realloc(s->jobs, (size_t) newmax * sizeof(E164RegexJob));
	else
	{
		n = malloc((size_t) newmax * sizeof(E164RegexJob));
		if (n != NULL)
			memcpy(n, s->jobs, (size_t) s->njobs * sizeof(E164RegexJob));
	}
	if (n == NULL)
	{
		s->oom = true;
		return false;
	}
	s->jobs = n;
	s->maxjobs = newmax;
	s->jobs_on_heap = true;
	return true;
}

/* Push a job; false when out of memory. */
static inline bool
rx_push(E164RegexSearch *s, int32_t pc, int32_t pos, int32_t slot)
{
	if (s->njobs == s->maxjobs && !rx_grow(s))
		return false;
	s->jobs[s->njobs].pc = pc;
	s->jobs[s->njobs].pos = pos;
	s->jobs[s->njobs].slot = slot;
	s->njobs++;
	return true;
}

/* True if input byte c is a digit whose bit is set in mask. */
static inline bool
rx_class(uint16_t mask, char c)
{
	unsigned	d = (unsigned char) c - (unsigned) '0';

	return d <= 9 && (mask >> d) & 1;
}

/*
 * Follow one thread from (pc, pos) until it fails (false) or matches (true,
 * *end set), pushing the alternatives it passes by.
 */
static bool
rx_thread(E164RegexSearch *s, int32_t pc, int32_t pos, int *end)
{
	const E164RegexInst *code = s->prog->code;

	for (;;)
	{
		const E164RegexInst *inst;

		if (!rx_visit(s, pc, pos))
			return false;
		inst = &code[pc];
		switch ((E164RegexOp) inst->op)
		{
			case E164RX_CLASS:
				if (pos >= s->len || !rx_class(inst->arg, s->digits[pos]))
					return false;
				pc++;
				pos++;
				break;
			case E164RX_SPLIT:
				if (!rx_push(s, inst->y, pos, -1))
					return false;
				pc = inst->x;
				break;
			case E164RX_JMP:
				pc = inst->x;
				break;
			case E164RX_SAVE:
				if (s->want_caps && inst->arg < E164RX_SLOTS)
				{
					if (!rx_push(s, 0, s->slots[inst->arg], inst->arg))
						return false;
					s->slots[inst->arg] = pos;
				}
				pc++;
				break;
			case E164RX_EOL:
				if (pos != s->len)
					return false;
				pc++;
				break;
			case E164RX_MATCH:
				if (s->full && pos != s->len)
					return false;
				*end = pos;
				return true;
			default:
				return false;
		}
	}
}

/* Depth-first search in priority order; match end, or -1. */
static int
rx_search(E164RegexSearch *s)
{
	int			end = -1;

	if (!rx_push(s, 0, 0, -1))
		return -1;
	while (s->njobs > 0 && !s->oom)
	{
		E164RegexJob job = s->jobs[--s->njobs];

		if (job.slot >= 0)
			s->slots[job.slot] = job.pos;
		else if (rx_thread(s, job.pc, job.pos, &end))
			return end;
	}
	return -1;
}

/*
 * Run program p over digits[0..len); full demands the whole input.  Returns
 * the match length or -1; fills caps as e164_regex_consume documents.
 */
static int
rx_run(E164Pattern p, const char *digits, int len, bool full, int *caps)
{
	const E164RegexProgram *prog = rx_program(p);
	uint64_t	memo[E164RX_MEMO_WORDS];
	E164RegexJob stack[E164RX_STACK_JOBS];
	E164RegexSearch s;
	size_t		words;
	int			end;
	int			i;

	if (prog == NULL || len < 0 || (len > 0 && digits == NULL))
		return -1;
	if (caps != NULL)
		for (i = 0; i < 2 * (prog->ngroups + 1); i++)
			caps[i] = -1;

	words = ((size_t) prog->length * ((size_t) len + 1) + 63) / 64;
	s.prog = prog;
	s.digits = digits;
	s.len = len;
	s.full = full;
	s.want_caps = caps != NULL && prog->ngroups > 0;
	for (i = 0; i < E164RX_SLOTS; i++)
		s.slots[i] = -1;
	s.visited = words <= E164RX_MEMO_WORDS ? memo : calloc(words, sizeof(uint64_t));
	if (s.visited == NULL)
		return -1;
	if (s.visited == memo)
		memset(memo, 0, words * sizeof(uint64_t));
	s.jobs = stack;
	s.njobs = 0;
	s.maxjobs = E164RX_STACK_JOBS;
	s.jobs_on_heap = false;
	s.oom = false;

	end = rx_search(&s);

	if (end >= 0 && caps != NULL)
	{
		caps[0] = 0;
		caps[1] = end;
		for (i = 2; i < 2 * (prog->ngroups + 1) && i < E164RX_SLOTS; i++)
			caps[i] = s.slots[i];
	}
	if (s.visited != memo)
		free(s.visited);
	if (s.jobs_on_heap)
		free(s.jobs);
	return end;
}

/*
 * Anchored prefix match with leftmost-first priority (RE2 Consume): length of
 * the preferred match at the start of digits[0..len), or -1.
 */
int
e164_regex_consume(E164Pattern p, const char *digits, int len, int *caps)
{
	return rx_run(p, digits, len, false, caps);
}

/* True if some path of program p matches all of digits[0..len) (FullMatch). */
bool
e164_regex_full_match(E164Pattern p, const char *digits, int len)
{
	return rx_run(p, digits, len, true, NULL) == len;
}
