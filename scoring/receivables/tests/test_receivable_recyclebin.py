"""Invoices in the recycle bin: deleted and restored (from the bin's page, the admin),
refused while another live invoice has the number, gone along with their account and
back with it, purged with it; and an account merge takes them to the survivor unless
both have the same invoice number."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.services import account_delete, account_merge, account_restore
from accounts.tests.factories import AccountFactory
from keyaccounts.exceptions import ApplicationError
from keyaccounts.recyclebin.labels import along_text, type_label
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import purge_expired
from scoring.receivables import services
from scoring.receivables.models import Receivable

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def make(account, number="INV-1", *, by=None, **fields):
    fields.setdefault("issued_on", datetime.date(2026, 1, 10))
    fields.setdefault("amount", Decimal("1000"))
    return services.receivable_create(
        by=by or account.owner, account=account, invoice_number=number, **fields
    )


def test_a_deleted_invoice_waits_in_the_bin_and_comes_back_from_its_page(personas, login):
    invoice = make(personas.account, "INV-7")
    deletion = services.receivable_delete(receivable=invoice, by=personas.alice)
    assert not Receivable.objects.filter(pk=invoice.pk).exists()
    assert (deletion.model, deletion.account_id) == ("receivables.receivable", personas.account.pk)
    assert type_label(deletion.model) == "Invoice"
    client = login(personas.alice)
    page = client.get(reverse("recyclebin:bin")).content.decode()
    assert "Invoice" in page and "INV-7" in page
    # Another team's rep does not even learn it exists.
    other = login(personas.charlie)
    assert other.post(reverse("recyclebin:restore", args=[deletion.pk])).status_code == 404
    assert not Receivable.objects.filter(pk=invoice.pk).exists()
    client = login(personas.alice)
    response = client.post(reverse("recyclebin:restore", args=[deletion.pk]))
    assert response.status_code == 302
    restored = Receivable.objects.get(pk=invoice.pk)
    assert restored.invoice_number == "INV-7" and restored.deleted_at is None
    assert restored.history.first().history_change_reason == "restored"


def test_a_restore_is_refused_while_another_live_invoice_has_the_number(personas, login):
    first = make(personas.account, "INV-7")
    deletion = services.receivable_delete(receivable=first, by=personas.alice)
    second = make(personas.account, "INV-7")  # the number is free again
    with pytest.raises(ApplicationError) as caught:
        services.receivable_restore(
            receivable=Receivable.all_objects.get(pk=first.pk), by=personas.alice
        )
    assert "another invoice INV-7" in caught.value.message
    # From the bin's page: the same message, nothing restored.
    client = login(personas.alice)
    response = client.post(reverse("recyclebin:restore", args=[deletion.pk]), follow=True)
    assert "another invoice INV-7" in response.content.decode()
    assert Receivable.all_objects.get(pk=first.pk).deleted_at is not None
    # Once the other one is in the bin, it comes back.
    services.receivable_delete(receivable=second, by=personas.alice)
    client.post(reverse("recyclebin:restore", args=[deletion.pk]))
    assert Receivable.objects.get(pk=first.pk).invoice_number == "INV-7"


def test_an_account_takes_its_invoices_to_the_bin_and_back(personas):
    one, two = make(personas.account, "A-1"), make(personas.account, "A-2")
    alone = make(personas.account, "A-3")
    own = services.receivable_delete(receivable=alone, by=personas.alice)  # its own entry
    deletion = account_delete(account=personas.account, by=personas.alice)
    assert deletion.counts == {"receivables.receivable": 2}
    assert along_text(deletion.counts) == "2 invoices"
    assert not Receivable.objects.filter(pk__in=[one.pk, two.pk]).exists()
    # An invoice cannot come back before its account.
    with pytest.raises(ApplicationError) as caught:
        services.receivable_restore(
            receivable=Receivable.all_objects.get(pk=one.pk), by=personas.alice
        )
    assert caught.value.code == "account_deleted"
    account_restore(account=personas.account, by=personas.alice)
    assert set(Receivable.objects.values_list("pk", flat=True)) == {one.pk, two.pk}
    # The one deleted on its own before stays in the bin until restored itself.
    assert Deletion.objects.get(pk=own.pk).in_bin


def test_a_purge_removes_an_account_with_its_invoices(personas, settings):
    settings.RECYCLE_BIN_DAYS = 90
    invoice = make(personas.account, "P-1")
    deletion = account_delete(account=personas.account, by=personas.alice)
    Deletion.objects.filter(pk=deletion.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=91)
    )
    assert purge_expired() == 1
    assert not Receivable.all_objects.filter(pk=invoice.pk).exists()
    assert not Receivable.history.model.objects.filter(id=invoice.pk).exists()
    assert not type(personas.account).all_objects.filter(pk=personas.account.pk).exists()


def test_a_merge_moves_the_invoices_unless_both_accounts_have_the_number(personas):
    twin = AccountFactory(owner=personas.alice, name="Alice's Customer Twin")
    make(personas.account, "SAME")
    theirs = make(twin, "SAME")
    other = make(twin, "OTHER")
    with pytest.raises(ApplicationError) as caught:
        account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    assert caught.value.message == (
        "Both accounts have invoice SAME: move one of them to the recycle bin before merging."
    )
    other.refresh_from_db()
    assert other.account == twin
    services.receivable_delete(receivable=theirs, by=personas.alice)
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    other.refresh_from_db()
    moved = Receivable.all_objects.get(pk=theirs.pk)
    assert other.account_id == moved.account_id == personas.account.pk
    assert set(
        Receivable.objects.filter(account=personas.account).values_list("invoice_number", flat=True)
    ) == {"SAME", "OTHER"}


def test_the_admin_deletes_to_the_bin_and_adds_through_the_service(personas, login):
    invoice = make(personas.account, "ADM-1")
    client = login(personas.admin)
    url = reverse("admin:receivables_receivable_delete", args=[invoice.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert Receivable.all_objects.get(pk=invoice.pk).deleted_at is not None
    assert Deletion.objects.filter(model="receivables.receivable", object_id=invoice.pk).exists()
    response = client.post(
        reverse("admin:receivables_receivable_add"),
        {
            "account": personas.account.pk,
            "invoice_number": "ADM-2",
            "issued_on": "2026-01-10",
            "due_on": "",
            "amount": "500",
            "paid_amount": "0",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    added = Receivable.objects.get(invoice_number="ADM-2")
    assert added.recorded_by == personas.admin
    assert added.due_on == services.default_due_on(personas.account, datetime.date(2026, 1, 10))
    # What the model forbids is a field error there, nothing saved.
    response = client.post(
        reverse("admin:receivables_receivable_add"),
        {
            "account": personas.account.pk,
            "invoice_number": "ADM-3",
            "issued_on": "2026-01-10",
            "due_on": "2026-01-01",
            "amount": "500",
            "paid_amount": "600",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert not Receivable.objects.filter(invoice_number="ADM-3").exists()
