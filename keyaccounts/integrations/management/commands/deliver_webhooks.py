"""`manage.py deliver_webhooks [--every SECONDS]`: send the webhooks' due deliveries.

What beat's `webhook_deliver_due` does, for a setup without Redis (where changes are
sent inline after they commit, and nothing else retries): once, or every N seconds
until stopped.
"""

import time

from django.core.management.base import BaseCommand

from keyaccounts.integrations.delivery import deliver_pending, webhooks_due


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due (retries, and changes never sent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS", help="Repeat every N seconds."
        )

    def handle(self, *args, every: int = 0, **options):
        while True:
            for webhook_id in webhooks_due():
                result = deliver_pending(webhook_id=webhook_id)
                self.stdout.write(
                    f"webhook {webhook_id}: {result.delivered} delivered, "
                    f"{result.skipped} skipped, {result.failed} failed"
                )
            if every <= 0:
                return
            time.sleep(every)
