"""The access table: its rows are the visibility rule, kept by every write that changes
who sees what, rebuilt by a command; pages read the table.

Expected rows are the personas' story told by hand (keyaccounts/pytest_plugin.py):
alice owns "Alice's Customer Co" with bob on its team, all three of alice, bob and
carol on the East team that `manager` manages; charlie on West (`other_manager`)."""

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import access
from accounts.access import access_differences, access_refresh_for_accounts
from accounts.models import Account, AccountAccess, AccountTeamMember, AccountTeamRole, SalesTeam
from accounts.selectors import accounts_visible_by_rule, accounts_visible_to
from accounts.services import (
    account_create,
    account_delete,
    account_merge,
    account_restore,
    account_update,
    team_member_remove,
    team_member_set,
)
from accounts.tests.factories import AccountFactory, SalesTeamFactory, UserFactory
from keyaccounts.pytest_plugin import in_threads
from keyaccounts.recyclebin.services import purge_expired

pytestmark = pytest.mark.django_db

ALICES, CHARLIES = "Alice's Customer Co", "Charlie's Customer Co"


def rows(user) -> set[str]:
    """The table itself: the names of the accounts it says `user` may see."""
    return set(AccountAccess.objects.filter(user=user).values_list("account__name", flat=True))


def table(personas) -> dict[str, set[str]]:
    names = ["alice", "bob", "carol", "charlie", "manager", "other_manager", "admin"]
    return {name: rows(getattr(personas, name)) for name in names}


def visible(user, *, deleted=False) -> set[str]:
    user.refresh_from_db()
    return set(accounts_visible_to(user, deleted=deleted).values_list("name", flat=True))


def assert_table_is_the_rule():
    assert access_differences() == ([], [])


def test_the_table_holds_the_personas_story(personas):
    assert table(personas) == {
        "alice": {ALICES},
        "bob": {ALICES},
        "carol": set(),
        "charlie": {CHARLIES},
        "manager": {ALICES},
        "other_manager": {CHARLIES},
        "admin": set(),  # a superuser sees every account without rows
    }
    assert visible(personas.admin) == {ALICES, CHARLIES}
    assert_table_is_the_rule()


def test_pages_read_the_table_and_the_check_finds_a_row_missing(personas, login):
    AccountAccess.objects.filter(user=personas.alice).delete()

    assert visible(personas.alice) == set()
    assert login(personas.alice).get(personas.account.get_absolute_url()).status_code == 404
    # The rule itself still says yes, and the operators' check says what is missing.
    assert set(accounts_visible_by_rule(personas.alice).values_list("name", flat=True)) == {ALICES}
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("rebuild_access", "--check", stdout=out)
    assert refused.value.returncode == 1
    assert f"missing: user {personas.alice.pk} account {personas.account.pk}" in out.getvalue()
    assert "1 rows missing, 0 extra" in str(refused.value)

    out = io.StringIO()
    call_command("rebuild_access", stdout=out)
    assert visible(personas.alice) == {ALICES}
    call_command("rebuild_access", "--check", stdout=out)
    assert "access table matches the visibility rule" in out.getvalue()


def test_a_row_too_many_is_reported_as_extra(personas):
    AccountAccess.objects.create(user=personas.carol, account=personas.charlies_account)
    assert access_differences() == ([], [(personas.carol.pk, personas.charlies_account.pk)])


def test_a_new_account_is_seen_by_its_owner_and_their_manager(personas):
    account_create(by=personas.carol, name="Carol's New Co", industry="energy")
    assert rows(personas.carol) == {"Carol's New Co"}
    assert rows(personas.manager) == {ALICES, "Carol's New Co"}
    assert rows(personas.other_manager) == {CHARLIES}
    assert_table_is_the_rule()


def test_reassigning_an_account_moves_it_to_the_new_owner_and_their_manager(personas):
    account_update(account=personas.account, by=personas.admin, owner=personas.charlie)

    assert rows(personas.alice) == set()
    assert rows(personas.charlie) == {ALICES, CHARLIES}
    assert rows(personas.other_manager) == {ALICES, CHARLIES}
    # bob is still on its team, so East's manager still sees it through him.
    assert rows(personas.bob) == {ALICES}
    assert rows(personas.manager) == {ALICES}
    assert_table_is_the_rule()


def test_a_save_that_keeps_the_owner_leaves_the_rows_alone(personas):
    before = set(AccountAccess.objects.values_list("pk", flat=True))
    account_update(account=personas.account, by=personas.alice, notes="Met the CFO.")
    assert set(AccountAccess.objects.values_list("pk", flat=True)) == before


def test_joining_and_leaving_an_account_team(personas):
    member = team_member_set(
        account=personas.charlies_account,
        by=personas.admin,
        user=personas.carol,
        role=AccountTeamRole.PRESALES,
    )
    assert rows(personas.carol) == {CHARLIES}
    assert rows(personas.manager) == {ALICES, CHARLIES}  # through carol

    team_member_remove(member=member, by=personas.admin)
    assert rows(personas.carol) == set()
    assert rows(personas.manager) == {ALICES}
    assert_table_is_the_rule()


def test_a_user_moving_to_another_sales_team_moves_what_the_managers_see(personas):
    carols = AccountFactory(name="Carol's Co", owner=personas.carol)
    assert rows(personas.manager) == {ALICES, carols.name}

    personas.carol.sales_team = personas.west
    personas.carol.save()

    assert rows(personas.manager) == {ALICES}
    assert rows(personas.other_manager) == {CHARLIES, carols.name}
    assert rows(personas.carol) == {carols.name}
    assert_table_is_the_rule()


def test_a_team_getting_another_manager(personas):
    personas.east.manager = personas.other_manager
    personas.east.save()

    assert rows(personas.manager) == set()
    assert rows(personas.other_manager) == {ALICES, CHARLIES}
    assert_table_is_the_rule()


def test_a_deactivated_user_has_no_rows_and_gets_them_back(personas):
    personas.alice.is_active = False
    personas.alice.save()
    assert rows(personas.alice) == set()
    assert visible(personas.alice) == set()
    assert rows(personas.manager) == {ALICES}  # an inactive owner's accounts stay in view

    personas.alice.is_active = True
    personas.alice.save()
    assert rows(personas.alice) == {ALICES}
    assert_table_is_the_rule()


def test_a_superuser_needs_no_rows(personas):
    personas.alice.is_superuser = True
    personas.alice.save()
    assert rows(personas.alice) == set()
    assert visible(personas.alice) == {ALICES, CHARLIES}

    personas.alice.is_superuser = False
    personas.alice.save()
    assert rows(personas.alice) == {ALICES}
    assert_table_is_the_rule()


def test_a_login_writes_no_rows(personas, client):
    before = set(AccountAccess.objects.values_list("pk", flat=True))
    assert client.login(username="alice", password="pw-for-tests")
    assert set(AccountAccess.objects.values_list("pk", flat=True)) == before


def test_an_account_in_the_recycle_bin_keeps_its_rows(personas):
    account_delete(account=personas.account, by=personas.alice)

    assert rows(personas.alice) == {ALICES}
    assert visible(personas.alice) == set()
    assert visible(personas.alice, deleted=True) == {ALICES}
    assert visible(personas.manager, deleted=True) == {ALICES}

    account_restore(account=personas.account, by=personas.alice)
    assert visible(personas.alice) == {ALICES}
    assert_table_is_the_rule()


def test_the_rows_of_an_account_in_the_recycle_bin_say_it_is_not_live(personas):
    """Binned, its rows stay (for the bin) but say it is not live, and its records leave
    what is read through the live accounts' ids; restored, they come back."""
    from accounts.selectors import contacts_visible_to, visible_account_ids
    from accounts.tests.factories import ContactFactory

    contact = ContactFactory(account=personas.account)

    def live_rows():
        return set(
            AccountAccess.objects.filter(account=personas.account).values_list("user", "live")
        )

    def seen(user):
        return (
            {row["account_id"] for row in visible_account_ids(user)},
            set(contacts_visible_to(user).values_list("pk", flat=True)),
        )

    assert seen(personas.bob) == ({personas.account.pk}, {contact.pk})
    account_delete(account=personas.account, by=personas.alice)
    assert live_rows() == {
        (personas.alice.pk, False),
        (personas.bob.pk, False),
        (personas.manager.pk, False),
    }
    assert seen(personas.bob) == (set(), set())
    assert access.access_stale_live() == []

    account_restore(account=personas.account, by=personas.alice)
    assert {live for _user, live in live_rows()} == {True}
    assert seen(personas.bob) == ({personas.account.pk}, {contact.pk})


def test_a_save_that_bins_an_account_and_a_stale_flag_the_check_finds(personas):
    """A save that sets `deleted_at` (not through the bin's services) keeps the flag too;
    a flag changed behind the table's back is what `rebuild_access --check` reports and
    a rebuild mends."""
    from django.utils import timezone

    from accounts.selectors import visible_account_ids

    account = Account.all_objects.get(pk=personas.account.pk)
    account.deleted_at = timezone.now()
    account.save()
    assert set(
        AccountAccess.objects.filter(account=personas.account).values_list("live", flat=True)
    ) == {False}
    assert access.access_stale_live() == []

    AccountAccess.objects.filter(account=personas.account).update(live=True)
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("rebuild_access", "--check", stdout=out)
    assert f"live flag wrong: account {personas.account.pk}" in out.getvalue()
    assert "1 accounts with a wrong live flag" in str(refused.value)
    call_command("rebuild_access", stdout=io.StringIO())
    assert access.access_stale_live() == []
    assert {row["account_id"] for row in visible_account_ids(personas.alice)} == set()


def test_a_purged_account_leaves_no_rows(personas, settings):
    account_delete(account=personas.account, by=personas.alice)
    purge_expired(days=0)

    assert not Account.all_objects.filter(pk=personas.account.pk).exists()
    assert rows(personas.alice) == rows(personas.bob) == set()
    assert_table_is_the_rule()


def test_a_merge_takes_the_merged_accounts_team_along(personas):
    twin = AccountFactory(name="Alice's Customer Co., Ltd.", owner=personas.charlie)
    AccountTeamMember.objects.create(account=twin, user=personas.carol, role="presales")
    assert rows(personas.carol) == {twin.name}

    account_merge(survivor=personas.account, merged=twin, by=personas.admin, values={})

    # carol is on the survivor's team now; the merged account (in the bin) keeps only
    # its owner and his manager.
    assert rows(personas.carol) == {ALICES}
    assert rows(personas.charlie) == {CHARLIES, twin.name}
    assert rows(personas.other_manager) == {CHARLIES, twin.name}
    assert_table_is_the_rule()


def test_deleting_a_sales_team_takes_its_managers_view_away(personas):
    personas.east.delete()
    assert rows(personas.manager) == set()
    assert rows(personas.alice) == {ALICES}
    assert_table_is_the_rule()


def test_deleting_a_user_who_manages_and_sits_on_account_teams(personas):
    boss = UserFactory(username="boss")
    team = SalesTeamFactory(name="North", manager=boss)
    rep = UserFactory(username="north_rep", sales_team=team)
    AccountTeamMember.objects.create(account=personas.account, user=rep, role="presales")
    AccountTeamMember.objects.create(account=personas.account, user=boss, role="sales_rep")
    assert rows(boss) == {ALICES}

    boss_id = boss.pk
    boss.delete()

    assert not AccountAccess.objects.filter(user_id=boss_id).exists()
    assert rows(rep) == {ALICES}
    assert_table_is_the_rule()


def test_the_admin_changing_a_teams_manager_changes_the_rows(personas, login):
    client = login(personas.admin)
    members = list(personas.east.members.order_by("username"))
    form = {
        "name": "East",
        "manager": personas.other_manager.pk,
        "members-TOTAL_FORMS": len(members),
        "members-INITIAL_FORMS": len(members),
        "members-MIN_NUM_FORMS": 0,
        "members-MAX_NUM_FORMS": 1000,
    }
    for i, member in enumerate(members):
        form[f"members-{i}-id"] = member.pk
        form[f"members-{i}-sales_team"] = personas.east.pk
    response = client.post(
        reverse("admin:accounts_salesteam_change", args=[personas.east.pk]), form
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SalesTeam.objects.get(pk=personas.east.pk).manager == personas.other_manager

    assert rows(personas.manager) == set()
    assert rows(personas.other_manager) == {ALICES, CHARLIES}
    assert_table_is_the_rule()


def test_seed_demo_leaves_the_table_equal_to_the_rule(db):
    call_command(
        "seed_demo",
        accounts=30,
        contacts=90,
        visits=20,
        opportunities=10,
        reps=4,
        teams=2,
        stdout=io.StringIO(),
    )
    assert AccountAccess.objects.exists()
    assert_table_is_the_rule()


def test_a_refresh_of_accounts_that_are_gone_is_harmless(personas):
    access_refresh_for_accounts([personas.account.pk, 10**9, None])
    assert_table_is_the_rule()


# --- concurrency (PostgreSQL) -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_writes_that_together_give_a_manager_an_account_both_count(
    require_postgres, personas, monkeypatch
):
    """A team gets a manager while a member of it joins an account's team: neither write
    alone gives the manager the account, together they do. Both writes are made before
    either refreshes the table; the refreshes then run one after the other (the change
    counter's lock), the second reading what the first committed."""
    north = SalesTeamFactory(name="North")
    rep = UserFactory(username="north_rep", sales_team=north)
    boss = UserFactory(username="boss")
    both_written = threading.Barrier(2)
    real_lock = access._lock

    def lock_after_both_wrote(using):
        both_written.wait(timeout=10)
        real_lock(using)

    monkeypatch.setattr(access, "_lock", lock_after_both_wrote)

    def give_north_a_manager():
        from django.db import transaction

        with transaction.atomic():
            team = SalesTeam.objects.get(pk=north.pk)
            team.manager = boss
            team.save()

    def put_rep_on_charlies_account():
        team_member_set(
            account=Account.objects.get(pk=personas.charlies_account.pk),
            by=personas.admin,
            user=rep,
            role=AccountTeamRole.PRESALES,
        )

    in_threads(give_north_a_manager, put_rep_on_charlies_account)

    assert rows(boss) == {CHARLIES}
    assert_table_is_the_rule()


def test_sees_more_accounts_than_reads_at_most_the_bound(personas, django_assert_num_queries):
    from accounts.selectors import sees_more_accounts_than

    # Alice owns two accounts, Bob is on the team of one; a superuser sees every account.
    AccountFactory(owner=personas.alice)
    with django_assert_num_queries(1) as ctx:
        assert sees_more_accounts_than(personas.alice, 1)
    assert "LIMIT 2" in ctx.captured_queries[0]["sql"]
    assert not sees_more_accounts_than(personas.alice, 2)
    assert sees_more_accounts_than(personas.bob, 0)
    assert not sees_more_accounts_than(personas.bob, 1)
    assert sees_more_accounts_than(personas.admin, 10**6)


def test_a_list_reads_few_accounts_by_their_ids_and_many_by_the_join_the_same_rows(
    personas, client, monkeypatch
):
    """`account_list` reads the accounts of someone who sees few by their ids (read
    first from their access rows), of someone who sees more through the join: the same
    live accounts either way, and none for someone who sees none."""
    from accounts import selectors
    from accounts.selectors import account_list, listed_account_ids
    from keyaccounts.recyclebin.services import soft_delete

    gone = AccountFactory(owner=personas.alice)
    AccountFactory(owner=personas.alice)
    soft_delete(root=gone, by=personas.alice)
    inactive = UserFactory(is_active=False)
    AccountFactory(owner=inactive)
    people = [personas.alice, personas.bob, personas.manager, personas.charlie, inactive]
    for user in people:
        expected = set(accounts_visible_to(user).values_list("pk", flat=True))
        by_ids = listed_account_ids(user)
        assert by_ids is not None or not user.is_active
        assert set(account_list(user=user).values_list("pk", flat=True)) == expected, user
        assert gone.pk not in expected
    # Read by the ids, not by the access table's join (what the company's size would
    # cost: the name index walked for a page of a rep's, docs/benchmarks.md).
    assert "accounts_accountaccess" not in str(account_list(user=personas.alice).query)
    assert listed_account_ids(personas.admin) is None  # every account: no list of ids
    assert account_list(user=personas.admin).count() == Account.objects.count()

    # More than the bound: the join, the same rows.
    monkeypatch.setattr(selectors, "LISTED_UP_TO", 0)
    for user in people:
        expected = set(accounts_visible_to(user).values_list("pk", flat=True))
        listed = account_list(user=user)
        assert set(listed.values_list("pk", flat=True)) == expected, user
        if expected:
            assert listed_account_ids(user) is None
            assert "accounts_accountaccess" in str(listed.query)
