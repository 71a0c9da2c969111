"""A real HTTP receiver for webhook tests: http.server in a thread on 127.0.0.1.

It records every POST (headers and body bytes) and answers what the test sets: a status
for every request, or one per request chosen by a function of the parsed body. `stop()`
closes the socket (the receiver is down: connections are refused); `start()` listens
again on the same port. Ports come from 8500–8549, the range this project's webhook
tests use.
"""

import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = range(8500, 8550)


def free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8500-8549")


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def verify(secret: str, header: str, body: bytes) -> bool:
    """Check `X-Keyaccounts-Signature` the way docs/api.md tells a receiver to: HMAC-
    SHA256 of "<t>.<body>" with the secret, hex, compared in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@dataclass
class Receiver:
    port: int
    status: int = 200
    # Optional: body (parsed) -> status, for answers that depend on the event.
    answer: object = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._server = None
        self._thread = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/keyaccounts?source=test"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                status = receiver.status
                if receiver.answer is not None:
                    status = receiver.answer(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"not now")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def events(self) -> list[dict]:
        with self._lock:
            return [item.json for item in self.received]
