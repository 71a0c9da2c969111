"""The line .ci/run ends with (.ci/summary.py): every report counted, and never a clean line
when a step did not report. Hand-made JUnit XML files; no database."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "summary.py"


@pytest.fixture(scope="module")
def summary():
    # .ci is no package: load the script from its path.
    spec = importlib.util.spec_from_file_location("ci_summary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def junit(*cases: str, root: str = "testsuites") -> str:
    """A report in pytest's shape (<testsuites><testsuite>); each case is the body of one
    <testcase>, "" for a pass."""
    body = "".join(
        f'<testcase classname="t" name="c{i}">{c}</testcase>' for i, c in enumerate(cases)
    )
    suite = f'<testsuite name="pytest" tests="{len(cases)}">{body}</testsuite>'
    xml = suite if root == "testsuite" else f"<testsuites>{suite}</testsuites>"
    return f'<?xml version="1.0" encoding="utf-8"?>{xml}'


PASS = ""
FAIL = '<failure message="assert 1 == 2">trace</failure>'
ERROR = '<error message="fixture broke">trace</error>'
SKIP = '<skipped type="pytest.skip" message="no chromium">skipped</skipped>'


def run(summary, capsys, tmp_path, *expected, exit_status=0):
    status = summary.main(["--exit-status", str(exit_status), str(tmp_path), *expected])
    lines = capsys.readouterr().out.splitlines()
    return status, lines


def test_all_passed_is_a_clean_line_and_the_last_one(summary, capsys, tmp_path):
    (tmp_path / "pytest-sqlite.xml").write_text(junit(PASS, PASS, PASS))
    (tmp_path / "pytest-postgres.xml").write_text(junit(PASS, PASS, root="testsuite"))
    status, lines = run(summary, capsys, tmp_path, "pytest-sqlite", "pytest-postgres")
    assert lines[-1] == "CI: 5 passed, 0 failed"
    assert status == 0


def test_failures_and_errors_both_count_as_failed(summary, capsys, tmp_path):
    (tmp_path / "pytest-sqlite.xml").write_text(junit(PASS, FAIL, ERROR, PASS))
    status, lines = run(summary, capsys, tmp_path, "pytest-sqlite")
    assert lines[-1] == "CI: 2 passed, 2 failed"
    assert status == 1


def test_skipped_are_counted_apart(summary, capsys, tmp_path):
    (tmp_path / "pytest-sqlite.xml").write_text(junit(PASS, SKIP, SKIP))
    status, lines = run(summary, capsys, tmp_path, "pytest-sqlite")
    assert lines[-1] == "CI: 1 passed, 0 failed, 2 skipped"
    assert status == 0


def test_a_missing_report_of_a_step_that_ran_is_a_failure(summary, capsys, tmp_path):
    (tmp_path / "pytest-sqlite.xml").write_text(junit(PASS, PASS))
    status, lines = run(
        summary, capsys, tmp_path, "pytest-sqlite", "pytest-postgres", exit_status=2
    )
    assert lines[-1] == "CI: 2 passed, 1 failed"
    assert any(line.startswith("pytest-postgres: no report") for line in lines)
    assert status == 1


def test_an_unreadable_report_is_a_failure(summary, capsys, tmp_path):
    (tmp_path / "schemathesis.xml").write_text("")  # opened, never written: the run was killed
    status, lines = run(summary, capsys, tmp_path, "schemathesis")
    assert lines[-1] == "CI: 0 passed, 1 failed"
    assert status == 1


def test_a_report_with_no_test_is_a_failure(summary, capsys, tmp_path):
    # pytest's exit code 5 ("no tests ran") still writes a report, an empty one.
    (tmp_path / "pytest-sqlite.xml").write_text(junit())
    (tmp_path / "pytest-postgres.xml").write_text(junit(PASS))
    status, lines = run(summary, capsys, tmp_path, "pytest-sqlite", "pytest-postgres")
    assert lines[-1] == "CI: 1 passed, 1 failed"
    assert status == 1


def test_nothing_reported_is_never_clean(summary, capsys, tmp_path):
    status, lines = run(summary, capsys, tmp_path / "absent")
    assert lines[-1] == "CI: 0 passed, 1 failed"
    assert status == 1


def test_a_failed_run_with_every_report_clean_still_fails(summary, capsys, tmp_path):
    # A step between the reports (say `ruff check` in `make test`) stopped the run.
    (tmp_path / "pytest-sqlite.xml").write_text(junit(PASS))
    status, lines = run(summary, capsys, tmp_path, "pytest-sqlite", exit_status=1)
    assert lines[-1] == "CI: 1 passed, 1 failed"
    assert status == 1


def test_schemathesis_and_the_deploy_check_reports(summary, capsys, tmp_path):
    # Schemathesis 4's shape: one case per API operation, outcomes typed in attributes.
    (tmp_path / "schemathesis.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<testsuites errors="1" failures="1" skipped="0" tests="3" time="1.0">'
        '<testsuite name="schemathesis" errors="1" failures="1" skipped="0" tests="3">'
        '<testcase name="GET /api/v1/accounts/" time="0.5" />'
        '<testcase name="POST /api/v1/accounts/" time="0.3">'
        '<failure type="failure" message="not_a_server_error">500</failure></testcase>'
        '<testcase name="GET /api/v1/visits/" time="0.2">'
        '<error type="error" message="network">refused</error></testcase>'
        "</testsuite></testsuites>"
    )
    (tmp_path / "deploy-check.xml").write_text(
        '<testsuite name="deploy-check" tests="1"><testcase name="deploy-check"></testcase>'
        "</testsuite>"
    )
    status, lines = run(summary, capsys, tmp_path, "schemathesis", "deploy-check")
    assert lines[-1] == "CI: 2 passed, 2 failed"
    assert "schemathesis: 1 passed, 2 failed" in lines
    assert status == 1


def test_the_script_prints_the_line_last(tmp_path):
    (tmp_path / "deploy-check.xml").write_text(
        '<testsuite><testcase name="deploy-check"><failure message="exit status 1"/>'
        "</testcase></testsuite>"
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--exit-status", "1", str(tmp_path), "deploy-check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.splitlines()[-1] == "CI: 0 passed, 1 failed"
    assert done.returncode == 1


PYTEST_CLOSING_LINE = r"^=+ (?P<outcomes>.+) in (?P<seconds>[0-9.]+)s =+$"


def test_the_totals_close_the_run_in_pytests_own_shape_before_the_plain_line(
    summary, capsys, tmp_path
):
    # The landing reads the last test runner's closing line: it must be these totals, not
    # the last tool's own ("== 3 warnings in 600s ==" read as "no tests ran").
    (tmp_path / "pytest-sqlite.xml").write_text(junit(PASS, FAIL, SKIP, PASS))
    (tmp_path / "schemathesis.xml").write_text(junit(PASS, root="testsuite"))
    status = summary.main(["--seconds", "1650.4", str(tmp_path), "pytest-sqlite"])
    lines = capsys.readouterr().out.splitlines()
    closing = re.match(PYTEST_CLOSING_LINE, lines[-2])
    assert closing, lines[-2]
    assert closing["outcomes"] == "1 failed, 3 passed, 1 skipped"
    assert closing["seconds"] == "1650.40"
    assert lines[-1] == "CI: 3 passed, 1 failed, 1 skipped"
    # Only that one line in the summary is shaped like a closing line.
    assert [line for line in lines if re.match(PYTEST_CLOSING_LINE, line)] == [lines[-2]]
    assert status == 1


def test_a_clean_run_closes_with_its_passes_alone(summary, capsys, tmp_path):
    (tmp_path / "pytest-postgres.xml").write_text(junit(PASS, PASS))
    summary.main(["--seconds", "3", str(tmp_path), "pytest-postgres"])
    lines = capsys.readouterr().out.splitlines()
    assert re.match(PYTEST_CLOSING_LINE, lines[-2])["outcomes"] == "2 passed"


def test_schemathesis_closing_line_is_printed_unframed():
    # .ci/schemathesis.sh pipes Schemathesis' console through this filter: its own closing
    # line has no pass count and would read as a runner that ran no test.
    script = (SCRIPT.parent / "schemathesis.sh").read_text()
    definition = re.search(r"^unframe_closing_line\(\) \{.*\}$", script, re.MULTILINE)[0]
    console = "Test cases:\n  29525 generated, 29525 passed\n==== 3 warnings in 600.02s ====\n"
    done = subprocess.run(
        ["bash", "-c", f"{definition}\nunframe_closing_line"],
        input=console,
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout.splitlines()
    assert out[-1] == "Schemathesis: 3 warnings in 600.02s"
    assert not any(re.match(PYTEST_CLOSING_LINE, line) for line in out)
    assert out[:2] == console.splitlines()[:2]
