"""Abusive language in a message: insults aimed at people, profanity, threats. Pure.

Scores, so the inbox can sort and agents can set their own threshold:

- a threat of violence or harm (threats.txt): 1.0;
- an insult aimed at someone other than the writer (insults.txt): 0.9. "Jullie zijn
  idioten", "what a bunch of crooks" and a bare "Idioot!" count; "ik ben ook een idioot"
  and "I'm such an idiot, I forgot" do not (the writer is the target);
- a word that insults only when said to someone (insults_addressed.txt: "hond", "pig"):
  0.85, and only after "jij", "you", "stelletje", "filthy" ... or standing alone as an
  address ("Varken!"). "Mijn hond heeft de kabel doorgebeten" is not abusive;
- profanity used as emphasis ("fucking slow delivery", "kutservice", "#@$%"): 0.6. That
  is still abusive (agents may mask it and A2's boundary message fits), but it ranks
  below an insult aimed at a person. Mild words (reason starting with "mild:": "damn",
  "verdomme") score 0.35: shown as evidence, not abusive on their own.

Each further hit adds 0.05. A message is abusive from 0.5. Contexts in innocent.txt
("ik heb kanker", "sucks up hair") drop the hits they cover.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from balie.analysis.catalogue import catalogue, outside
from balie.analysis.language import detect
from balie.analysis.lexicon import Hit
from balie.analysis.model import Evidence, Language
from balie.analysis.text import Token, sentences, tokens

THREAT = 1.0
INSULT = 0.9
ADDRESSED = 0.85
PROFANITY = 0.6
MILD_PROFANITY = 0.35
THRESHOLD = 0.5
_EXTRA_HIT = 0.05
_LOOK_BACK = 6  # tokens before an insult searched for who it is aimed at

# Who an insult is aimed at: the nearest pronoun before it, in the same sentence, decides.
_SECOND_PERSON = frozenset(
    [
        "you",
        "u",
        "ya",
        "ye",
        "yall",
        "y'all",
        "you're",
        "youre",
        "ur",
        "you've",
        "you'll",
        "jij",
        "je",
        "jou",
        "jullie",
    ]
)
# Someone else is named: "de bezorger zei dat hij een idioot is" insults the courier.
_THIRD_PERSON = frozenset(
    ["hij", "zij", "ze", "hem", "haar", "he", "she", "they", "him", "her", "them"]
)
_FIRST_PERSON = frozenset(
    ["i", "i'm", "im", "i've", "i'd", "me", "myself", "ik", "mij", "mezelf", "mn"]
)
# Words that turn an everyday word into an address: "stelletje ratten", "filthy pigs".
_ADDRESS_CUES = frozenset(
    [
        "stelletje",
        "bende",
        "vuile",
        "vuil",
        "vieze",
        "smerige",
        "stomme",
        "domme",
        "bunch",
        "filthy",
        "dirty",
        "stupid",
        "dumb",
        "fucking",
        "lousy",
    ]
)


# Words that may stand between "you" and a name: "you are such a pig", "jullie zijn
# echt varkens", "you dirty rats". Anything else in between ("can you send a new dog
# bed") means the word is not said to anyone.
_BETWEEN = frozenset(
    [
        "are", "r", "is", "a", "an", "such", "so", "really", "little", "big", "fat",
        "ben", "bent", "zijn", "een", "echt", "gewoon", "zo", "zo'n", "grote", "kleine",
        "vuile", "vieze", "smerige", "stomme", "domme", "dirty", "filthy", "stupid",
        "fucking", "bloody", "kut", "rot", "of", "van", "allemaal", "all", "guys",
        "people", "lot", "lui", "mensen",
    ]
)  # fmt: skip


@dataclass(frozen=True)
class Abuse:
    abusive: bool
    score: float
    evidence: tuple[Evidence, ...]


def _target(toks: Sequence[Token], first: int, sentence_of: Sequence[int]) -> str | None:
    """ "you" or "self" when a pronoun or address word shortly before says so."""
    for k in range(first - 1, max(-1, first - 1 - _LOOK_BACK), -1):
        if sentence_of[k] != sentence_of[first]:
            break
        norm = toks[k].norm
        if norm in _FIRST_PERSON:
            return "self"
        if norm in _SECOND_PERSON or norm in _ADDRESS_CUES:
            return "you"
        if norm in _THIRD_PERSON:
            return "other"
    return None


def _said_to_someone(toks: Sequence[Token], first: int, sentence_of: Sequence[int]) -> bool:
    """ "jij hond", "you're a pig", "stelletje ratten", "filthy rats": an address."""
    for k in range(first - 1, max(-1, first - 1 - _LOOK_BACK), -1):
        if sentence_of[k] != sentence_of[first]:
            return False
        norm = toks[k].norm
        if norm in _SECOND_PERSON or norm in _ADDRESS_CUES:
            return True
        if norm not in _BETWEEN:
            return False
    return False


def _stands_alone(toks: Sequence[Token], hit: Hit, sentence_of: Sequence[int]) -> bool:
    """The hit is the whole sentence: "Varken!", "Pigs."."""
    sentence = sentence_of[hit.first]
    rest = [
        k for k in range(len(toks)) if sentence_of[k] == sentence and not hit.first <= k <= hit.last
    ]
    return not rest


def sentence_index(text: str, toks: Sequence[Token]) -> list[int]:
    spans = sentences(text)
    out: list[int] = []
    s = 0
    for t in toks:
        while s < len(spans) - 1 and t.start >= spans[s][1]:
            s += 1
        out.append(s)
    return out


def _without_overlap(hits: list[tuple[float, Hit, str]]) -> list[tuple[float, Hit, str]]:
    """Keep the strongest of overlapping hits: "fuck you" is an insult, not also profanity."""
    kept: list[tuple[float, Hit, str]] = []
    for item in sorted(hits, key=lambda x: (-x[0], x[1].start)):
        _, hit, _ = item
        if all(hit.end <= k.start or k.end <= hit.start for _, k, _ in kept):
            kept.append(item)
    return sorted(kept, key=lambda x: x[1].start)


def assess(
    text: str,
    toks: Sequence[Token],
    found_by_language: Sequence[Mapping[str, Sequence[Hit]]],
    sentence_of: Sequence[int] | None = None,
) -> Abuse:
    """``found_by_language``: catalogue hits for each language to check (Dutch messages
    are checked against the English lists too: Dutch customers swear in English)."""
    if sentence_of is None:
        sentence_of = sentence_index(text, toks)
    scored: list[tuple[float, Hit, str]] = []
    for found in found_by_language:
        innocent = found.get("innocent", ())
        for hit in outside(found.get("threats", ()), innocent):
            scored.append((THREAT, hit, "threat"))
        self_names: list[Hit] = []
        for hit in outside(found.get("insults", ()), innocent):
            if _target(toks, hit.first, sentence_of) != "self":
                scored.append((INSULT, hit, "insult"))
            else:
                self_names.append(hit)
        for hit in outside(found.get("insults_addressed", ()), innocent):
            if _said_to_someone(toks, hit.first, sentence_of) or _stands_alone(
                toks, hit, sentence_of
            ):
                scored.append((ADDRESSED, hit, "insult"))
        # "Soms ben ik een teringlijer": the curse inside a name the writer calls himself
        # is not aimed at anyone either.
        for hit in outside(found.get("profanity", ()), [*innocent, *self_names]):
            mild = hit.entry.reason.startswith("mild:")
            scored.append((MILD_PROFANITY if mild else PROFANITY, hit, "profanity"))
    kept = _without_overlap(scored)
    if not kept:
        return Abuse(False, 0.0, ())
    score = min(1.0, max(s for s, _, _ in kept) + _EXTRA_HIT * (len(kept) - 1))
    evidence = tuple(
        Evidence(hit.start, hit.end, label, hit.entry.reason or label, text[hit.start : hit.end])
        for _, hit, label in kept
    )
    return Abuse(score >= THRESHOLD, round(score, 3), evidence)


def languages_to_check(language: Language) -> tuple[str, ...]:
    """Dutch customers swear in English too; an unknown language gets both lists."""
    return ("en",) if language == "en" else ("nl", "en")


def find_abuse(text: str, language: Language | None = None) -> Abuse:
    """Abuse in any text: a customer message, or an agent's draft for the reply coach."""
    toks = tokens(text)
    lang = language or detect(toks)
    found = [catalogue(code).find(toks) for code in languages_to_check(lang)]
    return assess(text, toks, found)
