"""`manage.py rebuild_planned_attendance [--check]`: the planned attendances (who goes
along to which planned visit, `visits.attendance`), rebuilt from the attendee rows.

Every write keeps the table; this is for operators: after loading visits or attendee rows
with something that sends no signals (SQL, a restore of some tables), or to verify.
`--check` changes nothing, reports how the table differs from the attendee rows of the
live planned visits and exits with status 1 when it does.
"""

from django.core.management.base import BaseCommand, CommandError

from visits.attendance import differences, rebuild

SHOWN = 20  # differences listed by --check; any more are only counted


class Command(BaseCommand):
    help = (
        "Rebuild the planned attendances (who goes along to which planned visit) from the "
        "attendee rows; --check only reports differences and exits with 1 when there are any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: report rows missing from or extra in the table.",
        )

    def handle(self, *args, check=False, **options):
        if not check:
            rows = rebuild()
            self.stdout.write(f"planned attendances rebuilt: {rows} rows")
            return
        missing, extra = differences()
        if not missing and not extra:
            self.stdout.write("planned attendances match the attendee rows")
            return
        for label, rows in (("missing", missing), ("extra", extra)):
            for user_id, visit_id, planned_at in sorted(rows)[:SHOWN]:
                self.stdout.write(
                    f"{label}: user {user_id} visit {visit_id} planned {planned_at:%Y-%m-%d %H:%M}"
                )
            if len(rows) > SHOWN:
                self.stdout.write(f"{label}: … and {len(rows) - SHOWN} more")
        raise CommandError(
            f"planned attendances differ from the attendee rows: {len(missing)} rows missing,"
            f" {len(extra)} extra; `manage.py rebuild_planned_attendance` rebuilds them",
            returncode=1,
        )
