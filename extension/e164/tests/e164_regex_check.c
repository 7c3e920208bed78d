/*
 * e164_regex_check.c
 *	  Compares e164_regex_consume/full_match with Python's re.
 *
 * `make e164-regex-check` (run by make test) generates the expected results
 * with e164_regex_check.py, builds this program against e164_regex.c and
 * e164_metadata.c (and again against the --extra patterns' programs.c) and
 * runs both.
 *
 * Exits non-zero on any mismatch.  Also checks the metadata lookups.  For the
 * "--extra" patterns of e164_regex_check.py, link DIR/programs.c instead of
 * e164_metadata.c and pass DIR/data.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e164/e164_metadata.h"
#include "e164/e164_regex.h"

static int	failures = 0;

/* Report a failed lookup check. */
static void
check(bool ok, const char *what)
{
	if (!ok)
	{
		printf("FAIL: %s\n", what);
		failures++;
	}
}

/* A few spot checks of the region tables. */
static void
check_lookups(void)
{
	const E164Region *r;
	int			cc;
	int			i;

	r = e164_region_by_code("us", 2);
	check(r != NULL && strcmp(r->code, "US") == 0 && r->country_code == 1 &&
		  r->main_country, "US");
	r = e164_region_by_code("Ca", 2);
	check(r != NULL && r->country_code == 1 && !r->main_country, "CA");
	r = e164_region_by_code("GB", 2);
	check(r != NULL && r->country_code == 44 && r->main_country, "GB");
	check(e164_region_by_code("001", 3) == NULL, "001 by code");
	check(e164_region_by_code("00", 2) == NULL, "00 by code");
	check(e164_region_by_code("ZZ", 2) == NULL, "ZZ");
	check(e164_region_by_code("U", 1) == NULL, "U");
	check(e164_region_by_code("[S", 2) == NULL, "[S");
	r = e164_region_for_country_code(1);
	check(r != NULL && strcmp(r->code, "US") == 0, "+1");
	r = e164_region_for_country_code(7);
	check(r != NULL && strcmp(r->code, "RU") == 0, "+7");
	r = e164_region_for_country_code(800);
	check(r != NULL && strcmp(r->code, "001") == 0 && r->country_code == 800, "+800");
	check(e164_region_for_country_code(0) == NULL, "+0");
	check(e164_region_for_country_code(999) == NULL, "+999");
	check(e164_region_for_country_code(1000) == NULL, "+1000");
	check(e164_region_for_country_code(-1) == NULL, "+-1");
	for (i = 0; i < e164_region_count; i++)
	{
		r = &e164_regions[i];
		cc = r->country_code;
		if (r->main_country)
			check(e164_region_for_country_code(cc) == r, "main by cc");
		if (strcmp(r->code, "001") != 0)
			check(e164_region_by_code(r->code, 2) == r, "by own code");
		check(r->national_number_pattern >= 0 &&
			  r->national_number_pattern < e164_regex_program_count, "pattern");
	}
	printf("%d regions, %d programs, metadata %s\n",
		   e164_region_count, e164_regex_program_count, e164_metadata_version);
}

/* Compare one data line with the matcher; true if they agree. */
static bool
check_line(char *line)
{
	char	   *tok[3 + 2 + 2 * E164_REGEX_MAX_GROUPS + 1];
	int			ntok = 0;
	int			caps[2 * (E164_REGEX_MAX_GROUPS + 1)];
	char	   *t;
	int			p;
	int			len;
	int			want_end;
	bool		want_full;
	int			end;
	int			g;
	bool		ok = true;

	for (t = strtok(line, " \n"); t != NULL && ntok < (int) (sizeof(tok) / sizeof(tok[0]));
		 t = strtok(NULL, " \n"))
		tok[ntok++] = t;
	if (ntok < 4)
		return ntok == 0;
	p = atoi(tok[0]);
	if (strcmp(tok[1], "-") == 0)
		tok[1] = "";
	len = (int) strlen(tok[1]);
	want_end = atoi(tok[2]);
	want_full = atoi(tok[3]) != 0;

	end = e164_regex_consume((E164Pattern) p, tok[1], len, caps);
	if (end != want_end)
		ok = false;
	for (g = 1; ok && 4 + 2 * g <= ntok; g++)
		if (caps[2 * g] != atoi(tok[2 + 2 * g]) ||
			caps[2 * g + 1] != atoi(tok[3 + 2 * g]))
			ok = false;
	if (ok && end >= 0 && (caps[0] != 0 || caps[1] != end))
		ok = false;
	if (e164_regex_full_match((E164Pattern) p, tok[1], len) != want_full)
		ok = false;
	if (!ok)
		printf("MISMATCH program %d input \"%s\": consume %d (want %d) full %d (want %d)\n",
			   p, tok[1], end, want_end,
			   e164_regex_full_match((E164Pattern) p, tok[1], len), want_full);
	return ok;
}

/* Run every line of the data file; print a summary. */
int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/e164_regex_check.txt";
	FILE	   *f = fopen(path, "r");
	char		line[2048];
	long		cases = 0;
	long		bad = 0;

	if (e164_region_count > 0)
		check_lookups();
	check(e164_regex_consume(-1, "1", 1, NULL) == -1, "pattern -1");
	check(e164_regex_consume((E164Pattern) e164_regex_program_count, "1", 1, NULL) == -1,
		  "pattern out of range");
	if (f == NULL)
	{
		perror(path);
		return 2;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		cases++;
		if (!check_line(line))
			bad++;
	}
	fclose(f);
	printf("%ld strings, %ld mismatches, %d lookup failures\n", cases, bad, failures);
	return bad == 0 && failures == 0 ? 0 : 1;
}
