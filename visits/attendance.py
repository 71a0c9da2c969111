"""The planned attendances (`PlannedAttendance`): who goes along to which planned visit,
kept equal to the attendee rows and the visits.

A row says that a user is one of the attendees of a live (not binned) planned visit, and
when it is planned. The rule is `rule_rows`; this module is the only writer of the table,
always set-based and inside the transaction of the write that changed the rule's inputs:

- `record_changed` (keyaccounts.events), which every write of a visit announces: a save
  (created, updated: its status, plan or attendees), the recycle bin's moves (deleted,
  restored), an import's or a bulk upsert's set-based write (whose attendee rows are
  written before it announces them), a merge's relink. The announced visits' rows are
  written again from the attendee rows (those that are not planned, or are binned, have
  none);
- `m2m_changed` of `Visit.attendees` (`.set()`, `.add()`, `.remove()`, `.clear()`, from
  either side): the pairs added or removed. A service sets a new visit's attendees after
  saving it, and an edited one's before saving it (the save's announcement then writes
  them again with the visit's new status and plan);
- bulk loads write the rows with the visits (`visits.demo`); `rebuild` writes the whole
  table again (`manage.py rebuild_planned_attendance`, which `--check`s it too).

A visit purged from the recycle bin, or a user deleted, takes its rows with it (the
foreign keys' cascade). Each statement is an upsert, so a row left behind by a write that
bypassed all of the above (raw SQL) is corrected by the next write of its visit; the
check finds any such row.
"""

from collections.abc import Iterable

from django.db import connections
from django.db.models.signals import m2m_changed

from keyaccounts.changeseq import next_change_seq
from keyaccounts.events import RecordEvent, record_changed

from .models import PlannedAttendance, Visit, VisitStatus

# Ids per statement (with the one or two other parameters, within SQLite's oldest limit
# of 999 variables).
CHUNK = 900


def rule_rows(using: str = "default"):
    """The (user id, visit id, planned at) rows the table must hold: one per attendee
    row of a live planned visit."""
    through = Visit.attendees.through
    return (
        through.objects.using(using)
        .filter(visit__status=VisitStatus.PLANNED, visit__deleted_at__isnull=True)
        .values_list("user_id", "visit_id", "visit__planned_at")
    )


def _chunks(ids: Iterable[int]):
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _names(using: str) -> tuple[str, str, str]:
    quote = connections[using].ops.quote_name
    return (
        quote(PlannedAttendance._meta.db_table),
        quote(Visit.attendees.through._meta.db_table),
        quote(Visit._meta.db_table),
    )


def _execute(using: str, sql: str, params: list) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)


def _write(using: str, where: str, params: list) -> None:
    """Insert, or correct, the rows the rule gives for the attendee rows `a` that `where`
    picks: one statement (an upsert on the pair)."""
    table, attendees, visits = _names(using)
    _execute(
        using,
        f"INSERT INTO {table} (user_id, visit_id, planned_at)"
        f" SELECT a.user_id, a.visit_id, v.planned_at FROM {attendees} a"
        f" INNER JOIN {visits} v ON v.id = a.visit_id"
        f" WHERE v.status = %s AND v.deleted_at IS NULL AND {where}"
        " ON CONFLICT (visit_id, user_id) DO UPDATE SET planned_at = excluded.planned_at",
        [VisitStatus.PLANNED, *params],
    )


def _delete(using: str, where: str, params: list) -> None:
    table, _, _ = _names(using)
    _execute(using, f"DELETE FROM {table} WHERE {where}", params)


def _in(column: str, ids: list) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(ids))})"


def refresh_visits(visit_ids: Iterable[int], *, using: str = "default", rows: bool = True):
    """Write the rows of these visits again: their old rows go, and (`rows`: some of them
    may be live and planned) the rule's rows come."""
    for chunk in _chunks(visit_ids):
        _delete(using, _in("visit_id", chunk), chunk)
        if rows:
            _write(using, _in("a.visit_id", chunk), chunk)


def rebuild(*, using: str = "default") -> int:
    """Write the whole table again from the rule; returns its number of rows."""
    _delete(using, "1 = 1", [])
    _write(using, "1 = 1", [])
    return PlannedAttendance.objects.using(using).count()


def differences(*, using: str = "default") -> tuple[set, set]:
    """(rows the rule gives that the table lacks, rows the table holds that the rule does
    not give), each a set of (user id, visit id, planned at)."""
    wanted = set(rule_rows(using))
    held = set(
        PlannedAttendance.objects.using(using).values_list("user_id", "visit_id", "planned_at")
    )
    return wanted - held, held - wanted


def connect() -> None:
    """Follow the writes (`VisitsConfig.ready`)."""
    record_changed.connect(_visits_changed, sender=Visit, dispatch_uid="planned-attendance-visits")
    m2m_changed.connect(
        _attendees_changed,
        sender=Visit.attendees.through,
        dispatch_uid="planned-attendance-people",
    )


def _visits_changed(sender, records, event, using, **kwargs):
    if event == RecordEvent.DELETED:
        refresh_visits((r.pk for r in records), using=using, rows=False)
        return
    planned = {r.pk for r in records if r.status == VisitStatus.PLANNED and r.deleted_at is None}
    if event == RecordEvent.CREATED:
        # New: no rows yet. A service adds the attendees after this (`_attendees_changed`);
        # an import has written them already.
        for chunk in _chunks(planned):
            _write(using, _in("a.visit_id", chunk), chunk)
        return
    refresh_visits(planned, using=using)
    refresh_visits((r.pk for r in records if r.pk not in planned), using=using, rows=False)


def _attendees_changed(sender, instance, action, reverse, pk_set, using, **kwargs):
    # Forward (`visit.attendees`): `instance` a visit, `pk_set` users; reverse
    # (`user.attended_visits`): a user and visits.
    own, other = ("user_id", "visit_id") if reverse else ("visit_id", "user_id")
    if action == "post_add" and pk_set:
        # The rows copy the visit's status and plan as committed: first the change
        # counter's lock, which every save of a visit holds until it commits, so that an
        # attendee added beside a concurrent reschedule gets the new plan (a service's
        # save writes the rows again anyway; an admin edit of the attendees alone does not).
        next_change_seq(count=0, using=using)
    if action == "post_clear":
        _delete(using, f"{own} = %s", [instance.pk])
    elif action in ("post_add", "post_remove") and pk_set:
        for chunk in _chunks(pk_set):
            params = [instance.pk, *chunk]
            if action == "post_add":
                _write(using, f"a.{own} = %s AND {_in('a.' + other, chunk)}", params)
            else:
                _delete(using, f"{own} = %s AND {_in(other, chunk)}", params)
