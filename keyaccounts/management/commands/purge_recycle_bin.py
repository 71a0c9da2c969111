"""`manage.py purge_recycle_bin [--days N]`: what Celery beat does nightly, by hand.

Removes for good what has been in the recycle bin longer than RECYCLE_BIN_DAYS (or
`--days`), with its history (keyaccounts.recyclebin.services.purge_expired).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from keyaccounts.history.context import Origin, history_context
from keyaccounts.recyclebin.services import purge_expired


class Command(BaseCommand):
    help = (
        "Remove for good what has been in the recycle bin longer than RECYCLE_BIN_DAYS "
        "(or --days); Celery beat runs this nightly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            metavar="N",
            help=f"Purge what was deleted more than N days ago "
            f"(default: RECYCLE_BIN_DAYS, now {settings.RECYCLE_BIN_DAYS}).",
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days needs a number of days, 0 or more")
        with history_context(origin=Origin.SYSTEM):
            purged = purge_expired(days=days)
        self.stdout.write(f"{purged} deletions purged from the recycle bin")
