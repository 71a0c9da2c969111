"""What a cell means: text, numbers, dates, yes/no and choices, as people type them.

Each parser takes a cell as the reader gives it (text from a CSV; text, a number, a
date or a boolean from a workbook) and returns the value, or raises `CellError` with
what is wrong and what is expected. A blank cell never reaches them.
"""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.days import in_calendar, out_of_calendar_message
from keyaccounts.text import join_words

from .reading import BadCell, cell_text


class CellError(Exception):
    """A cell's value cannot be used: `message` says why, `expected` what would do."""

    def __init__(self, message: str, expected: str = ""):
        super().__init__(message)
        self.message = message
        self.expected = expected


def normalize(text) -> str:
    """How two spellings of a header or a label compare: full-width forms folded
    (（）→ ()), case and spaces ignored, a required-column star dropped."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s*:_\-]+", "", text)


def is_blank(value) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and not value.strip()


def text(value) -> str:
    if isinstance(value, BadCell):
        raise CellError(value.message, value.expected)
    return cell_text(value).strip()


_INTEGER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.0+)?")


def integer(value) -> int:
    if isinstance(value, bool):
        raise _not_integer(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _not_integer(value)
    raw = text(value).replace(" ", "")
    if not _INTEGER.fullmatch(raw):
        raise _not_integer(raw)
    return int(Decimal(raw.replace(",", "")))


def _not_integer(value) -> CellError:
    return CellError(
        _("“%(value)s” is not a whole number.") % {"value": cell_text(value)},
        _("a whole number such as 120"),
    )


_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?")


def decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise _not_number(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raw = text(value).replace(" ", "").lstrip("¥￥").removesuffix("元")
    if not raw or not _NUMBER.fullmatch(raw) or raw in {"+", "-", "."}:
        raise _not_number(raw)
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise _not_number(raw) from None


def _not_number(value) -> CellError:
    return CellError(
        _("“%(value)s” is not a number.") % {"value": cell_text(value)},
        _("a number such as 1234.50 or 1,234.50"),
    )


TRUE = {"1", "y", "yes", "true", "t", "是", "对", "有", "√", "✓", "✔", "x", "在职"}
FALSE = {"0", "n", "no", "false", "f", "否", "不是", "错", "无", "×", "✗", "离职"}


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raw = normalize(text(value))
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise CellError(
        _("“%(value)s” is not yes or no.") % {"value": cell_text(value)},
        _("Yes or No (是 or 否)"),
    )


_DATE = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    # 14:30, 14:30:05, 14时30分, 14点30分05秒; after 日 the time may follow at once.
    r"(?:(?:[ T]+|(?<=日))(?P<H>\d{1,2})[:：时点](?P<M>\d{2})"
    r"(?:[:：分](?P<S>\d{2})(?:\.\d+)?秒?|分)?)?"
    r"\s*(?P<tz>Z|[+-](?P<tzh>\d{2}):?(?P<tzm>\d{2}))?"
)
_COMPACT_DATE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
# Excel's day numbers for 1950-01-01 .. 2099-12-31: a date cell that lost its format.
EXCEL_SERIALS = range(18264, 73051)


def _parts(value) -> tuple[datetime.date, datetime.time | None, str | None]:
    """A cell's day, time of day and zone; a day outside `keyaccounts.days` refused."""
    day, moment, zone = _read_parts(value)
    if not in_calendar(day):
        raise CellError(out_of_calendar_message(), _("a date such as 2025-03-31"))
    return day, moment, zone


def _read_parts(value) -> tuple[datetime.date, datetime.time | None, str | None]:
    if isinstance(value, datetime.datetime):
        return value.date(), value.time(), None
    if isinstance(value, datetime.date):
        return value, None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if int(value) in EXCEL_SERIALS:
            moment = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=float(value))
            moment = moment.replace(microsecond=0)
            return moment.date(), (moment.time() if moment.time() else None), None
        raise _not_date(value)
    raw = text(value)
    match = _DATE.fullmatch(raw) or _COMPACT_DATE.fullmatch(raw)
    if not match:
        raise _not_date(raw)
    groups = match.groupdict()
    try:
        day = datetime.date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
        moment = None
        if groups.get("H"):
            moment = datetime.time(int(groups["H"]), int(groups["M"]), int(groups["S"] or 0))
    except ValueError:
        raise _not_date(raw) from None
    if groups.get("tzh") and (int(groups["tzh"]) > 23 or int(groups["tzm"]) > 59):
        raise _not_date(raw)  # no zone is a day or more from UTC (+24:00, +99:00)
    return day, moment, groups.get("tz")


class _NotADate(CellError):
    """A cell that reads as no date at all (`date_time` says it of a date and time)."""


def _not_date(value) -> CellError:
    return _NotADate(
        _("“%(value)s” is not a date.") % {"value": cell_text(value)},
        _("a date such as 2025-03-31"),
    )


def date(value) -> datetime.date:
    day, _time, _zone = _parts(value)
    return day


def date_time(value) -> datetime.datetime:
    """A moment; a time without a zone is in the site's time zone, a date alone is its
    midnight."""
    try:
        day, moment, zone = _parts(value)
    except _NotADate:
        raise CellError(
            _("“%(value)s” is not a date and time.") % {"value": cell_text(value)},
            _("a date and time such as 2025-03-31 14:30"),
        ) from None
    naive = datetime.datetime.combine(day, moment or datetime.time())
    if zone:
        return datetime.datetime.fromisoformat(
            f"{naive:%Y-%m-%dT%H:%M:%S}{'+00:00' if zone == 'Z' else zone}"
        )
    return timezone.make_aware(naive)


MONTH = re.compile(
    r"(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*月?"  # 2025-03, 2025/3, 2025年3月
    r"(?:\s*[-/.]\s*\d{1,2}\s*日?|\s*\d{1,2}\s*日)?"  # …and a day, as Excel may write it
)


def parse_month(text: str) -> datetime.date:
    """The first day of the month `text` names; ValueError with the message to show."""
    match = MONTH.fullmatch(text)
    if match:
        year, month = int(match["year"]), int(match["month"])
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    raise ValueError(
        _("“%(value)s” is not a month. Expected YYYY-MM, e.g. 2025-03.") % {"value": text}
    )


def month(value) -> datetime.date:
    """A month (its first day): a date or moment in it, or its text (`parse_month`)."""
    if isinstance(value, datetime.datetime):
        return value.date().replace(day=1)
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    try:
        return parse_month(text(value))
    except ValueError as exc:
        raise CellError(str(exc), _("a month such as 2025-03")) from None


class Choices:
    """The values a choice column accepts: each choice's stored value and its label in
    every language of the site, compared as `normalize` does."""

    def __init__(self, entries: list[tuple[str, list[str]]]):
        # entries: (stored value, [its labels])
        self.entries = entries
        self.index: dict[str, str] = {}
        for stored, labels in entries:
            for label in (stored, *labels):
                self.index.setdefault(normalize(label), stored)

    def parse(self, value) -> str:
        raw = text(value)
        found = self.index.get(normalize(raw))
        if found is None:
            raise CellError(
                _("“%(value)s” is not one of the choices.") % {"value": raw},
                _("one of: %(choices)s") % {"choices": self.expected()},
            )
        return found

    def expected(self) -> str:
        return join_words(labels[0] if labels else stored for stored, labels in self.entries)


def split_list(value) -> list[str]:
    """A cell listing several names: separated by ; , 、 ， or new lines."""
    return [part.strip() for part in re.split(r"[;,，；、\n]+", text(value)) if part.strip()]
