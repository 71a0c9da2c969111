"""`manage.py rebuild_board_totals [--check]`: the board's kept totals, counted again.

The board of someone who sees the whole company reads totals kept from the change feed
(`opportunities.board_totals`): they follow every write that takes a change number.
This is for operators: after loading deals with something that takes none (SQL, a
restore of some tables), after deploying the release that adds them (so that no first
view pays for counting), or to verify. `--check` changes nothing but bringing them up to
the last change, reports where they differ from the deals summed now and exits with
status 1 when they do.
"""

from django.core.management.base import BaseCommand, CommandError

from opportunities.board_totals import differences, rebuild

SHOWN = 20  # differences listed by --check; any more are only counted


class Command(BaseCommand):
    help = (
        "Count the pipeline board's kept totals again from the deals; --check only "
        "reports differences and exits with 1 when there are any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: report where the kept totals differ from the deals.",
        )

    def handle(self, *args, check=False, **options):
        if not check:
            deals = rebuild()
            self.stdout.write(f"board totals counted again: {deals} deals")
            return
        found = differences()
        if not found:
            self.stdout.write("board totals match the deals")
            return
        for line in found[:SHOWN]:
            self.stdout.write(line)
        if len(found) > SHOWN:
            self.stdout.write(f"… and {len(found) - SHOWN} more")
        raise CommandError(
            f"board totals differ from the deals in {len(found)} places; "
            "`manage.py rebuild_board_totals` counts them again",
            returncode=1,
        )
