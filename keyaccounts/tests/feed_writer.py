"""A writer process for `test_feed_concurrency`: `python -m keyaccounts.tests.feed_writer
<role> <seed> <steps>` writes through the services, each step its own transaction,
against the database DATABASE_URL names (the test's), then exits 0.

Roles: `alice` creates, changes and deletes contacts at the accounts she sees; `carol`
does the same at hers; `manager` moves accounts between alice and carol and puts alice
on (and takes her off) the teams of carol's accounts.
"""

import os
import random
import sys
import time


def main(role: str, seed: int, steps: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.test_settings")
    import django

    django.setup()

    from django.core.exceptions import ObjectDoesNotExist

    from accounts.models import Account, AccountTeamMember, User
    from accounts.selectors import accounts_visible_to, contacts_visible_to
    from accounts.services import (
        account_update,
        contact_create,
        contact_delete,
        contact_update,
        team_member_remove,
        team_member_set,
    )
    from keyaccounts.exceptions import ApplicationError
    from keyaccounts.history.context import history_context

    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(username__in=["alice", "carol", "manager"])}
    me, alice, carol = users[role], users["alice"], users["carol"]

    def reassign_or_regroup() -> None:
        account = rng.choice(list(Account.objects.filter(owner__in=[alice, carol])))
        if rng.random() < 0.5:
            other = carol if account.owner_id == alice.pk else alice
            account_update(account=account, by=me, owner=other)
            return
        member = AccountTeamMember.objects.filter(account=account, user=alice).first()
        if member is not None:
            team_member_remove(member=member, by=me)
        elif account.owner_id != alice.pk:
            team_member_set(account=account, by=me, user=alice, role="sales")

    def edit_contacts(step: int) -> None:
        mine = list(contacts_visible_to(me).order_by("pk"))
        action = rng.choice(["create", "create", "change", "change", "delete"])
        if action == "create" or len(mine) < 3:
            accounts = list(accounts_visible_to(me))
            if not accounts:
                return  # the manager gave all of hers away for now
            account = rng.choice(accounts)
            name = f"{role} {seed} {step}"
            contact_create(account=account, by=me, name=name, confirm_duplicate=True)
        elif action == "change":
            contact_update(contact=rng.choice(mine), by=me, title=f"{role} step {step}")
        else:
            contact_delete(contact=rng.choice(mine), by=me)

    with history_context(origin="api", user=me):
        for step in range(steps):
            time.sleep(rng.uniform(0, 0.02))
            try:
                if role == "manager":
                    reassign_or_regroup()
                else:
                    edit_contacts(step)
            except (ApplicationError, ObjectDoesNotExist):
                pass  # another writer got there first (deleted it, took the account)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
