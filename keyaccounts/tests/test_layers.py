"""Imports point down (docs/architecture.md, "Imports point down"): `keyaccounts` and
`accounts` import no app above them, `visits` and `opportunities` not `scoring`, except
the modules named here, which still reach up: the project's composition point (the demo
seed), by design. A module that starts reaching up
fails here; one that stops must leave the list (so it cannot start again unseen)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ABOVE = {
    "keyaccounts": {"opportunities", "visits", "scoring"},
    "accounts": {"opportunities", "visits", "scoring"},
    "visits": {"opportunities", "scoring"},
    "opportunities": {"scoring"},
}
# Reaching up (each names what it reaches for, and why).
STILL_REACHING_UP = {
    "keyaccounts/management/commands/seed_demo.py": "composes every app's demo (by design)",
}


def imported_apps(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
    return names


def modules(app: str) -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )


@pytest.mark.parametrize("path", [p for app in ABOVE for p in modules(app)])
def test_a_module_imports_no_app_above_its_own_but_those_still_listed(path):
    app = path.split("/")[0]
    reaching = imported_apps(ROOT / path) & ABOVE[app]
    if path in STILL_REACHING_UP:
        assert reaching, f"{path} no longer reaches up: take it off STILL_REACHING_UP"
    else:
        assert not reaching, f"{path} imports {sorted(reaching)}, above {app}"


def test_every_module_listed_as_reaching_up_exists():
    assert [path for path in STILL_REACHING_UP if not (ROOT / path).exists()] == []
