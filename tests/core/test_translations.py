"""The Chinese catalogue: every message the code and templates can show is translated, the
translations keep the msgid's placeholders and markup, and the pages speak Chinese by default
and English after /lang/en.

The msgids are extracted here the way `make messages` extracts them (babel.cfg's method map,
the Makefile's keywords and ignored directories), so a string added to the code without a
translation fails (a) until `make messages` is run and the new entry translated."""

import re
from collections import Counter
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import g
from flask_babel import gettext

from core import config

ROOT = Path(__file__).resolve().parents[2]
# Babel resolves zh_CN to zh_Hans_CN, so the catalogue lives under that name.
PO_FILE = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

# The Makefile's `messages` target: -k _l -k lazy_gettext on top of Babel's default keywords,
# and --ignore-dirs='.* __pycache__ .venv instance migrations tests bench build'.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
IGNORED_DIRS = (".*", "__pycache__", ".venv", "instance", "migrations", "tests", "bench", "build")

# %(name)s / %(n)d / %s, and str.format fields {…}; "%%" is a literal percent sign.
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACES = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _keep_dir(path: str) -> bool:
    name = Path(path).name
    return not any(fnmatch(name, pattern) for pattern in IGNORED_DIRS)


@cache
def extracted() -> dict[str, list[str]]:
    """msgid (the singular for plurals) → where it is used, as 'file:line'."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS,
            directory_filter=_keep_dir):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@cache
def catalogue():
    with open(PO_FILE, "rb") as po:
        return read_po(po, locale="zh_CN")


def _msgid(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _forms(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value or "",)


def _translated(message) -> bool:
    return "fuzzy" not in message.flags and all(form.strip() for form in _forms(message.string))


def _placeholders(text: str) -> tuple[set[str], Counter]:
    """Named fields compare as a set (a translation may repeat one); positional ones by count."""
    fields = PERCENT.findall(text.replace("%%", "")) + BRACES.findall(text)
    named = {f for f in fields if f.startswith(("%(", "{")) and f not in ("{}",)}
    return named, Counter(f for f in fields if f not in named)


# --- (a) every extracted msgid has a Chinese translation -------------------------------------

def test_extraction_finds_the_messages():
    # A guard for the test itself: the extraction must see the code and the templates.
    where = {location.split(":")[0].split("/")[0] for locations in extracted().values()
             for location in locations}
    assert {"templates", "core", "credit", "market"} <= where
    assert "Agency directory" in extracted()


def test_every_msgid_has_a_chinese_translation():
    entries = {_msgid(m): m for m in catalogue() if m.id}
    missing = [f"{msgid!r}  ({', '.join(where[:2])})"
               for msgid, where in sorted(extracted().items())
               if msgid not in entries or not _translated(entries[msgid])]
    if missing:
        pytest.fail(f"{len(missing)} msgid(s) have no (or only a fuzzy) zh_CN translation; "
                    "run `make messages`, translate the zh_Hans_CN messages.po, "
                    "then `make translations`:\n  " + "\n  ".join(missing), pytrace=False)


def test_catalogue_has_no_fuzzy_or_empty_entries():
    bad = [_msgid(m) for m in catalogue() if m.id and not _translated(m)]
    if bad:
        pytest.fail("fuzzy or empty entries in messages.po:\n  " + "\n  ".join(map(repr, bad)),
                    pytrace=False)


# --- (b) translations keep the msgid's placeholders and markup ------------------------------

def _entries():
    return [m for m in catalogue() if m.id and m.string]


def test_placeholders_match():
    wrong = []
    for message in _entries():
        ids = _forms(message.id)
        expected_named, expected_positional = _placeholders(ids[0])
        for extra in ids[1:]:  # the plural msgid may add %(n)d
            named, positional = _placeholders(extra)
            expected_named |= named
            expected_positional |= positional
        for form in _forms(message.string):
            named, positional = _placeholders(form)
            if named != expected_named or positional != expected_positional:
                wrong.append(f"{_msgid(message)!r}\n    → {form!r}")
    if wrong:
        pytest.fail("translations whose placeholders differ from the msgid's:\n  "
                    + "\n  ".join(wrong), pytrace=False)


def test_html_tags_match():
    wrong = [f"{_msgid(m)!r}\n    → {form!r}" for m in _entries() for form in _forms(m.string)
             if sorted(HTML_TAG.findall(_msgid(m))) != sorted(HTML_TAG.findall(form))]
    if wrong:
        pytest.fail("translations whose HTML tags differ from the msgid's:\n  "
                    + "\n  ".join(wrong), pytrace=False)


def test_plural_entries_fill_the_single_chinese_form():
    # Chinese has one plural form (nplurals=1): msgstr[0] carries the whole translation.
    assert catalogue().num_plurals == 1
    for message in catalogue():
        if message.id and message.pluralizable:
            assert len(_forms(message.string)) == 1 and _forms(message.string)[0].strip(), \
                message.id


# --- (c) the pages speak Chinese by default and English on request --------------------------

PAGES = [
    ("/", "中介机构名录", "Agency directory"),
    ("/agencies", "中介机构名录", "Agency directory"),
    ("/items", "中介服务事项清单", "Service item list"),
    ("/fees", "收费清单", "Fee list"),
    ("/credit/", "信用查询", "Credit lookup"),
    ("/login", "登录", "Sign in"),
]


@pytest.fixture
def browser(app, monkeypatch):
    """A new browser with no language chosen, on the platform's real default: Chinese. (The
    suite's app defaults to English so that other tests can assert msgids.)"""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "zh_CN")
    return app.test_client()


def test_home_page_is_chinese_by_default_and_english_after_choosing_it(browser):
    page = browser.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "中介机构名录" in page and "网上中介服务超市" in page
    assert "Agency directory" not in page

    assert browser.get("/lang/en").status_code == 302
    page = browser.get("/").get_data(as_text=True)
    assert "Agency directory" in page
    assert "中介机构名录" not in page

    browser.get("/lang/zh_CN")
    assert "中介机构名录" in browser.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("path", "chinese", "english"), PAGES)
def test_public_pages_in_both_languages(browser, path, chinese, english):
    response = browser.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert chinese in page and english not in page

    browser.get("/lang/en")
    page = browser.get(path).get_data(as_text=True)
    assert english in page and chinese not in page


def test_the_platform_default_language_is_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    assert config.load(tmp_path)["BABEL_DEFAULT_LOCALE"] == "zh_CN"


def test_messages_outside_a_request_are_in_the_default_language(app, monkeypatch):
    # Sweepers and the command line have no session: they speak the platform default.
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "zh_CN")
    g.pop("_flask_babel", None)  # the harness's long-lived app context caches the locale
    try:
        assert gettext("Agency directory") == "中介机构名录"
        assert gettext("At least %(n)d characters.", n=8) == "至少 8 个字符。"
    finally:
        g.pop("_flask_babel", None)
