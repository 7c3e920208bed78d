#!/usr/bin/python3
"""Generate extension/e164/e164_timezones.c: the time zones of a number.

Usage (from the repository root):

    /usr/bin/python3 extension/e164/gen_e164_timezones.py extension/e164/e164_timezones.c

With no argument the C source is written to standard output.  Use Debian's
/usr/bin/python3: it sees python3-phonenumbers, the same libphonenumber
release as the e164 metadata (gen_e164_metadata.py).

What the C lookup (e164_timezones() in e164_timezones.h) reproduces is
libphonenumber's time_zones_for_number() (phonenumbers/timezone.py, Java's
PhoneNumberToTimeZonesMapper.getTimeZonesForNumber) for every number of at
most 15 digits, exactly:

  * the number's type is computed as number_type() does: the region of the
    calling code chosen as region_code_for_number() chooses it (leading
    digits, else the first region where the number is valid), then
    _number_type_helper() on that region's type descriptions (possible
    lengths and patterns: premium rate, toll free, ..., fixed line, mobile);
  * an invalid number (type UNKNOWN) has no zone;
  * a number of a geographical type (fixed line, fixed line or mobile, and
    mobile in the countries libphonenumber lists as having geographical
    mobile numbers: _GEO_MOBILE_COUNTRIES) gets the zones of the longest
    prefix of its E.164 digits in libphonenumber's prefix -> zones map;
  * any other valid number (a mobile in most countries, toll free, premium
    rate, VoIP, ...) gets the zones of its calling code
    (_country_level_time_zones_for_number, evaluated here for every calling
    code, so its lookup rule is reproduced whatever it is).

The type is not recomputed from regular expressions at run time: for every
calling code, the generator turns the patterns involved (each region's type
descriptions and leading digits, compiled with gen_e164_metadata.py's
compiler and run as NFAs here) into one acyclic DFA over the national
number's digits whose final states say "invalid", "geographical" or
"calling code".  States are hash-consed across all calling codes, so the DFA
is minimal and shared.  "Etc/Unknown", libphonenumber's unknown zone, is
stored as no zone.  The C lookup over these tables is
e164_timezones_lookup.c.  Before writing, the generator runs its own tables
(in Python, the same walk the C lookup does) against time_zones_for_number()
on every example number of the metadata, every prefix of the map and
fixed-seed mutations of them, and fails on any disagreement.  The output is
deterministic.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_e164_metadata as gm  # noqa: E402  (compile_pattern, wrap)

import phonenumbers  # noqa: E402
from phonenumbers import PhoneMetadata  # noqa: E402
from phonenumbers import timezone as pn_tz  # noqa: E402
from phonenumbers.phonenumberutil import (  # noqa: E402
    PhoneNumberType as T, is_number_type_geographical)
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX  # noqa: E402

# E.164's cap on the digits of a number, calling code included.
MAX_DIGITS = 15

# Must agree with E164_TZ_LONGEST_PREFIX in e164_timezones.h.
LONGEST_PREFIX = 8

# What a final DFA state says (enum E164TzKind in e164_timezones.h).
INVALID, GEOGRAPHICAL, CALLING_CODE = range(3)

# Type descriptions in _number_type_helper()'s order, before fixed line and
# mobile.
SPECIAL_TYPES = (
    ("premium_rate", T.PREMIUM_RATE), ("toll_free", T.TOLL_FREE),
    ("shared_cost", T.SHARED_COST), ("voip", T.VOIP),
    ("personal_number", T.PERSONAL_NUMBER), ("pager", T.PAGER),
    ("uan", T.UAN), ("voicemail", T.VOICEMAIL))

# Mutations of each example number in the self-check (fixed seed).
SELF_CHECK_MUTATIONS = 12


class GenError(Exception):
    """The data cannot be represented, or the self-check failed."""


class Nfa:
    """One compiled pattern run as an NFA: a state is a frozenset of pcs."""

    def __init__(self, pattern):
        self.code, _ = gm.compile_pattern(pattern)

    def closure(self, pcs, at_end):
        """pcs reachable without input: CLASS and MATCH (and EOL) only."""
        out, stack, seen = set(), list(pcs), set()
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op, _, x, y = self.code[pc]
            if op == gm.SPLIT:
                stack += [x, y]
            elif op == gm.JMP:
                stack.append(x)
            elif op == gm.SAVE:
                stack.append(pc + 1)
            elif op == gm.EOL:
                if at_end:
                    stack.append(pc + 1)
                else:
                    out.add(pc)
            else:
                out.add(pc)
        return frozenset(out)

    def start(self):
        return self.closure([0], False)

    def step(self, state, digit):
        return self.closure([pc + 1 for pc in state
                             if self.code[pc][0] == gm.CLASS
                             and self.code[pc][1] >> digit & 1], False)

    def matched_here(self, state):
        """A match ends at this position (the input may go on)."""
        return any(self.code[pc][0] == gm.MATCH for pc in state)

    def matched_at_end(self, state):
        """A match of the whole input, the input ending here ($ allowed)."""
        return any(self.code[pc][0] == gm.MATCH
                   for pc in self.closure(state, True))


def metadata_of(cc):
    """Metadata of a calling code's regions, in libphonenumber's order."""
    out = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]:
        if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
            meta = PhoneMetadata.metadata_for_nongeo_region(cc)
        else:
            meta = PhoneMetadata.metadata_for_region(region)
        if meta is not None:
            out.append(meta)
    return out


class Dfa:
    """The per-calling-code classifiers, hash-consed into one node table."""

    def __init__(self):
        self.nodes = []    # (kind, ((digit mask, child), ...)), children first
        self.index = {}    # node -> id
        self.roots = {}    # calling code -> root id, or -1

    def intern(self, kind, kids):
        """Id of a node (None: the dead state, which has no id)."""
        if kind == INVALID and all(k is None for k in kids):
            return None
        edges = []
        for digit, kid in enumerate(kids):
            if kid is None:
                continue
            for i, (mask, k) in enumerate(edges):
                if k == kid:
                    edges[i] = (mask | 1 << digit, k)
                    break
            else:
                edges.append((1 << digit, kid))
        node = (kind, tuple(edges))
        if node not in self.index:
            self.index[node] = len(self.nodes)
            self.nodes.append(node)
        return self.index[node]

    def add_calling_code(self, cc):
        metas = metadata_of(cc)
        shared = len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[cc]) > 1
        patterns = set()
        for m in metas:
            for desc in self.descs(m):
                patterns.add(desc.national_number_pattern)
            if shared and m.leading_digits is not None:
                patterns.add(m.leading_digits)
        order = sorted(patterns)
        slot = {p: i for i, p in enumerate(order)}
        nfas = [Nfa(p) for p in order]
        max_nsn = MAX_DIGITS - len(str(cc))

        def matches(desc, full, n):
            # _is_number_matching_desc()
            if desc is None or not desc.national_number_pattern:
                return False
            if desc.possible_length and n not in desc.possible_length:
                return False
            return full[slot[desc.national_number_pattern]]

        def number_type(m, full, n):
            # _number_type_helper()
            if not matches(m.general_desc, full, n):
                return T.UNKNOWN
            for name, ntype in SPECIAL_TYPES:
                if matches(getattr(m, name), full, n):
                    return ntype
            if matches(m.fixed_line, full, n):
                if m.same_mobile_and_fixed_line_pattern or matches(m.mobile, full, n):
                    return T.FIXED_LINE_OR_MOBILE
                return T.FIXED_LINE
            if not m.same_mobile_and_fixed_line_pattern and matches(m.mobile, full, n):
                return T.MOBILE
            return T.UNKNOWN

        def kind(states, led, n):
            full = [nfa.matched_at_end(s) for nfa, s in zip(nfas, states)]
            chosen = None
            if not shared:
                chosen = metas[0] if metas else None
            else:
                # _region_code_for_number_from_list()
                for j, m in enumerate(metas):
                    if m.leading_digits is not None:
                        if led[j] or full[slot[m.leading_digits]]:
                            chosen = m
                            break
                    elif number_type(m, full, n) != T.UNKNOWN:
                        chosen = m
                        break
            if chosen is None:
                return INVALID
            ntype = number_type(chosen, full, n)
            if ntype == T.UNKNOWN:
                return INVALID
            if is_number_type_geographical(ntype, cc):
                return GEOGRAPHICAL
            return CALLING_CODE

        memo = {}

        def build(states, led, n):
            key = (states, led, n)
            if key in memo:
                return memo[key]
            kids = [None] * 10
            if n < max_nsn:
                # leading digits: a match ending here is a prefix match
                led_next = tuple(
                    led[j] or (shared and m.leading_digits is not None and
                               nfas[slot[m.leading_digits]].matched_here(
                                   states[slot[m.leading_digits]]))
                    for j, m in enumerate(metas))
                for digit in range(10):
                    nxt = tuple(nfa.step(s, digit) for nfa, s in zip(nfas, states))
                    # with every NFA dead no description can match any more
                    if any(nxt):
                        kids[digit] = build(nxt, led_next, n + 1)
            result = self.intern(kind(states, led, n) if n > 0 else INVALID, kids)
            memo[key] = result
            return result

        root = build(tuple(nfa.start() for nfa in nfas),
                     tuple(False for _ in metas), 0)
        self.roots[cc] = -1 if root is None else root

    @staticmethod
    def descs(m):
        for name in ("general_desc",) + tuple(n for n, _ in SPECIAL_TYPES) + ("fixed_line", "mobile"):
            desc = getattr(m, name)
            if desc is not None and desc.national_number_pattern:
                yield desc

    def walk(self, cc, nsn):
        """The C lookup's walk, in Python: the kind of a national number."""
        node = self.roots[cc]
        for ch in nsn:
            if node < 0:
                return INVALID
            digit = int(ch)
            node = next((k for mask, k in self.nodes[node][1] if mask >> digit & 1), -1)
        return INVALID if node < 0 else self.nodes[node][0]


# libphonenumber 8.12.57 still names some zones by names the IANA time zone
# database has since replaced.  The old names live on only as links in
# tzdata's "backward" file, which Debian 13 moved to the optional
# tzdata-legacy package: PostgreSQL 17 there does not know them (t/011 found
# it).  The table stores each zone by its current name, which PostgreSQL
# knows on Debian 12 and 13 alike.
RENAMED_ZONES = {
    "Africa/Asmera": "Africa/Asmara",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Godthab": "America/Nuuk",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Choibalsan": "Asia/Ulaanbaatar",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Truk": "Pacific/Chuuk",
}


def known(zones):
    """libphonenumber's zones by their current names, sorted, each once,
    without its unknown zone (t/e164/tz_cases.py compares with this)."""
    return tuple(sorted({RENAMED_ZONES.get(z, z) for z in zones if z != pn_tz.UNKNOWN_TIMEZONE}))


class Tables:
    """Everything the C file holds."""

    def __init__(self):
        if TIMEZONE_LONGEST_PREFIX > LONGEST_PREFIX:
            raise GenError("prefixes of %d digits (E164_TZ_LONGEST_PREFIX is %d)"
                           % (TIMEZONE_LONGEST_PREFIX, LONGEST_PREFIX))
        self.dfa = Dfa()
        self.codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
        for cc in self.codes:
            if not 0 < cc < 1000:
                raise GenError("calling code %d" % cc)
            self.dfa.add_calling_code(cc)
        if len(self.dfa.nodes) > 65535:
            raise GenError("%d DFA nodes (the C table holds 65535)" % len(self.dfa.nodes))
        self.prefixes = {}
        for prefix, zones in TIMEZONE_DATA.items():
            if not prefix.isdigit() or not 0 < len(prefix) <= TIMEZONE_LONGEST_PREFIX:
                raise GenError("bad prefix %r" % prefix)
            self.prefixes[prefix] = known(zones)
        self.country = {}
        for cc in self.codes:
            # libphonenumber's own country-level rule, whatever it is
            num = phonenumbers.PhoneNumber(country_code=cc, national_number=0)
            self.country[cc] = known(pn_tz._country_level_time_zones_for_number(num))
        lists = set(self.prefixes.values()) | set(self.country.values())
        for zs in lists:
            if list(zs) != sorted(zs):
                raise GenError("zone list not sorted: %r" % (zs,))
        self.zones = sorted({z for zs in lists for z in zs})
        for z in self.zones:
            if not z or not all(c.isalnum() or c in "/_+-" for c in z):
                raise GenError("odd zone name %r" % z)
        # lists in a fixed order: by length, then names
        self.lists = sorted(lists, key=lambda zs: (len(zs), zs))
        self.list_id = {zs: i for i, zs in enumerate(self.lists)}

    def lookup(self, digits):
        """e164_timezones_lookup.c in Python: the zones of a number's E.164 digits."""
        if not digits.isdigit() or not 2 <= len(digits) <= MAX_DIGITS:
            return ()
        if digits[0] == "0":
            return ()
        for n in (1, 2, 3):
            if n >= len(digits):
                return ()
            cc = int(digits[:n])
            if cc in self.dfa.roots:
                break
        else:
            return ()
        kind = self.dfa.walk(cc, digits[n:])
        if kind == INVALID:
            return ()
        if kind == CALLING_CODE:
            return self.country[cc]
        for n in range(min(len(digits), TIMEZONE_LONGEST_PREFIX), 0, -1):
            if digits[:n] in self.prefixes:
                return self.prefixes[digits[:n]]
        return ()


def self_check(t):
    """Fail unless the tables agree with time_zones_for_number()."""
    rnd = random.Random(20)
    samples = set()
    metas = [PhoneMetadata.metadata_for_region(r) for r in sorted(phonenumbers.SUPPORTED_REGIONS)]
    metas += [PhoneMetadata.metadata_for_nongeo_region(cc)
              for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)]
    for m in metas:
        for desc in Dfa.descs(m):
            if desc.example_number:
                samples.add(str(m.country_code) + desc.example_number)
    for prefix in TIMEZONE_DATA:
        samples.add(prefix)
    for s in sorted(samples):
        for _ in range(SELF_CHECK_MUTATIONS):
            d = list(s)
            for _ in range(rnd.randint(1, 3)):
                d[rnd.randrange(len(d))] = str(rnd.randrange(10))
            while len(d) < 8 or rnd.random() < 0.2:
                d.append(str(rnd.randrange(10)))
            if rnd.random() < 0.2:
                d.pop()
            samples.add("".join(d))
    checked = bad = 0
    for digits in sorted(samples):
        if len(digits) > MAX_DIGITS:
            continue
        try:
            num = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) != "+" + digits:
            continue
        checked += 1
        want = known(pn_tz.time_zones_for_number(num))
        if t.lookup(digits) != want:
            bad += 1
            if bad <= 10:
                sys.stderr.write("self-check: +%s: tables say %s, libphonenumber %s\n"
                                 % (digits, t.lookup(digits), want))
    if bad or checked < 10000:
        raise GenError("self-check failed: %d of %d numbers disagree" % (bad, checked))
    return checked


def render(t, checked):
    """The C source of e164_timezones.c."""
    version = phonenumbers.__version__
    out = []
    w = out.append
    w("/*")
    w(" * e164_timezones.c")
    w(" *\t  GENERATED by extension/e164/gen_e164_timezones.py from libphonenumber %s"
      " \u2014 do not edit." % version)
    w(" *")
    w(" * Regenerate with:")
    w(" *\t  /usr/bin/python3 extension/e164/gen_e164_timezones.py extension/e164/e164_timezones.c")
    w(" *")
    w(" * %d zones, %d zone lists, %d prefixes, %d calling codes, %d classifier"
      % (len(t.zones), len(t.lists), len(t.prefixes), len(t.codes), len(t.dfa.nodes)))
    w(" * states with %d edges; checked against time_zones_for_number() on %d numbers."
      % (sum(len(e) for _, e in t.dfa.nodes), checked))
    w(" * The tables' layout and the lookup rule are in e164_timezones.h; the lookup")
    w(" * is e164_timezones_lookup.c.")
    w(" */")
    w("#include <stddef.h>")
    w("")
    w('#include "e164/e164_timezones.h"')
    w("")
    w('const char\te164_timezones_version[] = "%s";' % version)
    w("")
    offsets, pos = {}, 0
    w("/* Every zone name once, NUL-terminated, sorted. */")
    w("static const char tz_names[] =")
    for i, z in enumerate(t.zones):
        offsets[z] = pos
        pos += len(z) + 1
        w('\t"%s\\0"%s' % (z, ";" if i == len(t.zones) - 1 else ""))
    w("")
    w("#define Z(offset) (tz_names + (offset))")
    w("")
    w("const char *const e164_tz_zones[] = {")
    out.extend(gm.wrap(["Z(%d)" % offsets[z] for z in t.zones]))
    w("};")
    w("")
    w("const int\te164_tz_zone_count = %d;" % len(t.zones))
    w("")
    w("const char *const e164_tz_list_zones[] = {")
    starts, pos = [], 0
    for zs in t.lists:
        starts.append(pos)
        pos += len(zs)
        if zs:
            w("\t/* %d */ %s" % (len(starts) - 1, " ".join("Z(%d)," % offsets[z] for z in zs)))
    w("\tNULL")
    w("};")
    w("")
    w("#undef Z")
    w("")
    w("const E164TzList e164_tz_lists[] = {")
    out.extend(gm.wrap(["{%d, %d}" % (s, len(zs)) for s, zs in zip(starts, t.lists)]))
    w("};")
    w("")
    w("const E164TzPrefix e164_tz_prefixes[] = {")
    out.extend(gm.wrap(['{"%s", %d}' % (p, t.list_id[t.prefixes[p]])
                        for p in sorted(t.prefixes)]))
    w("};")
    w("")
    w("const int\te164_tz_prefix_count = %d;" % len(t.prefixes))
    w("")
    nodes, edges = [], []
    for kind, es in t.dfa.nodes:
        nodes.append("{%d, %d, %d}" % (kind, len(es), len(edges)))
        edges.extend("{%d, %d}" % e for e in es)
    w("const E164TzNode e164_tz_nodes[] = {")
    out.extend(gm.wrap(nodes))
    w("};")
    w("")
    w("const E164TzEdge e164_tz_edges[] = {")
    out.extend(gm.wrap(edges))
    w("};")
    w("")
    w("const E164TzCallingCode e164_tz_codes[] = {")
    out.extend(gm.wrap(["{%d, %d, %d}" % (cc, t.dfa.roots[cc], t.list_id[t.country[cc]])
                        for cc in t.codes]))
    w("};")
    w("")
    w("const int\te164_tz_code_count = %d;" % len(t.codes))
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) > 2:
        sys.stderr.write("usage: gen_e164_timezones.py [output.c]\n")
        return 2
    try:
        t = Tables()
        text = render(t, self_check(t))
    except (GenError, gm.PatternError) as e:
        sys.stderr.write("gen_e164_timezones.py: %s\n" % e)
        return 1
    if len(argv) == 2:
        tmp = argv[1] + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, argv[1])
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
