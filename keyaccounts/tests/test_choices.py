"""`get_FOO_display()` through `keyaccounts.choices.ChoiceLabels`: Django's labels, in the
active language, without translating every choice of the field for each one shown."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from accounts.models import Account, AccountStatus, Attitude, Contact, Industry, Level
from keyaccounts.choices import ChoiceLabels
from visits.models import Visit, VisitMethod

PROJECT_APPS = {"accounts", "opportunities", "visits", "scoring", "keyaccounts"}


def _project_models():
    for model in apps.get_models():
        module = model.__module__.split(".")[0]
        if module in PROJECT_APPS and not model.__name__.startswith("Historical"):
            yield model


def test_every_model_of_the_project_with_a_choices_field_reads_its_labels_once():
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in _project_models()
        for field in model._meta.concrete_fields
        if field.choices and not issubclass(model, ChoiceLabels)
    ]
    assert missing == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_label_shown_is_djangos_own_in_the_active_language(language):
    account = Account(industry=Industry.MANUFACTURING, status=AccountStatus.ACTIVE)
    visit = Visit(method=VisitMethod.PHONE)
    contact = Contact(attitude=Attitude.SUPPORTER, influence=Level.HIGH)
    with translation.override(language):
        for record in (account, visit, contact):
            for field in type(record)._meta.concrete_fields:
                if not field.choices:
                    continue
                shown = getattr(record, f"get_{field.name}_display")()
                # Django's own rule, the base class's method, not the mixin's.
                expected = models.Model._get_FIELD_display(record, field)
                assert shown == expected, (type(record).__name__, field.name)
                assert isinstance(shown, str)


def test_a_value_that_is_not_a_choice_is_shown_as_it_is():
    assert Account(industry="not-an-industry").get_industry_display() == "not-an-industry"
    assert Account(industry="").get_industry_display() == ""


def test_a_chinese_label_follows_the_language_switched_after_the_first_read():
    account = Account(status=AccountStatus.ACTIVE)
    with translation.override("en"):
        english = account.get_status_display()
    with translation.override("zh-hans"):
        chinese = account.get_status_display()
    labels = dict(Account._meta.get_field("status").flatchoices)
    assert english == "Active customer"
    with translation.override("zh-hans"):
        assert chinese == str(labels["active"])
    assert chinese != english
