"""Fill the database with a believable demo company, or with a large data set.

`manage.py seed_demo` makes the demo: the East China key-account team (manager, rep1,
rep2, presales1, pm1), an admin, 40 key accounts with competitors, about 200 contacts
in their buying centers and account teams (accounts/demo.py), visits and development
records (visits/demo.py), 60 opportunities along the pipeline (opportunities/demo.py),
and the accounts' ratings, monthly sales, grades and a week of grade movement
(scoring/demo.py); then it rebuilds the access table (accounts/access.py). The size
options make the same shape at benchmark scale (`--accounts 100000 --contacts 500000`).

A project-level command: it only composes the apps' demo modules, each of which makes
and writes its own rows. Idempotent: rows are keyed by username, team name and
external_id, and the same arguments always give the same data. On PostgreSQL the rows
go in by COPY from a second thread while the next ones are made
(`keyaccounts.bulk.copy_in_background`), and the foreign keys of the tables it fills are
checked once at the end (`keyaccounts.bulk.foreign_keys_checked_once`): those tables
stay locked until it commits, so seed a database nobody is using. 100,000 accounts:
docs/benchmarks.md, "Data".
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.access import access_rebuild
from accounts.demo import ACCOUNT_CHUNK, DemoAccounts, ensure_staff
from accounts.demo_groups import create_demo_groups
from accounts.demo_groups import summary as groups_summary
from accounts.models import AccountAccess
from keyaccounts.bulk import copy_in_background, foreign_keys_checked_once
from opportunities.demo import DemoDeals
from opportunities.demo_policy import create_demo_policy
from opportunities.demo_policy import summary as policy_summary
from scoring.demo import MODELS as SCORING_MODELS
from scoring.demo import create_demo_scoring
from scoring.money.demo import create_demo_money
from scoring.money.demo import summary as money_summary
from scoring.plans.demo import create_demo_plans
from scoring.plans.demo import summary as plans_summary
from scoring.receivables.demo import create_demo_invoices
from scoring.receivables.demo import summary as invoices_summary
from visits.complaints.demo import create_demo_complaints
from visits.complaints.demo import summary as complaints_summary
from visits.demo import DemoVisits
from visits.reviews.demo import create_demo_reviews
from visits.reviews.demo import summary as reviews_summary

COUNTED = [
    "accounts",
    "contacts",
    "competitors",
    "team members",
    "visits",
    "development records",
    "opportunities",
]


class Command(BaseCommand):
    help = (
        "Create a believable demo company (users, teams, key accounts, contacts, competitors,"
        " visits, development records, opportunities, ratings, monthly sales and grades)."
        " Idempotent: rows are keyed by username, team name and external_id. The size"
        " options make large data sets for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=40, help="key accounts (40)")
        parser.add_argument("--contacts", type=int, default=200, help="contacts in total (200)")
        parser.add_argument("--visits", type=int, default=240, help="visits in total (240)")
        parser.add_argument(
            "--opportunities", type=int, default=60, help="opportunities in total (60)"
        )
        parser.add_argument("--reps", type=int, default=2, help="sales reps, at least 2 (2)")
        parser.add_argument("--teams", type=int, default=1, help="sales teams (1)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (42)")

    def handle(self, *args, **options):
        accounts, contacts = options["accounts"], options["contacts"]
        reps, teams, seed = options["reps"], options["teams"], options["seed"]
        if accounts < 0 or contacts < 0:
            raise CommandError("--accounts and --contacts cannot be negative.")
        if reps < 2:
            raise CommandError("--reps must be at least 2 (rep1 and rep2 always exist).")
        if teams < 1:
            raise CommandError("--teams must be at least 1.")
        visits, opportunities = options["visits"], options["opportunities"]
        if visits < 0 or opportunities < 0:
            raise CommandError("--visits and --opportunities cannot be negative.")

        started = time.monotonic()
        created = dict.fromkeys(COUNTED, 0)
        # One transaction: a failure leaves nothing behind, and SQLite writes far faster.
        with transaction.atomic():
            staff = ensure_staff(reps=reps, teams=teams, seed=seed)
            made_accounts = DemoAccounts(
                seed=seed, staff=staff, accounts=accounts, contacts=contacts
            )
            sizes = {"new": made_accounts.new, "accounts": accounts, "seed": seed}
            made_visits = DemoVisits(total=visits, **sizes)
            made_deals = DemoDeals(total=opportunities, **sizes)
            demos = [made_accounts, made_visits, made_deals]
            # Every table the seed fills: its foreign keys are checked once, at the end.
            written = [model for demo in demos for model in demo.models]
            written += [*SCORING_MODELS, AccountAccess]
            with foreign_keys_checked_once(written):
                now = timezone.now()
                with copy_in_background():
                    for first in range(1, accounts + 1, ACCOUNT_CHUNK):
                        last = min(first + ACCOUNT_CHUNK - 1, accounts)
                        made, counts = made_accounts.create(first, last, now=now)
                        if made:
                            counts.update(made_visits.create(made, now=now))
                            counts.update(made_deals.create(made, now=now))
                        for key, n in counts.items():
                            created[key] += n
                        if options["verbosity"] >= 2 or (
                            accounts >= 10 * ACCOUNT_CHUNK and last % 10000 == 0
                        ):
                            self.stdout.write(f"  {last}/{accounts} accounts")
                # Ratings and sales of the demo accounts, one rescore of every account, and
                # a week's grade movement to look at (scoring/demo.py).
                # Deal discounts, a decider who left (opportunities/demo_policy.py): before
                # the rescore, which then grades the account without its decider.
                policy = create_demo_policy(seed=seed)
                scoring_started = time.monotonic()
                scoring = create_demo_scoring(seed=seed, accounts=accounts)
                scoring_seconds = time.monotonic() - scoring_started
                # Terms, credit limits, an account over its limit (scoring/money/demo.py).
                money = create_demo_money(seed=seed)
                # Group customers: a parent with subsidiaries, one hidden from rep1.
                groups = create_demo_groups(seed=seed)
                # Bulk inserts send no signals: who sees what, in one set-based rebuild.
                access_rebuild()
                # Review meetings go through their services, which read the access table.
                reviews = create_demo_reviews(seed=seed)
                # Complaints: one breached for rep1, one in progress, one closed.
                complaints = create_demo_complaints(seed=seed)
                # Account plans for rep1's A/B accounts, one action overdue.
                plans = create_demo_plans(seed=seed)
                # Invoices for three of rep1's accounts: one over 90 days overdue, one
                # current and 1–30 days, one fully paid (scoring/receivables/demo.py).
                invoices = create_demo_invoices(seed=seed)

        elapsed = time.monotonic() - started
        skipped = accounts - created["accounts"]
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s (seed {seed})."))
        self.stdout.write(
            f"  created {staff.created_users} users, {staff.created_teams} sales teams,"
            f" {created['accounts']} accounts ({skipped} already there),"
            f" {created['contacts']} contacts, {created['competitors']} competitors,"
            f" {created['team members']} account team members, {created['visits']} visits,"
            f" {created['development records']} development records,"
            f" {created['opportunities']} opportunities"
        )
        grades = ", ".join(f"{grade} {n}" for grade, n in scoring["grades"].items())
        self.stdout.write(
            f"  created {scoring['assessments']} assessments,"
            f" {scoring['monthly sales']} monthly sales rows;"
            f" rescored {scoring['scored']} accounts ({scoring['grade changes']} grade changes;"
            f" now {grades}), back-dated {scoring['upgrades']} upgrades and"
            f" {scoring['downgrades']} downgrades into last week's grade history"
            f" ({scoring_seconds:.1f} s)"
        )
        self.stdout.write(money_summary(money))
        self.stdout.write(policy_summary(policy))
        self.stdout.write(reviews_summary(reviews))
        self.stdout.write(complaints_summary(complaints))
        self.stdout.write(plans_summary(plans))
        self.stdout.write(invoices_summary(invoices))
        self.stdout.write(groups_summary(groups))
        self.stdout.write(
            "\nLog in with password demo12345 (demo only: change or delete these users"
            " before real use):\n"
            "  admin       superuser\n"
            f"  manager     manager of {staff.teams[0][0].name}\n"
            "  rep1, rep2  sales reps (each owns accounts the other cannot see)\n"
            "  presales1   presales consultant\n"
            "  pm1         project manager"
        )
        if reps > 2:
            self.stdout.write(f"  rep3..rep{reps}  more sales reps")
        if teams > 1:
            self.stdout.write(f"  manager2..manager{teams}  managers of the other teams")
