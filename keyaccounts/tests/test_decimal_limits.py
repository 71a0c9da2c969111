"""A form's decimal number too long for its field says what the field takes: the
largest (or smallest) number, or how many decimal places (keyaccounts/formfields.py)."""

import pytest
from django import forms
from django.utils import translation


def errors_of(value, **options):
    field = forms.DecimalField(max_digits=5, decimal_places=2, **options)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(value)
    return refused.value.messages


def test_too_large_says_the_largest_number():
    with translation.override("en"):
        assert errors_of("123456") == ["Enter at most 999.99."]
    with translation.override("zh-hans"):
        assert errors_of("123456") == ["请输入不超过 999.99 的数。"]


def test_too_far_below_zero_says_the_smallest_number():
    with translation.override("en"):
        assert errors_of("-123456") == ["Enter at least -999.99."]


def test_too_many_decimals_says_the_decimal_places_not_a_limit():
    # 12.3456 has 6 digits: Django calls it too many digits; the decimals are the cause.
    with translation.override("en"):
        assert errors_of("12.3456") == ["Ensure that there are no more than 2 decimal places."]


def test_a_value_that_fits_and_other_rules_are_as_before():
    field = forms.DecimalField(max_digits=5, decimal_places=2, min_value=0)
    assert str(field.clean("999.99")) == "999.99"
    with translation.override("en"), pytest.raises(forms.ValidationError) as refused:
        field.clean("-1")
    assert refused.value.messages == ["Ensure this value is greater than or equal to 0."]
