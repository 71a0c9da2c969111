"""`manage.py run_reminders`: one reminder scan and email run, or a loop of them.

Without a broker (development, `make run`) `--every 60` is the schedule Celery beat
would be; with one it is harmless to run too, since the scan and the sender are safe to
run twice or at the same time (visits/reminders.py).
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from visits.reminders import notification_emails_send, reminders_scan

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Create the reminders that are due and send their emails, once; with --every "
        "SECONDS, again and again until stopped (SIGTERM or Ctrl-C)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="Repeat forever, waiting this long between runs (make run: 60).",
        )

    def handle(self, *args, every=None, **options):
        if every is None:
            created, sent = self.run_once()
            self.stdout.write(f"{created} reminders created, {sent} emails sent")
            return
        if every <= 0:
            raise CommandError("--every needs a number of seconds greater than 0")
        self.loop(every)

    def run_once(self) -> tuple[int, int]:
        return reminders_scan(), notification_emails_send()

    def loop(self, every: float) -> None:
        stop = threading.Event()

        def on_signal(signum, frame):
            if stop.is_set():  # asked twice: stop now, even in the middle of a run
                raise KeyboardInterrupt
            stop.set()

        handled = [signal.SIGTERM]
        # A job started with `&` by a script ignores Ctrl-C on purpose: leave it so.
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            handled.append(signal.SIGINT)
        previous = {signum: signal.signal(signum, on_signal) for signum in handled}
        self.stdout.write(f"Reminders: a scan every {every:g} s (stop with Ctrl-C or SIGTERM)")
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    created, sent = self.run_once()
                except Exception:
                    logger.exception("reminder run failed; trying again in %g s", every)
                else:
                    if created or sent:
                        self.stdout.write(f"{created} reminders created, {sent} emails sent")
                finally:
                    close_old_connections()
                stop.wait(every)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Reminders: stopped")
