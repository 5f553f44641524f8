"""Survey links: a signed token in the URL is the customer's only key to their survey.

The resolve hook runs inside an action, which has no settings; the app hands the secret
and public address over once at start (``configure``). A process that never built the app
(the timer worker, the command line) reads them from the same BALIE_* environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)

SALT = "balie.survey"
FORM_SALT = "balie.survey.form"
# A survey page left open this long must be reloaded before it is sent.
FORM_MAX_AGE = 24 * 3600
MAX_TOKEN = 200
# A survey link works this long after it was sent; an answer weeks later says little
# about how we helped, and a link found in an old mailbox should not open forever.
LINK_MAX_AGE = 30 * 24 * 3600


class LinkExpired(Exception):
    """A genuine survey link, older than LINK_MAX_AGE."""


@dataclass
class _Keys:
    secret: str
    public_url: str


_keys: _Keys | None = None


def configure(secret: str, public_url: str) -> None:
    """Called by ``create_app``: the key that signs links, and where customers reach Balie."""
    global _keys
    _keys = _Keys(secret, public_url.rstrip("/"))


def _current() -> _Keys:
    if _keys is None:
        from balie.settings import Settings

        settings = Settings()
        configure(settings.secret_key, settings.effective_public_url)
    assert _keys is not None
    return _keys


def token(survey_id: int) -> str:
    """Signed with the time it was made, so the link expires (LINK_MAX_AGE)."""
    return URLSafeTimedSerializer(_current().secret, salt=SALT).dumps(survey_id)


def survey_id(given: str) -> int | None:
    """The survey a token names, or None when it is not one of ours; LinkExpired when it
    is ours but too old."""
    if not given or len(given) > MAX_TOKEN:
        return None
    try:
        value = URLSafeTimedSerializer(_current().secret, salt=SALT).loads(
            given, max_age=LINK_MAX_AGE
        )
    except SignatureExpired:  # a subclass of BadSignature: checked first
        raise LinkExpired from None
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def link(survey_id: int) -> str:
    return f"{_current().public_url}/survey/{token(survey_id)}"


def origin() -> str:
    """Scheme and host of the public address, as a browser's Origin header names it."""
    url = _current().public_url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def form_nonce(survey_id: int) -> str:
    """A short-lived proof that a post comes from the survey page Balie rendered."""
    return TimestampSigner(_current().secret, salt=FORM_SALT).sign(str(survey_id)).decode()


def nonce_ok(survey_id: int, given: str) -> bool:
    if not given or len(given) > MAX_TOKEN:
        return False
    try:
        value = TimestampSigner(_current().secret, salt=FORM_SALT).unsign(
            given, max_age=FORM_MAX_AGE
        )
    except (SignatureExpired, BadSignature):
        return False
    return value.decode() == str(survey_id)
