"""Malformed input of any shape gets a 4xx that names what is wrong, and writes nothing
(issue 12): bodies nested deep or too large, bytes that are no UTF-8, wrong content
types, dates and numbers out of any sensible range, strings too long or holding NUL,
query strings that are no text, uploads with monstrous cells. The NUL and out-of-range
cases run on PostgreSQL too (`require_postgres`), which refuses NUL in text."""

import io
import json

import pytest
from django.urls import reverse

from accounts.models import Account, Contact
from visits.models import Visit

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"detail", "code", "errors"}


def error_of(response, status: int, *, field: str | None = None, code: str | None = None):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert ERROR_KEYS <= set(body), body
    assert body["detail"], body
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(message, str) and message for message in body["errors"][field])
    if code is not None:
        assert body["code"] == code, body
    return body


def post_json(client, path: str, body, content_type: str = "application/json"):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.generic("POST", path, raw, content_type=content_type)


# --- bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"name": ' * 10_000 + '"x"' + "}" * 10_000,
        '{"name": "Deep Co", "industry": "technology", "tags": ' + "[" * 50_000,
    ],
    ids=["list-10000-deep", "object-10000-deep", "unclosed-50000-deep"],
)
def test_a_body_nested_thousands_deep_answers_400_and_writes_nothing(personas, api, body):
    before = Account.objects.count()

    response = post_json(api(personas.alice), "/api/v1/accounts/", body)

    error_of(response, 400, code="parse_error")
    assert Account.objects.count() == before


def test_a_body_over_the_upload_limit_answers_413_in_the_apis_format(personas, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = Account.objects.count()
    body = {"name": "Big Co", "industry": "technology", "notes": "x" * 20_000}

    response = post_json(api(personas.alice), "/api/v1/accounts/", body)

    assert "10000" in error_of(response, 413, code="request_too_large")["detail"]
    assert Account.objects.count() == before


def test_a_body_over_the_limit_answers_413_with_an_idempotency_key_too(personas, api, settings):
    # The Idempotency-Key path reads the body to hash it: Django's own refusal, same answer.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = api(personas.alice)
    body = json.dumps({"name": "Big Co", "industry": "technology", "notes": "x" * 20_000})

    response = client.generic(
        "POST",
        "/api/v1/accounts/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="big-body-1",
    )

    error_of(response, 413, code="request_too_large")
    assert not Account.objects.filter(name="Big Co").exists()


def test_the_token_endpoint_refuses_a_huge_or_deep_body_with_4xx(personas, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = api()
    error_of(post_json(client, "/api/v1/auth/token/", {"username": "x" * 20_000}), 413)
    error_of(post_json(client, "/api/v1/auth/token/", "[" * 5_000 + "]" * 5_000), 400)


@pytest.mark.parametrize(
    "raw", [b'{"name": "\xff\xfe Co", "industry": "technology"}', b"\xc3\x28", b"\x80"]
)
def test_a_body_that_is_no_utf8_answers_400(personas, api, raw):
    before = Account.objects.count()

    response = post_json(api(personas.alice), "/api/v1/accounts/", raw)

    assert "utf-8" in error_of(response, 400, code="parse_error")["detail"].lower()
    assert Account.objects.count() == before


@pytest.mark.parametrize(
    "path, body, where",
    [
        ("/api/v1/contacts/{contact}/", '{"attitude": "\\ud83d"}', "attitude"),
        ("/api/v1/contacts/{contact}/", '{"name": "x\\uDC00y"}', "name"),
        (
            "/api/v1/contacts/bulk/",
            '[{"external_id": "s-1", "account": {account}, "name": "ok"},'
            ' {"external_id": "s-2", "account": {account}, "name": "x", "attitude": "\\ud83d"}]',
            "[1].attitude",
        ),
        ("/api/v1/contacts/bulk/", '[{"\\ud800": 1}]', "[0]"),
    ],
)
def test_half_a_surrogate_pair_answers_400_naming_where_and_writes_nothing(
    personas, api, path, body, where
):
    """JSON can escape half a UTF-16 pair, which is no character: refused where it is,
    before any field or item is read (a choice field's refusal repeated it and failed to
    render: 500, after a bulk request's first items were written)."""
    from accounts.tests.factories import ContactFactory

    contact = ContactFactory(account=personas.account, attitude="neutral")
    client = api(personas.alice)
    raw = body.replace("{contact}", str(contact.pk)).replace("{account}", str(personas.account.pk))
    method = "PATCH" if "bulk" not in path else "POST"
    response = client.generic(
        method,
        path.replace("{contact}", str(contact.pk)),
        raw,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    detail = error_of(response, 400, code="parse_error")["detail"]
    assert detail.startswith(f"{where} holds half of a UTF-16 surrogate pair"), detail
    assert not Contact.objects.filter(external_id__startswith="s-").exists()
    contact.refresh_from_db()
    assert contact.attitude == "neutral" and contact.version == 1
    # An emoji escaped as its pair is text.
    whole = client.patch(
        f"/api/v1/contacts/{contact.pk}/",
        '{"title": "\\ud83d\\ude00"}',
        content_type="application/json",
    )
    assert whole.status_code == 200 and whole.json()["title"] == "\U0001f600"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"]
)
def test_a_body_of_another_content_type_answers_415(personas, api, content_type):
    response = post_json(api(personas.alice), "/api/v1/accounts/", "name=x", content_type)

    error_of(response, 415, code="unsupported_media_type")


# --- dates and numbers -------------------------------------------------------------------

OUT_OF_RANGE_TIMES = [
    "0000-01-01T10:00:00Z",
    "99999-01-01T10:00:00Z",
    "2024-02-30T10:00:00Z",
    "2024-13-01T10:00:00Z",
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-12:00",  # after year 9999 in UTC
]


@pytest.mark.parametrize("value", OUT_OF_RANGE_TIMES)
def test_a_visit_time_out_of_any_range_answers_400_on_the_field(personas, api, value):
    body = {"account": personas.account.pk, "planned_at": value}

    response = api(personas.alice).post("/api/v1/visits/", body, format="json")

    error_of(response, 400, field="planned_at")
    assert not Visit.all_objects.exists()


@pytest.mark.parametrize(
    "path, parameter",
    [
        ("/api/v1/visits/?occurred_after={}", "occurred_after"),
        ("/api/v1/accounts/?updated_after={}", "updated_after"),
        ("/api/v1/development-records/?prepared_after={}", "prepared_after"),
    ],
)
@pytest.mark.parametrize("value", ["0000-01-01", "99999-01-01", "2024-02-30"])
def test_a_date_filter_out_of_any_range_answers_400_naming_it(
    personas, api, path, parameter, value
):
    response = api(personas.alice).get(path.format(value))

    error_of(response, 400, field=parameter)


@pytest.mark.parametrize("value", ["0000-01", "99999-01", "2024-13"])
def test_a_month_filter_on_a_page_out_of_range_is_an_error_on_the_form(login, personas, value):
    response = login(personas.alice).get(reverse("opportunities:board"), {"close_month": value})

    assert response.status_code == 200
    assert "Enter a month as YYYY-MM" in response.content.decode()


@pytest.mark.parametrize(
    "field, value",
    [
        ("employees", 2**70),
        ("employees", -1),
        ("annual_revenue", "Infinity"),
        ("annual_revenue", "-Infinity"),
        ("annual_revenue", "NaN"),
        ("annual_revenue", "1e400"),
    ],
)
def test_a_number_out_of_range_answers_400_on_the_field(personas, api, field, value):
    body = {"name": "Number Co", "industry": "technology", field: value}

    response = api(personas.alice).post("/api/v1/accounts/", body, format="json")

    error_of(response, 400, field=field)
    assert not Account.objects.filter(name="Number Co").exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("employees", str(2**70)),
        ("employees", "-1"),
        ("annual_revenue", "Infinity"),
        ("annual_revenue", "NaN"),
        ("annual_revenue", "1e400"),
        ("name", "x" * 5000),
        ("name", "Nul\x00 Co"),
    ],
)
def test_a_form_given_an_out_of_range_value_shows_it_on_the_field(login, personas, field, value):
    data = {"name": "Form Co", "industry": "technology", "owner": personas.alice.pk}
    data[field] = value

    response = login(personas.alice).post(reverse("accounts:create"), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert Account.objects.count() == 2  # the personas' two


@pytest.mark.parametrize("value", ["99999-01-01", "0000-01-01", "2024-02-30"])
def test_a_deal_form_given_an_impossible_date_shows_it_on_the_field(login, personas, value):
    from opportunities.models import Opportunity

    url = reverse("opportunities:create", args=[personas.account.pk])
    data = {"name": "Deal", "amount": "1000", "expected_close_date": value}

    response = login(personas.alice).post(url, data)

    assert response.status_code == 200
    assert "expected_close_date" in response.context["form"].errors
    assert not Opportunity.all_objects.exists()


# --- strings -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["x" * 201, "x" * 1_000_000, "a\x00b", "\x00"])
def test_a_name_too_long_or_with_nul_answers_400_on_the_field(personas, api, value):
    body = {"name": value, "industry": "technology"}

    response = api(personas.alice).post("/api/v1/accounts/", body, format="json")

    error_of(response, 400, field="name")
    assert Account.objects.count() == 2


@pytest.mark.parametrize("value", ["Bell\x07 Co", "Esc\x1b[31m Co", "Form\x0cfeed", "Del\x7f"])
def test_a_name_with_a_control_character_answers_400_on_the_field(personas, api, value):
    body = {"name": value, "industry": "technology"}

    response = api(personas.alice).post("/api/v1/accounts/", body, format="json")

    assert "control characters" in error_of(response, 400, field="name")["errors"]["name"][0]
    assert Account.objects.count() == 2


def test_a_contact_edited_with_a_control_character_keeps_its_old_value(personas, api):
    from accounts.tests.factories import ContactFactory

    contact = ContactFactory(account=personas.account, name="Wang Wei")
    response = api(personas.alice).patch(
        f"/api/v1/contacts/{contact.pk}/", {"name": "Wang\x00\x07Wei"}, format="json"
    )

    error_of(response, 400, field="name")
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("Wang Wei", 1)


def test_tabs_and_line_breaks_are_text_where_there_are_several_lines(personas, api):
    body = {"name": "Tab Co", "industry": "technology", "notes": "line one\r\n\tline two"}

    response = api(personas.alice).post("/api/v1/accounts/", body, format="json")

    assert response.status_code == 201, response.content
    assert Account.objects.get(pk=response.json()["id"]).notes == "line one\r\n\tline two"


@pytest.mark.parametrize("value", ["Tab\tCo", "Two\nLines Co", "Return\rCo", "C1\x85Co", "\x9bCo"])
def test_a_single_line_refuses_tabs_line_breaks_and_c1_controls(personas, api, value):
    body = {"name": value, "industry": "technology"}

    response = api(personas.alice).post("/api/v1/accounts/", body, format="json")

    assert "single line" in error_of(response, 400, field="name")["errors"]["name"][0]
    assert Account.objects.count() == 2


def test_a_form_given_a_control_character_shows_it_on_the_field(login, personas):
    data = {"name": "Bell\x07 Co", "industry": "technology", "owner": personas.alice.pk}

    response = login(personas.alice).post(reverse("accounts:create"), data)

    assert response.status_code == 200
    assert "control characters" in str(response.context["form"].errors["name"])
    assert Account.objects.count() == 2


# --- query strings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, parameter",
    [("name=%ff%fe", "name"), ("search=a%00b", "search"), ("q%00=x", "q?"), ("%ff=1", "\ufffd")],
)
def test_a_query_string_that_is_no_text_answers_400_naming_the_parameter(
    personas, api, query, parameter
):
    response = api(personas.alice).get(f"/api/v1/accounts/?{query}")

    error_of(response, 400, field=parameter)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/?q=a%00b",
        "/accounts/search/?q=%ff",
        "/people/search/?q=a%01b",
        "/pipeline/?q=%00",
    ],
)
def test_a_page_given_a_query_string_that_is_no_text_answers_400_saying_so(login, personas, path):
    response = login(personas.alice).get(path)

    assert response.status_code == 400
    assert "The parameter “q”" in response.content.decode()


def test_tabs_and_newlines_and_any_language_in_a_query_string_are_text(login, personas):
    client = login(personas.alice)
    for query in ("q=%E5%AE%A2%E6%88%B7", "q=a%09b", "q=a+b%0A", "q=", "q", "&&"):
        assert client.get(f"/accounts/?{query}").status_code == 200, query


# --- page form bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        (b"name=%C4%E3%BA%C3+Co&industry=technology", "name"),  # GBK, not UTF-8
        (b"name=Caf\xe9&industry=technology", "name"),  # a raw Latin-1 byte
        (b"name=Good+Co&notes=%ff%fe&industry=technology", "notes"),
        (b"name=Good+Co&%ff=1", "\ufffd"),
    ],
)
def test_a_page_form_body_that_is_no_utf8_answers_400_naming_the_field(
    login, personas, body, field
):
    client = login(personas.alice)

    response = client.generic(
        "POST", reverse("accounts:create"), body, "application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert f"The field “{field}” is not valid UTF-8" in response.content.decode()
    assert Account.objects.count() == 2


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"BOUNDARY") -> bytes:
    lines = []
    for name, value in parts:
        lines += [b"--" + boundary, b'Content-Disposition: form-data; name="' + name + b'"']
        lines += [b"", value]
    return b"\r\n".join([*lines, b"--" + boundary + b"--", b""])


@pytest.mark.parametrize(
    "parts, field",
    [
        ([(b"name", b"\xc4\xe3\xba\xc3 Co"), (b"industry", b"technology")], "name"),
        ([(b"name", b"Good Co"), (b"notes", b"\xff\xfe")], "notes"),
    ],
)
def test_a_multipart_form_text_field_that_is_no_utf8_answers_400_naming_it(
    login, personas, parts, field
):
    client = login(personas.alice)

    response = client.generic(
        "POST",
        reverse("accounts:create"),
        multipart(parts),
        "multipart/form-data; boundary=BOUNDARY",
    )

    assert response.status_code == 400
    assert f"The field “{field}” is not valid UTF-8" in response.content.decode()
    assert Account.objects.count() == 2


def test_a_page_form_body_in_utf8_of_any_language_reaches_the_form(login, personas):
    client = login(personas.alice)
    body = "name=客户+有限公司&notes=%E2%9C%93+%F0%9F%98%80&industry=technology"

    response = client.generic(
        "POST", reverse("accounts:create"), body.encode(), "application/x-www-form-urlencoded"
    )

    assert response.status_code == 200  # the form, with whatever else it asks for
    assert response.context["form"].data["name"] == "客户 有限公司"
    assert response.context["form"].data["notes"] == "✓ 😀"


# --- uploads -----------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "accounts.csv"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("imports:upload", args=["accounts"]), {"file": file})


@pytest.mark.parametrize(
    "content",
    [
        b"Name,Notes\r\nHuge Co," + b"x" * 300_000 + b"\r\n",  # past csv's 131,072 limit
        b"Name,Notes\r\nNul Co,bad\x00byte\r\n",
        b"\x00" * 1000,
        b"\xff\xfe\x00\x00garbage",
        b"",
    ],
    ids=["cell-past-csv-limit", "nul-in-a-cell", "only-nul", "bad-bom", "empty"],
)
def test_an_upload_of_any_content_answers_without_a_server_error(login, personas, content):
    response = upload(login(personas.alice), content)

    assert response.status_code in (200, 302), response.status_code
    assert Account.objects.count() == 2


def test_an_upload_past_the_size_limit_is_an_error_on_the_form(login, personas, monkeypatch):
    from keyaccounts.imports import forms
    from keyaccounts.models import ImportJob

    monkeypatch.setattr(forms, "MAX_FILE_BYTES", 1_000)

    response = upload(login(personas.alice), b"Name\r\n" + b"Big Co\r\n" * 500)

    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not ImportJob.objects.exists()


# --- PostgreSQL: NUL in text is refused by the database itself ------------------------------


def test_nul_anywhere_answers_4xx_on_postgresql(require_postgres, personas, api, login):
    client = api(personas.alice)
    error_of(
        client.post("/api/v1/accounts/", {"name": "a\x00b", "industry": "technology"}),
        400,
        field="name",
    )
    error_of(client.get("/api/v1/accounts/?search=a%00b"), 400, field="search")
    error_of(client.get("/api/v1/accounts/external/a%00b/"), 404)
    pages = login(personas.alice)
    for path in ("/accounts/search/?q=a%00b", "/people/search/?q=%00", "/accounts/?q=%00"):
        assert pages.get(path).status_code == 400, path
    response = pages.post(
        reverse("accounts:create"),
        {"name": "Nul\x00 Co", "industry": "technology", "owner": personas.alice.pk},
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert Account.objects.count() == 2


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_times_at_the_edge_of_the_calendar_answer_400_on_postgresql(
    require_postgres, personas, api, value
):
    client = api(personas.alice)
    error_of(
        client.post("/api/v1/visits/", {"account": personas.account.pk, "planned_at": value}),
        400,
        field="planned_at",
    )
    # As a query's bound it is the calendar's end (0001-01-01 in any zone), not an error.
    listed = client.get(f"/api/v1/accounts/?updated_after={value.replace('+', '%2B')}")
    assert listed.status_code == 200, listed.content[:300]


# --- days at the calendar's ends (keyaccounts/days.py) -----------------------------------

LAST_DAY = "Give a day from 1900-01-01 to 9998-12-31."


@pytest.mark.parametrize(
    "field, value",
    [
        ("occurred_at", "9999-12-31T10:00"),  # its follow-up a week later: past the calendar
        ("occurred_at", "0001-01-01T00:00"),  # before the calendar in UTC
        ("occurred_at", "1899-12-31T10:00"),
    ],
)
def test_a_visit_form_given_a_day_at_the_calendars_end_shows_it_on_the_field(
    login, personas, field, value
):
    url = reverse("visits:create", args=[personas.account.pk])
    data = {"status": "done", "method": "in_person", field: value}

    response = login(personas.alice).post(url, data)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [LAST_DAY]
    assert not Visit.all_objects.exists()


def test_a_planned_visit_and_a_review_at_the_calendars_start_are_errors_on_their_field(
    login, personas
):
    client = login(personas.alice)
    account = personas.account

    planned = client.post(
        reverse("visits:create", args=[account.pk]) + "?status=planned",
        {"status": "planned", "method": "in_person", "planned_at": "0001-01-01T00:00"},
    )
    review = client.post(
        reverse("reviews:create", args=[account.pk]),
        {"scheduled_for": "0001-01-01T00:00", "period_kind": "year"},
    )

    assert planned.context["form"].errors["planned_at"] == [LAST_DAY]
    assert review.context["form"].errors["scheduled_for"] == [LAST_DAY]
    assert not Visit.all_objects.exists()


def test_the_first_and_last_day_of_the_range_are_accepted(personas):
    import datetime

    from django.core.exceptions import ValidationError

    from keyaccounts.days import EARLIEST, LATEST, within_calendar

    within_calendar(EARLIEST)
    within_calendar(LATEST)
    within_calendar(datetime.datetime(9998, 12, 31, 23, 59, tzinfo=datetime.UTC))
    for day in (EARLIEST - datetime.timedelta(days=1), LATEST + datetime.timedelta(days=1)):
        with pytest.raises(ValidationError):
            within_calendar(day)


def test_a_moment_is_held_to_the_range_in_utc_as_it_is_stored(personas, api):
    """1900-01-01 03:00 in Shanghai is 1899-12-31 in UTC: accepted, its record failed its
    own check on every later save (a review that could not be cancelled, a complaint
    that could not be answered). Refused as it is given; 09:00 stays editable."""
    import datetime
    from zoneinfo import ZoneInfo

    from django.core.exceptions import ValidationError

    from keyaccounts.days import within_calendar

    shanghai = ZoneInfo("Asia/Shanghai")
    with pytest.raises(ValidationError):
        within_calendar(datetime.datetime(1900, 1, 1, 3, 0, tzinfo=shanghai))
    within_calendar(datetime.datetime(1900, 1, 1, 9, 0, tzinfo=shanghai))
    within_calendar(datetime.datetime(9998, 12, 31, 23, 59, tzinfo=shanghai))

    client = api(personas.alice)
    early = {"account": personas.account.pk, "status": "done"}
    refused = client.post(
        "/api/v1/visits/", {**early, "occurred_at": "1900-01-01T03:00:00+08:00"}, format="json"
    )
    assert refused.status_code == 400
    assert "occurred_at" in refused.json()["errors"]
    kept = client.post(
        "/api/v1/visits/", {**early, "occurred_at": "1900-01-01T09:00:00+08:00"}, format="json"
    )
    assert kept.status_code == 201, kept.json()
    changed = client.patch(f"/api/v1/visits/{kept.json()['id']}/", {"place": "总部"}, format="json")
    assert changed.status_code == 200, changed.json()


def test_every_date_field_of_every_model_form_and_serializer_has_the_range():
    from django import forms
    from django.apps import apps
    from django.db import models
    from rest_framework import serializers

    from keyaccounts.days import within_calendar

    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.local_fields:
            if isinstance(field, models.DateField):
                assert field.validators.count(within_calendar) == 1, field
                assert within_calendar not in field.deconstruct()[3].get("validators", [])
    for plain in (forms.DateField(), forms.DateTimeField()):
        assert within_calendar in plain.validators
    for declared in (serializers.DateField(), serializers.DateTimeField()):
        assert within_calendar in declared.validators


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "done", "occurred_at": "9999-12-31"}, "occurred_at"),
        ({"status": "done", "occurred_at": "0001-01-01T00:00:00"}, "occurred_at"),
        ({"planned_at": "0001-01-01"}, "planned_at"),
    ],
)
def test_the_api_refuses_a_visit_at_the_calendars_end_on_the_field(personas, api, body, field):
    response = api(personas.alice).post(
        "/api/v1/visits/", {"account": personas.account.pk, **body}, format="json"
    )

    error_of(response, 400, field=field)
    assert not Visit.all_objects.exists()


def test_the_api_refuses_a_complaint_and_a_review_at_the_calendars_start(personas, api):
    from visits.complaints.models import Complaint
    from visits.reviews.models import ReviewMeeting

    client = api(personas.alice)
    account = personas.account.pk

    complaint = client.post(
        "/api/v1/complaints/",
        {"account": account, "title": "Late", "received_at": "0001-01-01"},
        format="json",
    )
    review = client.post(
        "/api/v1/reviews/", {"account": account, "scheduled_for": "0001-01-01"}, format="json"
    )

    error_of(complaint, 400, field="received_at")
    error_of(review, 400, field="scheduled_for")
    assert not Complaint.all_objects.exists() and not ReviewMeeting.all_objects.exists()


@pytest.mark.parametrize("value", ["9999-12-31 10:00", "0001-01-01"])
def test_an_import_row_at_the_calendars_end_is_an_error_of_its_cell(personas, value):
    from django.utils import translation

    from keyaccounts.imports.engine import run_import
    from keyaccounts.imports.kinds import KINDS
    from keyaccounts.imports.reading import read_table
    from keyaccounts.tests.imports_files import csv_file

    rows = [["Account", "Took place", "Status"], [personas.account.name, value, "Done"]]
    kind = KINDS["visits"]
    with translation.override("en"):
        table = read_table(csv_file(rows), header_score=kind.header_index().score)
        result = run_import(
            kind=kind,
            table=table,
            mapping=kind.header_index().recognise(table.headers),
            by=personas.alice,
            dry_run=False,
            confirm_duplicates=False,
        )

    [row] = result.rows
    assert [(p.column, p.message) for p in row.problems] == [("Took place", LAST_DAY)]
    assert not Visit.all_objects.exists()


# --- ids past 64 bits in a form's multiple choice (keyaccounts/formfields.py) ------------

HUGE_ID = "99999999999999999999"


@pytest.mark.parametrize("value", [HUGE_ID, "-99999999999999999999"])
def test_any_multiple_choice_of_records_refuses_an_id_no_key_holds(personas, value):
    from django import forms
    from django.contrib.auth.models import Group
    from django.core.exceptions import ValidationError

    field = forms.ModelMultipleChoiceField(queryset=Group.objects.all())  # the admin's groups

    with pytest.raises(ValidationError) as error:
        field.clean([value])
    assert error.value.code == "invalid_choice"


@pytest.mark.parametrize("value", [HUGE_ID, "0", "-5"])
def test_a_visit_form_given_a_contact_id_no_column_holds_shows_it_on_the_field(
    login, personas, value
):
    url = reverse("visits:create", args=[personas.account.pk])
    data = {"status": "done", "method": "in_person", "contacts": [value]}
    data["occurred_at"] = "2026-01-05T10:00"

    response = login(personas.alice).post(url, data)

    assert response.status_code == 200
    assert "contacts" in response.context["form"].errors
    assert not Visit.all_objects.exists()


def test_review_minutes_and_exit_criteria_given_an_id_no_column_holds_save_nothing(login, personas):
    from opportunities.models import CriterionCheck
    from opportunities.tests.factories import OpportunityFactory
    from visits.reviews.tests.factories import ReviewMeetingFactory

    client = login(personas.alice)
    review = ReviewMeetingFactory(account=personas.account)
    deal = OpportunityFactory(account=personas.account, owner=personas.alice)

    minutes = client.post(
        reverse("reviews:minutes", args=[review.pk]),
        {"held_on": "2026-01-05", "contacts": [HUGE_ID], "version": review.version},
    )
    criteria = client.post(reverse("opportunities:criteria", args=[deal.pk]), {"ticked": HUGE_ID})

    assert minutes.status_code == 200
    assert "contacts" in minutes.context["form"].errors
    review.refresh_from_db()
    assert review.held_on is None
    assert criteria.status_code == 302  # back to the deal, saying what can be ticked
    assert not CriterionCheck.objects.filter(opportunity=deal).exists()


def test_a_sync_clients_from_the_start_is_a_bound_the_api_takes(personas, api):
    # .NET's DateTime.MinValue as `updated_after`: every record, not an error.
    client = api(personas.alice)

    listed = client.get("/api/v1/accounts/", {"updated_after": "0001-01-01T00:00:00Z"})
    visits = client.get("/api/v1/visits/", {"occurred_before": "9999-12-31T23:59:59Z"})

    assert listed.status_code == 200, listed.content[:300]
    assert {row["id"] for row in listed.json()["results"]} == {personas.account.pk}
    assert visits.status_code == 200, visits.content[:300]


@pytest.mark.parametrize(
    "first, last",
    [
        ("0001-01-01", "9999-12-31"),  # a day alone: the server's zone, ahead of UTC
        ("0001-01-01T00:00:00+23:00", "9999-12-31T23:59:59-23:00"),
    ],
)
def test_the_calendars_ends_in_any_zone_are_bounds_the_api_takes(personas, api, first, last):
    """Their moment in UTC falls outside the calendar: as a bound it is the calendar's
    end (it answered 400 "out of range" for the day alone)."""
    client = api(personas.alice)
    listed = client.get("/api/v1/accounts/", {"updated_after": first})
    assert listed.status_code == 200, listed.content[:300]
    assert {row["id"] for row in listed.json()["results"]} == {personas.account.pk}
    visits = client.get("/api/v1/visits/", {"occurred_before": last})
    assert visits.status_code == 200, visits.content[:300]


# --- text typed into a picker, longer than any name (accounts/picker.py) -----------------


def test_a_picker_given_text_longer_than_any_name_says_nobody_is_called_that(login, personas):
    typed = "x" * 100_000  # SQLite refuses a LIKE pattern this long

    account = login(personas.manager).post(  # a manager gives the account to someone
        reverse("accounts:create"),
        {"name": "Picker Co", "industry": "technology", "owner_name": typed},
    )
    visit = login(personas.alice).post(
        reverse("visits:create", args=[personas.account.pk]),
        {"status": "done", "method": "in_person", "occurred_at": "2026-01-05T10:00"}
        | {"attendees_name": typed},
    )

    assert account.status_code == 200
    assert "Nobody of your teams is called" in account.context["form"].errors["owner"][0]
    assert visit.status_code == 200
    assert "attendees" in visit.context["form"].errors
    assert not Account.objects.filter(name="Picker Co").exists()
    assert not Visit.all_objects.exists()


# --- a search longer than anything it could find (keyaccounts/listfilters.py) ------------


def test_a_search_longer_than_any_name_is_an_error_on_it_not_a_500(login, personas, api):
    typed = "x" * 60_000  # past SQLite's limit on a LIKE pattern

    page = login(personas.alice).get(reverse("accounts:list"), {"q": typed})
    answer = api(personas.alice).get("/api/v1/accounts/", {"q": typed})

    assert page.status_code == 200
    assert "q" in page.context["filter"].form.errors
    assert 'id="id_q_error">Ensure this value has at most 200 characters' in page.content.decode()
    error_of(answer, 400, field="q")
    # The box itself takes no more than the search reads.
    assert 'maxlength="200"' in login(personas.alice).get(reverse("accounts:list")).content.decode()


def test_every_list_search_has_the_length_limit():
    import django_filters
    from django.urls import get_resolver

    from keyaccounts.listfilters import SEARCH_MAX_LENGTH

    assert get_resolver().url_patterns  # every view imported, their filter sets with them

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    searches = [
        (filterset, filterset.base_filters["q"])
        for filterset in subclasses(django_filters.FilterSet)
        if filterset.__module__.split(".")[0]
        in {"accounts", "keyaccounts", "opportunities"} | {"scoring", "visits"}
        and "q" in filterset.base_filters
    ]
    assert len(searches) >= 8
    for filterset, search in searches:
        assert search.extra.get("max_length") == SEARCH_MAX_LENGTH, filterset
