"""PostgreSQL's plans for the pipeline board and my week at a few thousand records, in
the shape of the benchmark's sales organisation (500 reps in 50 teams: a manager sees a
fiftieth of the accounts; with a tenth, reading all 3,000 deals is rightly the cheaper
plan at this size, and the guard would only measure the size): a rep's and a manager's
queries never read a whole table of visits, visit attendees, deals or score rows. A
guard that is not a timing: a plan that scans one of those tables grows with the
company, not with what the page shows. (Which accounts a user sees is the visibility
rule's join, `accounts_visible_to`, guarded with it.)"""

import datetime

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import User
from opportunities import selectors as board
from opportunities.models import Stage
from visits import selectors as week

BIG_TABLES = {
    "visits_visit",
    "visits_visit_attendees",
    "opportunities_opportunity",
    "scoring_accountscore",
}


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def scans(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if "Seq Scan on" in line and line.split("Seq Scan on ")[1].split()[0] in BIG_TABLES
    ]


def test_the_board_and_my_week_read_indexes_not_whole_tables(require_postgres):
    call_command(
        "seed_demo",
        accounts=2000,
        contacts=2000,
        visits=10000,
        opportunities=3000,
        reps=500,
        teams=50,
        verbosity=0,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    now = timezone.now()
    stages = list(Stage.objects.order_by("order"))
    for username in ["rep1", "manager"]:
        user = User.objects.get(username=username)
        deals = board.board_deals(
            board.opportunities_visible_to(user),
            closed_since=timezone.localdate() - datetime.timedelta(days=90),
        )
        queries = {
            "planned visits": week.planned_visits(
                user=user,
                start=now - datetime.timedelta(days=14),
                end=now + datetime.timedelta(days=8),
            ),
            # My week reads the ids of all the user's planned visits from two weeks
            # back once; the rest page by (plan, id) in the list, a group at a time.
            "my week's planned visits": week.planned_visits_of(
                user=user, today=timezone.localdate()
            ).values_list("pk", "planned_at"),
            "planned visits later": week.planned_visits_of(
                user=user, today=timezone.localdate(), group="later"
            )[:26],
            "open follow-ups": week.open_follow_ups(user=user, today=timezone.localdate()),
            # My week lists the first of each group due this week; the rest page by
            # (due date, id) in the list of open follow-ups, a group at a time.
            "first follow-ups due": week.first_due_follow_ups_query(
                user=user, today=timezone.localdate(), per_group=20
            ),
            # "Log a visit" offers the accounts of the user's latest visits.
            "latest own visits": week.latest_own_visits(user=user, until=now).values("pk")[
                : week.RECENT_VISITS_READ
            ],
            "follow-ups due later": week.open_follow_ups(
                user=user, today=timezone.localdate()
            ).filter(week.follow_up_group("later", today=timezone.localdate()))[:26],
        }
        # What the board runs for them: every column's first cards at once, read from
        # their deals; and a column's "Show more" the same way, after a cursor.
        queries["first cards"] = board.first_card_ids(deals, per_column=20)
        queries["the board's totals and first cards"] = board.board_read(deals, per_column=20)
        queries["the cards picked"] = board.cards_by_id(
            board.board_reading(deals, per_column=20)[1]
        )
        for stage in stages:
            later = deals.filter(stage=stage, expected_close_date__gt=timezone.localdate())
            queries[f"more of column {stage.key}"] = board.first_card_ids(later, per_column=20)
        for stage in stages:
            # What column_cards runs for someone who sees most of the company: the
            # column's first cards from the stage's index, one past the page.
            queries[f"column {stage.key}"] = (
                deals.filter(stage=stage)
                .select_related("account__score", "owner")
                .only(*board.CARD_FIELDS)
                .order_by("expected_close_date", "pk")[:21]
            )
        for name, queryset in queries.items():
            text = plan(queryset)
            assert not scans(text), f"{username}, {name}:\n{text}"
            if name.startswith(("planned visits", "my week's planned")):
                # Whom the user goes along to: their planned attendances from the window's
                # start (visits.attendance), never every attendee row of theirs.
                assert "visits_visit_attendees" not in text, f"{username}, {name}:\n{text}"
                assert "planned_attendance_by_user" in text, f"{username}, {name}:\n{text}"
