"""Calls from this server to a webhook's URL: which addresses are allowed, and the POST.

A webhook must not turn the server into a way into its own network (SSRF): its URL
must be http or https, and every address its host resolves to must be a public one —
no loopback, private, link-local (cloud metadata at 169.254.169.254), shared, reserved
or multicast address — unless `settings.WEBHOOK_ALLOW_PRIVATE` is on (a receiver on
the same network; the tests' receiver on 127.0.0.1). The check runs when the URL is
saved and again at every delivery, and the POST then connects to the address that was
checked, never resolving the name a second time: a DNS answer that changes in between
(DNS rebinding) cannot redirect it. Redirects are not followed.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError

MAX_URL_LENGTH = 2000
# What is kept of a receiver's answer, for the delivery log.
RESPONSE_EXCERPT = 500


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written, for the Host header and TLS (SNI, certificate)
    port: int
    path: str  # path and query
    address: str  # the checked IP address to connect to


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_url")


def _split(url: str):
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(_("Give a URL of at most %(max)d characters.") % {"max": MAX_URL_LENGTH})
    if not url.isprintable() or any(ch.isspace() for ch in url):
        raise _refuse(_("The URL contains spaces or control characters."))
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _refuse(
            _("This is not a URL: give one such as https://erp.example.com/hooks.")
        ) from None
    try:
        port = parts.port
    except ValueError:
        port = 0  # not a number, or past 65535
    if port == 0:  # 0 was taken as "none" and sent to 80
        raise _refuse(_("The URL's port must be a number from 1 to 65535, or left out."))
    if parts.scheme not in ("http", "https"):
        raise _refuse(
            _("The URL must start with http:// or https:// (not “%(scheme)s”).")
            % {"scheme": parts.scheme or url[:10]}
        )
    if not parts.hostname:
        raise _refuse(_("The URL names no host: give one such as https://erp.example.com/hooks."))
    if parts.username is not None or parts.password is not None:
        raise _refuse(
            _(
                "Leave the user name and password out of the URL: the receiver checks the "
                "signature instead."
            )
        )
    return parts, port or (443 if parts.scheme == "https" else 80)


def _allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """The URL's parts and the address to call; ApplicationError (code `invalid_url`)
    saying what is wrong when the URL is not http(s), cannot be resolved, or names an
    address that is not public (unless private ones are allowed)."""
    if allow_private is None:
        allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    parts, port = _split(url)
    try:
        # An internationalised name as DNS and the Host header spell it (xn--…).
        host = parts.hostname.encode("idna").decode("ascii")
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _refuse(
            _("The host %(host)s cannot be found (DNS): check the URL.") % {"host": parts.hostname}
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise _refuse(_("The host %(host)s has no address.") % {"host": host})
    if not allow_private:
        refused = [address for address in addresses if not _allowed(address)]
        if refused:
            raise _refuse(
                _(
                    "The host %(host)s is at %(address)s, a loopback, private or link-local "
                    "address: webhooks go to public addresses only."
                )
                % {"host": host, "address": refused[0]}
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a given address, with the certificate checked against the host name."""

    def __init__(self, host: str, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST `body` to the checked address; raises OSError (refused, timed out, TLS) or
    http.client.HTTPException for a connection that fails or a malformed answer."""
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(
            target.host,
            target.address,
            port=target.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(target.address, target.port, timeout=timeout)
    name = f"[{target.host}]" if ":" in target.host else target.host  # an IPv6 literal
    default_port = 443 if target.scheme == "https" else 80
    host_header = name if target.port == default_port else f"{name}:{target.port}"
    try:
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host_header)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
        return Answer(response.status, excerpt)
    finally:
        connection.close()
