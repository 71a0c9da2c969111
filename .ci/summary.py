"""Sum up a CI run's JUnit XML reports into the one line the landing system reads.

    python3 .ci/summary.py [--exit-status N] [--seconds S] REPORT_DIR [EXPECTED ...]

Every *.xml in REPORT_DIR is read: pytest's (--junitxml), Schemathesis' (one test case
per API operation) and the one-case reports .ci/run writes for steps that are no test
runner. A test case with a <failure> or an <error> failed, one with only <skipped> was
skipped, any other passed. One line per report, then the totals twice, last:

    ======== M failed, N passed, K skipped in S.SSs ========
    CI: N passed, M failed[, K skipped]

The landing reads the closing line of the last test runner in the output, or a plain
"N passed, M failed" line: the first of the two is a closing line in pytest's own shape
(its order of outcomes, zero counts left out, the run's seconds), so that whichever it
reads, it reads every test run added up, never the console summary of the last tool run
(Schemathesis' "== 3 warnings in 600s ==", which reads as "no tests ran").

A run that did not report is never clean: an EXPECTED report (a name without .xml, of a
step that ran) that is missing or unreadable, a report with no test case in it (pytest's
"no tests ran"), no test at all, or a nonzero --exit-status with nothing failed each
count one failure. Exit status: 1 if anything failed, else 0. Standard library only: the
run may end before .venv exists.
"""

import argparse
import sys
from pathlib import Path
from xml.etree import ElementTree


def count_report(path: Path) -> tuple[int, int, int, str]:
    """(passed, failed, skipped, note) of one JUnit XML report."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as exc:
        return 0, 1, 0, f"unreadable ({exc}): counted as 1 failed"
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        outcomes = {child.tag for child in case}
        if outcomes & {"failure", "error"}:
            failed += 1
        elif "skipped" in outcomes:
            skipped += 1
        else:
            passed += 1
    if passed + failed + skipped == 0:
        return 0, 1, 0, "no test ran: counted as 1 failed"
    return passed, failed, skipped, ""


def summarise(
    report_dir: Path, expected: list[str], exit_status: int = 0, seconds: float = 0.0
) -> tuple[list[str], int]:
    """The lines to print (the CI line last) and the number of failures."""
    lines = []
    passed = failed = skipped = 0
    reports = sorted(report_dir.glob("*.xml")) if report_dir.is_dir() else []
    for name in expected:
        if not (report_dir / f"{name}.xml").is_file():
            lines.append(f"{name}: no report (the step ended before it wrote one): 1 failed")
            failed += 1
    for path in reports:
        p, f, s, note = count_report(path)
        passed, failed, skipped = passed + p, failed + f, skipped + s
        line = f"{path.stem}: {p} passed, {f} failed" + (f", {s} skipped" if s else "")
        lines.append(f"{line} ({note})" if note else line)
    if passed + failed + skipped == 0:
        lines.append("no test reported at all: 1 failed")
        failed += 1
    if exit_status != 0 and failed == 0:
        lines.append(f"the run exited with {exit_status} outside the tests: 1 failed")
        failed += 1
    total = f"CI: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
    return [*lines, closing_line(passed, failed, skipped, seconds), total], failed


def closing_line(passed: int, failed: int, skipped: int, seconds: float) -> str:
    """The totals as pytest closes a run: "==== 1 failed, 5 passed, 2 skipped in 3.20s ====",
    outcomes in pytest's order, counts of zero left out."""
    counts = [(failed, "failed"), (passed, "passed"), (skipped, "skipped")]
    outcomes = ", ".join(f"{n} {word}" for n, word in counts if n) or "no tests ran"
    return f"{'=' * 30} {outcomes} in {seconds:.2f}s {'=' * 30}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exit-status", type=int, default=0, help="the run's exit status")
    parser.add_argument("--seconds", type=float, default=0.0, help="how long the run took")
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("expected", nargs="*", help="report names (no .xml) that must exist")
    args = parser.parse_args(argv)
    lines, failed = summarise(args.report_dir, args.expected, args.exit_status, args.seconds)
    print("\n".join(lines), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
