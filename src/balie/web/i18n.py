"""Dutch and English for the inbox.

Each language has a gettext catalog (``locale/<lang>/LC_MESSAGES/messages.po``). The
catalogs are compiled in memory when the web router is created, so there is no ``.mo``
build step, and each language gets its own Jinja environment: a request picks the
environment of its agent's language, and no shared state is switched per request.
"""

from __future__ import annotations

import datetime as dt
import gettext
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from balie.zone import LOCAL_ZONE

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATES_DIR = Path(__file__).parent / "templates"
# Times are shown, and snooze times read, where the agents work.
DISPLAY_ZONE = LOCAL_ZONE


def read_catalog(language: str) -> Catalog:
    """A language's catalog: ``messages.po`` and, merged into it, any other ``.po`` file
    beside it (a room's own texts, e.g. ``reports.po``), so rooms do not share one file."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    for path in sorted(folder.glob("*.po")):
        if path.name == "messages.po":
            continue
        with path.open("rb") as po:
            for message in read_po(po, locale=language):
                if message.id:
                    catalog[message.id] = message
    return catalog


def load_translations(language: str) -> gettext.GNUTranslations:
    catalog = read_catalog(language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def pick_language(accept_language: str) -> str:
    """The first of our languages named in an Accept-Language header (for the log-in page)."""
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def _environment(language: str, translations: gettext.GNUTranslations) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]

    def when(moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        return format_datetime(moment, "d MMM y HH:mm", tzinfo=DISPLAY_ZONE, locale=language)

    def ago(moment: dt.datetime) -> str:
        delta = moment - dt.datetime.now(dt.UTC)
        return format_timedelta(delta, add_direction=True, threshold=1.1, locale=language)

    def day(date: dt.date) -> str:
        return format_date(date, "medium", locale=language)

    def due(moment: dt.datetime) -> str:
        """When a promise falls due: the weekday helps more than the date ("Tue 12:00")."""
        return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=DISPLAY_ZONE, locale=language)

    env.filters["when"] = when
    env.filters["due"] = due
    env.filters["day"] = day
    env.filters["ago"] = ago
    return env


class Languages:
    """The compiled catalogs and one template environment per language."""

    def __init__(self) -> None:
        self.translations = {lang: load_translations(lang) for lang in LANGUAGES}
        self.environments = {
            lang: _environment(lang, self.translations[lang]) for lang in LANGUAGES
        }
