/*
 * e164_regex.h
 *	  A tiny backtracking matcher for libphonenumber's digit patterns.
 *
 * libphonenumber's metadata uses a small regular-expression subset over
 * digits: classes ([0-9], \d, literal digits), groups ((...) and (?:...)),
 * alternation, ?, bounded repeats {n} / {n,m} and the end anchor $.  The
 * generator compiles each pattern into a program for this matcher at build
 * time; matching follows RE2/Perl leftmost-first semantics, as libphonenumber
 * (which uses RE2) does.
 */
#ifndef E164_REGEX_H
#define E164_REGEX_H

#include <stdbool.h>
#include <stdint.h>

#include "e164/e164_metadata.h"

typedef enum E164RegexOp
{
	E164RX_CLASS,				/* match one digit whose bit is set in arg */
	E164RX_SPLIT,				/* try x first, then y */
	E164RX_JMP,					/* go to x */
	E164RX_SAVE,				/* record position in capture slot arg */
	E164RX_EOL,					/* assert end of input ($) */
	E164RX_MATCH				/* success */
} E164RegexOp;

typedef struct E164RegexInst
{
	uint8_t		op;				/* E164RegexOp */
	uint16_t	arg;			/* digit mask (bit d = digit d) or slot */
	int32_t		x;				/* absolute instruction index */
	int32_t		y;
} E164RegexInst;

typedef struct E164RegexProgram
{
	const E164RegexInst *code;
	int32_t		length;			/* instructions */
	int16_t		ngroups;		/* capturing groups */
} E164RegexProgram;

extern const E164RegexProgram e164_regex_programs[];
extern const int e164_regex_program_count;

/* Maximum capturing groups of any program (slots = 2 * (groups + 1)). */
#define E164_REGEX_MAX_GROUPS 4

/*
 * Anchored prefix match (RE2 Consume): returns the length of the match at the
 * start of digits[0..len), or -1.  If caps is not NULL it receives
 * 2 * (ngroups + 1) offsets: caps[2g], caps[2g+1] for group g (group 0 is the
 * whole match); -1 for groups that did not take part.
 */
extern int	e164_regex_consume(E164Pattern p, const char *digits, int len, int *caps);

/* Whole-string match (RE2 FullMatch). */
extern bool e164_regex_full_match(E164Pattern p, const char *digits, int len);

#endif							/* E164_REGEX_H */
