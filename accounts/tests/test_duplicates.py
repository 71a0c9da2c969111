"""Likely duplicates: the normalised name, the credit code, and the API's 409
`possible_duplicate` that names what the caller may see and only counts the rest."""

import pytest
from django.core.exceptions import ValidationError

from accounts.duplicates import (
    normalize_email,
    normalize_name,
    normalize_phone,
    validate_credit_code,
)
from accounts.models import Account, Contact
from accounts.services import account_create, account_delete
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

# A real unified social credit code (its check character is right), and the same code
# with the check character changed: a typing error.
VALID_CODE = "91350100M000100Y43"
WRONG_CHECK = "91350100M000100Y44"


# --- the pure functions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术", "华为技术"),
        ("华为技术 股份有限公司", "华为技术"),
        ("华为集团", "华为"),
        ("ＨＵＡＷＥＩ Technologies Co., Ltd.", "huaweitechnologies"),
        ("Huawei  Technologies", "huaweitechnologies"),
        ("HUAWEI TECHNOLOGIES LIMITED", "huaweitechnologies"),
        ("有限公司", ""),  # only a legal form: no key, matches nothing
        ("Co., Ltd.", ""),
        ("Costco", "costco"),  # a legal form comes off only as a whole word
        ("ACME 集团 Co., Ltd.", "acme"),
    ],
)
def test_a_name_is_normalised_to_what_its_variants_share(name, key):
    assert normalize_name(name) == key


def test_phone_numbers_and_email_addresses_compare_without_their_decoration():
    assert normalize_phone("+86 138-0013-8000") == "13800138000"
    assert normalize_phone("0086 13800138000") == "13800138000"
    assert normalize_phone("13800138000") == "13800138000"
    assert normalize_email(" Wang.Wei@Example.COM ") == "wang.wei@example.com"


def test_a_credit_code_with_its_right_check_character_is_valid():
    validate_credit_code(VALID_CODE)
    validate_credit_code(VALID_CODE.lower())
    validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３")  # full-width


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (WRONG_CHECK, "check_digit"),
        (VALID_CODE[:17], "length"),
        ("91350100O000100Y43", "characters"),  # the letter O is not in the alphabet
    ],
)
def test_a_bad_credit_code_is_refused_naming_what_is_wrong(code, error):
    with pytest.raises(ValidationError) as refused:
        validate_credit_code(code)
    assert refused.value.code == error


# --- the service ----------------------------------------------------------------------


def create(by, **fields):
    return account_create(by=by, **{"industry": "technology", **fields})


def test_an_account_is_stored_with_its_credit_code_in_capitals(personas):
    lower = create(personas.alice, name="Fuzhou Optics", credit_code=VALID_CODE.lower())
    assert Account.objects.get(pk=lower.pk).credit_code == VALID_CODE


def test_a_full_width_credit_code_is_the_same_code_as_the_one_on_file(personas):
    create(personas.alice, name="Fuzhou Optics", credit_code=VALID_CODE)
    with pytest.raises(ApplicationError) as refused:
        create(
            personas.alice, name="Another Name", credit_code="９１３５０１００ｍ０００１００ｙ４３"
        )
    assert refused.value.code == "possible_duplicate"
    assert Account.objects.filter(credit_code=VALID_CODE).count() == 1


def test_a_same_name_is_refused_naming_the_account_the_user_sees(personas):
    with pytest.raises(ApplicationError) as refused:
        create(personas.alice, name="ALICE'S CUSTOMER COMPANY LIMITED")
    assert refused.value.code == "possible_duplicate"
    assert refused.value.extra == {
        "duplicates": [
            {
                "id": personas.account.pk,
                "name": "Alice's Customer Co",
                "url": f"/accounts/{personas.account.pk}/",
                "match": "name",
            }
        ],
        "hidden_duplicates": 0,
        "confirmable": True,
    }
    assert Account.objects.count() == 2


def test_a_confirmed_same_name_is_saved(personas):
    create(personas.alice, name="Alice's Customer Co., Ltd.", confirm_duplicate=True)
    assert Account.objects.filter(name_key="alicescustomer").count() == 2


def test_a_match_the_user_cannot_see_is_counted_and_never_named(personas):
    with pytest.raises(ApplicationError) as refused:
        create(personas.alice, name="Charlie's Customer Co., Ltd.")
    assert refused.value.extra["duplicates"] == []
    assert refused.value.extra["hidden_duplicates"] == 1
    assert "cannot see" in refused.value.message
    assert "Charlie" not in refused.value.message


def test_a_credit_code_another_account_has_is_never_saved_twice_even_when_confirmed(personas):
    AccountFactory(name="Fuzhou Optics", owner=personas.alice, credit_code=VALID_CODE)
    with pytest.raises(ApplicationError) as refused:
        create(
            personas.alice, name="Minjiang Lenses", credit_code=VALID_CODE, confirm_duplicate=True
        )
    assert refused.value.extra["confirmable"] is False
    assert [d["match"] for d in refused.value.extra["duplicates"]] == ["credit_code"]


def test_a_credit_code_of_an_account_one_cannot_see_is_a_duplicate_only_counted(personas):
    AccountFactory(name="Fuzhou Optics", owner=personas.charlie, credit_code=VALID_CODE)
    with pytest.raises(ApplicationError) as refused:
        create(personas.alice, name="Minjiang Lenses", credit_code=VALID_CODE)
    assert refused.value.code == "possible_duplicate"
    assert refused.value.extra["duplicates"] == []
    assert refused.value.extra["hidden_duplicates"] == 1
    assert refused.value.extra["confirmable"] is False
    assert "cannot see" in refused.value.message
    assert "Fuzhou" not in str(refused.value.message)


def test_a_credit_code_held_in_the_recycle_bin_is_refused_naming_it_there(personas):
    """To whoever may restore it (who deleted it, a manager): the account, with the bin's
    page, and no confirmation (a credit code is one company's), whatever the name. To
    anyone else, the words of a live holder: the bin is not theirs to learn of."""
    from keyaccounts.history.context import Origin, history_context

    held = AccountFactory(name="Fuzhou Optics", owner=personas.alice, credit_code=VALID_CODE)
    account_delete(account=held, by=personas.alice)
    for name in ("Fuzhou Optics", "Minjiang Lenses"):
        for confirm in (False, True):
            with history_context(origin=Origin.WEB, user=personas.alice):
                with pytest.raises(ApplicationError) as refused:
                    create(
                        personas.alice, name=name, credit_code=VALID_CODE, confirm_duplicate=confirm
                    )
            assert refused.value.code == "possible_duplicate"
            assert "is in the recycle bin" in refused.value.message
            assert refused.value.extra["confirmable"] is False
            [match] = refused.value.extra["duplicates"]
            assert (match["id"], match["match"]) == (held.pk, "recycle_bin")
    with history_context(origin=Origin.WEB, user=personas.charlie):
        with pytest.raises(ValidationError) as refused:
            create(personas.charlie, name="Minjiang Lenses", credit_code=VALID_CODE)
    assert "recycle bin" not in refused.value.message_dict["credit_code"][0]
    assert not Account.objects.filter(credit_code=VALID_CODE).exists()


def test_a_new_account_named_like_one_in_the_recycle_bin_names_it_there(personas):
    """Most likely the deleted account made again: whoever may restore it is told,
    with the bin's page where it is restored, and may still confirm a new one."""
    account_delete(account=personas.account, by=personas.alice)
    with pytest.raises(ApplicationError) as refused:
        create(personas.alice, name="ALICE'S CUSTOMER COMPANY LIMITED")
    assert refused.value.code == "possible_duplicate"
    assert "recycle bin" in refused.value.message
    assert refused.value.extra == {
        "duplicates": [
            {
                "id": personas.account.pk,
                "name": "Alice's Customer Co",
                "url": "/recycle-bin/?q=Alice%27s+Customer+Co&type=accounts.account",
                "match": "recycle_bin",
            }
        ],
        "hidden_duplicates": 0,
        "confirmable": True,
    }
    assert not Account.objects.filter(name="ALICE'S CUSTOMER COMPANY LIMITED").exists()
    create(personas.alice, name="ALICE'S CUSTOMER COMPANY LIMITED", confirm_duplicate=True)
    assert Account.objects.filter(name_key="alicescustomer").count() == 1


def test_the_bin_is_asked_only_for_those_who_may_restore_from_it(personas):
    """Bob (on its team, not who deleted it) may not restore it: he is not told of the
    bin, as the recycle bin's own rule; the manager of the team may, and is."""
    account_delete(account=personas.account, by=personas.alice)
    create(personas.bob, name="Alice's Customer Co.")
    with pytest.raises(ApplicationError) as refused:
        create(personas.manager, name="Alice's Customer Co., Ltd.")
    assert [m["match"] for m in refused.value.extra["duplicates"]] == ["name", "recycle_bin"]
    assert "looks like the same company" in refused.value.message


def test_a_merged_away_account_is_no_duplicate_in_the_bin(personas):
    """Its survivor holds what it had: the survivor is the match, by its own name."""
    from accounts.services import account_merge

    other = AccountFactory(name="Minjiang Lenses", owner=personas.alice)
    account_merge(survivor=personas.account, merged=other, by=personas.manager, values={})
    create(personas.manager, name="Minjiang Lenses Co., Ltd.")


def test_a_rename_into_the_name_of_one_in_the_bin_is_refused_too(personas):
    deleted = AccountFactory(name="Fuzhou Optics", owner=personas.alice)
    account_delete(account=deleted, by=personas.alice)
    from accounts.services import account_update

    with pytest.raises(ApplicationError) as refused:
        account_update(account=personas.account, by=personas.alice, name="Fuzhou Optics Ltd")
    assert refused.value.extra["duplicates"][0]["id"] == deleted.pk
    personas.account.refresh_from_db()
    assert personas.account.name == "Alice's Customer Co"


# --- the API ----------------------------------------------------------------------------


def post_account(client, **fields):
    return client.post("/api/v1/accounts/", {"industry": "technology", **fields}, format="json")


def test_the_api_answers_409_naming_the_visible_match(personas, api):
    response = post_account(api(personas.alice), name="alice's customer co.,ltd")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "possible_duplicate"
    assert body["duplicates"] == [
        {
            "id": personas.account.pk,
            "name": "Alice's Customer Co",
            "url": f"/accounts/{personas.account.pk}/",
            "match": "name",
        }
    ]
    assert body["hidden_duplicates"] == 0
    assert body["confirmable"] is True
    assert Account.objects.count() == 2


def test_the_api_saves_a_duplicate_confirmed_on_purpose(personas, api):
    response = post_account(
        api(personas.alice), name="Alice's Customer Co., Ltd.", confirm_duplicate=True
    )
    assert response.status_code == 201, response.content
    assert "confirm_duplicate" not in response.json()
    assert Account.objects.count() == 3


def test_the_api_only_counts_a_match_the_caller_cannot_see(personas, api):
    response = post_account(api(personas.alice), name="CHARLIE'S CUSTOMER CO")
    body = response.json()
    assert response.status_code == 409
    assert body["duplicates"] == []
    assert body["hidden_duplicates"] == 1
    assert str(personas.charlies_account.pk) not in {str(v) for v in body.values()}


def test_a_rename_into_a_duplicate_answers_409_and_changes_nothing(personas, api):
    other = AccountFactory(name="Ningbo Port Logistics", owner=personas.alice)
    client = api(personas.alice)

    refused = client.patch(
        f"/api/v1/accounts/{other.pk}/", {"name": "Alice's Customer Co"}, format="json"
    )
    confirmed = client.patch(
        f"/api/v1/accounts/{personas.account.pk}/",
        {"name": "Ningbo Port Logistics Co., Ltd.", "confirm_duplicate": True},
        format="json",
    )

    assert refused.status_code == 409
    assert refused.json()["duplicates"][0]["id"] == personas.account.pk
    other.refresh_from_db()
    assert (other.name, other.version) == ("Ningbo Port Logistics", 1)
    assert confirmed.status_code == 200


def test_a_change_that_leaves_name_and_code_alone_is_not_checked_again(personas, api):
    twin = AccountFactory(name="Alice's Customer Co., Ltd.", owner=personas.alice)
    response = api(personas.alice).patch(
        f"/api/v1/accounts/{twin.pk}/", {"region": "福建"}, format="json"
    )
    assert response.status_code == 200


def test_a_put_by_external_id_is_checked_too(personas, api):
    client = api(personas.alice)
    refused = client.put(
        "/api/v1/accounts/external/ERP-7/",
        {"name": "Alice's Customer Co", "industry": "technology"},
        format="json",
    )
    confirmed = client.put(
        "/api/v1/accounts/external/ERP-7/",
        {"name": "Alice's Customer Co", "industry": "technology", "confirm_duplicate": True},
        format="json",
    )
    assert refused.status_code == 409
    assert confirmed.status_code == 201


def test_the_api_refuses_a_wrong_check_character_naming_the_field(personas, api):
    response = post_account(api(personas.alice), name="Fuzhou Optics", credit_code=WRONG_CHECK)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["credit_code"]
    assert "check character" in response.json()["errors"]["credit_code"][0]
    assert not Account.objects.filter(name="Fuzhou Optics").exists()


def test_the_api_stores_and_answers_a_lower_case_credit_code_in_capitals(personas, api):
    response = post_account(
        api(personas.alice), name="Fuzhou Optics", credit_code=VALID_CODE.lower()
    )
    assert response.status_code == 201, response.content
    assert response.json()["credit_code"] == VALID_CODE


def test_the_api_names_a_visible_account_with_the_same_credit_code(personas, api):
    AccountFactory(name="Fuzhou Optics", owner=personas.alice, credit_code=VALID_CODE)
    response = post_account(
        api(personas.alice),
        name="Minjiang Lenses",
        credit_code=VALID_CODE,
        confirm_duplicate=True,
    )
    assert response.status_code == 409
    assert response.json()["duplicates"][0]["name"] == "Fuzhou Optics"
    assert response.json()["confirmable"] is False


def test_the_api_says_only_that_a_code_one_cannot_see_exists(personas, api):
    hidden = AccountFactory(name="Fuzhou Optics", owner=personas.charlie, credit_code=VALID_CODE)
    response = post_account(api(personas.alice), name="Minjiang Lenses", credit_code=VALID_CODE)
    confirmed = post_account(
        api(personas.alice),
        name="Minjiang Lenses",
        credit_code=VALID_CODE,
        confirm_duplicate=True,
    )
    assert response.status_code == confirmed.status_code == 409
    body = response.json()
    assert (body["code"], body["hidden_duplicates"], body["confirmable"]) == (
        "possible_duplicate",
        1,
        False,
    )
    assert body["duplicates"] == []
    assert "Fuzhou" not in response.content.decode()
    assert f"/accounts/{hidden.pk}/" not in response.content.decode()


# --- contacts ---------------------------------------------------------------------------


def post_contact(client, account, **fields):
    return client.post("/api/v1/contacts/", {"account": account.pk, **fields}, format="json")


def test_a_contact_with_the_same_mobile_number_written_otherwise_is_a_likely_duplicate(
    personas, api
):
    known = ContactFactory(account=personas.account, name="王伟", phone="13800138000")
    response = post_contact(
        api(personas.alice), personas.account, name="Wang Wei", phone="+86 138-0013-8000"
    )
    assert response.status_code == 409
    assert response.json()["duplicates"] == [
        {
            "id": known.pk,
            "name": "王伟",
            "url": f"/accounts/{personas.account.pk}/contacts/{known.pk}/edit/",
            "match": "phone",
        }
    ]
    assert Contact.objects.count() == 1


def test_a_contact_with_the_same_email_in_other_case_is_a_likely_duplicate(personas, api):
    ContactFactory(account=personas.account, email="wang.wei@example.com")
    client = api(personas.alice)
    refused = post_contact(client, personas.account, name="W. Wei", email="Wang.Wei@Example.com")
    confirmed = post_contact(
        client,
        personas.account,
        name="W. Wei",
        email="Wang.Wei@Example.com",
        confirm_duplicate=True,
    )
    assert refused.status_code == 409
    assert refused.json()["duplicates"][0]["match"] == "email"
    assert confirmed.status_code == 201
    assert Contact.objects.count() == 2


def test_a_second_contact_of_the_same_name_is_a_likely_duplicate_unless_confirmed(personas, api):
    """Two Zhang Weis at one account are possible, but a file naming one of them cannot
    tell which: the second is saved only when the user says it is another person."""
    known = ContactFactory(account=personas.account, name="张伟", phone="", email="")
    client = api(personas.alice)
    refused = post_contact(client, personas.account, name="张 伟")
    assert refused.status_code == 409
    body = refused.json()
    assert body["duplicates"] == [
        {
            "id": known.pk,
            "name": "张伟",
            "url": f"/accounts/{personas.account.pk}/contacts/{known.pk}/edit/",
            "match": "name",
        }
    ]
    assert body["detail"] == (
        "Another contact of this account has the same name. Open it to check; if this is "
        "a different person, confirm to save anyway."
    )
    confirmed = post_contact(client, personas.account, name="张 伟", confirm_duplicate=True)
    assert confirmed.status_code == 201
    other = ContactFactory(account=personas.account, name="Li Na")
    renamed = client.patch(f"/api/v1/contacts/{other.pk}/", {"name": "ZHANG WEI"}, format="json")
    assert renamed.status_code == 200  # another spelling is another name
    renamed = client.patch(f"/api/v1/contacts/{other.pk}/", {"name": "张伟"}, format="json")
    assert renamed.status_code == 409
    assert Contact.objects.filter(name__in=["张伟", "张 伟"]).count() == 2


def test_two_contacts_of_one_name_each_keyed_by_another_system_are_no_duplicates(personas, api):
    """A file names each by their external ID: the ERP's two Zhang Weis sync in."""
    ContactFactory(account=personas.account, name="张伟", phone="", email="", external_id="E-1")
    client = api(personas.alice)
    keyed = post_contact(client, personas.account, name="张伟", external_id="E-2")
    unkeyed = post_contact(client, personas.account, name="张伟")
    assert (keyed.status_code, unkeyed.status_code) == (201, 409)


def test_keying_one_of_two_contacts_of_one_name_is_no_duplicate_again(personas, api):
    """Two Zhang Weis saved on purpose: giving each its external ID, one at a time (as
    the rule asks), changes no name, phone or email: nothing to check again."""
    first = ContactFactory(account=personas.account, name="张伟", phone="", email="")
    ContactFactory(account=personas.account, name="张伟", phone="", email="")
    answer = api(personas.alice).patch(
        f"/api/v1/contacts/{first.pk}/", {"external_id": "E-1"}, format="json"
    )
    assert answer.status_code == 200


def test_the_same_number_at_another_account_is_no_duplicate(personas, api):
    other = AccountFactory(owner=personas.alice)
    ContactFactory(account=other, phone="13800138000")
    response = post_contact(
        api(personas.alice), personas.account, name="Wang Wei", phone="138 0013 8000"
    )
    assert response.status_code == 201


def test_a_contact_changed_to_anothers_number_is_refused_unless_confirmed(personas, api):
    ContactFactory(account=personas.account, phone="13800138000")
    mine = ContactFactory(account=personas.account, phone="13900000000")
    client = api(personas.alice)
    refused = client.patch(
        f"/api/v1/contacts/{mine.pk}/", {"phone": "+8613800138000"}, format="json"
    )
    unrelated = client.patch(f"/api/v1/contacts/{mine.pk}/", {"title": "CIO"}, format="json")
    assert refused.status_code == 409
    assert unrelated.status_code == 200


def test_two_alike_in_the_bin_one_to_restore_and_one_to_ask_for_say_both(personas, api):
    """alice deleted one 周敏, the manager another: alice may restore hers (linked), must
    ask for the manager's (no link), and the message says both, not "restore it there"."""
    from accounts.services import contact_delete

    hers = ContactFactory(account=personas.account, name="周敏", phone="", email="")
    contact_delete(contact=hers, by=personas.alice)
    theirs = ContactFactory(account=personas.account, name="周敏", phone="", email="")
    contact_delete(contact=theirs, by=personas.manager)
    refused = post_contact(api(personas.alice), personas.account, name="周敏")
    assert refused.status_code == 409
    body = refused.json()
    assert {(d["id"], d["match"], d["url"] is None) for d in body["duplicates"]} == {
        (hers.pk, "recycle_bin", False),
        (theirs.pk, "recycle_bin_ask", True),
    }
    assert "Restore the ones linked there yourself" in body["detail"]
    assert "ask whoever deleted the others or a manager" in body["detail"]


def test_a_new_contact_like_one_in_the_recycle_bin_names_it_there(personas, api):
    """Most likely the deleted contact added again: whoever may restore it (who deleted
    it, a manager) is told, with the bin's page where it is restored (their visits and
    history come back with it), and may still confirm a new one; bob, on the team but
    not who deleted it, is told to ask (no link: the bin does not list it for him). By
    name or by phone number, on create and on a rename."""
    from accounts.services import contact_delete

    gone = ContactFactory(account=personas.account, name="周敏", phone="13900139000", email="")
    contact_delete(contact=gone, by=personas.alice)
    client = api(personas.alice)
    refused = post_contact(client, personas.account, name="周 敏")
    assert refused.status_code == 409
    body = refused.json()
    assert body["duplicates"] == [
        {
            "id": gone.pk,
            "name": "周敏",
            "url": "/recycle-bin/?q=%E5%91%A8%E6%95%8F&type=accounts.contact",
            "match": "recycle_bin",
        }
    ]
    assert body["confirmable"] is True
    assert body["detail"].startswith("A contact of this account like this one is in the recycle")
    by_phone = post_contact(client, personas.account, name="Zhou", phone="+86 139 0013 9000")
    assert by_phone.status_code == 409
    assert by_phone.json()["duplicates"][0]["match"] == "recycle_bin"
    manager = post_contact(api(personas.manager), personas.account, name="周敏")
    assert manager.status_code == 409
    asked = post_contact(api(personas.bob), personas.account, name="周敏")
    assert asked.status_code == 409
    assert asked.json()["duplicates"] == [
        {"id": gone.pk, "name": "周敏", "url": None, "match": "recycle_bin_ask"}
    ]
    assert asked.json()["confirmable"] is True
    assert "Ask whoever deleted it or a manager to restore it" in asked.json()["detail"]
    bobs = post_contact(api(personas.bob), personas.account, name="周敏", confirm_duplicate=True)
    assert bobs.status_code == 201
    other = ContactFactory(account=personas.account, name="Li Na", phone="", email="")
    renamed = client.patch(f"/api/v1/contacts/{other.pk}/", {"name": "周敏"}, format="json")
    assert renamed.status_code == 409  # bob's 周敏 (name) and the bin's
    assert [m["match"] for m in renamed.json()["duplicates"]] == ["name", "recycle_bin"]
    assert "same name" in renamed.json()["detail"]
    confirmed = post_contact(client, personas.account, name="Zhou Min", phone="13900139000")
    assert confirmed.status_code == 409
    confirmed = post_contact(
        client, personas.account, name="Zhou Min", phone="13900139000", confirm_duplicate=True
    )
    assert confirmed.status_code == 201


def test_a_merged_away_contact_is_no_duplicate_in_the_bin(personas, api):
    """Its survivor holds what it had: the survivor is the match, by its own keys."""
    from accounts.services import contact_merge

    survivor = ContactFactory(account=personas.account, name="Wu Lei", phone="", email="")
    merged = ContactFactory(account=personas.account, name="Wu Lei Sr", phone="", email="")
    contact_merge(survivor=survivor, merged=merged, by=personas.manager, values={})
    assert Contact.all_objects.get(pk=merged.pk).deleted_at is not None
    # The manager may restore what the bin holds: the merge is no such thing.
    answer = post_contact(api(personas.manager), personas.account, name="Wu Lei Sr")
    assert answer.status_code == 201
