"""A test-only email backend for Celery worker subprocesses: one file per message sent.

A worker process cannot fill the test's in-memory outbox, so this backend writes each
message it sends to its own file in $TEST_EMAIL_DIR, named after the message's
Message-ID plus a unique suffix: a message sent twice leaves two files, so "each email
sent once" is a count of files per Message-ID.

$TEST_EMAIL_DELAY (seconds, default 0) slows every message down, like a real SMTP
server. $TEST_EMAIL_BLOCK_AFTER=N makes the (N+1)th message of the process hang before
it is sent, after writing `blocked` in the directory: the test then knows the worker is
in the middle of a batch (N sent and committed, one in flight) and can SIGKILL it there.
It blocks once per directory, so the restarted worker goes through.
"""

import os
import re
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

_sent_by_this_process = 0


def message_files(directory: Path) -> dict[str, int]:
    """How many files, that is sends, there are per Message-ID in `directory`."""
    counts: dict[str, int] = {}
    for path in directory.glob("*.eml"):
        message_id = path.read_text(encoding="utf-8").split("\n", 1)[0]
        counts[message_id] = counts.get(message_id, 0) + 1
    return counts


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        global _sent_by_this_process
        directory = Path(os.environ["TEST_EMAIL_DIR"])
        delay = float(os.environ.get("TEST_EMAIL_DELAY") or 0)
        block_after = os.environ.get("TEST_EMAIL_BLOCK_AFTER")
        sent = 0
        for message in email_messages:
            if block_after and _sent_by_this_process == int(block_after):
                marker = directory / "blocked"
                if not marker.exists():
                    marker.write_text(message.extra_headers["Message-ID"], encoding="utf-8")
                    time.sleep(600)  # until the test kills this process
            if delay:
                time.sleep(delay)
            message_id = message.extra_headers["Message-ID"]
            name = re.sub(r"[^\w.-]", "_", message_id) + f".{uuid.uuid4().hex}.eml"
            content = f"{message_id}\n{message.message().as_string()}"
            temporary = directory / (name + ".tmp")
            temporary.write_text(content, encoding="utf-8")
            temporary.rename(directory / name)  # whole or not at all: the SMTP "accepted"
            _sent_by_this_process += 1
            sent += 1
        return sent
