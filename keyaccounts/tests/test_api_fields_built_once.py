"""A model serializer's fields made from the model are worked out once per class and
language (`keyaccounts.api.serializers.FieldsBuiltOnce`): each serializer still gets
fields of its own, the same as DRF makes, and a message DRF writes out when it builds
a field is in the request's language."""

import pytest
from django.utils import translation

from accounts.api.serializers import AccountSerializer
from keyaccounts.api.serializers import FieldsBuiltOnce, VersionedModelSerializer
from opportunities.api.serializers import OpportunitySerializer
from visits.api.serializers import VisitSerializer

pytestmark = pytest.mark.django_db


def every_record_serializer() -> list[type]:
    found, stack = [], [VersionedModelSerializer]
    while stack:
        for subclass in stack.pop().__subclasses__():
            found.append(subclass)
            stack.append(subclass)
    return found


def test_every_record_type_s_serializer_builds_its_fields_once():
    kinds = every_record_serializer()
    assert {AccountSerializer, OpportunitySerializer, VisitSerializer} <= set(kinds)
    assert all(issubclass(kind, FieldsBuiltOnce) for kind in kinds)


@pytest.mark.parametrize("kind", every_record_serializer(), ids=lambda kind: kind.__name__)
def test_the_fields_made_again_are_the_fields_drf_made_the_first_time(kind):
    FieldsBuiltOnce._built_fields.clear()
    first = kind().fields  # worked out by DRF
    assert any(key[0] is kind for key in FieldsBuiltOnce._built_fields)
    again = kind().fields  # made from what was worked out
    assert list(again) == list(first)
    for name in first:
        assert repr(again[name]) == repr(first[name]), name


def test_each_serializer_has_fields_of_its_own():
    one, other = AccountSerializer(), AccountSerializer()
    for name in ("name", "external_id", "industry"):
        mine, theirs = one.fields[name], other.fields[name]
        assert mine is not theirs
        assert mine.parent is one and theirs.parent is other
        assert mine.validators is not theirs.validators
    one.fields["name"].validators.append(lambda value: None)
    assert len(other.fields["name"].validators) == len(one.fields["name"].validators) - 1
    assert len(AccountSerializer().fields["name"].validators) == len(
        other.fields["name"].validators
    )


def test_a_duplicate_external_id_is_refused_in_the_request_s_language(personas, api):
    client = api(personas.alice)
    created = client.post(
        "/api/v1/accounts/",
        {"name": "Only once", "industry": "manufacturing", "external_id": "erp-1"},
        format="json",
    )
    assert created.status_code == 201, created.content
    FieldsBuiltOnce._built_fields.clear()
    messages = {}
    for language in ("en", "zh-hans", "en"):
        response = client.post(
            "/api/v1/accounts/",
            {"name": "Twice", "industry": "manufacturing", "external_id": "erp-1"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 400, response.content
        messages.setdefault(language, []).append(response.json()["errors"]["external_id"][0])
    english, chinese = messages["en"][0], messages["zh-hans"][0]
    assert "already exists" in english
    assert messages["en"] == [english, english]
    with translation.override("zh-hans"):
        assert chinese != english
        assert "already exists" not in chinese
        assert "已存在" in chinese


def test_a_setting_that_changes_makes_them_worked_out_again(settings):
    AccountSerializer().fields  # noqa: B018 - worked out, kept
    assert FieldsBuiltOnce._built_fields
    settings.API_THROTTLE_RATE = "5/min"
    assert FieldsBuiltOnce._built_fields == {}
