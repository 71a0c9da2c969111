"""The line .ci/run ends with (.ci/summary.py): every report counted, and never a clean line
when a step did not report. Hand-made JUnit XML files; no database."""

import importlib.util
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
