"""A plain field's check of a value it passed before is not run again (the import's
`kinds._passed` for choices and yes/no fields, the bulk upsert's `setbased._FieldMemo`
per list), and nothing else changes: a value it refused is refused each time, free text,
amounts and related fields are checked (looked up) each time."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from accounts.models import Contact
from keyaccounts.api.setbased import _FieldMemo
from keyaccounts.imports.kinds import _clean_fields, _passed
from opportunities.models import Opportunity


def _contact(**values) -> Contact:
    return Contact(account_id=1, name="王伟", **values)


def test_a_value_a_field_passed_is_remembered_and_a_bad_one_is_refused_each_time():
    _clean_fields(_contact(buying_role="decider"))
    assert (str, "decider") in _passed(Contact)["buying_role"]
    for _ in range(2):
        with pytest.raises(ValidationError) as refused:
            _clean_fields(_contact(buying_role="boss"))
        assert "buying_role" in refused.value.message_dict
        assert (str, "boss") not in _passed(Contact)["buying_role"]
    _clean_fields(_contact(buying_role="decider"))  # remembered: passes again


def test_a_remembered_choice_skips_the_check_and_a_new_one_is_checked(monkeypatch):
    monkeypatch.setitem(_passed(Contact), "buying_role", set())  # what tests before left
    _clean_fields(_contact(buying_role="decider"))
    field = Contact._meta.get_field("buying_role")

    def refuse(value, instance):
        raise ValidationError("checked")

    monkeypatch.setattr(field, "clean", refuse)
    _clean_fields(_contact(buying_role="decider"))  # remembered: not checked again
    with pytest.raises(ValidationError):
        _clean_fields(_contact(buying_role="user"))  # never passed: checked


def test_only_choices_and_yes_no_fields_are_remembered():
    remembered = _passed(Contact)
    assert {"buying_role", "attitude", "is_coach"} <= set(remembered)
    # Free text (personal data, rarely repeated), links, and amounts (an equal Decimal
    # with more decimal places is refused: 1.000 is not 1.00 to the check) are not.
    assert not {"name", "phone", "email", "title", "account", "reports_to"} & set(remembered)
    assert "amount" not in _passed(Opportunity)


def test_the_serializer_fields_memo_answers_a_plain_value_once_and_refuses_each_time():
    calls = []

    class Counted(serializers.ChoiceField):
        def run_validation(self, data=serializers.empty):
            calls.append(data)
            return super().run_validation(data)

    field = Counted(choices=["visit", "call"])
    memo = _FieldMemo({"method": field})
    assert [memo.run_validation("method", field, "visit") for _ in range(3)] == ["visit"] * 3
    assert calls == ["visit"]
    for _ in range(2):
        with pytest.raises(serializers.ValidationError):
            memo.run_validation("method", field, "fax")
    assert calls == ["visit", "fax", "fax"]
    other = serializers.PrimaryKeyRelatedField(read_only=True)
    assert "account" not in _FieldMemo({"account": other, "method": field}).plain


def _deal(**values) -> Opportunity:
    return Opportunity(account_id=1, owner_id=1, stage_id=1, name="云化项目", **values)


def test_an_update_checks_the_fields_it_changes_and_not_those_it_leaves_as_saved():
    """`_clean(…, stored=…)`: a field whose value is the saved one (same type, equal, a
    Decimal with the same digits) is not checked again; a changed one is, and so is an
    equal amount written with more decimal places than the field takes."""
    from decimal import Decimal

    saved = _deal(amount=Decimal("1000.00"), discount_percent=Decimal("150.00"))  # legacy
    update = _deal(amount=Decimal("2000.00"), discount_percent=Decimal("150.00"))
    _clean_fields(update, saved)  # the out-of-range discount is as saved: not the row's
    with pytest.raises(ValidationError) as refused:
        _clean_fields(_deal(amount=Decimal("2000.00"), discount_percent=Decimal("150.00")))
    assert "discount_percent" in refused.value.message_dict  # a new record's is checked

    changed = _deal(amount=Decimal("1000.00"), discount_percent=Decimal("101.00"))
    with pytest.raises(ValidationError) as refused:
        _clean_fields(changed, saved)
    assert list(refused.value.message_dict) == ["discount_percent"]

    more_places = _deal(amount=Decimal("1000.000"), discount_percent=Decimal("150.00"))
    with pytest.raises(ValidationError) as refused:
        _clean_fields(more_places, saved)
    assert list(refused.value.message_dict) == ["amount"]
