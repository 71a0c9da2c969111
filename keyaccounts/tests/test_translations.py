"""Every user-visible string has a Simplified Chinese translation, and it is compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from keyaccounts.pytest_plugin import need

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "keyaccounts/locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_catalogue_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert "nplurals=1" in po.metadata["Plural-Forms"]


def test_the_chinese_catalogue_addresses_the_reader_as_nin_throughout():
    """One register: the product speaks to the person using it as 您, never now 您 and
    now 你 (my week said 您负责的客户 and 你的最佳下一步行动 on one page)."""
    po = polib.pofile(str(PO))
    informal = [
        entry.msgid
        for entry in po
        if "你" in entry.msgstr or any("你" in text for text in entry.msgstr_plural.values())
    ]
    assert informal == []


def test_the_committed_mo_file_is_compiled_from_the_current_po(tmp_path):
    compiled = tmp_path / "django.mo"
    polib.pofile(str(PO)).save_as_mofile(str(compiled))
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), (
        "django.mo is stale: run `make messages`"
    )


def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    need(shutil.which("xgettext") is not None, "needs GNU gettext: apt-get install gettext")
    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "staticfiles", "*.sqlite3", "__pycache__", ".*_cache"
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(copy / PO.relative_to(ROOT)))
    untranslated = [e.msgid for e in fresh.untranslated_entries() + fresh.fuzzy_entries()]
    assert untranslated == [], "new strings need translating: run `make messages`"


@pytest.mark.django_db
def test_the_page_follows_the_browsers_language(personas, login):
    client = login(personas.alice)
    page = client.get(reverse("accounts:list"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "大客户" in html
    page = client.get(reverse("accounts:list"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert "Key accounts" in page.content.decode()


@pytest.mark.django_db
def test_choosing_a_language_in_the_page_overrides_the_browser(personas, login):
    client = login(personas.alice)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/"})
    page = client.get(reverse("accounts:list"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert "大客户" in page.content.decode()


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}


def test_no_string_to_translate_is_read_inside_an_f_string():
    """xgettext reads no call inside an f-string: such a word never reaches the catalogue
    and shows in English on a Chinese page. Read it into a name first."""
    import ast

    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0].startswith(".") or "migrations" in parts or parts[0] == "bench":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in GETTEXT_NAMES
                ):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert found == []


def test_a_short_word_in_two_places_is_translated_for_each_place():
    """ "from" and "to" name a deal's stages, a grade's change, where a history entry came
    from and a period's end: one word in English, four in Chinese, told apart by their
    context (`pgettext_lazy`) so that none borrows another's ("新阶段" on a date)."""
    from django.utils import translation

    from keyaccounts.history.models import HistoryBase
    from opportunities.models import StageChange
    from scoring.analytics.forms import AnalyticsForm
    from scoring.models import GradeChange

    def label(model, name):
        return str(model._meta.get_field(name).verbose_name)

    with translation.override("zh-hans"):
        assert (label(StageChange, "from_stage"), label(StageChange, "to_stage")) == (
            "原阶段",
            "新阶段",
        )
        assert (label(GradeChange, "from_grade"), label(GradeChange, "to_grade")) == (
            "原等级",
            "新等级",
        )
        assert label(HistoryBase, "origin") == "来源"
        assert str(AnalyticsForm.base_fields["end"].label) == "至"
    with translation.override("en"):
        assert label(GradeChange, "to_grade") == str(AnalyticsForm.base_fields["end"].label)


def test_a_text_too_long_is_said_in_the_projects_chinese_not_djangos(personas, login):
    """Django's "确保该变量包含不超过 200 字符 (目前字符数 201)。" (a "variable", ASCII
    brackets) is said the project's way: its catalogue comes first (keyaccounts/wording.py)."""
    client = login(personas.alice)
    page = client.get(
        reverse("accounts:list"), {"q": "x" * 201}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "最多 200 个字符（现在有 201 个）。" in page
    assert "变量" not in page
