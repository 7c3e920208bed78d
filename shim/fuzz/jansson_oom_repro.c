/*
 * jansson_oom_repro.c
 *	  Standalone proof that jansson 2.14 mishandles one failed allocation in
 *	  json_loadb(): the bug behind the fuzz target's "attempting free on
 *	  address which was not malloc()-ed" in json_delete (docs/fuzzing.md).
 *
 * `make jansson-oom-repro` builds it with the plain C compiler, no sanitizer
 * (what a production build of the shim sees), and runs it.  Only jansson's
 * public API is used.
 *
 * jansson's lexer keeps the text of the current token in a buffer of 16
 * bytes that doubles as needed.  Its lex_save() ignores a failure to grow
 * that buffer: the byte is dropped and lexing goes on.  Each case below
 * parses a short document whose first token of 16 bytes or more makes the
 * buffer grow to 32 bytes, and fails exactly that one allocation (the first
 * request for 32 bytes); every other allocation succeeds.  What happens
 * depends on the byte that is lost: a byte of a string or a number (cases 1
 * and 2: the parse succeeds with a different document), a string's closing
 * quote (case 3: a heap overflow) or the byte after a number (case 4: an
 * assertion of jansson's own fails, in a child process).
 *
 * Allocations come from an arena in which every block is followed by a
 * 16-byte guard gap, so that writes past the end of a block are seen, and
 * land in the arena rather than in the real heap.  Each gap holds a letter
 * of its own and one '"' byte, which ends the runaway copy of case 3 (in a
 * real heap, the copy ends at whatever '"' byte comes next, or at a fault).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#define ARENA_SIZE 65536
#define GAP 16					/* guard bytes after every block */
#define QUOTE_AT 8				/* where the '"' is in each gap */
#define MAX_BLOCKS 256
#define FAIL_SIZE 32			/* the lexer's buffer growing from 16 bytes */

static unsigned char arena[ARENA_SIZE] __attribute__((aligned(16)));
static size_t arena_used;
static struct
{
	size_t		offset;			/* of the block in the arena */
	size_t		size;			/* what jansson asked for */
	size_t		room;			/* size rounded up to 16: the gap starts here */
	int			request;		/* the allocation request it answered */
}			blocks[MAX_BLOCKS];
static int	nblocks;
static int	requests;			/* allocation requests in this case */
static int	failed_request = -1;	/* which one was refused */

/* The guard byte i of block b, as written when the block was handed out. */
static unsigned char
gap_byte(int b, size_t i)
{
	return i == QUOTE_AT ? '"' : (unsigned char) ('A' + b % 26);
}

/* jansson's malloc: the first FAIL_SIZE-byte request fails, the rest come from the arena. */
static void *
arena_malloc(size_t size)
{
	size_t		room = (size + 15) & ~(size_t) 15;
	unsigned char *p;

	requests++;
	if (size == FAIL_SIZE && failed_request < 0)
	{
		failed_request = requests;
		return NULL;
	}
	if (nblocks == MAX_BLOCKS || arena_used + room + GAP > ARENA_SIZE)
	{
		fprintf(stderr, "jansson_oom_repro: the arena is too small\n");
		exit(2);
	}
	p = arena + arena_used;
	blocks[nblocks].offset = arena_used;
	blocks[nblocks].size = size;
	blocks[nblocks].room = room;
	blocks[nblocks].request = requests;
	memset(p, 0, room);
	for (size_t i = 0; i < GAP; i++)
		p[room + i] = gap_byte(nblocks, i);
	nblocks++;
	arena_used += room + GAP;
	return p;
}

/* jansson's free: arena blocks are never reused, so nothing to do. */
static void
arena_free(void *p)
{
	(void) p;
}

/* Start a case with an empty arena and no failure yet. */
static void
reset(void)
{
	memset(arena, 0, sizeof(arena));
	arena_used = 0;
	nblocks = 0;
	requests = 0;
	failed_request = -1;
}

/*
 * Bytes written past the end of the blocks, that is into their gaps, and
 * into the padding between a block's size and its gap; report each block.
 */
static size_t
damage(void)
{
	size_t		total = 0;

	for (int b = 0; b < nblocks; b++)
	{
		const unsigned char *p = arena + blocks[b].offset;
		size_t		n = 0;

		for (size_t i = blocks[b].size; i < blocks[b].room; i++)
			n += p[i] != 0;
		for (size_t i = 0; i < GAP; i++)
			n += p[blocks[b].room + i] != gap_byte(b, i);
		if (n > 0)
			printf("  %zu byte(s) written past the end of the %zu-byte block of request %d\n",
				   n, blocks[b].size, blocks[b].request);
		total += n;
	}
	return total;
}

/* Parse doc; describe the failed request and whether json_loadb() said so. */
static json_t *
parse(const char *doc, json_error_t *err)
{
	json_t	   *root;

	printf("  input %s\n", doc);
	fflush(stdout);				/* case 4 dies in json_loadb() */
	reset();
	root = json_loadb(doc, strlen(doc), 0, err);
	if (failed_request < 0)
		printf("  no request for %d bytes: this jansson lexes differently\n", FAIL_SIZE);
	else
		printf("  allocation request %d (%d bytes) failed\n", failed_request, FAIL_SIZE);
	if (root != NULL)
		printf("  json_loadb() succeeded\n");
	else
		printf("  json_loadb() failed: \"%s\"\n", err->text);
	return root;
}

/* Case 1: a byte of a string is dropped; the parse succeeds. */
static int
case_string_byte(void)
{
	const char *want = "0123456789abcdefghij";
	json_error_t err;
	json_t	   *root;
	const char *got;
	int			bug;

	printf("case 1: a string's 15th byte is dropped\n");
	root = parse("[\"0123456789abcdefghij\"]", &err);
	got = json_string_value(json_array_get(root, 0));
	bug = root != NULL && got != NULL && strcmp(got, want) != 0;
	if (got != NULL)
		printf("  the string is \"%s\" (%zu bytes), the input's \"%s\" (%zu bytes)\n",
			   got, strlen(got), want, strlen(want));
	json_decref(root);
	printf("  => %s\n\n", bug ? "BUG: a changed document, and no error" : "not reproduced");
	return bug;
}

/* Case 2: a digit of a number is dropped; the parse succeeds. */
static int
case_number_digit(void)
{
	json_int_t	want = 1234567890123456LL;
	json_error_t err;
	json_t	   *root;
	json_t	   *n;
	int			bug;

	printf("case 2: a number's 16th digit is dropped\n");
	root = parse("[1234567890123456]", &err);
	n = json_array_get(root, 0);
	bug = json_is_integer(n) && json_integer_value(n) != want;
	if (json_is_integer(n))
		printf("  the number is %" JSON_INTEGER_FORMAT ", the input's %" JSON_INTEGER_FORMAT "\n",
			   json_integer_value(n), want);
	json_decref(root);
	printf("  => %s\n\n", bug ? "BUG: a changed document, and no error" : "not reproduced");
	return bug;
}

/* Case 3: a string's closing quote is dropped; the copy runs past the buffers. */
static int
case_closing_quote(void)
{
	json_error_t err;
	json_t	   *root;
	size_t		written;

	printf("case 3: a string's closing quote (its 16th byte) is dropped\n");
	root = parse("[\"0123456789abcd\"]", &err);
	written = damage();
	json_decref(root);
	if (written > 0)
		printf("  => BUG: json_loadb() wrote %zu byte(s) past the end of its blocks (a heap overflow;\n"
			   "     with malloc, the copy goes on to the next '\"' byte in the heap, or faults)\n\n",
			   written);
	else
		printf("  => not reproduced\n\n");
	return written > 0;
}

/*
 * Case 4: the byte after a number is dropped; jansson's own assertion in
 * lex_unget_unsave() stops the process.  Run in a child, which dies.
 */
static int
case_after_number(void)
{
	json_error_t err;
	pid_t		pid;
	int			status = 0;
	int			bug;

	printf("case 4: the byte after a number (its 16th byte) is dropped\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		json_decref(parse("[123456789012345]", &err));
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
	{
		perror("jansson_oom_repro: fork");
		exit(2);
	}
	bug = WIFSIGNALED(status);
	if (bug)
		printf("  => BUG: the process died of signal %d (%s)\n\n", WTERMSIG(status),
			   WTERMSIG(status) == SIGABRT ? "SIGABRT: jansson's assertion, message above" : "not an abort");
	else
		printf("  => not reproduced\n\n");
	return bug;
}

int
main(void)
{
	int			bugs = 0;

	json_set_alloc_funcs(arena_malloc, arena_free);
	printf("jansson %s: one failed allocation in json_loadb()\n\n", jansson_version_str());
	bugs += case_string_byte();
	bugs += case_number_digit();
	bugs += case_closing_quote();
	bugs += case_after_number();
	printf("jansson %s mishandled the failed allocation in %d of 4 cases\n", jansson_version_str(), bugs);
	return 0;
}
