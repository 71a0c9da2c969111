"""The API's JSON renderer (keyaccounts/api/renderers.py) writes DRF's own bytes."""

import datetime
import decimal
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from rest_framework import renderers as drf
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.api.renderers import JSONRenderer
from opportunities.tests.factories import OpportunityFactory, default_stages

SHANGHAI = ZoneInfo("Asia/Shanghai")


def both(data, media_type="application/json", context=None) -> tuple[bytes, bytes]:
    return (
        JSONRenderer().render(data, media_type, context or {}),
        drf.JSONRenderer().render(data, media_type, context or {}),
    )


VALUES = {
    "text": "华东电网 “Acme” <b>&",
    "line separators": "one\u2028two\u2029three",
    "controls": "tab\tnew\nline\x00nul\x1f",
    "emoji": "🚀",
    "decimal": decimal.Decimal("1280000.50"),
    "decimal, exponent": decimal.Decimal("1E+3"),
    "datetime in UTC": datetime.datetime(2026, 12, 7, 9, 30, 5, 123456, tzinfo=datetime.UTC),
    "datetime elsewhere": datetime.datetime(2026, 12, 7, 17, 30, tzinfo=SHANGHAI),
    "naive datetime": datetime.datetime(2026, 12, 7, 9, 30),
    "date": datetime.date(2026, 2, 28),
    "time": datetime.time(9, 30, 1),
    "duration": datetime.timedelta(hours=2, minutes=5),
    "lazy translation": gettext_lazy("Name, A to Z"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "tuple": (1, "two", None),
    "set": {"one"},
    "numbers": [0, -1, 2**63 - 1, 1.5, 0.1, 0.0001, 123456789.125, 1e15, True, False, None],
    "empty": [{}, [], ""],
    "int keys": {1: "one", 2: "two"},
    "nested answer": ReturnDict(
        {"results": ReturnList([{"id": 1, "amount": decimal.Decimal("2.00")}], serializer=None)},
        serializer=None,
    ),
}


def test_a_float_with_an_exponent_is_the_same_number_written_shorter():
    # Python writes 1e-07 and 1e-05, orjson 1e-7 and 0.00001: any JSON reader reads the
    # same numbers. The API's floats (a score's parts, a job's progress) are rarely such.
    ours, theirs = both({"value": [1e-07, 1e-05, 1e16, 5e-324]})
    assert ours == b'{"value":[1e-7,0.00001,1e+16,5e-324]}'
    assert json.loads(ours) == json.loads(theirs)


@pytest.mark.parametrize("name", VALUES)
def test_each_kind_of_value_is_written_as_drf_writes_it(name):
    ours, theirs = both({"value": VALUES[name]})
    assert ours == theirs


def test_a_lazy_translation_is_written_in_the_language_of_the_request():
    with translation.override("zh-hans"):
        ours, theirs = both({"value": gettext_lazy("Name, A to Z")})
    assert ours == theirs == '{"value":"名称（升序）"}'.encode()


def test_what_orjson_cannot_write_is_written_by_drf():
    # An integer beyond 64 bits: orjson refuses it, DRF writes it.
    ours, theirs = both({"value": 2**70})
    assert ours == theirs == b'{"value":1180591620717411303424}'


def test_an_indent_asked_for_is_drfs_indented_answer():
    ours, theirs = both({"a": [1, 2]}, "application/json; indent=2")
    assert ours == theirs
    assert b"\n" in ours


def test_nothing_is_written_for_no_data():
    assert both(None) == (b"", b"")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/accounts/",
        "/api/v1/contacts/",
        "/api/v1/opportunities/",
        "/api/v1/opportunities/changes/?limit=50",
        "/api/v1/accounts/changes/?limit=50",
        "/api/v1/opportunities/?account=abc",  # an error answer
        "/api/v1/accounts/999999/",  # not found
    ],
)
def test_the_apis_answers_are_drfs_bytes(personas, api, path):
    default_stages()
    account = AccountFactory(name="华东电网 “Acme”\u2028", owner=personas.alice)
    ContactFactory(account=account, name="王伟", title="总经理")
    OpportunityFactory(account=account, owner=personas.alice, amount=decimal.Decimal("1.50"))
    response = api(personas.alice).get(path)
    assert type(response.accepted_renderer) is JSONRenderer  # the API's, not DRF's
    assert response.content == drf.JSONRenderer().render(
        response.data, response.accepted_media_type, response.renderer_context
    )
    assert response.content  # an answer, not an empty body
