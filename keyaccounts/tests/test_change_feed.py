"""Change numbers and tombstones: what the sync API's changes feed is built on."""

import pytest

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.changeseq import next_change_seq
from keyaccounts.models import Tombstone
from visits.tests.factories import VisitFactory

pytestmark = pytest.mark.django_db


def test_every_create_and_save_takes_a_new_higher_change_number(personas):
    account = AccountFactory(owner=personas.alice)
    created = account.change_seq
    account.name = "Renamed"
    account.save()
    contact = ContactFactory(account=account)
    assert 0 < created < account.change_seq < contact.change_seq


def test_change_numbers_are_shared_by_all_record_types_and_never_repeat(personas):
    seqs = [AccountFactory(owner=personas.alice).change_seq for _ in range(3)]
    seqs.append(ContactFactory(account=personas.account).change_seq)
    seqs.append(VisitFactory(account=personas.account).change_seq)
    assert len(set(seqs)) == len(seqs)
    assert seqs == sorted(seqs)


def test_a_range_can_be_reserved_for_bulk_writes(db):
    first = next_change_seq()
    last = next_change_seq(count=100)
    assert last == first + 100
    assert next_change_seq() == last + 1


def test_deleting_a_record_leaves_a_tombstone_and_so_do_its_cascaded_children(personas):
    account = AccountFactory(owner=personas.alice, external_id="ERP-7")
    contact = ContactFactory(account=account, external_id="ERP-C-1")
    visit = VisitFactory(account=account)
    expected = {
        ("accounts.account", account.pk, "ERP-7"),
        ("accounts.contact", contact.pk, "ERP-C-1"),
        ("visits.visit", visit.pk, ""),
    }
    before = next_change_seq()
    account.delete()
    stones = {(t.model, t.object_id, t.external_id) for t in Tombstone.objects.all()}
    assert stones == expected
    assert all(t.change_seq > before for t in Tombstone.objects.all())


def test_deleting_an_unsynced_record_leaves_no_tombstone(personas):
    personas.account.team_members.all().delete()
    assert not Tombstone.objects.exists()
