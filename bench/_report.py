"""Turn the BENCH lines of a run into one table (used by scripts/bench.sh).

    python bench/_report.py RESULTS_FILE      # exit 1 if a script failed (FAILED lines), or,
                                              # with BENCH_STRICT=1, if a target was missed
"""

import os
import re
import sys

LINE = re.compile(
    r"^BENCH (?P<name>\S+) (?P<value>\S+) (?P<unit>\S+) target=(?P<target>\S+) ratio=(?P<ratio>\S+)$"
)
TARGET = re.compile(r"^(>=|<=|>|<)(\d+(?:\.\d+)?)$")


def verdict(value: float, target: str) -> str:
    match = TARGET.match(target)
    if not match:
        return "-"
    op, bound = match.group(1), float(match.group(2))
    met = {">=": value >= bound, "<=": value <= bound, ">": value > bound, "<": value < bound}[op]
    return "met" if met else "NOT MET"


def table(lines: list[str]) -> tuple[str, int, int]:
    rows, failed, missed = [], 0, 0
    for raw in lines:
        raw = raw.strip()
        if raw.startswith("FAILED "):
            failed += 1
            _failed, name, reason = (raw.split(" ", 2) + [""])[:3]
            rows.append((name, "-", "-", "-", f"FAILED: {reason}"))
            continue
        match = LINE.match(raw)
        if not match:
            continue
        value = float(match["value"])
        result = verdict(value, match["target"])
        missed += result == "NOT MET"
        rows.append((match["name"], f"{value:.4g} {match['unit']}", match["target"],
                     match["ratio"], result))
    header = ("figure", "value", "target", "ratio to raw SQL", "met?")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    out = [" | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)),
           "-+-".join("-" * w for w in widths)]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out), failed, missed


def main(path: str) -> int:
    with open(path) as f:
        text, failed, missed = table(f.readlines())
    print(text)
    if failed:
        print(f"\n{failed} bench script(s) failed", file=sys.stderr)
        return 1
    if missed and os.environ.get("BENCH_STRICT") == "1":
        print(f"\n{missed} target(s) not met", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
