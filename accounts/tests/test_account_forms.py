import re

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Account
from accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def valid_data(**overrides):
    data = {
        "name": "华东精密制造",
        "industry": "manufacturing",
        "region": "华东",
        "status": "prospect",
        "credit_rating": "AA",
    }
    data.update(overrides)
    return data


def test_rep_creates_an_account_they_own(personas, login):
    response = login(personas.carol).post(reverse("accounts:create"), valid_data())
    account = Account.objects.get(name="华东精密制造")
    assert response.status_code == 302
    assert response["Location"] == account.get_absolute_url()
    assert account.owner == personas.carol
    assert account.version == 1


def test_rep_is_not_offered_the_owner_field_and_cannot_smuggle_one(personas, login):
    client = login(personas.alice)
    assert "owner" not in client.get(reverse("accounts:create")).context["form"].fields
    client.post(reverse("accounts:create"), valid_data(owner=personas.charlie.pk))
    assert Account.objects.get(name="华东精密制造").owner == personas.alice


def test_manager_can_create_an_account_for_a_team_member(personas, login):
    login(personas.manager).post(reverse("accounts:create"), valid_data(owner=personas.carol.pk))
    assert Account.objects.get(name="华东精密制造").owner == personas.carol


def test_manager_cannot_give_an_account_to_another_teams_rep(personas, login):
    response = login(personas.manager).post(
        reverse("accounts:create"), valid_data(owner=personas.charlie.pk)
    )
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not Account.objects.filter(name="华东精密制造").exists()


def test_errors_are_shown_beside_their_fields_and_the_input_is_kept(personas, login):
    data = valid_data(
        name="",
        our_share="150",
        payment_cycle_days="-3",
        website="not a url",
        notes="Met the CIO at the expo; follow up on the MES tender.",
    )
    response = login(personas.alice).post(reverse("accounts:create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "our_share", "payment_cycle_days", "website"}
    page = response.content.decode()
    assert "Met the CIO at the expo; follow up on the MES tender." in page
    assert 'value="华东"' in page
    assert "Ensure this value is less than or equal to 100" in page
    assert Account.objects.count() == 2  # only the personas' accounts


def test_external_id_must_be_unique_with_a_clear_message(personas, login):
    AccountFactory(external_id="ERP-1", owner=personas.alice)
    response = login(personas.alice).post(
        reverse("accounts:create"), valid_data(external_id="ERP-1")
    )
    assert "external_id" in response.context["form"].errors


def test_a_blank_external_id_is_stored_as_none_so_many_accounts_can_lack_one(personas, login):
    client = login(personas.alice)
    client.post(reverse("accounts:create"), valid_data(name="One", external_id=""))
    client.post(reverse("accounts:create"), valid_data(name="Two", external_id=""))
    assert list(
        Account.objects.filter(name__in=["One", "Two"]).values_list("external_id", flat=True)
    ) == [None, None]


def test_edit_saves_and_bumps_the_version(personas, login):
    account = personas.account
    url = reverse("accounts:edit", args=[account.pk])
    response = login(personas.bob).post(url, valid_data(name="Renamed", version=account.version))
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.version, account.owner) == ("Renamed", 2, personas.alice)


def test_a_stale_tab_cannot_overwrite_a_newer_save(personas, login):
    account = personas.account
    url = reverse("accounts:edit", args=[account.pk])
    opened_at = account.version
    # Bob saves first from his tab...
    login(personas.bob).post(url, valid_data(name="Bob's name", version=opened_at))
    # ...then Alice saves from a tab she opened before Bob's save.
    response = login(personas.alice).post(
        url, valid_data(name="Alice's name", notes="Alice's long notes", version=opened_at)
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.name == "Bob's name"
    page = response.content.decode()
    assert "Someone else saved this record" in page
    assert "Alice&#x27;s long notes" in page  # her input is still there
    # Saving again from that page is her informed choice and goes through.
    shown = response.context["form"].data
    assert (shown["version"], shown["seen_version"]) == (str(opened_at), str(account.version))
    login(personas.alice).post(
        url,
        valid_data(
            name="Alice's name", version=shown["version"], seen_version=shown["seen_version"]
        ),
    )
    account.refresh_from_db()
    assert account.name == "Alice's name"


def test_saving_again_after_a_conflict_keeps_what_the_other_changed_and_i_did_not(personas, login):
    from visits.tests.test_admin_people import form_of

    account = personas.account
    url = reverse("accounts:edit", args=[account.pk])
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")  # Alice opens the form...
    # ...Bob renames the account; then Alice, in the form opened before, writes notes.
    bobs = form_of(login(personas.bob).get(url), "record-form")
    assert login(personas.bob).post(url, {**bobs, "name": "Bob's name"}).status_code == 302
    mine["notes"] = "Alice's notes"
    response = alice.post(url, mine)
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    assert "You both changed" not in response.content.decode()

    page = response.content.decode()
    # Beside the name, what Bob saved in it, named by the input for a screen reader.
    assert (
        '<small class="theirs" id="id_name_theirs">'
        "Saved meanwhile by someone else: Bob&#x27;s name</small>"
    ) in page
    assert re.search(r'<input[^>]*name="name"[^>]*aria-describedby="id_name_theirs"', page)
    assert "id_notes_theirs" not in page  # only what someone else changed
    again = form_of(response, "record-form")
    assert again["name"] == "Alice's Customer Co"  # the form shows what she opened
    assert alice.post(url, again).status_code == 302
    account.refresh_from_db()
    assert (account.name, account.notes) == ("Bob's name", "Alice's notes")


def test_a_conflict_names_the_fields_both_changed(personas, login):
    from visits.tests.test_admin_people import form_of

    url = reverse("accounts:edit", args=[personas.account.pk])
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")
    bobs = form_of(login(personas.bob).get(url), "record-form")
    login(personas.bob).post(url, {**bobs, "name": "Bob's name", "region": "华北"})
    response = alice.post(url, {**mine, "name": "Alice's name", "notes": "Hers"})
    assert "You both changed: Name." in response.content.decode()


def test_only_a_manager_can_reassign_an_account(personas, login):
    url = reverse("accounts:edit", args=[personas.account.pk])
    login(personas.bob).post(url, valid_data(owner=personas.bob.pk))
    personas.account.refresh_from_db()
    assert personas.account.owner == personas.alice
    login(personas.manager).post(url, valid_data(owner=personas.carol.pk))
    personas.account.refresh_from_db()
    assert personas.account.owner == personas.carol


def test_the_conflict_page_keeps_the_forms_own_pickers_and_their_rule(personas, login):
    """On the page shown after a conflict, the fields a form chooses from what the person
    may pick (a parent company among their accounts) are those fields, not the model's
    plain list of every record; and a save over the shown version still keeps to them."""
    from visits.tests.test_admin_people import form_of

    account = personas.account
    hidden = AccountFactory(owner=personas.charlie, name="Charlie's secret customer")
    url = reverse("accounts:edit", args=[account.pk])
    alice = login(personas.alice)
    mine = form_of(alice.get(url), "record-form")
    # Her manager puts the account into a group (a parent both see) while she edits it.
    group = AccountFactory(owner=personas.alice, name="Alice's group")
    services.account_update(
        account=Account.objects.get(pk=account.pk), by=personas.manager, parent=group
    )
    response = alice.post(url, {**mine, "notes": "Hers"})
    page = response.content.decode()
    assert "Someone else saved this record" in page
    assert "Saved meanwhile by someone else: Alice&#x27;s group" in page
    assert "Charlie&#x27;s secret customer" not in page
    again = form_of(response, "record-form")
    again["parent"] = str(hidden.pk)  # an id she cannot see, sent by hand
    again.pop("parent_name", None)  # no name typed: the id is what is read
    refused = alice.post(url, again)
    assert refused.status_code == 200
    account.refresh_from_db()
    assert account.parent_id == group.pk


def test_every_label_of_the_account_form_starts_with_a_capital(personas, login):
    """Fields declared on the form take the model's label as it is ("website"):
    capitalised as the model's own fields are."""
    from django.utils import translation

    with translation.override("en"):
        form = login(personas.manager).get(reverse("accounts:create")).context["form"]
        labels = [str(field.label) for field in form.visible_fields()]
    assert "Website" in labels
    assert [label for label in labels if label[:1].islower()] == []


def test_a_credit_code_typed_as_printed_with_spaces_is_saved_without_them(personas, login):
    """A licence prints it in groups, and a Chinese keyboard may type it full width: the
    field takes it as typed (no 18-character cap on the input) and stores the code."""
    client = login(personas.alice)
    page = client.get(reverse("accounts:create")).content.decode()
    assert re.search(r'<input[^>]*name="credit_code"[^>]*maxlength', page) is None
    response = client.post(
        reverse("accounts:create"),
        valid_data(name="Fuzhou Optics", credit_code="9135 0100 m000 100y43"),
    )
    assert response.status_code == 302
    assert Account.objects.get(name="Fuzhou Optics").credit_code == "91350100M000100Y43"
    too_long = client.post(
        reverse("accounts:create"),
        valid_data(name="Minjiang Lenses", credit_code="9135 0100 M000 100Y43 7"),
    )
    assert "A unified social credit code has 18 characters; this one has 19." in (
        too_long.content.decode()
    )
