/*
 * tap.h
 *	  A few TAP helpers for the shim's unit test programs.
 *
 * Each program prints "ok N - what" or "not ok N - what" per check and
 * "1..N" at the end, and exits 1 if any check failed.  Diagnostics go to
 * stdout as "# ..." lines, so that they stay next to the check they explain.
 */
#ifndef VAPI_SHIM_TAP_H
#define VAPI_SHIM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_count;
static int	tap_failed;

/* Report one check; returns cond so that callers can add diagnostics. */
static int	ok(int cond, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static int
ok(int cond, const char *fmt,...)
{
	va_list		ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

/* Report a check comparing two integers, showing both when they differ. */
#define is_int(got, want, ...) \
	do { \
		long long tap_got_ = (long long) (got); \
		long long tap_want_ = (long long) (want); \
		if (!ok(tap_got_ == tap_want_, __VA_ARGS__)) \
			printf("#   got %lld, want %lld\n", tap_got_, tap_want_); \
	} while (0)

/* Report a check comparing two strings (either may be NULL). */
#define is_str(got, want, ...) \
	do { \
		const char *tap_got_ = (got); \
		const char *tap_want_ = (want); \
		int tap_same_ = (tap_got_ == NULL || tap_want_ == NULL) ? tap_got_ == tap_want_ \
			: strcmp(tap_got_, tap_want_) == 0; \
		if (!ok(tap_same_, __VA_ARGS__)) \
			printf("#   got \"%s\", want \"%s\"\n", tap_got_ ? tap_got_ : "(null)", \
				   tap_want_ ? tap_want_ : "(null)"); \
	} while (0)

/* Print the plan and return the exit status of the program. */
static int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	if (tap_failed)
		printf("# %d of %d checks failed\n", tap_failed, tap_count);
	return tap_failed ? 1 : 0;
}

#endif							/* VAPI_SHIM_TAP_H */
