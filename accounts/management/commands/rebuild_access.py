"""`manage.py rebuild_access [--check]`: the access table, rebuilt from the visibility rule.

Every write keeps the table (`accounts.access`); this is for operators: after loading
rows with something that sends no signals (SQL, a restore of some tables), or to
verify. `--check` changes nothing, reports how the table differs from the rule (and
accounts whose rows' `live` flag is not what their `deleted_at` says) and exits with
status 1 when it does.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.access import access_differences, access_rebuild, access_stale_live

SHOWN = 20  # differences listed by --check; any more are only counted


class Command(BaseCommand):
    help = (
        "Rebuild the access table (who may see which account) from the visibility rule; "
        "--check only reports differences and exits with 1 when there are any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: report rows missing from or extra in the table.",
        )

    def handle(self, *args, check=False, **options):
        if not check:
            rows = access_rebuild()
            self.stdout.write(f"access table rebuilt: {rows} rows")
            return
        missing, extra = access_differences()
        stale = access_stale_live()
        if not missing and not extra and not stale:
            self.stdout.write("access table matches the visibility rule")
            return
        for label, pairs in (("missing", missing), ("extra", extra)):
            for user_id, account_id in pairs[:SHOWN]:
                self.stdout.write(f"{label}: user {user_id} account {account_id}")
            if len(pairs) > SHOWN:
                self.stdout.write(f"{label}: … and {len(pairs) - SHOWN} more")
        for account_id in stale[:SHOWN]:
            self.stdout.write(f"live flag wrong: account {account_id}")
        if len(stale) > SHOWN:
            self.stdout.write(f"live flag wrong: … and {len(stale) - SHOWN} more")
        raise CommandError(
            f"access table differs from the visibility rule: {len(missing)} rows missing, "
            f"{len(extra)} extra, {len(stale)} accounts with a wrong live flag;"
            " `manage.py rebuild_access` rebuilds it",
            returncode=1,
        )
