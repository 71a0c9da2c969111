"""The cases of issue 9's benchmark, each with its floor (bench/pages_bench.py runs them).

A case is one request a person makes (a page, or an API call with their token) and its
**floor**: ONE hand-written SQL statement that fetches the same rows the page shows,
under the same visibility rule, written the way one would without a framework. The
visibility rule is the access table (`accounts_accountaccess`, one row per user and
account they may see; a superuser sees every account), joined on its (user, account)
index; every record type's soft-delete filter is `deleted_at IS NULL`, on the record and
on its account; ordering and limit are the page's. Where a page shows totals (the board's
columns, the dashboard's numbers, how many rows a list has: a list page's "25 accounts",
the API's `count`, each counted up to the page's bound) the floor computes them in the
same statement. The
benchmark runs the floor from its own psycopg2 connection (JIT off, as the app's) and
encodes the rows as JSON with the standard library: the least a program can do to answer
the same question. The request over the floor is the price of everything else (Django,
templates, serializers, and queries the page makes beyond its rows).

The floors follow what the pages show today; a change to a page (a list bounded, a
column added) needs the same change to its floor here. `check_rows` cases compare the
ids the page lists with the floor's, so a floor that drifts from its page is noticed.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# --- who asks -----------------------------------------------------------------------------

REP, MANAGER, ADMIN = "rep1", "manager", "admin"
PERSONAS = (REP, MANAGER, ADMIN)


@dataclass
class Persona:
    username: str
    id: int
    superuser: bool
    manages_team: bool


def visible(persona: Persona, account: str) -> str:
    """The visibility rule as a join for the accounts table aliased `account`: the user's
    rows of the access table, read first (`with_visible`); a superuser: no join."""
    if persona.superuser:
        return ""
    x = f"{account}_x"
    return f"JOIN vis {x} ON {x}.account_id = {account}.id"


VISIBLE = "vis AS MATERIALIZED"  # bench/pages_bench.py tries it NOT MATERIALIZED too


def with_visible(persona: Persona, body: str, *ctes: str) -> str:
    """`body` with its common table expressions: first `vis`, the accounts the user may
    see (their rows of the access table, on its (user, account) index), then `ctes`.
    MATERIALIZED, a rep's few hundred rows are read first and everything else is looked
    up from them; NOT MATERIALIZED (`inlined`), PostgreSQL plans the join as it likes
    (say, a manager's page of names by walking the name index and probing the access
    table). The benchmark keeps whichever is faster for the case."""
    parts = list(ctes)
    if not persona.superuser:
        parts.insert(
            0,
            f"{VISIBLE} (SELECT account_id FROM accounts_accountaccess WHERE user_id = %(uid)s)",
        )
    return ("WITH " + ",\n".join(parts) + "\n" if parts else "") + body


def inlined(sql: str) -> str:
    """The same floor with the visible accounts left to the planner (see with_visible)."""
    return sql.replace(VISIBLE, "vis AS NOT MATERIALIZED", 1)


# --- a case -------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    persona: Persona
    path: str
    floor_sql: str
    floor_params: dict = field(default_factory=dict)
    api: bool = False  # sent with the persona's API token instead of the session cookie
    method: str = "GET"
    # POST: the body of the n-th request (n from 1), and the floor's parameters for it
    body: Any = None
    floor_params_for: Any = None
    target_ms: float = 150.0  # the p95 target for this case
    # A regex whose first group is a row id in the page: compare with the floor's ids
    # (the first column of its rows where not NULL); None: not comparable (records,
    # aggregates, or an ordering with ties the page does not break).
    check_rows: str | None = None
    note: str = ""
    # POST: the body that puts back what the requests changed (sent after the last one)
    restore: Any = None
    # A check sent just before the case is measured (returns text for its note)
    precheck: Any = None
    max_iterations: int | None = None  # fewer timed rounds for a slow write
    floor_form: str = ""  # "planner's join": the floor's faster form (cases.inlined)
    status: int = 200  # the answer expected (302: the dashboard's `?refresh=1`)
    # The framework's floor (bench/urls.py): an answer that does no work of its own,
    # measured beside the cases, with no target.
    reference: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.persona.username})"


def json_ids(body: bytes) -> list[int]:
    data = json.loads(body)
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return [row["id"] for row in rows]


def page_ids(pattern: str, body: bytes) -> list[int]:
    if pattern == "json":
        return json_ids(body)
    seen, ids = set(), []
    for match in re.finditer(pattern.encode(), body):
        value = int(match.group(1))
        if value not in seen:
            seen.add(value)
            ids.append(value)
    return ids


# --- the floors -----------------------------------------------------------------------------
# Named parameters: %(uid)s is the persona's user id; the rest are given with the case.

ACCOUNT_PAGE = """
SELECT p.id, p.name, p.industry, p.region, p.status, p.grade, p.score,
       u.username, u.first_name, u.last_name, k.contacts, k.has_decider, k.has_coach,
       (SELECT count(*) FROM (SELECT 1 FROM accounts_account a {visible}
                                LEFT JOIN scoring_accountscore s ON s.account_id = a.id
                               WHERE a.deleted_at IS NULL {where}
                               LIMIT %(count_bound)s) n) AS total
  FROM (SELECT a.id, a.name, a.industry, a.region, a.status, a.owner_id, s.grade, s.score
          FROM accounts_account a {visible}
          LEFT JOIN scoring_accountscore s ON s.account_id = a.id
         WHERE a.deleted_at IS NULL {where} {after}
         ORDER BY a.name, a.id LIMIT %(limit)s) p
  JOIN accounts_user u ON u.id = p.owner_id
  LEFT JOIN LATERAL (
       SELECT count(*) AS contacts,
              coalesce(bool_or(c.buying_role = 'decider'), false) AS has_decider,
              coalesce(bool_or(c.is_coach), false) AS has_coach
         FROM accounts_contact c
        WHERE c.account_id = p.id AND c.is_active AND c.deleted_at IS NULL) k ON true
 ORDER BY p.name, p.id
"""


def account_list_floor(persona: Persona, where: str = "", *, after: str = "") -> str:
    """The account list's rows: the page (`%(limit)s` rows in name order, `after` a
    deep page's cursor) chosen first, then each row's owner and its active contacts'
    count, decider and coach; and how many accounts the list has (`where`: its filters),
    counted up to the page's bound (`%(count_bound)s`)."""
    page = ACCOUNT_PAGE.format(visible=visible(persona, "a"), where=where, after=after)
    return with_visible(persona, page)


SEARCH = """AND (a.name ILIKE %(like)s OR upper(a.external_id) = upper(%(q)s)
     OR a.region ILIKE %(like)s
     OR EXISTS (SELECT 1 FROM accounts_contact c
                 WHERE c.account_id = a.id AND c.name ILIKE %(like)s
                   AND c.deleted_at IS NULL))"""
AFTER = "AND (a.name, a.id) > (%(after_name)s, %(after_id)s)"
GRADE = "AND s.grade = ANY(%(grades)s)"


def rhythm(grade: str) -> str:
    """The contact rhythm of an account as an interval, `grade` an SQL expression."""
    return (
        f"make_interval(days => CASE {grade} WHEN 'A' THEN %(rhythm_a)s WHEN 'B' THEN"
        " %(rhythm_b)s WHEN 'C' THEN %(rhythm_c)s ELSE %(rhythm_d)s END)"
    )


VISIT_CONTACTS = """(SELECT array_agg(c.name ORDER BY c.name) FROM visits_visit_contacts vc
          JOIN accounts_contact c ON c.id = vc.contact_id AND c.deleted_at IS NULL
         WHERE vc.visit_id = v.id)"""


def _planned(persona: Persona) -> str:
    """A CTE: the planned visits the user logged or goes to from the start of my week's
    "unrecorded" on, on accounts they see, each with its group and its place in it
    (whom they go along to: their planned attendances, as the page reads them)."""
    vis = visible(persona, "a")
    window = (
        "v.status = 'planned' AND v.planned_at >= %(unrecorded_start)s AND v.deleted_at IS NULL"
    )
    return f"""planned AS (
 SELECT v.id, v.planned_at, g.name,
        row_number() OVER (PARTITION BY g.name ORDER BY v.planned_at, v.id) AS place
   FROM visits_visit v JOIN accounts_account a ON a.id = v.account_id {vis}
  CROSS JOIN LATERAL (SELECT CASE WHEN v.planned_at < %(today_start)s THEN 'unrecorded'
                                  WHEN v.planned_at < %(tomorrow_start)s THEN 'today'
                                  WHEN v.planned_at < %(week_end)s THEN 'week'
                                  ELSE 'later' END AS name) g
  WHERE v.id IN (SELECT v.id FROM visits_visit v WHERE v.owner_id = %(uid)s AND {window}
                 UNION
                 SELECT t.visit_id FROM visits_plannedattendance t
                  WHERE t.user_id = %(uid)s AND t.planned_at >= %(unrecorded_start)s)
    AND {window} AND a.deleted_at IS NULL)"""


# My week's groups of open follow-ups: (name, condition on v.follow_up_due, how many the
# page shows), as SQL parameters (pages_bench.py sets them from visits.selectors).
FOLLOW_UPS_WEEK = [
    ("overdue", "v.follow_up_due < %(today)s", "%(overdue_shown)s"),
    ("soon", "v.follow_up_due BETWEEN %(today)s AND %(tomorrow)s", "%(shown)s"),
    ("week", "v.follow_up_due BETWEEN %(day_after_tomorrow)s AND %(week_last)s", "%(shown)s"),
]
FOLLOW_UP_LATER = "(v.follow_up_due > %(week_last)s OR v.follow_up_due IS NULL)"


# My week's sections (see `my_week_floor`): FROM … WHERE of each list, `{vis}` the
# visibility join of the account `a`.
REVIEW_FOLLOW_UPS = """FROM reviews_reviewfollowup f
   JOIN accounts_account a ON a.id = f.account_id {vis}
  WHERE f.deleted_at IS NULL AND a.deleted_at IS NULL AND f.owner_id = %(uid)s
    AND f.done_on IS NULL"""
MY_COMPLAINTS = """FROM complaints_complaint k
   JOIN accounts_account a ON a.id = k.account_id {vis}
  WHERE k.deleted_at IS NULL AND a.deleted_at IS NULL AND k.assignee_id = %(uid)s
    AND k.status IN ('open', 'answered', 'resolved')"""
# The people of the teams the user manages.
MY_TEAM = """(SELECT u.id FROM accounts_user u
              JOIN accounts_salesteam t ON t.id = u.sales_team_id
             WHERE t.manager_id = %(uid)s)"""
MY_PLAN_ACTIONS = """FROM plans_planaction pa
   JOIN accounts_account a ON a.id = pa.account_id {vis}
  WHERE pa.deleted_at IS NULL AND a.deleted_at IS NULL AND pa.owner_id = %(uid)s
    AND pa.done_on IS NULL AND pa.due_on <= %(plans_week_end)s"""


def my_week_floor(persona: Persona) -> str:
    """What "my week" shows, as its page reads it: the first planned visits of each group
    (missed, today, the rest of the week) and how many each group (and later) has; the
    first open follow-ups of each group and how many each has, counted up to the limit;
    the first accounts whose contact rhythm lapsed and how many; and the accounts of the
    user's five latest visits ("log a visit" offers them). And the sections the apps add
    (`keyaccounts.sections`): the review meetings in the next 14 days the user owns (the
    account or the meeting) or attends, their open review follow-ups (and how many), the
    complaints they handle still open (and how many), their plan actions due this week
    or overdue (and how many), and for a manager the stage approvals waiting for them.
    Not the best next actions: the page shows them kept (a snapshot), worked out in the
    background."""
    vis = visible(persona, "a")
    open_follow_up = (
        "v.owner_id = %(uid)s AND v.status = 'done' AND v.followed_up_on IS NULL"
        " AND v.deleted_at IS NULL AND a.deleted_at IS NULL"
    )
    follow_ups = "\nUNION ALL\n".join(
        f"""(SELECT 'follow_up', v.id, v.follow_up_due::timestamptz, a.id, a.name,
        {VISIT_CONTACTS}
   FROM visits_visit v JOIN accounts_account a ON a.id = v.account_id {vis}
  WHERE {open_follow_up} AND {group}
  ORDER BY v.follow_up_due, v.id LIMIT {shown})"""
        for _, group, shown in FOLLOW_UPS_WEEK
    )
    follow_up_counts = [
        *((name, group) for name, group, _ in FOLLOW_UPS_WEEK),
        ("later", FOLLOW_UP_LATER),
    ]
    counts = ",\n       ".join(
        [
            "(SELECT json_object_agg(name, n) FROM (SELECT name, count(*) AS n FROM planned"
            " GROUP BY name) c) AS planned",
            *(
                f"(SELECT count(*) FROM (SELECT 1 FROM visits_visit v JOIN accounts_account a"
                f" ON a.id = v.account_id {vis} WHERE {open_follow_up} AND {group}"
                f" LIMIT %(count_limit)s) c) AS follow_up_{name}"
                for name, group in follow_up_counts
            ),
            "(SELECT count(*) FROM (SELECT 1 FROM lapsed LIMIT %(count_limit)s) c) AS lapsed",
            f"(SELECT count(*) FROM (SELECT 1 {REVIEW_FOLLOW_UPS.format(vis=vis)}"
            " LIMIT %(count_limit)s) c) AS review_follow_ups",
            f"(SELECT count(*) {MY_COMPLAINTS.format(vis=vis)}) AS complaints",
            f"(SELECT count(*) FROM (SELECT 1 {MY_PLAN_ACTIONS.format(vis=vis)}"
            " LIMIT %(count_limit)s) c) AS plan_actions",
        ]
    )
    lapsed = f"""lapsed AS (SELECT a.id, a.name, l.lapses_at
   FROM accounts_account a {vis}
   LEFT JOIN scoring_accountscore s ON s.account_id = a.id
  CROSS JOIN LATERAL (SELECT max(v.occurred_at) AS at FROM visits_visit v
                       WHERE v.account_id = a.id AND v.status = 'done'
                         AND v.deleted_at IS NULL) last
  CROSS JOIN LATERAL (SELECT coalesce(last.at, a.created_at) + {rhythm("s.grade")}
                          AS lapses_at) l
  WHERE a.owner_id = %(uid)s AND a.deleted_at IS NULL AND a.status <> 'lost'
    AND l.lapses_at < %(now)s)"""
    return with_visible(
        persona,
        f"""
(SELECT 'visit' AS kind, v.id, v.planned_at AS at, a.id AS account_id, a.name,
        {VISIT_CONTACTS} AS contacts
   FROM planned p JOIN visits_visit v ON v.id = p.id
   JOIN accounts_account a ON a.id = v.account_id
  WHERE p.name <> 'later' AND p.place <= %(shown)s
  ORDER BY v.planned_at, v.id)
UNION ALL
{follow_ups}
UNION ALL
(SELECT 'lapsed', NULL, lapses_at, id, name, NULL FROM lapsed
  ORDER BY lapses_at, id LIMIT %(shown)s + 1)
UNION ALL
(SELECT 'recent', NULL, max(coalesce(v.occurred_at, v.planned_at)), a.id, a.name, NULL
   FROM visits_visit v JOIN accounts_account a ON a.id = v.account_id {vis}
  WHERE v.owner_id = %(uid)s AND v.deleted_at IS NULL AND a.deleted_at IS NULL
    AND coalesce(v.occurred_at, v.planned_at) <= %(now)s
  GROUP BY a.id, a.name ORDER BY 3 DESC, a.id LIMIT 5)
UNION ALL
(SELECT 'review', r.id, r.scheduled_for, a.id, a.name, NULL
   FROM reviews_reviewmeeting r JOIN accounts_account a ON a.id = r.account_id {vis}
  WHERE r.deleted_at IS NULL AND a.deleted_at IS NULL AND r.status = 'scheduled'
    AND r.scheduled_for >= %(now)s AND r.scheduled_for < %(reviews_until)s
    AND (a.owner_id = %(uid)s OR r.scheduled_by_id = %(uid)s
         OR EXISTS (SELECT 1 FROM reviews_reviewmeeting_attendees t
                     WHERE t.reviewmeeting_id = r.id AND t.user_id = %(uid)s))
  ORDER BY r.scheduled_for, r.id LIMIT %(sections_shown)s)
UNION ALL
(SELECT 'review_follow_up', f.id, f.due_on::timestamptz, a.id, a.name, NULL
   {REVIEW_FOLLOW_UPS.format(vis=vis)}
  ORDER BY f.due_on, f.id LIMIT %(sections_shown)s)
UNION ALL
(SELECT 'complaint', k.id, k.resolve_by, a.id, a.name, NULL
   {MY_COMPLAINTS.format(vis=vis)}
  ORDER BY k.resolve_by, k.id LIMIT %(complaints_shown)s)
UNION ALL
(SELECT 'plan_action', pa.id, pa.due_on::timestamptz, a.id, a.name, NULL
   {MY_PLAN_ACTIONS.format(vis=vis)}
  ORDER BY pa.due_on, pa.id LIMIT %(sections_shown)s)
UNION ALL
(SELECT 'approval', sa.id, sa.created_at, a.id, a.name, NULL
   FROM opportunities_stageapproval sa
   JOIN opportunities_opportunity o ON o.id = sa.opportunity_id AND o.deleted_at IS NULL
   JOIN accounts_account a ON a.id = o.account_id {vis}
  WHERE sa.status = 'pending' AND a.deleted_at IS NULL
    AND (o.owner_id IN {MY_TEAM} OR a.owner_id IN {MY_TEAM})
  ORDER BY sa.created_at, sa.id LIMIT %(approvals_shown)s)
UNION ALL
(SELECT 'counts', NULL, NULL, NULL, row_to_json(n)::text, NULL
   FROM (SELECT {counts}) n)
""",
        _planned(persona),
        lapsed,
    )


def account_page_floor(persona: Persona) -> str:
    """The account with everything its page shows: the grade card (score, the factors
    explaining it, pin, ratings), contacts, team, competitors, deals, the latest visits."""
    return with_visible(
        persona,
        f"""
SELECT a.*, u.username AS owner_username, u.first_name, u.last_name,
       s.score, s.grade, s.computed_grade, s.contributions, s.next_close,
       p.grade AS pinned_grade, p.reason AS pin_reason, p.expires_on,
       r.need_fit, r.competitive_position, r.relationship,
       (SELECT json_agg(f ORDER BY f."order") FROM scoring_factor f
         WHERE f.model_id = s.model_id) AS factors,
       (SELECT json_agg(c ORDER BY c.name, c.id) FROM (
          SELECT c.id, c.name, c.title, c.department, c.phone, c.email, c.buying_role,
                 c.is_coach, c.influence, c.attitude, c.is_active,
                 boss.name AS reports_to, keeper.username AS relationship_owner
            FROM accounts_contact c
            LEFT JOIN accounts_contact boss ON boss.id = c.reports_to_id
            LEFT JOIN accounts_user keeper ON keeper.id = c.relationship_owner_id
           WHERE c.account_id = a.id AND c.deleted_at IS NULL) c) AS contacts,
       (SELECT json_agg(t ORDER BY t.role, t.username) FROM (
          SELECT m.role, mu.username, mu.first_name, mu.last_name
            FROM accounts_accountteammember m JOIN accounts_user mu ON mu.id = m.user_id
           WHERE m.account_id = a.id) t) AS team,
       (SELECT json_agg(k ORDER BY k.name) FROM (
          SELECT k.name, k.threat, k.strengths, k.weaknesses
            FROM accounts_accountcompetitor k WHERE k.account_id = a.id) k) AS competitors,
       (SELECT json_agg(o ORDER BY o.closed_on DESC NULLS FIRST, o.expected_close_date, o.id)
          FROM (SELECT o.id, o.name, o.amount, o.currency, o.probability,
                       o.expected_close_date, o.closed_on, st.name AS stage,
                       ou.username AS owner
                  FROM opportunities_opportunity o
                  JOIN opportunities_stage st ON st.id = o.stage_id
                  JOIN accounts_user ou ON ou.id = o.owner_id
                 WHERE o.account_id = a.id AND o.deleted_at IS NULL) o) AS deals,
       (SELECT json_agg(v) FROM (
          SELECT v.id, v.status, v.planned_at, v.occurred_at, v.method, v.purpose,
                 v.customer_views, v.next_steps, v.follow_up_due, v.followed_up_on,
                 vu.username AS owner, {VISIT_CONTACTS} AS contacts,
                 (SELECT array_agg(t.user_id) FROM visits_visit_attendees t
                   WHERE t.visit_id = v.id) AS attendees
            FROM visits_visit v JOIN accounts_user vu ON vu.id = v.owner_id
           WHERE v.account_id = a.id AND v.deleted_at IS NULL AND v.status <> 'cancelled'
           ORDER BY coalesce(v.occurred_at, v.planned_at) DESC, v.id DESC
           LIMIT %(timeline)s) v) AS visits
FROM accounts_account a {visible(persona, "a")}
JOIN accounts_user u ON u.id = a.owner_id
LEFT JOIN scoring_accountscore s ON s.account_id = a.id
LEFT JOIN scoring_gradepin p ON p.account_id = a.id
LEFT JOIN scoring_assessment r ON r.account_id = a.id
WHERE a.id = %(pk)s AND a.deleted_at IS NULL
""",
    )


def board_floor(persona: Persona) -> str:
    """Each stage's first cards by close date (a deal closed before `closed_since` left
    out) and every column's count and totals per currency."""
    vis = visible(persona, "a")
    shown = (
        "o.deleted_at IS NULL AND a.deleted_at IS NULL AND NOT ((st.is_won OR st.is_lost)"
        " AND o.closed_on IS NOT NULL AND o.closed_on < %(closed_since)s)"
    )
    return with_visible(
        persona,
        f"""
SELECT c.id, 'card' AS kind, st.id AS stage_id, c.name, c.amount, c.currency,
       c.probability, c.expected_close_date, c.account, c.grade, c.username,
       c.first_name, c.last_name, NULL::bigint AS deals, NULL::numeric AS weighted
  FROM opportunities_stage st
 CROSS JOIN LATERAL (
       SELECT o.id, o.name, o.amount, o.currency, o.probability, o.expected_close_date,
              a.name AS account, s.grade, u.username, u.first_name, u.last_name
         FROM opportunities_opportunity o
         JOIN accounts_account a ON a.id = o.account_id {vis}
         LEFT JOIN scoring_accountscore s ON s.account_id = a.id
         JOIN accounts_user u ON u.id = o.owner_id
        WHERE o.stage_id = st.id AND {shown}
        ORDER BY o.expected_close_date, o.id
        LIMIT %(per_column)s) c
UNION ALL
SELECT NULL, 'total', o.stage_id, NULL, sum(o.amount), o.currency, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, count(*), sum(o.amount * o.probability) / 100
  FROM opportunities_opportunity o
  JOIN opportunities_stage st ON st.id = o.stage_id
  JOIN accounts_account a ON a.id = o.account_id {vis}
 WHERE {shown}
 GROUP BY o.stage_id, o.currency
""",
    )


def deal_page_floor(persona: Persona) -> str:
    """The deal with its account, stage, every stage's exit criteria and which are
    ticked, its stage history, contacts and roles, team and competitors."""
    return with_visible(
        persona,
        f"""
SELECT o.*, a.name AS account, st.name AS stage, u.username AS owner_username,
       (SELECT json_agg(x ORDER BY x."order") FROM (
          SELECT s.id, s.name, s.name_zh, s."order", s.is_won, s.is_lost,
                 (SELECT json_agg(json_build_object(
                            'id', e.id, 'name', e.name, 'name_zh', e.name_zh,
                            'checked', EXISTS (SELECT 1 FROM opportunities_criterioncheck k
                                                WHERE k.opportunity_id = o.id
                                                  AND k.criterion_id = e.id))
                         ORDER BY e."order", e.id)
                    FROM opportunities_exitcriterion e WHERE e.stage_id = s.id) AS criteria
            FROM opportunities_stage s) x) AS stages,
       (SELECT json_agg(h ORDER BY h.changed_at DESC, h.id DESC) FROM (
          SELECT c.id, c.changed_at, c.from_stage_id, c.to_stage_id, cu.username
            FROM opportunities_stagechange c
            LEFT JOIN accounts_user cu ON cu.id = c.changed_by_id
           WHERE c.opportunity_id = o.id) h) AS history,
       (SELECT json_agg(r ORDER BY r.role, r.id) FROM (
          SELECT r.id, r.role, r.stance, c.name
            FROM opportunities_opportunitycontact r
            JOIN accounts_contact c ON c.id = r.contact_id AND c.deleted_at IS NULL
           WHERE r.opportunity_id = o.id) r) AS contacts,
       (SELECT json_agg(t ORDER BY t.role, t.username) FROM (
          SELECT t.role, tu.username FROM opportunities_opportunityteammember t
            JOIN accounts_user tu ON tu.id = t.user_id WHERE t.opportunity_id = o.id) t) AS team,
       (SELECT json_agg(k ORDER BY k.name) FROM (
          SELECT k.name, k.threat, k.strengths, k.weaknesses
            FROM opportunities_opportunitycompetitor k
           WHERE k.opportunity_id = o.id) k) AS competitors
  FROM opportunities_opportunity o
  JOIN accounts_account a ON a.id = o.account_id {visible(persona, "a")}
  JOIN opportunities_stage st ON st.id = o.stage_id
  JOIN accounts_user u ON u.id = o.owner_id
 WHERE o.id = %(pk)s AND o.deleted_at IS NULL AND a.deleted_at IS NULL
""",
    )


def reps_in_scope(persona: Persona) -> str:
    """Whose follow-ups the dashboard counts, as SQL over accounts_user `r`."""
    if persona.superuser:
        return "r.sales_team_id IS NOT NULL AND r.is_active"
    if persona.manages_team:
        return (
            "r.is_active AND r.sales_team_id IN"
            " (SELECT t.id FROM accounts_salesteam t WHERE t.manager_id = %(uid)s)"
        )
    return "r.id = %(uid)s"


def dashboard_floor(persona: Persona, currencies: dict) -> str:
    """Every number of the dashboard in one statement: grade distribution, open deals by
    grade and stage, the weighted forecast by month and grade, grade moves this week,
    coverage gaps of A and B accounts, follow-up compliance per rep, and the top-1/top-5
    concentration of sales and receivables. One row per number group: (section, key1,
    key2, n, a, b, c)."""
    cny = " ".join(
        f"WHEN '{code}' THEN o.amount * {Decimal(rate)}"
        for code, rate in sorted(currencies.items())
        if Decimal(rate) != 1
    )
    cny = f"CASE o.currency {cny} ELSE o.amount END" if cny else "o.amount"
    local = "(v.occurred_at AT TIME ZONE %(tz)s)::date"
    active_contact = (
        "SELECT 1 FROM accounts_contact c WHERE c.account_id = acc.id AND c.is_active"
        " AND c.deleted_at IS NULL"
    )
    ctes = f"""acc AS MATERIALIZED (
  SELECT a.id, a.created_at, a.status, s.grade
    FROM accounts_account a {visible(persona, "a")}
    LEFT JOIN scoring_accountscore s ON s.account_id = a.id
   WHERE a.deleted_at IS NULL
), deals AS MATERIALIZED (
  SELECT o.account_id, acc.grade, o.stage_id, o.expected_close_date, o.probability,
         {cny} AS cny
    FROM opportunities_opportunity o
    JOIN acc ON acc.id = o.account_id
    JOIN opportunities_stage st ON st.id = o.stage_id
   WHERE o.deleted_at IS NULL AND NOT st.is_won AND NOT st.is_lost
), sales AS (
  SELECT m.account_id, sum(m.sales) AS value
    FROM scoring_monthlysales m JOIN acc ON acc.id = m.account_id
   WHERE m.month >= %(sales_start)s AND m.month < %(sales_end)s
   GROUP BY m.account_id
), receivables AS (
  SELECT DISTINCT ON (m.account_id) m.account_id, m.receivables AS value
    FROM scoring_monthlysales m JOIN acc ON acc.id = m.account_id
   WHERE m.month < %(sales_end)s
   ORDER BY m.account_id, m.month DESC
)"""
    return with_visible(
        persona,
        f"""
SELECT 'grades' AS section, coalesce(grade, '') AS k1, NULL AS k2, count(*) AS n,
       NULL::numeric AS a, NULL::numeric AS b, NULL::numeric AS c
  FROM acc GROUP BY 2
UNION ALL
SELECT 'pipeline', coalesce(grade, ''), stage_id::text, count(*), sum(cny),
       count(DISTINCT account_id), NULL
  FROM deals GROUP BY 2, 3
UNION ALL
SELECT 'forecast', coalesce(grade, ''),
       CASE WHEN expected_close_date < %(this_month)s THEN 'overdue'
            ELSE to_char(expected_close_date, 'YYYY-MM') END,
       count(*), sum(cny * probability) / 100, NULL, NULL
  FROM deals WHERE expected_close_date < %(forecast_end)s GROUP BY 2, 3
UNION ALL
SELECT 'moved', m.before, m.now, count(*), NULL, NULL, NULL FROM (
  SELECT coalesce((SELECT g.to_grade FROM scoring_gradechange g
                    WHERE g.account_id = acc.id AND g.changed_at <= %(moved_since)s
                    ORDER BY g.changed_at DESC, g.id DESC LIMIT 1), '') AS before,
         coalesce(acc.grade, '') AS now
    FROM acc
   WHERE acc.id IN (SELECT g.account_id FROM scoring_gradechange g
                     WHERE g.changed_at > %(moved_since)s)) m
 WHERE m.before <> m.now GROUP BY 2, 3
UNION ALL
SELECT 'coverage', acc.grade, NULL, count(*),
       count(*) FILTER (WHERE NOT EXISTS ({active_contact} AND c.buying_role = 'decider')),
       count(*) FILTER (WHERE NOT EXISTS ({active_contact} AND c.is_coach)),
       count(*) FILTER (WHERE acc.status <> 'lost' AND coalesce(
           (SELECT max(v.occurred_at) FROM visits_visit v
             WHERE v.account_id = acc.id AND v.status = 'done' AND v.deleted_at IS NULL),
           acc.created_at) + {rhythm("acc.grade")} < %(now)s)
  FROM acc WHERE acc.grade IN ('A', 'B') GROUP BY acc.grade
UNION ALL
SELECT 'compliance', v.owner_id::text, NULL, count(*),
       count(*) FILTER (WHERE v.followed_up_on IS NOT NULL
                          AND v.followed_up_on - {local} <= 7),
       max(extract(epoch FROM v.occurred_at)), NULL
  FROM visits_visit v JOIN acc ON acc.id = v.account_id
 WHERE v.owner_id IN (SELECT r.id FROM accounts_user r WHERE {reps_in_scope(persona)})
   AND v.status = 'done' AND v.deleted_at IS NULL AND {local} >= %(compliance_since)s
   AND (v.followed_up_on IS NOT NULL OR {local} < %(week_ago)s)
 GROUP BY v.owner_id
UNION ALL
SELECT 'concentration', 'sales', NULL, count(*), sum(value),
       (SELECT max(value) FROM sales),
       (SELECT sum(value) FROM (SELECT value FROM sales WHERE value > 0
                                 ORDER BY value DESC LIMIT 5) top)
  FROM sales
UNION ALL
SELECT 'concentration', 'receivables', NULL, count(*), sum(value),
       (SELECT max(value) FROM receivables),
       (SELECT sum(value) FROM (SELECT value FROM receivables WHERE value > 0
                                 ORDER BY value DESC LIMIT 5) top)
  FROM receivables
""",
        ctes,
    )


DEVELOPMENT_TOTALS = """LEFT JOIN LATERAL (
       SELECT count(*) AS contact_count, coalesce(sum(v.duration_minutes), 0) AS total_minutes
         FROM visits_visit v
        WHERE v.account_id = r.account_id AND v.status = 'done' AND v.deleted_at IS NULL
          AND (v.occurred_at AT TIME ZONE %(tz)s)::date
              BETWEEN r.started_on AND coalesce(r.closed_on, %(today)s)) totals ON true"""


def records_page_floor(persona: Persona) -> str:
    """The development records list: newest prepared first, the page chosen first, then
    each record's people and its contacts and minutes from the account's recorded visits
    in its period; and how many records the list has, counted up to the page's bound."""
    return with_visible(
        persona,
        f"""
SELECT r.id, r.started_on, r.closed_on, r.result, r.summary, r.prepared_on, r.reviewed_on,
       r.account, pu.username AS prepared_by, ru.username AS reviewed_by,
       totals.contact_count, totals.total_minutes,
       (SELECT count(*) FROM (SELECT 1 FROM visits_developmentrecord r
                                JOIN accounts_account a ON a.id = r.account_id
                                     {visible(persona, "a")}
                               WHERE r.deleted_at IS NULL AND a.deleted_at IS NULL
                               LIMIT %(count_bound)s) n) AS total
  FROM (SELECT r.*, a.name AS account
          FROM visits_developmentrecord r
          JOIN accounts_account a ON a.id = r.account_id {visible(persona, "a")}
         WHERE r.deleted_at IS NULL AND a.deleted_at IS NULL
         ORDER BY r.prepared_on DESC, r.id DESC LIMIT %(limit)s) r
  JOIN accounts_user pu ON pu.id = r.prepared_by_id
  LEFT JOIN accounts_user ru ON ru.id = r.reviewed_by_id
  {DEVELOPMENT_TOTALS}
 ORDER BY r.prepared_on DESC, r.id DESC
""",
    )


def notifications_floor(persona: Persona) -> str:
    return with_visible(
        persona,
        f"""
SELECT n.id, n.kind, n.due_date, n.created_at, n.read_at, a.id AS account_id, a.name,
       v.id AS visit_id, vu.username AS visit_owner
  FROM visits_notification n
  JOIN accounts_account a ON a.id = n.account_id {visible(persona, "a")}
  LEFT JOIN visits_visit v ON v.id = n.visit_id
  LEFT JOIN accounts_user vu ON vu.id = v.owner_id
 WHERE n.recipient_id = %(uid)s AND a.deleted_at IS NULL
   AND (n.visit_id IS NULL OR v.deleted_at IS NULL)
 ORDER BY n.created_at DESC, n.id DESC LIMIT %(limit)s
""",
    )


def heat_map_floor(persona: Persona) -> str:
    """The relationship heat-map's page: the first visible accounts by name, each with its
    grade, its active contacts (role, coach, attitude, and when each was last met at a
    recorded visit) and, for A and B accounts, its three level checks: within the
    grade's contact rhythm (the active service policy's), a recorded visit that met an
    active decider with an executive sponsor of the account there, a user with the
    account's owner, an evaluator with a presales consultant (there: the visit's owner
    or an attendee); and how many accounts the list has, counted up to the page's
    bound."""

    def level(role: str, ours: str) -> str:
        return f"""coalesce(bool_or(c.buying_role = '{role}' AND EXISTS (
                 SELECT 1 FROM (SELECT v.owner_id AS user_id
                                UNION ALL SELECT va.user_id FROM visits_visit_attendees va
                                           WHERE va.visit_id = v.id) there
                  WHERE {ours})), false)"""

    team = (
        "there.user_id IN (SELECT t.user_id FROM accounts_accountteammember t"
        " WHERE t.account_id = a.id AND t.role = '{}')"
    )
    return with_visible(
        persona,
        f"""
SELECT a.id, a.name, s.grade,
       (SELECT json_agg(json_build_object(
                 'id', c.id, 'name', c.name, 'role', c.buying_role, 'coach', c.is_coach,
                 'attitude', c.attitude,
                 'met', (SELECT max(v.occurred_at) FROM visits_visit_contacts vc
                           JOIN visits_visit v ON v.id = vc.visit_id
                          WHERE vc.contact_id = c.id AND v.status = 'done'
                            AND v.deleted_at IS NULL)) ORDER BY c.name, c.id)
          FROM accounts_contact c
         WHERE c.account_id = a.id AND c.is_active AND c.deleted_at IS NULL) AS contacts,
       CASE WHEN s.grade IN ('A', 'B') THEN (
         SELECT json_build_object(
                  'decider_by_sponsor', {level("decider", team.format("executive_sponsor"))},
                  'user_by_rep', {level("user", "there.user_id = a.owner_id")},
                  'evaluator_by_presales', {level("evaluator", team.format("presales"))})
           FROM visits_visit v
           JOIN visits_visit_contacts vc ON vc.visit_id = v.id
           JOIN accounts_contact c ON c.id = vc.contact_id AND c.is_active
                                  AND c.deleted_at IS NULL
          WHERE v.account_id = a.id AND v.status = 'done' AND v.deleted_at IS NULL
            AND v.occurred_at >= now() - make_interval(days => (
                  SELECT g.contact_rhythm_days FROM accounts_gradepolicy g
                    JOIN accounts_servicepolicy p ON p.id = g.policy_id AND p.is_active
                   WHERE g.grade = s.grade))) END AS levels,
       (SELECT count(*) FROM (SELECT 1 FROM accounts_account a {visible(persona, "a")}
                               WHERE a.deleted_at IS NULL LIMIT %(count_bound)s) n) AS total
  FROM (SELECT a.id, a.name, a.owner_id FROM accounts_account a {visible(persona, "a")}
         WHERE a.deleted_at IS NULL ORDER BY a.name, a.id LIMIT %(limit)s) a
  LEFT JOIN scoring_accountscore s ON s.account_id = a.id
 ORDER BY a.name, a.id
""",
    )


def analytics_floor(persona: Persona, currencies: dict) -> str:
    """The win/loss analytics (issue 14) for the default period, in one statement: the
    deals decided in it overall, by industry, by the account's grade when decided and by
    competitor; the lost reasons; the stage funnel (each deal's stage changes in time
    order: entries in the period, whether a later change moved it on, days until the
    next); the forecast of each month as the deals' versions stood when it began, and
    what was won in it. JSON, one object."""
    rates = " ".join(
        f"WHEN '{code}' THEN {{t}}.amount * {Decimal(rate)}"
        for code, rate in sorted(currencies.items())
        if Decimal(rate) != 1
    )

    def cny(table: str) -> str:
        if not rates:
            return f"{table}.amount"
        return f"CASE {table}.currency {rates.format(t=table)} ELSE {table}.amount END"

    return with_visible(
        persona,
        f"""
SELECT json_build_object(
  'overall', (SELECT json_build_object(
       'decided', count(*), 'won', count(*) FILTER (WHERE won),
       'amount', coalesce(sum(cny) FILTER (WHERE won), 0),
       'cycle', avg(closed_on - created_on) FILTER (WHERE won AND closed_on >= created_on))
       FROM decided),
  'industry', (SELECT json_agg(x) FROM (
       SELECT industry, count(*) AS decided, count(*) FILTER (WHERE won) AS won,
              coalesce(sum(cny) FILTER (WHERE won), 0) AS amount
         FROM decided GROUP BY industry) x),
  'grade', (SELECT json_agg(x) FROM (
       SELECT grade, count(*) AS decided, count(*) FILTER (WHERE won) AS won
         FROM decided GROUP BY grade) x),
  'competitor', (SELECT json_agg(x) FROM (
       SELECT k.name, count(DISTINCT k.opportunity_id) AS decided,
              count(DISTINCT k.opportunity_id) FILTER (WHERE d.won) AS won
         FROM opportunities_opportunitycompetitor k JOIN decided d ON d.id = k.opportunity_id
        GROUP BY k.name) x),
  'reasons', (SELECT json_agg(x) FROM (
       SELECT trim(close_reason) AS reason, count(*) AS n FROM decided WHERE NOT won
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10) x),
  'funnel', (SELECT json_agg(x) FROM (
       SELECT to_stage_id, count(*) AS entered, sum(moved) AS moved_on,
              extract(epoch FROM sum(stay)) / nullif(sum(stays), 0) / 86400 AS days
         FROM (SELECT to_stage_id, opportunity_id, max((reach > ord)::int) AS moved,
                      sum(stay) AS stay, count(stay) AS stays
                 FROM walk WHERE entry GROUP BY 1, 2) e
        GROUP BY to_stage_id) x),
  'forecast', (SELECT json_agg(x) FROM (
       SELECT month, sum({cny("v")} * v.probability / 100) AS weighted, count(*) AS deals
         FROM (SELECT h.*, date_trunc('month', h.expected_close_date)::date AS month,
                      lead(h.history_date) OVER (PARTITION BY h.id
                                                 ORDER BY h.history_date, h.history_id) AS next
                 FROM opportunities_historicalopportunity h JOIN deals d ON d.id = h.id) v
         JOIN opportunities_stage st ON st.id = v.stage_id
        WHERE v.month BETWEEN %(first_month)s AND %(last_month)s
          AND v.history_date < v.month::timestamp AT TIME ZONE %(tz)s
          AND (v.next IS NULL OR v.next >= v.month::timestamp AT TIME ZONE %(tz)s)
          AND v.history_type <> '-' AND v.deleted_at IS NULL
          AND NOT st.is_won AND NOT st.is_lost
        GROUP BY month) x),
  'won', (SELECT json_agg(x) FROM (
       SELECT date_trunc('month', closed_on)::date AS month, sum(cny) AS amount, count(*)
         FROM deals WHERE won AND closed_on >= %(first_month)s AND closed_on < %(after_month)s
        GROUP BY 1) x))
""",
        f"""deals AS MATERIALIZED (
  SELECT o.id, o.account_id, (o.created_at AT TIME ZONE %(tz)s)::date AS created_on,
         o.closed_on, o.close_reason, {cny("o")} AS cny, st.is_won AS won,
         st.is_won OR st.is_lost AS decided
    FROM opportunities_opportunity o
    JOIN accounts_account a ON a.id = o.account_id {visible(persona, "a")}
    JOIN opportunities_stage st ON st.id = o.stage_id
   WHERE o.deleted_at IS NULL AND a.deleted_at IS NULL)""",
        """decided AS MATERIALIZED (
  SELECT d.*, a.industry,
         coalesce((SELECT g.to_grade FROM scoring_gradechange g
                    WHERE g.account_id = d.account_id
                      AND (g.changed_at AT TIME ZONE %(tz)s)::date <= d.closed_on
                    ORDER BY g.changed_at DESC, g.id DESC LIMIT 1), '') AS grade
    FROM deals d JOIN accounts_account a ON a.id = d.account_id
   WHERE d.decided AND d.closed_on BETWEEN %(start)s AND %(end)s)""",
        """walk AS (
  SELECT c.opportunity_id, c.to_stage_id, st."order" AS ord,
         NOT st.is_won AND NOT st.is_lost
           AND c.changed_at >= %(begin)s AND c.changed_at < %(until)s AS entry,
         max(CASE WHEN st.is_won THEN 1000000 WHEN st.is_lost THEN -1 ELSE st."order" END)
           OVER later AS reach,
         min(c.changed_at) OVER later - c.changed_at AS stay
    FROM opportunities_stagechange c JOIN deals d ON d.id = c.opportunity_id
    JOIN opportunities_stage st ON st.id = c.to_stage_id
  WINDOW later AS (PARTITION BY c.opportunity_id ORDER BY c.changed_at
                   RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE GROUP))""",
    )


# The API's record types: (table, alias, account column, what the serializer adds and
# the joins it needs (over the record's alias only), the list's ordering, the model
# label of its tombstones). Every row is the record's own columns and these extras.
API_TYPES = {
    "accounts": (
        "accounts_account",
        "a",
        None,
        ", s.grade, s.score",
        "LEFT JOIN scoring_accountscore s ON s.account_id = a.id",
        "a.name, a.id",
        "accounts.account",
    ),
    "contacts": (
        "accounts_contact",
        "c",
        "account_id",
        "",
        "",
        "c.name, c.id",
        "accounts.contact",
    ),
    "visits": (
        "visits_visit",
        "v",
        "account_id",
        """, (SELECT array_agg(vc.contact_id ORDER BY vc.contact_id) FROM visits_visit_contacts vc
          JOIN accounts_contact k ON k.id = vc.contact_id AND k.deleted_at IS NULL
         WHERE vc.visit_id = v.id) AS contacts,
       (SELECT array_agg(t.user_id ORDER BY t.user_id) FROM visits_visit_attendees t
         WHERE t.visit_id = v.id) AS attendees""",
        "",
        "v.occurred_at DESC, v.planned_at DESC, v.id DESC",
        "visits.visit",
    ),
    "development-records": (
        "visits_developmentrecord",
        "r",
        "account_id",
        ", totals.contact_count, totals.total_minutes",
        DEVELOPMENT_TOTALS,
        "r.prepared_on DESC, r.id DESC",
        "visits.developmentrecord",
    ),
    "opportunities": (
        "opportunities_opportunity",
        "o",
        "account_id",
        """, s.grade AS account_grade,
       (SELECT array_agg(k.criterion_id ORDER BY k.criterion_id)
          FROM opportunities_criterioncheck k WHERE k.opportunity_id = o.id) AS checked""",
        "LEFT JOIN scoring_accountscore s ON s.account_id = o.account_id",
        "o.expected_close_date, o.id",
        "opportunities.opportunity",
    ),
}


def api_rows(
    persona: Persona, kind: str, where: str, *, granted: bool = False, bare: bool = False
) -> str:
    """SELECT … FROM … WHERE of the API's rows of `kind`, visible to the persona.
    `granted`: joined to the access log (`keyaccounts_accesschange g`) by their account,
    with the grant's change number first (`grant_seq`). `bare`: the record's columns
    only (for EXISTS)."""
    table, t, via, extras, joins, _order, _label = API_TYPES[kind]
    if bare:
        extras = joins = ""
    account = "id" if via is None else via
    source = f"{table} {t}"
    if granted:
        source = f"keyaccounts_accesschange g JOIN {source} ON {t}.{account} = g.account_id"
    if via is not None:
        source += f" JOIN accounts_account a ON a.id = {t}.{via}"
    source += f" {visible(persona, 'a')}"
    live = f"{t}.deleted_at IS NULL" + ("" if via is None else " AND a.deleted_at IS NULL")
    first = "g.change_seq AS grant_seq, " if granted else ""
    return f"SELECT {first}{t}.*{extras}\n  FROM {source}\n  {joins}\n WHERE {live} {where}"


def api_page(
    persona: Persona,
    kind: str,
    where: str,
    order: str,
    *,
    granted: bool = False,
    counted: bool = False,
) -> str:
    """A page of the API's rows of `kind`: the rows chosen first (`order`, `%(limit)s`),
    then what the serializer adds to each. `granted`: see `api_rows`; `order` then
    starts with `g.change_seq`, which the page carries as `grant_seq`. `counted`: with
    how many rows the list has without `where` (a cursor), counted up to the API's bound
    (`%(api_count_bound)s`), as a list answers in `count`."""
    t, extras, joins = API_TYPES[kind][1], API_TYPES[kind][3], API_TYPES[kind][4]
    rows = api_rows(persona, kind, where, granted=granted, bare=True)
    outer = order.replace("g.change_seq", f"{t}.grant_seq")
    total = ""
    if counted:
        every = api_rows(persona, kind, "", bare=True)
        total = f",\n       (SELECT count(*) FROM ({every} LIMIT %(api_count_bound)s) n) AS total"
    return (
        f"SELECT {t}.*{extras}{total}\n  FROM ({rows}\n ORDER BY {order} LIMIT %(limit)s) {t}"
        f"\n  {joins}\n ORDER BY {outer}"
    )


def api_list_floor(persona: Persona, kind: str, where: str = "") -> str:
    """A page of the API's list of `kind` in its default order, with the list's `count`;
    `where`: the rows after a cursor (a deep page)."""
    page = api_page(persona, kind, where, API_TYPES[kind][5], counted=True)
    return with_visible(persona, page)


# The framework's floor's own floor: a statement that reads nothing.
NOTHING_FLOOR = "SELECT NULL"


def api_record_floor(persona: Persona, kind: str) -> str:
    t = API_TYPES[kind][1]
    return with_visible(persona, api_rows(persona, kind, f"AND {t}.id = %(pk)s"))


LAST_ID = 2**63 - 1  # a cursor at a whole change number: every id there was delivered


def api_changes_floor(persona: Persona, kind: str, per_user_exits: bool) -> str:
    """A changes-feed page after the cursor (`%(since)s`, `%(since_id)s`: its change
    number and id), up to the last committed change, in (change number, id) order: the
    visible records changed after it, with `per_user_exits` (the feed of issue 11,
    keyaccounts/feed/) also the visible records under accounts given to the user after it
    and what left the user's view; without, the type's tombstones."""
    t, label = API_TYPES[kind][1], API_TYPES[kind][6]
    upto = "(SELECT value FROM keyaccounts_changecounter WHERE id = 1)"

    def after(seq: str, pk: str) -> str:
        return f"({seq}, {pk}) > (%(since)s, %(since_id)s) AND {seq} <= {upto}"

    changed = "AND " + after(f"{t}.change_seq", f"{t}.id")
    rows = api_page(persona, kind, changed, f"{t}.change_seq, {t}.id")
    parts = [
        f"""(SELECT page.id, 'record' AS kind, page.change_seq, row_to_json(page) AS data
     FROM ({rows}) page)"""
    ]
    if not per_user_exits:
        parts.append(
            f"""(SELECT object_id, 'deleted', change_seq, json_build_object(
            'external_id', external_id, 'deleted_at', deleted_at, 'merged_into', merged_into)
     FROM keyaccounts_tombstone
    WHERE model = '{label}' AND {after("change_seq", "object_id")}
    ORDER BY change_seq, object_id LIMIT %(limit)s)"""
        )
    else:
        granted = api_page(
            persona,
            kind,
            f"""AND {t}.change_seq <= %(since)s AND g.user_id = %(uid)s AND g.kind = 'granted'
   AND {after("g.change_seq", f"{t}.id")}
   AND NOT EXISTS (SELECT 1 FROM keyaccounts_accesschange later
                    WHERE later.user_id = g.user_id AND later.account_id = g.account_id
                      AND later.change_seq > g.change_seq)""",
            f"g.change_seq, {t}.id",
            granted=True,
        )
        visible_again = api_rows(persona, kind, f"AND {t}.id = e.object_id", bare=True)
        parts += [
            f"""(SELECT page.id, 'granted', page.grant_seq, row_to_json(page)
     FROM ({granted}) page)""",
            f"""(SELECT e.object_id, e.reason, e.change_seq, json_build_object(
            'external_id', e.external_id, 'merged_into', e.merged_into)
     FROM keyaccounts_feedexit e
    WHERE e.user_id = %(uid)s AND e.model = '{label}'
      AND {after("e.change_seq", "e.object_id")}
      AND NOT EXISTS ({visible_again})
    ORDER BY e.change_seq, e.object_id LIMIT %(limit)s)""",
        ]
    union = "\n  UNION ALL\n  ".join(parts)
    return with_visible(
        persona,
        f"""
SELECT id, kind, change_seq, data FROM (
  {union}
) feed ORDER BY change_seq, id LIMIT %(limit)s
""",
    )


def bulk_floor(persona: Persona) -> str:
    """The bulk upsert's write: each deal named by external_id, among those the persona
    sees, gets the amount sent (one UPDATE … FROM unnest, committed)."""
    return with_visible(
        persona,
        f"""
UPDATE opportunities_opportunity o SET amount = item.amount
  FROM unnest(%(external_ids)s::text[], %(amounts)s::numeric[]) AS item(external_id, amount)
 WHERE o.external_id = item.external_id AND o.deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM accounts_account a {visible(persona, "a")}
                WHERE a.id = o.account_id AND a.deleted_at IS NULL)
RETURNING o.id
""",
    )


# --- dates the pages compute ------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)
