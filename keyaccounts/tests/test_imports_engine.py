"""The in-memory check of imported and bulk-loaded records (`keyaccounts.imports.kinds`):
a new record copied from a blank one is checked in the fields a row gave it, and in
every field whose blank value would not pass."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Account
from keyaccounts.imports.kinds import _clean_fields, _new, _valid_defaults


def test_only_blank_values_that_pass_their_fields_check_are_known_valid():
    known = _valid_defaults(Account)
    # Required, and blank in a blank account: checked on every record.
    assert "name" not in known and "industry" not in known
    # May be empty, and empty in a blank account: checked once, for all.
    assert known["region"] == "" and known["employees"] is None
    assert "owner" not in known and "owner_id" not in known  # links: the import's own


@pytest.mark.django_db
def test_a_new_record_is_still_checked_in_what_it_was_given_and_what_it_lacks(personas):
    fine = _new(Account, name="Acme", industry="manufacturing", owner=personas.alice)
    _clean_fields(fine)  # nothing to say

    with pytest.raises(ValidationError) as given:
        _clean_fields(
            _new(
                Account,
                name="Acme",
                industry="manufacturing",
                owner=personas.alice,
                website="not a web address",
                employees=-3,
            )
        )
    assert set(given.value.message_dict) == {"website", "employees"}

    with pytest.raises(ValidationError) as lacking:
        _clean_fields(_new(Account, owner=personas.alice))
    assert set(lacking.value.message_dict) == {"name", "industry"}


@pytest.mark.django_db
def test_a_field_set_after_the_copy_is_checked_whatever_it_held_before(personas):
    # Only the very object a blank account holds is taken as checked: a field given
    # another value (a row's, or a stored record's from the database) is checked again.
    account = _new(Account, name="Acme", industry="manufacturing", owner=personas.alice)
    account.status = "no such status"
    with pytest.raises(ValidationError) as wrong:
        _clean_fields(account)
    assert set(wrong.value.message_dict) == {"status"}
