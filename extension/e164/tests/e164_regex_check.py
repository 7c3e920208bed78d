#!/usr/bin/python3
"""Expected results for e164_regex_check.c, computed with Python's re.

Usage (from the repository root):

    /usr/bin/python3 extension/e164/tests/e164_regex_check.py [/tmp/e164_regex_check.txt] [N]
    /usr/bin/python3 extension/e164/tests/e164_regex_check.py --extra /tmp/e164_rx_extra

The second form tests constructs the current metadata does not use (loops,
nested groups, long inputs that push the matcher onto the heap) and the
generator's rejection of unsupported constructs: it writes DIR/programs.c,
to link instead of e164_metadata.c, and DIR/data.txt.

For every pattern in the metadata, N (default 3000) digit strings: a third
uniformly random, a third sampled from the pattern itself (so they often
match), a third such samples mutated (a digit changed, cut short or extended).
Each line of the output is

    program digits consume_end fullmatch [start end] * ngroups

with "-" for the empty string and -1 for no match or a group that did not take
part.  The seed is fixed, so the file is reproducible.
"""

import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gen_e164_metadata as gen  # noqa: E402

c = gen.sre_constants


def sample(rng, seq):
    """A random string the parsed sequence can match."""
    out = []
    for op, av in seq:
        if op == c.LITERAL:
            out.append(chr(av))
        elif op == c.IN:
            mask = gen.digit_mask(av, "")
            out.append(rng.choice([str(d) for d in range(10) if mask >> d & 1]))
        elif op == c.SUBPATTERN:
            out.append(sample(rng, av[3]))
        elif op == c.BRANCH:
            out.append(sample(rng, rng.choice(av[1])))
        elif op == c.MAX_REPEAT:
            lo, hi, body = av
            hi = min(hi, lo + 6)
            out.extend(sample(rng, body) for _ in range(rng.randint(lo, hi)))
    return "".join(out)


def mutate(rng, s):
    """s with a digit changed, cut short or extended."""
    k = rng.randrange(4)
    if k == 0 and s:
        i = rng.randrange(len(s))
        return s[:i] + str(rng.randrange(10)) + s[i + 1:]
    if k == 1 and s:
        return s[:rng.randrange(len(s))]
    if k == 2:
        return s + "".join(str(rng.randrange(10)) for _ in range(rng.randint(1, 4)))
    return "".join(str(rng.randrange(10)) for _ in range(rng.randint(0, 3))) + s


def strings(rng, parsed, n):
    """n test strings for one pattern."""
    out = []
    for i in range(n):
        k = i % 3
        if k == 0:
            s = "".join(str(rng.randrange(10)) for _ in range(rng.randint(0, 24)))
        elif k == 1:
            s = sample(rng, parsed)
        else:
            s = mutate(rng, sample(rng, parsed))
        out.append(s)
    return out


# Constructs beyond today's metadata, including worst cases for the matcher;
# True where Python's re (exponential on ambiguous loops) copes with 400 digits.
EXTRA = [
    (r"\d*", True), (r"\d+", True), (r"1\d*2", True), (r"(1+)(2*)3", True),
    (r"(?:12|1)+2", False), (r"(\d)(\d{2,})$", True), (r"(?:1|12)(?:23|3)?4", True),
    (r"((1)|(12))(3)?", True), (r"(?:(0)|0(0))+", False), (r"[13-5]{3,}7", True),
    (r"(?:\d?){12}\d{12}", False), (r"\d{0,400}", True), (r"\d{150}", True),
    (r"(?:\d\d?)+1", False), (r"(1\d{0,3})?(2|23)$|[0-9]{2}", True),
    (r"0|00|000$", True), (r"$", True), (r"(?:)", True), (r"(?:1?){5}", True),
]

# Constructs the generator must refuse.
REJECT = [
    r"\d*?", r"\d??", r"a", r"[^5]", r"\w", r"^1", r"(?:1?)*", r"(1)(2)(3)(4)(5)",
    r"(?i)1", r".", r"(1)\1", r"(?=1)", r"\d{2,}?", r"1\b",
]


def extra(outdir):
    """Write DIR/programs.c and DIR/data.txt for the EXTRA patterns."""
    for pat in REJECT:
        try:
            gen.compile_pattern(pat)
        except (gen.PatternError, AssertionError):
            continue
        sys.exit("generator accepted %r" % pat)
    os.makedirs(outdir, exist_ok=True)
    t = gen.Tables()
    for pat, _ in EXTRA:
        t.program(pat)
    with open(os.path.join(outdir, "programs.c"), "w") as f:
        f.write("#include <stddef.h>\n#include \"e164/e164_regex.h\"\n\n")
        f.write("\n".join(gen.render_programs(t)) + "\n\n")
        f.write("const E164Region e164_regions[1];\n"
                "const int e164_region_count = 0;\n"
                "const char e164_metadata_version[] = \"extra\";\n"
                "const E164Region *e164_region_by_code(const char *iso, int len)"
                " { return NULL; }\n"
                "const E164Region *e164_region_for_country_code(int cc)"
                " { return NULL; }\n")
    rng = random.Random(165)
    total = 0
    with open(os.path.join(outdir, "data.txt"), "w") as f:
        for pat, long_ok in EXTRA:
            rx = re.compile(pat)
            parsed = gen.sre_parse.parse(pat)
            cases = strings(rng, parsed, 600)
            most = 400 if long_ok else 24
            cases += ["".join(rng.choice("0123") for _ in range(rng.randint(0, most)))
                      for _ in range(100)]
            if long_ok:
                cases += ["1" * 300, "12" * 150, "9" * 400]
            for s in cases:
                m = rx.match(s)
                fields = [str(t.pattern_program[pat]), s or "-",
                          str(m.end() if m else -1), "1" if rx.fullmatch(s) else "0"]
                for g in range(1, rx.groups + 1):
                    span = m.span(g) if m else (-1, -1)
                    fields += [str(span[0]), str(span[1])]
                f.write(" ".join(fields) + "\n")
                total += 1
    sys.stderr.write("%d extra patterns, %d cases, %d rejections -> %s\n"
                     % (len(EXTRA), total, len(REJECT), outdir))


def main(argv):
    if len(argv) > 1 and argv[1] == "--extra":
        extra(argv[2] if len(argv) > 2 else "/tmp/e164_rx_extra")
        return
    path = argv[1] if len(argv) > 1 else "/tmp/e164_regex_check.txt"
    n = int(argv[2]) if len(argv) > 2 else 3000
    rng = random.Random(164)
    t = gen.collect()
    total = 0
    with open(path, "w") as f:
        for pat in t.pattern_order:
            prog = t.pattern_program[pat]
            rx = re.compile(pat)
            parsed = gen.sre_parse.parse(pat)
            for s in strings(rng, parsed, n):
                m = rx.match(s)
                fields = [str(prog), s or "-", str(m.end() if m else -1),
                          "1" if rx.fullmatch(s) else "0"]
                for g in range(1, rx.groups + 1):
                    span = m.span(g) if m else (-1, -1)
                    fields += [str(span[0]), str(span[1])]
                f.write(" ".join(fields) + "\n")
                total += 1
    sys.stderr.write("%d patterns, %d cases -> %s\n"
                     % (len(t.pattern_order), total, path))


if __name__ == "__main__":
    main(sys.argv)
