"""The templates themselves: complete Dutch, and nothing the strict CSP would block."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir

from balie.web.i18n import TEMPLATES_DIR, read_catalog


def _msgid(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


def test_every_template_text_has_a_dutch_translation() -> None:
    used = {
        _msgid(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            TEMPLATES_DIR,
            [("**.html", "jinja2")],
            {"**.html": {"extensions": "jinja2.ext.i18n"}},
        )
    }
    dutch = read_catalog("nl")
    translated = {
        _msgid(m.id)
        for m in dutch
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    assert used - translated == set()


def test_templates_have_no_inline_script_or_style() -> None:
    # script-src 'self' and style-src 'self' (balie.security.CSP) would block these.
    for template in TEMPLATES_DIR.glob("*.html"):
        html = template.read_text()
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|hx-on|javascript:", html), template.name
