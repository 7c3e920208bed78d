#!/usr/bin/python3
"""Numbers and libphonenumber's time zones for them, for t/011_number_timezones.pl.

Usage:  /usr/bin/python3 t/e164/tz_cases.py > cases.tsv
        /usr/bin/python3 t/e164/tz_cases.py +12125551234 ...   (just those numbers)

Each line: E.164 digits (no +), the set the number came from, and the zones
libphonenumber's time_zones_for_number() gives (comma-separated, by the
current names and in the order gen_e164_timezones.py stores them, its
known(); "Etc/Unknown" is left out, so an unknown zone is an empty field).
Only numbers that libphonenumber parses back to the same E.164 digits are
written.  The sets, all derived from libphonenumber's own data:

  nanp      one valid number for every NANP area code that has one (area
            codes 200-999, exchange codes tried in order until
            is_valid_number());
  nanp-invalid  one number of every area code with no valid number;
  prefix    every prefix of libphonenumber's prefix -> zone map, completed
            to a full number with the tail of its calling code's main
            region's fixed-line and mobile example numbers;
  example   every example number of every type of every region and
            non-geographical calling code;
  country   for 20 countries (multi-zone ones among them: RU, BR, AU, MX, CA,
            ID), fixed-seed mutations of their example numbers.

Deterministic: the same phonenumbers release always gives the same lines.
"""

import itertools
import os
import random
import sys

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA

# the generator's rule for libphonenumber's zone names (current names, sorted)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "extension", "e164"))
from gen_e164_timezones import known  # noqa: E402

COUNTRIES = ("US", "CA", "MX", "BR", "AR", "RU", "KZ", "AU", "ID", "CN",
             "IN", "GB", "DE", "FR", "IT", "ES", "JP", "NZ", "ZA", "CL")
MUTATIONS = 40
TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
         "voip", "personal_number", "pager", "uan", "voicemail")


def zones_of(digits):
    """(E.164 digits as libphonenumber prints them, zones) or None."""
    try:
        num = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) != "+" + digits:
        return None
    return list(known(time_zones_for_number(num)))


def all_metadata():
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        yield PhoneMetadata.metadata_for_region(region)
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        yield PhoneMetadata.metadata_for_nongeo_region(cc)


def examples(meta):
    for name in TYPES:
        desc = getattr(meta, name)
        if desc is not None and desc.example_number:
            yield str(meta.country_code) + desc.example_number


def nanp():
    """(set, digits): nanp for a valid number, nanp-invalid for none found."""
    for npa in range(200, 1000):
        for nxx in range(200, 1000):
            digits = "1%d%d4567" % (npa, nxx)
            if phonenumbers.is_valid_number(phonenumbers.parse("+" + digits)):
                yield "nanp", digits
                break
        else:
            yield "nanp-invalid", "1%d2004567" % npa


def prefixes():
    """The main region's fixed-line and mobile examples, with each prefix."""
    tails = {}
    for cc, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        if regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
            meta = PhoneMetadata.metadata_for_nongeo_region(cc)
        else:
            meta = PhoneMetadata.metadata_for_region(regions[0])
        tails[str(cc)] = [str(cc) + d.example_number
                          for d in (meta.fixed_line, meta.mobile)
                          if d is not None and d.example_number]
    for prefix in sorted(TIMEZONE_DATA):
        cc = next((prefix[:n] for n in (1, 2, 3) if prefix[:n] in tails), None)
        for ex in tails.get(cc, []):
            if len(ex) > len(prefix):
                yield "prefix", prefix + ex[len(prefix):]


def countries():
    rnd = random.Random(11)
    for region in COUNTRIES:
        meta = PhoneMetadata.metadata_for_region(region)
        for ex in examples(meta):
            cc = len(str(meta.country_code))
            for _ in range(MUTATIONS):
                d = list(ex)
                for _ in range(rnd.randint(1, 3)):
                    d[rnd.randrange(cc, len(d))] = str(rnd.randrange(10))
                yield "".join(d)


def main(argv):
    if len(argv) > 1:
        cases = (("argv", a.lstrip("+")) for a in argv[1:])
    else:
        cases = itertools.chain(
            nanp(), prefixes(),
            (("example", e) for m in all_metadata() for e in examples(m)),
            (("country", c) for c in countries()))
    seen = set()
    for name, digits in cases:
        if digits in seen:
            continue
        seen.add(digits)
        zones = zones_of(digits)
        if zones is not None:
            sys.stdout.write("%s\t%s\t%s\n" % (digits, name, ",".join(zones)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
