#!/usr/bin/python3
"""
gen_corpus.py - telephone-number corpus for vapi_pool's E.164 differential test.

Writes TSV lines "input<TAB>region<TAB>category" to stdout.  The output is
deterministic (fixed seed, sorted iteration), so a failing line can be found
again.  Categories are informational labels only: the expected answer for each
line comes from libphonenumber itself (t/e164/oracle.cc), never from here.

Needs Debian's python3-phonenumbers (same metadata release as the C++
libphonenumber-dev), so run it with /usr/bin/python3.

What it covers, for every region libphonenumber supports and for the
non-geographic calling codes (+800, +808, ...):
  ex_*      the example number of every number type, in E.164, INTERNATIONAL
            and NATIONAL format (and separator-free national), national with
            its own region, E.164/international also with a different region;
            the bare national significant number with its own region
  var_*     random variants that keep the leading digits of an example (and
            sometimes take another possible length) but randomise the rest
  idd       international-prefix forms: "011 44 20 ..." with US, "00 44 ..."
            with DE, ... (the prefix is the region's own when it is a plain
            digit string, else strings sampled from its prefix pattern), plus
            prefixes of other regions
  npfp      national numbers behind strings sampled from the region's
            national_prefix_for_parsing pattern (carrier codes, "15", ...)
  mut_*     a digit too few / too many, unassigned calling codes (+999, +80,
            +0...), cross-region national numbers
  local     numbers of a region's local-only lengths (no area code)
  nanp_*    +1 numbers whose area code or exchange code starts with 0 or 1
  sep_*     separator styles: (415) 555-2671, 415.555.2671, 415/555-2671,
            +44 (0) 20 ..., doubled separators, leading/trailing spaces
  edge      hand-written corner cases (too short, lone +, stray +, ...)

Every default region is one libphonenumber supports: an unsupported region
("ZZ", "", "001") is an argument error in vapi_pool.e164_try_parse, not a
number libphonenumber might accept, so it has no place in this corpus.
  charset   a small labelled set with characters vapi_pool deliberately
            rejects: letters (vanity numbers), extensions, full-width digits,
            tel: URIs, no-break spaces, ...
"""

import random
import sys

try:
    import re._parser as sre_parse  # Python >= 3.11
    import re._constants as sre_constants
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType

SEED = 164_2024
rng = random.Random(SEED)

OUT = []
SEEN = set()


def emit(inp, region, cat):
    """Queue one corpus line (de-duplicated on input+region)."""
    if "\t" in inp or "\n" in inp or "\r" in inp or inp == "":
        # The TSV cannot carry these; an empty input is written by edge().
        if inp != "":
            return
    key = (inp, region)
    if key in SEEN:
        return
    SEEN.add(key)
    OUT.append("%s\t%s\t%s" % (inp, region, cat))


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
NONGEO = sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)

TYPES = [
    ("fixed", PhoneNumberType.FIXED_LINE, "fixed_line"),
    ("mobile", PhoneNumberType.MOBILE, "mobile"),
    ("tollfree", PhoneNumberType.TOLL_FREE, "toll_free"),
    ("premium", PhoneNumberType.PREMIUM_RATE, "premium_rate"),
    ("shared", PhoneNumberType.SHARED_COST, "shared_cost"),
    ("voip", PhoneNumberType.VOIP, "voip"),
    ("personal", PhoneNumberType.PERSONAL_NUMBER, "personal_number"),
    ("pager", PhoneNumberType.PAGER, "pager"),
    ("uan", PhoneNumberType.UAN, "uan"),
    ("voicemail", PhoneNumberType.VOICEMAIL, "voicemail"),
]

# ---------------------------------------------------------------------------
# Random strings matching a (small) libphonenumber pattern, via Python's own
# regex parser.  Used for international prefixes and national prefixes.


def sample_regex(pattern, r, max_repeat=3):
    tree = sre_parse.parse(pattern)
    return _sample_seq(tree, r, max_repeat)


def _sample_seq(seq, r, max_repeat):
    out = []
    for op, av in seq:
        out.append(_sample_item(op, av, r, max_repeat))
    return "".join(out)


def _class_digits(items):
    digits = set()
    negate = False
    for op, av in items:
        if op == sre_constants.NEGATE:
            negate = True
        elif op == sre_constants.LITERAL:
            digits.add(chr(av))
        elif op == sre_constants.RANGE:
            for c in range(av[0], av[1] + 1):
                digits.add(chr(c))
        elif op == sre_constants.CATEGORY:
            digits.update("0123456789")
    digits = {d for d in digits if d.isdigit()}
    if negate:
        digits = set("0123456789") - digits
    return sorted(digits)


def _sample_item(op, av, r, max_repeat):
    if op == sre_constants.LITERAL:
        return chr(av)
    if op == sre_constants.IN:
        ds = _class_digits(av)
        return r.choice(ds) if ds else ""
    if op == sre_constants.ANY:
        return r.choice("0123456789")
    if op == sre_constants.BRANCH:
        _, branches = av
        return _sample_seq(r.choice(branches), r, max_repeat)
    if op == sre_constants.SUBPATTERN:
        sub = av[-1]
        return _sample_seq(sub, r, max_repeat)
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        lo, hi, sub = av
        if hi == sre_constants.MAXREPEAT:
            hi = lo + max_repeat
        n = r.randint(lo, hi)
        return "".join(_sample_seq(sub, r, max_repeat) for _ in range(n))
    if op == sre_constants.AT:  # $ and friends
        return ""
    if op == sre_constants.CATEGORY:
        return r.choice("0123456789")
    raise ValueError("unsupported regex op %s" % op)


def idd_prefixes(md, r):
    """Plain-digit international prefixes to dial out of region md."""
    out = []
    for p in (md.international_prefix, md.preferred_international_prefix):
        if p and p.isdigit() and p not in out:
            out.append(p)
    if md.international_prefix and not md.international_prefix.isdigit():
        for _ in range(6):
            s = sample_regex(md.international_prefix, r)
            if s.isdigit() and s not in out:
                out.append(s)
            if len(out) >= 3:
                break
    return out


# ---------------------------------------------------------------------------
# Helpers


def meta_for_cc(cc):
    return PhoneMetadata.metadata_for_region_or_calling_code(
        cc, phonenumbers.region_code_for_country_code(cc))


def pn(cc, nsn):
    """A phonenumbers.PhoneNumber for formatting, or None if unparseable."""
    try:
        return phonenumbers.parse("+%d%s" % (cc, nsn), None)
    except phonenumbers.NumberParseException:
        return None


def fmt(num, style):
    return phonenumbers.format_number(num, style)


def other_region(region):
    while True:
        o = rng.choice(REGIONS)
        if o != region:
            return o


def group_digits(nsn, r):
    """Split digits into random groups of 2-4."""
    groups = []
    i = 0
    while i < len(nsn):
        n = r.randint(2, 4)
        groups.append(nsn[i:i + n])
        i += n
    return groups


def randomise(nsn, cc, r, lengths=None, keep=None):
    """Keep the leading digits of nsn, randomise the rest (maybe new length)."""
    if keep is None:
        keep = r.randint(1, 4)
    keep = max(1, min(keep, len(nsn) - 2)) if len(nsn) > 2 else len(nsn)
    length = len(nsn)
    if lengths and r.random() < 0.4:
        length = r.choice(lengths)
        keep = min(keep, length)
    digits = list(nsn[:keep])
    while len(digits) < length:
        digits.append(r.choice("0123456789"))
    if cc == 1 and length == 10:
        # Keep NANP variants in valid area/exchange space; nanp_* covers
        # the invalid ones on purpose.
        if digits[0] in "01":
            digits[0] = r.choice("23456789")
        if digits[3] in "01":
            digits[3] = r.choice("23456789")
    return "".join(digits)


def national_forms(num, region):
    """National-format strings for num (as dialled inside region)."""
    out = []
    if num is None:
        return out
    nat = fmt(num, PhoneNumberFormat.NATIONAL)
    out.append(nat)
    compact = "".join(c for c in nat if c.isdigit())
    if compact != nat:
        out.append(compact)
    return out


# ---------------------------------------------------------------------------
# Collect example numbers: (region or None for non-geo, cc, nsn, type label).

EXAMPLES = []
for region in REGIONS:
    md = PhoneMetadata.metadata_for_region(region)
    for label, t, attr in TYPES:
        ex = phonenumbers.example_number_for_type(region, t)
        if ex is None:
            continue
        nsn = phonenumbers.national_significant_number(ex)
        EXAMPLES.append((region, ex.country_code, nsn, label))
for cc in NONGEO:
    md = PhoneMetadata.metadata_for_nongeo_region(cc)
    for label, t, attr in TYPES:
        desc = getattr(md, attr, None)
        if desc is None or not desc.example_number:
            continue
        EXAMPLES.append((None, cc, desc.example_number, label))

# De-duplicate (fixed line and mobile examples are often the same).
_seen_ex = set()
_ex = []
for e in EXAMPLES:
    if (e[1], e[2]) in _seen_ex:
        continue
    _seen_ex.add((e[1], e[2]))
    _ex.append(e)
EXAMPLES = _ex


def emit_number(region, cc, nsn, prefix, full):
    """All formats of one number.  full=False emits a smaller set."""
    num = pn(cc, nsn)
    e164 = "+%d%s" % (cc, nsn)
    home = region if region else rng.choice(REGIONS)
    emit(e164, home, prefix + "_e164")
    emit(e164, other_region(home), prefix + "_e164_other")
    if num is not None:
        intl = fmt(num, PhoneNumberFormat.INTERNATIONAL)
    else:
        intl = "+%d %s" % (cc, " ".join(group_digits(nsn, rng)))
    if full:
        emit(intl, home, prefix + "_intl")
    emit(intl, other_region(home), prefix + "_intl_other")
    if region is None:
        return
    for i, nat in enumerate(national_forms(num, region)):
        if full or i == 0:
            emit(nat, region, prefix + "_national")
    emit(nsn, region, prefix + "_nsn")
    if full:
        emit(" ".join(group_digits(nsn, rng)), region, prefix + "_nsn_spaced")


def main():
    # --- examples and random variants ------------------------------------
    for region, cc, nsn, label in EXAMPLES:
        emit_number(region, cc, nsn, "ex", True)
        md = (PhoneMetadata.metadata_for_region(region) if region
              else PhoneMetadata.metadata_for_nongeo_region(cc))
        lengths = [l for l in md.general_desc.possible_length if l > 0]
        for _ in range(3):
            v = randomise(nsn, cc, rng, lengths)
            emit_number(region, cc, v, "var", False)

    # --- a digit too few / too many -----------------------------------------
    for region, cc, nsn, label in EXAMPLES:
        short = nsn[:-1]
        long_ = nsn + rng.choice("0123456789")
        for v, tag in ((short, "mut_short"), (long_, "mut_long")):
            home = region if region else rng.choice(REGIONS)
            emit("+%d%s" % (cc, v), home, tag)
            if region:
                num = pn(cc, v)
                nat = national_forms(num, region)
                emit(nat[0] if nat else v, region, tag + "_national")

    # --- IDD forms --------------------------------------------------------
    pool = [(cc, nsn) for _, cc, nsn, _ in EXAMPLES]
    all_idd = {}
    for region in REGIONS:
        md = PhoneMetadata.metadata_for_region(region)
        prefixes = idd_prefixes(md, rng)
        all_idd[region] = prefixes
        for p in prefixes:
            targets = rng.sample(pool, 6)
            # Dialling the region's own code through its IDD, too.
            own = [e for e in EXAMPLES if e[0] == region]
            if own:
                targets.append((own[0][1], own[0][2]))
            for cc, nsn in targets:
                emit("%s %d %s" % (p, cc, " ".join(group_digits(nsn, rng))),
                     region, "idd")
                emit("%s%d%s" % (p, cc, nsn), region, "idd_compact")
            # Too short after the prefix, or a bad code after it.
            emit(p, region, "idd_short")
            emit("%s %d" % (p, targets[0][0]), region, "idd_short")
            emit("%s 999 %s" % (p, targets[0][1]), region, "idd_badcc")
    # Another region's international prefix (e.g. 00 44 ... with region US).
    for region in REGIONS:
        for _ in range(2):
            o = other_region(region)
            if not all_idd[o]:
                continue
            p = rng.choice(all_idd[o])
            cc, nsn = rng.choice(pool)
            emit("%s %d %s" % (p, cc, nsn), region, "idd_foreign")

    # --- national prefix for parsing ----------------------------------------
    for region in REGIONS:
        md = PhoneMetadata.metadata_for_region(region)
        npfp = md.national_prefix_for_parsing
        if not npfp:
            continue
        own = [e for e in EXAMPLES if e[0] == region]
        if not own:
            continue
        for _ in range(4):
            s = sample_regex(npfp, rng)
            if not s.isdigit():
                continue
            _, cc, nsn, _ = rng.choice(own)
            lengths = [l for l in md.general_desc.possible_length if l > 0]
            emit(s + nsn, region, "npfp")
            emit(s + " " + randomise(nsn, cc, rng, lengths), region, "npfp")

    # --- local-only lengths ------------------------------------------------
    for region in REGIONS:
        md = PhoneMetadata.metadata_for_region(region)
        local = [l for l in md.general_desc.possible_length_local_only if l > 0]
        own = [e for e in EXAMPLES if e[0] == region]
        if not local or not own:
            continue
        for l in local:
            _, cc, nsn, _ = rng.choice(own)
            tail = nsn[-l:] if len(nsn) >= l else nsn
            tail = randomise(tail, 0, rng, keep=1) if len(tail) > 2 else tail
            emit(tail, region, "local")

    # --- unassigned calling codes -----------------------------------------------
    bad_ccs = ["999", "80", "0", "00", "0", "28", "42", "59", "69", "83", "89",
               "801", "875", "879", "884", "885", "887", "889", "99", "210",
               "259", "292", "384", "422", "671", "693", "806", "969"]
    for cc in bad_ccs:
        for _ in range(6):
            _, _, nsn = rng.choice([(0, 0, e[2]) for e in EXAMPLES])
            home = rng.choice(REGIONS)
            emit("+%s%s" % (cc, nsn), home, "mut_badcc")
            emit("+%s %s" % (cc, " ".join(group_digits(nsn, rng))), home,
                 "mut_badcc")

    # --- cross-region national numbers ------------------------------------------
    for _ in range(600):
        region, cc, nsn, _ = rng.choice(EXAMPLES)
        if region is None:
            continue
        nat = national_forms(pn(cc, nsn), region)
        if nat:
            emit(nat[0], other_region(region), "mut_cross_national")

    # --- NANP area / exchange codes starting with 0 or 1 ----------------------
    nanp = [r for r in REGIONS
            if PhoneMetadata.metadata_for_region(r).country_code == 1]
    nanp_ex = [e for e in EXAMPLES if e[1] == 1 and len(e[2]) == 10]
    for region in nanp:
        for _ in range(4):
            _, _, nsn, _ = rng.choice(nanp_ex)
            d = list(nsn)
            which = rng.choice(["area", "exchange", "both"])
            if which in ("area", "both"):
                d[0] = rng.choice("01")
            if which in ("exchange", "both"):
                d[3] = rng.choice("01")
            v = "".join(d)
            emit("+1" + v, region, "nanp_" + which)
            emit("(%s) %s-%s" % (v[:3], v[3:6], v[6:]), region, "nanp_" + which)
            emit("1 %s %s %s" % (v[:3], v[3:6], v[6:]), region, "nanp_" + which)
        # and valid ones in the same shapes, for contrast
        for _ in range(3):
            _, _, nsn, _ = rng.choice(nanp_ex)
            v = randomise(nsn, 1, rng, keep=3)
            emit("(%s) %s-%s" % (v[:3], v[3:6], v[6:]), region, "sep_paren")
            emit("%s.%s.%s" % (v[:3], v[3:6], v[6:]), region, "sep_dot")
            emit("1-%s-%s-%s" % (v[:3], v[3:6], v[6:]), region, "sep_dash")
            emit("+1 (%s) %s-%s" % (v[:3], v[3:6], v[6:]), region, "sep_paren")
            emit("%s/%s-%s" % (v[:3], v[3:6], v[6:]), region, "sep_slash")

    # --- separator styles ----------------------------------------------------
    for region in REGIONS:
        md = PhoneMetadata.metadata_for_region(region)
        own = [e for e in EXAMPLES if e[0] == region]
        if not own:
            continue
        np_ = md.national_prefix or ""
        for _ in range(2):
            _, cc, nsn, _ = rng.choice(own)
            g = group_digits(nsn, rng)
            emit("(%s) %s" % (g[0], " ".join(g[1:])), region, "sep_paren")
            emit(".".join(g), region, "sep_dot")
            emit("-".join(g), region, "sep_dash")
            emit("/".join(g), region, "sep_slash")
            emit("+%d.%s" % (cc, ".".join(g)), other_region(region), "sep_dot")
            emit("+%d-%s" % (cc, "-".join(g)), region, "sep_dash")
            emit("+%d (%s) %s" % (cc, g[0], "-".join(g[1:])), region,
                 "sep_paren")
            emit("+%d/%s" % (cc, "/".join(g)), region, "sep_slash")
            emit("  +%d %s  " % (cc, " ".join(g)), region, "sep_space")
            emit(" %s%s " % (np_, nsn), region, "sep_space")
            emit("%s%s" % (np_, "  ".join(g)), region, "sep_space")
            emit("%s%s" % (np_, "--".join(g)), region, "sep_double")
            emit("%s %s" % (np_, "- ".join(g)), region, "sep_double")
            emit("+%d%s" % (cc, "( )".join(g)), region, "sep_double")
            if np_:
                emit("+%d (%s) %s" % (cc, np_, " ".join(g)), region,
                     "sep_np_paren")
                emit("+%d (%s)%s" % (cc, np_, "".join(g)),
                     other_region(region), "sep_np_paren")
                emit("(%s%s) %s" % (np_, g[0], " ".join(g[1:])), region,
                     "sep_paren")
                emit("+%d %s%s" % (cc, np_, nsn), region, "sep_np_plus")

    edge()
    charset()

    sys.stdout.write("\n".join(OUT) + "\n")


def edge():
    us = "4155552671"
    cases = [
        ("+14155552671", "US"), ("+1 415 555 2671", "GB"),
        ("++14155552671", "US"), ("+ 1 415 555 2671", "US"),
        ("+1 +415 555 2671", "US"), ("1+4155552671", "US"),
        ("4155552671+", "US"), ("+", "US"), ("++", "US"), ("-", "US"),
        ("()", "US"), ("   ", "US"), ("1", "US"), ("12", "US"),
        ("123", "US"), ("+1", "US"), ("+12", "US"), ("+123", "US"),
        ("+1 2", "US"), ("0", "DE"), ("00", "DE"), ("000", "DE"),
        ("01", "GB"), ("011", "US"), ("011 1", "US"),
        ("011 44", "US"), ("0044", "DE"), ("00 44 2", "DE"),
        ("(+1) 415 555 2671", "US"), ("(415)5552671", "US"),
        ("415) 555-2671", "US"), ("(415 555 2671", "US"),
        ("((415)) 555 2671", "US"), ("415..555..2671", "US"),
        (".4155552671", "US"), ("4155552671.", "US"),
        ("-4155552671", "US"), ("4155552671-", "US"),
        ("/4155552671", "US"), ("4155552671/", "US"),
        ("+1-", "US"), ("+-14155552671", "US"), ("+(1)4155552671", "US"),
        ("+1 (0) 415 555 2671", "US"), ("+44 (0) 20 7946 0018", "GB"),
        ("+44 (0)20 7946 0018", "US"), ("+44 0 20 7946 0018", "FR"),
        ("+440207946 0018", "GB"), ("020 7946 0018", "GB"),
        ("0 20 7946 0018", "GB"), ("00 20 7946 0018", "GB"),
        ("+49 30 123456", "DE"), ("030 123456", "DE"),
        ("+49 (0)30 123456", "DE"), ("+800 1234 5678", "US"),
        ("+80 1234 5678", "US"), ("+0 415 555 2671", "US"),
        ("+00 415 555 2671", "US"), ("+1" + "2" * 17, "US"),
        ("+1" + "2" * 18, "US"), ("2" * 17, "US"), ("2" * 18, "US"),
        ("2" * 19, "DE"), ("+49" + "3" * 17, "DE"), ("+49" + "3" * 18, "DE"),
        ("+86" + "1" * 16, "CN"), ("1" * 40, "US"), ("+" + "1" * 40, "US"),
        ("1" * 300, "US"), ("+1 " + " " * 300 + us, "US"),
        ("4" + "-" * 5 + "155552671", "US"), ("+7 800 555 3535", "RU"),
        ("8 800 555 3535", "RU"), ("8 (800) 555-35-35", "RU"),
        ("+39 06 6982 0000", "IT"), ("06 6982 0000", "IT"),
        ("+390669820000", "US"), ("+39 3123456789", "IT"),
        ("+54 9 11 2345 6789", "AR"), ("011 15 2345 6789", "AR"),
        ("+61 2 1234 5678", "AU"), ("0011 1 415 555 2671", "AU"),
        ("+52 1 55 1234 5678", "MX"), ("044 55 1234 5678", "MX"),
        ("+81 3 1234 5678", "JP"), ("+82 2 123 4567", "KR"),
        ("+234 1 234 5678", "NG"), ("+800 12345678", "JP"),
        ("+979 123456789", "US"), ("+882 3 4567 8901", "US"),
        ("+883 5100 12345678", "US"), ("+888 12345678", "US"),
        # a + before the region's own international prefix, and trailing junk
        ("+00 44 20 7946 0018", "DE"), ("+0044 20 7946 0018", "FR"),
        ("+011 44 20 7946 0018", "US"), ("+00862345678", "RS"),
        ("+007908215660489", "KH"), ("+024(49274834", "SC"),
        ("+086701259802", "CV"), ("+011 1", "US"), ("+00 0 44 20", "DE"),
        ("+67620123 )+ ", "TO"), ("715  )1234/+ ", "BQ"),
        ("+44 20 7946 0018 +", "GB"), ("415 555 2671++", "US"),
        ("415 555 +2671", "US"),
    ]
    for inp, region in cases:
        emit(inp, region, "edge")
    OUT.append("\tUS\tedge")


def charset():
    base = [
        ("1-800-FLOWERS", "US"), ("1-800-flowers", "US"),
        ("+1 800 FLOWERS", "US"), ("1 800 CALL ATT", "US"),
        ("+1 415 555 2671 ext. 12", "US"), ("+1 415 555 2671 x12", "US"),
        ("(415) 555-2671 ext 12", "US"), ("+1 415 555 2671;ext=12", "US"),
        ("+44 20 7946 0018 #123", "GB"),
        ("tel:+1-415-555-2671", "US"), ("tel:+14155552671", "GB"),
        ("tel:415-555-2671;phone-context=+1", "US"),
        ("Tel: 415 555 2671", "US"), ("Phone: +44 20 7946 0018", "GB"),
        ("\uff0b\uff11\uff14\uff11\uff15\uff15\uff15\uff15\uff12\uff16\uff17\uff11",
         "US"),
        ("\uff14\uff11\uff15\uff15\uff15\uff15\uff12\uff16\uff17\uff11", "US"),
        ("+1\u00a0415\u00a0555\u00a02671", "US"),
        ("+1\u2010415\u2010555\u20102671", "US"),
        ("+1 415\u2013555\u20132671", "US"),
        ("\u0664\u0661\u0665\u0665\u0665\u0665\u0662\u0666\u0667\u0661", "US"),
        ("+\u0669\u0667\u0661 50 123 4567", "AE"),
        ("[415] 555 2671", "US"), ("415~555~2671", "US"),
        ("415_555_2671", "US"), ("415*555*2671", "US"),
        ("+1 415 555 2671#", "US"), ("#31#4155552671", "US"),
        ("*67 415 555 2671", "US"), ("415,555,2671", "US"),
        ("+1 415 555 2671,,12", "US"), ("415:555:2671", "US"),
        ("+1 (415) 555-2671 x", "US"), ("415 555 2671 a", "US"),
        ("a 415 555 2671", "US"), ("\u00964155552671", "US"),
        ("\uff08415\uff09555-2671", "US"), ("415\u3000555\u30002671", "US"),
        ("415\\555\\2671", "US"), ("\\N", "US"), ("415'555'2671", "US"),
        ('"415 555 2671"', "US"), ("<+14155552671>", "US"),
        ("+1 415 555 2671 (home)", "US"), ("call 4155552671", "US"),
        ("0800 FLOWERS", "GB"), ("030 123456 durchwahl 12", "DE"),
    ]
    for inp, region in base:
        emit(inp, region, "charset")
    # Random single bad characters injected into random numbers.
    bad = ["A", "x", "e", "#", "*", "~", "_", ",", ";", ":", "[", "]",
           "\u00a0", "\u2011", "\u2212", "\uff0d", "\u3000", "\uff11", "!"]
    for _ in range(60):
        region, cc, nsn, _ = rng.choice(EXAMPLES)
        s = "+%d %s" % (cc, " ".join(group_digits(nsn, rng)))
        i = rng.randint(2, len(s))
        emit(s[:i] + rng.choice(bad) + s[i:], region or "US", "charset")


if __name__ == "__main__":
    main()
