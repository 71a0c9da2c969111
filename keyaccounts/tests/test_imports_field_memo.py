"""A plain field's check of a value it passed before is not run again (the import's
`kinds._passed`, the bulk upsert's `setbased._FieldMemo`), and nothing else changes:
a value it refused is refused each time, a value its check changed is checked each
time, a related field is looked up each time."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from accounts.models import Contact
from keyaccounts.api.setbased import _FieldMemo
from keyaccounts.imports.kinds import _clean_fields, _passed


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


def test_a_value_the_check_changed_and_a_related_field_are_not_remembered():
    contact = _contact(title=12)  # a number where text goes: the check makes it "12"
    _clean_fields(contact)
    assert contact.title == "12"
    assert (int, 12) not in _passed(Contact)["title"]
    assert "account" not in _passed(Contact) and "reports_to" not in _passed(Contact)


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
