// oracle.cc
//   The reference answer for vapi_pool's E.164 differential test: what
//   Google's libphonenumber (C++, Debian libphonenumber-dev) says about each
//   line of a corpus.
//
// Input (stdin), TSV:  input <TAB> region [<TAB> anything ...]
// Output (stdout), TSV: input <TAB> region <TAB> verdict <TAB> e164 <TAB> reason
//
//   verdict  "ok" when Parse(input, region) succeeded and IsPossibleNumber()
//            is true (IS_POSSIBLE or IS_POSSIBLE_LOCAL_ONLY), else "error".
//   e164     Format(number, E164) whenever Parse succeeded (even when the
//            number is not possible); empty when Parse failed.
//   reason   the ValidationResult name when Parse succeeded (IS_POSSIBLE,
//            IS_POSSIBLE_LOCAL_ONLY, INVALID_COUNTRY_CODE, TOO_SHORT,
//            INVALID_LENGTH, TOO_LONG), else the ErrorType name
//            (INVALID_COUNTRY_CODE_ERROR, NOT_A_NUMBER, TOO_SHORT_AFTER_IDD,
//            TOO_SHORT_NSN, TOO_LONG_NSN).
//
// Lines are passed through byte for byte (the corpus never contains tabs or
// newlines inside an input).  A trailing CR is stripped.
//
// Build:
//   g++ -O2 -std=c++17 t/e164/oracle.cc -o t/e164/e164-oracle -lphonenumber

#include <cstdio>
#include <iostream>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static const char *
error_name(PhoneNumberUtil::ErrorType e)
{
	switch (e)
	{
		case PhoneNumberUtil::NO_PARSING_ERROR:
			return "NO_PARSING_ERROR";
		case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
			return "INVALID_COUNTRY_CODE_ERROR";
		case PhoneNumberUtil::NOT_A_NUMBER:
			return "NOT_A_NUMBER";
		case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
			return "TOO_SHORT_AFTER_IDD";
		case PhoneNumberUtil::TOO_SHORT_NSN:
			return "TOO_SHORT_NSN";
		case PhoneNumberUtil::TOO_LONG_NSN:
			return "TOO_LONG_NSN";
	}
	return "UNKNOWN_ERROR";
}

static const char *
validation_name(PhoneNumberUtil::ValidationResult v)
{
	switch (v)
	{
		case PhoneNumberUtil::IS_POSSIBLE:
			return "IS_POSSIBLE";
		case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
			return "IS_POSSIBLE_LOCAL_ONLY";
		case PhoneNumberUtil::INVALID_COUNTRY_CODE:
			return "INVALID_COUNTRY_CODE";
		case PhoneNumberUtil::TOO_SHORT:
			return "TOO_SHORT";
		case PhoneNumberUtil::INVALID_LENGTH:
			return "INVALID_LENGTH";
		case PhoneNumberUtil::TOO_LONG:
			return "TOO_LONG";
	}
	return "UNKNOWN_VALIDATION";
}

int
main()
{
	std::ios::sync_with_stdio(false);

	PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();

	// Never let the library write log lines into our output.
	util->SetLogger(new NullLogger());

	std::string line;
	std::string out;
	long		lines = 0;

	while (std::getline(std::cin, line))
	{
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		if (line.empty())
			continue;

		size_t		t1 = line.find('\t');
		std::string input = line.substr(0, t1);
		std::string region;

		if (t1 != std::string::npos)
		{
			size_t		t2 = line.find('\t', t1 + 1);

			region = line.substr(t1 + 1,
								 t2 == std::string::npos ? std::string::npos
								 : t2 - t1 - 1);
		}

		PhoneNumber number;
		PhoneNumberUtil::ErrorType err = util->Parse(input, region, &number);
		const char *verdict = "error";
		std::string e164;
		const char *reason;

		if (err == PhoneNumberUtil::NO_PARSING_ERROR)
		{
			PhoneNumberUtil::ValidationResult v =
				util->IsPossibleNumberWithReason(number);

			util->Format(number, PhoneNumberUtil::E164, &e164);
			reason = validation_name(v);
			if (v == PhoneNumberUtil::IS_POSSIBLE ||
				v == PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY)
				verdict = "ok";
		}
		else
			reason = error_name(err);

		out.clear();
		out.append(input).append(1, '\t');
		out.append(region).append(1, '\t');
		out.append(verdict).append(1, '\t');
		out.append(e164).append(1, '\t');
		out.append(reason).append(1, '\n');
		std::cout << out;
		lines++;
	}
	std::cout.flush();
	if (!std::cout)
	{
		std::fprintf(stderr, "e164-oracle: write error\n");
		return 1;
	}
	std::fprintf(stderr, "e164-oracle: %ld lines\n", lines);
	return 0;
}
