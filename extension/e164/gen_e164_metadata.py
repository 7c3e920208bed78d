#!/usr/bin/python3
"""Generate extension/e164/e164_metadata.c from libphonenumber's metadata.

Usage (from the repository root):

    /usr/bin/python3 extension/e164/gen_e164_metadata.py extension/e164/e164_metadata.c

With no argument the C source is written to standard output.  Use Debian's
/usr/bin/python3: it sees python3-phonenumbers, whose metadata is the same
libphonenumber release as libphonenumber-dev.

The output holds, for every supported region plus one "001" entry per
non-geographic calling code, the fields declared in e164_metadata.h, and every
pattern those fields use compiled (with Python's own regex parser) into the
instruction set of e164_regex.h.  Identical programs are stored once.  Any
regex construct outside libphonenumber's digit subset makes the generator fail
with a non-zero exit status.  The output is deterministic: the same metadata
always gives a byte-identical file.

This module can also be imported (the regex check in extension/e164/tests does so
to learn which program each pattern compiled to).
"""

import os
import re
import sys

try:
    import re._parser as sre_parse
    import re._constants as sre_constants
except ImportError:  # Python < 3.11
    import sre_parse
    import sre_constants

import phonenumbers
from phonenumbers import PhoneMetadata

# Must agree with E164_REGEX_MAX_GROUPS in e164_regex.h.
MAX_GROUPS = 4

# Opcodes, in the order of enum E164RegexOp in e164_regex.h.
CLASS, SPLIT, JMP, SAVE, EOL, MATCH = range(6)

ALL_DIGITS = 0x3FF


class PatternError(Exception):
    """A pattern uses a construct the matcher does not support."""


def digit_mask(items, pattern):
    """Digit bitmask of the members of a character class."""
    mask = 0
    for op, av in items:
        if op == sre_constants.LITERAL and 0x30 <= av <= 0x39:
            mask |= 1 << (av - 0x30)
        elif op == sre_constants.RANGE and 0x30 <= av[0] <= av[1] <= 0x39:
            for c in range(av[0], av[1] + 1):
                mask |= 1 << (c - 0x30)
        elif op == sre_constants.CATEGORY and av == sre_constants.CATEGORY_DIGIT:
            mask |= ALL_DIGITS
        else:
            raise PatternError("unsupported class member %s %r in %r"
                               % (op, av, pattern))
    if mask == 0:
        raise PatternError("empty character class in %r" % pattern)
    return mask


def nullable(seq):
    """True if a parsed sequence can match the empty string."""
    for op, av in seq:
        if op in (sre_constants.LITERAL, sre_constants.IN):
            return False
        if op == sre_constants.SUBPATTERN and not nullable(av[3]):
            return False
        if op == sre_constants.BRANCH and not any(nullable(b) for b in av[1]):
            return False
        if op == sre_constants.MAX_REPEAT and av[0] > 0 and not nullable(av[2]):
            return False
    return True


class Compiler:
    """Compiles one parsed pattern into a list of (op, arg, x, y) tuples."""

    def __init__(self, pattern):
        self.pattern = pattern
        self.code = []

    def emit(self, op, arg=0, x=0, y=0):
        self.code.append([op, arg, x, y])
        return len(self.code) - 1

    def seq(self, items):
        for op, av in items:
            self.item(op, av)

    def item(self, op, av):
        c = sre_constants
        if op == c.LITERAL:
            if not 0x30 <= av <= 0x39:
                raise PatternError("non-digit literal %r in %r"
                                   % (chr(av), self.pattern))
            self.emit(CLASS, 1 << (av - 0x30))
        elif op == c.IN:
            self.emit(CLASS, digit_mask(av, self.pattern))
        elif op == c.SUBPATTERN:
            group, add_flags, del_flags, body = av
            if add_flags or del_flags:
                raise PatternError("inline flags in %r" % self.pattern)
            if group is None:
                self.seq(body)
            else:
                self.emit(SAVE, 2 * group)
                self.seq(body)
                self.emit(SAVE, 2 * group + 1)
        elif op == c.BRANCH:
            self.branch(av[1])
        elif op == c.MAX_REPEAT:
            self.repeat(*av)
        elif op == c.AT and av == c.AT_END:
            self.emit(EOL)
        else:
            raise PatternError("unsupported construct %s %r in %r"
                               % (op, av, self.pattern))

    def branch(self, alternatives):
        """a|b|c: SPLIT to each alternative in turn, all JMP to the end."""
        jumps = []
        for alt in alternatives[:-1]:
            split = self.emit(SPLIT)
            self.code[split][2] = len(self.code)
            self.seq(alt)
            jumps.append(self.emit(JMP))
            self.code[split][3] = len(self.code)
        self.seq(alternatives[-1])
        for j in jumps:
            self.code[j][2] = len(self.code)

    def repeat(self, lo, hi, body):
        """Greedy {lo,hi}: lo copies, then nested optional copies or a loop."""
        for _ in range(lo):
            self.seq(body)
        if hi == sre_constants.MAXREPEAT:
            if nullable(body):
                raise PatternError("unbounded repeat of a nullable body in %r"
                                   % self.pattern)
            loop = self.emit(SPLIT)
            self.code[loop][2] = len(self.code)
            self.seq(body)
            self.emit(JMP, 0, loop)
            self.code[loop][3] = len(self.code)
            return
        splits = []
        for _ in range(hi - lo):
            split = self.emit(SPLIT)
            self.code[split][2] = len(self.code)
            splits.append(split)
            self.seq(body)
        for s in splits:
            self.code[s][3] = len(self.code)


def compile_pattern(pattern):
    """Compile a pattern; returns (instructions, number of groups)."""
    parsed = sre_parse.parse(pattern)
    if parsed.state.flags & ~sre_constants.SRE_FLAG_UNICODE:
        raise PatternError("inline flags in %r" % pattern)
    ngroups = parsed.state.groups - 1
    if ngroups > MAX_GROUPS:
        raise PatternError("%d groups (max %d) in %r"
                           % (ngroups, MAX_GROUPS, pattern))
    comp = Compiler(pattern)
    comp.seq(parsed)
    comp.emit(MATCH)
    code = tuple(tuple(i) for i in comp.code)
    for op, arg, x, y in code:
        if op in (SPLIT, JMP) and not (0 <= x < len(code) and 0 <= y < len(code)):
            raise PatternError("bad jump target in %r" % pattern)
    return code, ngroups


def length_mask(lengths, what):
    """Bitmask of possible lengths (bit n: n digits)."""
    mask = 0
    for n in lengths or ():
        if n == -1:  # "not applicable" marker of libphonenumber
            continue
        if not 0 < n < 32:
            raise PatternError("%s: impossible length %d" % (what, n))
        mask |= 1 << n
    return mask


def transform_rule(rule, what):
    """Python's "\\1"-style replacement as RE2's "$1" style, or None."""
    if rule is None:
        return None
    out = re.sub(r"\\(\d)", r"$\1", rule)
    if not re.fullmatch(r"[0-9$]*", out):
        raise PatternError("%s: unsupported transform rule %r" % (what, rule))
    return out


class Tables:
    """Regions and deduplicated programs, in output order."""

    def __init__(self):
        self.regions = []          # dicts, output order
        self.programs = []         # (code, ngroups)
        self.program_index = {}    # code+ngroups -> index
        self.pattern_program = {}  # pattern string -> index
        self.pattern_order = []    # patterns, first-seen order

    def program(self, pattern):
        """Program index of a pattern (compiling it on first use), or -1."""
        if pattern is None:
            return -1
        if pattern in self.pattern_program:
            return self.pattern_program[pattern]
        code, ngroups = compile_pattern(pattern)
        key = (code, ngroups)
        if key not in self.program_index:
            self.program_index[key] = len(self.programs)
            self.programs.append(key)
        idx = self.program_index[key]
        self.pattern_program[pattern] = idx
        self.pattern_order.append(pattern)
        return idx

    def add_region(self, code, meta, main):
        desc = meta.general_desc
        what = "%s (+%d)" % (code, meta.country_code)
        self.regions.append({
            "code": code,
            "cc": meta.country_code,
            "main": main,
            "lengths": length_mask(desc.possible_length, what),
            "local": length_mask(desc.possible_length_local_only, what),
            "idd": self.program(meta.international_prefix),
            "npp": self.program(meta.national_prefix_for_parsing),
            "rule": transform_rule(meta.national_prefix_transform_rule, what),
            "nnp": self.program(desc.national_number_pattern),
        })


def collect():
    """Read phonenumbers' metadata into a Tables."""
    t = Tables()
    cc_map = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    main_of = {cc: regions[0] for cc, regions in cc_map.items()}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None:
            raise PatternError("no metadata for %s" % region)
        t.add_region(region, meta, main_of.get(meta.country_code) == region)
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        meta = PhoneMetadata.metadata_for_nongeo_region(cc)
        if meta is None or meta.country_code != cc:
            raise PatternError("no metadata for non-geographic +%d" % cc)
        t.add_region("001", meta, True)
    # every calling code needs exactly one main entry
    mains = {}
    for i, r in enumerate(t.regions):
        if not 0 < r["cc"] < 1000:
            raise PatternError("%s: calling code %d" % (r["code"], r["cc"]))
        if r["main"]:
            if r["cc"] in mains:
                raise PatternError("two main regions for +%d" % r["cc"])
            mains[r["cc"]] = i
    for cc in cc_map:
        if cc not in mains:
            raise PatternError("no main region for +%d" % cc)
    t.main_by_cc = mains
    for code, ngroups in t.programs:
        assert ngroups <= MAX_GROUPS
    if len(t.programs) > 32767:
        raise PatternError("too many programs for E164Pattern")
    return t


def comment(text):
    """Text made safe inside a C block comment (no */, no trigraphs)."""
    return text.replace("*/", "* /").replace("??", "? ?").rstrip("\\")


def c_string(s):
    return "NULL" if s is None else '"%s"' % s


def wrap(items, indent="\t", width=96):
    """Comma-separated items as lines no longer than width (tabs count 4)."""
    lines, cur = [], ""
    for it in items:
        piece = it + ","
        if cur and len(cur) + 1 + len(piece) + 4 > width:
            lines.append(indent + cur)
            cur = piece
        else:
            cur = cur + " " + piece if cur else piece
    if cur:
        lines.append(indent + cur)
    return lines


def inst_text(inst):
    op, arg, x, y = inst
    if op == CLASS:
        return "D" if arg == ALL_DIGITS else "K(%d)" % arg
    if op == SPLIT:
        return "S(%d,%d)" % (x, y)
    if op == JMP:
        return "J(%d)" % x
    if op == SAVE:
        return "V(%d)" % arg
    if op == EOL:
        return "E"
    return "M"


def render_programs(t):
    """C lines defining e164_regex_programs[] and e164_regex_program_count."""
    out = []
    w = out.append
    w("/* Instructions: x and y index the program's own code (0 = its first). */")
    w("#define K(m) {E164RX_CLASS, (m), 0, 0}")
    w("#define D K(1023)")
    w("#define S(a, b) {E164RX_SPLIT, 0, (a), (b)}")
    w("#define J(a) {E164RX_JMP, 0, (a), 0}")
    w("#define V(s) {E164RX_SAVE, (s), 0, 0}")
    w("#define E {E164RX_EOL, 0, 0, 0}")
    w("#define M {E164RX_MATCH, 0, 0, 0}")
    w("")
    # patterns of each program, for the comments
    sources = {}
    for pat in t.pattern_order:
        sources.setdefault(t.pattern_program[pat], []).append(pat)
    w("static const E164RegexInst rx_code[] = {")
    offsets = []
    pos = 0
    for i, (code, ngroups) in enumerate(t.programs):
        offsets.append(pos)
        pos += len(code)
        for pat in sources[i]:
            w("\t/* %d: %s */" % (i, comment(pat)))
        out.extend(wrap([inst_text(inst) for inst in code]))
    w("};")
    w("")
    w("#undef K")
    w("#undef D")
    w("#undef S")
    w("#undef J")
    w("#undef V")
    w("#undef E")
    w("#undef M")
    w("")
    w("const E164RegexProgram e164_regex_programs[] = {")
    out.extend(wrap(["{rx_code + %d, %d, %d}" % (off, len(code), ng)
                     for off, (code, ng) in zip(offsets, t.programs)]))
    w("};")
    w("")
    w("const int\te164_regex_program_count = %d;" % len(t.programs))
    return out


def render(t):
    """The C source of e164_metadata.c."""
    version = phonenumbers.__version__
    out = []
    w = out.append
    w("/*")
    w(" * e164_metadata.c")
    w(" *\t  GENERATED by extension/e164/gen_e164_metadata.py from libphonenumber %s"
      " \u2014 do not edit." % version)
    w(" *")
    w(" * Regenerate with:")
    w(" *\t  /usr/bin/python3 extension/e164/gen_e164_metadata.py extension/e164/e164_metadata.c")
    w(" *")
    w(" * %d regions (%d non-geographic), %d regex programs, %d instructions."
      % (len(t.regions), sum(r["code"] == "001" for r in t.regions),
         len(t.programs), sum(len(c) for c, _ in t.programs)))
    w(" */")
    w("#include <stddef.h>")
    w("")
    w('#include "e164/e164_metadata.h"')
    w('#include "e164/e164_regex.h"')
    w("")
    w('const char\te164_metadata_version[] = "%s";' % version)
    w("")
    out.extend(render_programs(t))
    w("")
    w("/* code, calling code, main, lengths, local-only lengths,"
      " IDD, national prefix, rule, pattern */")
    w("const E164Region e164_regions[] = {")
    for r in t.regions:
        w('\t{"%s", %d, %s, 0x%x, 0x%x, %d, %d, %s, %d},'
          % (r["code"], r["cc"], "true" if r["main"] else "false",
             r["lengths"], r["local"], r["idd"], r["npp"],
             c_string(r["rule"]), r["nnp"]))
    w("};")
    w("")
    w("const int\te164_region_count = %d;" % len(t.regions))
    w("")
    # 26 x 26 letter table for the alpha-2 lookup
    letters = [-1] * (26 * 26)
    for i, r in enumerate(t.regions):
        if r["code"] != "001":
            a, b = (ord(ch) - ord("A") for ch in r["code"])
            letters[a * 26 + b] = i
    w("/* e164_regions index by (first letter - 'A') * 26 + (second - 'A'), or -1 */")
    w("static const int16_t region_by_letters[26 * 26] = {")
    for a in range(26):
        w("\t" + ", ".join(str(v) for v in letters[a * 26:(a + 1) * 26]) + ",")
    w("};")
    w("")
    by_cc = [-1] * 1000
    for cc, i in t.main_by_cc.items():
        by_cc[cc] = i
    w("/* e164_regions index of each calling code's main entry, or -1 */")
    w("static const int16_t region_by_cc[1000] = {")
    for base in range(0, 1000, 25):
        w("\t" + ", ".join(str(v) for v in by_cc[base:base + 25]) + ",")
    w("};")
    w("")
    w("""/*
 * Region by ISO 3166-1 alpha-2 code, case-insensitive; NULL if unsupported.
 */
const E164Region *
e164_region_by_code(const char *iso, int len)
{
	int			a;
	int			b;
	int			idx;

	if (iso == NULL || len != 2)
		return NULL;
	a = (iso[0] | 0x20) - 'a';
	b = (iso[1] | 0x20) - 'a';
	if (a < 0 || a >= 26 || b < 0 || b >= 26)
		return NULL;
	idx = region_by_letters[a * 26 + b];
	return idx < 0 ? NULL : &e164_regions[idx];
}

/*
 * Main region of a calling code, the "001" entry for non-geographic codes;
 * NULL when the code is not assigned.
 */
const E164Region *
e164_region_for_country_code(int country_code)
{
	int			idx;

	if (country_code <= 0 || country_code >= 1000)
		return NULL;
	idx = region_by_cc[country_code];
	return idx < 0 ? NULL : &e164_regions[idx];
}""")
    return "\n".join(out) + "\n"


def main(argv):
    try:
        text = render(collect())
    except PatternError as e:
        sys.stderr.write("gen_e164_metadata.py: %s\n" % e)
        return 1
    if len(argv) > 2:
        sys.stderr.write("usage: gen_e164_metadata.py [output.c]\n")
        return 2
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
