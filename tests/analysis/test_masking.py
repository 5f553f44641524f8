from balie.analysis.masking import MASKED_LABELS, mask
from balie.analysis.triage import triage


def test_profane_spans_keep_only_their_first_letters() -> None:
    text = "Wat een kutbedrijf, f*cking oplichters"
    evidence = [
        {"start": 8, "end": 18, "label": "profanity"},
        {"start": 20, "end": 38, "label": "insult"},
        {"start": 0, "end": 3, "label": "anger"},
    ]
    assert mask(text, evidence) == "Wat een k*********, f****** o*********"


def test_spans_outside_the_text_are_ignored() -> None:
    assert mask("kort", [{"start": 2, "end": 99, "label": "profanity"}]) == "kort"


def test_what_triage_finds_is_masked_but_a_threat_stays_readable() -> None:
    text = "Stelletje oplichters, fucking kankerlijers. Ik weet waar jullie winkel is."
    evidence = [e.as_json() for e in triage(text).evidence]
    masked = mask(text, evidence)
    assert "oplichters" not in masked and "kankerlijers" not in masked
    assert "fucking" not in masked and "f******" in masked
    assert masked.endswith("Ik weet waar jullie winkel is.")
    assert {e["label"] for e in evidence} & MASKED_LABELS == {"insult", "profanity"}
