"""How an import reads a cell's date and time (keyaccounts.imports.values): the ways
people write them in Chinese and English spreadsheets, and what a cell that is none
says (never an exception of Python's, which failed the whole import)."""

import datetime

import pytest
from django.utils import timezone, translation

from keyaccounts.imports.values import CellError, date, date_time


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"), timezone.override("Asia/Shanghai"):
        yield


def shanghai(*parts) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*parts))


@pytest.mark.parametrize(
    "cell",
    [
        "2025-03-18 14:30",
        "2025/3/18 14:30:00",
        "2025年3月18日 14时30分",
        "2025年3月18日14时30分",
        "2025年3月18日 14点30分",
        "2025年3月18日 14时30分00秒",
        "2025-03-18T14:30+08:00",
        "2025-03-18 06:30Z",
        "2025-03-18 14:30 +0800",
    ],
)
def test_a_moment_written_as_people_write_it_is_read(cell):
    assert date_time(cell) == shanghai(2025, 3, 18, 14, 30)


@pytest.mark.parametrize(
    "cell",
    [
        "2025-03-18 10:00+99:00",
        "2025-03-18 10:00+24:00",
        "2025-03-18 10:00+2400",
        "2025-03-18 10:00+05:60",
        "2025-03-18 25:00",
        "2025年3月18日 下午",
        "soon",
    ],
)
def test_a_cell_that_is_no_moment_says_so_and_what_one_looks_like(cell):
    with pytest.raises(CellError) as refused:
        date_time(cell)
    assert refused.value.message == f"“{cell}” is not a date and time."
    assert refused.value.expected == "a date and time such as 2025-03-31 14:30"


def test_a_date_column_still_says_date():
    with pytest.raises(CellError) as refused:
        date("2025-13-45")
    assert (refused.value.message, refused.value.expected) == (
        "“2025-13-45” is not a date.",
        "a date such as 2025-03-31",
    )
    assert date("2025年3月18日") == datetime.date(2025, 3, 18)
