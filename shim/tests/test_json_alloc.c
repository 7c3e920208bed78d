/*
 * test_json_alloc.c
 *	  Unit tests of the allocator the shim gives jansson (json_alloc.c):
 *	  jansson works through it, and a failed allocation stops the process
 *	  with one log line instead of reaching jansson as NULL.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "json_alloc.h"
#include "tap.h"

/* an allocation no machine grants */
#define IMPOSSIBLE_SIZE ((size_t) 1 << 62)

/* Under ASan, malloc returns NULL for an impossible size instead of reporting it. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* Parsing and serialising go through the installed allocator. */
static void
test_jansson_works(void)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	json_error_t err;
	const char *doc = "{\"a\":[\"0123456789abcdefghij\",1234567890123456]}";
	json_t	   *root;
	char	   *text;

	json_get_alloc_funcs(&m, &f);
	ok(m != NULL && m != malloc && f == free, "jansson allocates through the shim's function, frees with free");

	root = json_loadb(doc, strlen(doc), 0, &err);
	ok(root != NULL, "a document parses");
	text = json_dumps(root, JSON_COMPACT);
	is_str(text, doc, "and serialises unchanged");
	free(text);
	json_decref(root);
}

/* A failed allocation: one log line on stderr, then SIGABRT, never a NULL. */
static void
test_failure_stops(void)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	int			out[2];
	pid_t		pid;
	int			status = 0;
	char		buf[1024];
	const char *line;
	size_t		len = 0;
	ssize_t		n;

	json_get_alloc_funcs(&m, &f);
	if (!ok(pipe(out) == 0, "pipe for the child's stderr"))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		void	   *p;

		dup2(out[1], STDERR_FILENO);
		close(out[0]);
		p = m(IMPOSSIBLE_SIZE);
		/* reached only if the allocator returned */
		_exit(p == NULL ? 3 : 4);
	}
	close(out[1]);
	while (len < sizeof(buf) - 1 && (n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t) n;
	buf[len] = '\0';
	close(out[0]);
	if (!ok(pid > 0 && waitpid(pid, &status, 0) == pid, "the child ran"))
		return;
	if (!ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
			"a failed allocation aborts instead of returning"))
		printf("#   status %d (exit code 3: NULL returned, 4: memory returned)\n",
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* (under ASan, a warning of its own comes first) */
	line = strstr(buf, "ERROR: out of memory: jansson asked for 4611686018427387904 bytes");
	if (!ok(line != NULL && strchr(line, '\n') == buf + len - 1,
			"and says so first, in one line on stderr"))
		printf("#   stderr: %s\n", buf);
}

int
main(void)
{
	shim_json_alloc_install();
	test_jansson_works();
	test_failure_stops();
	return done_testing();
}
