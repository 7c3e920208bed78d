// e164_bench.cc
//   Parse throughput: vapi_pool's C parser (extension/e164/e164_parse.c) against
//   Google's libphonenumber, over the differential-test corpus.
//
// Usage: e164-bench CORPUS.tsv [ROUNDS]
//   CORPUS.tsv   lines "input<TAB>region[<TAB>...]" (t/e164/gen_corpus.py)
//   ROUNDS       timed rounds per parser (default 7); the best and the median
//                round are reported
//
// Both sides do the whole job for every input, single-threaded:
//   libphonenumber  Parse(input, region) + IsPossibleNumber + Format(E164)
//   e164_parse      e164_parse(input, region) + writing "+<cc><nsn>" text
// A round is the corpus repeated enough times to last >= ~0.25 s, so timer
// resolution and loop overhead do not matter.  Inputs are preloaded into
// memory; the timed loops do no I/O and no allocation on our side.
//
// Build (bench/e164_bench.sh does this):
//   gcc -O2 -Iextension/include -c extension/e164/e164_{parse,regex,metadata}.c
//   g++ -O2 -std=c++17 -Iextension bench/e164_bench.cc e164_*.o \
//       -o e164-bench -lphonenumber

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <time.h>
#include <vector>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

extern "C"
{
#include "e164/e164_parse.h"
}

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

struct Line
{
	std::string input;
	std::string region;
};

static double
now_sec()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Defeats dead-code elimination of the formatted results.
static volatile unsigned long sink;

// Our E.164 text, as the extension's output function would produce it.
static inline int
format_ours(const E164Number *n, char *buf)
{
	char		cc[4];
	int			ccl = 0;
	int			c = n->country_code;
	char	   *p = buf;

	do
	{
		cc[ccl++] = (char) ('0' + c % 10);
		c /= 10;
	} while (c > 0);
	*p++ = '+';
	while (ccl > 0)
		*p++ = cc[--ccl];
	memcpy(p, n->nsn, n->nsn_length);
	p += n->nsn_length;
	*p = '\0';
	return (int) (p - buf);
}

static long
pass_lpn(PhoneNumberUtil *util, const std::vector<Line> &lines)
{
	long		accepted = 0;
	unsigned long acc = 0;
	std::string out;
	PhoneNumber n;

	for (const Line &l : lines)
	{
		n.Clear();
		if (util->Parse(l.input, l.region, &n) == PhoneNumberUtil::NO_PARSING_ERROR &&
			util->IsPossibleNumber(n))
		{
			out.clear();
			util->Format(n, PhoneNumberUtil::E164, &out);
			acc += out.size();
			accepted++;
		}
	}
	sink += acc;
	return accepted;
}

static long
pass_ours(const std::vector<Line> &lines)
{
	long		accepted = 0;
	unsigned long acc = 0;
	char		buf[32];
	E164Number	n;

	for (const Line &l : lines)
	{
		if (e164_parse(l.input.data(), l.input.size(),
					   l.region.data(), (int) l.region.size(), &n) == E164_OK)
		{
			acc += format_ours(&n, buf);
			accepted++;
		}
	}
	sink += acc;
	return accepted;
}

struct Timing
{
	double		best;			// numbers per second, best round
	double		median;			// numbers per second, median round
	long		accepted;		// per corpus pass
};

template <typename F>
static Timing
time_rounds(F pass, long corpus_size, int rounds)
{
	// Warm-up, and size a round to last at least ~0.25 s.
	long		accepted = pass();
	double		t0 = now_sec();
	int			reps = 0;

	do
	{
		pass();
		reps++;
	} while (now_sec() - t0 < 0.1);
	double		per_pass = (now_sec() - t0) / reps;
	int			per_round = std::max(1, (int) (0.25 / per_pass + 0.5));

	std::vector<double> rates;
	for (int r = 0; r < rounds; r++)
	{
		double		s = now_sec();

		for (int i = 0; i < per_round; i++)
			pass();
		double		e = now_sec();

		rates.push_back((double) corpus_size * per_round / (e - s));
	}
	std::sort(rates.begin(), rates.end());
	return Timing{rates.back(), rates[rates.size() / 2], accepted};
}

int
main(int argc, char **argv)
{
	if (argc < 2)
	{
		std::fprintf(stderr, "usage: %s CORPUS.tsv [ROUNDS]\n", argv[0]);
		return 2;
	}
	int			rounds = argc > 2 ? std::max(1, atoi(argv[2])) : 7;

	std::ifstream in(argv[1]);
	if (!in)
	{
		std::fprintf(stderr, "cannot open %s\n", argv[1]);
		return 2;
	}
	std::vector<Line> lines;
	std::string s;
	while (std::getline(in, s))
	{
		if (s.empty())
			continue;
		size_t		t1 = s.find('\t');
		Line		l;

		l.input = s.substr(0, t1);
		if (t1 != std::string::npos)
		{
			size_t		t2 = s.find('\t', t1 + 1);

			l.region = s.substr(t1 + 1, t2 == std::string::npos ? std::string::npos : t2 - t1 - 1);
		}
		lines.push_back(l);
	}
	long		n = (long) lines.size();

	PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
	util->SetLogger(new NullLogger());

	// Agreement, untimed: a sanity check that both sides did real work.
	long		both_same = 0, both_diff = 0, only_lpn = 0, only_ours = 0;
	for (const Line &l : lines)
	{
		PhoneNumber pn;
		std::string lpn;
		bool		lok = util->Parse(l.input, l.region, &pn) == PhoneNumberUtil::NO_PARSING_ERROR &&
			util->IsPossibleNumber(pn);
		E164Number	en;
		char		buf[32];
		bool		ook = e164_parse(l.input.data(), l.input.size(), l.region.data(),
									 (int) l.region.size(), &en) == E164_OK;

		if (lok)
			util->Format(pn, PhoneNumberUtil::E164, &lpn);
		if (ook)
			format_ours(&en, buf);
		if (lok && ook)
			(lpn == buf ? both_same : both_diff)++;
		else if (lok)
			only_lpn++;
		else if (ook)
			only_ours++;
	}

	std::printf("corpus: %ld numbers (%s), %d rounds each\n", n, argv[1], rounds);
	std::printf("agreement: both accept, same E.164 %ld; both accept, different %ld; "
				"only libphonenumber %ld; only e164_parse %ld\n",
				both_same, both_diff, only_lpn, only_ours);

	Timing		lpn = time_rounds([&]() { return pass_lpn(util, lines); }, n, rounds);
	std::printf("libphonenumber: accepted %ld/%ld; best %.0f/s, median %.0f/s (%.2f us/number)\n",
				lpn.accepted, n, lpn.best, lpn.median, 1e6 / lpn.median);

	Timing		ours = time_rounds([&]() { return pass_ours(lines); }, n, rounds);
	std::printf("e164_parse:     accepted %ld/%ld; best %.0f/s, median %.0f/s (%.3f us/number)\n",
				ours.accepted, n, ours.best, ours.median, 1e6 / ours.median);

	std::printf("e164_parse: %.0f/s  libphonenumber: %.0f/s  ratio: %.1fx (target >= 20x)\n",
				ours.median, lpn.median, ours.median / lpn.median);
	return 0;
}
