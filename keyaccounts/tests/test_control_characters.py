"""No control character gets into any text (issue 12, keyaccounts/text.py): every text
field of every model, every plain form field and every plain API field refuses C0, DEL
and C1 controls; a text of several lines (a model's TextField) allows tab and line
breaks, a single line (a CharField) allows none. One test per kind of input: a page's
model form, a page's plain form, the API's model and plain fields, the admin's model, an
import; and the rule's reach over every model."""

import io

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import translation

from accounts.models import AccountCompetitor
from keyaccounts.integrations.models import IntegrationToken, Webhook
from keyaccounts.tests.imports_files import csv_file
from keyaccounts.tests.test_imports import problems, run, statuses
from keyaccounts.text import NoControlCharacters

pytestmark = pytest.mark.django_db

SINGLE_LINE = "single line"
SEVERAL_LINES = "tabs and line breaks are the only ones allowed"


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def test_every_text_field_of_every_model_has_the_rule_and_migrations_do_not_see_it():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.local_fields:
            if isinstance(field, models.CharField | models.TextField):
                guards = [v for v in field.validators if isinstance(v, NoControlCharacters)]
                assert len(guards) == 1, f"{model._meta.label}.{field.name}"
                assert guards[0].multiline == isinstance(field, models.TextField)
                declared = field.deconstruct()[3].get("validators", [])
                assert not any(isinstance(v, NoControlCharacters) for v in declared), field
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.parametrize("value", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\x9b"])
def test_a_several_lines_text_refuses_controls_but_keeps_tabs_and_line_breaks(personas, value):
    competitor = AccountCompetitor(account=personas.account, name="Rival", strengths="ok")
    competitor.full_clean()
    competitor.strengths = "line one\r\n\tline two"
    competitor.full_clean()
    competitor.strengths = f"bad {value} text"
    with pytest.raises(ValidationError) as error:
        competitor.full_clean()
    assert SEVERAL_LINES in str(error.value.message_dict["strengths"])


def test_a_stage_name_as_the_admin_saves_it_is_one_line(db):
    from opportunities.models import Stage

    stage = Stage(key="probe", name="Probe\nstage", order=99, default_probability=10)
    with pytest.raises(ValidationError) as error:
        stage.full_clean(validate_unique=False)
    assert SINGLE_LINE in str(error.value.message_dict["name"])


def test_a_page_model_form_refuses_a_control_character_on_its_field(login, personas):
    url = reverse("accounts:competitor_create", args=[personas.account.pk])
    client = login(personas.alice)

    bell = client.post(url, {"name": "Rival\x07 Inc", "threat": "medium", "strengths": ""})
    escape = client.post(url, {"name": "Rival Inc", "threat": "medium", "strengths": "\x1b[2J"})

    assert bell.status_code == escape.status_code == 200
    assert "name" in bell.context["form"].errors
    assert "strengths" in escape.context["form"].errors
    assert not AccountCompetitor.objects.exists()


def test_a_nul_gets_one_message_naming_what_to_do(login, personas):
    """Django's form fields check NUL on their own ("Null characters are not allowed",
    mistranslated in its Chinese): said once, by the rule that says what to do."""
    url = reverse("accounts:competitor_create", args=[personas.account.pk])

    page = login(personas.alice).post(url, {"name": "Rival\x00 Inc", "threat": "medium"})

    assert page.status_code == 200
    messages = page.context["form"].errors["name"]
    assert len(messages) == 1 and "Remove the control characters" in messages[0]
    assert not AccountCompetitor.objects.exists()


def test_a_nul_in_the_api_gets_one_message_in_either_language(api, personas):
    """DRF's text fields add Django's NUL check too: said once there as well (a single
    record and a bulk item)."""
    client = api(personas.alice)
    body = {"account": personas.account.pk, "name": "X", "title": "a\u0000"}
    for language, words in [("en", "Remove the control characters"), ("zh-hans", "控制字符")]:
        response = client.post("/api/v1/contacts/", body, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400
        messages = response.json()["errors"]["title"]
        assert len(messages) == 1 and words in messages[0], messages
    bulk = client.post("/api/v1/contacts/bulk/", [{**body, "external_id": "nul-1"}], format="json")
    (result,) = bulk.json()["results"]
    assert len(result["errors"]["title"]) == 1, result


def test_a_page_plain_form_refuses_a_control_character_on_its_field(login, personas):
    data = {"name": "ERP\x1b sync", "access": "read", "record_types": ["account"]}
    page = login(personas.alice).post(
        reverse("integrations:token_create"), {**data, "expires_in": "90"}
    )

    assert page.status_code == 200
    assert "control characters" in str(page.context["form"].errors["name"])
    assert not IntegrationToken.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("description", "ERP\x07"),
        ("url", "https://erp.example.com/\nhook"),
        ("url", "https://e\x85x.example.com/"),
    ],
)
def test_the_api_refuses_a_control_character_in_a_model_field(personas, api, field, value):
    body = {"url": "https://erp.example.com/hook", "record_types": ["account"], field: value}

    response = api(personas.manager).post("/api/v1/webhooks/", body, format="json")

    assert response.status_code == 400
    assert SINGLE_LINE in response.json()["errors"][field][0]
    assert not Webhook.objects.exists()


def test_the_api_refuses_a_control_character_in_a_plain_field(personas, api):
    body = {"url": "https://erp.example.com/hook", "record_types": ["account\x00\x07"]}

    response = api(personas.manager).post("/api/v1/webhooks/", body, format="json")

    assert response.status_code == 400
    assert "control characters" in response.json()["errors"]["record_types.0"][0]
    assert not Webhook.objects.exists()


def test_an_import_refuses_a_control_character_naming_the_cell(personas):
    rows = [
        ["Name", "Industry", "Notes"],
        ["Bell\x07 Co", "Finance", "fine"],
        ["Fine Co", "Finance", "a\x1bb"],
        ["Tab Co", "Finance", "line\tone"],
    ]
    result = run("accounts", csv_file(rows), personas.alice)

    assert statuses(result)[:2] == [(2, "error"), (3, "error")]
    (column, _value, message, _expected), *_ = problems(result, 2)
    assert column == "Name" and SINGLE_LINE in message
    (column, _value, message, _expected), *_ = problems(result, 3)
    assert column == "Notes" and SEVERAL_LINES in message
    assert problems(result, 4) == []
