"""The registry through which the apps above a page add to it (keyaccounts/sections.py)."""

import pytest

from keyaccounts import sections


def test_the_account_page_selects_what_its_sections_read_through_the_account():
    """The grade card reads the account's score, pin and assessment through the account:
    the page selects them with it (no query of the section's own), each once."""
    related = sections.related("account")
    assert {"score__model", "grade_pin__pinned_by", "assessment__rated_by"} <= set(related)
    assert len(related) == len(set(related))


def test_the_account_lists_rows_are_read_by_the_apps_above_it():
    """scoring's money flags are read onto each row of the account list's page."""
    from scoring.money.risk import attach_money

    assert attach_money in sections._row_readers["account_list"]


def test_a_list_or_page_that_takes_nothing_is_refused_by_name():
    with pytest.raises(ValueError, match="no list 'deals'"):
        sections.register_rows("deals", lambda rows: None)
    with pytest.raises(ValueError, match="no page 'nowhere'"):
        sections.register("nowhere", template="x.html", context=lambda request: None)


def test_row_readers_run_in_order_over_one_list_of_the_rows(monkeypatch):
    monkeypatch.setattr(sections, "_row_readers", {"account_list": []})
    seen = []
    sections.register_rows("account_list", lambda rows: seen.append(("first", rows)))
    sections.register_rows("account_list", lambda rows: seen.append(("second", rows)))

    sections.read_rows("account_list", (row for row in "ab"))  # a generator: read once

    assert seen == [("first", ["a", "b"]), ("second", ["a", "b"])]
