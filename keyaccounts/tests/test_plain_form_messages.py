"""Django's own messages for a date, a time or a choice it cannot read say what is
expected too: the format with an example, the few choices there are
(keyaccounts/formfields.py), on every form and list filter."""

import html

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from accounts.models import Industry


def errors_of(field, value):
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(value)
    return refused.value.messages


def test_a_date_time_or_time_not_read_says_its_format_with_an_example():
    with translation.override("en"):
        assert errors_of(forms.DateField(), "31/31/2027") == [
            "Enter a valid date, as YYYY-MM-DD (for example 2027-03-31)."
        ]
        assert errors_of(forms.DateTimeField(), "tomorrow") == [
            "Enter a valid date and time, as YYYY-MM-DD HH:MM (for example 2027-03-31 14:30)."
        ]
        assert errors_of(forms.TimeField(), "25:99") == [
            "Enter a valid time, as HH:MM (for example 14:30)."
        ]
    with translation.override("zh-hans"):
        assert errors_of(forms.DateField(), "nope") == [
            "请输入有效的日期，格式为 YYYY-MM-DD（例如 2027-03-31）。"
        ]


def test_a_date_time_or_time_left_empty_says_what_it_wants():
    with translation.override("en"):
        assert errors_of(forms.DateTimeField(), "") == [
            "Enter the date and time, as YYYY-MM-DD HH:MM (for example 2027-03-31 14:30)."
        ]
        assert errors_of(forms.DateField(), "") == [
            "Enter the date, as YYYY-MM-DD (for example 2027-03-31)."
        ]
        assert errors_of(forms.TimeField(), "") == ["Enter the time, as HH:MM (for example 14:30)."]
    with translation.override("zh-hans"):
        assert errors_of(forms.DateTimeField(), "") == [
            "请输入日期和时间，格式为 YYYY-MM-DD HH:MM（例如 2027-03-31 14:30）。"
        ]


def test_the_format_said_is_one_the_field_reads():
    assert str(forms.DateField().clean("2027-03-31")) == "2027-03-31"
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert forms.DateTimeField().clean("2027-03-31 14:30").hour == 14
            assert forms.TimeField().clean("14:30").minute == 30


def test_a_field_with_its_own_message_keeps_it():
    field = forms.DateField(error_messages={"invalid": "A day, please."})
    assert errors_of(field, "nope") == ["A day, please."]


def test_a_choice_not_offered_lists_the_few_there_are_without_the_empty_one():
    field = forms.ChoiceField(choices=[("", "---------"), ("a", "Alpha"), ("b", "Beta")])
    with translation.override("en"):
        assert errors_of(field, "z") == [
            "Select a valid choice. z is not one of the available choices. "
            "Choose one of: a (Alpha), b (Beta)."
        ]
    grouped = forms.MultipleChoiceField(choices=[("Greek", [("a", "Alpha"), ("b", "Beta")])])
    with translation.override("zh-hans"):
        (said,) = errors_of(grouped, ["z"])
    assert said.endswith("请从以下选项中选择：a（Alpha）、b（Beta）。"), said


def test_a_choice_whose_label_is_its_value_is_listed_once():
    field = forms.ChoiceField(choices=[("华东", "华东"), ("华北", "华北")])
    with translation.override("en"):
        (said,) = errors_of(field, "x")
    assert said.endswith("Choose one of: 华东, 华北."), said


def test_many_choices_are_not_listed():
    field = forms.ChoiceField(choices=[(str(i), f"Choice {i}") for i in range(13)])
    with translation.override("en"):
        assert errors_of(field, "z") == [
            "Select a valid choice. z is not one of the available choices."
        ]


def test_a_choice_of_records_is_left_as_django_says_it(db):
    from accounts.models import Account

    field = forms.ModelChoiceField(queryset=Account.objects.all())
    with translation.override("en"):
        (said,) = errors_of(field, "999999")
    assert "Choose one of" not in said


def test_the_account_lists_filters_say_what_they_take(personas, login):
    client = login(personas.alice)
    page = html.unescape(client.get(reverse("accounts:list"), {"status": "gone"}).content.decode())
    assert "gone is not one of the available choices. Choose one of: " in page
    client.cookies["django_language"] = "zh-hans"
    page = html.unescape(
        client.get(reverse("accounts:list"), {"industry": "nope"}).content.decode()
    )
    with translation.override("zh-hans"):
        listed = "、".join(f"{value}（{label}）" for value, label in Industry.choices)
    assert f"请从以下选项中选择：{listed}。" in page


def test_the_recycle_bins_dates_say_their_format(personas, login):
    client = login(personas.manager)
    client.cookies["django_language"] = "zh-hans"
    page = html.unescape(
        client.get(reverse("recyclebin:bin"), {"deleted_from": "2027/13/40"}).content.decode()
    )
    assert "请输入有效的日期，格式为 YYYY-MM-DD（例如 2027-03-31）。" in page


def test_a_day_the_calendar_does_not_have_is_said_as_such_not_as_a_format():
    with translation.override("en"):
        for field, value in [
            (forms.DateField(), "2027-02-30"),
            (forms.DateTimeField(), "2027-02-30 10:00"),
            (forms.DateTimeField(), "2027-13-01T10:00"),
        ]:
            (said,) = errors_of(field, value)
            assert said.startswith("There is no day 2027-"), said
            assert said.endswith("in the calendar: check its month and day."), said
        # Not written as a day at all: the format, as before.
        assert errors_of(forms.DateField(), "tomorrow") == [
            "Enter a valid date, as YYYY-MM-DD (for example 2027-03-31)."
        ]
    assert str(forms.DateField().clean("2028-02-29")) == "2028-02-29"  # a leap day is one


def test_the_api_says_which_values_a_choice_takes_and_which_day_is_not_one(personas, api):
    client = api(personas.alice)
    listed = client.get("/api/v1/visits/", {"status": "xx"})
    assert listed.status_code == 400
    (said,) = listed.json()["errors"]["status"]
    assert said.endswith("Choose one of: planned (Planned), done (Done), cancelled (Cancelled)."), (
        said
    )
    assert client.get("/api/v1/visits/", {"status": "done"}).status_code == 200

    body = {"account": personas.account.pk, "name": "X", "buying_role": "xx"}
    created = client.post("/api/v1/contacts/", body)
    assert created.status_code == 400
    (said,) = created.json()["errors"]["buying_role"]
    assert said.startswith('"xx" is not a valid choice. Choose one of: decider, '), said

    deal = {
        "account": personas.account.pk,
        "name": "X",
        "amount": "1",
        "expected_close_date": "2027-02-30",
    }
    refused = client.post("/api/v1/opportunities/", deal)
    assert refused.status_code == 400
    assert refused.json()["errors"]["expected_close_date"] == [
        "There is no day 2027-02-30 in the calendar: check its month and day."
    ]


def test_a_record_choice_not_offered_names_the_value_and_the_few_there_are(personas, login):
    """The heat-map's team filter given `abc`: the value named, the manager's teams listed
    (Django's said "That choice is not one of the available choices.")."""
    from accounts.models import SalesTeam

    client = login(personas.manager)
    page = html.unescape(client.get(reverse("visits:heat_map"), {"team": "abc"}).content.decode())
    teams = SalesTeam.objects.filter(manager=personas.manager).order_by("name")
    assert teams
    assert "Select a valid choice. abc is not one of the available choices." in page
    listed = ", ".join(f"{team.pk} ({team.name})" for team in teams)
    assert f"Choose one of: {listed}." in page, page[page.find("abc is not") :][:300]


def test_a_value_with_a_percent_sign_is_said_in_the_api_not_a_500(personas, api):
    """django-filter renders a message with `message % params`: a value holding "%" in
    a worked-out message failed there (Schemathesis found it)."""
    response = api(personas.alice).get("/api/v1/visits/", {"status": "100%s"})
    assert response.status_code == 400
    (said,) = response.json()["errors"]["status"]
    assert "100%s is not one of the available choices." in said
