import time

from django.core.management.base import BaseCommand

from scoring.services import rescore, rescore_pending


class Command(BaseCommand):
    help = "Rescore every account with the active risk-evaluation table (or only the pending)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pending",
            action="store_true",
            help="only the accounts whose data changed since their last rescore",
        )

    def handle(self, *args, pending=False, **options):
        started = time.monotonic()
        result = rescore_pending() if pending else rescore()
        self.stdout.write(
            f"Scored {result['scored']} accounts; {result['written']} scores written (new or "
            f"different), {result['changed']} changed grade ({time.monotonic() - started:.1f} s)."
        )
