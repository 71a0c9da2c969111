"""The Content-Security-Policy, and pages that keep to it (issue 12).

Every answer carries the policy of `settings.CONTENT_SECURITY_POLICY` (django-csp), with
no 'unsafe-inline' and no 'unsafe-eval': a script or style runs only from a file of this
origin. A page that still held inline code would then break in the browser, so every
page of the route walk (`test_route_walk.py`: its routes, personas and world) is
rendered here — as a rep, the team's manager and a superuser, with a form's errors, the
admin's pages, the error pages — and its HTML fails the test if it holds an inline
script (a <script> without src that is no `application/json` data), an `on…=` handler,
a <style> element, a `style=` attribute, a `javascript:` URL, or a script, style sheet,
image or form target of another origin. `test_csp_browser.py` checks in Chromium that
the browser reports no violation.
"""

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from keyaccounts.tests import test_route_walk
from keyaccounts.tests.test_route_walk import (
    MISSING,
    PERSONAS,
    admin_paths,
    expected_visible,
    fill,
    kwargs_of,
    routes_to_walk,
)

# The route walk's records and its signed-in clients, as fixtures here too.
world = test_route_walk.world
clients = test_route_walk.clients

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"
# The policy the issue asks for, told here by hand (not read from the settings under test).
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def style_hash(value: str) -> str:
    digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
    return f"'sha256-{digest}'"


# The one widening: the admin's History pages (django-simple-history's template puts
# style="border-top: 0" on its paginator) allow that attribute value by its hash.
HISTORY_PAGE = re.compile(r"^/admin/\w+/\w+/[^/]+/history/$")
HISTORY_PAGE_EXTRA = {"style-src-attr": ["'unsafe-hashes'", style_hash("border-top: 0")]}


def policy_of(response) -> dict[str, list[str]] | None:
    header = response.get(HEADER)
    if header is None:
        return None
    policy = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        policy[name] = sources
    return policy


def policy_expected(path: str, policy: dict[str, list[str]] | None) -> bool:
    """The policy, or on an admin History page of django-simple-history the policy and
    that page's one style attribute."""
    if policy == EXPECTED_POLICY:
        return True
    return bool(HISTORY_PAGE.match(path)) and policy == {**EXPECTED_POLICY, **HISTORY_PAGE_EXTRA}


class InlineCode(HTMLParser):
    """Collects what a Content-Security-Policy without 'unsafe-inline' would block, or
    what would load from another origin, in an HTML page."""

    def __init__(self, policy: dict[str, list[str]] | None = None):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        # style attributes the page's own policy allows by their hash
        allowed = (policy or {}).get("style-src-attr", [])
        self.allowed_styles = allowed if "'unsafe-hashes'" in allowed else []

    def note(self, what: str) -> None:
        self.found.append(f"line {self.getpos()[0]}: {what}")

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and "src" not in values:
            if values.get("type", "").strip().lower() != "application/json":
                self.note("an inline <script>")
        if tag == "style":
            self.note("a <style> element")
        for name, value in attrs:
            if name == "style" and style_hash(value or "") not in self.allowed_styles:
                self.note(f'style="{value}" on <{tag}>')
            elif re.fullmatch(r"on[a-z]+", name):
                self.note(f"an {name}= handler on <{tag}>")
            elif name in ("href", "src", "action", "formaction") and (
                (value or "").strip().lower().startswith("javascript:")
            ):
                self.note(f"a javascript: URL in <{tag} {name}>")
        loaded = {
            "script": values.get("src"),
            "img": values.get("src"),
            "form": values.get("action"),
            "link": values.get("href") if "stylesheet" in values.get("rel", "") else None,
        }.get(tag)
        if loaded and not same_origin(loaded, data_allowed=tag == "img"):
            self.note(f"<{tag}> loads {loaded} from another origin")


def same_origin(url: str, *, data_allowed: bool) -> bool:
    parts = urlsplit(url.strip())
    if parts.scheme == "data":
        return data_allowed
    return not parts.scheme and not parts.netloc


def inline_code(html: str, policy: dict[str, list[str]] | None = None) -> list[str]:
    parser = InlineCode(policy)
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_checker_finds_each_kind_of_inline_code():
    """The checker the walk relies on: each thing it must find, and what it must let be."""
    page = """<html><head>
      <script src="/static/js/a.js"></script>
      <script id="data" type="application/json">{"a": 1}</script>
      <link rel="stylesheet" href="/static/css/app.css">
      <script>alert(1)</script>
      <style>p {}</style>
      <link rel="stylesheet" href="https://cdn.example.com/x.css">
    </head><body>
      <img src="data:image/png;base64,AA==" alt="">
      <p style="color: red" onclick="go()">x</p>
      <a href="javascript:void(0)">y</a>
      <form action="https://elsewhere.example.com/"></form>
      <script src="//cdn.example.com/x.js"></script>
    </body></html>"""
    found = "\n".join(inline_code(page))
    for expected in (
        "line 5: an inline <script>",
        "line 6: a <style> element",
        "line 7: <link> loads https://cdn.example.com/x.css from another origin",
        'line 10: style="color: red" on <p>',
        "line 10: an onclick= handler on <p>",
        "line 11: a javascript: URL in <a href>",
        "line 12: <form> loads https://elsewhere.example.com/ from another origin",
        "line 13: <script> loads //cdn.example.com/x.js from another origin",
    ):
        assert expected in found
    assert len(inline_code(page)) == 8, found
    # a style attribute is let be only when the page's policy allows its value by hash
    allows = {"style-src-attr": ["'unsafe-hashes'", style_hash("color: red")]}
    assert len(inline_code(page, allows)) == 7
    assert len(inline_code(page, {"style-src-attr": [style_hash("color: red")]})) == 8


def test_pages_send_the_policy_without_unsafe_inline(client, personas):
    client.force_login(personas.alice)
    for path in ("/my-week/", f"/accounts/{personas.account.pk}/", "/api/v1/docs/"):
        response = client.get(path)
        assert response.status_code == 200
        assert policy_of(response) == EXPECTED_POLICY, path
        assert "unsafe" not in response[HEADER]
    # the sign-in page and the API answer with it too
    assert policy_of(Client().get("/login/")) == EXPECTED_POLICY
    assert policy_of(client.get("/api/v1/accounts/")) == EXPECTED_POLICY
    # the admin's History page: that one style attribute by its hash, nothing more
    client.force_login(personas.admin)
    path = f"/admin/accounts/account/{personas.account.pk}/history/"
    response = client.get(path)
    assert response.status_code == 200
    assert policy_of(response) == {**EXPECTED_POLICY, **HISTORY_PAGE_EXTRA}
    assert "unsafe-inline" not in response[HEADER]
    assert policy_of(client.get("/admin/accounts/account/")) == EXPECTED_POLICY
    # beside the headers Django's SecurityMiddleware and X-Frame-Options already send
    response = Client().get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_every_page_of_the_route_walk_has_no_inline_code(world, clients):
    """Every GET route of the URLconf that answers HTML, as a rep, the team's manager and
    a superuser (the admin's pages as the superuser), with records they may and may not
    see, and every form sent back empty with its errors: no inline code anywhere, and the
    policy on every answer."""
    problems = []
    checked = {}  # label: status of every HTML answer read

    def check(label: str, response) -> None:
        policy = policy_of(response)
        if not policy_expected(response.wsgi_request.path, policy):
            problems.append(f"{label}: {response.status_code}, {HEADER}: {response.get(HEADER)}")
        content_type = response.get("Content-Type", "")
        if not content_type.startswith("text/html") or response.streaming:
            return
        checked[label] = response.status_code
        for found in inline_code(response.content.decode(), policy):
            problems.append(f"{label} ({response.status_code}): {found}")

    signed_in = ("rep", "manager", "admin")
    for route, kind in routes_to_walk():
        if kind.api and kind.kind != "public":
            continue  # JSON: checked for the header in test_pages_send_the_policy_…
        if kind.kind in ("api-not-found", "stage"):
            continue
        if kind.kind == "public":
            path = fill(route.pattern, {})
            if not kind.post_only:
                check(f"GET {path} as anonymous", clients.anonymous.get(path))
            if kind.form:
                check(f"POST {path} as anonymous", clients.anonymous.post(path, {}))
            continue
        if kind.kind == "table_version":
            from scoring.models import ScoringModel

            version = ScoringModel.objects.order_by("version").first().version
            path = fill(route.pattern, {"version": version})
            for persona in signed_in:
                check(f"GET {path} as {persona}", getattr(clients, persona).get(path))
            continue
        path = fill(route.pattern, kwargs_of(world, kind, "east"))
        if not kind.post_only:
            for persona in (*signed_in, "other_rep"):  # other_rep: the 404 page
                check(f"GET {path} as {persona}", getattr(clients, persona).get(path))
        if kind.form:
            # the form sent back with its errors, as the first persona who may use it
            persona = next(
                persona
                for persona in PERSONAS
                if persona not in kind.denied
                and (kind.kind == "page" or expected_visible(world, persona, "east", kind))
            )
            check(f"POST {path} as {persona}", getattr(clients, persona).post(path, {}))
    for _route, path, _missing in admin_paths(world):
        check(f"GET {path} as admin", clients.admin.get(path))
    check("GET /admin/login/ as anonymous", clients.anonymous.get("/admin/login/"))
    # error pages: a record that does not exist, a query string that is no text, a form
    # posted without its CSRF token
    check(f"GET /accounts/{MISSING}/ as rep", clients.rep.get(f"/accounts/{MISSING}/"))
    check("GET /accounts/?q=%00 as rep", clients.rep.get("/accounts/?q=%00"))
    check(
        "POST /login/ without a CSRF token",
        Client(enforce_csrf_checks=True).post("/login/", {"username": "x"}),
    )
    assert not problems, "\n".join(problems)
    # the walk did read the pages themselves: lists, records, forms, the admin, the docs
    for label in (
        "GET /my-week/ as rep",
        "GET /pipeline/ as manager",
        "GET /dashboard/ as manager",
        f"GET /accounts/{world.records['east'].account.pk}/ as rep",
        "GET /api/v1/docs/ as anonymous",
        "GET /admin/ as admin",
    ):
        assert checked.get(label) == 200, f"{label}: {checked.get(label, 'not read')}"
    assert sum(status == 200 for status in checked.values()) > 250, len(checked)


TAG = re.compile(r"<[a-zA-Z][^<>]*>")


def ours(path: Path) -> bool:
    return path.is_relative_to(settings.BASE_DIR) and ".venv" not in path.parts


def project_files(pattern: str, *under: Path) -> list[Path]:
    return sorted({path for folder in under for path in folder.rglob(pattern) if ours(path)})


def template_dirs() -> list[Path]:
    """templates/ and the templates/ of each of our apps (not the libraries')."""
    from django.apps import apps

    folders = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
    folders += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    return [folder for folder in folders if ours(folder) and folder.is_dir()]


def template_problems(source: str) -> list[str]:
    """What a template's source holds that the policy would block, by line (its tags
    read as text: a template is no HTML until rendered)."""
    problems = []
    for match in TAG.finditer(source):
        tag = match.group(0)
        line = source.count("\n", 0, match.start()) + 1
        name = tag[1:].split(None, 1)[0].rstrip(">").lower()
        if name == "script" and "src=" not in tag and "application/json" not in tag:
            problems.append(f"line {line}: an inline <script>")
        if name == "style":
            problems.append(f"line {line}: a <style> element")
        if re.search(r"\sstyle\s*=", tag):
            problems.append(f"line {line}: a style= attribute")
        handler = re.search(r"\s(on[a-z]+)\s*=", tag)
        if handler:
            problems.append(f"line {line}: an {handler.group(1)}= handler")
    return problems


def test_the_template_reader_finds_each_kind_of_inline_code():
    source = """{% load static %}<p>x</p>
<script src="{% static 'js/a.js' %}" defer></script>{{ data|json_script:"d" }}
<script type="application/json">{}</script>
<p>
<p class="a" style="color: red">
<script>go()</script><style>p {}</style>
<button type="button" onclick="go()">b</button>"""
    assert template_problems(source) == [
        "line 5: a style= attribute",
        "line 6: an inline <script>",
        "line 6: a <style> element",
        "line 7: an onclick= handler",
    ]


def test_no_template_holds_inline_code():
    """Templates the walk cannot reach (error pages, states a page is rarely in) read as
    source: no <script> without src (JSON data aside), no <style>, no style= or on…=."""
    problems = []
    templates = project_files("*.html", *template_dirs())
    assert len(templates) > 50, "the templates were not found"
    for path in templates:
        where = path.relative_to(settings.BASE_DIR)
        problems += [f"{where} {found}" for found in template_problems(path.read_text("utf-8"))]
    assert not problems, "\n".join(problems)


def test_scripts_build_the_page_without_html_strings():
    """Our scripts make elements with createElement/textContent and set styles through
    element.style (which the policy allows), never from HTML strings: innerHTML and its
    kin would carry a style= or on…= that the policy blocks (and are a way in for XSS)."""
    forbidden = re.compile(
        r"\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|"
        r"new Function\(|setAttribute\(\s*[\"'](style|on[a-z]+)[\"']"
    )
    scripts = project_files("*.js", settings.BASE_DIR / "static" / "js")
    assert scripts, "static/js has no scripts"
    problems = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()}"
        for path in scripts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert not problems, "\n".join(problems)
